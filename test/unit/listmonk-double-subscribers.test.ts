// The Listmonk test double over real HTTP: subscribers (§4.1–4.10) and the traps of §9.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startListmonkDouble, type ListmonkDouble } from '../listmonk-double/index.ts';
import { apiClient, type ApiClient } from '../listmonk-double/test-client.ts';

const ADMIN = { username: 'admin', token: 'admin-token' };
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2}$/;

let double: ListmonkDouble;
let api: ApiClient;

beforeAll(async () => {
	double = await startListmonkDouble({ port: 0, users: [{ ...ADMIN, permissions: 'super' }] });
	api = apiClient(double.url, ADMIN);
});
afterEach(() => double.reset());
afterAll(() => double.close());

async function list(name: string, optin: 'single' | 'double' = 'single'): Promise<number> {
	const res = await api.post('/api/lists', { name, optin });
	expect(res.status).toBe(200);
	return res.body.data.id as number;
}

async function subscriber(body: Record<string, unknown>): Promise<any> {
	const res = await api.post('/api/subscribers', body);
	expect(res.status, JSON.stringify(res.body)).toBe(200);
	return res.body.data;
}

const membership = (subscriberId: number, listId: number): string | undefined => double.subscribers().find((s) => s.id === subscriberId)?.lists.find((l) => l.id === listId)?.subscription_status;
const bulk = (body: Record<string, unknown>) => api.put('/api/subscribers/lists', body);

describe('§4.1 subscriber model', () => {
	it('has listmonk\'s fields and full list objects with the subscription columns', async () => {
		const l = await list('News');
		const s = await subscriber({ email: 'a@x.com', lists: [l], attribs: { city: 'Oslo' } });
		expect(Object.keys(s)).toEqual(['id', 'created_at', 'updated_at', 'uuid', 'email', 'name', 'attribs', 'status', 'lists']);
		expect(s).toMatchObject({ email: 'a@x.com', name: 'A', attribs: { city: 'Oslo' }, status: 'enabled' });
		expect(s.uuid).toMatch(/^[0-9a-f-]{36}$/);
		expect(s.created_at).toMatch(TIMESTAMP);
		expect(s.lists).toHaveLength(1);
		expect(s.lists[0]).toMatchObject({ id: l, name: 'News', type: 'private', optin: 'single', status: 'active', subscription_status: 'unconfirmed', subscription_meta: {} });
		expect(s.lists[0].subscription_created_at).toMatch(TIMESTAMP);
		expect(s.lists[0].subscription_updated_at).toMatch(TIMESTAMP);
		expect((await subscriber({ email: 'b@x.com' })).attribs).toEqual({});
	});

	it('masks lists the caller cannot read', async () => {
		const open = await list('Open');
		const hidden = await list('Hidden');
		const s = await subscriber({ email: 'a@x.com', lists: [open, hidden] });
		double.addUser({ username: 'scoped', token: 't', permissions: ['subscribers:get'], listPermissions: { [open]: ['list:get'] } });
		const scoped = apiClient(double.url, { username: 'scoped', token: 't' });
		const { body } = await scoped.get(`/api/subscribers/${s.id}`);
		const masked = body.data.lists.find((x: { id: number }) => x.id === hidden);
		expect(masked).toMatchObject({ name: '*Unknown', restricted: true });
		expect(masked).not.toHaveProperty('description');
		expect(body.data.lists.find((x: { id: number }) => x.id === open).name).toBe('Open');
	});
});

describe('§4.2 e-mail validation and normalisation', () => {
	it('trims and lower-cases, accepts a@b, rejects display names and junk', async () => {
		expect((await subscriber({ email: '  Mixed.Case@Example.COM ' })).email).toBe('mixed.case@example.com');
		expect((await subscriber({ email: 'a@b' })).email).toBe('a@b');
		for (const email of ['John <john@x.com>', '<john@x.com>', 'no-at-sign', 'a@', '@b.c', 'a b@c.d', 'a..b@c.d', '', 'x'.repeat(995) + '@b.com']) {
			expect(await api.post('/api/subscribers', { email }), email).toMatchObject({ status: 400, body: { message: 'Invalid email.' } });
		}
	});
});

