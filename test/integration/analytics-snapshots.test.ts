// The marketer's figures on a big base: the RFM grid, the overview and a segment's figures are served from the snapshot counted at
// the end of the last refresh (the daily run's included), with its time; an old one is recounted in the background as
// it is served; `fresh=true` counts now; a snapshot counted under other settings is never served. This Directus is
// told every count is over the live budget (SEGMENTATION_ANALYTICS_LIVE_MS=0), as a million-client base's are, and
// that every snapshot is old (SEGMENTATION_ANALYTICS_MAX_AGE_S=0).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { queueSettled } from '../harness/queue.ts';
import { runScript } from '../harness/scripts.ts';

const SNAPSHOTS = 'segmentation_analytics_snapshots';
const WAIT = { timeout: 60_000, interval: 200 };
const num = (v: unknown) => Number(v ?? 0);

describe('precomputed analytics (a big base)', () => {
	let d: TestDirectus;
	let segment: number;
	const snapshotAt = async (key: string) => num((await d.knex(SNAPSHOTS).where({ key }).first('computed_at'))?.computed_at);
	/** The background recount a served request started has written its snapshot. */
	const recounted = (key: string, servedAsOf: string) => vi.waitFor(async () => expect(await snapshotAt(key)).toBeGreaterThan(Date.parse(servedAsOf)), WAIT);
	const vipCount = async () => num((await d.knex('clients').where({ value_tier: 'vip' }).count({ n: '*' }).first())!['n']);

	beforeAll(async () => {
		d = await bootDirectus({ env: { SEGMENTATION_ANALYTICS_LIVE_MS: '0', SEGMENTATION_ANALYTICS_MAX_AGE_S: '0', SEGMENTATION_AUTOMATIONS_CRON: 'off' } });
		const seeded = await runScript(d, 'seed.ts', ['--clients', '200', '--seed', '8']);
		expect(seeded.code, seeded.stderr).toBe(0);
		await queueSettled(d);
		const made = await d.http('POST', '/items/segments', { name: 'Snapshot buyers', kind: 'dynamic', is_active: true, rule: { rfm_r: { _gte: 2 } } });
		expect(made.status, JSON.stringify(made.body)).toBe(200);
		segment = made.body.data.id;
		await queueSettled(d);
		// the segment's first refresh counted its figures
		await vi.waitFor(async () => expect(await snapshotAt(`segment:${segment}`)).toBeGreaterThan(0), WAIT);
	});
	afterAll(async () => {
		await d?.stop();
	});

	it('serves the overview the last refresh counted, with its time, and recounts an old one in the background', async () => {
		const countedAt = await snapshotAt('overview');
		expect(countedAt, 'the seed’s full pass counted the overview').toBeGreaterThan(0);
		// the grid too: served as the full pass counted it
		const grid = (await d.http('GET', '/segmentation/analytics/rfm-grid')).body.data;
		expect(grid.live).toBe(false);
		expect(grid.scored_clients).toBe(num((await d.knex('clients').whereNotNull('rfm_r').count({ n: '*' }).first())!['n']));
		expect((await d.http('GET', '/segmentation/analytics/rfm-grid?fresh=true')).body.data.live).toBe(true);
		const first = (await d.http('GET', '/segmentation/analytics/overview')).body.data;
		expect(first.live).toBe(false);
		expect(Date.parse(first.as_of)).toBeGreaterThanOrEqual(countedAt);
		const vip = await vipCount();
		expect(vip).toBeGreaterThan(5);
		expect(first.value_tiers.find((t: { tier: string }) => t.tier === 'vip').clients).toBe(vip);
		await recounted('overview', first.as_of);

		// five VIPs become difficult behind the engine's back (no change batch, no refresh)
		const ids = await d.knex('clients').where({ value_tier: 'vip' }).orderBy('id').limit(5).pluck('id');
		await d.knex('clients').whereIn('id', ids).update({ value_tier: 'difficult' });
		const served = (await d.http('GET', '/segmentation/analytics/overview')).body.data;
		expect(served.live).toBe(false);
		expect(served.value_tiers.find((t: { tier: string }) => t.tier === 'vip').clients, 'the snapshot is served as it was counted').toBe(vip);
		// that request found it old: the background recount brings the change
		await vi.waitFor(async () => {
			const now = (await d.http('GET', '/segmentation/analytics/overview')).body.data;
			expect(now.value_tiers.find((t: { tier: string }) => t.tier === 'vip').clients).toBe(vip - 5);
			expect(Date.parse(now.as_of)).toBeGreaterThan(Date.parse(served.as_of));
		}, WAIT);

		// Recount: counted for this request
		await d.knex('clients').whereIn('id', ids.slice(0, 2)).update({ value_tier: 'vip' });
		const now = (await d.http('GET', '/segmentation/analytics/overview?fresh=true')).body.data;
		expect(now.live).toBe(true);
		expect(now.value_tiers.find((t: { tier: string }) => t.tier === 'vip').clients).toBe(vip - 3);
		expect((await d.http('GET', '/segmentation/analytics/overview?fresh=yes')).status).toBe(400);
	});

	it("serves a segment's figures from the snapshot its refresh counted; a refresh counts them again", async () => {
		const countedAt = await snapshotAt(`segment:${segment}`);
		const members = num((await d.knex('segment_members').where({ segment }).count({ n: '*' }).first())!['n']);
		expect(members).toBeGreaterThan(0);
		const b = (await d.http('GET', `/segmentation/segments/${segment}/breakdown`)).body.data;
		expect(b.live).toBe(false);
		expect(b.member_count).toBe(members);
		const sources = (await d.http('GET', `/segmentation/segments/${segment}/lead-sources`)).body.data;
		expect(sources.segment_total).toBe(members);
		expect(sources.sources).toEqual(b.lead_sources.sources);
		await recounted(`segment:${segment}`, sources.as_of);

		// a member added by hand behind the engine's back is not in the snapshot; the segment's refresh takes it out
		// again (the rule decides) and counts the figures anew
		const outsider = num((await d.knex('clients').whereNull('rfm_r').orWhere('rfm_r', '<', 2).first('id'))?.id);
		expect(outsider).toBeGreaterThan(0);
		await d.knex('segment_members').insert({ segment, client: outsider });
		const served = (await d.http('GET', `/segmentation/segments/${segment}/breakdown`)).body.data;
		expect(served.member_count, 'the snapshot is served as it was counted').toBe(members);
		const refreshed = await d.http('POST', `/segmentation/segments/${segment}/refresh`, {});
		expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
		expect(await snapshotAt(`segment:${segment}`)).toBeGreaterThan(countedAt);
		const after = (await d.http('GET', `/segmentation/segments/${segment}/breakdown`)).body.data;
		expect(Date.parse(after.as_of)).toBeGreaterThan(countedAt);
		expect(after.member_count).toBe(num((await d.knex('segment_members').where({ segment }).count({ n: '*' }).first())!['n']));
		expect(after.member_count).toBe(members);

		const live = (await d.http('GET', `/segmentation/segments/${segment}/breakdown?fresh=true`)).body.data;
		expect(live.live).toBe(true);
		expect(live.member_count).toBe(after.member_count);
	});

	it('rescores the base when a new RFM scheme is saved, and the grid counted after it has five levels', async () => {
		const runs = async () => num((await d.knex('segmentation_runs').count({ n: '*' }).first())!['n']);
		const before = await runs();
		expect((await d.http('PATCH', '/items/segmentation_settings', { rfm_scheme: 'quintile' })).status).toBe(200);
		// nobody asks for a recompute: the save queued it
		await vi.waitFor(async () => expect(num((await d.knex('clients').max({ m: 'rfm_r' }).first())!['m'])).toBe(5), WAIT);
		await queueSettled(d);
		const after = await runs();
		expect(after).toBeGreaterThan(before);
		const grid = (await d.http('GET', '/segmentation/analytics/rfm-grid')).body.data;
		expect(grid).toMatchObject({ scheme: 'quintile', levels: 5, live: false });
		expect(grid.cells).toHaveLength(25);
		expect(grid.scored_clients).toBe(num((await d.knex('clients').whereNotNull('rfm_r').count({ n: '*' }).first())!['n']));

		// saving the same scheme again, or only when the daily run starts, rescores nobody
		expect((await d.http('PATCH', '/items/segmentation_settings', { rfm_scheme: 'quintile', recompute_cron: '0 4 * * *' })).status).toBe(200);
		await queueSettled(d);
		expect(await runs()).toBe(after);
	});

	it('never serves a snapshot counted under other settings or another mapping', async () => {
		// stamped in the future, so no recount still under way from the requests above can replace it
		await d.knex(SNAPSHOTS).where({ key: 'overview' }).update({ fingerprint: 'counted-under-another-scheme', computed_at: Date.now() + 86_400_000 });
		const res = (await d.http('GET', '/segmentation/analytics/overview')).body.data;
		expect(res.live).toBe(true);
		expect(res.totals.clients).toBe(num((await d.knex('clients').count({ n: '*' }).first())!['n']));
	});
});
