// Multi-step promo sequences through a real Directus against the Listmonk double: a launch makes one managed list (the
// target segment's members who have not redeemed the shared code) and one scheduled campaign per step on it; a client
// who redeems the code after the first step leaves that list before the next; the status shows each campaign's state
// and stats and the redeemers dropped; a launch resumes without a second campaign for a step; cancelling unschedules
// the pending campaigns.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { queueSettled } from '../harness/queue.ts';
import { startListmonkDouble, type ListmonkDouble } from '../listmonk-double/index.ts';
import { apiClient } from '../listmonk-double/test-client.ts';

const USER = 'sequences';
const TOKEN = 'sequences-token-0b7d93c4';
const DAY = 86_400_000;

interface Campaign { id: number; name: string; subject: string; status: string; send_at: string | null; tags: string[]; lists: Array<{ id: number | null }>; body?: string }

describe('promo sequences', () => {
	let lm: ListmonkDouble;
	let d: TestDirectus;
	let segment: number;
	let code: number;
	let sequence: number;
	let listId: number;
	const buyers: Array<{ id: number; email: string }> = [];
	const lmApi = () => apiClient(lm.url, { username: USER, token: TOKEN });
	const campaigns = async (tag: string): Promise<Campaign[]> => ((await lmApi().get(`/api/campaigns?tag=${encodeURIComponent(tag)}&per_page=all`)).body as { data: { results: Campaign[] } }).data.results;
	const listEmails = () => lm.subscribers().filter((s) => s.lists.some((l) => l.id === listId && l.subscription_status !== 'unsubscribed')).map((s) => s.email).sort();
	const steps = (offsetsDays: number[]) =>
		offsetsDays.map((days, i) => ({
			name: ['Announcement', 'Start', 'Reminder', 'Last call'][i] ?? `Step ${i + 1}`,
			send_at: new Date(Date.now() + days * DAY).toISOString(),
			subject: `Spring sale, step ${i + 1}: code %PROMO_CODE%`,
			body: `<p>Use %PROMO_CODE% for 25% off.</p>`,
		}));
	const newSequence = async (body: Record<string, unknown>) => {
		const res = await d.http('POST', '/items/promo_sequences', { name: 'Spring sale', segment, promo_code: code, steps: steps([1, 3, 7]), ...body });
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		return res.body.data.id as number;
	};

	beforeAll(async () => {
		lm = await startListmonkDouble({ users: [{ username: USER, token: TOKEN, permissions: 'super' }] });
		d = await bootDirectus({ env: { LISTMONK_URL: lm.url, LISTMONK_API_USER: USER, LISTMONK_API_TOKEN: TOKEN, SEGMENTATION_AUTOMATIONS_CRON: 'off' } });
		await queueSettled(d);
		for (const name of ['Ann', 'Boris', 'Clara']) {
			const email = `${name.toLowerCase()}@spring.example.com`;
			const id = (await d.http('POST', '/items/clients', { name, email, email_consent: true })).body.data.id as number;
			expect((await d.http('POST', '/items/deals', { client: id, status: 'won', amount: 50, closed_at: new Date(Date.now() - 40 * DAY).toISOString() })).status).toBe(200);
			buyers.push({ id, email });
		}
		await queueSettled(d);
		const seg = await d.http('POST', '/items/segments', { name: 'Spring buyers', kind: 'dynamic', is_active: true, rule: { email: { _ends_with: '@spring.example.com' } } });
		expect(seg.status, JSON.stringify(seg.body)).toBe(200);
		segment = seg.body.data.id;
		const made = await d.http('POST', '/items/promo_codes', { code: 'SPRING-25', kind: 'shared', discount_type: 'percent', discount_value: 25 });
		expect(made.status, JSON.stringify(made.body)).toBe(200);
		code = made.body.data.id;
		await vi.waitFor(async () => expect((await d.knex('segment_members').where({ segment }).select('client')).length).toBe(3), { timeout: 60_000, interval: 200 });
	});
	afterAll(async () => {
		await d?.stop();
		await lm?.close();
	});

	it('refuses a bad step on save, and a launch it cannot do with the reason', async () => {
		const bad = await d.http('POST', '/items/promo_sequences', { name: 'Bad', steps: [{ name: '', send_at: 'soon', subject: 'x' }] });
		expect(bad.status).toBe(400);
		expect(JSON.stringify(bad.body)).toContain('steps.0.name: must not be empty');
		expect(JSON.stringify(bad.body)).toContain('steps.0.send_at: must be a date and time');
		const past = await newSequence({ name: 'Too late', steps: [{ name: 'Old', send_at: new Date(Date.now() - DAY).toISOString(), subject: 'x', body: 'y' }] });
		const res = await d.http('POST', `/segmentation/sequences/${past}/launch`, {});
		expect(res.status).toBe(409);
		expect(JSON.stringify(res.body)).toContain('steps.0.send_at: must be at least a minute in the future');
		expect((await d.knex('promo_sequences').where({ id: past }).first('status', 'last_error'))).toMatchObject({ status: 'draft', last_error: expect.stringContaining('steps.0.send_at') });
	});

	it('launches one managed list of the segment’s members and three scheduled campaigns on it', async () => {
		sequence = await newSequence({});
		const res = await d.http('POST', `/segmentation/sequences/${sequence}/launch`, {});
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		expect(res.body.data).toMatchObject({ status: 'scheduled', campaigns: [{ step: 1 }, { step: 2 }, { step: 3 }] });
		listId = res.body.data.listmonk_list_id;
		expect(listId).toBeGreaterThan(0);
		const made = await campaigns(`sequence-${sequence}`);
		expect(made).toHaveLength(3);
		for (const c of made) {
			expect(c.status).toBe('scheduled');
			expect(c.lists.map((l) => l.id)).toEqual([listId]);
			expect(c.subject).toMatch(/code SPRING-25$/);
		}
		const sendAts = made.map((c) => Date.parse(c.send_at!)).sort();
		expect(sendAts[2]! - sendAts[0]!).toBeGreaterThan(5 * DAY);
		await expect.poll(listEmails, { timeout: 60_000 }).toEqual(buyers.map((b) => b.email).sort());
		// launching again changes nothing
		const again = await d.http('POST', `/segmentation/sequences/${sequence}/launch`, {});
		expect(again.status).toBe(200);
		expect(await campaigns(`sequence-${sequence}`)).toHaveLength(3);
		// a launched sequence keeps its steps
		const edit = await d.http('PATCH', `/items/promo_sequences/${sequence}`, { steps: steps([2]) });
		expect(edit.status).toBe(400);
	});

	it('takes a client who redeems the code off the list before the next step, and counts them', async () => {
		const [ann] = buyers;
		// Ann buys with the code (typed in lower case) after the announcement
		const deal = await d.http('POST', '/items/deals', { client: ann!.id, status: 'won', amount: 75, promo_code: 'spring-25', closed_at: new Date().toISOString() });
		expect(deal.status).toBe(200);
		await expect.poll(listEmails, { timeout: 60_000 }).toEqual(buyers.slice(1).map((b) => b.email).sort());
		expect(await d.knex('deals').where({ id: deal.body.data.id }).first('promo_code_status', 'redeemed_promo_code')).toMatchObject({ promo_code_status: 'redeemed', redeemed_promo_code: code });
		const status = await d.http('GET', `/segmentation/sequences/${sequence}/status`);
		expect(status.status).toBe(200);
		expect(status.body.data).toMatchObject({ status: 'scheduled', list_members: 2, dropped_redeemers: 1, listmonk_error: null });
		expect(status.body.data.campaigns.map((c: { status: string }) => c.status)).toEqual(['scheduled', 'scheduled', 'scheduled']);
		expect(status.body.data.campaigns[0]).toMatchObject({ sent: 0, views: 0, clicks: 0 });
		// the stats are written back on the sequence for the App
		expect(Number((await d.knex('promo_sequences').where({ id: sequence }).first('dropped_redeemers')).dropped_redeemers)).toBe(1);
	});

	it('resumes a launch without a second campaign for a step Listmonk already has', async () => {
		const resumed = await newSequence({ name: 'Resumed', steps: steps([2, 4]) });
		// a crash after Listmonk made step 1's campaign, before it was recorded: it carries the step's tags
		const list = (await lmApi().post('/api/lists', { name: 'scratch', type: 'private', optin: 'single' })).body as { data: { id: number } };
		const early = await lmApi().post('/api/campaigns', { name: 'Resumed — Announcement', subject: 'early', lists: [list.data.id], body: '<p>x</p>', send_at: new Date(Date.now() + 2 * DAY).toISOString(), tags: ['directus-segmentation', `sequence-${resumed}`, `sequence-${resumed}-step-1`] });
		expect(early.status, JSON.stringify(early.body)).toBe(200);
		const res = await d.http('POST', `/segmentation/sequences/${resumed}/launch`, {});
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		const made = await campaigns(`sequence-${resumed}`);
		expect(made).toHaveLength(2);
		expect(res.body.data.campaigns[0].campaign_id).toBe((early.body as { data: { id: number } }).data.id);
		// the draft found again is scheduled like the rest
		expect(made.map((c) => c.status)).toEqual(['scheduled', 'scheduled']);
	});

	it('cancels: the pending campaigns are unscheduled and the sequence can’t be launched again', async () => {
		const res = await d.http('POST', `/segmentation/sequences/${sequence}/cancel`, {});
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		expect(res.body.data.status).toBe('cancelled');
		expect((await campaigns(`sequence-${sequence}`)).map((c) => c.status)).toEqual(['draft', 'draft', 'draft']);
		expect(res.body.data.campaigns.map((c: { status: string }) => c.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
		const again = await d.http('POST', `/segmentation/sequences/${sequence}/launch`, {});
		expect(again.status).toBe(409);
		expect(JSON.stringify(again.body)).toContain('it was cancelled');
	});
});
