import { describe, expect, it } from 'vitest';
import { cellFilter, compareCampaigns, shapeBreakdown, shapeGrid, shapeOverview, shapeSegmentFigures, type CampaignFigures } from './analytics.ts';

describe('the RFM grid', () => {
	it('has every cell (zeros included), sums to the scored clients and splits each cell by M', () => {
		const grid = shapeGrid(
			[
				{ r: null, f: null, m: null, clients: 5, revenue: null },
				{ r: 3, f: 3, m: 3, clients: '2', revenue: '300.50' },
				{ r: 3, f: 3, m: 1, clients: 1, revenue: 10 },
				{ r: 1, f: 2, m: 2, clients: 4, revenue: 89.5 },
			],
			{ scheme: 'abc', levels: 3 },
		);
		expect(grid).toMatchObject({ scheme: 'abc', levels: 3, total_clients: 12, scored_clients: 7, total_revenue: 400 });
		expect(grid.cells).toHaveLength(9);
		expect(grid.cells.map((c) => [c.r, c.f])).toEqual([[1, 1], [1, 2], [1, 3], [2, 1], [2, 2], [2, 3], [3, 1], [3, 2], [3, 3]]);
		expect(grid.cells.reduce((s, c) => s + c.clients, 0)).toBe(7);
		const top = grid.cells.at(-1)!;
		expect(top).toMatchObject({ r: 3, f: 3, clients: 3, revenue: 310.5, average: 103.5, share_clients: 0.4286, share_revenue: 0.7763 });
		expect(top.by_m).toEqual([{ m: 1, clients: 1, revenue: 10 }, { m: 2, clients: 0, revenue: 0 }, { m: 3, clients: 2, revenue: 300.5 }]);
		expect(top.filter).toEqual({ _and: [{ rfm_r: { _eq: 3 } }, { rfm_f: { _eq: 3 } }] });
		expect(grid.cells[0]).toMatchObject({ clients: 0, revenue: 0, average: 0, share_clients: 0, share_revenue: 0 });
	});

	it('grows to scores of an earlier scheme, so the cells still add up', () => {
		const grid = shapeGrid([{ r: 5, f: 1, m: 4, clients: 2, revenue: 1 }], { scheme: 'abc', levels: 3 });
		expect(grid.levels).toBe(5);
		expect(grid.cells).toHaveLength(25);
		expect(grid.cells.reduce((s, c) => s + c.clients, 0)).toBe(2);
	});

	it('answers an empty base with a full grid of zeros', () => {
		const grid = shapeGrid([], { scheme: 'quintile', levels: 5 });
		expect(grid).toMatchObject({ total_clients: 0, scored_clients: 0, total_revenue: 0 });
		expect(grid.cells).toHaveLength(25);
		expect(cellFilter(2, 5)).toEqual({ _and: [{ rfm_r: { _eq: 2 } }, { rfm_f: { _eq: 5 } }] });
	});
});

