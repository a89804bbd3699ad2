// Refused-deal follow-ups and the client's own channel, through a real Directus against the Listmonk double (which has
// a telegram messenger configured, and no vk): a deal lost over price gets a personal code by message once its delay
// has passed (not before, not after a purchase since, not twice); one lost over assortment gets the "New arrivals"
// tag, so the tag's segment — synced to Listmonk — takes the client into its list; a Telegram-sourced client gets the
// message through telegram, a VK-sourced one through email (vk is not configured), and the log says which and why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { queueSettled } from '../harness/queue.ts';
import { startListmonkDouble, type ListmonkDouble } from '../listmonk-double/index.ts';

const USER = 'followups';
const TOKEN = 'followups-token-51c0e7aa';
const DAY = 86_400_000;
/** A fresh Listmonk's sample transactional template. */
const TX_TEMPLATE = 3;

interface RunResult { qualified: number; codes_issued: number; tagged: number; sent: number; skipped: number; failed: number; error: string | null }
interface LogRow { client_id: number; state: string; channel: string | null; reason: string | null; code: string | null }

describe('refused-deal follow-ups and the client’s channel', () => {
	let lm: ListmonkDouble;
	let d: TestDirectus;
	const refusedClient = async (name: string, reason: string, lostDaysAgo: number, extra: Record<string, unknown> = {}) => {
		const email = `${name.toLowerCase().replace(/\W+/g, '.')}@example.com`;
		const id = (await d.http('POST', '/items/clients', { name, email, email_consent: true, ...extra })).body.data.id as number;
		const res = await d.http('POST', '/items/deals', { client: id, status: 'lost', loss_reason: reason, amount: 120, closed_at: new Date(Date.now() - lostDaysAgo * DAY).toISOString() });
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		return { id, email };
	};
	const automation = async (body: Record<string, unknown>) => {
		const res = await d.http('POST', '/items/automations', { is_active: true, trigger: 'refused', delay_days: 7, cooldown_days: 30, ...body });
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		return res.body.data.id as number;
	};
	const run = async (id: number) => {
		const res = await d.http('POST', `/segmentation/automations/${id}/run`, {});
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		return res.body.data as RunResult;
	};
	const log = async (id: number) => (await d.http('GET', `/segmentation/automations/${id}/log`)).body.data as LogRow[];
	const codesOf = async (clientId: number) => (await d.knex('promo_codes').where({ client: clientId }).select('code')).map((r) => String(r.code));
	const mailsTo = (email: string) => lm.txMails().filter((m) => m.to === email);

	beforeAll(async () => {
		lm = await startListmonkDouble({ users: [{ username: USER, token: TOKEN, permissions: 'super' }], messengers: ['telegram'] });
		d = await bootDirectus({ env: { LISTMONK_URL: lm.url, LISTMONK_API_USER: USER, LISTMONK_API_TOKEN: TOKEN, SEGMENTATION_AUTOMATIONS_CRON: 'off' } });
		await queueSettled(d);
	});
	afterAll(async () => {
		await d?.stop();
		await lm?.close();
	});

	it('refuses a refused-deal follow-up without its loss reason, and a tag action without its tag', async () => {
		const noReason = await d.http('POST', '/items/automations', { name: 'No reason', trigger: 'refused', tx_template_id: TX_TEMPLATE });
		expect(noReason.status).toBe(400);
		expect(JSON.stringify(noReason.body)).toContain('loss_reason: a refused-deal follow-up needs the loss reason');
		const noTag = await d.http('POST', '/items/automations', { name: 'No tag', is_active: true, trigger: 'refused', loss_reason: 'assortment', action: 'tag' });
		expect(noTag.status).toBe(400);
		expect(JSON.stringify(noTag.body)).toContain('tag: an automation that tags clients needs the tag');
		const badMap = await d.http('PATCH', '/items/segmentation_settings', { lead_source_messengers: [{ lead_source: 'Telegram bot', messenger: 'tele gram' }] });
		expect(badMap.status).toBe(400);
		expect(JSON.stringify(badMap.body)).toContain('lead_source_messengers.0.messenger');
	});

	it('sends a price refusal its personal code once the delay has passed, and never before, twice or after a purchase', async () => {
		const due = await refusedClient('Price Due', 'price', 10);
		const early = await refusedClient('Price Early', 'price', 3);
		const rebought = await refusedClient('Price Rebought', 'price', 12);
		const otherReason = await refusedClient('Other Reason', 'other', 10);
		// a purchase after the refusal ends it
		expect((await d.http('POST', '/items/deals', { client: rebought.id, status: 'won', amount: 40, closed_at: new Date(Date.now() - 2 * DAY).toISOString() })).status).toBe(200);
		await queueSettled(d);
		const id = await automation({ name: 'Price refusals', loss_reason: 'price', action: 'promo', discount_type: 'percent', discount_value: 12, valid_days: 10, tx_template_id: TX_TEMPLATE });
		const preview = await d.http('GET', `/segmentation/automations/${id}/preview`);
		expect(preview.body.data.clients.map((c: { client_id: number }) => c.client_id)).toEqual([due.id]);

		expect(await run(id)).toMatchObject({ qualified: 1, codes_issued: 1, sent: 1, failed: 0, error: null });
		const [code] = await codesOf(due.id);
		expect(mailsTo(due.email)).toEqual([expect.objectContaining({ templateId: TX_TEMPLATE, messenger: 'email', data: expect.objectContaining({ promo_code: code, discount: '12%', loss_reason: 'price' }) })]);
		for (const c of [early, rebought, otherReason]) {
			expect(await codesOf(c.id)).toEqual([]);
			expect(mailsTo(c.email)).toHaveLength(0);
		}
		expect(await run(id)).toMatchObject({ qualified: 0, sent: 0 });
		expect(mailsTo(due.email)).toHaveLength(1);
	});

	it('tags an assortment refusal “New arrivals”, which puts the client in that tag’s Listmonk list', async () => {
		const tag = (await d.http('POST', '/items/tags', { name: 'New arrivals' })).body.data.id as number;
		const seg = await d.http('POST', '/items/segments', { name: 'New arrivals', kind: 'dynamic', is_active: true, rule: { tags: { _some: { tag: { _eq: tag } } } }, listmonk_sync: true });
		expect(seg.status, JSON.stringify(seg.body)).toBe(200);
		const picky = await refusedClient('Picky Buyer', 'assortment', 8);
		await queueSettled(d);
		const id = await automation({ name: 'Assortment refusals', loss_reason: 'assortment', action: 'tag', tag });
		expect(await run(id)).toMatchObject({ qualified: 1, tagged: 1, error: null });
		expect(await d.knex('client_tags').where({ client: picky.id, tag }).first('source')).toMatchObject({ source: 'manual' });
		await expect.poll(async () => (await d.knex('segment_members').where({ segment: seg.body.data.id, client: picky.id }).first('client')) !== undefined, { timeout: 60_000 }).toBe(true);
		await expect.poll(async () => (await d.knex('segments').where({ id: seg.body.data.id }).first('listmonk_list_id'))?.listmonk_list_id ?? null, { timeout: 60_000 }).not.toBeNull();
		const list = Number((await d.knex('segments').where({ id: seg.body.data.id }).first('listmonk_list_id')).listmonk_list_id);
		await expect.poll(() => lm.subscribers().find((s) => s.email === picky.email)?.lists.map((l) => l.id) ?? [], { timeout: 60_000 }).toContain(list);
		expect(mailsTo(picky.email)).toHaveLength(0);
		expect((await log(id)).find((r) => r.client_id === picky.id)).toMatchObject({ state: 'sent', channel: 'tag' });
		expect(await run(id)).toMatchObject({ qualified: 0, tagged: 0 });
	});

	it('reaches a Telegram-sourced client through telegram, and a VK-sourced one through email where vk is not configured', async () => {
		const map = await d.http('PATCH', '/items/segmentation_settings', {
			lead_source_messengers: [
				{ lead_source: 'telegram_bot', messenger: 'telegram' },
				{ lead_source: 'vk_group', messenger: 'vk' },
			],
		});
		expect(map.status, JSON.stringify(map.body)).toBe(200);
		const viaTelegram = await refusedClient('Tg Client', 'delivery', 9, { lead_source: 'telegram_bot' });
		const viaVk = await refusedClient('Vk Client', 'delivery', 9, { lead_source: 'vk_group' });
		const noSource = await refusedClient('Plain Client', 'delivery', 9);
		await queueSettled(d);
		const id = await automation({ name: 'Delivery refusals', loss_reason: 'delivery', action: 'message', channel: 'client', tx_template_id: TX_TEMPLATE });
		expect(await run(id)).toMatchObject({ qualified: 3, codes_issued: 0, sent: 3, error: null });
		expect(mailsTo(viaTelegram.email).map((m) => m.messenger)).toEqual(['telegram']);
		expect(mailsTo(viaVk.email).map((m) => m.messenger)).toEqual(['email']);
		expect(mailsTo(noSource.email).map((m) => m.messenger)).toEqual(['email']);
		// a message alone carries no code
		expect(mailsTo(viaTelegram.email)[0]!.data).not.toHaveProperty('promo_code');
		const rows = await log(id);
		expect(rows.find((r) => r.client_id === viaTelegram.id)).toMatchObject({ channel: 'telegram', reason: expect.stringContaining('telegram_bot') });
		expect(rows.find((r) => r.client_id === viaVk.id)).toMatchObject({ channel: 'email', reason: 'via email (vk is not configured in Listmonk)' });
		expect(rows.find((r) => r.client_id === noSource.id)).toMatchObject({ channel: 'email' });
	});
});
