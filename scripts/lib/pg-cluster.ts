// A PostgreSQL server for tests and benchmarks: the one the environment points at when it answers, otherwise a
// throwaway cluster of Debian's postgresql-15 binaries (installed with apt when missing), run as the `postgres`
// user on loopback, fsync off, removed when stopped.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './prepare.ts';

export interface PgServer {
	host: string;
	port: number;
	user: string;
	password: string;
	/** true when we started it (and stop() removes it). */
	throwaway: boolean;
	stop: () => Promise<void>;
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

export async function pgReachable(conn: { host: string; port: number; user: string; password: string; database?: string }): Promise<boolean> {
	const client = new pg.Client({ ...conn, database: conn.database ?? 'postgres', connectionTimeoutMillis: 2000 });
	try {
		await client.connect();
		await client.query('select 1');
		return true;
	} catch {
		return false;
	} finally {
		await client.end().catch(() => undefined);
	}
}

function asPostgres(cmd: string, args: string[]): void {
	const isRoot = process.getuid?.() === 0;
	const [bin, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
	const result = spawnSync(bin, argv, { stdio: 'pipe', encoding: 'utf8' });
	if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
}

function ensureBinaries(log: (s: string) => void): void {
	if (existsSync(join(PG_BIN, 'initdb'))) return;
	if (process.getuid?.() !== 0) throw new Error(`PostgreSQL 15 binaries are missing (${PG_BIN}); install them: sudo apt-get install -y postgresql-15`);
	log('Installing postgresql-15 with apt-get …');
	execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
	execFileSync('apt-get', ['install', '-y', '-qq', 'postgresql-15'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** The server named by PGHOST/PGPORT/PGUSER/PGPASSWORD when it answers; else a throwaway cluster we start. */
export async function ensurePostgres(log: (s: string) => void = console.log): Promise<PgServer> {
	const configured = {
		host: process.env['PGHOST'] ?? '127.0.0.1',
		port: Number(process.env['PGPORT'] ?? 5432),
		user: process.env['PGUSER'] ?? 'postgres',
		password: process.env['PGPASSWORD'] ?? '',
	};
	if (await pgReachable(configured)) {
		log(`Using PostgreSQL at ${configured.host}:${configured.port}`);
		return { ...configured, throwaway: false, stop: async () => undefined };
	}
	ensureBinaries(log);
	const dir = mkdtempSync(join(tmpdir(), 'seg-pg-'));
	if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
	const port = await freePort();
	const started = Date.now();
	asPostgres(join(PG_BIN, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
	asPostgres(join(PG_BIN, 'pg_ctl'), [
		'-D', join(dir, 'data'), '-l', join(dir, 'server.log'), '-w', '-o',
		`-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=512MB -c work_mem=64MB -c maintenance_work_mem=512MB`,
		'start',
	]);
	log(`Started a throwaway PostgreSQL 15 cluster on 127.0.0.1:${port} in ${((Date.now() - started) / 1000).toFixed(1)} s (${dir})`);
	return {
		host: '127.0.0.1',
		port,
		user: 'postgres',
		password: '',
		throwaway: true,
		stop: async () => {
			try {
				asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
			} finally {
				rmSync(dir, { recursive: true, force: true });
			}
		},
	};
}

/** Drops (when present) and creates a database on the server; optionally from a template. */
export async function recreateDatabase(server: Pick<PgServer, 'host' | 'port' | 'user' | 'password'>, name: string, template?: string): Promise<void> {
	const admin = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' });
	await admin.connect();
	try {
		await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
		await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
	} finally {
		await admin.end();
	}
}
