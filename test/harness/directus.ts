// A real Directus process per suite, on a fresh copy of a template database (by default with our schema already
// installed), with the freshly built extension. Hands back an authenticated @directus/sdk client, a plain HTTP
// helper and direct DB access; stop() leaves nothing.
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { createDirectus, rest, staticToken, type DirectusClient, type RestClient, type StaticTokenClient } from '@directus/sdk';
import type { Knex } from 'knex';
import { inject } from 'vitest';
import { openKnex } from '../../scripts/lib/db.ts';
import { startDirectus, waitForPing, type DirectusProcess } from '../../scripts/lib/directus.ts';
import { ROOT, type Env } from '../../scripts/lib/env.ts';
import { directusHttp, type HttpResult } from '../../scripts/lib/http.ts';
import { freePort } from '../../scripts/lib/prepare.ts';
import { ADMIN_TOKEN, baseTestEnv, type TemplateName } from './config.ts';
import { createDatabase, suiteName, type SuiteDatabase } from './database.ts';
import { assertNoSecret, assertNoSecretStored, secretsOf } from './secrets.ts';

export type { HttpResult } from '../../scripts/lib/http.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Sdk = DirectusClient<any> & RestClient<any> & StaticTokenClient<any>;

export interface TestDirectus {
	url: string;
	db: 'sqlite' | 'pg';
	/** DB_* variables of this suite's database: for our scripts run as child processes. */
	dbEnv: Env;
	sdk: Sdk;
	knex: Knex;
	logFile: string;
	bootSeconds: number;
	/** Admin-token HTTP call; token: null for anonymous, or another user's token. Body: JSON, a raw string or FormData. */
	http: <T = any>(method: string, path: string, body?: unknown, token?: string | null) => Promise<HttpResult<T>>;
	log: () => string;
	restart: (opts?: BootOptions) => Promise<void>;
	stop: () => Promise<void>;
}

export interface BootOptions {
	env?: Env;
	/** restart() only: stop with SIGKILL (a crash) instead of a clean shutdown. */
	kill?: boolean;
	/** Another instance on the same database (a second replica of a cluster). */
	shareWith?: TestDirectus;
	/** false: start without our extension (to build a "pre-existing" base first). */
	extension?: boolean;
	/** The database's starting point: 'installed' (default) has our schema, so the first start installs nothing;
	 *  'bare' is Directus alone, for tests of the install itself or of a base built before it (the default with
	 *  `extension: false`). Ignored with shareWith. */
	template?: TemplateName;
}

export async function bootDirectus(opts: BootOptions = {}): Promise<TestDirectus> {
	const harness = inject('harness');
	const suite = suiteName();
	const logFile = resolve(ROOT, 'test-results/logs', `directus-${harness.db}-${suite}.log`);
	mkdirSync(resolve(ROOT, 'test-results/logs'), { recursive: true });
	const database: SuiteDatabase | null = opts.shareWith ? null : await createDatabase(opts.template ?? (opts.extension === false ? 'bare' : 'installed'), suite, harness);
	const dbEnv: Env = opts.shareWith ? opts.shareWith.dbEnv : database!.dbEnv;
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const emptyExtensions = join(harness.workDir, 'no-extensions');
	mkdirSync(emptyExtensions, { recursive: true });
	const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
	let proc: DirectusProcess | null = null;
	let bootSeconds = 0;
	/** Secrets this instance was ever given: checked in every response, its log and our tables. */
	const secrets = new Set<string>();

	const boot = async (o: BootOptions) => {
		const env: Env = {
			...baseTestEnv(harness.workDir),
			...dbEnv,
			PORT: String(port),
			PUBLIC_URL: url,
			...(o.extension === false ? { EXTENSIONS_PATH: emptyExtensions } : {}),
			...o.env,
		};
		for (const secret of secretsOf(env)) secrets.add(secret);
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
	const api = directusHttp(url, ADMIN_TOKEN);
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
		http: async (method, path, body, token) => {
			const res = await api.request(method, path, body, { token });
			assertNoSecret(`the response to ${method} ${path}`, typeof res.body === 'string' ? res.body : JSON.stringify(res.body ?? ''), secrets);
			return res;
		},
		log: () => readFileSync(logFile, 'utf8'),
		restart: async (o: BootOptions = {}) => {
			await proc?.stop({ kill: o.kill });
			await boot({ ...opts, ...o });
		},
		stop: async () => {
			await proc?.stop();
			try {
				assertNoSecret(`the Directus log ${logFile}`, readFileSync(logFile, 'utf8'), secrets);
				await assertNoSecretStored(knex, [...secrets]);
			} finally {
				await knex.destroy();
				log.end();
				await database?.drop();
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
