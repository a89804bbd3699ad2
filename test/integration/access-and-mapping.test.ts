// Who may use segmentation (admins and the Marketer policy; everyone else 403), and how a bad mapping is refused:
// never a Directus system collection or one of ours (from the settings, a restart or SEGMENTATION_MAPPING), and only
// admins change the mapping while marketers keep the engine settings. The installer grants nothing outside the base.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootDirectus, login, type TestDirectus } from '../harness/directus.ts';

/** The security review's payload: the client base mapped onto Directus's users. */
const EXPLOIT = {
	client_collection: 'directus_users',
	client_name_field: 'first_name',
	client_email_field: 'email',
	client_consent_field: 'email_notifications',
	client_lead_source_field: null,
	client_difficult_field: null,
	deal_client_field: 'user_created',
};
const SYSTEM_REFUSAL = /client_collection: "directus_users" is a Directus system collection; the mapping may only name collections of the client base/;
const ENGINE_COLUMNS = ['rfm_code', 'rfm_segment', 'lifecycle_stage', 'value_tier', 'is_sleeping'];

describe('access and mapping', () => {
	let d: TestDirectus;
	let plainToken: string;
	let marketerToken: string;

	beforeAll(async () => {
		d = await bootDirectus();
		const policies = await d.http('GET', '/policies?filter[name][_eq]=Marketer&fields=id,app_access,admin_access');
		expect(policies.body.data).toHaveLength(1);
		const marketerPolicy = policies.body.data[0];
		expect(marketerPolicy).toMatchObject({ app_access: true, admin_access: false });
		const plain = await d.http('POST', '/users', { email: 'plain@example.com', password: 'plain-password-1' });
		expect(plain.status).toBe(200);
		const marketer = await d.http('POST', '/users', { email: 'marketer@example.com', password: 'marketer-password-1', policies: [{ policy: marketerPolicy.id }] });
		expect(marketer.status, JSON.stringify(marketer.body)).toBe(200);
		plainToken = await login(d, 'plain@example.com', 'plain-password-1');
		marketerToken = await login(d, 'marketer@example.com', 'marketer-password-1');
	});
	afterAll(async () => d?.stop());

	describe('access', () => {
		it('answers 403 on the endpoints to anonymous callers and to users without the policies', async () => {
			for (const [method, path] of [['GET', '/segmentation/status'], ['POST', '/segmentation/mapping/check']] as const) {
				const anonymous = await d.http(method, path, method === 'POST' ? {} : undefined, null);
				expect(anonymous.status, `anonymous ${path}`).toBe(403);
				const plain = await d.http(method, path, method === 'POST' ? {} : undefined, plainToken);
				expect(plain.status, `plain ${path}`).toBe(403);
				expect(plain.body.errors[0].message).toMatch(path.endsWith('check') ? /Only an administrator may check a client base mapping/ : /admin access or the Marketer policy/);
			}
		});

		it('answers 403 on the settings to a user without the policies', async () => {
			expect((await d.http('GET', '/items/segmentation_settings', undefined, plainToken)).status).toBe(403);
			expect((await d.http('PATCH', '/items/segmentation_settings', { deal_status_won: 'won' }, plainToken)).status).toBe(403);
			expect((await d.http('GET', '/items/clients', undefined, plainToken)).status).toBe(403);
		});

		it('lets a Marketer in: endpoints, settings read and write, the base read-only', async () => {
			const status = await d.http('GET', '/segmentation/status', undefined, marketerToken);
			expect(status.status).toBe(200);
			expect(status.body.data.installed).toBe(true);
			expect((await d.http('GET', '/items/segmentation_settings', undefined, marketerToken)).status).toBe(200);
			expect((await d.http('PATCH', '/items/segmentation_settings', { deal_status_won: 'won' }, marketerToken)).status).toBe(200);
			for (const c of ['clients', 'deals', 'deal_items', 'products', 'product_categories']) {
				expect((await d.http('GET', `/items/${c}`, undefined, marketerToken)).status, c).toBe(200);
			}
			expect((await d.http('POST', '/items/clients', { name: 'Not allowed' }, marketerToken)).status).toBe(403);
		});

		it('lets an admin in', async () => {
			expect((await d.http('GET', '/segmentation/status')).status).toBe(200);
		});
	});

	describe('mapping', () => {
		const patch = (body: object) => d.http('PATCH', '/items/segmentation_settings', body);
		const message = (res: { body: any }) => String(res.body.errors?.[0]?.message ?? '');

		it('refuses a collection that does not exist, naming the setting and the collection', async () => {
			const res = await patch({ deal_collection: 'dealz' });
			expect(res.status).toBe(400);
			expect(message(res)).toMatch(/deal_collection: collection "dealz" does not exist/);
		});

		it('refuses a missing field, a field of the wrong type and a field that is not the expected relation', async () => {
			let res = await patch({ client_email_field: 'mail' });
			expect(res.status).toBe(400);
			expect(message(res)).toMatch(/client_email_field: field "mail" does not exist in collection "clients"/);
			res = await patch({ deal_amount_field: 'note' });
			expect(res.status).toBe(400);
			expect(message(res)).toMatch(/deal_amount_field: field "deals.note" is of type text, expected decimal/);
			res = await patch({ deal_client_field: 'status' });
			expect(res.status).toBe(400);
			expect(message(res)).toMatch(/deal_client_field: field "deals.status" must be a many-to-one relation to "clients"/);
		});

		it('refuses identifiers that are not plain names (no SQL ever sees them) and clashing status values', async () => {
			let res = await patch({ client_collection: 'clients; DROP TABLE clients; --' });
			expect(res.status).toBe(400);
			expect(message(res)).toMatch(/client_collection: must be a plain identifier/);
			expect(await d.knex.schema.hasTable('clients')).toBe(true);
			res = await patch({ deal_status_won: 'lost' });
			expect(res.status).toBe(400);
			expect(message(res)).toMatch(/must all differ/);
		});

		it('keeps the saved mapping after refusals, and accepts a valid change', async () => {
			const before = (await d.http('GET', '/items/segmentation_settings')).body.data;
			expect(before.deal_collection).toBe('deals');
			expect(before.client_email_field).toBe('email');
			const res = await patch({ deal_status_uninterested: 'not_interested' });
			expect(res.status).toBe(200);
			expect(res.body.data.deal_status_uninterested).toBe('not_interested');
			const status = await d.http('GET', '/segmentation/status');
			expect(status.body.data.mapping).toMatchObject({ ok: true, deal_status_uninterested: 'not_interested' });
			expect((await patch({ deal_status_uninterested: 'uninterested' })).status).toBe(200);
		});

		it('refuses a Directus system collection in the mapping (400, a clear message) for an admin and a marketer alike, changing nothing', async () => {
			const columnsBefore = Object.keys(await d.knex('directus_users').columnInfo()).sort();
			const admin = await patch(EXPLOIT);
			expect(admin.status, JSON.stringify(admin.body)).toBe(400);
			expect(message(admin)).toMatch(SYSTEM_REFUSAL);
			const marketer = await d.http('PATCH', '/items/segmentation_settings', EXPLOIT, marketerToken);
			expect(marketer.status, JSON.stringify(marketer.body)).toBe(400);
			expect(message(marketer)).toMatch(SYSTEM_REFUSAL);
			for (const [key, name] of [['deal_collection', 'directus_roles'], ['product_collection', 'segments'], ['category_collection', 'segmentation_runs'], ['item_collection', 'Directus_Permissions']]) {
				const res = await patch({ [key!]: name });
				expect(res.status, `${key}=${name}`).toBe(400);
				expect(message(res)).toMatch(new RegExp(`${key}: "${name}" (is a Directus system collection|belongs to the segmentation extension itself)`));
			}
			const check = await d.http('POST', '/segmentation/mapping/check', EXPLOIT);
			expect(check.body.data.ok).toBe(false);
			expect(check.body.data.errors.join('\n')).toMatch(SYSTEM_REFUSAL);
			const saved = (await d.http('GET', '/items/segmentation_settings')).body.data;
			expect(saved).toMatchObject({ client_collection: 'clients', client_email_field: 'email', deal_client_field: 'client' });
			expect(Object.keys(await d.knex('directus_users').columnInfo()).sort()).toEqual(columnsBefore);
		});

		it('lets only an admin change the mapping: a marketer gets 403, and keeps changing the engine settings', async () => {
			const denied = await d.http('PATCH', '/items/segmentation_settings', { deal_status_uninterested: 'not_interested' }, marketerToken);
			expect(denied.status, JSON.stringify(denied.body)).toBe(403);
			expect(message(denied)).toMatch(/Only an administrator may change the client base mapping \(deal_status_uninterested\); marketers may change the engine settings/);
			// a mix of an engine setting and a mapping change is refused as a whole
			const current = (await d.http('GET', '/items/segmentation_settings')).body.data;
			const mixed = await d.http('PATCH', '/items/segmentation_settings', { trend_period_days: current.trend_period_days + 1, client_lead_source_field: null }, marketerToken);
			expect(mixed.status).toBe(403);
			expect((await d.http('GET', '/items/segmentation_settings')).body.data).toMatchObject({ deal_status_uninterested: 'uninterested', client_lead_source_field: 'lead_source', trend_period_days: current.trend_period_days });
			// engine settings, and mapping values sent unchanged (a form may send them), are the marketer's
			const engine = await d.http('PATCH', '/items/segmentation_settings', { trend_period_days: current.trend_period_days + 1, deal_status_won: 'won' }, marketerToken);
			expect(engine.status, JSON.stringify(engine.body)).toBe(200);
			expect(engine.body.data.trend_period_days).toBe(current.trend_period_days + 1);
			expect((await d.http('PATCH', '/items/segmentation_settings', { trend_period_days: current.trend_period_days }, marketerToken)).status).toBe(200);
			// the admin may
			expect((await patch({ deal_status_uninterested: 'not_interested' })).status).toBe(200);
			expect((await patch({ deal_status_uninterested: 'uninterested' })).status).toBe(200);
		});

		it('grants the Marketer policy nothing on Directus system collections: only the client base and our collections', async () => {
			const policyId = (await d.knex('segmentation_meta').where({ key: 'marketer_policy_id' }).first('value')).value;
			const granted = await d.knex('directus_permissions').where({ policy: policyId }).select('collection', 'action');
			expect(granted.length).toBeGreaterThan(10);
			expect(granted.filter((p) => String(p.collection).startsWith('directus_'))).toEqual([]);
			const base = ['clients', 'deals', 'deal_items', 'products', 'product_categories', 'segmentation_settings', 'tags', 'client_tags', 'segments', 'segment_members', 'promo_codes', 'automations', 'promo_sequences'];
			expect([...new Set(granted.map((p) => p.collection))].sort()).toEqual([...base].sort());
			expect(granted.filter((p) => ['clients', 'deals', 'deal_items', 'products', 'product_categories'].includes(p.collection)).every((p) => p.action === 'read')).toBe(true);
		});

		it('checks a proposed mapping without saving it', async () => {
			const bad = await d.http('POST', '/segmentation/mapping/check', { product_collection: 'goods', extra_key: 1 });
			expect(bad.status).toBe(200);
			expect(bad.body.data.ok).toBe(false);
			expect(bad.body.data.errors.join('\n')).toMatch(/extra_key/);
			const good = await d.http('POST', '/segmentation/mapping/check', { deal_status_won: 'won' });
			expect(good.body.data).toEqual({ ok: true, errors: [] });
		});
	});
});