describe('§4.3 create', () => {
	it('derives the name from the local part, trims a given one, defaults status to enabled', async () => {
		expect((await subscriber({ email: 'john.doe@x.com' })).name).toBe('John Doe');
		expect((await subscriber({ email: 'mary-ann.o@x.com' })).name).toBe('Mary-Ann O');
		expect(await subscriber({ email: 'c@x.com', name: '  Carl  ' })).toMatchObject({ name: 'Carl', status: 'enabled' });
	});

	it('409 `E-mail already exists.` for an existing e-mail in any letter case; nothing changes', async () => {
		await subscriber({ email: 'dup@x.com', name: 'First' });
		expect(await api.post('/api/subscribers', { email: 'DUP@X.com', name: 'Second' })).toMatchObject({ status: 409, body: { message: 'E-mail already exists.' } });
		expect(double.subscribers().map((s) => s.name)).toEqual(['First']);
	});

	it('memberships: unconfirmed (confirmed with preconfirm), unsubscribed when blocklisted; unknown list ids ignored', async () => {
		const l = await list('L');
		expect((await subscriber({ email: 'a@x.com', lists: [l, 999] })).lists.map((x: { id: number; subscription_status: string }) => [x.id, x.subscription_status])).toEqual([[l, 'unconfirmed']]);
		expect((await subscriber({ email: 'b@x.com', lists: [l], preconfirm_subscriptions: true })).lists[0].subscription_status).toBe('confirmed');
		expect(await subscriber({ email: 'c@x.com', lists: [l], status: 'blocklisted', preconfirm_subscriptions: true })).toMatchObject({ status: 'blocklisted', lists: [{ subscription_status: 'unsubscribed' }] });
	});

	it('an invalid status is a 500 (enum)', async () => {
		expect(await api.post('/api/subscribers', { email: 'a@x.com', status: 'foo' })).toMatchObject({ status: 500, body: { message: 'Error creating Subscriber: pq: invalid input value for enum subscriber_status: "foo"' } });
	});

	it('sends one opt-in mail for the double opt-in lists, none with preconfirm or the setting off', async () => {
		const single = await list('S');
		const dbl = await list('D', 'double');
		const dbl2 = await list('D2', 'double');
		const a = await subscriber({ email: 'a@x.com', lists: [single, dbl, dbl2] });
		await subscriber({ email: 'b@x.com', lists: [dbl], preconfirm_subscriptions: true });
		await subscriber({ email: 'c@x.com', lists: [single] });
		expect(double.optinMails().map((m) => [m.subscriberId, m.listIds])).toEqual([[a.id, [dbl, dbl2]]]);

		const quiet = await startListmonkDouble({ sendOptinConfirmation: false, users: [{ ...ADMIN, permissions: 'super' }] });
		try {
			const q = apiClient(quiet.url, ADMIN);
			const ql = (await q.post('/api/lists', { name: 'D', optin: 'double' })).body.data.id;
			await q.post('/api/subscribers', { email: 'a@x.com', lists: [ql] });
			expect(quiet.optinMails()).toEqual([]);
		} finally {
			await quiet.close();
		}
	});

	it('403 `Permission denied: lists` when none of the given lists may be managed', async () => {
		const l = await list('L');
		double.addUser({ username: 'writer', token: 'w', permissions: ['subscribers:manage'] });
		const writer = apiClient(double.url, { username: 'writer', token: 'w' });
		expect(await writer.post('/api/subscribers', { email: 'a@x.com', lists: [l] })).toMatchObject({ status: 403, body: { message: 'Permission denied: lists' } });
		expect((await writer.post('/api/subscribers', { email: 'a@x.com' })).status).toBe(200);
	});
});

