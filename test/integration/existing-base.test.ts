// Installing onto a base that already exists under other names (the mapping points at it; nothing of it is
// touched), and refusing cleanly when the Core tier's 25-collection limit has no room for ours.
import { afterAll, describe, expect, it } from 'vitest';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';

const id = { field: 'id', type: 'integer', schema: { is_primary_key: true, has_auto_increment: true }, meta: { hidden: true } };
const field = (name: string, type: string) => ({ field: name, type, schema: {}, meta: {} });

async function createCollection(d: TestDirectus, collection: string, fields: object[]) {
	const res = await d.http('POST', '/collections', { collection, meta: { icon: 'box' }, schema: {}, fields: [id, ...fields] });
	expect(res.status, JSON.stringify(res.body)).toBe(200);
}
async function createM2o(d: TestDirectus, collection: string, name: string, related: string) {
	expect((await d.http('POST', `/fields/${collection}`, { field: name, type: 'integer', schema: {}, meta: { special: ['m2o'], interface: 'select-dropdown-m2o' } })).status).toBe(200);
	expect((await d.http('POST', '/relations', { collection, field: name, related_collection: related, schema: { on_delete: 'SET NULL' } })).status).toBe(200);
}
const userCollections = async (d: TestDirectus) =>
	(await d.http('GET', '/collections')).body.data
		.filter((c: any) => c.meta && c.schema && !c.collection.startsWith('directus_'))
		.map((c: any) => c.collection)
		.sort();

const SHOP_MAPPING = {
	client_collection: 'customers', client_name_field: 'full_name', client_email_field: 'mail', client_consent_field: 'newsletter',
	client_lead_source_field: null, client_difficult_field: null,
	deal_collection: 'orders', deal_client_field: 'customer', deal_status_field: 'state',
	deal_status_won: 'paid', deal_status_lost: 'cancelled', deal_status_open: 'new', deal_status_uninterested: 'declined',
	deal_amount_field: 'total', deal_created_field: 'opened', deal_closed_field: 'paid_at', deal_loss_reason_field: null,
	item_collection: 'order_lines', item_deal_field: 'order', item_product_field: 'article',
	product_collection: 'articles', product_category_field: 'article_group',
	category_collection: 'article_groups', category_interest_days_field: 'interest_period',
};

