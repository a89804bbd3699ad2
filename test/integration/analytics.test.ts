// The marketer's view's API through a real Directus on a seeded base: the RFM grid, the overview and a segment's
// breakdown equal what SQL counts directly (and each cell's filter selects as many clients through Directus's own
// REST API); the campaign results come from the Listmonk double's campaigns (the segment's list against another
// list in the same days), and an unreachable Listmonk is a notice in a 200.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { queueSettled } from '../harness/queue.ts';
import { runScript } from '../harness/scripts.ts';
import { startListmonkDouble, type ListmonkDouble } from '../listmonk-double/index.ts';
import { apiClient } from '../listmonk-double/test-client.ts';

const USER = 'analytics';
const TOKEN = 'analytics-token-5e1c0a77';
const WAIT = { timeout: 60_000, interval: 200 };

const num = (v: unknown) => Number(v ?? 0);
const cents = (v: unknown) => Math.round(num(v) * 100);

describe('the analytics endpoints', () => {
	let lm: ListmonkDouble;
	let d: TestDirectus;
	let segment: number;
	let listId: number;
	const lmApi = () => apiClient(lm.url, { username: USER, token: TOKEN });

	beforeAll(async () => {
		lm = await startListmonkDouble({ users: [{ username: USER, token: TOKEN, permissions: 'super' }] });
		d = await bootDirectus({ env: { LISTMONK_URL: lm.url, LISTMONK_API_USER: USER, LISTMONK_API_TOKEN: TOKEN, SEGMENTATION_AUTOMATIONS_CRON: 'off' } });
		const seeded = await runScript(d, 'seed.ts', ['--clients', '300', '--seed', '5']);
		expect(seeded.code, seeded.stderr).toBe(0);
		await queueSettled(d);
		const made = await d.http('POST', '/items/segments', { name: 'Recent buyers', kind: 'dynamic', is_active: true, rule: { rfm_r: { _gte: 2 } }, listmonk_sync: true });
		expect(made.status, JSON.stringify(made.body)).toBe(200);
		segment = made.body.data.id;
		// the sync makes the segment's Listmonk list
		await vi.waitFor(async () => {
			listId = Number((await d.knex('segments').where({ id: segment }).first('listmonk_list_id'))?.listmonk_list_id ?? 0);
			expect(listId).toBeGreaterThan(0);
		}, WAIT);
		await queueSettled(d);
	});
	afterAll(async () => {
		await d?.stop();
		await lm?.close();
	});

	it('draws the RFM grid: every cell, each count and revenue as SQL finds them, summing to the scored clients', async () => {
		const res = await d.http('GET', '/segmentation/analytics/rfm-grid');
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		const grid = res.body.data;
		expect(grid).toMatchObject({ scheme: 'abc', levels: 3 });
		expect(grid.cells).toHaveLength(9);
		const rows: Array<Record<string, unknown>> = await d.knex('clients').whereNotNull('rfm_r').groupBy('rfm_r', 'rfm_f', 'rfm_m').select('rfm_r', 'rfm_f', 'rfm_m').count({ n: '*' }).sum({ revenue: 'rfm_monetary' });
		const scored = rows.reduce((s, r) => s + num(r['n']), 0);
		const total = num((await d.knex('clients').count({ n: '*' }).first())!['n']);
		expect(scored).toBeGreaterThan(100);
		expect(grid.scored_clients).toBe(scored);
		expect(grid.total_clients).toBe(total);
		expect(grid.cells.reduce((s: number, c: { clients: number }) => s + c.clients, 0)).toBe(scored);
		expect(cents(grid.total_revenue)).toBe(rows.reduce((s, r) => s + cents(r['revenue']), 0));
		for (const cell of grid.cells) {
			const inCell = rows.filter((r) => num(r['rfm_r']) === cell.r && num(r['rfm_f']) === cell.f);
			expect(cell.clients, `cell ${cell.r}/${cell.f}`).toBe(inCell.reduce((s, r) => s + num(r['n']), 0));
			expect(cents(cell.revenue), `cell ${cell.r}/${cell.f}`).toBe(inCell.reduce((s, r) => s + cents(r['revenue']), 0));
			expect(cell.by_m.map((x: { m: number; clients: number }) => x.clients)).toEqual([1, 2, 3].map((m) => inCell.filter((r) => num(r['rfm_m']) === m).reduce((s, r) => s + num(r['n']), 0)));
			expect(cell.filter).toEqual({ _and: [{ rfm_r: { _eq: cell.r } }, { rfm_f: { _eq: cell.f } }] });
		}
		// a cell's filter selects its clients in Directus (what the App opens when the cell is clicked)
		const busiest = [...grid.cells].sort((a, b) => b.clients - a.clients)[0];
		const listed = await d.http('GET', `/items/clients?fields=id&limit=-1&filter=${encodeURIComponent(JSON.stringify(busiest.filter))}`);
		expect(listed.body.data).toHaveLength(busiest.clients);
	});

	it('answers the overview as SQL counts it: named segments, lifecycle stages, sleeping, value tiers, totals', async () => {
		const res = await d.http('GET', '/segmentation/analytics/overview');
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		const o = res.body.data;
		const k = d.knex;
		const totals = (await k('clients').count({ clients: '*' }).count({ scored: 'rfm_r' }).sum({ revenue: 'rfm_monetary' }).sum({ purchases: 'rfm_frequency' }).first())!;
		expect(o.totals.clients).toBe(num(totals['clients']));
		expect(o.totals.scored_clients).toBe(num(totals['scored']));
		expect(cents(o.totals.revenue)).toBe(cents(totals['revenue']));
		expect(o.totals.won_deals).toBe(num(totals['purchases']));
		expect(o.totals.won_deals).toBeGreaterThan(0);

		const segments: Array<Record<string, unknown>> = await k('clients').whereNotNull('rfm_r').groupBy('rfm_segment').select('rfm_segment').count({ n: '*' }).sum({ revenue: 'rfm_monetary' });
		for (const s of segments) {
			const item = o.rfm_segments.find((x: { name: string | null }) => x.name === (s['rfm_segment'] ?? null));
			expect(item, String(s['rfm_segment'])).toBeDefined();
			expect(item.clients).toBe(num(s['n']));
			expect(cents(item.revenue)).toBe(cents(s['revenue']));
		}
		expect(o.rfm_segments.reduce((s: number, x: { clients: number }) => s + x.clients, 0)).toBe(num(totals['scored']));
		expect(o.rfm_segments.slice(0, 3).map((x: { name: string }) => x.name)).toEqual(['Champions', 'Loyal', 'New']);

		const stages: Array<Record<string, unknown>> = await k('clients').whereNotNull('lifecycle_stage').groupBy('lifecycle_stage').select('lifecycle_stage').count({ n: '*' });
		expect(o.lifecycle_stages.map((x: { stage: string }) => x.stage)).toEqual(['lead', 'in_selection', 'one_time', 'returning', 'regular', 'refused', 'uninterested']);
		for (const x of o.lifecycle_stages) expect(x.clients, x.stage).toBe(num(stages.find((s) => s['lifecycle_stage'] === x.stage)?.['n']));
		const sleeping = num((await k('clients').where({ is_sleeping: true }).count({ n: '*' }).first())!['n']);
		expect(o.sleeping).toMatchObject({ clients: sleeping, filter: { is_sleeping: { _eq: true } } });
		expect(sleeping).toBeGreaterThan(0);

		const tiers: Array<Record<string, unknown>> = await k('clients').whereNotNull('value_tier').groupBy('value_tier').select('value_tier').count({ n: '*' }).sum({ revenue: 'rfm_monetary' });
		expect(o.value_tiers.map((x: { tier: string }) => x.tier)).toEqual(['vip', 'regular', 'difficult']);
		for (const x of o.value_tiers) {
			const row = tiers.find((t) => t['value_tier'] === x.tier);
			expect(x.clients, x.tier).toBe(num(row?.['n']));
			expect(cents(x.revenue), x.tier).toBe(cents(row?.['revenue']));
		}
		// each filter selects its clients in Directus
		const vip = o.value_tiers[0];
		const listed = await d.http('GET', `/items/clients?fields=id&limit=-1&filter=${encodeURIComponent(JSON.stringify(vip.filter))}`);
		expect(listed.body.data).toHaveLength(vip.clients);
	});

	it("breaks a segment's members down by stage and tier, with its lead sources against the base", async () => {
		const res = await d.http('GET', `/segmentation/segments/${segment}/breakdown`);
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		const b = res.body.data;
		const members: Array<Record<string, unknown>> = await d.knex('segment_members as m').join('clients as c', 'c.id', 'm.client').where('m.segment', segment).select('c.lifecycle_stage', 'c.value_tier');
		expect(members.length).toBeGreaterThan(0);
		expect(b.segment).toMatchObject({ id: segment, name: 'Recent buyers', kind: 'dynamic', is_active: true });
		expect(b.member_count).toBe(members.length);
		for (const x of b.lifecycle_stages) expect(x.clients, x.stage).toBe(members.filter((m) => (m['lifecycle_stage'] ?? null) === x.stage).length);
		for (const x of b.value_tiers) expect(x.clients, x.tier).toBe(members.filter((m) => (m['value_tier'] ?? null) === x.tier).length);
		const sources = await d.http('GET', `/segmentation/segments/${segment}/lead-sources`);
		const { as_of, live, ...leadSources } = sources.body.data;
		expect(b.lead_sources).toEqual(leadSources);
		// counted when they were asked for, or served as counted at the segment's last refresh
		expect(typeof live).toBe('boolean');
		expect(Date.parse(as_of)).toBeLessThanOrEqual(Date.now());
		expect(Date.parse(b.as_of)).toBeGreaterThan(0);
		expect(b.lead_sources.segment_total).toBe(members.length);

		expect((await d.http('GET', '/segmentation/segments/999999/breakdown')).status).toBe(404);
		expect((await d.http('GET', '/segmentation/segments/abc/breakdown')).status).toBe(400);
		expect((await d.http('GET', '/segmentation/analytics/rfm-grid?extra=1')).status).toBe(400);
	});

	it("compares the campaigns sent to the segment's list with those sent to other lists in the same days; an unreachable Listmonk is a notice", async () => {
		const other = (await lmApi().post('/api/lists', { name: 'Newsletter', type: 'private', optin: 'single' })).body.data.id as number;
		const campaign = async (name: string, lists: number[], stats: { sent: number; views: number; clicks: number; started_at: string }) => {
			const made = await lmApi().post('/api/campaigns', { name, subject: name, lists, body: '<p>Hello</p>' });
			expect(made.status, JSON.stringify(made.body)).toBe(200);
			const id = made.body.data.id as number;
			expect((await lmApi().put(`/api/campaigns/${id}/status`, { status: 'running' })).status).toBe(200);
			lm.campaignStats(id, stats);
			return id;
		};
		const day = (n: number, hour = 10) => new Date(Date.UTC(2026, 2, n, hour)).toISOString();
		const first = await campaign('Segment, first', [listId], { sent: 100, views: 60, clicks: 25, started_at: day(2) });
		const second = await campaign('Segment and newsletter', [listId, other], { sent: 200, views: 80, clicks: 15, started_at: day(5) });
		const whole = await campaign('Newsletter, same days', [other], { sent: 1000, views: 300, clicks: 20, started_at: day(3) });
		await campaign('Newsletter, before', [other], { sent: 500, views: 100, clicks: 5, started_at: day(1) });
		await lmApi().post('/api/campaigns', { name: 'A draft', subject: 'Draft', lists: [listId], body: '<p>Not sent</p>' });

		// Listmonk unreachable (the connection dropped on every try): a notice, 200, nothing cached
		lm.faults.add({ kind: 'reset', method: 'GET', path: '/api/campaigns' });
		const down = await d.http('GET', `/segmentation/analytics/campaigns?segment=${segment}`);
		expect(down.status, JSON.stringify(down.body)).toBe(200);
		expect(down.body.data).toMatchObject({ segment, list_id: listId, campaigns: [], other_campaigns: [], period: null });
		expect(down.body.data.listmonk_error).toMatch(/^Listmonk GET \/api\/campaigns failed \(network\)/);
		expect(JSON.stringify(down.body)).not.toContain(TOKEN);
		lm.faults.clear();

		const res = await d.http('GET', `/segmentation/analytics/campaigns?segment=${segment}`);
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		const r = res.body.data;
		expect(r).toMatchObject({ segment, list_id: listId, listmonk_error: null, period: { from: '2026-03-02T00:00:00.000Z', to: '2026-03-05T23:59:59.999Z' } });
		expect(r.campaigns.map((c: { id: number }) => c.id)).toEqual([first, second]);
		expect(r.totals).toEqual({ campaigns: 2, sent: 300, views: 140, clicks: 40, view_rate: 0.4667, click_rate: 0.1333 });
		expect(r.other_campaigns.map((c: { id: number }) => c.id)).toEqual([whole]);
		expect(r.other_totals).toEqual({ campaigns: 1, sent: 1000, views: 300, clicks: 20, view_rate: 0.3, click_rate: 0.02 });
		expect(r.campaigns[0]).toMatchObject({ name: 'Segment, first', status: 'running', sent: 100, views: 60, clicks: 25, click_rate: 0.25 });

		// cached for a minute: Listmonk is not asked again
		const asked = lm.requests.filter((q) => q.path === '/api/campaigns').length;
		expect((await d.http('GET', `/segmentation/analytics/campaigns?segment=${segment}`)).body.data).toEqual(r);
		expect(lm.requests.filter((q) => q.path === '/api/campaigns').length).toBe(asked);

		expect((await d.http('GET', '/segmentation/analytics/campaigns')).status).toBe(400);
		expect((await d.http('GET', '/segmentation/analytics/campaigns?segment=999999')).status).toBe(404);
	});
});