describe('the overview', () => {
	const rows = [
		{ segment: 'Champions', stage: 'regular', tier: 'vip', sleeping: false, clients: 2, scored: 2, revenue: '500.00', purchases: 10 },
		{ segment: 'Lost', stage: 'one_time', tier: 'regular', sleeping: 1, clients: 3, scored: 3, revenue: 60, purchases: 3 },
		{ segment: 'Old name', stage: 'returning', tier: 'difficult', sleeping: 't', clients: 1, scored: 1, revenue: 40, purchases: 2 },
		{ segment: null, stage: 'returning', tier: 'regular', sleeping: 0, clients: 1, scored: 1, revenue: 0, purchases: 2 },
		{ segment: null, stage: 'lead', tier: null, sleeping: null, clients: 4, scored: 0, revenue: null, purchases: null },
	];
	const o = shapeOverview(rows, { segmentOrder: ['Champions', 'Loyal', 'Lost'] });

	it('totals clients, scored clients, revenue and won deals', () => {
		expect(o.totals).toEqual({ clients: 11, scored_clients: 7, revenue: 600, won_deals: 17 });
	});

	it('lists the named segments in the map order with zeros, then other names, then the unnamed scored', () => {
		expect(o.rfm_segments.map((s) => [s.name, s.clients, s.revenue])).toEqual([['Champions', 2, 500], ['Loyal', 0, 0], ['Lost', 3, 60], ['Old name', 1, 40], [null, 1, 0]]);
		expect(o.rfm_segments[0]).toMatchObject({ share_clients: 0.2857, share_revenue: 0.8333, filter: { rfm_segment: { _eq: 'Champions' } } });
		expect(o.rfm_segments.at(-1)!.filter).toEqual({ rfm_segment: { _null: true } });
	});

	it('lists the lifecycle stages in funnel order, then refused and uninterested, and the sleeping', () => {
		expect(o.lifecycle_stages.map((s) => [s.stage, s.clients])).toEqual([['lead', 4], ['in_selection', 0], ['one_time', 3], ['returning', 2], ['regular', 2], ['refused', 0], ['uninterested', 0]]);
		expect(o.lifecycle_stages[0]).toMatchObject({ share: 0.3636, filter: { lifecycle_stage: { _eq: 'lead' } } });
		expect(o.sleeping).toEqual({ clients: 4, share: 0.3636, filter: { is_sleeping: { _eq: true } } });
	});

	it('lists the value tiers with their revenue', () => {
		expect(o.value_tiers.map((t) => [t.tier, t.clients, t.revenue])).toEqual([['vip', 2, 500], ['regular', 4, 60], ['difficult', 1, 40]]);
		expect(o.value_tiers[0]).toMatchObject({ share_clients: 0.1818, share_revenue: 0.8333, filter: { value_tier: { _eq: 'vip' } } });
	});
});

describe("a segment's breakdown", () => {
	it('counts the members per stage (funnel order) and tier; members without a tier show as null', () => {
		const b = shapeBreakdown([
			{ stage: 'regular', tier: 'vip', clients: 3, revenue: '900' },
			{ stage: 'lead', tier: null, clients: 1, revenue: null },
		]);
		expect(b.member_count).toBe(4);
		expect(b.revenue).toBe(900);
		expect(b.lifecycle_stages.map((s) => [s.stage, s.clients])).toEqual([['lead', 1], ['in_selection', 0], ['one_time', 0], ['returning', 0], ['regular', 3], ['refused', 0], ['uninterested', 0]]);
		expect(b.value_tiers).toEqual([
			{ tier: 'vip', clients: 3, revenue: 900, share: 0.75 },
			{ tier: 'regular', clients: 0, revenue: 0, share: 0 },
			{ tier: 'difficult', clients: 0, revenue: 0, share: 0 },
			{ tier: null, clients: 1, revenue: 0, share: 0.25 },
		]);
	});

	it('is all zeros for an empty segment', () => {
		const b = shapeBreakdown([]);
		expect(b.member_count).toBe(0);
		expect(b.value_tiers.map((t) => t.tier)).toEqual(['vip', 'regular', 'difficult']);
	});
});

