// Wake-up automations through a real Directus against the Listmonk double: a sleeping client gets exactly one personal
// code and one transactional message per sleep; a recent buyer, an opted-out client and one without consent get
// none; a client who buys before the message goes out gets nothing; a send Listmonk refused waits and goes out once,
// with the code it was issued.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { queueSettled } from '../harness/queue.ts';
import { startListmonkDouble, type ListmonkDouble } from '../listmonk-double/index.ts';
import { claimForSending, issuePendingCodes, readAutomations } from '../../extensions/segmentation/src/store/automations.ts';

const USER = 'automations';
const TOKEN = 'automations-token-8d2f61b0';
const DAY = 86_400_000;
/** A fresh Listmonk's sample transactional template. */
const TX_TEMPLATE = 3;

describe('wake-up automations', () => {
	let lm: ListmonkDouble;
	let d: TestDirectus;
	let segment: number;
	let automation: number;
	const client = async (name: string, boughtDaysAgo: number, extra: Record<string, unknown> = {}) => {
		const email = `${name.toLowerCase().replace(/\W+/g, '.')}@example.com`;
		const id = (await d.http('POST', '/items/clients', { name, email, email_consent: true, ...extra })).body.data.id as number;
		const res = await d.http('POST', '/items/deals', { client: id, status: 'won', amount: 80, closed_at: new Date(Date.now() - boughtDaysAgo * DAY).toISOString() });
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		return { id, email };
	};
	const codesOf = async (clientId: number) => (await d.knex('promo_codes').where({ client: clientId }).select('code')).map((r) => String(r.code));
	const mailsTo = (email: string) => lm.txMails().filter((m) => m.to === email);
	const env = () => ({ LISTMONK_URL: lm.url, LISTMONK_API_USER: USER, LISTMONK_API_TOKEN: TOKEN, SEGMENTATION_AUTOMATIONS_CRON: 'off' });
	const run = async () => {
		const res = await d.http('POST', `/segmentation/automations/${automation}/run`, {});
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		return res.body.data as { qualified: number; codes_issued: number; sent: number; skipped: number; failed: number; waiting: number; error: string | null };
	};
	const members = async () => (await d.knex('segment_members').where({ segment }).select('client')).map((r) => Number(r.client));

	let sleeper1: { id: number; email: string };
	let sleeper2: { id: number; email: string };
	let recent: { id: number; email: string };
	let optedOut: { id: number; email: string };
	let noConsent: { id: number; email: string };

	beforeAll(async () => {
		lm = await startListmonkDouble({ users: [{ username: USER, token: TOKEN, permissions: 'super' }] });
		d = await bootDirectus({ env: env() });
		await queueSettled(d);
		sleeper1 = await client('Sleepy One', 200);
		sleeper2 = await client('Sleepy Two', 120);
		recent = await client('Recent Buyer', 1);
		optedOut = await client('Opted Out', 150);
		noConsent = await client('No Consent', 150, { email_consent: false });
		await queueSettled(d);
		await d.knex('clients').where({ id: optedOut.id }).update({ listmonk_email_status: 'unsubscribed' });
		const res = await d.http('POST', '/items/segments', { name: 'Buyers (automations)', kind: 'dynamic', is_active: true, rule: { rfm_frequency: { _gte: 1 } } });
		expect(res.status).toBe(200);
		segment = res.body.data.id;
		// expect.poll works inside tests only: wait for the segment's first refresh this way
		await vi.waitFor(async () => expect(await members()).toEqual(expect.arrayContaining([sleeper1.id, sleeper2.id, recent.id, optedOut.id, noConsent.id])), { timeout: 60_000, interval: 200 });
	});
	afterAll(async () => {
		await d?.stop();
		await lm?.close();
	});

	it('refuses an active automation without a template, and aims a new one at “Falling asleep” by default', async () => {
		const bad = await d.http('POST', '/items/automations', { name: 'No template', is_active: true, discount_value: 10 });
		expect(bad.status).toBe(400);
		expect(JSON.stringify(bad.body)).toContain('tx_template_id: an active automation needs');
		const draft = await d.http('POST', '/items/automations', { name: 'Draft', discount_value: 10 });
		expect(draft.status, JSON.stringify(draft.body)).toBe(200);
		const asleep = (await d.knex('segments').where({ template_key: 'falling-asleep' }).first('id'))?.id;
		expect(draft.body.data.segment).toBe(asleep);
		const made = await d.http('POST', '/items/automations', { name: 'Wake up buyers', is_active: true, segment, anchor: 'last_purchase', delay_days: 30, discount_type: 'percent', discount_value: 15, valid_days: 14, cooldown_days: 90, tx_template_id: TX_TEMPLATE });
		expect(made.status, JSON.stringify(made.body)).toBe(200);
		automation = made.body.data.id;
	});

	it('shows who would get a code today without issuing or sending anything', async () => {
		const preview = await d.http('GET', `/segmentation/automations/${automation}/preview`);
		expect(preview.status).toBe(200);
		expect(preview.body.data.clients.map((c: { client_id: number }) => c.client_id).sort()).toEqual([sleeper1.id, sleeper2.id].sort());
		expect(await codesOf(sleeper1.id)).toEqual([]);
		expect(lm.txMails()).toHaveLength(0);
	});

	it('sends each sleeping client one personal code by a transactional message, once per sleep', async () => {
		const first = await run();
		expect(first).toMatchObject({ qualified: 2, codes_issued: 2, sent: 2, failed: 0, error: null });
		for (const s of [sleeper1, sleeper2]) {
			const codes = await codesOf(s.id);
			expect(codes).toHaveLength(1);
			const mails = mailsTo(s.email);
			expect(mails).toHaveLength(1);
			expect(mails[0]).toMatchObject({ templateId: TX_TEMPLATE, data: expect.objectContaining({ promo_code: codes[0], discount: '15%', name: expect.stringMatching(/^Sleepy/) }) });
			expect((mails[0]!.data as { valid_until: string }).valid_until).toMatch(/^\d{4}-\d{2}-\d{2}$/);
		}
		for (const s of [recent, optedOut, noConsent]) {
			expect(await codesOf(s.id)).toEqual([]);
			expect(mailsTo(s.email)).toHaveLength(0);
		}
		// the next day's run: nobody new, nothing sent twice
		const second = await run();
		expect(second).toMatchObject({ qualified: 0, codes_issued: 0, sent: 0 });
		expect(lm.txMails()).toHaveLength(2);
		expect((await codesOf(sleeper1.id)).length + (await codesOf(sleeper2.id)).length).toBe(2);
		const automationRow = (await d.http('GET', `/items/automations/${automation}`)).body.data;
		expect(automationRow.last_run_summary).toMatch(/^0 qualified/);
		const log = await d.http('GET', `/segmentation/automations/${automation}/log`);
		expect(log.body.data.filter((r: { state: string }) => r.state === 'sent').map((r: { client_id: number }) => r.client_id).sort()).toEqual([sleeper1.id, sleeper2.id].sort());
	});

	it('keeps a send Listmonk refused for the next run, with its code; skips a client who bought in the meantime', async () => {
		const waiting = await client('Sleepy Three', 90);
		const buyer = await client('Sleepy Four', 90);
		await expect.poll(members, { timeout: 60_000 }).toEqual(expect.arrayContaining([waiting.id, buyer.id]));
		lm.faults.add({ kind: 'forbidden', method: 'POST', path: '/api/tx' });
		const refused = await run();
		expect(refused).toMatchObject({ qualified: 2, codes_issued: 2, sent: 0, waiting: expect.any(Number) });
		expect(refused.waiting).toBeGreaterThanOrEqual(1);
		lm.faults.clear();
		const codeBefore = await codesOf(waiting.id);
		expect(codeBefore).toHaveLength(1);
		// one of them buys again before the message could go out
		expect((await d.http('POST', '/items/deals', { client: buyer.id, status: 'won', amount: 20, closed_at: new Date().toISOString() })).status).toBe(200);
		await queueSettled(d);
		const resumed = await run();
		expect(resumed).toMatchObject({ codes_issued: 0, sent: 1, skipped: 1, failed: 0 });
		expect(mailsTo(waiting.email)).toHaveLength(1);
		expect((mailsTo(waiting.email)[0]!.data as { promo_code: string }).promo_code).toBe(codeBefore[0]);
		expect(await codesOf(waiting.id)).toEqual(codeBefore);
		expect(mailsTo(buyer.email)).toHaveLength(0);
		const log = (await d.http('GET', `/segmentation/automations/${automation}/log`)).body.data as Array<{ client_id: number; state: string; reason: string | null }>;
		expect(log.find((r) => r.client_id === buyer.id)).toMatchObject({ state: 'skipped', reason: 'bought again before the message went out' });
	});

	it('never sends twice when Directus dies while Listmonk takes the message, and issues no second code', async () => {
		const sleeper = await client('Sleepy Five', 95);
		await expect.poll(members, { timeout: 60_000 }).toContain(sleeper.id);
		// Listmonk answers the message late: Directus is killed while it waits
		lm.faults.add({ kind: 'slow', delayMs: 4000, method: 'POST', path: '/api/tx', times: 1 });
		const pending = d.http('POST', `/segmentation/automations/${automation}/run`, {}).catch(() => null);
		await expect.poll(() => lm.requests.some((r) => r.method === 'POST' && r.path === '/api/tx' && r.status === 0), { timeout: 30_000 }).toBe(true);
		await d.restart({ kill: true, env: env() });
		await pending;
		lm.faults.clear();
		const after = await run();
		expect(after).toMatchObject({ codes_issued: 0, sent: 0 });
		expect(await codesOf(sleeper.id)).toHaveLength(1);
		// the message Listmonk was given may land; it is never given twice
		expect(mailsTo(sleeper.email).length).toBeLessThanOrEqual(1);
		expect(lm.requests.filter((r) => r.method === 'POST' && r.path === '/api/tx' && (r.body as { subscriber_emails?: string[] })?.subscriber_emails?.includes(sleeper.email))).toHaveLength(1);
		const log = (await d.http('GET', `/segmentation/automations/${automation}/log`)).body.data as Array<{ client_id: number; state: string; reason: string | null }>;
		expect(log.find((r) => r.client_id === sleeper.id)).toMatchObject({ state: 'failed', reason: expect.stringContaining('interrupted') });
	});

	it('lets two overlapping runs (a lease taken over from a stalled instance) issue and claim each send once', async () => {
		const made = await d.http('POST', '/items/automations', { name: 'Race', segment, anchor: 'last_purchase', delay_days: 30, discount_value: 5, tx_template_id: TX_TEMPLATE });
		expect(made.status, JSON.stringify(made.body)).toBe(200);
		const race = made.body.data.id as number;
		const ids = (await d.knex('clients').orderBy('id').select('id')).map((r) => Number(r.id));
		await d.knex('segmentation_automation_sends').insert(ids.map((client_id) => ({ automation_id: race, client_id, episode: 1, state: 'pending', channel: 'email', attempts: 0, created_at: Date.now() })));
		const [a] = await readAutomations(d.knex, race);
		// the two runs' transactions overlap on PostgreSQL (two connections); SQLite has one writer at a time
		const issued = await Promise.all([issuePendingCodes(d.knex, a!, Date.now()), issuePendingCodes(d.knex, a!, Date.now())]);
		expect(issued[0] + issued[1]).toBe(ids.length);
		expect(Number((await d.knex('promo_codes').where('issued_by', 'like', `automation ${race}:%`).count({ n: '*' }))[0]!.n)).toBe(ids.length);
		const sends = (await d.knex('segmentation_automation_sends').where({ automation_id: race }).select('id')).map((r) => Number(r.id));
		const [first, second] = await Promise.all([claimForSending(d.knex, sends), claimForSending(d.knex, sends)]);
		expect(first.size + second.size).toBe(sends.length);
		expect([...first].filter((id) => second.has(id))).toEqual([]);
		expect(Number((await d.knex('segmentation_automation_sends').where({ automation_id: race, state: 'sending' }).count({ n: '*' }))[0]!.n)).toBe(sends.length);
	});
});
