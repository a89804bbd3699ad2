// Shared by the benchmarks: a Directus on a free loopback port, admin-token HTTP (the shared helper), percentiles,
// waiting for the change queue and a recompute that waits its turn.
import { join } from 'node:path';
import { startDirectus, waitForPing, type DirectusProcess } from './directus.ts';
import type { Env } from './env.ts';
import { directusHttp, HttpError } from './http.ts';
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

/** Waits until the change queue is idle: nothing pending (the whole cluster's) and the instance not draining. */
export async function queueIdle(token: string, url: string, timeoutMs: number, pollMs = 250): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const queue = (await benchHttp(token, url, 'GET', '/segmentation/status').catch(() => ({ data: { queue: null } }))).data.queue;
		if (queue && queue.pending === 0 && !queue.busy) return;
		if (Date.now() > deadline) throw new Error(`the change queue did not drain in time: ${JSON.stringify(queue)}`);
		await new Promise((r) => setTimeout(r, pollMs));
	}
}

/** POST /segmentation/recompute (the whole daily pass), retried while another pass holds the cluster lock (409);
 *  its wall time and the run it reports. */
export async function recomputeWhenFree(token: string, url: string, body: Record<string, unknown> = {}): Promise<{ wallS: number; run: any }> {
	for (let attempt = 0; ; attempt++) {
		const t = performance.now();
		const res = await directusHttp(url, token).request('POST', '/segmentation/recompute', body, { long: true });
		if (res.status < 300) return { wallS: (performance.now() - t) / 1000, run: (res.body as any).data };
		if (res.status !== 409 || attempt > 1200) throw new HttpError('POST', '/segmentation/recompute', res);
		await new Promise((r) => setTimeout(r, 1000));
	}
}
