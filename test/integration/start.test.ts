// The README's run command as a user meets it: `npm start` (scripts/start.ts) on an empty database, then again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { NODE22, ROOT } from '../../scripts/lib/env.ts';
import { freePort } from '../../scripts/lib/prepare.ts';
import { recreateDatabase } from '../../scripts/lib/pg-cluster.ts';

interface Started { child: ChildProcess; output: () => string; exited: Promise<number | null> }

function npmStart(env: Record<string, string>): Started {
	const child = spawn(NODE22, [resolve(ROOT, 'scripts/start.ts')], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

describe('npm start', () => {
	const harness = inject('harness');
	const dataDir = mkdtempSync(join(tmpdir(), 'seg-start-'));
	const envFile = join(dataDir, 'test.env');
	let dbEnv: Record<string, string> = {};
	let running: Started | null = null;
	afterAll(async () => {
		running?.child.kill('SIGKILL');
		if (harness.pg) {
			const admin = new pg.Client({ ...harness.pg, database: 'postgres' });
			await admin.connect();
			await admin.query('DROP DATABASE IF EXISTS seg_start_test WITH (FORCE)');
			await admin.end();
		}
		rmSync(dataDir, { recursive: true, force: true });
	});

	it('first start: installs, loads demo data, prints the URL and a generated password once; Ctrl-C stops cleanly', async () => {
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

		const url = `http://127.0.0.1:${port}`;
		const login = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'owner@example.com', password }) });
		expect(login.status).toBe(200);
		const token = (await login.json()).data.access_token;
		const count = await fetch(`${url}/items/clients?aggregate[count]=*`, { headers: { authorization: `Bearer ${token}` } });
		expect(Number((await count.json()).data[0].count)).toBe(300);
		// the engine's first run (at start-up) scored the demo clients
		let scored = 0;
		for (let i = 0; i < 100 && scored === 0; i++) {
			const res = await fetch(`${url}/items/clients?filter[rfm_code][_nnull]=true&aggregate[count]=*`, { headers: { authorization: `Bearer ${token}` } });
			scored = Number((await res.json()).data[0].count);
			if (!scored) await new Promise((r) => setTimeout(r, 100));
		}
		expect(scored).toBeGreaterThan(100);

		running.child.kill('SIGINT');
		expect(await running.exited).toBe(0);
		expect(running.output()).toMatch(/Directus shut down OK|stopping Directus/);
		const ping = await fetch(`${url}/server/ping`).then(() => 'up', () => 'down');
		expect(ping).toBe('down');
		running = null;
	});

	it('second start: reuses the data, no new password, no second batch of demo data', async () => {
		const port = String(await freePort());
		running = npmStart({ ENV_FILE: envFile, DATA_DIR: dataDir, PORT: port, DEMO_CLIENTS: '300', PRESSURE_LIMITER_ENABLED: 'false', ...dbEnv });
		await waitFor(running, /Directus is ready/);
		const output = running.output();
		expect(output).not.toMatch(/First start/);
		expect(output).not.toMatch(/generated now/);
		expect(output).not.toMatch(/loading demo data/);
		running.child.kill('SIGTERM');
		expect(await running.exited).toBe(0);
		running = null;
	});
});
