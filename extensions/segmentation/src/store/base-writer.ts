// Writes demo and imported rows into the base collections, set-based, with the names the mapping gives.
import type { Knex } from 'knex';
import { baseNames, type BaseNames } from '../core/base-names.ts';
import type { Catalog, ClientBatch, DealStatus } from '../core/demo-data.ts';
import type { Mapping } from '../core/mapping.ts';
import { enqueueIfInstalled } from './change-queue.ts';
import { bulkInsert, syncSerial, type Column } from './bulk-insert.ts';

export class BaseWriter {
	readonly n: BaseNames;
	private readonly statusValues: Record<DealStatus, string>;
	private readonly knex: Knex;
	constructor(knex: Knex, mapping: Mapping) {
		this.knex = knex;
		this.n = baseNames(mapping);
		this.statusValues = { won: mapping.deal_status_won, lost: mapping.deal_status_lost, open: mapping.deal_status_open, uninterested: mapping.deal_status_uninterested };
	}

	/** Columns the writer needs that are missing from the base (an existing base may lack our demo columns). */
	async missingColumns(): Promise<string[]> {
		const missing: string[] = [];
		const want: Array<[string, string[]]> = [
			[this.n.clients.table, this.clientColumns().map((c) => c.name).concat(this.n.clients.externalId)],
			[this.n.deals.table, this.dealColumns().map((c) => c.name).concat(this.n.deals.externalId)],
			[this.n.items.table, [this.n.items.deal, this.n.items.product, this.n.items.quantity, this.n.items.price]],
			[this.n.products.table, [this.n.products.name, this.n.products.sku, this.n.products.category]],
			[this.n.categories.table, [this.n.categories.name, this.n.categories.interestDays]],
		];
		for (const [table, columns] of want) {
			const info = (await this.knex.schema.hasTable(table)) ? await this.knex(table).columnInfo() : {};
			for (const column of columns) if (!(column in info)) missing.push(`${table}.${column}`);
		}
		return missing;
	}

	/** Categories by name and products by SKU, created when missing; returns name → id and sku → id. */
	async upsertCatalog(catalog: Catalog): Promise<{ categoryIds: Map<string, number>; productIds: Map<string, number> }> {
		const { categories: c, products: p } = this.n;
		const existingCategories = new Map<string, number>((await this.knex(c.table).select(c.id, c.name)).map((r) => [r[c.name], Number(r[c.id])]));
		const newCategories = catalog.categories.filter((x) => !existingCategories.has(x.name));
		if (newCategories.length) {
			await bulkInsert(this.knex, c.table, [{ name: c.name, pg: 'text' }, { name: c.interestDays, pg: 'integer' }], newCategories.map((x) => [x.name, x.interestDays]));
		}
		const categoryIds = new Map<string, number>((await this.knex(c.table).select(c.id, c.name)).map((r) => [r[c.name], Number(r[c.id])]));
		const categoryNameById = new Map(catalog.categories.map((x) => [x.id, x.name]));

		const existingSkus = new Set((await this.knex(p.table).whereNotNull(p.sku).select(p.sku)).map((r) => r[p.sku]));
		const newProducts = catalog.products.filter((x) => !existingSkus.has(x.sku));
		if (newProducts.length) {
			await bulkInsert(
				this.knex,
				p.table,
				[{ name: p.name, pg: 'text' }, { name: p.sku, pg: 'text' }, { name: p.category, pg: 'integer' }],
				newProducts.map((x) => [x.name, x.sku, categoryIds.get(categoryNameById.get(x.categoryId)!) ?? null]),
			);
		}
		const productIds = new Map<string, number>((await this.knex(p.table).whereNotNull(p.sku).select(p.id, p.sku)).map((r) => [r[p.sku], Number(r[p.id])]));
		return { categoryIds, productIds };
	}

	/** Clients, their deals and items, in one transaction; ids are those the batch carries. */
	async insertBatch(batch: ClientBatch, productIdOf: (demoProductId: number) => number): Promise<void> {
		const { clients: c, deals: d, items: i } = this.n;
		await this.knex.transaction(async (trx) => {
			await bulkInsert(trx, c.table, this.clientColumns(), batch.clients.map((x) => [x.id, x.name, x.email, x.phone, x.consent, x.leadSource, x.difficult, x.createdAt]));
			await bulkInsert(
				trx,
				d.table,
				this.dealColumns(),
				batch.deals.map((x) => [x.id, x.clientId, this.statusValues[x.status], x.amount, x.createdAt, x.closedAt, x.leadSource, x.promoCode, x.lossReason, x.note]),
			);
			await bulkInsert(
				trx,
				i.table,
				[{ name: i.id, pg: 'integer' }, { name: i.deal, pg: 'integer' }, { name: i.product, pg: 'integer' }, { name: i.quantity, pg: 'integer' }, { name: i.price, pg: 'numeric' }],
				batch.items.map((x) => [x.id, x.dealId, productIdOf(x.productId), x.quantity, x.price]),
			);
			// the running product picks these clients up from the change queue (scores, tags, segments)
			await enqueueIfInstalled(trx, batch.clients.map((x) => x.id));
		});
	}

	clientColumns(): Column[] {
		const c = this.n.clients;
		return [
			{ name: c.id, pg: 'integer' }, { name: c.name, pg: 'text' }, { name: c.email, pg: 'text' }, { name: c.phone, pg: 'text' },
			{ name: c.consent, pg: 'boolean' }, { name: c.leadSource, pg: 'text' }, { name: c.difficult, pg: 'boolean' }, { name: c.createdAt, pg: 'timestamptz' },
		];
	}

	dealColumns(): Column[] {
		const d = this.n.deals;
		return [
			{ name: d.id, pg: 'integer' }, { name: d.client, pg: 'integer' }, { name: d.status, pg: 'text' }, { name: d.amount, pg: 'numeric' },
			{ name: d.createdAt, pg: 'timestamptz' }, { name: d.closedAt, pg: 'timestamptz' }, { name: d.leadSource, pg: 'text' },
			{ name: d.promoCode, pg: 'text' }, { name: d.lossReason, pg: 'text' }, { name: d.note, pg: 'text' },
		];
	}

	/** PostgreSQL serials must move past the explicit ids we wrote. */
	async syncSequences(): Promise<void> {
		for (const t of [this.n.clients.table, this.n.deals.table, this.n.items.table, this.n.products.table, this.n.categories.table]) await syncSerial(this.knex, t);
	}
}
