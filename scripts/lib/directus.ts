// Running Directus as a child process: build our extension when its sources changed, bootstrap, start, wait until
// it answers, stop. Shared by `npm start`, the seeding/import scripts and the test harness.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { DIRECTUS_CLI, NODE22, ROOT, type Env } from './env.ts';
import { directusHttp } from './http.ts';

const EXTENSION_DIR = resolve(ROOT, 'extensions/segmentation');

function newestMtime(dir: string): number {
	let newest = 0;
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const path = resolve(dir, entry.name);
		newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
	}
	return newest;
}

/** Builds the bundle when dist is missing or older than any source file. */
export async function buildExtensionIfStale(log: (s: string) => void = console.log): Promise<void> {
	const api = resolve(EXTENSION_DIR, 'dist/api.js');
	const app = resolve(EXTENSION_DIR, 'dist/app.js');
	const sources = Math.max(newestMtime(resolve(EXTENSION_DIR, 'src')), statSync(resolve(EXTENSION_DIR, 'package.json')).mtimeMs);
	if (existsSync(api) && existsSync(app) && Math.min(statSync(api).mtimeMs, statSync(app).mtimeMs) >= sources) return;
	log('Building the segmentation extension …');
	const cli = resolve(ROOT, 'node_modules/@directus/extensions-sdk/cli.js');
	await run(NODE22, [cli, 'build', '--no-minify'], { cwd: EXTENSION_DIR, env: process.env as Env });
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env: Env; output?: WriteStream | 'inherit' | 'pipe' }): Promise<string> {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		const sink = (chunk: Buffer) => {
			out += chunk.toString();
			if (opts.output === 'inherit') process.stdout.write(chunk);
			else if (opts.output && opts.output !== 'pipe') opts.output.write(chunk);
		};
		child.stdout.on('data', sink);
		child.stderr.on('data', sink);
		child.on('error', reject);
		child.on('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${out.slice(-4000)}`))));
	});
}

/** `directus bootstrap`: installs Directus's tables and the first admin on a new database; harmless later. */
export async function bootstrapDirectus(env: Env, output?: WriteStream | 'pipe'): Promise<void> {
	await run(NODE22, [DIRECTUS_CLI, 'bootstrap'], { env, output: output ?? 'pipe' });
}

export interface DirectusProcess {
	child: ChildProcess;
	url: string;
	/** SIGTERM (a clean shutdown); `kill: true` is SIGKILL — a crash, for durability tests. */
	stop: (opts?: { kill?: boolean }) => Promise<void>;
	exited: Promise<number | null>;
}

export function startDirectus(env: Env, opts: { output?: WriteStream | 'inherit'; url?: string } = {}): DirectusProcess {
	// Node's on-disk compile cache: a Directus start is mostly module loading; the cache saves ~1 s of CPU per start
	const cache = env['NODE_COMPILE_CACHE'] ?? resolve(ROOT, 'node_modules/.cache/directus-compile-cache');
	const child = spawn(NODE22, [DIRECTUS_CLI, 'start'], { cwd: ROOT, env: { ...env, NODE_COMPILE_CACHE: cache }, stdio: ['ignore', 'pipe', 'pipe'] });
	const forward = (chunk: Buffer) => {
		if (opts.output === 'inherit') process.stdout.write(chunk);
		else opts.output?.write(chunk);
	};
	child.stdout?.on('data', forward);
	child.stderr?.on('data', forward);
	const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
	const url = opts.url ?? `http://127.0.0.1:${env['PORT'] ?? '8055'}`;
	const stop = async (o: { kill?: boolean } = {}) => {
		if (child.exitCode !== null || child.signalCode !== null) return;
		child.kill(o.kill ? 'SIGKILL' : 'SIGTERM');
		const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
		await exited;
		clearTimeout(timer);
	};
	return { child, url, stop, exited };
}

/** Polls `ready` until it answers true; fails naming `what` ("… until <what>") when the process exits or time is up. */
export async function waitUntil(what: string, ready: () => Promise<boolean>, opts: { timeoutMs: number; exited?: Promise<number | null>; intervalMs?: number }): Promise<void> {
	const deadline = Date.now() + opts.timeoutMs;
	let exitCode: number | null | undefined;
	opts.exited?.then((code) => (exitCode = code ?? -1));
	while (Date.now() < deadline) {
		if (exitCode !== undefined) throw new Error(`Directus exited (code ${exitCode}) before ${what}`);
		if (await ready()) return;
		await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
	}
	throw new Error(`gave up after ${opts.timeoutMs / 1000} s waiting until ${what}`);
}

/** Polls GET /server/ping (the one unauthenticated liveness route) until it answers pong. */
export async function waitForPing(url: string, opts: { timeoutMs: number; exited?: Promise<number | null> }): Promise<void> {
	const http = directusHttp(url);
	await waitUntil(
		`Directus answered ${url}/server/ping`,
		() => http.request('GET', '/server/ping', undefined, { timeoutMs: 2000 }).then((res) => res.status === 200 && String(res.body).includes('pong'), () => false),
		opts,
	);
}