describe('an existing base with its own names', () => {
	let d: TestDirectus;
	afterAll(async () => d?.stop());

	it('adds only the settings collection and its own tables, and maps onto the base as it is', async () => {
		d = await bootDirectus({ extension: false, template: 'bare' });
		await createCollection(d, 'article_groups', [field('title', 'string'), field('interest_period', 'integer')]);
		await createCollection(d, 'articles', [field('title', 'string')]);
		await createM2o(d, 'articles', 'article_group', 'article_groups');
		await createCollection(d, 'customers', [field('full_name', 'string'), field('mail', 'string'), field('newsletter', 'boolean')]);
		await createCollection(d, 'orders', [field('state', 'string'), field('total', 'decimal'), field('opened', 'timestamp'), field('paid_at', 'timestamp')]);
		await createM2o(d, 'orders', 'customer', 'customers');
		await createCollection(d, 'order_lines', [field('qty', 'integer')]);
		await createM2o(d, 'order_lines', 'order', 'orders');
		await createM2o(d, 'order_lines', 'article', 'articles');
		const before = (await d.http('GET', '/fields')).body.data.filter((f: any) => !f.collection.startsWith('directus_'));
		// compared as sets: PostgreSQL lists relations in no fixed order
		const byName = (a: any, b: any) => `${a.collection}.${a.field}`.localeCompare(`${b.collection}.${b.field}`);
		const relationsBefore = (await d.http('GET', '/relations')).body.data.filter((r: any) => !r.collection.startsWith('directus_')).sort(byName);

		await d.restart({ extension: true, env: { SEGMENTATION_MAPPING: JSON.stringify(SHOP_MAPPING) } });
		expect(await userCollections(d)).toEqual(['article_groups', 'articles', 'automations', 'client_tags', 'customers', 'order_lines', 'orders', 'promo_codes', 'promo_sequences', 'segment_members', 'segmentation_settings', 'segments', 'tags']);
		// ours: the settings, the plain bookkeeping tables, on the client collection the engine's fields and the
		// Listmonk sync's two (subscriber id and email status), on the deal collection the promo code, its check and the
		// code it redeemed
		const engineFields = ['tags', 'behaviour', 'rfm_frequency', 'rfm_monetary', 'rfm_r', 'rfm_f', 'rfm_m', 'rfm_code', 'rfm_segment', 'first_purchase_at', 'last_purchase_at', 'avg_order_value', 'purchase_cycle_days', 'next_purchase_due_at', 'is_sleeping', 'lifecycle_stage', 'lifecycle_changed_at', 'value_tier', 'spend_trend', 'rfm_computed_at', 'listmonk_email_status', 'listmonk_subscriber_id', 'client_profile'];
		const ours = ['tags', 'client_tags', 'segments', 'segment_members', 'promo_codes', 'automations', 'promo_sequences'];
		const dealFields = ['promo_code', 'promo_code_status', 'redeemed_promo_code'];
		const all = (await d.http('GET', '/fields')).body.data.filter((f: any) => !f.collection.startsWith('directus_') && !f.collection.startsWith('segmentation_') && !ours.includes(f.collection));
		const added = all.filter((f: any) => f.collection === 'customers' && engineFields.includes(f.field)).map((f: any) => f.field).sort();
		expect(added).toEqual([...engineFields].sort());
		expect(all.filter((f: any) => f.collection === 'orders' && dealFields.includes(f.field)).map((f: any) => f.field).sort()).toEqual(dealFields);
		// the base's own fields as they were, but for their place numbers: the client profile panel goes in after the
		// name and email, so the fields below it move one down (in the same order)
		const unplaced = (fields: any[]) => fields.map((f: any) => ({ ...f, meta: f.meta && { ...f.meta, sort: undefined } }));
		const theirs = all.filter((f: any) => !(f.collection === 'customers' && engineFields.includes(f.field)) && !(f.collection === 'orders' && dealFields.includes(f.field)));
		expect(unplaced(theirs)).toEqual(unplaced(before));
		const formOrder = (fields: any[]) => fields.filter((f: any) => f.collection === 'customers' && f.meta && !engineFields.includes(f.field)).sort((a: any, b: any) => a.meta.sort - b.meta.sort).map((f: any) => f.field);
		expect(formOrder(all)).toEqual(formOrder(before));
		expect(all.find((f: any) => f.collection === 'customers' && f.field === 'client_profile').meta.sort).toBe(before.find((f: any) => f.collection === 'customers' && f.field === 'mail').meta.sort + 1);
		const relationsAfter = (await d.http('GET', '/relations')).body.data.filter((r: any) => !r.collection.startsWith('directus_') && !ours.includes(r.collection)).sort(byName);
		expect(relationsAfter).toEqual(relationsBefore);
		// the segment collections point at the mapped names: tags on customers, categories from article_groups
		const tagRelation = (await d.http('GET', '/relations/client_tags/client')).body.data;
		expect(tagRelation).toMatchObject({ related_collection: 'customers', meta: { one_field: 'tags', junction_field: 'tag' } });
		expect((await d.http('GET', '/relations/tags/category')).body.data.related_collection).toBe('article_groups');

		const status = await d.http('GET', '/segmentation/status');
		expect(status.body.data).toMatchObject({ installed: true, install_error: null, mapping: { ok: true, client_collection: 'customers', deal_status_won: 'paid' } });
		const settings = (await d.http('GET', '/items/segmentation_settings')).body.data;
		expect(settings).toMatchObject(SHOP_MAPPING);

		const policy = (await d.http('GET', '/policies?filter[name][_eq]=Marketer&fields=id,permissions.collection,permissions.action')).body.data[0];
		const readable = policy.permissions.filter((p: any) => p.action === 'read').map((p: any) => p.collection).sort();
		expect(readable).toEqual(['article_groups', 'articles', 'automations', 'client_tags', 'customers', 'order_lines', 'orders', 'promo_codes', 'promo_sequences', 'segment_members', 'segmentation_settings', 'segments', 'tags']);
	});

	it('names the field that does not fit when the mapping is changed wrongly on that base', async () => {
		const res = await d.http('PATCH', '/items/segmentation_settings', { deal_amount_field: 'state' });
		expect(res.status).toBe(400);
		expect(res.body.errors[0].message).toMatch(/deal_amount_field: field "orders.state" is of type string/);
	});
});

describe('the Core tier collection limit', () => {
	let d: TestDirectus;
	afterAll(async () => d?.stop());

	it('refuses to install when our collections would not fit, installing nothing, and installs once room is made', async () => {
		d = await bootDirectus({ extension: false, template: 'bare' });
		for (let k = 1; k <= 16; k++) await createCollection(d, `legacy_${k}`, []);
		await d.restart({ extension: true });

		const status = await d.http('GET', '/segmentation/status');
		expect(status.status).toBe(200);
		expect(status.body.data.installed).toBe(false);
		const error = String(status.body.data.install_error);
		expect(error).toMatch(/needs 13 new collection\(s\)/);
		expect(error).toMatch(/already has 16 of the 25 collections/);
		expect(error).toMatch(/licence/);
		expect(d.log()).toMatch(/\[segmentation\] install failed: Segmentation needs 13/);
		const collections = await userCollections(d);
		expect(collections.filter((c: string) => !c.startsWith('legacy_'))).toEqual([]);
		expect(await d.knex.schema.hasTable('clients')).toBe(false);

		// four collections archived (inactive) free room: 12 + 13 = 25
		for (const k of [13, 14, 15, 16]) expect((await d.http('PATCH', `/collections/legacy_${k}`, { meta: { status: 'inactive' } })).status).toBe(200);
		await d.restart({ extension: true });
		const ok = await d.http('GET', '/segmentation/status');
		expect(ok.body.data).toMatchObject({ installed: true, install_error: null, mapping: { ok: true } });
		expect((await userCollections(d)).filter((c: string) => !c.startsWith('legacy_'))).toEqual(
			['automations', 'client_tags', 'clients', 'deal_items', 'deals', 'product_categories', 'products', 'promo_codes', 'promo_sequences', 'segment_members', 'segmentation_settings', 'segments', 'tags'],
		);
	});
});