describe('§4.4 read', () => {
	it('400 `Subscriber (N: ) not found`; no read rights on its lists → 403', async () => {
		expect(await api.get('/api/subscribers/42')).toMatchObject({ status: 400, body: { message: 'Subscriber (42: ) not found' } });
		const s = await subscriber({ email: 'a@x.com' });
		double.addUser({ username: 'getall', token: 'g', permissions: ['subscribers:get_all'] });
		expect(await apiClient(double.url, { username: 'getall', token: 'g' }).get(`/api/subscribers/${s.id}`)).toMatchObject({ status: 403, body: { message: `Permission denied: subscriber: ${s.id}` } });
	});

	it('lists newest id first with an exact total and the page envelope', async () => {
		for (const e of ['a', 'b', 'c']) await subscriber({ email: `${e}@x.com` });
		const { body } = await api.get('/api/subscribers');
		expect(Object.keys(body.data)).toEqual(['results', 'search', 'query', 'total', 'per_page', 'page']);
		expect(body.data).toMatchObject({ total: 3, per_page: 20, page: 1, query: '', search: '' });
		expect(body.data.results.map((s: { email: string }) => s.email)).toEqual(['c@x.com', 'b@x.com', 'a@x.com']);
		expect((await api.get('/api/subscribers?search=^nobody$')).body.data).toEqual({ results: [], search: '^nobody$', query: '', total: 0, per_page: 20, page: 1 });
	});

	it('orders by email/name/status/created_at/updated_at; only lowercase asc/desc', async () => {
		await subscriber({ email: 'b@x.com', name: 'Zed' });
		await subscriber({ email: 'a@x.com', name: 'Amy' });
		await subscriber({ email: 'c@x.com', name: 'Max' });
		const emails = async (qs: string) => (await api.get(`/api/subscribers?${qs}`)).body.data.results.map((s: { email: string }) => s.email);
		expect(await emails('order_by=email&order=asc')).toEqual(['a@x.com', 'b@x.com', 'c@x.com']);
		expect(await emails('order_by=email&order=ASC')).toEqual(['c@x.com', 'b@x.com', 'a@x.com']);
		expect(await emails('order_by=name&order=asc')).toEqual(['a@x.com', 'c@x.com', 'b@x.com']);
		expect(await emails('order_by=bogus&order=asc')).toEqual(['b@x.com', 'a@x.com', 'c@x.com']);
	});

	it('search is a case-insensitive regex over name OR email', async () => {
		await subscriber({ email: 'john.doe@x.com' });
		await subscriber({ email: 'johnxdoe@x.com', name: 'Other' });
		await subscriber({ email: 'z@x.com', name: 'Johnny Z' });
		const found = async (search: string) => (await api.get(`/api/subscribers?search=${encodeURIComponent(search)}`)).body.data.results.map((s: { email: string }) => s.email).sort();
		expect(await found('^JOHN\\.doe@x\\.com$')).toEqual(['john.doe@x.com']);
		expect(await found('john.doe')).toEqual(['john.doe@x.com', 'johnxdoe@x.com']);
		expect(await found('johnny')).toEqual(['z@x.com']);
	});

	it('query supports the sync\'s expression forms; anything else is 400 `Error preparing subscriber query: ...`', async () => {
		const a = await subscriber({ email: 'a@x.com', attribs: { directus_id: '7', n: 3 } });
		await subscriber({ email: 'b@x.com', status: 'blocklisted' });
		const c = await subscriber({ email: 'c@x.com' });
		const ids = async (q: string) => {
			const res = await api.get(`/api/subscribers?per_page=all&query=${encodeURIComponent(q)}`);
			expect(res.status, JSON.stringify(res.body)).toBe(200);
			return res.body.data.results.map((s: { id: number }) => s.id).sort();
		};
		expect(await ids("subscribers.email = 'a@x.com'")).toEqual([a.id]);
		expect(await ids("subscribers.email IN ('a@x.com','c@x.com');")).toEqual([a.id, c.id]);
		// lists of plain literals take a set lookup: the same answers as Postgres, exact and typed
		expect(await ids(`subscribers.id IN (${a.id}, ${c.id}, 999999)`)).toEqual([a.id, c.id]);
		expect(await ids(`subscribers.id NOT IN (${a.id}, ${c.id})`)).toHaveLength(1);
		expect(await ids("subscribers.email IN ('A@X.COM')")).toEqual([]);
		expect(await ids(`subscribers.id IN ('${a.id}', '${c.id}')`)).toEqual([a.id, c.id]); // untyped literals cast
		expect(await ids(`subscribers.id IN (${a.id}, NULL)`)).toEqual([a.id]);
		expect(await ids("subscribers.attribs->>'directus_id' = '7'")).toEqual([a.id]);
		expect(await ids("subscribers.status = 'blocklisted'")).toHaveLength(1);
		expect(await ids("subscribers.status = 'enabled' AND subscribers.email != 'a@x.com'")).toEqual([c.id]);
		expect(await ids(`subscribers.updated_at > '${a.created_at}'`)).toHaveLength(2);
		expect(await ids("(subscribers.attribs->>'n')::int >= 3 OR subscribers.id = " + c.id)).toEqual([a.id, c.id]);
		expect((await api.get(`/api/subscribers?query=${encodeURIComponent("subscribers.email = 'a@x.com'")}`)).body.data.query).toBe("subscribers.email = 'a@x.com'");
		for (const bad of ["status = 'x'", 'SELECT 1', 'users.id = 1', "subscribers.email = 'a", 'subscribers.nope = 1']) {
			const res = await api.get(`/api/subscribers?query=${encodeURIComponent(bad)}`);
			expect(res.status, bad).toBe(400);
			expect(res.body.message, bad).toMatch(/^Error preparing subscriber query: /);
		}
	});

	it('list_id and subscription_status filters; several list_id repeat a subscriber per list', async () => {
		const l1 = await list('L1');
		const l2 = await list('L2');
		const a = await subscriber({ email: 'a@x.com', lists: [l1, l2], preconfirm_subscriptions: true });
		const b = await subscriber({ email: 'b@x.com', lists: [l1] });
		await subscriber({ email: 'c@x.com' });
		const page = async (qs: string) => (await api.get(`/api/subscribers?${qs}`)).body.data;
		expect((await page(`list_id=${l1}`)).total).toBe(2);
		expect((await page(`list_id=${l1}&subscription_status=unconfirmed`)).results.map((s: { id: number }) => s.id)).toEqual([b.id]);
		expect((await page(`list_id=${l1}&subscription_status=confirmed&per_page=1`)).total).toBe(1);
		expect((await page('subscription_status=confirmed')).total).toBe(3);
		const both = await page(`list_id=${l1}&list_id=${l2}`);
		expect(both.total).toBe(3);
		expect(both.results.filter((s: { id: number }) => s.id === a.id)).toHaveLength(2);
		expect(await api.get('/api/subscribers?list_id=abc')).toMatchObject({ status: 400, body: { message: 'Invalid ID(s)' } });
	});

	it('GET /api/subscribers/export streams CSV with the same filters plus id', async () => {
		const a = await subscriber({ email: 'a@x.com', name: 'Ann, A', attribs: { k: 1 } });
		await subscriber({ email: 'b@x.com' });
		const res = await api.get(`/api/subscribers/export?id=${a.id}`);
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('text/csv');
		const lines = (res.body as string).trim().split('\n');
		expect(lines[0]).toBe('uuid,email,name,attributes,status,created_at,updated_at');
		expect(lines).toHaveLength(2);
		expect(lines[1]).toContain(`${a.uuid},a@x.com,"Ann, A","{""k"":1}",enabled,`);
	});
});