describe("every segment's figures from one grouped query", () => {
	const base = [
		{ lead_source: 'instagram', clients: 50 },
		{ lead_source: 'ads', clients: 30 },
		{ lead_source: '', clients: 5 },
		{ lead_source: null, clients: 15 },
	];
	it('splits the rows per segment: stages and tiers as the breakdown counts them, lead sources against the base', () => {
		const figures = shapeSegmentFigures(
			[
				{ segment: 7, stage: 'regular', tier: 'vip', lead_source: 'ads', clients: 3, revenue: '900' },
				{ segment: '7', stage: 'regular', tier: 'vip', lead_source: 'instagram', clients: 1, revenue: 100 },
				{ segment: 7, stage: 'lead', tier: null, lead_source: null, clients: 1, revenue: null },
				{ segment: 9, stage: 'one_time', tier: 'regular', lead_source: 'instagram', clients: 2, revenue: 40 },
			],
			[7, 9, 11],
			base,
		);
		const seven = figures.get(7)!;
		expect(seven).toMatchObject(shapeBreakdown([
			{ stage: 'regular', tier: 'vip', clients: 4, revenue: 1000 },
			{ stage: 'lead', tier: null, clients: 1, revenue: null },
		]));
		expect(seven.lead_sources).toEqual({
			base_total: 100,
			segment_total: 5,
			sources: [
				{ lead_source: 'ads', base: 30, segment: 3, base_share: 0.3, segment_share: 0.6 },
				{ lead_source: 'instagram', base: 50, segment: 1, base_share: 0.5, segment_share: 0.2 },
				{ lead_source: null, base: 15, segment: 1, base_share: 0.15, segment_share: 0.2 },
				// an empty source stays apart from a missing one
				{ lead_source: '', base: 5, segment: 0, base_share: 0.05, segment_share: 0 },
			],
		});
		expect(figures.get(9)!.member_count).toBe(2);
		expect(figures.get(9)!.lead_sources!.sources[0]).toMatchObject({ lead_source: 'instagram', segment: 2 });
		// a segment without members: empty figures, the base's sources with zeros
		expect(figures.get(11)!.member_count).toBe(0);
		expect(figures.get(11)!.lead_sources!.sources.map((x) => [x.lead_source, x.segment])).toEqual([['instagram', 0], ['ads', 0], [null, 0], ['', 0]]);
	});

	it('has no lead sources when the base maps none, and ignores rows of segments not asked for', () => {
		const figures = shapeSegmentFigures([{ segment: 3, stage: 'lead', tier: null, lead_source: null, clients: 2, revenue: 0 }, { segment: 4, stage: 'lead', tier: null, lead_source: null, clients: 9, revenue: 0 }], [3], null);
		expect([...figures.keys()]).toEqual([3]);
		expect(figures.get(3)!.lead_sources).toBeNull();
		expect(figures.get(3)!.member_count).toBe(2);
	});
});

describe('campaign results', () => {
	const c = (id: number, lists: number[], at: string | null, sent: number, views: number, clicks: number): CampaignFigures => ({ id, name: `c${id}`, status: 'finished', at, lists, sent, views, clicks });

	it("compares the segment's campaigns with the others sent in the same days", () => {
		const all = [
			c(1, [7], '2026-03-02T10:00:00Z', 100, 50, 20),
			c(2, [7, 9], '2026-03-05T08:00:00Z', 100, 30, 10),
			c(3, [9], '2026-03-05T23:00:00Z', 1000, 200, 30), // the last day counts whole
			c(4, [9], '2026-03-01T23:59:59Z', 500, 100, 5), // before the first day
			c(5, [8], '2026-03-03T00:00:00Z', 0, 0, 0),
			c(6, [8], null, 10, 1, 1),
		];
		const r = compareCampaigns(all, 7);
		expect(r.period).toEqual({ from: '2026-03-02T00:00:00.000Z', to: '2026-03-05T23:59:59.999Z' });
		expect(r.campaigns.map((x) => x.id)).toEqual([1, 2]);
		expect(r.totals).toEqual({ campaigns: 2, sent: 200, views: 80, clicks: 30, view_rate: 0.4, click_rate: 0.15 });
		expect(r.other_campaigns.map((x) => x.id)).toEqual([5, 3]);
		expect(r.other_totals).toEqual({ campaigns: 2, sent: 1000, views: 200, clicks: 30, view_rate: 0.2, click_rate: 0.03 });
		expect(r.campaigns[0]).toMatchObject({ id: 1, click_rate: 0.2, view_rate: 0.5 });
		expect(r.other_campaigns[0]).toMatchObject({ id: 5, click_rate: 0, view_rate: 0 });
	});

	it('has no period and nothing to compare before the first campaign to the list', () => {
		const r = compareCampaigns([c(3, [9], '2026-03-05T23:00:00Z', 1000, 200, 30)], 7);
		expect(r).toEqual({ period: null, campaigns: [], totals: { campaigns: 0, sent: 0, views: 0, clicks: 0, view_rate: 0, click_rate: 0 }, other_campaigns: [], other_totals: { campaigns: 0, sent: 0, views: 0, clicks: 0, view_rate: 0, click_rate: 0 } });
	});
});
