// `npm run import:retail -- FILE`: the UCI Online Retail CSV into the base (one invoice = one won deal).
// Idempotent: a second run of the same file adds nothing. Prints what it skipped and why.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseRetailCsv } from '../extensions/segmentation/src/core/retail.ts';
import { importRetailInvoices } from '../extensions/segmentation/src/store/retail-import.ts';
import { readMappingFromDatabase } from '../extensions/segmentation/src/store/live-schema.ts';
import { parseArgs } from './lib/args.ts';
import { openKnex } from './lib/db.ts';
import { projectEnv, ROOT } from './lib/env.ts';
import { ensureInstalled } from './lib/prepare.ts';
import { Progress } from './lib/progress.ts';

const { positional } = parseArgs(process.argv.slice(2));
const file = resolve(process.env['INIT_CWD'] ?? process.cwd(), positional[0] ?? resolve(ROOT, '../shared/data/online-retail-sample.csv'));
try {
	const started = Date.now();
	const parsed = parseRetailCsv(readFileSync(file, 'utf8'));
	const env = projectEnv();
	await ensureInstalled(env);
	const knex = openKnex(env);
	try {
		const mapping = await readMappingFromDatabase(knex);
		const progress = new Progress('Importing', parsed.invoices.length, 'invoices');
		const result = await importRetailInvoices(knex, mapping, parsed.invoices, (n) => progress.update(n));
		progress.done(`${result.dealsCreated} new deals`);
		const skipped = Object.entries(parsed.skippedRows).filter(([, n]) => n > 0);
		console.log(`Read ${parsed.rows} rows from ${file}: ${parsed.invoices.length} invoices kept.`);
		for (const [reason, rows] of skipped) {
			const why = { no_customer: 'no CustomerID (guest checkout)', cancellation: 'cancellation invoice (C…)', non_positive_total: 'invoice total not positive', malformed_row: 'unreadable row' }[reason];
			console.log(`  skipped ${rows} rows / ${parsed.skippedInvoices[reason as keyof typeof parsed.skippedInvoices]} invoices: ${why}`);
		}
		console.log(
			`Created ${result.clientsCreated} clients, ${result.dealsCreated} deals, ${result.itemsCreated} items, ${result.productsCreated} products; ` +
				`${result.dealsAlreadyThere} invoices were already imported. (${((Date.now() - started) / 1000).toFixed(1)} s)`,
		);
		console.log(JSON.stringify({ imported: result, skippedRows: parsed.skippedRows, skippedInvoices: parsed.skippedInvoices }));
	} finally {
		await knex.destroy();
	}
} catch (error) {
	console.error(`import:retail: ${error instanceof Error ? error.message : error}`);
	process.exit(1);
}
