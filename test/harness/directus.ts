// A real Directus process per suite, on a fresh copy of the template database, with the freshly built extension.
// Hands back an authenticated @directus/sdk client, a plain HTTP helper and direct DB access; stop() leaves nothing.
import { copyFileSync, createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { createDirectus, rest, staticToken, type DirectusClient, type RestClient, type StaticTokenClient } from '@directus/sdk';
import type { Knex } from 'knex';
import pg from 'pg';
import { inject } from 'vitest';
import { openKnex } from '../../scripts/lib/db.ts';
import { startDirectus, waitForPing, type DirectusProcess } from '../../scripts/lib/directus.ts';
import { ROOT, type Env } from '../../scripts/lib/env.ts';
import { freePort } from '../../scripts/lib/prepare.ts';
import { recreateDatabase } from '../../scripts/lib/pg-cluster.ts';
import { ADMIN_TOKEN, baseTestEnv } from './config.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Sdk = DirectusClient<any> & RestClient<any> & StaticTokenClient<any>;

export interface HttpResult<T = any> { status: number; body: T }

export interface TestDirectus {
	url: string;
	db: 'sqlite' | 'pg';
	/** DB_* variables of this suite's database: for our scripts run as child processes. */
	dbEnv: Env;
	sdk: Sdk;
	knex: Knex;
	logFile: string;
	bootSeconds: number;
	/** Admin-token HTTP call; token: null for anonymous, or another user's token. */
	http: <T = any>(method: string, path: string, body?: unknown, token?: string | null) => Promise<HttpResult<T>>;
	log: () => string;
	restart: (opts?: BootOptions) => Promise<void>;
	stop: () => Promise<void>;
}

export interface BootOptions {
	env?: Env;
	/** Another instance on the same database (a second replica of a cluster). */
	shareWith?: TestDirectus;
	/** false: start without our extension (to build a "pre-existing" base first). */
	extension?: boolean;
}

let suiteCounter = 0;

export async function bootDirectus(opts: BootOptions = {}): Promise<TestDirectus> {
	const harness = inject('harness');
	const suite = `${process.pid}_${++suiteCounter}_${Date.now() % 100000}`;
	const logFile = resolve(ROOT, 'test-results/logs', `directus-${harness.db}-${suite}.log`);
	mkdirSync(resolve(ROOT, 'test-results/logs'), { recursive: true });
	let dbEnv: Env;
	if (opts.shareWith) dbEnv = opts.shareWith.dbEnv;
	else if (harness.db === 'sqlite') {
		const file = join(harness.workDir, `suite-${suite}.db`);
		copyFileSync(harness.sqliteTemplate!, file);
		dbEnv = { DB_CLIENT: 'sqlite3', DB_FILENAME: file };
	} else {
		const p = harness.pg!;
		const database = `seg_${suite}`;
		await recreateDatabase(p, database, p.templateDb);
		dbEnv = { DB_CLIENT: 'pg', DB_HOST: p.host, DB_PORT: String(p.port), DB_USER: p.user, DB_PASSWORD: p.password, DB_DATABASE: database };
	}
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const emptyExtensions = join(harness.workDir, 'no-extensions');
	mkdirSync(emptyExtensions, { recursive: true });
	const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
	let proc: DirectusProcess | null = null;
	let bootSeconds = 0;

	const boot = async (o: BootOptions) => {
		const env: Env = {
			...baseTestEnv(harness.workDir),
			...dbEnv,
			PORT: String(port),
			PUBLIC_URL: url,
			...(o.extension === false ? { EXTENSIONS_PATH: emptyExtensions } : {}),
			...o.env,
		};
		const started = Date.now();
		proc = startDirectus(env, { output: log, url });
		try {
			await waitForPing(url, { timeoutMs: 240_000, exited: proc.exited });
		} catch (error) {
			throw new Error(`${(error as Error).message}\n--- ${logFile} (tail) ---\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
		}
		bootSeconds = (Date.now() - started) / 1000;
	};
	await boot(opts);

	const knex = openKnex(dbEnv);
	const sdk = createDirectus(url).with(staticToken(ADMIN_TOKEN)).with(rest()) as Sdk;
	const instance: TestDirectus = {
		url,
		db: harness.db,
		dbEnv,
		sdk,
		knex,
		logFile,
		get bootSeconds() {
			return bootSeconds;
		},
		http: async (method, path, body, token = ADMIN_TOKEN) => {
			const res = await fetch(`${url}${path}`, {
				method,
				headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
				body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
			});
			const text = await res.text();
			let parsed: unknown = text;
			try {
				parsed = JSON.parse(text);
			} catch {
				/* not JSON */
			}
			return { status: res.status, body: parsed as any };
		},
		log: () => readFileSync(logFile, 'utf8'),
		restart: async (o: BootOptions = {}) => {
			await proc?.stop();
			await boot({ ...opts, ...o });
		},
		stop: async () => {
			await proc?.stop();
			await knex.destroy();
			log.end();
			if (harness.pg && !opts.shareWith) {
				const p = harness.pg;
				const admin = new pg.Client({ host: p.host, port: p.port, user: p.user, password: p.password, database: 'postgres' });
				await admin.connect();
				await admin.query(`DROP DATABASE IF EXISTS ${dbEnv['DB_DATABASE']} WITH (FORCE)`);
				await admin.end();
			}
		},
	};
	return instance;
}

/** Logs a user in and returns an access token. */
export async function login(d: TestDirectus, email: string, password: string): Promise<string> {
	const res = await d.http<{ data: { access_token: string } }>('POST', '/auth/login', { email, password }, null);
	if (res.status !== 200) throw new Error(`login ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
	return res.body.data.access_token;
}
