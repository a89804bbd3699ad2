// Demo data and the real retail data set, loaded by our scripts into a running Directus and counted over REST.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { aggregate } from '@directus/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/env.ts';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { runScript } from '../harness/scripts.ts';

const RETAIL_CSV = resolve(ROOT, '../shared/data/online-retail-sample.csv');

/** An independent reading of the CSV: what the import must produce (split outside quotes, group, sum in cents). */
function expectedRetail() {
	const lines = readFileSync(RETAIL_CSV, 'utf8').split(/\r?\n/).filter(Boolean).slice(1);
	const invoices = new Map<string, { customer: string; cents: number }>();
	for (const line of lines) {
		const cols = line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
		const [invoiceNo, , , quantity, , unitPrice, customerId] = cols;
		if (!customerId?.trim() || invoiceNo!.startsWith('C')) continue;
		const inv = invoices.get(invoiceNo!) ?? { customer: String(parseInt(customerId, 10)), cents: 0 };
		inv.cents += Math.round(Number(quantity) * Number(unitPrice) * 100);
		invoices.set(invoiceNo!, inv);
	}
	const kept = [...invoices.entries()].filter(([, v]) => v.cents > 0);
	return { deals: kept.length, clients: new Set(kept.map(([, v]) => v.customer)).size, cents: new Map(kept.map(([k, v]) => [k, v.cents])) };
}

const count = async (d: TestDirectus, collection: string, filter?: object) => {
	const [row] = await d.sdk.request(aggregate(collection, { aggregate: { count: '*' }, query: filter ? { filter } : {} }));
	return Number((row as any).count);
};

