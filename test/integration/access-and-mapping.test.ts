// Who may use segmentation (admins and the Marketer policy; everyone else 403), and how a bad mapping is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootDirectus, login, type TestDirectus } from '../harness/directus.ts';

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
				expect(plain.body.errors[0].message).toMatch(/admin access or the Marketer policy/);
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
