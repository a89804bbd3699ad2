// The Listmonk test double over real HTTP: lists (§3) and pagination (§8).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startListmonkDouble, type ListmonkDouble } from '../listmonk-double/index.ts';
import { apiClient, type ApiClient } from '../listmonk-double/test-client.ts';

const ADMIN = { username: 'admin', token: 'admin-token' };

let double: ListmonkDouble;
let api: ApiClient;

beforeAll(async () => {
	double = await startListmonkDouble({ port: 0, users: [{ ...ADMIN, permissions: 'super' }] });
	api = apiClient(double.url, ADMIN);
});
afterEach(() => double.reset());
afterAll(() => double.close());

async function createList(body: Record<string, unknown>): Promise<any> {
	const res = await api.post('/api/lists', body);
	expect(res.status, JSON.stringify(res.body)).toBe(200);
	return res.body.data;
}

describe('§3 lists', () => {
	it('POST defaults type private, optin single, status active; normalises tags; names are not unique', async () => {
		const l = await createList({ name: 'News', tags: ['  big  deal ', 'Keep', ''], description: 'd' });
		expect(Object.keys(l)).toEqual(['id', 'created_at', 'updated_at', 'uuid', 'name', 'type', 'optin', 'status', 'tags', 'description', 'subscriber_count', 'subscriber_statuses', 'subscription_created_at', 'subscription_updated_at']);
		expect(l).toMatchObject({ name: 'News', type: 'private', optin: 'single', status: 'active', tags: ['big-deal', 'Keep'], description: 'd', subscriber_count: 0, subscriber_statuses: {}, subscription_created_at: null, subscription_updated_at: null });
		expect((await createList({ name: 'News' })).id).toBe(l.id + 1);
		expect((await createList({ name: 'Plain' })).tags).toEqual([]);
	});

	it('validates the name (400) and enums (500)', async () => {
		expect(await api.post('/api/lists', { name: '' })).toMatchObject({ status: 400, body: { message: 'Invalid name' } });
		expect(await api.post('/api/lists', { name: 'n'.repeat(2001) })).toMatchObject({ status: 400, body: { message: 'Invalid name' } });
		expect(await api.post('/api/lists', { name: 'x', type: 'secret' })).toMatchObject({ status: 500, body: { message: 'Error creating List: pq: invalid input value for enum list_type: "secret"' } });
		expect((await api.post('/api/lists', { name: 'x', optin: 'triple' })).status).toBe(500);
	});

	it('GET by id: 400 `List not found`; subscriber_count doubled, statuses correct and non-zero only', async () => {
		expect(await api.get('/api/lists/9')).toMatchObject({ status: 400, body: { message: 'List not found' } });
		const l = await createList({ name: 'L' });
		const ids: number[] = [];
		for (const e of ['a', 'b', 'c']) ids.push((await api.post('/api/subscribers', { email: `${e}@x.com`, lists: [l.id] })).body.data.id);
		await api.put('/api/subscribers/lists', { ids: [ids[0]], target_list_ids: [l.id], action: 'unsubscribe' });
		const all = (await api.get('/api/lists')).body.data.results[0];
		expect(all).toMatchObject({ subscriber_count: 3, subscriber_statuses: { unconfirmed: 2, unsubscribed: 1 } });
		expect((await api.get(`/api/lists/${l.id}`)).body.data).toMatchObject({ subscriber_count: 6, subscriber_statuses: { unconfirmed: 2, unsubscribed: 1 } });
	});

	it('PUT requires name, keeps empty type/optin/description, always replaces tags', async () => {
		const l = await createList({ name: 'L', type: 'public', optin: 'double', tags: ['a'], description: 'keep me' });
		expect(await api.put(`/api/lists/${l.id}`, { tags: ['b'] })).toMatchObject({ status: 400, body: { message: 'Invalid name' } });
		const updated = (await api.put(`/api/lists/${l.id}`, { name: 'Renamed', type: '', description: '' })).body.data;
		expect(updated).toMatchObject({ name: 'Renamed', type: 'public', optin: 'double', description: 'keep me', tags: [] });
		expect((await api.put(`/api/lists/${l.id}`, { name: 'R', tags: ['x y'], status: 'archived' })).body.data).toMatchObject({ tags: ['x-y'], status: 'archived' });
		expect(await api.put('/api/lists/99', { name: 'x' })).toMatchObject({ status: 400, body: { message: 'List not found' } });
		expect((await api.put(`/api/lists/${l.id}`, { name: 'x', type: 'bad' })).status).toBe(500);
	});

	it('DELETE is idempotent and cascades memberships; bulk DELETE by id, query or all', async () => {
		const l = await createList({ name: 'Doomed' });
		await api.post('/api/subscribers', { email: 'a@x.com', lists: [l.id] });
		expect(await api.delete(`/api/lists/${l.id}`)).toMatchObject({ status: 200, body: { data: true } });
		expect(await api.delete(`/api/lists/${l.id}`)).toMatchObject({ status: 200, body: { data: true } });
		expect(double.subscribers()[0]!.lists).toEqual([]);
		const [a, b] = [await createList({ name: 'Alpha news' }), await createList({ name: 'Beta' })];
		await createList({ name: 'Gamma' });
		expect(await api.delete('/api/lists')).toMatchObject({ status: 400, body: { message: 'One or more IDs are invalid: id or query required' } });
		await api.delete(`/api/lists?id=${a.id}`);
		await api.delete('/api/lists?query=beta');
		expect(double.lists().map((x) => x.name)).toEqual(['Gamma']);
		expect(b.id).toBeGreaterThan(a.id);
		await api.delete('/api/lists?all=true');
		expect(double.lists()).toEqual([]);
	});

	it('minimal=true: every list by id without counts; with zero lists the data is []', async () => {
		expect((await api.get('/api/lists?minimal=true')).body).toEqual({ data: [] });
		const l1 = await createList({ name: 'B' });
		await createList({ name: 'A', status: 'archived' });
		await api.post('/api/subscribers', { email: 'a@x.com', lists: [l1.id] });
		const { body } = await api.get('/api/lists?minimal=true&per_page=1&query=zzz');
		expect(body.data).toMatchObject({ total: 2, page: 1, per_page: 2, query: '', search: '' });
		expect(body.data.results.map((l: { name: string; subscriber_count: number; subscriber_statuses: null }) => [l.name, l.subscriber_count, l.subscriber_statuses])).toEqual([
			['B', 0, null],
			['A', 0, null],
		]);
		expect((await api.get('/api/lists?minimal=true&status=archived')).body.data.results.map((l: { name: string }) => l.name)).toEqual(['A']);
	});

	it('filters by query, tag (all of them), type, optin, status; orders by the lowercase order only', async () => {
		await createList({ name: 'Weekly news', tags: ['t1', 't2'], type: 'public' });
		await createList({ name: 'Offers', tags: ['t1'], optin: 'double' });
		await createList({ name: 'Old news', status: 'archived' });
		const names = async (qs: string) => (await api.get(`/api/lists?${qs}`)).body.data.results.map((l: { name: string }) => l.name);
		expect(await names('query=news&order_by=name&order=asc')).toEqual(['Old news', 'Weekly news']);
		expect(await names('tag=t1&tag=t2')).toEqual(['Weekly news']);
		expect(await names('type=public')).toEqual(['Weekly news']);
		expect(await names('optin=double')).toEqual(['Offers']);
		expect(await names('status=archived')).toEqual(['Old news']);
		expect(await names('order_by=name&order=asc')).toEqual(['Offers', 'Old news', 'Weekly news']);
		expect(await names('order_by=name&order=ASC')).toEqual(['Weekly news', 'Old news', 'Offers']);
		expect(await names('')).toEqual(['Old news', 'Offers', 'Weekly news']);
		expect((await api.get('/api/lists?type=bogus')).status).toBe(500);
	});

	it('reads are limited to the caller\'s lists (an empty page, not 403)', async () => {
		const [a] = [await createList({ name: 'A' }), await createList({ name: 'B' })];
		double.addUser({ username: 'scoped', token: 't', permissions: [], listPermissions: { [a.id]: ['list:get'] } });
		const scoped = apiClient(double.url, { username: 'scoped', token: 't' });
		expect((await scoped.get('/api/lists')).body.data.results.map((l: { name: string }) => l.name)).toEqual(['A']);
		expect(await scoped.get(`/api/lists/${a.id + 1}`)).toMatchObject({ status: 403, body: { message: 'permission denied' } });
		expect(await scoped.delete(`/api/lists/${a.id}`)).toMatchObject({ status: 403, body: { message: 'permission denied' } });
	});

	it('GET /api/public/lists: a bare array of public, active lists, no auth', async () => {
		const pub = await createList({ name: 'Pub', type: 'public' });
		await createList({ name: 'Priv' });
		await createList({ name: 'Gone', type: 'public', status: 'archived' });
		const res = await fetch(`${double.url}/api/public/lists`).then((r) => r.json());
		expect(res).toEqual([{ uuid: pub.uuid, name: 'Pub' }]);
	});
});

