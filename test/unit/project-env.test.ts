// The environment `npm start`, seed and import:retail derive (scripts/lib/env.ts): the data folder's permissions,
// its git-ignore and Directus's request log; and the pinned images of docker/compose.yml.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectEnv, ROOT } from '../../scripts/lib/env.ts';

const tmp = mkdtempSync(join(tmpdir(), 'seg-env-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
const envFor = (dataDir: string, extra: Record<string, string> = {}) => projectEnv({ PATH: process.env['PATH'], ENV_FILE: '/nonexistent.env', DATA_DIR: dataDir, ...extra });

describe('the data folder', () => {
	it('is created owner-only: folder and uploads 0700, the SQLite database and the secrets 0600', () => {
		const dir = join(tmp, 'fresh', 'data');
		const env = envFor(dir);
		expect(env['DB_FILENAME']).toBe(join(dir, 'directus.db'));
		expect(mode(dir)).toBe('700');
		expect(mode(join(dir, 'directus.db'))).toBe('600');
		expect(mode(join(dir, 'uploads'))).toBe('700');
		expect(mode(join(dir, 'secrets.json'))).toBe('600');
	});

	it('tightens a folder and database an older version left readable by everyone (0755 / 0644), with its journal files', () => {
		const dir = join(tmp, 'old');
		mkdirSync(dir, { mode: 0o755 });
		chmodSync(dir, 0o755);
		for (const f of ['directus.db', 'directus.db-wal', 'directus.db-shm']) writeFileSync(join(dir, f), '', { mode: 0o644 });
		envFor(dir);
		expect(mode(dir)).toBe('700');
		for (const f of ['directus.db', 'directus.db-wal', 'directus.db-shm']) expect(mode(join(dir, f)), f).toBe('600');
	});

	it('also makes a database outside the data folder 0600 (DB_FILENAME elsewhere)', () => {
		const db = join(tmp, 'elsewhere', 'my.db');
		envFor(join(tmp, 'data3'), { DB_FILENAME: db });
		expect(mode(db)).toBe('600');
	});

	it('keeps a custom DATA_DIR inside the project out of git', () => {
		const repo = join(tmp, 'repo');
		mkdirSync(repo);
		execFileSync('git', ['init', '-q', repo]);
		const dir = join(repo, 'my-data');
		envFor(dir);
		writeFileSync(join(dir, 'directus.db-wal'), 'x');
		expect(existsSync(join(dir, 'directus.db'))).toBe(true);
		expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
		expect(execFileSync('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=all'], { encoding: 'utf8' })).toBe('');
	});
});

describe("Directus's request log", () => {
	it('is off by default (LOG_HTTP_IGNORE_PATHS would turn it back on, so it is not passed)', () => {
		const env = envFor(join(tmp, 'log1'));
		expect(env['LOGGER_HTTP_AUTO_LOGGING']).toBe('false');
		expect(env['LOG_HTTP_IGNORE_PATHS']).toBeUndefined();
	});

	it('is on with LOG_REQUESTS=true (pings still left out)', () => {
		const env = envFor(join(tmp, 'log2'), { LOG_REQUESTS: 'true' });
		expect(env['LOGGER_HTTP_AUTO_LOGGING']).toBeUndefined();
		expect(env['LOG_HTTP_IGNORE_PATHS']).toBe('/server/ping');
	});
});

describe('docker/compose.yml', () => {
	it('pins every image (Listmonk to v6.2.0, the release the sync contract was checked against): no :latest, no bare name', () => {
		const images = [...readFileSync(join(ROOT, 'docker/compose.yml'), 'utf8').matchAll(/^\s*image:\s*(\S+)/gm)].map((m) => m[1]!);
		expect(images.length).toBeGreaterThan(3);
		for (const image of images) expect(image, image).toMatch(/^[\w./-]+:(?!latest$)[\w.-]+$/);
		expect(images).toContain('listmonk/listmonk:v6.2.0');
	});
});
