// What the global setup hands every suite, and the environment every test Directus shares.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXTENSIONS_PATH, ROOT } from '../../scripts/lib/env.ts';

/** 'bare': Directus bootstrapped, nothing of ours (the first start installs). 'installed': that plus our schema,
 *  installed by one start of Directus with the extension (no engine run recorded). */
export type TemplateName = 'bare' | 'installed';

export interface HarnessConfig {
	db: 'sqlite' | 'pg';
	workDir: string;
	/** The bare template (SQLite file / PostgreSQL database). */
	sqliteTemplate: string | null;
	pg: { host: string; port: number; user: string; password: string; templateDb: string } | null;
	/** The installed template; null when this run didn't build one (suites then start bare and install). */
	installed: { sqliteTemplate: string | null; pgTemplateDb: string | null } | null;
	templateBootSeconds: number;
	installedTemplateSeconds: number | null;
}

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'test-admin-password';
/** Stored for the admin at bootstrap: every suite's copy of the template accepts it. */
export const ADMIN_TOKEN = 'test-admin-static-token';

/** For every Directus the tests start: a Node 22 slowness in loading date-fns, worked around (see the file) — ~1 s
 *  of CPU per start. */
export const TEST_NODE_OPTIONS = `--import=${pathToFileURL(resolve(ROOT, 'test/harness/date-fns-resolve.mjs')).href}`;
/** NODE_OPTIONS for a Directus that enforces item filters and field lists on permissions, as a licensed one does (the
 *  Core licence leaves such permissions out): see licensed-permissions.mjs. */
export const LICENSED_PERMISSIONS_NODE_OPTIONS = `${TEST_NODE_OPTIONS} --import=${pathToFileURL(resolve(ROOT, 'test/harness/licensed-permissions.mjs')).href}`;

export function baseTestEnv(workDir: string): Record<string, string> {
	return {
		PATH: process.env['PATH'] ?? '',
		HOME: process.env['HOME'] ?? '/tmp',
		CONFIG_PATH: '/dev/null',
		KEY: 'test-key-0123456789abcdef0123456789abcdef',
		SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
		ADMIN_EMAIL,
		ADMIN_PASSWORD,
		ADMIN_TOKEN,
		HOST: '127.0.0.1',
		EXTENSIONS_PATH,
		EXTENSIONS_MUST_LOAD: 'true',
		EXTENSIONS_AUTO_RELOAD: 'false',
		STORAGE_LOCATIONS: 'local',
		STORAGE_LOCAL_ROOT: join(workDir, 'uploads'),
		TELEMETRY: 'false',
		PRESSURE_LIMITER_ENABLED: 'false',
		RATE_LIMITER_ENABLED: 'false',
		CACHE_ENABLED: 'false',
		LOG_LEVEL: 'info',
		LOG_HTTP_IGNORE_PATHS: '/server/ping',
		ACCESS_TOKEN_TTL: '1h',
		NODE_OPTIONS: TEST_NODE_OPTIONS,
	};
}
