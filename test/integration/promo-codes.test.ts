// Promo codes through a real Directus: codes made by hand and issued in bulk (readable, unique, checked), a won deal
// carrying a code redeems it by any path that saves deals — or is flagged with why not — and the "Issue promo code"
// Flow operation in a real Flow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { queueSettled } from '../harness/queue.ts';

const WAIT = { timeout: 60_000 };
const CODE = /^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/;

describe('promo codes', () => {
	let d: TestDirectus;
	const clients: number[] = [];
	const addClient = async (name: string) => (await d.http('POST', '/items/clients', { name, email: `${name.toLowerCase().replace(/\W+/g, '.')}@example.com`, email_consent: true })).body.data.id as number;
	const deal = async (client: number, code: string | null, status = 'won') => {
		const res = await d.http('POST', '/items/deals', { client, status, amount: 100, promo_code: code, closed_at: new Date().toISOString() });
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		return res.body.data.id as number;
	};
	const checkOf = async (dealId: number) => (await d.knex('deals').where({ id: dealId }).first('promo_code_status')).promo_code_status as string | null;
	const codeRow = async (code: string) => d.knex('promo_codes').whereRaw('code_key = ?', [code.replace(/[^A-Za-z0-9]/g, '').toUpperCase()]).first('id', 'redeemed_deal', 'redemptions', 'client', 'kind');

	beforeAll(async () => {
		d = await bootDirectus();
		await queueSettled(d);
		for (const name of ['Alice Promo', 'Bob Promo', 'Carol Promo']) clients.push(await addClient(name));
	});
	afterAll(async () => {
		await d?.stop();
	});

	it('checks codes made by hand: shared codes by any spelling, personal ones need a client, one code per key', async () => {
		const shared = await d.http('POST', '/items/promo_codes', { code: 'Summer 25', kind: 'shared', discount_type: 'percent', discount_value: 25 });
		expect(shared.status, JSON.stringify(shared.body)).toBe(200);
		expect(shared.body.data).toMatchObject({ code: 'SUMMER 25', kind: 'shared', redemptions: 0, issued_by: expect.stringMatching(/^user /) });
		const again = await d.http('POST', '/items/promo_codes', { code: 'summer-25', kind: 'shared', discount_value: 10 });
		expect(again.status).toBe(400);
		expect(JSON.stringify(again.body)).toContain('already exists');
		const orphan = await d.http('POST', '/items/promo_codes', { kind: 'personal', discount_value: 10 });
		expect(orphan.status).toBe(400);
		expect(JSON.stringify(orphan.body)).toContain('client: a personal code belongs to one client');
		const tooMuch = await d.http('POST', '/items/promo_codes', { kind: 'shared', code: 'HALFOFF', discount_type: 'percent', discount_value: 150 });
		expect(tooMuch.status).toBe(400);
		expect(JSON.stringify(tooMuch.body)).toContain('at most 100');
		// a personal code made by hand without a code gets a readable one drawn
		const drawn = await d.http('POST', '/items/promo_codes', { kind: 'personal', client: clients[2], discount_type: 'amount', discount_value: 5 });
		expect(drawn.status, JSON.stringify(drawn.body)).toBe(200);
		expect(drawn.body.data.code).toMatch(CODE);
		// what the extension keeps can't be written
		const forged = await d.http('PATCH', `/items/promo_codes/${drawn.body.data.id}`, { redemptions: 99, redeemed_deal: 1 });
		expect(forged.status).toBe(200);
		expect(await codeRow(drawn.body.data.code)).toMatchObject({ redemptions: 0, redeemed_deal: null });
	});

	it('issues personal codes in bulk: one readable, unique code per client, with its validity', async () => {
		const res = await d.http('POST', '/segmentation/promo-codes/issue', { client_ids: clients, discount_value: 15, valid_days: 30, issued_by: 'Test automation' });
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		expect(res.body.data.issued).toBe(3);
		const codes = res.body.data.codes as Array<{ client_id: number; code: string; promo_code_id: number }>;
		expect(codes.map((c) => c.client_id)).toEqual(clients);
		for (const c of codes) expect(c.code).toMatch(CODE);
		expect(new Set(codes.map((c) => c.code)).size).toBe(3);
		const row = await d.http('GET', `/items/promo_codes/${codes[0]!.promo_code_id}`);
		expect(row.body.data).toMatchObject({ kind: 'personal', client: clients[0], discount_type: 'percent', issued_by: 'Test automation' });
		expect(Date.parse(row.body.data.valid_until) - Date.now()).toBeGreaterThan(29 * 86_400_000);
		// bad requests say what is wrong and issue nothing
		const before = Number((await d.knex('promo_codes').count({ n: '*' }))[0]!.n);
		for (const [body, problem] of [
			[{ client_ids: [999_999], discount_value: 10 }, 'no such client: 999999'],
			[{ client_ids: clients, segment_id: 1, discount_value: 10 }, 'give either client_ids or segment_id'],
			[{ client_ids: clients, discount_value: 0 }, 'must be more than 0'],
			[{ client_ids: clients, discount_value: 10, valid_days: 5, valid_until: '2030-01-01' }, 'give either valid_until or valid_days'],
			[{ client_ids: clients, discount_value: 10, surprise: true }, 'surprise'],
		] as const) {
			const bad = await d.http('POST', '/segmentation/promo-codes/issue', body);
			expect(bad.status, JSON.stringify(bad.body)).toBe(400);
			expect(JSON.stringify(bad.body)).toContain(problem);
		}
		expect(Number((await d.knex('promo_codes').count({ n: '*' }))[0]!.n)).toBe(before);
	});

	it('redeems a personal code on its client’s won deal once, and flags every other use with why', async () => {
		const issued = (await d.http('POST', '/segmentation/promo-codes/issue', { client_ids: [clients[0], clients[1]], discount_value: 10, valid_days: 10 })).body.data.codes as Array<{ code: string }>;
		const [alices, bobs] = [issued[0]!.code, issued[1]!.code];
		// typed the way people type: lower case, spaces instead of dashes
		const first = await deal(clients[0]!, alices.toLowerCase().replaceAll('-', ' '));
		await expect.poll(() => checkOf(first), WAIT).toBe('redeemed');
		expect(await codeRow(alices)).toMatchObject({ redeemed_deal: first, redemptions: 1 });
		const second = await deal(clients[0]!, alices);
		const stolen = await deal(clients[2]!, bobs);
		const unknown = await deal(clients[1]!, 'NO-SUCH-CODE');
		await expect.poll(async () => [await checkOf(second), await checkOf(stolen), await checkOf(unknown)], WAIT).toEqual(['already_used', 'not_yours', 'unknown']);
		expect(await codeRow(bobs)).toMatchObject({ redeemed_deal: null, redemptions: 0 });
		// expired: a code that ended before the deal was won
		const old = (await d.http('POST', '/segmentation/promo-codes/issue', { client_ids: [clients[1]], discount_value: 10, valid_from: '2020-01-01', valid_until: '2020-02-01' })).body.data.codes[0].code as string;
		const late = await deal(clients[1]!, old);
		await expect.poll(() => checkOf(late), WAIT).toBe('expired');
		// the verdict is the extension's: a save can't set it
		expect((await d.http('PATCH', `/items/deals/${late}`, { promo_code_status: 'redeemed' })).status).toBe(200);
		await queueSettled(d);
		expect(await checkOf(late)).toBe('expired');
	});

	it('judges a code when the deal is won, and gives a code back when the deal loses it', async () => {
		const code = (await d.http('POST', '/segmentation/promo-codes/issue', { client_ids: [clients[2]], discount_value: 20 })).body.data.codes[0].code as string;
		const open = await deal(clients[2]!, code, 'open');
		await queueSettled(d);
		expect(await checkOf(open)).toBeNull();
		expect((await d.http('PATCH', `/items/deals/${open}`, { status: 'won' })).status).toBe(200);
		await expect.poll(() => checkOf(open), WAIT).toBe('redeemed');
		// the code is taken off the deal: the code is free again, the verdict gone
		expect((await d.http('PATCH', `/items/deals/${open}`, { promo_code: null })).status).toBe(200);
		await expect.poll(async () => (await codeRow(code))?.redeemed_deal ?? null, WAIT).toBeNull();
		expect(await checkOf(open)).toBeNull();
		// another deal may use it now
		const next = await deal(clients[2]!, code);
		await expect.poll(() => checkOf(next), WAIT).toBe('redeemed');
		expect(await codeRow(code)).toMatchObject({ redeemed_deal: next, redemptions: 1 });
	});

	it('lets every client use a shared code once, by any path that saves deals', async () => {
		const a = await deal(clients[0]!, 'summer25');
		const b = await deal(clients[1]!, 'SUMMER-25');
		await expect.poll(async () => [await checkOf(a), await checkOf(b)], WAIT).toEqual(['redeemed', 'redeemed']);
		// a writer outside Directus: the deal written directly and its client queued (README "Writers outside Directus")
		const [direct] = await d.knex('deals').insert({ client: clients[0], status: 'won', amount: 50, promo_code: 'Summer 25', closed_at: d.db === 'pg' ? new Date() : Date.now(), created_at: d.db === 'pg' ? new Date() : Date.now() }).returning('id');
		const directId = Number(typeof direct === 'object' ? direct.id : direct);
		await d.knex('segmentation_changes').insert({ client_id: clients[0] });
		await expect.poll(() => checkOf(directId), WAIT).toBe('already_used');
		expect(await codeRow('SUMMER25')).toMatchObject({ kind: 'shared', redemptions: 2 });
	});

	it('leaves another system’s codes on deals won before promo codes were installed alone', async () => {
		const res = await d.http('POST', '/items/deals', { client: clients[1], status: 'won', amount: 30, promo_code: 'LEGACY-2019', closed_at: '2019-06-01T10:00:00Z' });
		expect(res.status).toBe(200);
		await expect.poll(async () => (await d.knex('segmentation_promo_redemptions').where({ deal_id: res.body.data.id }).first('outcome'))?.outcome, WAIT).toBe('history');
		expect(await checkOf(res.body.data.id)).toBeNull();
		// the same unknown code on a deal won now is flagged
		const now = await deal(clients[1]!, 'LEGACY-2019');
		await expect.poll(() => checkOf(now), WAIT).toBe('unknown');
	});

	it('issues codes from a real Flow with the "Issue promo code" operation', async () => {
		const flow = await d.http('POST', '/flows', { name: 'Welcome code', status: 'active', trigger: 'webhook', accountability: 'all', options: { method: 'GET', async: false, return: '$last' } });
		expect(flow.status, JSON.stringify(flow.body)).toBe(200);
		const op = await d.http('POST', '/operations', {
			flow: flow.body.data.id,
			name: 'Issue',
			key: 'issue',
			type: 'segmentation-issue-promo-code',
			position_x: 19,
			position_y: 1,
			options: { client: '{{$trigger.query.client}}', discount_type: 'amount', discount_value: '7.5', valid_days: '14', issued_by: 'Flow: welcome code' },
		});
		expect(op.status, JSON.stringify(op.body)).toBe(200);
		expect((await d.http('PATCH', `/flows/${flow.body.data.id}`, { operation: op.body.data.id })).status).toBe(200);
		const run = await d.http('GET', `/flows/trigger/${flow.body.data.id}?client=${clients[1]}`);
		expect(run.status, JSON.stringify(run.body)).toBe(200);
		expect(run.body).toMatchObject({ issued: 1, codes: [{ client_id: clients[1], code: expect.stringMatching(CODE) }] });
		const made = await d.knex('promo_codes').where({ code: run.body.codes[0].code }).first('client', 'discount_type', 'issued_by');
		expect(made).toMatchObject({ client: clients[1], discount_type: 'amount', issued_by: 'Flow: welcome code' });
		// a bad option fails the operation with the reason in the Flow's log
		expect((await d.http('PATCH', `/operations/${op.body.data.id}`, { options: { client: 'nobody', discount_value: '5' } })).status).toBe(200);
		const failed = await d.http('GET', `/flows/trigger/${flow.body.data.id}`);
		expect(failed.status).toBe(200); // a webhook answers; the Flow's log says what failed
		const stored = (await d.knex('directus_revisions').where({ collection: 'directus_flows', item: flow.body.data.id }).orderBy('id', 'desc').first('data')).data;
		const log = typeof stored === 'string' ? JSON.parse(stored) : stored; // json on PostgreSQL, text on SQLite
		expect(log.steps).toEqual([expect.objectContaining({ key: 'issue', status: 'reject' })]);
		expect(log.data.$last.message).toBe('client: "nobody" is not a number');
	});
});
