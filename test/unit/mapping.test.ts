import { describe, expect, it } from 'vitest';
import { checkMapping, DEFAULT_MAPPING, parseMapping, type LiveSchema } from '../../extensions/segmentation/src/core/mapping.ts';

const f = (type: string) => ({ type });
const live: LiveSchema = {
	collections: {
		clients: { primary: 'id', fields: { id: f('integer'), name: f('string'), email: f('string'), email_consent: f('boolean'), lead_source: f('string'), difficult: f('boolean') } },
		deals: {
			primary: 'id',
			fields: { id: f('integer'), client: f('integer'), status: f('string'), amount: f('decimal'), created_at: f('timestamp'), closed_at: f('timestamp'), loss_reason: f('string'), note: f('text') },
		},
		deal_items: { primary: 'id', fields: { id: f('integer'), deal: f('integer'), product: f('integer') } },
		products: { primary: 'id', fields: { id: f('integer'), category: f('integer') } },
		product_categories: { primary: 'id', fields: { id: f('integer'), interest_days: f('integer') } },
	},
	relations: [
		{ collection: 'deals', field: 'client', related_collection: 'clients' },
		{ collection: 'deal_items', field: 'deal', related_collection: 'deals' },
		{ collection: 'deal_items', field: 'product', related_collection: 'products' },
		{ collection: 'products', field: 'category', related_collection: 'product_categories' },
	],
};

describe('mapping', () => {
	it('accepts the defaults against the base schema', () => {
		expect(checkMapping(DEFAULT_MAPPING, live)).toEqual({ ok: true, mapping: DEFAULT_MAPPING });
	});

	it('names every wrong collection and field at once', () => {
		const r = checkMapping({ ...DEFAULT_MAPPING, deal_collection: 'orders', client_email_field: 'mail', client_consent_field: 'name' }, live);
		expect(r.ok).toBe(false);
		if (r.ok) return;
		expect(r.errors).toContain('deal_collection: collection "orders" does not exist');
		expect(r.errors).toContain('client_email_field: field "mail" does not exist in collection "clients"');
		expect(r.errors).toContain('client_consent_field: field "clients.name" is of type string, expected boolean');
		// the deal fields are not checked against a collection that does not exist
		expect(r.errors.filter((e) => e.startsWith('deal_amount_field'))).toEqual([]);
	});

	it('refuses identifiers that could carry SQL, unknown keys and clashing statuses', () => {
		for (const bad of ['clients"; drop table x; --', '1clients', 'a b', '', 'x'.repeat(64)]) {
			const r = parseMapping({ ...DEFAULT_MAPPING, client_collection: bad });
			expect(r.ok, bad).toBe(false);
		}
		const unknown = parseMapping({ ...DEFAULT_MAPPING, surprise: 1 });
		expect(unknown.ok || unknown.errors).toEqual(['unknown setting(s): surprise']);
		const clash = parseMapping({ ...DEFAULT_MAPPING, deal_status_open: 'won' });
		expect(clash.ok).toBe(false);
	});

	it('lets optional roles be absent (null) and then does not look for them', () => {
		const noLeadSource = { ...DEFAULT_MAPPING, client_lead_source_field: null, deal_loss_reason_field: null };
		const schema = structuredClone(live);
		delete schema.collections['clients']!.fields['lead_source'];
		expect(checkMapping(noLeadSource, schema).ok).toBe(true);
		expect(checkMapping(DEFAULT_MAPPING, schema).ok).toBe(false);
	});

	it('requires relational roles to be many-to-one relations to the right collection', () => {
		const schema = { ...live, relations: live.relations.filter((r) => r.field !== 'client') };
		const r = checkMapping(DEFAULT_MAPPING, schema);
		expect(r.ok || r.errors).toEqual(['deal_client_field: field "deals.client" must be a many-to-one relation to "clients"']);
	});
});