describe('§4.5 PUT = full replace', () => {
	it('replaces lists and attribs wholesale; omitted lists remove every membership', async () => {
		const l1 = await list('L1');
		const l2 = await list('L2');
		const s = await subscriber({ email: 'a@x.com', lists: [l1, l2], attribs: { keep: 1, crm: { a: 1 } } });
		const res = await api.put(`/api/subscribers/${s.id}`, { email: 'a@x.com', lists: [l2], attribs: { crm: { b: 2 } } });
		expect(res.body.data).toMatchObject({ attribs: { crm: { b: 2 } }, lists: [{ id: l2 }] });
		expect((await api.put(`/api/subscribers/${s.id}`, { email: 'a@x.com' })).body.data).toMatchObject({ attribs: {}, lists: [] });
	});

	it('needs a valid email; keeps name and status when empty; 400 for a long name', async () => {
		const s = await subscriber({ email: 'a@x.com', name: 'Ann', status: 'disabled' });
		expect(await api.put(`/api/subscribers/${s.id}`, { name: 'x' })).toMatchObject({ status: 400, body: { message: 'Invalid email.' } });
		expect((await api.put(`/api/subscribers/${s.id}`, { email: 'A@X.COM', name: '', status: '' })).body.data).toMatchObject({ email: 'a@x.com', name: 'Ann', status: 'disabled' });
		expect(await api.put(`/api/subscribers/${s.id}`, { email: 'a@x.com', name: 'n'.repeat(2001) })).toMatchObject({ status: 400, body: { message: 'Invalid name.' } });
		expect((await api.put(`/api/subscribers/${s.id}`, { email: 'a@x.com', status: 'nope' })).status).toBe(500);
	});

	it('changing to an e-mail in use is a 500 (not 409) and changes nothing', async () => {
		await subscriber({ email: 'taken@x.com' });
		const s = await subscriber({ email: 'a@x.com', name: 'Ann' });
		const res = await api.put(`/api/subscribers/${s.id}`, { email: 'Taken@x.com', name: 'Changed' });
		expect(res.status).toBe(500);
		expect(res.body.message).toMatch(/^Error updating Subscriber: pq: duplicate key value violates unique constraint/);
		expect(double.subscribers().find((x) => x.id === s.id)).toMatchObject({ email: 'a@x.com', name: 'Ann' });
	});

	it('membership statuses: new → unconfirmed/confirmed, confirmed stays, unsubscribed stays, blocklisted → unsubscribed', async () => {
		const [l1, l2, l3, l4] = [await list('1'), await list('2'), await list('3'), await list('4')];
		const s = await subscriber({ email: 'a@x.com', lists: [l1, l2, l3] });
		await bulk({ ids: [s.id], target_list_ids: [l1], action: 'add', status: 'confirmed' });
		await bulk({ ids: [s.id], target_list_ids: [l2], action: 'unsubscribe' });
		await api.put(`/api/subscribers/${s.id}`, { email: 'a@x.com', lists: [l1, l2, l3, l4] });
		expect([membership(s.id, l1), membership(s.id, l2), membership(s.id, l3), membership(s.id, l4)]).toEqual(['confirmed', 'unsubscribed', 'unconfirmed', 'unconfirmed']);
		await api.put(`/api/subscribers/${s.id}`, { email: 'a@x.com', lists: [l1, l2, l3, l4], preconfirm_subscriptions: true });
		expect([membership(s.id, l1), membership(s.id, l2), membership(s.id, l3), membership(s.id, l4)]).toEqual(['confirmed', 'unsubscribed', 'confirmed', 'confirmed']);
		await api.put(`/api/subscribers/${s.id}`, { email: 'a@x.com', lists: [l1, l2], status: 'blocklisted' });
		expect([membership(s.id, l1), membership(s.id, l2), membership(s.id, l3)]).toEqual(['unsubscribed', 'unsubscribed', undefined]);
	});

	it('re-sends the opt-in mail on every PUT while a double opt-in membership is unconfirmed', async () => {
		const d = await list('D', 'double');
		const s = await subscriber({ email: 'a@x.com', lists: [d] });
		await api.put(`/api/subscribers/${s.id}`, { email: 'a@x.com', lists: [d] });
		await api.put(`/api/subscribers/${s.id}`, { email: 'a@x.com', lists: [d] });
		expect(double.optinMails().filter((m) => m.subscriberId === s.id)).toHaveLength(3);
		await api.put(`/api/subscribers/${s.id}`, { email: 'a@x.com', lists: [d], preconfirm_subscriptions: true });
		expect(double.optinMails()).toHaveLength(3);
		expect(membership(s.id, d)).toBe('confirmed');
	});

	it('unknown id: 400 not found without lists, 500 with lists; the update moves updated_at', async () => {
		const l = await list('L');
		expect(await api.put('/api/subscribers/77', { email: 'ghost@x.com' })).toMatchObject({ status: 400, body: { message: 'Subscriber (0: ghost@x.com) not found' } });
		expect((await api.put('/api/subscribers/77', { email: 'ghost@x.com', lists: [l] })).status).toBe(500);
		const s = await subscriber({ email: 'a@x.com' });
		const updated = (await api.put(`/api/subscribers/${s.id}`, { email: 'a@x.com', name: 'New' })).body.data;
		expect(updated.updated_at > s.updated_at).toBe(true);
	});
});

