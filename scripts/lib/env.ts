// One place that decides the environment for Directus and for our scripts: variables set in the process win over
// `.env`, which wins over our defaults. Directus itself would let `.env` win, so we hand it the merged result and
// point its CONFIG_PATH at nothing.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const NODE22 = resolve(ROOT, 'node_modules/.bin/node');
export const DIRECTUS_CLI = resolve(ROOT, 'node_modules/@directus/api/dist/cli/run.js');
export const EXTENSIONS_PATH = resolve(ROOT, 'extensions');

export type Env = Record<string, string>;

/** Parses dotenv text: KEY=value lines, # comments, optional quotes. */
export function parseDotEnv(text: string): Env {
	const env: Env = {};
	for (const line of text.split(/\r?\n/)) {
		const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
		if (!m) continue;
		let value = m[2]!;
		if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
		else value = value.replace(/\s+#.*$/, '');
		env[m[1]!] = value;
	}
	return env;
}

/** Secrets Directus needs but the user didn't set: made once, kept in the git-ignored data folder. */
function localSecrets(dataDir: string): { KEY: string; SECRET: string } {
	const file = resolve(dataDir, 'secrets.json');
	if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
	mkdirSync(dataDir, { recursive: true });
	const secrets = { KEY: randomBytes(32).toString('hex'), SECRET: randomBytes(32).toString('hex') };
	writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
	return secrets;
}

/** The effective environment for `npm start`, `npm run seed` and `npm run import:retail`. */
export function projectEnv(processEnv: NodeJS.ProcessEnv = process.env): Env {
	const envFile = resolve(ROOT, processEnv['ENV_FILE'] ?? '.env');
	const fromFile = existsSync(envFile) ? parseDotEnv(readFileSync(envFile, 'utf8')) : {};
	const fromProcess = Object.fromEntries(Object.entries(processEnv).filter((e): e is [string, string] => typeof e[1] === 'string'));
	const merged: Env = { ...fromFile, ...fromProcess };
	const dataDir = resolve(ROOT, merged['DATA_DIR'] ?? '.data');
	const port = merged['PORT'] ?? '8055';
	const defaults: Env = {
		DB_CLIENT: 'sqlite3',
		DB_FILENAME: resolve(dataDir, 'directus.db'),
		HOST: '0.0.0.0',
		PORT: port,
		PUBLIC_URL: `http://localhost:${port}`,
		ADMIN_EMAIL: 'admin@example.com',
		EXTENSIONS_PATH,
		EXTENSIONS_AUTO_RELOAD: 'false',
		STORAGE_LOCATIONS: 'local',
		STORAGE_LOCAL_ROOT: resolve(dataDir, 'uploads'),
		TELEMETRY: 'false',
		LOG_HTTP_IGNORE_PATHS: '/server/ping',
		DEMO_DATA: 'true',
		DEMO_CLIENTS: '2000',
		DEMO_SEED: '42',
	};
	const env: Env = { ...defaults, ...merged, DATA_DIR: dataDir };
	if (!env['KEY'] || !env['SECRET']) Object.assign(env, { ...localSecrets(dataDir), ...pick(merged, ['KEY', 'SECRET']) });
	if (env['DB_CLIENT'] === 'sqlite3') env['DB_FILENAME'] = resolve(ROOT, env['DB_FILENAME']!);
	// Directus would re-read .env and let it win over the process: it gets the merged result instead.
	env['CONFIG_PATH'] = '/dev/null';
	return env;
}

function pick(env: Env, keys: string[]): Env {
	return Object.fromEntries(keys.filter((k) => env[k]).map((k) => [k, env[k]!]));
}

export function isTrue(value: string | undefined, fallback = false): boolean {
	if (value === undefined || value === '') return fallback;
	return !['false', '0', 'no', 'off'].includes(value.toLowerCase());
}
