// Shared by the benchmarks: a Directus on a free loopback port, admin-token HTTP (the shared helper), percentiles.
import { join } from 'node:path';
import { startDirectus, waitForPing, type DirectusProcess } from './directus.ts';
import type { Env } from './env.ts';
import { directusHttp } from './http.ts';
import { freePort } from './prepare.ts';

/** Starts Directus on the benchmark's data (without our extension when asked: the "without" baseline). */
export async function bootBenchDirectus(env: Env, withExtension = true): Promise<DirectusProcess> {
	const port = String(await freePort());
	const proc = startDirectus({ ...env, PORT: port, HOST: '127.0.0.1', ...(withExtension ? {} : { EXTENSIONS_PATH: join(env['DATA_DIR']!, 'none') }) }, { url: `http://127.0.0.1:${port}` });
	await waitForPing(proc.url, { timeoutMs: 600_000, exited: proc.exited });
	return proc;
}

/** A JSON call with the benchmark's admin token; throws an HttpError (status and body) on an error answer.
 *  (Kept for callers not yet on directusHttp(url, token).json.) */
export function benchHttp(token: string, url: string, method: string, path: string, body?: unknown): Promise<any> {
	return directusHttp(url, token).json(method, path, body);
}

/** The p-th percentile (nearest rank). */
export function percentile(xs: number[], p: number): number {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}
