// Once per test run: build the extension, bootstrap Directus once into a template (a SQLite file, or a PostgreSQL
// template database), then start Directus with the extension once on a copy of it to make the "installed"
// template. Every suite copies one of them in milliseconds instead of bootstrapping and installing on its own.
import { accessSync, constants, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { bootstrapDirectus, buildExtensionIfStale } from '../../scripts/lib/directus.ts';
import { ROOT } from '../../scripts/lib/env.ts';
import { ensurePostgres, recreateDatabase, type PgServer } from '../../scripts/lib/pg-cluster.ts';
import { baseTestEnv, type HarnessConfig } from './config.ts';
import { installIntoTemplate } from './templates.ts';

declare module 'vitest' {
	export interface ProvidedContext {
		harness: HarnessConfig;
	}
}

/** SQLite files on tmpfs when it has room: Directus's many small transactions each wait for a disk sync otherwise
 *  (measured: bootstrap and install ~15 % faster). */
function workRoot(): string {
	try {
		const shm = statfsSync('/dev/shm');
		accessSync('/dev/shm', constants.W_OK);
		if (shm.bavail * shm.bsize >= 2 ** 30) return '/dev/shm';
	} catch {
		/* no tmpfs here */
	}
	return tmpdir();
}

/** Work directories of runs that died without their teardown (named after the run's pid): tmpfs is memory. */
function removeOrphans(root: string): void {
	for (const name of readdirSync(root)) {
		const pid = Number(/^seg-test-(\d+)-/.exec(name)?.[1]);
		if (!pid || pid === process.pid) continue;
		try {
			process.kill(pid, 0);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(root, name), { recursive: true, force: true });
		}
	}
}

export default async function setup(project: TestProject) {
	const db = (process.env['TEST_DB'] ?? 'sqlite') === 'pg' ? 'pg' : 'sqlite';
	// a project with a single suite (the browser smoke test) gains nothing from a template that costs a Directus start
	const buildInstalled = project.config.env?.['HARNESS_INSTALLED_TEMPLATE'] !== 'false';
	const root = workRoot();
	removeOrphans(root);
	const workDir = mkdtempSync(join(root, `seg-test-${process.pid}-`));
	mkdirSync(join(ROOT, 'test-results/logs'), { recursive: true });
	// the bootstrap doesn't need our extension: build it meanwhile (a fresh checkout has no dist yet)
	const built = buildExtensionIfStale();
	built.catch(() => undefined); // awaited below; not an unhandled rejection while the bootstrap runs
	let started = Date.now();
	let server: PgServer | null = null;
	let config: HarnessConfig;
	try {
		if (db === 'sqlite') {
			const template = join(workDir, 'template.db');
			await bootstrapDirectus({ ...baseTestEnv(workDir), DB_CLIENT: 'sqlite3', DB_FILENAME: template });
			await built;
			config = { db, workDir, sqliteTemplate: template, pg: null, installed: null, templateBootSeconds: (Date.now() - started) / 1000, installedTemplateSeconds: null };
			if (buildInstalled) {
				started = Date.now();
				const installed = join(workDir, 'template-installed.db');
				copyFileSync(template, installed);
				await installIntoTemplate(workDir, { DB_CLIENT: 'sqlite3', DB_FILENAME: installed }, db);
				config.installed = { sqliteTemplate: installed, pgTemplateDb: null };
				config.installedTemplateSeconds = (Date.now() - started) / 1000;
			}
		} else {
			server = await ensurePostgres();
			const pgConn = { host: server.host, port: server.port, user: server.user, password: server.password };
			const dbEnv = (database: string) => ({ DB_CLIENT: 'pg', DB_HOST: pgConn.host, DB_PORT: String(pgConn.port), DB_USER: pgConn.user, DB_PASSWORD: pgConn.password, DB_DATABASE: database });
			const templateDb = `seg_tpl_${process.pid}`;
			await recreateDatabase(pgConn, templateDb);
			await bootstrapDirectus({ ...baseTestEnv(workDir), ...dbEnv(templateDb) });
			await built;
			config = { db, workDir, sqliteTemplate: null, pg: { ...pgConn, templateDb }, installed: null, templateBootSeconds: (Date.now() - started) / 1000, installedTemplateSeconds: null };
			if (buildInstalled) {
				started = Date.now();
				const installedDb = `seg_tpl_${process.pid}_installed`;
				await recreateDatabase(pgConn, installedDb, templateDb);
				await installIntoTemplate(workDir, dbEnv(installedDb), db);
				config.installed = { sqliteTemplate: null, pgTemplateDb: installedDb };
				config.installedTemplateSeconds = (Date.now() - started) / 1000;
			}
		}
	} catch (error) {
		// a failed set-up leaves no cluster and no work directory behind
		await server?.stop().catch(() => undefined);
		rmSync(workDir, { recursive: true, force: true });
		throw error;
	}
	console.log(
		`[harness] ${db}: template bootstrapped in ${config.templateBootSeconds.toFixed(1)} s` +
			(config.installedTemplateSeconds === null ? '' : `; installed template in ${config.installedTemplateSeconds.toFixed(1)} s`),
	);
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
