// A knex connection for the scripts, configured from the same DB_* variables Directus reads. (Inside Directus the
// extension uses the knex Directus hands it; this is only for the command-line tools and tests.)
import knexFactory, { type Knex } from 'knex';
import type { Env } from './env.ts';

export function openKnex(env: Env): Knex {
	const client = env['DB_CLIENT'] ?? 'sqlite3';
	if (client === 'sqlite3') {
		return knexFactory({
			client: 'sqlite3',
			connection: { filename: env['DB_FILENAME']! },
			useNullAsDefault: true,
			pool: {
				min: 1,
				max: 1,
				// wait for Directus's writes instead of failing with SQLITE_BUSY when both run
				afterCreate: (conn: { run: (sql: string, cb: (err: Error | null) => void) => void }, done: (err: Error | null, conn: unknown) => void) =>
					conn.run('PRAGMA busy_timeout = 10000', (err) => (err ? done(err, conn) : conn.run('PRAGMA foreign_keys = ON', (e) => done(e, conn)))),
			},
		});
	}
	if (client === 'pg' || client === 'postgres') {
		const connection = env['DB_CONNECTION_STRING']
			? { connectionString: env['DB_CONNECTION_STRING'] }
			: {
					host: env['DB_HOST'] ?? '127.0.0.1',
					port: Number(env['DB_PORT'] ?? 5432),
					database: env['DB_DATABASE'] ?? 'directus',
					user: env['DB_USER'] ?? 'postgres',
					password: env['DB_PASSWORD'] ?? '',
					ssl: env['DB_SSL'] === 'true' ? { rejectUnauthorized: false } : undefined,
				};
		return knexFactory({
			client: 'pg',
			connection,
			searchPath: env['DB_SEARCH_PATH'] ? env['DB_SEARCH_PATH'].split(',') : undefined,
			pool: { min: 0, max: 4 },
		});
	}
	throw new Error(`DB_CLIENT=${client} is not supported by the scripts; use sqlite3 or pg`);
}
