// Demo data into the mapped base: generated in batches by the pure core, written set-based by the store.
import type { Knex } from 'knex';
import { DEMO_SHARED_CODES, generateCatalog, generateClients } from '../../extensions/segmentation/src/core/demo-data.ts';
import { BaseWriter } from '../../extensions/segmentation/src/store/base-writer.ts';
import { maxId } from '../../extensions/segmentation/src/store/bulk-insert.ts';
import { ensureSharedCodes } from '../../extensions/segmentation/src/store/promo-codes.ts';
import { readMappingFromDatabase } from '../../extensions/segmentation/src/store/live-schema.ts';
import { Progress } from './progress.ts';

export interface SeedOptions {
	clients: number;
	seed: number;
	/** The day the history ends (dates are relative to it); default today, UTC midnight. */
	asOf?: Date;
	batchClients?: number;
	quiet?: boolean;
}

export interface SeedResult { clients: number; deals: number; items: number; seconds: number }

export function todayUtc(): Date {
	const d = new Date();
	return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

export async function seedDemo(knex: Knex, opts: SeedOptions): Promise<SeedResult> {
	const started = Date.now();
	const mapping = await readMappingFromDatabase(knex);
	const writer = new BaseWriter(knex, mapping);
	const missing = await writer.missingColumns();
	if (missing.length) throw new Error(`Demo data needs the extension's base schema; missing column(s): ${missing.join(', ')}`);

	const catalog = generateCatalog(opts.seed);
	const { productIds } = await writer.upsertCatalog(catalog);
	const skuByDemoId = new Map(catalog.products.map((p) => [p.id, p.sku]));
	const productIdOf = (demoId: number) => productIds.get(skuByDemoId.get(demoId)!)!;

	const n = writer.n;
	let nextClient = (await maxId(knex, n.clients.table)) + 1;
	let nextDeal = (await maxId(knex, n.deals.table)) + 1;
	let nextItem = (await maxId(knex, n.items.table)) + 1;
	const asOf = opts.asOf ?? todayUtc();
	const batchSize = opts.batchClients ?? 5000;
	const progress = opts.quiet ? null : new Progress('Seeding', opts.clients, 'clients');
	let deals = 0;
	let items = 0;
	for (let from = 0; from < opts.clients; from += batchSize) {
		const to = Math.min(opts.clients, from + batchSize);
		const batch = generateClients(from, to, { seed: opts.seed, asOf, catalog, firstClientId: nextClient, firstDealId: nextDeal, firstItemId: nextItem });
		await writer.insertBatch(batch, productIdOf);
		nextClient += batch.clients.length;
		nextDeal += batch.deals.length;
		nextItem += batch.items.length;
		deals += batch.deals.length;
		items += batch.items.length;
		progress?.update(to, `${deals.toLocaleString('en')} deals`);
	}
	await writer.syncSequences();
	// the campaign codes demo deals carry exist, so the full pass redeems them (instead of flagging them unknown)
	await ensureSharedCodes(knex, DEMO_SHARED_CODES, 'demo data');
	const seconds = (Date.now() - started) / 1000;
	progress?.done(`${opts.clients.toLocaleString('en')} clients, ${deals.toLocaleString('en')} deals, ${items.toLocaleString('en')} items (${Math.round((opts.clients + deals + items) / seconds).toLocaleString('en')} rows/s)`);
	return { clients: opts.clients, deals, items, seconds };
}

/** Demo data on first start: only into an empty base (no clients), never on top of real data. */
export async function seedIfEmpty(knex: Knex, opts: SeedOptions): Promise<SeedResult | null> {
	const mapping = await readMappingFromDatabase(knex);
	const [{ n } = { n: 0 }] = await knex(mapping.client_collection).count({ n: '*' });
	if (Number(n) > 0) return null;
	console.log(`Empty client base: loading demo data (${opts.clients} clients, seed ${opts.seed}; DEMO_DATA=false to skip) …`);
	return seedDemo(knex, opts);
}