describe('§4.6 PATCH = overlay', () => {
	it('keeps memberships without lists and merges attribs one level deep; null clears them', async () => {
		const l = await list('L');
		const s = await subscriber({ email: 'a@x.com', name: 'Ann', lists: [l], attribs: { keep: 1, crm: { a: 1, b: 2 } } });
		const res = await api.patch(`/api/subscribers/${s.id}`, { attribs: { crm: { c: 3 }, added: true } });
		expect(res.body.data).toMatchObject({ name: 'Ann', email: 'a@x.com', lists: [{ id: l, subscription_status: 'unconfirmed' }] });
		expect(res.body.data.attribs).toEqual({ keep: 1, crm: { c: 3 }, added: true });
		expect((await api.patch(`/api/subscribers/${s.id}`, { attribs: null })).body.data.attribs).toEqual({});
		expect((await api.patch(`/api/subscribers/${s.id}`, { lists: null })).body.data.lists).toHaveLength(1);
		expect((await api.patch(`/api/subscribers/${s.id}`, { lists: [] })).body.data.lists).toEqual([]);
	});

	it('status blocklisted leaves memberships; the blocklist endpoint unsubscribes them', async () => {
		const l = await list('L');
		const s = await subscriber({ email: 'a@x.com', lists: [l], preconfirm_subscriptions: true });
		expect((await api.patch(`/api/subscribers/${s.id}`, { status: 'blocklisted' })).body.data).toMatchObject({ status: 'blocklisted', lists: [{ subscription_status: 'confirmed' }] });
		await api.put(`/api/subscribers/${s.id}/blocklist`);
		expect(membership(s.id, l)).toBe('unsubscribed');
	});

	it('400 for an unknown id; the email rules apply; without lists it checks all lists for opt-in', async () => {
		expect(await api.patch('/api/subscribers/55', { name: 'x' })).toMatchObject({ status: 400, body: { message: 'Subscriber (55: ) not found' } });
		const d = await list('D', 'double');
		const s = await subscriber({ email: 'a@x.com', lists: [d] });
		expect(await api.patch(`/api/subscribers/${s.id}`, { email: 'bad' })).toMatchObject({ status: 400, body: { message: 'Invalid email.' } });
		await api.patch(`/api/subscribers/${s.id}`, { name: 'New' });
		expect(double.optinMails()).toHaveLength(2);
	});
});