describe('a mapping that names a system collection, at install', () => {
	let d: TestDirectus | undefined;
	afterAll(async () => d?.stop());

	it('refuses a saved one at the next start: nothing granted, no column added to directus_users', async () => {
		d = await bootDirectus();
		const d1 = d;
		const columnsBefore = Object.keys(await d1.knex('directus_users').columnInfo()).sort();
		// a mapping saved before the settings refused it (straight into the row, as the old exploit left it)
		await d1.knex('segmentation_settings').update(EXPLOIT);
		await d1.restart();
		const status = await d1.http('GET', '/segmentation/status');
		expect(status.body.data.installed).toBe(false);
		expect(status.body.data.install_error).toMatch(/The saved segmentation mapping is invalid: client_collection: "directus_users" is a Directus system collection/);
		expect(Object.keys(await d1.knex('directus_users').columnInfo()).sort()).toEqual(columnsBefore);
		const policyId = (await d1.knex('segmentation_meta').where({ key: 'marketer_policy_id' }).first('value')).value;
		expect(await d1.knex('directus_permissions').where({ policy: policyId }).where('collection', 'like', 'directus%').select('collection', 'action')).toEqual([]);
		// an admin repairs it; the next start installs again
		const repaired = await d1.http('PATCH', '/items/segmentation_settings', { client_collection: 'clients', client_name_field: 'name', client_email_field: 'email', client_consent_field: 'email_consent', client_lead_source_field: 'lead_source', client_difficult_field: 'difficult', deal_client_field: 'client' });
		expect(repaired.status, JSON.stringify(repaired.body)).toBe(200);
	});

	it('refuses SEGMENTATION_MAPPING naming one on a fresh install: installs nothing', async () => {
		const previous = d;
		d = undefined;
		await previous?.stop();
		const fresh = await bootDirectus({ template: 'bare', env: { SEGMENTATION_MAPPING: JSON.stringify(EXPLOIT) } });
		d = fresh;
		const status = await fresh.http('GET', '/segmentation/status');
		expect(status.status).toBe(200);
		expect(status.body.data.installed).toBe(false);
		expect(status.body.data.install_error).toMatch(/SEGMENTATION_MAPPING is invalid: client_collection: "directus_users" is a Directus system collection/);
		const columns = Object.keys(await fresh.knex('directus_users').columnInfo());
		expect(columns.filter((c) => ENGINE_COLUMNS.includes(c))).toEqual([]);
		expect(await fresh.knex('directus_permissions').where('collection', 'like', 'directus%').whereNotNull('policy').select('policy', 'collection')).toEqual([]);
		expect((await fresh.http('GET', '/policies?filter[name][_eq]=Marketer&fields=id')).body.data).toEqual([]);
	});
});
