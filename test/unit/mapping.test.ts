import { describe, expect, it } from 'vitest';
import { FOLDER_COLLECTION, SEGMENT_NAMES, SETTINGS_COLLECTION } from '../../extensions/segmentation/src/core/base-names.ts';
import { changedMappingKeys, checkMapping, DEFAULT_MAPPING, MAPPING_KEYS, parseMapping, reservedCollectionReason, type LiveSchema } from '../../extensions/segmentation/src/core/mapping.ts';
import * as tables from '../../extensions/segmentation/src/store/tables.ts';

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

	describe('collections a mapping may never name', () => {
		const collectionKeys = ['client_collection', 'deal_collection', 'item_collection', 'product_collection', 'category_collection'] as const;

		it('refuses every Directus system collection in every collection role, in any case, naming the role', () => {
			for (const key of collectionKeys) {
				for (const name of ['directus_users', 'directus_roles', 'directus_permissions', 'DIRECTUS_USERS', 'Directus_Settings']) {
					const r = parseMapping({ ...DEFAULT_MAPPING, [key]: name });
					expect(r.ok, `${key}=${name}`).toBe(false);
					if (r.ok) continue;
					expect(r.errors).toContain(`${key}: "${name}" is a Directus system collection; the mapping may only name collections of the client base`);
				}
			}
		});

		it('refuses the exploit payload of the security review, also through checkMapping with a live schema that has the fields', () => {
			const exploit = {
				...DEFAULT_MAPPING,
				client_collection: 'directus_users', client_name_field: 'first_name', client_email_field: 'email', client_consent_field: 'email_notifications',
				client_lead_source_field: null, client_difficult_field: null, deal_client_field: 'user_created',
			};
			const schema = structuredClone(live);
			schema.collections['directus_users'] = { primary: 'id', fields: { id: f('uuid'), first_name: f('string'), email: f('string'), email_notifications: f('boolean') } };
			schema.collections['deals']!.fields['user_created'] = f('uuid');
			schema.relations = [...schema.relations, { collection: 'deals', field: 'user_created', related_collection: 'directus_users' }];
			const r = checkMapping(exploit, schema);
			expect(r.ok || r.errors).toEqual(['client_collection: "directus_users" is a Directus system collection; the mapping may only name collections of the client base']);
		});

		it('refuses the SEGMENTATION_MAPPING of a fresh install pointing at a system collection (the install parses it with parseMapping)', () => {
			const env = JSON.parse('{"client_collection":"directus_users","client_name_field":"first_name","deal_client_field":"user_created"}');
			expect(parseMapping({ ...DEFAULT_MAPPING, ...env }).ok).toBe(false);
		});

		it("refuses the extension's own collections, its folder and its plain tables", () => {
			const own = [SETTINGS_COLLECTION, FOLDER_COLLECTION, SEGMENT_NAMES.tags, SEGMENT_NAMES.clientTags, SEGMENT_NAMES.segments, SEGMENT_NAMES.members];
			const plain = Object.entries(tables).filter(([name, value]) => name.endsWith('_TABLE') && typeof value === 'string').map(([, value]) => value as string);
			expect(plain.length).toBeGreaterThan(5);
			for (const name of [...own, ...plain, 'segmentation_anything', 'Segments']) {
				expect(reservedCollectionReason(name), name).toMatch(/belongs to the segmentation extension itself/);
				const r = parseMapping({ ...DEFAULT_MAPPING, product_collection: name });
				expect(r.ok, name).toBe(false);
			}
		});

		it('accepts ordinary client-base names, including ones that merely contain a reserved word', () => {
			for (const name of ['customers', 'my_directus_users', 'segments_old', 'client_tags_archive', 'orders']) expect(reservedCollectionReason(name), name).toBeNull();
		});
	});

	describe('changedMappingKeys', () => {
		it('lists only mapping keys whose value differs from the saved one', () => {
			const saved = { ...DEFAULT_MAPPING, rfm_scheme: 'abc' };
			expect(changedMappingKeys(saved, { rfm_scheme: 'quintile' })).toEqual([]);
			expect(changedMappingKeys(saved, { client_collection: 'clients', deal_status_won: 'won' })).toEqual([]);
			expect(changedMappingKeys(saved, { client_collection: 'directus_users', client_lead_source_field: null, rfm_scheme: 'abc' })).toEqual(['client_collection', 'client_lead_source_field']);
			// a missing saved row: every mapping key sent is a change
			expect(changedMappingKeys({}, { deal_status_won: 'won' })).toEqual(['deal_status_won']);
			expect(MAPPING_KEYS.every((key) => changedMappingKeys(saved, { [key]: 'zz_changed' }).length === 1)).toBe(true);
		});
	});
});
