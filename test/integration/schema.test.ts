// The schema the extension installs on a new base: collections, fields, relations, the Marketer policy; the same
// after a restart; the number of registered collections the README promises.
import { MIGRATIONS } from '../../extensions/segmentation/src/directus/install/migrations/index.ts';
import { latestVersion } from '../../extensions/segmentation/src/directus/install/migrations/migration.ts';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readCollections, readFields, readRelations } from '@directus/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/env.ts';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';

const BASE = ['clients', 'deals', 'deal_items', 'products', 'product_categories', 'segmentation_settings', 'tags', 'client_tags', 'segments', 'segment_members', 'promo_codes', 'automations', 'promo_sequences'];

describe('schema install', () => {
	let d: TestDirectus;
	beforeAll(async () => {
		// bare: this suite is about the first start's install
		d = await bootDirectus({ template: 'bare' });
		console.log(`[schema] ${d.db}: Directus ready in ${d.bootSeconds.toFixed(1)} s (first start, schema installed)`);
	});
	afterAll(async () => d?.stop());

	const snapshot = async () => {
		const collections = (await d.sdk.request(readCollections()))
			.map((c: any) => ({ collection: c.collection, meta: c.meta && { ...c.meta }, hasSchema: c.schema !== null }))
			.sort((a: any, b: any) => a.collection.localeCompare(b.collection));
		const fields = (await d.sdk.request(readFields()))
			.filter((f: any) => !f.collection.startsWith('directus_'))
			.map((f: any) => ({ collection: f.collection, field: f.field, type: f.type, meta: f.meta, schema: f.schema }))
			.sort((a: any, b: any) => `${a.collection}.${a.field}`.localeCompare(`${b.collection}.${b.field}`));
		const relations = (await d.sdk.request(readRelations()))
			.filter((r: any) => !r.collection.startsWith('directus_'))
			.map((r: any) => ({ collection: r.collection, field: r.field, related: r.related_collection, one_field: r.meta?.one_field, on_delete: r.schema?.on_delete }))
			.sort((a: any, b: any) => `${a.collection}.${a.field}`.localeCompare(`${b.collection}.${b.field}`));
		const policies = (await d.http('GET', '/policies?fields=id,name,app_access,admin_access&limit=-1')).body.data;
		return { collections, fields, relations, policies };
	};

	it('registers the base collections in a folder, with the fields, relations and translations of the App', async () => {
		const { collections, fields, relations } = await snapshot();
		const registered = collections.filter((c: any) => c.meta && c.hasSchema && !c.collection.startsWith('directus_')).map((c: any) => c.collection);
		expect(registered.sort()).toEqual([...BASE].sort());
		for (const name of BASE) expect(collections.find((c: any) => c.collection === name)?.meta.group).toBe('client_base');
		expect(collections.find((c: any) => c.collection === 'client_base')?.hasSchema).toBe(false);

		const field = (c: string, f: string): any => fields.find((x: any) => x.collection === c && x.field === f);
		for (const f of ['name', 'email', 'phone', 'email_consent', 'lead_source', 'difficult', 'external_id', 'date_created', 'deals']) expect(field('clients', f), `clients.${f}`).toBeTruthy();
		for (const f of ['client', 'status', 'amount', 'created_at', 'closed_at', 'lead_source', 'promo_code', 'loss_reason', 'note', 'items']) expect(field('deals', f), `deals.${f}`).toBeTruthy();
		expect(field('clients', 'email_consent').type).toBe('boolean');
		expect(field('clients', 'external_id').schema.is_unique).toBe(true);
		// SQLite has no decimal column type: Directus reads the column back as float there
		expect(field('deals', 'amount').type).toBe(d.db === 'pg' ? 'decimal' : 'float');
		expect(field('deals', 'status').meta.interface).toBe('select-dropdown');
		expect(field('deals', 'status').meta.options.choices.map((c: any) => c.value).sort()).toEqual(['lost', 'open', 'uninterested', 'won']);
		expect(field('deals', 'loss_reason').meta.options.choices.map((c: any) => c.value).sort()).toEqual(['assortment', 'other', 'price']);
		expect(field('deals', 'lead_source').meta.options.choices.map((c: any) => c.value)).toContain('telegram_bot');
		expect(field('deals', 'client').meta.interface).toBe('select-dropdown-m2o');
		// scoring and deletes look deals and items up by their foreign keys
		expect(field('deals', 'client').schema.is_indexed).toBe(true);
		expect(field('deal_items', 'deal').schema.is_indexed).toBe(true);
		expect(field('product_categories', 'interest_days').type).toBe('integer');
		// tags on the client card (many-to-many), the rule edited with the App's filter builder
		expect(field('clients', 'tags').meta).toMatchObject({ interface: 'list-m2m', special: ['m2m'] });
		expect(field('segments', 'rule').meta).toMatchObject({ interface: 'system-filter', options: { collectionName: 'clients' } });
		expect(field('segments', 'member_count').meta.readonly).toBe(true);
		expect(field('client_tags', 'source').meta.options.choices.map((c: any) => c.value)).toEqual(['manual', 'auto']);
		const ru = (collections.find((c: any) => c.collection === "clients") as any).meta.translations.find((t: any) => t.language === 'ru-RU');
		expect(ru.translation).toBe('Клиенты');
		expect(field('clients', 'email_consent').meta.translations.map((t: any) => t.language).sort()).toEqual(['en-US', 'ru-RU']);

		expect(relations).toEqual(
			expect.arrayContaining([
				expect.objectContaining({ collection: 'deals', field: 'client', related: 'clients', one_field: 'deals' }),
				expect.objectContaining({ collection: 'deal_items', field: 'deal', related: 'deals', one_field: 'items', on_delete: 'CASCADE' }),
				expect.objectContaining({ collection: 'deal_items', field: 'product', related: 'products' }),
				expect.objectContaining({ collection: 'products', field: 'category', related: 'product_categories' }),
				expect.objectContaining({ collection: 'client_tags', field: 'client', related: 'clients', one_field: 'tags', on_delete: 'CASCADE' }),
				expect.objectContaining({ collection: 'client_tags', field: 'tag', related: 'tags', on_delete: 'CASCADE' }),
				expect.objectContaining({ collection: 'segment_members', field: 'segment', related: 'segments', one_field: 'members', on_delete: 'CASCADE' }),
				expect.objectContaining({ collection: 'segment_members', field: 'client', related: 'clients', on_delete: 'CASCADE' }),
			]),
		);
	});

	it('registers exactly as many collections as the README states', async () => {
		const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
		const stated = /registers \*\*(\d+) collections\*\*/.exec(readme);
		expect(stated, 'README must say "registers **N collections**"').not.toBeNull();
		const { collections } = await snapshot();
		const ours = collections.filter((c: any) => c.meta && c.hasSchema && !c.collection.startsWith('directus_'));
		expect(ours.length).toBe(Number(stated![1]));
	});

	it('keeps its bookkeeping in plain tables that are not registered collections', async () => {
		expect(await d.knex.schema.hasTable('segmentation_meta')).toBe(true);
		expect(await d.knex.schema.hasTable('segmentation_locks')).toBe(true);
		for (const table of ['segmentation_runs', 'segmentation_segment_events', 'segmentation_segment_snapshots']) expect(await d.knex.schema.hasTable(table), table).toBe(true);
		const registered = await d.knex('directus_collections').whereIn('collection', ['segmentation_meta', 'segmentation_locks', 'segmentation_runs', 'segmentation_segment_events', 'segmentation_segment_snapshots']).select('collection');
		expect(registered).toEqual([]);
	});

	it('accepts nested writes through the reverse relations (client → deals → items)', async () => {
		const product = await d.http('POST', '/items/products', { name: 'Pram', category: { name: 'Kids', interest_days: 1460 } });
		expect(product.status).toBe(200);
		const client = await d.http('POST', '/items/clients?fields=*,deals.*,deals.items.*', {
			name: 'Nested Nina',
			email: 'nina@example.com',
			deals: [{ status: 'won', amount: '199.90', closed_at: '2025-01-02T10:00:00Z', items: [{ product: product.body.data.id, quantity: 1, price: '199.90' }] }],
		});
		expect(client.status).toBe(200);
		const deal = client.body.data.deals[0];
		expect(deal.status).toBe('won');
		expect(Number(deal.amount)).toBeCloseTo(199.9);
		expect(deal.created_at, 'a deal saved without a creation date gets the save time').toBeTruthy();
		expect(deal.items).toHaveLength(1);
	});

	it('reports its status to an admin and is unchanged after a restart', async () => {
		const before = await snapshot();
		const status = await d.http('GET', '/segmentation/status');
		expect(status.status).toBe(200);
		expect(status.body.data).toMatchObject({ installed: true, schema_version: latestVersion(MIGRATIONS), install_error: null, mapping: { ok: true } });
		await d.restart();
		const after = await snapshot();
		expect(after).toEqual(before);
		expect(d.log()).not.toMatch(/install failed/);
		expect(d.log().split(`[segmentation] schema v${latestVersion(MIGRATIONS)} ready`).length - 1).toBe(2);
		expect(d.log()).toMatch(/registered segmentation_settings/);
		console.log(`[schema] ${d.db}: restart ready in ${d.bootSeconds.toFixed(1)} s`);
	});
});
