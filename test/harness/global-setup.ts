// Once per test run: build the extension, then bootstrap Directus once into a template (a SQLite file, or a
// PostgreSQL template database) that every suite copies in milliseconds instead of bootstrapping its own.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { bootstrapDirectus, buildExtensionIfStale } from '../../scripts/lib/directus.ts';
import { ROOT } from '../../scripts/lib/env.ts';
import { ensurePostgres, recreateDatabase, type PgServer } from '../../scripts/lib/pg-cluster.ts';
import { baseTestEnv, type HarnessConfig } from './config.ts';

declare module 'vitest' {
	export interface ProvidedContext {
		harness: HarnessConfig;
	}
}

export default async function setup(project: TestProject) {
	const db = (process.env['TEST_DB'] ?? 'sqlite') === 'pg' ? 'pg' : 'sqlite';
	const workDir = mkdtempSync(join(tmpdir(), 'seg-test-'));
	mkdirSync(join(ROOT, 'test-results/logs'), { recursive: true });
	await buildExtensionIfStale();
	const started = Date.now();
	let server: PgServer | null = null;
	let config: HarnessConfig;
	if (db === 'sqlite') {
		const template = join(workDir, 'template.db');
		await bootstrapDirectus({ ...baseTestEnv(workDir), DB_CLIENT: 'sqlite3', DB_FILENAME: template });
		config = { db, workDir, sqliteTemplate: template, pg: null, templateBootSeconds: (Date.now() - started) / 1000 };
	} else {
		server = await ensurePostgres();
		const pgConn = { host: server.host, port: server.port, user: server.user, password: server.password };
		const templateDb = `seg_tpl_${process.pid}`;
		await recreateDatabase(pgConn, templateDb);
		await bootstrapDirectus({
			...baseTestEnv(workDir),
			DB_CLIENT: 'pg',
			DB_HOST: pgConn.host,
			DB_PORT: String(pgConn.port),
			DB_USER: pgConn.user,
			DB_PASSWORD: pgConn.password,
			DB_DATABASE: templateDb,
		});
		config = { db, workDir, sqliteTemplate: null, pg: { ...pgConn, templateDb }, templateBootSeconds: (Date.now() - started) / 1000 };
	}
	console.log(`[harness] ${db}: template bootstrapped in ${config.templateBootSeconds.toFixed(1)} s`);
	project.provide('harness', config);

	return async () => {
		if (config.pg) {
			const admin = new pg.Client({ ...config.pg, database: 'postgres' });
			await admin.connect();
			const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'seg_%'`);
			for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`).catch(() => undefined);
			await admin.end();
		}
		await server?.stop();
		rmSync(workDir, { recursive: true, force: true });
	};
}
