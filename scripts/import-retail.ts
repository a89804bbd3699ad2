// `npm run import:retail -- [FILE] [--skipped LIST.csv]`: the UCI Online Retail CSV into the base (one invoice = one
// won deal). Idempotent: a second run of the same file adds nothing. The file is read and checked whole before
// anything is written; every line it leaves out is reported with its number and the reason.
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { readRetailCsv, RETAIL_COLUMNS, SKIP_REASONS, type RetailParseResult, type SkipReason } from '../extensions/segmentation/src/core/retail.ts';
import { importRetailInvoices } from '../extensions/segmentation/src/store/retail-import.ts';
import { readMappingFromDatabase } from '../extensions/segmentation/src/store/live-schema.ts';
import { cli } from './lib/args.ts';
import { openKnex } from './lib/db.ts';
import { projectEnv, ROOT } from './lib/env.ts';
import { ensureInstalled, QUEUED_NOTICE } from './lib/prepare.ts';
import { Progress } from './lib/progress.ts';

const USAGE = [
	'Usage: npm run import:retail -- [FILE] [--skipped LIST.csv]',
	'Imports the UCI Online Retail CSV (default: ../shared/data/online-retail-sample.csv).',
	'--skipped LIST.csv writes every skipped line (line, reason, detail) to LIST.csv.',
].join('\n');
const cwd = process.env['INIT_CWD'] ?? process.cwd();
const { file, skippedList } = cli('import:retail', USAGE, { skipped: { type: 'string' } }, ({ flags, positional }) => ({
	file: resolve(cwd, positional[0] ?? resolve(ROOT, '../shared/data/online-retail-sample.csv')),
	skippedList: typeof flags['skipped'] === 'string' ? resolve(cwd, flags['skipped']) : null,
}), { positionals: 1 });

/** Skips that are part of the data set (guests, returns), summarised; the others are problems, listed line by line. */
const EXPECTED: SkipReason[] = ['no_customer', 'cancellation', 'non_positive_total'];

/** One sentence for a file we can't read (instead of an ENOENT stack). */
function unreadableFile(path: string): string | null {
	let stat;
	try {
		stat = statSync(path);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') return `there is no file ${path}: give the path of the Online Retail CSV, e.g. npm run import:retail -- ../shared/data/online-retail-sample.csv`;
		if (code === 'EACCES') return `${path} can't be read (permission denied)`;
		return `${path} can't be read (${code ?? (error as Error).message})`;
	}
	if (stat.isDirectory()) return `${path} is a folder: give the path of the Online Retail CSV file`;
	if (stat.size === 0) return `${path} is empty: expected the Online Retail CSV, starting with the header ${RETAIL_COLUMNS.join(',')}`;
	return null;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function report(parsed: RetailParseResult): void {
	const skipped = parsed.skippedLines.length;
	console.log(`Read ${plural(parsed.rows, 'line')} from ${file}: ${plural(parsed.invoices.length, 'invoice')} to import${skipped ? `, ${plural(skipped, 'line')} skipped:` : '.'}`);
	for (const [reason, lines] of Object.entries(parsed.skippedRows) as Array<[SkipReason, number]>) {
		if (!lines) continue;
		const numbers = parsed.skippedLines.filter((s) => s.reason === reason).map((s) => s.line);
		const shown = EXPECTED.includes(reason) ? `: ${numbers.length === 1 ? 'line' : 'lines'} ${numbers.slice(0, 10).join(', ')}${numbers.length > 10 ? ', …' : ''}` : ':';
		console.log(`  skipped ${plural(lines, 'line')} / ${plural(parsed.skippedInvoices[reason], 'invoice')}: ${SKIP_REASONS[reason]}${shown}`);
		if (!EXPECTED.includes(reason)) for (const s of parsed.skippedLines.filter((x) => x.reason === reason)) console.log(`    line ${s.line}: ${s.detail}`);
	}
	if (skipped && skippedList) {
		const quote = (v: string) => `"${v.replaceAll('"', '""')}"`;
		writeFileSync(skippedList, ['line,reason,detail', ...parsed.skippedLines.map((s) => `${s.line},${s.reason},${quote(s.detail)}`)].join('\n') + '\n');
		console.log(`  every skipped line: ${skippedList}`);
	} else if (parsed.skippedLines.some((s) => EXPECTED.includes(s.reason))) console.log('  (--skipped LIST.csv lists every skipped line)');
}

try {
	const problem = unreadableFile(file);
	if (problem) throw new Error(problem);
	const started = Date.now();
	// read line by line (the full data set has 540k lines), parsed by csv-parse; the whole file before any write
	const parsed = await readRetailCsv(createInterface({ input: createReadStream(file), crlfDelay: Infinity }));
	report(parsed);
	if (parsed.rows === 0) throw new Error(`${file} has the header but no lines after it: nothing to import`);
	const env = projectEnv();
	await ensureInstalled(env);
	const knex = openKnex(env);
	try {
		const mapping = await readMappingFromDatabase(knex);
		const progress = new Progress('Importing', parsed.invoices.length, 'invoices');
		const result = await importRetailInvoices(knex, mapping, parsed.invoices, (n) => progress.update(n));
		progress.done(`${result.dealsCreated} new deals`);
		console.log(
			`Created ${result.clientsCreated} clients, ${result.dealsCreated} deals, ${result.itemsCreated} items, ${result.productsCreated} products; ` +
				`${result.dealsAlreadyThere} invoices were already imported. (${((Date.now() - started) / 1000).toFixed(1)} s)`,
		);
		const problems = parsed.skippedLines.filter((s) => !EXPECTED.includes(s.reason));
		console.log(JSON.stringify({ imported: result, skippedRows: parsed.skippedRows, skippedInvoices: parsed.skippedInvoices, problemLines: problems }));
		if (result.dealsCreated > 0) console.error(QUEUED_NOTICE);
	} finally {
		await knex.destroy();
	}
} catch (error) {
	console.error(`import:retail: ${error instanceof Error ? error.message : error}`);
	process.exit(1);
}
