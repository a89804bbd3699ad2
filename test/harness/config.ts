// What the global setup hands every suite, and the environment every test Directus shares.
import { join } from 'node:path';
import { EXTENSIONS_PATH } from '../../scripts/lib/env.ts';

export interface HarnessConfig {
	db: 'sqlite' | 'pg';
	workDir: string;
	sqliteTemplate: string | null;
	pg: { host: string; port: number; user: string; password: string; templateDb: string } | null;
	templateBootSeconds: number;
}

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'test-admin-password';
/** Stored for the admin at bootstrap: every suite's copy of the template accepts it. */
export const ADMIN_TOKEN = 'test-admin-static-token';

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
	};
}