describe('§4.7 delete and blocklist', () => {
	it('DELETE by id is idempotent and cascades; bulk DELETE validates ids', async () => {
		const l = await list('L');
		const s = await subscriber({ email: 'a@x.com', lists: [l] });
		expect(await api.delete(`/api/subscribers/${s.id}`)).toMatchObject({ status: 200, body: { data: true } });
		expect(await api.delete(`/api/subscribers/${s.id}`)).toMatchObject({ status: 200, body: { data: true } });
		expect(double.lists()[0]!.subscriber_statuses).toEqual({});
		const b = await subscriber({ email: 'b@x.com' });
		const c = await subscriber({ email: 'c@x.com' });
		expect((await api.delete(`/api/subscribers?id=${b.id}&id=${c.id}`)).body).toEqual({ data: true });
		expect(double.subscribers()).toEqual([]);
		expect(await api.delete('/api/subscribers')).toMatchObject({ status: 400, body: { message: 'One or more IDs are invalid: ids' } });
		expect(await api.delete('/api/subscribers?id=x')).toMatchObject({ status: 400, body: { message: 'One or more IDs are invalid: strconv.Atoi: parsing "x": invalid syntax' } });
	});

	it('blocklist endpoints unsubscribe every membership; un-blocklisting restores none', async () => {
		const [l1, l2] = [await list('1'), await list('2')];
		const a = await subscriber({ email: 'a@x.com', lists: [l1, l2], preconfirm_subscriptions: true });
		const b = await subscriber({ email: 'b@x.com', lists: [l1] });
		expect((await api.put('/api/subscribers/blocklist', { ids: [a.id, b.id] })).body).toEqual({ data: true });
		expect(double.subscribers().map((s) => [s.status, s.lists.map((l) => l.subscription_status)])).toEqual([
			['blocklisted', ['unsubscribed', 'unsubscribed']],
			['blocklisted', ['unsubscribed']],
		]);
		expect(await api.put('/api/subscribers/blocklist', { ids: [] })).toMatchObject({ status: 400, body: { message: 'One or more IDs are invalid: ids' } });
		await api.patch(`/api/subscribers/${a.id}`, { status: 'enabled' });
		expect(membership(a.id, l1)).toBe('unsubscribed');
		expect((await api.put('/api/subscribers/999/blocklist', { ignored: true })).status).toBe(200);
	});
});

