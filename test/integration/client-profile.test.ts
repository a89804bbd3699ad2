// The client card's profile panel through a real Directus: the alias field the migration adds (near the top of the
// client form, after the name and email), and GET /segmentation/clients/:id/profile — its answer equals the database
// for a scored client in two segments with a tag; 404 for an unknown client, 400 for a bad id; 403 without read on
// the clients; the segments and tags parts left out (null) for a caller who may read the clients but not them.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootDirectus, login, type TestDirectus } from '../harness/directus.ts';
import { makeClientWithDeals } from '../harness/clients.ts';
import { queueSettled } from '../harness/queue.ts';
import { isoOf } from '../../extensions/segmentation/src/store/client-profile.ts';

const DAY = 86_400_000;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const bool = (v: unknown) => (v === null || v === undefined ? null : v === true || v === 1 || v === '1');

describe('client profile', () => {
	let d: TestDirectus;
	let client: number;
	let lead: number;
	let segments: number[];
	let tag: number;
	const profile = (id: number | string, token?: string | null) => d.http('GET', `/segmentation/clients/${id}/profile`, undefined, token);

	beforeAll(async () => {
		d = await bootDirectus();
		await queueSettled(d);
		const make = (name: string, deals: Array<[number, number]>) => makeClientWithDeals(d, name, deals);
		client = await make('Profile Client', [[120, 40], [340.5, 10]]);
		await make('Other Buyer', [[50, 200]]);
		await make('Big Buyer', [[900, 5], [700, 60], [800, 120]]);
		lead = await make('Just A Lead', []);
		const madeTag = await d.http('POST', '/items/tags', { name: 'Kids', color: '#FFA439' });
		expect(madeTag.status, JSON.stringify(madeTag.body)).toBe(200);
		tag = madeTag.body.data.id;
		const expires = new Date(Date.now() + 30 * DAY).toISOString();
		const tagged = await d.http('POST', '/items/client_tags', { client, tag, source: 'manual', expires_at: expires });
		expect(tagged.status, JSON.stringify(tagged.body)).toBe(200);
		segments = [];
		for (const [name, rule] of [['Buyers (profile)', { rfm_frequency: { _gte: 1 } }], ['Consenting (profile)', { email_consent: { _eq: true } }]] as const) {
			const res = await d.http('POST', '/items/segments', { name, kind: 'dynamic', is_active: true, rule });
			expect(res.status, JSON.stringify(res.body)).toBe(200);
			segments.push(res.body.data.id);
		}
		await vi.waitFor(
			async () => expect((await d.knex('segment_members').where({ client }).whereIn('segment', segments).select('segment')).map((r) => Number(r.segment)).sort()).toEqual([...segments].sort()),
			{ timeout: 60_000, interval: 200 },
		);
		await queueSettled(d);
	});
	afterAll(async () => {
		await d?.stop();
	});

	it('adds the profile panel to the client form, right after the name and email, above the computed group', async () => {
		const res = await d.http('GET', '/fields/clients');
		expect(res.status).toBe(200);
		const fields = (res.body.data as Array<{ field: string; meta: { sort: number | null; group: string | null; interface: string | null; special: string[] | null; translations: Array<{ language: string; translation: string }> } | null; schema: unknown }>)
			.filter((f) => f.meta && f.meta.group === null)
			.sort((a, b) => (a.meta!.sort ?? 0) - (b.meta!.sort ?? 0));
		const panel = fields.find((f) => f.field === 'client_profile');
		expect(panel?.meta).toMatchObject({ interface: 'segmentation-client-profile', special: ['alias', 'no-data'] });
		expect(panel?.schema).toBeNull();
		expect(panel?.meta?.translations).toEqual([{ language: 'en-US', translation: 'Client profile' }, { language: 'ru-RU', translation: 'Профиль клиента' }]);
		const order = fields.map((f) => f.field);
		expect(order.indexOf('client_profile')).toBe(order.indexOf('email') + 1);
		expect(order.indexOf('client_profile')).toBeGreaterThan(order.indexOf('name'));
		expect(order.indexOf('client_profile')).toBeLessThan(order.indexOf('behaviour'));
		// no two top-level fields share a place
		const sorts = fields.map((f) => f.meta!.sort);
		expect(new Set(sorts).size).toBe(sorts.length);
		// an alias: no column
		const columns = Object.keys(await d.knex('clients').columnInfo());
		expect(columns).not.toContain('client_profile');
	});

	it('answers what the panel shows, equal to the database', async () => {
		const res = await profile(client);
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		const p = res.body.data;
		const row = await d.knex('clients').where({ id: client }).first();
		expect(row.rfm_code).toMatch(/^[ABC]{3}$/);
		expect(p.scheme).toEqual({ name: 'abc', levels: 3 });
		expect(p.client).toEqual({ id: client, name: 'Profile Client', email: 'profile.client@example.com', email_consent: true });
		expect(p.rfm).toEqual({
			code: row.rfm_code, r: num(row.rfm_r), f: num(row.rfm_f), m: num(row.rfm_m), segment: row.rfm_segment,
			frequency: 2, monetary: num(row.rfm_monetary), avg_order_value: num(row.avg_order_value),
			first_purchase_at: isoOf(row.first_purchase_at), last_purchase_at: isoOf(row.last_purchase_at), computed_at: isoOf(row.rfm_computed_at),
		});
		expect(p.rfm.monetary).toBe(460.5);
		expect(p.lifecycle).toEqual({ stage: row.lifecycle_stage, since: isoOf(row.lifecycle_changed_at) });
		expect(p.lifecycle.stage).toBe('returning');
		expect(p.value_tier).toBe(row.value_tier);
		expect(p.spend_trend).toBe(row.spend_trend);
		expect(p.next_purchase).toEqual({ due_at: isoOf(row.next_purchase_due_at), cycle_days: num(row.purchase_cycle_days), sleeping: bool(row.is_sleeping) });
		expect(p.next_purchase.due_at).not.toBeNull();
		expect(p.listmonk).toEqual({ email_status: row.listmonk_email_status ?? null, subscriber_id: num(row.listmonk_subscriber_id) });

		const members = await d.knex('segment_members as sm').join('segments as s', 's.id', 'sm.segment').where('sm.client', client).select('s.id', 's.name', 's.kind', 's.is_active', 'sm.entered_at');
		expect(p.segments).toHaveLength(members.length);
		expect(p.segments.map((s: { id: number }) => s.id)).toEqual(expect.arrayContaining(segments));
		for (const m of members) {
			expect(p.segments).toContainEqual({ id: Number(m.id), name: m.name, kind: m.kind, is_active: bool(m.is_active), entered_at: isoOf(m.entered_at) });
		}
		const entered = p.segments.find((s: { id: number }) => s.id === segments[0]).entered_at;
		expect(Date.now() - Date.parse(entered)).toBeLessThan(10 * 60_000);

		const tags = await d.knex('client_tags as ct').join('tags as t', 't.id', 'ct.tag').where('ct.client', client).select('t.id', 't.name', 't.color', 'ct.source', 'ct.added_at', 'ct.expires_at');
		expect(p.tags).toEqual(tags.map((t) => ({ id: Number(t.id), name: t.name, color: t.color, source: t.source, added_at: isoOf(t.added_at), expires_at: isoOf(t.expires_at) })));
		expect(p.tags).toContainEqual(expect.objectContaining({ id: tag, name: 'Kids', color: '#FFA439', source: 'manual' }));
		expect(Date.parse(p.tags.find((t: { id: number }) => t.id === tag).expires_at)).toBeGreaterThan(Date.now() + 29 * DAY);
	});

	it('shows a client without purchases as a lead with no RFM cell', async () => {
		const res = await profile(lead);
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		expect(res.body.data.rfm).toMatchObject({ code: null, r: null, frequency: null });
		expect(res.body.data.lifecycle.stage).toBe('lead');
		expect(res.body.data.tags).toEqual([]);
	});

	it('answers 404 for an unknown client and 400 for an id that is not one', async () => {
		const max = Number((await d.knex('clients').max({ id: 'id' }))[0]!.id);
		const missing = await profile(max + 1000);
		expect(missing.status, JSON.stringify(missing.body)).toBe(404);
		expect(missing.body.errors[0].message).toBe(`Client ${max + 1000} does not exist.`);
		for (const bad of ['abc', '0', '-3', '1.5']) {
			const res = await profile(bad);
			expect(res.status, `${bad}: ${JSON.stringify(res.body)}`).toBe(400);
		}
	});

	it('refuses a caller who may not read the clients (403), and leaves out the parts a client reader may not read', async () => {
		const policy = async (name: string, collections: string[]) => {
			const res = await d.http('POST', '/policies', { name, app_access: false, admin_access: false, permissions: collections.map((collection) => ({ collection, action: 'read', fields: ['*'] })) });
			expect(res.status, JSON.stringify(res.body)).toBe(200);
			return res.body.data.id as string;
		};
		const user = async (email: string, policies: string[]) => {
			const res = await d.http('POST', '/users', { email, password: 'profile-password-1', policies: policies.map((p) => ({ policy: p })) });
			expect(res.status, JSON.stringify(res.body)).toBe(200);
			return login(d, email, 'profile-password-1');
		};
		const segmentViewer = await user('profile-viewer@example.com', [await policy('Profile: segments only', ['segmentation_settings', 'segments', 'segment_members', 'tags', 'client_tags'])]);
		const clientReader = await user('profile-reader@example.com', [await policy('Profile: clients only', ['clients'])]);
		const marketerPolicy = (await d.http('GET', '/policies?filter[name][_eq]=Marketer&fields=id')).body.data[0].id as string;
		const marketer = await user('profile-marketer@example.com', [marketerPolicy]);

		const refused = await profile(client, segmentViewer);
		expect(refused.status).toBe(403);
		expect(refused.body.errors[0].message).toMatch(/this needs permission to read "clients"\.$/);
		// no hint whether the client exists
		expect((await profile(999_999, segmentViewer)).status).toBe(403);
		expect((await profile(client, null)).status).toBe(403);

		const partial = await profile(client, clientReader);
		expect(partial.status, JSON.stringify(partial.body)).toBe(200);
		expect(partial.body.data).toMatchObject({ segments: null, tags: null, client: { id: client } });
		expect(partial.body.data.rfm.code).toMatch(/^[ABC]{3}$/);

		const full = await profile(client, marketer);
		expect(full.status, JSON.stringify(full.body)).toBe(200);
		expect(full.body.data).toEqual((await profile(client)).body.data);
	});
});
