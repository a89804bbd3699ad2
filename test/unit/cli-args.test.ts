// Our scripts' command lines (scripts/lib/args.ts on node:util parseArgs, strict): a typo is an error before
// anything is written — `npm run seed -- --clientz 5` used to append 1,000 clients and ~10,000 deals.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dateFlag, intFlag, intListFlag, listFlag, parseArgs, UsageError } from '../../scripts/lib/args.ts';
import { NODE22, ROOT } from '../../scripts/lib/env.ts';

const tmp = mkdtempSync(join(tmpdir(), 'seg-args-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('parseArgs', () => {
	const options = { clients: { type: 'string' }, seed: { type: 'string' }, prepare: { type: 'boolean' } } as const;
	const usage = (argv: string[], positionals = 0) => {
		try {
			parseArgs(argv, options, { positionals });
		} catch (error) {
			expect(error).toBeInstanceOf(UsageError);
			return (error as Error).message;
		}
		return null;
	};

	it('reads declared flags, --name=value and positionals', () => {
		expect(parseArgs(['--clients', '5', '--seed=7', '--prepare', 'file.csv'], options, { positionals: 1 })).toEqual({ flags: { clients: '5', seed: '7', prepare: true }, positional: ['file.csv'] });
	});

	it('refuses an unknown flag, suggesting the near one', () => {
		expect(usage(['--clientz', '5'])).toMatch(/^unknown option --clientz \(did you mean --clients\?\); known options: --help, --clients, --seed, --prepare$/);
		expect(usage(['--verbose'])).toMatch(/^unknown option --verbose; known/);
	});

	it('refuses a flag without its value, a value for a switch, and stray arguments', () => {
		expect(usage(['--clients'])).toBe('--clients needs a value');
		expect(usage(['--prepare=yes'])).toBe('--prepare takes no value');
		expect(usage(['5'])).toMatch(/unexpected argument "5"/);
		expect(usage(['a.csv', 'b.csv'], 1)).toMatch(/unexpected argument "b.csv"/);
	});

	it('checks values with clear messages', () => {
		expect(() => intFlag({ clients: 'lots' }, 'clients', 1, 1)).toThrow(/--clients must be an integer ≥ 1, got "lots"/);
		expect(() => intFlag({ clients: '' }, 'clients', 1, 1)).toThrow(UsageError);
		expect(() => intFlag({ clients: '0' }, 'clients', 1, 1)).toThrow(/≥ 1/);
		expect(intFlag({}, 'clients', 1000, 1)).toBe(1000);
		expect(intListFlag({ clients: '100,2000' }, 'clients', [1], 1)).toEqual([100, 2000]);
		expect(() => intListFlag({ clients: '100,x' }, 'clients', [1], 1)).toThrow(/got "x"/);
		expect(listFlag({ db: 'pg' }, 'db', ['pg', 'sqlite'], ['pg', 'sqlite'])).toEqual(['pg']);
		expect(() => listFlag({ db: 'sqllite' }, 'db', ['pg'], ['pg', 'sqlite'])).toThrow(/--db takes pg and\/or sqlite/);
		expect(dateFlag({ 'as-of': '2026-01-31' }, 'as-of', () => new Date(0)).toISOString()).toBe('2026-01-31T00:00:00.000Z');
		expect(() => dateFlag({ 'as-of': '2026-02-31' }, 'as-of', () => new Date(0))).toThrow(/--as-of must be a date/);
	});
});

/** Runs a script with a data folder and database that don't exist yet: a flag error must leave them so. */
function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; dataDir: string }> {
	const dataDir = mkdtempSync(join(tmp, 'run-'));
	rmSync(dataDir, { recursive: true });
	return new Promise((done) => {
		const child = spawn(NODE22, [resolve(ROOT, 'scripts', script), ...args], {
			cwd: ROOT,
			env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ENV_FILE: '/nonexistent.env', DATA_DIR: dataDir },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (c) => (stdout += c));
		child.stderr.on('data', (c) => (stderr += c));
		child.on('close', (code) => done({ code, stdout, stderr, dataDir }));
	});
}

describe('every script refuses a wrong command line before it writes anything', () => {
	const cases: Array<[string, string[], RegExp]> = [
		['seed.ts', ['--clientz', '5'], /^seed: unknown option --clientz \(did you mean --clients\?\)/],
		['seed.ts', ['--clients', 'lots'], /^seed: --clients must be an integer ≥ 1, got "lots"/],
		['seed.ts', ['--as-of', '2026-13-01'], /^seed: --as-of must be a date like 2026-01-31/],
		['import-retail.ts', ['--dry-run', 'x.csv'], /^import:retail: unknown option --dry-run/],
		['import-retail.ts', ['a.csv', 'b.csv'], /^import:retail: unexpected argument "b.csv"/],
		['bench-seed.ts', ['--db', 'sqllite'], /^bench:seed: --db takes sqlite and\/or pg/],
		['bench-engine.ts', ['--client', '1000'], /^bench:engine: unknown option --client \(did you mean --clients\?\)/],
		['bench-segments.ts', ['--saves'], /^bench:segments: --saves needs a value/],
		['probe-change-path.ts', ['--db', 'mysql'], /^probe-change-path: --db must be one of sqlite, pg/],
		['start.ts', ['--port', '9000'], /^start: unknown option --port; known options: --help/],
	];
	it.concurrent.each(cases)('%s %j', async (script, args, message) => {
		const result = await run(script, args);
		expect(result.stderr).toMatch(message);
		expect(result.stderr).toMatch(/\nUsage: /);
		expect(result.code).toBe(2);
		expect(existsSync(result.dataDir), 'the data folder (secrets, database) was not created').toBe(false);
	});

	it('--help prints the usage and exits 0', async () => {
		const result = await run('seed.ts', ['--help']);
		expect(result.code).toBe(0);
		expect(result.stdout).toMatch(/^Usage: npm run seed -- --clients N/);
	});
});

describe('import:retail says in one sentence what is wrong with the file, before anything is written', () => {
	it.each([
		['a missing file', () => join(tmp, 'nope.csv'), /^import:retail: there is no file \S+nope\.csv: give the path of the Online Retail CSV/],
		['an empty file', () => (writeFileSync(join(tmp, 'empty.csv'), ''), join(tmp, 'empty.csv')), /^import:retail: \S+empty\.csv is empty: expected the Online Retail CSV, starting with the header InvoiceNo,StockCode/],
		['a folder', () => tmp, /^import:retail: \S+ is a folder/],
		['a header without lines', () => (writeFileSync(join(tmp, 'header.csv'), 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n'), join(tmp, 'header.csv')), /header but no lines after it: nothing to import/],
	])('%s', async (_, file, message) => {
		const result = await run('import-retail.ts', [file()]);
		expect(result.stderr).toMatch(message);
		expect(result.stderr.trim().split('\n')).toHaveLength(1); // one sentence, no stack
		expect(result.code).toBe(1);
		expect(existsSync(result.dataDir)).toBe(false);
	});
});
