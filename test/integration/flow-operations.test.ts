// The Flow operations "Send Listmonk transactional message", "Add to / remove from Listmonk list" and "Recompute
// client", each in a real Flow (webhook trigger) of a real Directus against the Listmonk double: what reaches Listmonk
// (one bulk request per membership change, the tx with its data and messenger), who is refused or skipped and why,
// a recompute that sees a deal written around Directus, and bad options failing with the reason in the Flow's log.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { queueSettled } from '../harness/queue.ts';
import { startListmonkDouble, type ListmonkDouble } from '../listmonk-double/index.ts';
import { apiClient, type ApiClient } from '../listmonk-double/test-client.ts';

const USER = 'flow-ops';
const TOKEN = 'flow-ops-token-5c1e9a7d3b2f4608';
/** A fresh Listmonk's sample transactional template. */
const TX_TEMPLATE = 3;
const WAIT = { timeout: 60_000 };

interface FlowLog {
	steps: Array<{ key: string; status: string }>;
	data: { $last: any };
}

describe('Flow operations', () => {
	let lm: ListmonkDouble;
	let lmApi: ApiClient;
	let d: TestDirectus;
	const ids: Record<'alice' | 'bob' | 'olga' | 'nina' | 'rita', number> = { alice: 0, bob: 0, olga: 0, nina: 0, rita: 0 };
	const emailOf = (name: string) => `${name}.flowops@example.com`;
	const env = () => ({ LISTMONK_URL: lm.url, LISTMONK_API_USER: USER, LISTMONK_API_TOKEN: TOKEN });
	const subscriber = (email: string) => lm.subscribers().find((s) => s.email === email) ?? null;
	const membership = (email: string, listId: number) => subscriber(email)?.lists.find((l) => l.id === listId)?.subscription_status ?? null;
	const membershipCalls = (from: number) => lm.requests.slice(from).filter((r) => r.method === 'PUT' && r.path === '/api/subscribers/lists');
	const makeList = async (name: string) => {
		const res = await lmApi.post('/api/lists', { name, type: 'private', optin: 'single' });
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		return res.body.data.id as number;
	};

	/** Flows made by the current test: deleted after it (Directus allows only a few active Flows without a license). */
	const made: string[] = [];
	/** A Flow with a webhook (POST, waits, answers $last) and one operation of ours. */
	const makeFlow = async (name: string, type: string, options: Record<string, unknown>) => {
		const flow = await d.http('POST', '/flows', { name, status: 'active', trigger: 'webhook', accountability: 'all', options: { method: 'POST', async: false, return: '$last' } });
		expect(flow.status, JSON.stringify(flow.body)).toBe(200);
		made.push(flow.body.data.id);
		const op = await d.http('POST', '/operations', { flow: flow.body.data.id, name, key: 'step', type, position_x: 19, position_y: 1, options });
		expect(op.status, JSON.stringify(op.body)).toBe(200);
		expect((await d.http('PATCH', `/flows/${flow.body.data.id}`, { operation: op.body.data.id })).status).toBe(200);
		return { flow: flow.body.data.id as string, operation: op.body.data.id as string };
	};
	const setOptions = async (operation: string, options: Record<string, unknown>) => expect((await d.http('PATCH', `/operations/${operation}`, { options })).status).toBe(200);
	const newestRevision = async (flow: string) => Number((await d.knex('directus_revisions').where({ collection: 'directus_flows', item: flow }).max({ id: 'id' }).first())?.id ?? 0);
	/** Triggers the Flow; its answer ($last) and the log of this run (the revision Directus writes for it). */
	const runFlow = async (flow: string, body: Record<string, unknown>): Promise<{ status: number; body: any; log: FlowLog }> => {
		const before = await newestRevision(flow);
		const res = await d.http('POST', `/flows/trigger/${flow}`, body);
		let log: FlowLog | null = null;
		await expect
			.poll(async () => {
				const row = await d.knex('directus_revisions').where({ collection: 'directus_flows', item: flow }).andWhere('id', '>', before).orderBy('id', 'desc').first('data');
				log = row ? (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) : null; // json on PostgreSQL, text on SQLite
				return log !== null;
			}, WAIT)
			.toBe(true);
		return { status: res.status, body: res.body, log: log! };
	};
	const expectFailed = (log: FlowLog, message: string | RegExp) => {
		expect(log.steps).toEqual([expect.objectContaining({ key: 'step', status: 'reject' })]);
		if (typeof message === 'string') expect(log.data.$last.message).toBe(message);
		else expect(log.data.$last.message).toMatch(message);
	};

	beforeAll(async () => {
		lm = await startListmonkDouble({ users: [{ username: USER, token: TOKEN, permissions: 'super' }] });
		lmApi = apiClient(lm.url, { username: USER, token: TOKEN });
		d = await bootDirectus({ env: env() });
		await queueSettled(d);
		for (const [name, consent] of [['alice', true], ['bob', true], ['olga', true], ['nina', false], ['rita', true]] as const) {
			const res = await d.http('POST', '/items/clients', { name: `${name[0]!.toUpperCase()}${name.slice(1)} Flowops`, email: emailOf(name), email_consent: consent });
			expect(res.status, JSON.stringify(res.body)).toBe(200);
			ids[name] = res.body.data.id;
		}
		// a purchase in the base: change batches are then incremental (before any, each is a whole-base first run,
		// which would rescore Rita's deal written around Directus)
		const deal = await d.http('POST', '/items/deals', { client: ids.bob, status: 'won', amount: 90, closed_at: new Date().toISOString() });
		expect(deal.status, JSON.stringify(deal.body)).toBe(200);
		await queueSettled(d);
		// Olga opted out (as the sync would have pulled it back), once the sync has looked at the new clients
		// (expect.poll works inside tests only)
		await vi.waitFor(async () => expect((await d.http('GET', '/segmentation/sync/status')).body.data.waiting.marks).toBe(0), { ...WAIT, interval: 200 });
		await d.knex('clients').where({ id: ids.olga }).update({ listmonk_email_status: 'unsubscribed' });
	});
	afterEach(async () => {
		for (const flow of made.splice(0)) expect((await d.http('DELETE', `/flows/${flow}`)).status).toBe(204);
	});
	afterAll(async () => {
		await d?.stop();
		await lm?.close();
	});

	let listA: number;
	let listB: number;

	it('adds clients to a Listmonk list, making their subscribers as the sync does, and skips those who opted out or gave no consent', async () => {
		listA = await makeList('Flow list A');
		const { flow } = await makeFlow('Add to list A', 'segmentation-list-membership', { clients: '{{$trigger.body.clients}}', list_id: String(listA), action: 'add' });
		const run = await runFlow(flow, { clients: [ids.alice, ids.bob, ids.olga, ids.nina] });
		expect(run.status, JSON.stringify(run.body)).toBe(200);
		expect(run.body).toEqual({
			action: 'add',
			list_id: listA,
			clients: [ids.alice, ids.bob],
			skipped: [
				{ client: ids.olga, reason: 'opted out in Listmonk (unsubscribed)' },
				{ client: ids.nina, reason: 'no marketing consent (email_consent is off)' },
			],
		});
		expect(membership(emailOf('alice'), listA)).toBe('unconfirmed');
		expect(membership(emailOf('bob'), listA)).toBe('unconfirmed');
		expect(subscriber(emailOf('olga'))).toBeNull();
		expect(subscriber(emailOf('nina'))).toBeNull();
		// the sync knows them now: the next membership change goes by subscriber id
		const known = await d.knex('segmentation_listmonk_subscribers').whereIn('client_id', [ids.alice, ids.bob]).orderBy('client_id').select('subscriber_id');
		expect(known.map((r) => Number(r.subscriber_id))).toEqual([subscriber(emailOf('alice'))!.id, subscriber(emailOf('bob'))!.id]);
		expect(Number((await d.knex('clients').where({ id: ids.alice }).first('listmonk_subscriber_id')).listmonk_subscriber_id)).toBe(subscriber(emailOf('alice'))!.id);
	});

	it('adds and removes known subscribers with one bulk request each, never re-subscribing someone who unsubscribed from the list', async () => {
		listB = await makeList('Flow list B');
		const aliceSub = subscriber(emailOf('alice'))!.id;
		const bobSub = subscriber(emailOf('bob'))!.id;
		// Bob unsubscribed from list B in Listmonk
		expect((await lmApi.put('/api/subscribers/lists', { ids: [bobSub], target_list_ids: [listB], action: 'add', status: 'unsubscribed' })).status).toBe(200);
		const { flow, operation } = await makeFlow('List B membership', 'segmentation-list-membership', { clients: '{{$trigger.body.clients}}', list_id: String(listB), action: 'add' });
		let mark = lm.requests.length;
		const added = await runFlow(flow, { clients: `${ids.alice}, ${ids.bob}` });
		expect(added.body).toEqual({ action: 'add', list_id: listB, clients: [ids.alice], skipped: [{ client: ids.bob, reason: `unsubscribed from list ${listB} in Listmonk` }] });
		const addCalls = membershipCalls(mark);
		expect(addCalls).toHaveLength(1);
		expect(addCalls[0]!.body).toEqual({ ids: [aliceSub], target_list_ids: [listB], action: 'add' });
		expect(membership(emailOf('alice'), listB)).toBe('unconfirmed');
		expect(membership(emailOf('bob'), listB)).toBe('unsubscribed');

		await setOptions(operation, { clients: '{{$trigger.body.clients}}', list_id: String(listB), action: 'remove' });
		mark = lm.requests.length;
		const removed = await runFlow(flow, { clients: [ids.alice, ids.bob] });
		expect(removed.body).toEqual({ action: 'remove', list_id: listB, clients: [ids.alice, ids.bob], skipped: [] });
		const removeCalls = membershipCalls(mark);
		expect(removeCalls).toHaveLength(1);
		expect(removeCalls[0]!.body).toEqual({ ids: [aliceSub, bobSub], target_list_ids: [listB], action: 'remove' });
		expect(membership(emailOf('alice'), listB)).toBeNull();
		expect(membership(emailOf('alice'), listA)).toBe('unconfirmed');

		// bad options fail the operation with the reason in the Flow's log, and call nothing
		mark = lm.requests.length;
		await setOptions(operation, { clients: '{{$trigger.body.clients}}', list_id: String(listB), action: 'subscribe' });
		expectFailed((await runFlow(flow, { clients: [ids.alice] })).log, 'action: "subscribe" is not an action: use add or remove');
		await setOptions(operation, { clients: '{{$trigger.body.clients}}', list_id: '999', action: 'add' });
		expectFailed((await runFlow(flow, { clients: [ids.alice] })).log, 'Listmonk has no list 999 (or the API user may not see it)');
		await setOptions(operation, { clients: '{{$trigger.body.clients}}', list_id: String(listB), action: 'add' });
		expectFailed((await runFlow(flow, { clients: [ids.alice, 999_999] })).log, 'client 999999 does not exist');
		expectFailed((await runFlow(flow, { clients: 'everyone' })).log, 'clients.0: "everyone" is not a number');
		expect(membershipCalls(mark)).toHaveLength(0);
	});

	it('sends a transactional message to a client’s subscriber with the data and messenger given', async () => {
		const { flow } = await makeFlow('Order shipped', 'segmentation-send-tx', {
			client: '{{$trigger.body.client}}',
			template_id: String(TX_TEMPLATE),
			messenger: 'email',
			subject: 'Your order has shipped',
			data: { order: '{{$trigger.body.order}}', source: 'flow' },
		});
		const mark = lm.requests.length;
		const run = await runFlow(flow, { client: ids.alice, order: 'A-1001' });
		expect(run.status, JSON.stringify(run.body)).toBe(200);
		const aliceSub = subscriber(emailOf('alice'))!.id;
		expect(run.body).toEqual({ sent: true, client: ids.alice, subscriber_id: aliceSub, template_id: TX_TEMPLATE, messenger: 'email', subject: 'Your order has shipped' });
		const mails = lm.txMails().filter((m) => m.to === emailOf('alice'));
		expect(mails).toHaveLength(1);
		expect(mails[0]).toMatchObject({ templateId: TX_TEMPLATE, subscriberId: aliceSub, subject: 'Your order has shipped', data: { order: 'A-1001', source: 'flow' } });
		const sent = lm.requests.slice(mark).filter((r) => r.method === 'POST' && r.path === '/api/tx');
		expect(sent).toHaveLength(1);
		expect(sent[0]!.body).toMatchObject({ template_id: TX_TEMPLATE, subscriber_ids: [aliceSub], messenger: 'email', data: { order: 'A-1001', source: 'flow' } });
		// a client Listmonk has no subscriber for gets it at the address (Rita was never added anywhere)
		const toRita = await runFlow(flow, { client: ids.rita, order: 'R-7' });
		expect(toRita.body).toMatchObject({ sent: true, client: ids.rita, subscriber_id: null });
		expect(lm.txMails().filter((m) => m.to === emailOf('rita'))).toEqual([expect.objectContaining({ data: { order: 'R-7', source: 'flow' } })]);
	});

	it('refuses a client who opted out, was blocklisted in Listmonk or gave no consent, saying why in the Flow’s log', async () => {
		const { flow, operation } = await makeFlow('Order shipped (refusals)', 'segmentation-send-tx', { client: '{{$trigger.body.client}}', template_id: String(TX_TEMPLATE) });
		const before = lm.txMails().length;
		expectFailed((await runFlow(flow, { client: ids.olga })).log, `client ${ids.olga}: opted out in Listmonk (unsubscribed); no message sent`);
		expectFailed((await runFlow(flow, { client: ids.nina })).log, `client ${ids.nina}: no marketing consent (email_consent is off); no message sent`);
		// blocklisted in Listmonk a moment ago (the sync has not pulled it back yet, or just has): tx would deliver it
		expect((await lmApi.put(`/api/subscribers/${subscriber(emailOf('bob'))!.id}/blocklist`)).status).toBe(200);
		expectFailed((await runFlow(flow, { client: ids.bob })).log, `client ${ids.bob}: opted out in Listmonk (blocklisted); no message sent`);
		expect(lm.txMails()).toHaveLength(before);
		// bad options: ours (checked before anything is called) and Listmonk's (its message in the log)
		await setOptions(operation, { client: '{{$trigger.body.client}}', template_id: 'welcome' });
		expectFailed((await runFlow(flow, { client: ids.alice })).log, 'template_id: "welcome" is not a number');
		await setOptions(operation, { client: '{{$trigger.body.client}}', template_id: String(TX_TEMPLATE), data: '[1, 2]' });
		expectFailed((await runFlow(flow, { client: ids.alice })).log, 'data: must be a JSON object, e.g. {"order": "A-1001"}');
		await setOptions(operation, { client: '{{$trigger.body.client}}', template_id: '99' });
		expectFailed((await runFlow(flow, { client: ids.alice })).log, 'Listmonk failed to send the transactional message: template 99 not found (HTTP 400)');
		await setOptions(operation, { client: '{{$trigger.body.client}}', template_id: String(TX_TEMPLATE), messenger: 'carrier-pigeon' });
		expectFailed((await runFlow(flow, { client: ids.alice })).log, 'Listmonk failed to send the transactional message: Unknown messenger carrier-pigeon. (HTTP 400)');
		expect(lm.txMails()).toHaveLength(before);
	});

	it('recomputes a client now, after a deal written around Directus, and returns the fresh fields', async () => {
		const fields = async () => d.knex('clients').where({ id: ids.rita }).first('rfm_code', 'lifecycle_stage', 'value_tier');
		expect((await fields()).lifecycle_stage).toBe('lead');
		// a won deal written by SQL: no hook sees it, nothing is queued
		const now = d.db === 'pg' ? new Date() : Date.now();
		await d.knex('deals').insert({ client: ids.rita, status: 'won', amount: 250, closed_at: now, created_at: now });
		await queueSettled(d);
		expect((await fields()).lifecycle_stage).toBe('lead');
		const { flow, operation } = await makeFlow('Recompute Rita', 'segmentation-recompute-client', { clients: '{{$trigger.body.clients}}', timeout_seconds: '60' });
		const run = await runFlow(flow, { clients: [ids.rita] });
		expect(run.status, JSON.stringify(run.body)).toBe(200);
		const now2 = await fields();
		expect(now2.lifecycle_stage).toBe('one_time');
		expect(now2.rfm_code).toEqual(expect.any(String));
		const segments = (await d.knex('segment_members as sm').join('segments as s', 's.id', 'sm.segment').where({ 'sm.client': ids.rita }).orderBy('s.id').select('s.id', 's.name')).map((r) => ({ id: Number(r.id), name: String(r.name) }));
		expect(run.body).toEqual({ clients: [{ id: ids.rita, rfm_code: now2.rfm_code, rfm_segment: expect.any(String), lifecycle_stage: 'one_time', value_tier: now2.value_tier, segments }] });
		// bad options fail the operation with the reason in the Flow's log
		expectFailed((await runFlow(flow, { clients: [ids.rita, 999_998] })).log, 'client 999998 does not exist');
		await setOptions(operation, { clients: '{{$trigger.body.clients}}', timeout_seconds: '0' });
		expectFailed((await runFlow(flow, { clients: [ids.rita] })).log, 'timeout_seconds: must be more than 0');
		await setOptions(operation, { clients: '' });
		expectFailed((await runFlow(flow, {})).log, 'clients: is required: a client id or a list of them');
	});

	it('fails the Listmonk operations with how to configure Listmonk when it is not', async () => {
		const { flow } = await makeFlow('Tx without Listmonk', 'segmentation-send-tx', { client: '{{$trigger.body.client}}', template_id: String(TX_TEMPLATE) });
		const list = await makeFlow('List without Listmonk', 'segmentation-list-membership', { clients: '{{$trigger.body.client}}', list_id: '1' });
		await d.restart({ env: { LISTMONK_URL: '', LISTMONK_API_USER: '', LISTMONK_API_TOKEN: '' } });
		const message = 'Listmonk is not configured (set LISTMONK_URL, LISTMONK_API_USER and LISTMONK_API_TOKEN)';
		expectFailed((await runFlow(flow, { client: ids.alice })).log, message);
		expectFailed((await runFlow(list.flow, { client: ids.alice })).log, message);
	});
});