describe('demo data and retail import', () => {
	let d: TestDirectus;
	beforeAll(async () => {
		d = await bootDirectus();
	});
	afterAll(async () => d?.stop());

	let first: { clients: number; deals: number; items: number };
	it('seeds the number of clients asked for, with the deals and items it reports, counted over REST', async () => {
		const run = await runScript(d, 'seed.ts', ['--clients', '400', '--seed', '7', '--as-of', '2026-01-01', '--batch', '150']);
		expect(run.code, run.stderr).toBe(0);
		first = run.json.seeded;
		expect(first.clients).toBe(400);
		expect(await count(d, 'clients')).toBe(400);
		expect(await count(d, 'deals')).toBe(first.deals);
		expect(await count(d, 'deal_items')).toBe(first.items);
		expect(run.stderr).toMatch(/Seeding .*100%/);
		// and says what happens next: the running instance picks the queued clients up
		expect(run.stderr).toMatch(/The changed clients are queued: a running Directus scores, tags and re-qualifies them/);
	});

	it('gives a realistic base: heavy-tailed deals, all statuses, loss reasons, lead sources, some without consent', async () => {
		const perClient = (await d.knex('deals').select('client').count({ n: '*' }).groupBy('client')).map((r) => Number(r.n));
		const mean = perClient.reduce((a, b) => a + b, 0) / 400;
		expect(mean).toBeGreaterThan(6);
		expect(mean).toBeLessThan(14);
		expect(perClient.filter((n) => n === 1).length / 400, 'many one-deal clients').toBeGreaterThan(0.25);
		expect(Math.max(...perClient), 'a loyal head').toBeGreaterThanOrEqual(30);
		for (const status of ['won', 'lost', 'open', 'uninterested']) expect(await count(d, 'deals', { status: { _eq: status } }), status).toBeGreaterThan(0);
		expect(await count(d, 'deals', { _and: [{ status: { _eq: 'lost' } }, { loss_reason: { _null: true } }] })).toBe(0);
		expect(await count(d, 'deals', { loss_reason: { _eq: 'price' } })).toBeGreaterThan(0);
		expect(await count(d, 'deals', { promo_code: { _nnull: true } })).toBeGreaterThan(0);
		expect(await count(d, 'clients', { email_consent: { _eq: false } })).toBeGreaterThan(0);
		expect(await count(d, 'clients', { email_consent: { _eq: true } })).toBeGreaterThan(200);
		expect((await d.knex('clients').distinct('lead_source')).length).toBeGreaterThanOrEqual(5);
		const categories = await d.knex('product_categories').select('name', 'interest_days');
		expect(new Set(categories.map((c) => c.interest_days)).size, 'categories with different interest lifetimes').toBeGreaterThan(3);
		// won deals carry items whose total is the deal amount
		const mismatched = await d.knex.raw(
			`SELECT d.id FROM deals d JOIN deal_items i ON i.deal = d.id WHERE d.status = 'won' GROUP BY d.id, d.amount HAVING ABS(SUM(i.quantity * i.price) - d.amount) > 0.011`,
		);
		expect(d.db === 'pg' ? mismatched.rows : mismatched).toEqual([]);
	});

	it('is deterministic by seed: the same seed appends the same clients and deals again', async () => {
		const run = await runScript(d, 'seed.ts', ['--clients', '400', '--seed', '7', '--as-of', '2026-01-01']);
		expect(run.code, run.stderr).toBe(0);
		expect(run.json.seeded).toEqual({ ...first, seconds: run.json.seeded.seconds });
		const clients = await d.knex('clients').orderBy('id').select('name', 'email', 'email_consent', 'lead_source');
		expect(clients.slice(400)).toEqual(clients.slice(0, 400));
		const deals = await d.knex('deals').orderBy('id').select('status', 'amount', 'closed_at');
		expect(deals.slice(first.deals)).toEqual(deals.slice(0, first.deals));
		const other = await runScript(d, 'seed.ts', ['--clients', '10', '--seed', '8', '--as-of', '2026-01-01']);
		const added = await d.knex('clients').orderBy('id').offset(800).select('name', 'email');
		expect(other.code).toBe(0);
		expect(added).not.toEqual(clients.slice(0, 10));
	});

	it('rejects bad arguments with a clear message', async () => {
		const run = await runScript(d, 'seed.ts', ['--clients', 'lots']);
		expect(run.code).toBe(2);
		expect(run.stderr).toMatch(/--clients must be an integer/);
	});

	it('refuses an unknown flag before writing anything: `--clientz 5` (a typo) adds no client and no deal', async () => {
		const clients = await count(d, 'clients');
		const deals = await count(d, 'deals');
		const run = await runScript(d, 'seed.ts', ['--clientz', '5']);
		expect(run.stderr).toMatch(/^seed: unknown option --clientz \(did you mean --clients\?\)/);
		expect(run.code).toBe(2);
		expect(await count(d, 'clients')).toBe(clients);
		expect(await count(d, 'deals')).toBe(deals);
		const retail = await runScript(d, 'import-retail.ts', ['--dry-run', RETAIL_CSV]);
		expect(retail.stderr).toMatch(/^import:retail: unknown option --dry-run/);
		expect(retail.code).toBe(2);
		expect(await count(d, 'deals')).toBe(deals);
	});

	it('imports the retail sample: one won deal per kept invoice, clients by CustomerID, skips reported; twice adds nothing', async () => {
		const expected = expectedRetail();
		const clientsBefore = await count(d, 'clients');
		const dealsBefore = await count(d, 'deals');
		const run = await runScript(d, 'import-retail.ts', [RETAIL_CSV]);
		expect(run.code, run.stderr).toBe(0);
		expect(run.stdout).toMatch(/skipped 2000 lines \/ \d+ invoices: no CustomerID \(guest checkout\): lines \d+, \d+/);
		expect(run.stdout).toMatch(/skipped \d+ lines \/ \d+ invoices: cancellation invoice/);
		expect(run.json.skippedRows.no_customer).toBe(2000); // the data set's README: 2,000 rows without CustomerID
		expect(run.json.problemLines).toEqual([]); // a clean file: nothing unreadable, no bad values
		expect(await count(d, 'clients')).toBe(clientsBefore + expected.clients);
		expect(await count(d, 'deals')).toBe(dealsBefore + expected.deals);
		expect(await count(d, 'clients', { external_id: { _nnull: true } })).toBe(expected.clients);

		const client = (await d.http('GET', '/items/clients?filter[external_id][_eq]=12923&fields=external_id,deals.amount,deals.external_id,deals.status,deals.closed_at')).body.data[0];
		expect(client.external_id).toBe('12923');
		for (const deal of client.deals) {
			expect(deal.status).toBe('won');
			expect(Math.round(Number(deal.amount) * 100)).toBe(expected.cents.get(deal.external_id));
		}
		const sample = (await d.http('GET', '/items/deals?filter[external_id][_eq]=569901&fields=closed_at,amount,items.quantity,items.price')).body.data[0];
		expect(new Date(sample.closed_at).toISOString()).toBe('2011-10-06T16:20:00.000Z');
		expect(sample.items.length).toBeGreaterThan(0);

		const again = await runScript(d, 'import-retail.ts', [RETAIL_CSV]);
		expect(again.code, again.stderr).toBe(0);
		expect(again.json.imported).toMatchObject({ clientsCreated: 0, dealsCreated: 0, itemsCreated: 0, productsCreated: 0, dealsAlreadyThere: expected.deals });
		expect(await count(d, 'deals')).toBe(dealsBefore + expected.deals);
	});

	it('import:retail names every line it skips with its number and reason, and imports all the others', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'seg-retail-'));
		const file = join(dir, 'problems.csv');
		writeFileSync(
			file,
			[
				'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country',
				'T9001,85123A,WHITE MUG,2,2011-05-01 10:00:00,1.5,99901.0,United Kingdom',
				'T9002,85123A,"WHITE MUG,1,2011-05-01 10:00:00,2.5,99902.0,United Kingdom', // 3: a quote never closed
				'T9003,85123A,WHITE MUG,1,2011-05-01 10:00:00,2.5,99903.0,United Kingdom', // (was swallowed by line 3)
				'complete garbage', // 5
				'T9004,85123A,WHITE MUG,1,2011-05-01 10:00:00,2.5,abc,United Kingdom', // 6: not "guest checkout"
				'T9005,85123A,WHITE MUG,1,2099-05-01 10:00:00,2.5,99905.0,United Kingdom', // 7: was a won deal in 2099
				'T9006,85123A,WHITE MUG,1,2011-05-01 10:00:00,1e19,99906.0,United Kingdom', // 8: was a 1e19 won deal
				'T9007,85123A,WHITE MUG,1,2011-05-01 10:00:00,2.5,,United Kingdom', // 9: a guest
				'T9008,85123A,WHITE MUG,3,2011-05-01 10:00:00,2,99908.0,United Kingdom',
			].join('\n') + '\n',
		);
		try {
			const run = await runScript(d, 'import-retail.ts', [file]);
			expect(run.code, run.stderr).toBe(0);
			expect(run.stdout).toMatch(/Read 9 lines from \S+problems\.csv: 3 invoices to import, 6 lines skipped/);
			expect(run.stdout).toMatch(/line 3: unterminated quote/);
			expect(run.stdout).toMatch(/line 5: expected 8 fields, found 1/);
			expect(run.stdout).toMatch(/line 6: CustomerID "abc" is not a whole number/);
			expect(run.stdout).toMatch(/line 7: InvoiceDate 2099-05-01 10:00:00 is in the future/);
			expect(run.stdout).toMatch(/line 8: invoice T9006: 1 × 1e19 is beyond the sane range of ±1,000,000,000,000/);
			expect(run.stdout).toMatch(/skipped 1 line \/ 1 invoice: no CustomerID \(guest checkout\): line 9$/m);
			expect(run.json.problemLines.map((l: { line: number; reason: string }) => [l.line, l.reason])).toEqual([
				[3, 'unreadable'], [5, 'unreadable'], [6, 'bad_customer'], [7, 'future_date'], [8, 'absurd_amount'],
			]);
			expect(run.json.imported.dealsCreated).toBe(3);
			const imported = await d.knex('deals').whereLike('external_id', 'T900%').orderBy('external_id').pluck('external_id');
			expect(imported).toEqual(['T9001', 'T9003', 'T9008']);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('lets Directus create rows after the scripts wrote explicit ids (sequences moved on)', async () => {
		const res = await d.http('POST', '/items/clients', { name: 'After Import' });
		expect(res.status).toBe(200);
		const max = await d.knex('clients').max({ m: 'id' }).first();
		expect(res.body.data.id).toBe(Number(max!.m));
	});
});