describe('§4.8 bulk membership', () => {
	it('checks in order: ids, lists, action', async () => {
		const l = await list('L');
		const s = await subscriber({ email: 'a@x.com' });
		expect(await bulk({ target_list_ids: [l], action: 'add' })).toMatchObject({ status: 400, body: { message: 'No IDs given.' } });
		expect(await bulk({ ids: [s.id], action: 'add' })).toMatchObject({ status: 400, body: { message: 'No lists given.' } });
		expect(await bulk({ ids: [s.id], target_list_ids: [l], action: 'move' })).toMatchObject({ status: 400, body: { message: 'Invalid action.' } });
		// the path form still needs a non-empty body `ids`
		expect(await api.put(`/api/subscribers/lists/${s.id}`, { target_list_ids: [l], action: 'add' })).toMatchObject({ status: 400, body: { message: 'No IDs given.' } });
		expect((await api.put(`/api/subscribers/lists/${s.id}`, { ids: [999], target_list_ids: [l], action: 'add' })).status).toBe(200);
		expect(membership(s.id, l)).toBe('unconfirmed');
	});

	it('add without status: new pairs unconfirmed, existing untouched; with status: overwritten (re-subscribes)', async () => {
		const l = await list('L');
		const s = await subscriber({ email: 'a@x.com', lists: [l] });
		await bulk({ ids: [s.id], target_list_ids: [l], action: 'unsubscribe' });
		expect(membership(s.id, l)).toBe('unsubscribed');
		await bulk({ ids: [s.id], target_list_ids: [l], action: 'add' });
		expect(membership(s.id, l)).toBe('unsubscribed');
		await bulk({ ids: [s.id], target_list_ids: [l], action: 'add', status: 'confirmed' });
		expect(membership(s.id, l)).toBe('confirmed');
		expect(await bulk({ ids: [s.id], target_list_ids: [l], action: 'add', status: 'bogus' })).toMatchObject({ status: 500 });
	});

	it('add ignores blocklisting and sends no opt-in mail', async () => {
		const d = await list('D', 'double');
		const s = await subscriber({ email: 'a@x.com', status: 'blocklisted' });
		await bulk({ ids: [s.id], target_list_ids: [d], action: 'add', status: 'confirmed' });
		expect(membership(s.id, d)).toBe('confirmed');
		const t = await subscriber({ email: 'b@x.com' });
		await bulk({ ids: [t.id], target_list_ids: [d], action: 'add' });
		expect(membership(t.id, d)).toBe('unconfirmed');
		expect(double.optinMails()).toEqual([]);
	});

	it('an unknown subscriber or list id fails the whole call with 500 and changes nothing', async () => {
		const l = await list('L');
		const a = await subscriber({ email: 'a@x.com' });
		const before = double.subscribers();
		const res = await bulk({ ids: [a.id, 999], target_list_ids: [l], action: 'add', status: 'confirmed' });
		expect(res.status).toBe(500);
		expect(res.body.message).toMatch(/^Error updating Subscribers: pq: insert or update on table "subscriber_lists" violates foreign key constraint/);
		expect((await bulk({ ids: [a.id], target_list_ids: [l, 999], action: 'add' })).status).toBe(500);
		expect(double.subscribers()).toEqual(before);
	});

	it('remove and unsubscribe are forgiving; unsubscribe never creates pairs', async () => {
		const [l1, l2] = [await list('1'), await list('2')];
		const s = await subscriber({ email: 'a@x.com', lists: [l1] });
		expect((await bulk({ ids: [s.id, 999], target_list_ids: [l1, l2, 998], action: 'unsubscribe' })).status).toBe(200);
		expect(double.subscribers()[0]!.lists.map((l) => [l.id, l.subscription_status])).toEqual([[l1, 'unsubscribed']]);
		expect((await bulk({ ids: [s.id, 999], target_list_ids: [l1, 998], action: 'remove' })).status).toBe(200);
		expect(double.subscribers()[0]!.lists).toEqual([]);
	});

	it('403 `Permission denied: lists` when no target list may be managed; 403 for a subscriber outside the caller\'s lists', async () => {
		const [mine, theirs] = [await list('Mine'), await list('Theirs')];
		const inside = await subscriber({ email: 'in@x.com', lists: [mine] });
		const outside = await subscriber({ email: 'out@x.com', lists: [theirs] });
		double.addUser({ username: 'scoped', token: 't', permissions: ['subscribers:manage'], listPermissions: { [mine]: ['list:get', 'list:manage'] } });
		const scoped = apiClient(double.url, { username: 'scoped', token: 't' });
		expect(await scoped.put('/api/subscribers/lists', { ids: [inside.id], target_list_ids: [theirs], action: 'add' })).toMatchObject({ status: 403, body: { message: 'Permission denied: lists' } });
		expect(await scoped.put('/api/subscribers/lists', { ids: [outside.id], target_list_ids: [mine], action: 'add' })).toMatchObject({ status: 403, body: { message: `Permission denied: subscriber: ${outside.id}` } });
	});

	it('moves the subscriber\'s updated_at', async () => {
		const l = await list('L');
		const s = await subscriber({ email: 'a@x.com' });
		await bulk({ ids: [s.id], target_list_ids: [l], action: 'add' });
		expect(double.subscribers()[0]!.updated_at > s.updated_at).toBe(true);
	});
});

