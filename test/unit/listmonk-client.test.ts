// The Listmonk client against the in-process Listmonk double over real HTTP: auth and permissions, envelopes and
// errors, PATCH vs read-modify-write PUT by version, bulk membership, paging, the import round trip, retries
// (counted in the double's request log), timeouts, the concurrency limit, and a token that never shows.
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ListmonkClient, type ListmonkClientOptions } from '../../extensions/segmentation/src/listmonk/client.ts';
import { listmonkConfig } from '../../extensions/segmentation/src/listmonk/config.ts';
import { EmailExistsError, ListmonkError } from '../../extensions/segmentation/src/listmonk/errors.ts';
import { checkListmonk, LISTMONK_PERMISSIONS_NEEDED } from '../../extensions/segmentation/src/listmonk/health.ts';
import type { ImportParams } from '../../extensions/segmentation/src/listmonk/overlay.ts';
import type { ListmonkEvent } from '../../extensions/segmentation/src/listmonk/transport.ts';
import { startListmonkDouble, type ListmonkDouble } from '../listmonk-double/index.ts';

const TOKEN = 'Zq8tK3vN7wXy2mP5rS9uB4cF6hJ1lD0gA3eR7tYu8iOp2QwE';
const READER_TOKEN = 'Rd7mN2kP9xV4bC6zL1qW8eT3yU5iO0pA7sD2fG4hJ6kL9zX1';
const SECRETS = [TOKEN, READER_TOKEN, Buffer.from(`sync:${TOKEN}`).toString('base64')];