describe('§8 pagination', () => {
	it('subscribers: default 20, no maximum, all/negative → per_page 0, junk → 20, page < 1 → 1', async () => {
		for (let i = 0; i < 60; i++) await api.post('/api/subscribers', { email: `s${i}@x.com` });
		const page = async (qs: string) => (await api.get(`/api/subscribers?${qs}`)).body.data;
		expect(await page('')).toMatchObject({ per_page: 20, page: 1, total: 60 });
		expect((await page('')).results).toHaveLength(20);
		expect((await page('per_page=55')).results).toHaveLength(55);
		expect(await page('per_page=all')).toMatchObject({ per_page: 0, total: 60 });
		expect((await page('per_page=all')).results).toHaveLength(60);
		expect((await page('per_page=-1')).results).toHaveLength(60);
		expect(await page('per_page=abc')).toMatchObject({ per_page: 20 });
		expect(await page('page=0')).toMatchObject({ page: 1 });
		const last = await page('per_page=25&page=3');
		expect(last).toMatchObject({ page: 3, total: 60 });
		expect(last.results).toHaveLength(10);
		expect(await page('per_page=25&page=9')).toMatchObject({ results: [], total: 60 });
	});

	it('lists: total 0 past the last page; a page is cut before it is sorted', async () => {
		for (const name of ['c', 'a', 'd', 'b']) await createList({ name });
		const page = async (qs: string) => (await api.get(`/api/lists?${qs}`)).body.data;
		expect(await page('per_page=2&page=3')).toMatchObject({ results: [], total: 0, page: 3, per_page: 2 });
		expect((await page('per_page=2&page=2')).total).toBe(4);
		expect((await page('per_page=2&page=1&order_by=name&order=asc')).results.map((l: { name: string }) => l.name)).toEqual(['a', 'c']);
		expect((await page('per_page=all')).per_page).toBe(0);
	});
});