describe('§4.9 query-based bulk endpoints', () => {
	it('delete and blocklist need query, search or all', async () => {
		const l = await list('L');
		const a = await subscriber({ email: 'a@x.com', lists: [l] });
		await subscriber({ email: 'b@x.com' });
		expect(await api.post('/api/subscribers/query/delete', {})).toMatchObject({ status: 400, body: { message: 'Invalid fields: query' } });
		expect(await api.put('/api/subscribers/query/blocklist', { search: '^a@' })).toMatchObject({ status: 200, body: { data: true } });
		expect(double.subscribers().find((s) => s.id === a.id)).toMatchObject({ status: 'blocklisted', lists: [{ subscription_status: 'unsubscribed' }] });
		expect((await api.post('/api/subscribers/query/delete', { query: "subscribers.email = 'b@x.com'" })).status).toBe(200);
		expect(double.subscribers().map((s) => s.email)).toEqual(['a@x.com']);
		await api.post('/api/subscribers/query/delete', { all: true, query: 'garbage ((' });
		expect(double.subscribers()).toEqual([]);
	});

	it('query add inserts only missing memberships, whatever the status; a bad query is 500', async () => {
		const [l1, l2] = [await list('1'), await list('2')];
		const a = await subscriber({ email: 'a@x.com', lists: [l1] });
		const b = await subscriber({ email: 'b@x.com' });
		await bulk({ ids: [a.id], target_list_ids: [l1], action: 'unsubscribe' });
		expect((await api.put('/api/subscribers/query/lists', { target_list_ids: [l1, l2], action: 'add', status: 'confirmed' })).status).toBe(200);
		expect([membership(a.id, l1), membership(a.id, l2), membership(b.id, l1)]).toEqual(['unsubscribed', 'confirmed', 'confirmed']);
		expect(await api.put('/api/subscribers/query/lists', { action: 'add' })).toMatchObject({ status: 400, body: { message: 'No lists given.' } });
		expect((await api.put('/api/subscribers/query/lists', { target_list_ids: [l1], action: 'add', query: 'nope(' })).status).toBe(500);
		// list_ids filters the source; two or more match nobody
		await api.put('/api/subscribers/query/lists', { list_ids: [l2], target_list_ids: [l1], action: 'remove' });
		expect([membership(a.id, l1), membership(b.id, l1)]).toEqual([undefined, undefined]);
		await api.put('/api/subscribers/query/lists', { list_ids: [l1, l2], target_list_ids: [l2], action: 'unsubscribe' });
		expect(membership(a.id, l2)).toBe('confirmed');
	});

	it('query needs subscribers:sql_query and a JSON body', async () => {
		double.addUser({ username: 'm', token: 'm', permissions: ['subscribers:manage', 'lists:manage_all', 'lists:get_all'] });
		const m = apiClient(double.url, { username: 'm', token: 'm' });
		expect(await m.post('/api/subscribers/query/delete', { query: 'subscribers.id = 1' })).toMatchObject({ status: 403, body: { message: 'Permission denied: subscribers:sql_query' } });
		expect((await api.put('/api/subscribers/query/blocklist', undefined, { body: 'all=true', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
	});
});

describe('§4.10 opt-in', () => {
	it('POST /api/subscribers/{id}/optin re-sends for pending double lists and answers true even with nothing to send', async () => {
		const d = await list('D', 'double');
		const s = await subscriber({ email: 'a@x.com', lists: [d] });
		const t = await subscriber({ email: 'b@x.com' });
		expect((await api.post(`/api/subscribers/${s.id}/optin`)).body).toEqual({ data: true });
		expect((await api.post(`/api/subscribers/${t.id}/optin`)).body).toEqual({ data: true });
		expect(double.optinMails().map((m) => m.subscriberId)).toEqual([s.id, s.id]);
		expect(await api.post('/api/subscribers/999/optin')).toMatchObject({ status: 400, body: { message: 'Subscriber (999: ) not found' } });
	});
});

describe('§9 traps', () => {
	it('add with status re-subscribes, add without status does not', async () => {
		const l = await list('L');
		const s = await subscriber({ email: 'a@x.com', lists: [l], preconfirm_subscriptions: true });
		await bulk({ ids: [s.id], target_list_ids: [l], action: 'unsubscribe' });
		await bulk({ ids: [s.id], target_list_ids: [l], action: 'add' });
		expect(membership(s.id, l)).toBe('unsubscribed');
		await bulk({ ids: [s.id], target_list_ids: [l], action: 'add', status: 'confirmed' });
		expect(membership(s.id, l)).toBe('confirmed');
	});

	it('PUT without lists wipes memberships, PATCH keeps them; PUT/PATCH never re-subscribe', async () => {
		const l = await list('L');
		const s = await subscriber({ email: 'a@x.com', lists: [l], attribs: { a: { x: 1 }, b: 2 } });
		await bulk({ ids: [s.id], target_list_ids: [l], action: 'unsubscribe' });
		await api.patch(`/api/subscribers/${s.id}`, { lists: [l], preconfirm_subscriptions: true, attribs: { a: { y: 2 } } });
		expect(double.subscribers()[0]).toMatchObject({ attribs: { a: { y: 2 }, b: 2 }, lists: [{ subscription_status: 'unsubscribed' }] });
		await api.put(`/api/subscribers/${s.id}`, { email: 'a@x.com' });
		expect(double.subscribers()[0]).toMatchObject({ attribs: {}, lists: [] });
	});

	it('a case-variant email is a 409; lookups are case-insensitive on input', async () => {
		await subscriber({ email: 'Case@X.com' });
		expect((await api.post('/api/subscribers', { email: 'CASE@x.COM' })).status).toBe(409);
		expect((await api.get(`/api/subscribers?query=${encodeURIComponent("subscribers.email = 'case@x.com'")}`)).body.data.total).toBe(1);
	});
});