describe('ListmonkClient against the Listmonk double', () => {
	let double: ListmonkDouble;
	const events: ListmonkEvent[] = [];
	/** Every error and client seen, for the last test: none may show a token. */
	const seen: unknown[] = [];

	const clientOf = (url: string, user = 'sync', token = TOKEN, options: ListmonkClientOptions = {}) => {
		const client = new ListmonkClient(listmonkConfig(url, user, token), {
			retryMinDelayMs: 1,
			retryMaxDelayMs: 5,
			timeoutMs: 10_000,
			onEvent: (event) => events.push(event),
			...options,
		});
		seen.push(client);
		return client;
	};
	const client = (options: ListmonkClientOptions = {}) => clientOf(double.url, 'sync', TOKEN, options);
	const failure = async (promise: Promise<unknown>): Promise<ListmonkError> => {
		const error = await promise.then(
			() => null,
			(e: unknown) => e,
		);
		seen.push(error);
		expect(error).toBeInstanceOf(ListmonkError);
		return error as ListmonkError;
	};
	const requests = (method: string, path: string | RegExp) => double.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));

	beforeAll(async () => {
		double = await startListmonkDouble({
			port: 0,
			users: [
				{ username: 'sync', token: TOKEN, permissions: 'super' },
				{ username: 'reader', token: READER_TOKEN, permissions: ['subscribers:get_all', 'lists:get_all'] },
			],
		});
	});
	afterEach(() => double.reset());
	afterAll(() => double.close());

	describe('auth, permissions, health', () => {
		it('reports a healthy, fully permitted Listmonk', async () => {
			const c = client();
			expect(await c.health()).toBe(true);
			expect(await c.version()).toBe('v6.2.0');
			const profile = await c.profile();
			expect(profile.user_role.id).toBe(1);
			expect(await checkListmonk(c)).toEqual({
				configured: true,
				reachable: true,
				credentials: 'ok',
				version: 'v6.2.0',
				patchSupported: true,
				permissions: { needed: [...LISTMONK_PERMISSIONS_NEEDED], missing: [], optional: ['tx:send'], optionalMissing: [] },
			});
		});

		it('tells invalid credentials (403) apart, and reports them', async () => {
			const c = clientOf(double.url, 'sync', 'not-the-token');
			const error = await failure(c.health());
			expect(error).toMatchObject({ kind: 'auth', status: 403, operation: 'GET /api/health', listmonkMessage: 'invalid API credentials', attempts: 1 });
			expect(await checkListmonk(c)).toMatchObject({ configured: true, reachable: true, credentials: 'invalid' });
			expect(requests('GET', '/api/health')).toHaveLength(2); // a 4xx is never retried
		});

		it('names the missing permission, and lists what the role lacks', async () => {
			const reader = clientOf(double.url, 'reader', READER_TOKEN);
			const error = await failure(reader.lists.create({ name: 'x' }));
			expect(error).toMatchObject({ kind: 'permission', status: 403, permission: 'lists:manage_all', operation: 'POST /api/lists' });
			const health = await checkListmonk(reader);
			expect(health.credentials).toBe('ok');
			expect(health.permissions.missing).toEqual(['lists:manage_all', 'subscribers:manage', 'subscribers:sql_query', 'subscribers:import']);
			expect(health.permissions.optionalMissing).toEqual(['tx:send']);
			expect(health.error).toMatch(/lacks: lists:manage_all/);
		});

		it('says "not configured" and "not reachable"', async () => {
			expect(await checkListmonk(null)).toMatchObject({ configured: false, reachable: false, credentials: 'unknown' });
			const gone = await startListmonkDouble({ port: 0 });
			await gone.close();
			const attempts: ListmonkEvent[] = [];
			const c = clientOf(gone.url, 'sync', TOKEN, { retries: 2, onEvent: (e) => attempts.push(e) });
			// refused before anything was sent: even a list create (never repeated once sent) is tried again
			const error = await failure(c.lists.create({ name: 'x' }));
			expect(error).toMatchObject({ kind: 'network', status: null, maybeSent: false, attempts: 3 });
			expect(attempts.filter((e) => e.type === 'request')).toHaveLength(3);
			expect(await checkListmonk(c)).toMatchObject({ configured: true, reachable: false, credentials: 'unknown' });
		});
	});

	describe('lists', () => {
		it('creates, reads, replaces, pages and deletes; a missing list is not_found', async () => {
			const c = client();
			const a = await c.lists.create({ name: 'Segment A', tags: ['crm'], optin: 'single' });
			expect(a).toMatchObject({ name: 'Segment A', tags: ['crm'], type: 'private', optin: 'single', status: 'active' });
			const b = await c.lists.create({ name: 'Segment A', type: 'public' }); // names are not unique
			expect(b.id).not.toBe(a.id);
			expect((await c.lists.get(a.id)).name).toBe('Segment A');
			expect(await c.lists.update(a.id, { name: 'Segment A2', tags: ['crm', 'rfm'] })).toMatchObject({ name: 'Segment A2', tags: ['crm', 'rfm'] });
			expect((await c.lists.all()).map((l) => l.id)).toEqual([a.id, b.id]);
			expect(requests('GET', '/api/lists').at(-1)?.query).toMatchObject({ per_page: 'all', order: 'asc' });
			expect((await c.lists.page({ per_page: 'all' })).per_page).toBe(0);
			expect(await c.lists.delete(a.id)).toBe(true);
			expect(await c.lists.delete(a.id)).toBe(true); // idempotent
			const error = await failure(c.lists.get(a.id));
			expect(error).toMatchObject({ kind: 'not_found', status: 400, listmonkMessage: 'List not found', operation: 'GET /api/lists/{list_id}' });
		});
	});

	describe('subscribers', () => {
		it('creates (409 → EmailExistsError, any case), reads, and a missing one is not_found', async () => {
			const c = client();
			const ann = await c.subscribers.create({ email: 'Ann@Example.com', name: 'Ann', attribs: { crm: { client_id: 1 } } });
			expect(ann).toMatchObject({ email: 'ann@example.com', name: 'Ann', status: 'enabled', attribs: { crm: { client_id: 1 } }, lists: [] });
			const error = await failure(c.subscribers.create({ email: 'ANN@example.com' }));
			expect(error).toBeInstanceOf(EmailExistsError);
			expect(error).toMatchObject({ kind: 'conflict', status: 409, email: 'ann@example.com', operation: 'POST /api/subscribers' });
			expect((await c.subscribers.get(ann.id)).email).toBe('ann@example.com');
			expect(await c.subscribers.findByEmail('ANN@example.com')).toMatchObject({ id: ann.id });
			expect(await c.subscribers.findByEmail('a.n@example.com')).toBeNull();
			const missing = await failure(c.subscribers.get(ann.id + 100));
			expect(missing).toMatchObject({ kind: 'not_found', status: 400, operation: 'GET /api/subscribers/{id}' });
			expect(missing.listmonkMessage).toMatch(/^Subscriber \(\d+: \) not found$/);
		});

		it('takes a 409 on a retried create as its own earlier attempt: returns the subscriber by email', async () => {
			const c = client();
			const existing = await c.subscribers.create({ email: 'bo@example.com' });
			double.faults.add({ kind: 'status', status: 502, method: 'POST', path: '/api/subscribers', times: 1 });
			expect(await c.subscribers.create({ email: 'bo@example.com' })).toMatchObject({ id: existing.id });
			expect(requests('POST', '/api/subscribers').map((r) => r.status)).toEqual([200, 502, 409]);
		});

		it('updates by PATCH on v6.2: lists kept, attribs merged one level deep', async () => {
			const c = client();
			const list = await c.lists.create({ name: 'L' });
			const s = await c.subscribers.create({ email: 'cy@example.com', lists: [list.id], attribs: { crm: { rfm: '555', tier: 'vip' }, city: 'Oslo' } });
			const updated = await c.subscribers.update(s.id, { name: 'Cy', attribs: { crm: { rfm: '111' } } });
			expect(updated).toMatchObject({ name: 'Cy', attribs: { crm: { rfm: '111' }, city: 'Oslo' } });
			expect(updated.lists.map((l) => l.id)).toEqual([list.id]);
			expect(requests('PATCH', `/api/subscribers/${s.id}`)).toHaveLength(1);
			expect(requests('PUT', `/api/subscribers/${s.id}`)).toHaveLength(0);
		});

		it('updates by read-modify-write PUT on v6.0 with the same result', async () => {
			const old = await startListmonkDouble({ port: 0, version: 'v6.0.0', users: [{ username: 'sync', token: TOKEN, permissions: 'super' }] });
			try {
				const c = clientOf(old.url);
				const list = await c.lists.create({ name: 'L' });
				const s = await c.subscribers.create({ email: 'cy@example.com', lists: [list.id], attribs: { crm: { rfm: '555', tier: 'vip' }, city: 'Oslo' } });
				expect(await c.patchSupported()).toBe(false);
				const updated = await c.subscribers.update(s.id, { name: 'Cy', attribs: { crm: { rfm: '111' } } });
				expect(updated).toMatchObject({ name: 'Cy', attribs: { crm: { rfm: '111' }, city: 'Oslo' } });
				expect(updated.lists.map((l) => l.id)).toEqual([list.id]);
				const writes = old.requests.filter((r) => r.path === `/api/subscribers/${s.id}`).map((r) => r.method);
				expect(writes).toEqual(['GET', 'PUT']);
				expect(old.requests.find((r) => r.method === 'PUT')?.body).toMatchObject({ email: 'cy@example.com', lists: [list.id], attribs: { crm: { rfm: '111' }, city: 'Oslo' } });
			} finally {
				await old.close();
			}
		});

		it('falls back to PUT on a 405 when the version is unknown, and remembers', async () => {
			double.faults.add({ kind: 'status', status: 404, method: 'GET', path: '/api/config' });
			double.faults.add({ kind: 'status', status: 405, method: 'PATCH' });
			const c = client();
			const s = await c.subscribers.create({ email: 'di@example.com', attribs: { a: 1 } });
			expect(await c.patchSupported()).toBeNull();
			expect((await c.subscribers.update(s.id, { attribs: { b: 2 } })).attribs).toEqual({ a: 1, b: 2 });
			expect((await c.subscribers.update(s.id, { attribs: { c: 3 } })).attribs).toEqual({ a: 1, b: 2, c: 3 });
			expect(requests('PATCH', /^\/api\/subscribers\//)).toHaveLength(1);
			expect(requests('PUT', `/api/subscribers/${s.id}`)).toHaveLength(2);
			expect(await c.patchSupported()).toBe(false);
		});

		it('blocklists one and many: status blocklisted, memberships unsubscribed', async () => {
			const c = client();
			const list = await c.lists.create({ name: 'L' });
			const ids = [];
			for (const email of ['e1@example.com', 'e2@example.com', 'e3@example.com']) ids.push((await c.subscribers.create({ email, lists: [list.id], preconfirm_subscriptions: true })).id);
			expect(await c.subscribers.blocklist(ids[0]!)).toBe(true);
			await c.subscribers.blocklistMany(ids.slice(1));
			for (const s of double.subscribers()) expect(s).toMatchObject({ status: 'blocklisted', lists: [{ subscription_status: 'unsubscribed' }] });
		});
	});

	describe('bulk membership', () => {
		it('adds without a status (an opted-out member stays out), forces a status only by name, removes', async () => {
			const c = client();
			const [l1, l2] = [await c.lists.create({ name: 'L1' }), await c.lists.create({ name: 'L2' })];
			const ids: number[] = [];
			for (const email of ['f1@example.com', 'f2@example.com']) ids.push((await c.subscribers.create({ email })).id);
			const status = (id: number, listId: number) => double.subscribers().find((s) => s.id === id)?.lists.find((l) => l.id === listId)?.subscription_status;

			await c.subscribers.addToLists(ids, [l1.id, l2.id]);
			expect(status(ids[0]!, l1.id)).toBe('unconfirmed');
			await c.subscribers.unsubscribeFromLists([ids[0]!], [l1.id]);
			await c.subscribers.addToLists(ids, [l1.id]);
			expect(status(ids[0]!, l1.id)).toBe('unsubscribed');
			for (const r of requests('PUT', '/api/subscribers/lists')) expect(r.body).not.toHaveProperty('status');

			// @ts-expect-error: `add` with a status re-subscribes opted-out members; it has its own method
			await c.subscribers.changeMemberships({ action: 'add', ids, listIds: [l1.id], status: 'confirmed' });

			await c.subscribers.forceMembershipStatus([ids[0]!], [l1.id], 'confirmed');
			expect(status(ids[0]!, l1.id)).toBe('confirmed');
			await c.subscribers.removeFromLists(ids, [l2.id]);
			expect(status(ids[1]!, l2.id)).toBeUndefined();
			const before = double.requests.length;
			await c.subscribers.addToLists([], [l1.id]); // nothing to do: no request (Listmonk would 400)
			expect(double.requests.length).toBe(before);
		});
	});

	describe('paging and import', () => {
		const csv = (n: number, from = 0) => ['email,name,attributes', ...Array.from({ length: n }, (_, i) => `p${from + i}@example.com,P ${from + i},"{""crm"":{""n"":${from + i}}}"`)].join('\n');

		it('imports a CSV (multipart, *.csv, params as JSON) and polls it to the end', async () => {
			const c = client();
			const list = await c.lists.create({ name: 'Imported' });
			const progress: string[] = [];
			const result = await c.imports.run(csv(3), { mode: 'subscribe', delim: ',', lists: [list.id], subscription_status: 'confirmed', overwrite_userinfo: true }, { pollMs: 5, maxPollMs: 20, onProgress: (s) => progress.push(s.status) });
			expect(result.status).toMatchObject({ status: 'finished', total: 3, imported: 3 });
			expect(typeof result.log).toBe('string');
			expect(double.subscribers().map((s) => [s.email, s.attribs, s.lists[0]?.subscription_status])).toEqual([
				['p0@example.com', { crm: { n: 0 } }, 'confirmed'],
				['p1@example.com', { crm: { n: 1 } }, 'confirmed'],
				['p2@example.com', { crm: { n: 2 } }, 'confirmed'],
			]);
			const upload = requests('POST', '/api/import/subscribers')[0]?.body as { params: string; file: { filename: string } };
			expect(upload.file.filename).toMatch(/\.csv$/);
			expect(JSON.parse(upload.params)).toEqual({ mode: 'subscribe', delim: ',', lists: [list.id], subscription_status: 'confirmed', overwrite_userinfo: true });
		});

		it('waits for a running import before starting its own', async () => {
			const slow = await startListmonkDouble({ port: 0, importRowDelayMs: 2, users: [{ username: 'sync', token: TOKEN, permissions: 'super' }] });
			try {
				const c = clientOf(slow.url);
				const list = await c.lists.create({ name: 'Imported' });
				const params: ImportParams = { mode: 'subscribe', delim: ',', lists: [list.id] };
				expect((await c.imports.start(csv(50), params)).status).toBe('importing');
				const result = await c.imports.run(csv(5, 50), params, { pollMs: 5, maxPollMs: 20 });
				expect(result.status).toMatchObject({ status: 'finished', imported: 5 });
				expect(slow.subscribers()).toHaveLength(55);
				const posts = slow.requests.filter((r) => r.path === '/api/import/subscribers').map((r) => `${r.method} ${r.status}`);
				expect(posts[0]).toBe('POST 200');
				expect(posts.indexOf('POST 200', 1)).toBeGreaterThan(2); // polled the first one before starting
			} finally {
				await slow.close();
			}
		});

		it('reads everything with per_page=all, or in chunks stopping on a short page', async () => {
			const c = client();
			await c.imports.run(csv(120), { mode: 'subscribe', delim: ',', lists: [(await c.lists.create({ name: 'L' })).id] }, { pollMs: 5, maxPollMs: 20 });
			const all = await c.subscribers.page({ per_page: 'all' });
			expect(all).toMatchObject({ per_page: 0, total: 120 });
			expect(all.results).toHaveLength(120);

			double.requests.length = 0;
			const chunked = await c.subscribers.all({}, { perPage: 50 });
			expect(chunked.map((s) => s.email)).toEqual(Array.from({ length: 120 }, (_, i) => `p${i}@example.com`));
			expect(requests('GET', '/api/subscribers').map((r) => [r.query['page'], r.query['per_page'], r.query['order']])).toEqual([
				['1', '50', 'asc'],
				['2', '50', 'asc'],
				['3', '50', 'asc'],
			]);
			double.requests.length = 0;
			expect(await c.subscribers.all({}, { perPage: 60 })).toHaveLength(120);
			expect(requests('GET', '/api/subscribers')).toHaveLength(3); // 60, 60, then an empty page
		});
	});

	describe('transport', () => {
		it('retries 5xx with backoff and succeeds', async () => {
			double.faults.add({ kind: 'status', status: 503, method: 'GET', path: '/api/lists', times: 2 });
			expect(await client().lists.all()).toEqual([]);
			expect(requests('GET', '/api/lists').map((r) => r.status)).toEqual([503, 503, 200]);
		});

		it('gives up after its retries with a server error', async () => {
			double.faults.add({ kind: 'status', status: 500, path: '/api/lists' });
			const error = await failure(client({ retries: 2 }).lists.all());
			expect(error).toMatchObject({ kind: 'server', status: 500, attempts: 3 });
			expect(requests('GET', '/api/lists')).toHaveLength(3);
		});

		it('retries a reset connection', async () => {
			const c = client();
			const s = await c.subscribers.create({ email: 'g@example.com' });
			double.faults.add({ kind: 'reset', method: 'GET', path: `/api/subscribers/${s.id}`, times: 1 });
			expect((await c.subscribers.get(s.id)).id).toBe(s.id);
			expect(requests('GET', `/api/subscribers/${s.id}`).map((r) => r.status)).toEqual([0, 200]);
		});

		it('never retries a 4xx', async () => {
			double.faults.add({ kind: 'status', status: 400, path: '/api/lists', times: 1 });
			expect(await failure(client().lists.all())).toMatchObject({ kind: 'bad_request', status: 400 });
			expect(requests('GET', '/api/lists')).toHaveLength(1);
		});

		it('never repeats an unsafe call once it may have reached Listmonk', async () => {
			const c = client();
			double.faults.add({ kind: 'status', status: 500, method: 'POST', path: '/api/lists', times: 1 });
			expect(await failure(c.lists.create({ name: 'x' }))).toMatchObject({ kind: 'server', attempts: 1 });
			double.faults.add({ kind: 'reset', method: 'POST', path: '/api/lists', times: 1 });
			expect(await failure(c.lists.create({ name: 'x' }))).toMatchObject({ kind: 'network', maybeSent: true, attempts: 1 });
			expect(requests('POST', '/api/lists')).toHaveLength(2);
			expect(double.lists()).toEqual([]);
		});

		it('times out an attempt that gets no answer, and retries it', async () => {
			double.faults.add({ kind: 'timeout', path: '/api/health' });
			const error = await failure(client({ timeoutMs: 100, retries: 0 }).health());
			expect(error).toMatchObject({ kind: 'timeout', status: null, operation: 'GET /api/health' });
			double.faults.clear();
			double.requests.length = 0;
			double.faults.add({ kind: 'timeout', path: '/api/health', times: 1 });
			expect(await client({ timeoutMs: 100 }).health()).toBe(true);
			expect(requests('GET', '/api/health')).toHaveLength(2);
		});

		it('times out a slow answer', async () => {
			double.faults.add({ kind: 'slow', delayMs: 30_000, path: '/api/health', times: 1 });
			expect(await failure(client({ timeoutMs: 100, retries: 0 }).health())).toMatchObject({ kind: 'timeout' });
		});

		it('keeps at most `concurrency` requests in flight', async () => {
			double.faults.add({ kind: 'slow', delayMs: 20, path: '/api/lists' });
			let inFlight = 0;
			let maxInFlight = 0;
			let maxAtServer = 0;
			const c = client({
				concurrency: 2,
				onEvent: (event) => {
					if (event.type === 'request') inFlight++;
					else inFlight--;
					maxInFlight = Math.max(maxInFlight, inFlight);
					maxAtServer = Math.max(maxAtServer, requests('GET', '/api/lists').filter((r) => r.status === 0).length);
				},
			});
			await Promise.all(Array.from({ length: 7 }, () => c.lists.page()));
			expect(maxInFlight).toBe(2);
			expect(maxAtServer).toBeLessThanOrEqual(2);
			expect(requests('GET', '/api/lists')).toHaveLength(7);
		});

		it('sends transactional mail once (never retried once sent)', async () => {
			const c = client();
			await c.subscribers.create({ email: 'h@example.com' });
			const template = await fetch(`${double.url}/api/templates`, {
				method: 'POST',
				headers: { Authorization: `token sync:${TOKEN}`, 'Content-Type': 'application/json' },
				body: JSON.stringify({ name: 'tx', type: 'tx', subject: 'Hi', body: 'Hello {{ .Tx.Data.n }}' }),
			}).then((r) => r.json() as Promise<{ data: { id: number } }>);
			expect(await c.tx.send({ template_id: template.data.id, subscriber_emails: ['H@example.com'], data: { n: 1 } })).toBe(true);
			expect(double.txMails()).toMatchObject([{ to: 'h@example.com' }]);
			double.faults.add({ kind: 'status', status: 500, path: '/api/tx', times: 1 });
			expect(await failure(c.tx.send({ template_id: template.data.id, subscriber_ids: [1] }))).toMatchObject({ kind: 'server', attempts: 1 });
			// @ts-expect-error: exactly one recipient list
			await failure(c.tx.send({ template_id: template.data.id, subscriber_ids: [1], subscriber_emails: ['h@example.com'] }));
		});
	});

	it('never shows a token: errors, their serialisations, the client, the events', () => {
		expect(seen.length).toBeGreaterThan(10);
		const texts = seen.flatMap((item) => [String(item), JSON.stringify(item) ?? '', inspect(item, { depth: 5 }), item instanceof Error ? (item.stack ?? '') : '']);
		texts.push(JSON.stringify(events));
		for (const text of texts) for (const secret of SECRETS) expect(text).not.toContain(secret);
	});
});
