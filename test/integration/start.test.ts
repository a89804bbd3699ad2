// The README's run command as a user meets it: `npm start` (scripts/start.ts) on an empty database, then again.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { NODE22, ROOT } from '../../scripts/lib/env.ts';
import { TEST_NODE_OPTIONS } from '../harness/config.ts';
import { directusHttp } from '../../scripts/lib/http.ts';
import { freePort } from '../../scripts/lib/prepare.ts';
import { recreateDatabase } from '../../scripts/lib/pg-cluster.ts';

interface Started { child: ChildProcess; output: () => string; exited: Promise<number | null> }

function npmStart(env: Record<string, string>): Started {
	// (start.ts hands its environment on to Directus: the harness's Node options reach it)
	const child = spawn(NODE22, [resolve(ROOT, 'scripts/start.ts')], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', NODE_OPTIONS: TEST_NODE_OPTIONS, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	child.stdout!.on('data', (c) => (out += c));
	child.stderr!.on('data', (c) => (out += c));
	return { child, output: () => out, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
}

async function waitFor(started: Started, pattern: RegExp, timeoutMs = 240_000): Promise<RegExpMatchArray> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const m = started.output().match(pattern);
		if (m) return m;
		if (started.child.exitCode !== null) break;
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`did not see ${pattern} in npm start output:\n${started.output().slice(-3000)}`);
}

/** Ctrl-C as a user would (start.ts then stops its Directus); SIGKILL would leave that Directus running. */
async function stopStarted(started: Started | null): Promise<void> {
	if (!started || started.child.exitCode !== null || started.child.signalCode !== null) return;
	started.child.kill('SIGTERM');
	const timer = setTimeout(() => started.child.kill('SIGKILL'), 30_000);
	await started.exited;
	clearTimeout(timer);
}

describe('npm start', () => {
	const harness = inject('harness');
	// in the run's work directory (tmpfs when there is one, like the suites' databases)
	const dataDir = mkdtempSync(join(harness.workDir, 'start-'));
	// as an older `npm start` left it (mkdtemp makes 0700): the start must close it
	chmodSync(dataDir, 0o755);
	const envFile = join(dataDir, 'test.env');
	const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
	let dbEnv: Record<string, string> = {};
	let running: Started | null = null;
	afterAll(async () => {
		await stopStarted(running);
		if (harness.pg) {
			const admin = new pg.Client({ ...harness.pg, database: 'postgres' });
			await admin.connect();
			await admin.query('DROP DATABASE IF EXISTS seg_start_test WITH (FORCE)');
			await admin.end();
		}
		rmSync(dataDir, { recursive: true, force: true });
	});

	it('first start: installs, loads demo data, prints the URL and a generated password (again at the end), no request log, private data folder; Ctrl-C stops cleanly', async () => {
		if (harness.pg) {
			await recreateDatabase(harness.pg, 'seg_start_test');
			dbEnv = { DB_CLIENT: 'pg', DB_HOST: harness.pg.host, DB_PORT: String(harness.pg.port), DB_USER: harness.pg.user, DB_PASSWORD: harness.pg.password, DB_DATABASE: 'seg_start_test' };
		}
		// .env says 999 demo clients and another admin e-mail; the environment's DEMO_CLIENTS must win
		writeFileSync(envFile, 'DEMO_CLIENTS=999\nADMIN_EMAIL=owner@example.com\nPORT=1\n');
		const port = String(await freePort());
		const env = { ENV_FILE: envFile, DATA_DIR: dataDir, PORT: port, DEMO_CLIENTS: '300', PRESSURE_LIMITER_ENABLED: 'false', ...dbEnv };
		running = npmStart(env);
		await waitFor(running, /Directus is ready: (\S+)\/admin/);
		const output = running.output();
		expect(output).toContain(`http://localhost:${port}/admin`);
		expect(output).toMatch(/Admin login: +owner@example.com/);
		const password = output.match(/Admin password: +(\S+) +\(generated now/)?.[1];
		expect(password).toBeTruthy();
		// said when it was made, and again as the last lines of start-up (the banner), where it stays in sight
		expect(output).toContain(`Admin login: owner@example.com / ${password} (generated now`);
		expect(output.lastIndexOf(`Admin password:    ${password}`)).toBeGreaterThan(output.lastIndexOf(`owner@example.com / ${password}`));

		// the SQLite database holds refresh tokens: folder owner-only, database 0600; and the folder ignores itself in git
		if (!harness.pg) {
			expect(mode(dataDir)).toBe('700');
			expect(mode(join(dataDir, 'directus.db'))).toBe('600');
			expect(mode(join(dataDir, 'uploads'))).toBe('700');
			expect(readFileSync(join(dataDir, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
		}

		const url = `http://127.0.0.1:${port}`;
		const login = await directusHttp(url).request('POST', '/auth/login', { email: 'owner@example.com', password });
		expect(login.status).toBe(200);
		const token = login.body.data.access_token;
		const count = await directusHttp(url, token).request('GET', '/items/clients?aggregate[count]=*');
		expect(Number(count.body.data[0].count)).toBe(300);
		// the engine's first run (at start-up) scored the demo clients (in the background: wait for it, generously)
		const api = directusHttp(url, token);
		let scored = 0;
		await expect.poll(async () => (scored = Number((await api.json('GET', '/items/clients?filter[rfm_code][_nnull]=true&aggregate[count]=*')).data[0].count)), { timeout: 120_000 }).toBeGreaterThan(0);
		expect(scored).toBeGreaterThan(100);

		running.child.kill('SIGINT');
		expect(await running.exited).toBe(0);
		expect(running.output()).toMatch(/Directus shut down OK|stopping Directus/);
		// Directus's request log is off by default: the login and the item reads above left no line
		expect(running.output()).not.toMatch(/\/auth\/login|\/items\/clients/);
		expect(running.output()).toMatch(/Request log: +off \(LOG_REQUESTS=true/);
		if (!harness.pg) for (const f of ['directus.db', 'directus.db-wal', 'directus.db-journal']) if (existsSync(join(dataDir, f))) expect(mode(join(dataDir, f)), f).toBe('600');
		const ping = await fetch(`${url}/server/ping`).then(() => 'up', () => 'down');
		expect(ping).toBe('down');
		running = null;
	});

	it('second start: reuses the data, no new password, no second batch of demo data; LOG_REQUESTS=true shows requests', async () => {
		await stopStarted(running); // the first start, when its test failed before its own stop
		const port = String(await freePort());
		running = npmStart({ ENV_FILE: envFile, DATA_DIR: dataDir, PORT: port, DEMO_CLIENTS: '300', PRESSURE_LIMITER_ENABLED: 'false', LOG_REQUESTS: 'true', ...dbEnv });
		await waitFor(running, /Directus is ready/);
		const output = running.output();
		expect(output).not.toMatch(/First start/);
		expect(output).not.toMatch(/generated now/);
		expect(output).not.toMatch(/loading demo data/);
		expect(output).toMatch(/Request log: +on/);
		await fetch(`http://127.0.0.1:${port}/server/info`);
		await waitFor(running, /\/server\/info/);
		running.child.kill('SIGTERM');
		expect(await running.exited).toBe(0);
		running = null;
	});
});
