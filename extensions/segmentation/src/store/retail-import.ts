// Loads parsed retail invoices into the base, idempotently: clients by external_id (the CustomerID), deals by
// external_id (the InvoiceNo), products by SKU (the StockCode). A second run adds nothing.
import type { Knex } from 'knex';
import type { Mapping } from '../core/mapping.ts';
import { retailCategory, type RetailInvoice } from '../core/retail.ts';
import { BaseWriter } from './base-writer.ts';
import { enqueueIfInstalled } from './change-queue.ts';
import { bulkInsert, maxId, syncSerial } from './bulk-insert.ts';

/** Interest lifetimes for the categories the importer derives from product descriptions. */
const RETAIL_CATEGORY_DAYS: Record<string, number | null> = {
	Seasonal: 60, Kids: 730, Kitchen: 365, Garden: 365, 'Home decor': 180, Bags: 365, 'Stationery & gift wrap': 90, Gifts: 180,
};

export interface RetailImportResult { clientsCreated: number; dealsCreated: number; itemsCreated: number; productsCreated: number; dealsAlreadyThere: number }

async function existingKeys(knex: Knex, table: string, column: string): Promise<Map<string, number>> {
	const rows = await knex(table).whereNotNull(column).select('id', column);
	return new Map(rows.map((r) => [String(r[column]), Number(r.id)]));
}

export async function importRetailInvoices(knex: Knex, mapping: Mapping, invoices: RetailInvoice[], onProgress?: (done: number) => void): Promise<RetailImportResult> {
	const writer = new BaseWriter(knex, mapping);
	const missing = await writer.missingColumns();
	if (missing.length) throw new Error(`The retail import needs the extension's base schema; missing column(s): ${missing.join(', ')}`);
	const { clients: c, deals: d, items: i, products: p } = writer.n;

	// catalogue: categories by name, products by StockCode
	const products = new Map<string, { name: string; category: string }>();
	for (const inv of invoices) for (const line of inv.lines) if (!products.has(line.stockCode)) products.set(line.stockCode, { name: line.description || line.stockCode, category: retailCategory(line.description) });
	const categories = [...new Set([...products.values()].map((x) => x.category))].map((name, k) => ({ id: k + 1, name, interestDays: RETAIL_CATEGORY_DAYS[name] ?? null }));
	const knownSkus = await existingKeys(knex, p.table, p.sku);
	const newProducts = [...products.entries()].filter(([sku]) => !knownSkus.has(sku));
	const { categoryIds } = await writer.upsertCatalog({ categories, products: [] });
	if (newProducts.length) {
		await bulkInsert(knex, p.table, [{ name: p.name, pg: 'text' }, { name: p.sku, pg: 'text' }, { name: p.category, pg: 'integer' }], newProducts.map(([sku, x]) => [x.name, sku, categoryIds.get(x.category) ?? null]));
	}
	const productIds = await existingKeys(knex, p.table, p.sku);

	// clients by CustomerID
	const clientIds = await existingKeys(knex, c.table, c.externalId);
	let nextClient = (await maxId(knex, c.table)) + 1;
	const newClients: unknown[][] = [];
	for (const inv of invoices) {
		if (clientIds.has(inv.customerId)) continue;
		clientIds.set(inv.customerId, nextClient);
		newClients.push([nextClient++, `Customer ${inv.customerId}${inv.country ? ` (${inv.country})` : ''}`, false, false, inv.customerId, inv.closedAt]);
	}

	// deals by InvoiceNo, items for the new deals only
	const dealIds = await existingKeys(knex, d.table, d.externalId);
	let nextDeal = (await maxId(knex, d.table)) + 1;
	let nextItem = (await maxId(knex, i.table)) + 1;
	const newDeals: unknown[][] = [];
	const newItems: unknown[][] = [];
	let dealsAlreadyThere = 0;
	for (const inv of invoices) {
		if (dealIds.has(inv.invoiceNo)) {
			dealsAlreadyThere++;
			continue;
		}
		const dealId = nextDeal++;
		dealIds.set(inv.invoiceNo, dealId);
		newDeals.push([dealId, clientIds.get(inv.customerId), mapping.deal_status_won, inv.amount, inv.closedAt, inv.closedAt, 'website_form', inv.invoiceNo]);
		for (const line of inv.lines) newItems.push([nextItem++, dealId, productIds.get(line.stockCode) ?? null, line.quantity, line.unitPrice]);
	}

	await knex.transaction(async (trx) => {
		await bulkInsert(
			trx,
			c.table,
			[{ name: c.id, pg: 'integer' }, { name: c.name, pg: 'text' }, { name: c.consent, pg: 'boolean' }, { name: c.difficult, pg: 'boolean' }, { name: c.externalId, pg: 'text' }, { name: c.createdAt, pg: 'timestamptz' }],
			newClients,
		);
		const chunk = 5000;
		for (let k = 0; k < newDeals.length; k += chunk) {
			await bulkInsert(
				trx,
				d.table,
				[
					{ name: d.id, pg: 'integer' }, { name: d.client, pg: 'integer' }, { name: d.status, pg: 'text' }, { name: d.amount, pg: 'numeric' },
					{ name: d.createdAt, pg: 'timestamptz' }, { name: d.closedAt, pg: 'timestamptz' }, { name: d.leadSource, pg: 'text' }, { name: d.externalId, pg: 'text' },
				],
				newDeals.slice(k, k + chunk),
			);
			onProgress?.(Math.min(newDeals.length, k + chunk));
		}
		await bulkInsert(
			trx,
			i.table,
			[{ name: i.id, pg: 'integer' }, { name: i.deal, pg: 'integer' }, { name: i.product, pg: 'integer' }, { name: i.quantity, pg: 'integer' }, { name: i.price, pg: 'numeric' }],
			newItems,
		);
		// the running product picks these clients up from the change queue (scores, tags, segments)
		await enqueueIfInstalled(trx, newDeals.map((deal) => deal[1]));
	});
	for (const t of [c.table, d.table, i.table, p.table]) await syncSerial(knex, t);
	return { clientsCreated: newClients.length, dealsCreated: newDeals.length, itemsCreated: newItems.length, productsCreated: newProducts.length, dealsAlreadyThere };
}
