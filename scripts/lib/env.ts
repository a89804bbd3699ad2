// One place that decides the environment for Directus and for our scripts: variables set in the process win over
// `.env`, which wins over our defaults. Directus itself would let `.env` win, so we hand it the merged result and
// point its CONFIG_PATH at nothing.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
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
	mkdirSync(dataDir, { recursive: true, mode: 0o700 });
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
	if (env['DB_CLIENT'] === 'sqlite3') env['DB_FILENAME'] = resolve(ROOT, env['DB_FILENAME']!);
	if (!isTrue(env['LOG_REQUESTS'], false) && env['LOGGER_HTTP_AUTO_LOGGING'] === undefined) {
		// Directus logs every request (~2,700 lines in 50 minutes of clicking), which scrolled the one-time admin
		// password out of sight: off unless LOG_REQUESTS=true. LOG_HTTP_IGNORE_PATHS would switch it back on (Directus
		// replaces pino-http's autoLogging with its ignore list), so it goes too.
		env['LOGGER_HTTP_AUTO_LOGGING'] = 'false';
		delete env['LOG_HTTP_IGNORE_PATHS'];
	}
	prepareDataDir(env);
	if (!env['KEY'] || !env['SECRET']) Object.assign(env, { ...localSecrets(dataDir), ...pick(merged, ['KEY', 'SECRET']) });
	// Directus would re-read .env and let it win over the process: it gets the merged result instead.
	env['CONFIG_PATH'] = '/dev/null';
	return env;
}

/**
 * The data folder holds the SQLite database — whose directus_sessions table has refresh tokens that log anyone in —
 * the uploads and the generated secrets: owner-only (folder 0700, database 0600), also when an older version left
 * them 0755 / 0644. A `.gitignore` inside keeps a DATA_DIR other than `.data/` out of git.
 */
export function prepareDataDir(env: Env): void {
	const dataDir = env['DATA_DIR']!;
	// a DATA_DIR that is the project itself (or above it) is not a data folder we may lock down
	const shared = !relative(dataDir, ROOT).startsWith('..');
	if (!shared) {
		mkdirSync(dataDir, { recursive: true, mode: 0o700 });
		ownerOnly(dataDir, 0o700);
		const ignore = resolve(dataDir, '.gitignore');
		if (!existsSync(ignore)) writeFileSync(ignore, '# written by npm start: everything here is local data (database, uploads, secrets)\n*\n');
	}
	if (env['DB_CLIENT'] === 'sqlite3' && env['DB_FILENAME']) {
		const db = env['DB_FILENAME'];
		if (!existsSync(dirname(db))) mkdirSync(dirname(db), { recursive: true, mode: 0o700 });
		// created here, empty, so that SQLite (which keeps a file's mode for its -wal / -journal files) never makes it 0644
		if (!existsSync(db)) closeSync(openSync(db, 'a', 0o600));
		for (const file of [db, `${db}-wal`, `${db}-shm`, `${db}-journal`]) if (existsSync(file)) ownerOnly(file, 0o600);
	}
	const uploads = env['STORAGE_LOCAL_ROOT'];
	if (uploads && !existsSync(uploads)) mkdirSync(uploads, { recursive: true, mode: 0o700 });
}

/** Takes group and other permissions away from a path of ours; a path someone else owns is left (and said). */
function ownerOnly(path: string, mode: number): void {
	const stat = statSync(path);
	if ((stat.mode & 0o077) === 0) return;
	if (process.getuid && stat.uid !== process.getuid()) {
		console.warn(`warning: ${path} is open to other users (mode ${(stat.mode & 0o777).toString(8)}) and owned by someone else: make it ${mode.toString(8)}`);
		return;
	}
	chmodSync(path, stat.mode & 0o700);
}

function pick(env: Env, keys: string[]): Env {
	return Object.fromEntries(keys.filter((k) => env[k]).map((k) => [k, env[k]!]));
}

export function isTrue(value: string | undefined, fallback = false): boolean {
	if (value === undefined || value === '') return fallback;
	return !['false', '0', 'no', 'off'].includes(value.toLowerCase());
}
