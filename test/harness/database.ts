// A suite's own database, copied from one of the run's templates in milliseconds (SQLite file copy / PostgreSQL
// CREATE DATABASE … TEMPLATE). openTestDatabase is for store-level tests that need our schema but no Directus.
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import pg from 'pg';
import { inject } from 'vitest';
import { openKnex } from '../../scripts/lib/db.ts';
import type { Env } from '../../scripts/lib/env.ts';
import { recreateDatabase } from '../../scripts/lib/pg-cluster.ts';
import type { HarnessConfig, TemplateName } from './config.ts';

export interface SuiteDatabase {
	db: 'sqlite' | 'pg';
	/** DB_* variables for Directus and our scripts. */
	dbEnv: Env;
	/** Removes the database (the SQLite file / DROP DATABASE). */
	drop: () => Promise<void>;
}

let counter = 0;

/** A unique name per suite database: worker pid + counter + a little time (files of parallel workers never clash). */
export function suiteName(): string {
	return `${process.pid}_${++counter}_${Date.now() % 100000}`;
}

export async function createDatabase(template: TemplateName, name = suiteName(), harness: HarnessConfig = inject('harness')): Promise<SuiteDatabase> {
	// without an installed template (a run that didn't build one) the bare one serves: the first start installs
	const installed = template === 'installed' ? harness.installed : null;
	if (harness.db === 'sqlite') {
		const file = join(harness.workDir, `suite-${name}.db`);
		copyFileSync(installed?.sqliteTemplate ?? harness.sqliteTemplate!, file);
		return { db: 'sqlite', dbEnv: { DB_CLIENT: 'sqlite3', DB_FILENAME: file }, drop: async () => rmSync(file, { force: true }) };
	}
	const p = harness.pg!;
	const database = `seg_${name}`;
	await recreateDatabase(p, database, installed?.pgTemplateDb ?? p.templateDb);
	return {
		db: 'pg',
		dbEnv: { DB_CLIENT: 'pg', DB_HOST: p.host, DB_PORT: String(p.port), DB_USER: p.user, DB_PASSWORD: p.password, DB_DATABASE: database },
		drop: async () => {
			const admin = new pg.Client({ host: p.host, port: p.port, user: p.user, password: p.password, database: 'postgres' });
			await admin.connect();
			try {
				await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
			} finally {
				await admin.end();
			}
		},
	};
}

export interface TestDatabase {
	db: 'sqlite' | 'pg';
	dbEnv: Env;
	knex: Knex;
	stop: () => Promise<void>;
}

/** The installed schema on a database of the suite's own, with a knex on it and no Directus process. */
export async function openTestDatabase(opts: { template?: TemplateName } = {}): Promise<TestDatabase> {
	const database = await createDatabase(opts.template ?? 'installed');
	const knex = openKnex(database.dbEnv);
	return {
		db: database.db,
		dbEnv: database.dbEnv,
		knex,
		stop: async () => {
			await knex.destroy();
			await database.drop();
		},
	};
}
