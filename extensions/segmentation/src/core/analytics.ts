// The marketer's view in numbers: the RFM grid, the overview (named segments, lifecycle stages, value tiers), a
// segment's breakdown and its campaign results, shaped from the few aggregate rows the store's SQL returns (one
// row per group, never per client). Pure: every list a chart draws is complete (zeros included), in a fixed order,
// and each item carries the Directus filter that opens the client list on it.

/** A Directus filter on the client collection (the App's `filter` query parameter, as JSON). */
export type ClientFilter = Record<string, unknown>;

/** Lifecycle stages in funnel order, then the two that left it. */
export const LIFECYCLE_ORDER = ['lead', 'in_selection', 'one_time', 'returning', 'regular', 'refused', 'uninterested'] as const;
export const VALUE_TIERS = ['vip', 'regular', 'difficult'] as const;

/** The engine's computed fields (engine-fields.ts) the filters name. */
const F = { r: 'rfm_r', f: 'rfm_f', segment: 'rfm_segment', stage: 'lifecycle_stage', tier: 'value_tier', sleeping: 'is_sleeping' } as const;

export const cellFilter = (r: number, f: number): ClientFilter => ({ _and: [{ [F.r]: { _eq: r } }, { [F.f]: { _eq: f } }] });
export const fieldFilter = (field: string, value: string | boolean | null): ClientFilter => (value === null ? { [field]: { _null: true } } : { [field]: { _eq: value } });

/** A share rounded to 4 decimals (0 of nothing). */
export const share = (n: number, total: number): number => (total > 0 ? Math.round((n / total) * 10_000) / 10_000 : 0);
/** Money rounded to cents (sums of decimals arrive as strings or floats). */
export const money = (value: unknown): number => {
	const n = Number(value ?? 0);
	return Number.isFinite(n) ? Math.round(n * 100) / 100 : 0;
};
const count = (value: unknown): number => Number(value ?? 0) || 0;
const scoreOf = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

// ── the RFM grid ──

/** One aggregate row: clients with these scores (all null: the unscored). */
export interface GridRow { r: unknown; f: unknown; m: unknown; clients: unknown; revenue: unknown }

export interface GridCell {
	r: number;
	f: number;
	clients: number;
	revenue: number;
	/** Revenue per client of the cell. */
	average: number;
	/** Of the scored clients. */
	share_clients: number;
	share_revenue: number;
	by_m: Array<{ m: number; clients: number; revenue: number }>;
	filter: ClientFilter;
}

export interface RfmGrid {
	scheme: string;
	levels: number;
	total_clients: number;
	scored_clients: number;
	total_revenue: number;
	cells: GridCell[];
}

/**
 * Every (r, f) cell for r, f in 1..levels, ordered by r then f, each with every m. `levels` grows to the largest
 * score found (scores written under an earlier scheme, before the next run rescored them), so the cells always add
 * up to the scored clients.
 */
export function shapeGrid(rows: readonly GridRow[], opts: { scheme: string; levels: number }): RfmGrid {
	let total = 0;
	let levels = opts.levels;
	const scored: Array<{ r: number; f: number; m: number | null; clients: number; revenue: number }> = [];
	for (const row of rows) {
		const clients = count(row.clients);
		total += clients;
		const r = scoreOf(row.r);
		const f = scoreOf(row.f);
		if (r === null || f === null) continue;
		const m = scoreOf(row.m);
		levels = Math.max(levels, r, f, m ?? 0);
		scored.push({ r, f, m, clients, revenue: Number(row.revenue ?? 0) || 0 });
	}
	const scoredClients = scored.reduce((s, x) => s + x.clients, 0);
	const totalRevenue = scored.reduce((s, x) => s + x.revenue, 0);
	const cells: GridCell[] = [];
	for (let r = 1; r <= levels; r++) {
		for (let f = 1; f <= levels; f++) {
			const inCell = scored.filter((x) => x.r === r && x.f === f);
			const clients = inCell.reduce((s, x) => s + x.clients, 0);
			const revenue = inCell.reduce((s, x) => s + x.revenue, 0);
			const by_m = Array.from({ length: levels }, (_, i) => {
				const at = inCell.filter((x) => x.m === i + 1);
				return { m: i + 1, clients: at.reduce((s, x) => s + x.clients, 0), revenue: money(at.reduce((s, x) => s + x.revenue, 0)) };
			});
			cells.push({
				r, f, clients, revenue: money(revenue), average: clients ? money(revenue / clients) : 0,
				share_clients: share(clients, scoredClients), share_revenue: share(revenue, totalRevenue), by_m, filter: cellFilter(r, f),
			});
		}
	}
	return { scheme: opts.scheme, levels, total_clients: total, scored_clients: scoredClients, total_revenue: money(totalRevenue), cells };
}

// ── the overview ──

/** One aggregate row per (named segment, stage, tier, sleeping): clients, how many of them are scored, their
 *  revenue and won deals. */
export interface OverviewRow { segment: unknown; stage: unknown; tier: unknown; sleeping: unknown; clients: unknown; scored: unknown; revenue: unknown; purchases: unknown }

export interface Overview {
	totals: { clients: number; scored_clients: number; revenue: number; won_deals: number };
	rfm_segments: Array<{ name: string | null; clients: number; revenue: number; share_clients: number; share_revenue: number; filter: ClientFilter }>;
	lifecycle_stages: Array<{ stage: string; clients: number; share: number; filter: ClientFilter }>;
	sleeping: { clients: number; share: number; filter: ClientFilter };
	value_tiers: Array<{ tier: string; clients: number; revenue: number; share_clients: number; share_revenue: number; filter: ClientFilter }>;
}

const text = (value: unknown): string | null => (value === null || value === undefined || value === '' ? null : String(value));
const truthy = (value: unknown): boolean => value === true || value === 1 || value === '1' || value === 't' || value === 'true';

/** Sums per key, the known keys first in their order (zeros included), then the others by clients (most first). */
function groupInOrder<K extends string | null>(items: Array<{ key: K; clients: number; revenue: number }>, order: readonly K[]): Array<{ key: K; clients: number; revenue: number }> {
	const sums = new Map<K, { clients: number; revenue: number }>(order.map((k) => [k, { clients: 0, revenue: 0 }]));
	for (const item of items) {
		const s = sums.get(item.key) ?? { clients: 0, revenue: 0 };
		s.clients += item.clients;
		s.revenue += item.revenue;
		sums.set(item.key, s);
	}
	const known = order.map((key) => ({ key, ...sums.get(key)! }));
	const others = [...sums].filter(([key]) => !order.includes(key)).map(([key, s]) => ({ key, ...s })).sort((a, b) => b.clients - a.clients);
	return [...known, ...others];
}

/**
 * `segmentOrder`: the named segments of the current scheme (the settings' map, Champions … Lost), listed with zeros
 * when empty; other names found (an earlier map) follow, and scored clients no rule named come last as `name: null`.
 */
export function shapeOverview(rows: readonly OverviewRow[], opts: { segmentOrder: readonly string[] }): Overview {
	const parsed = rows.map((row) => ({
		segment: text(row.segment), stage: text(row.stage), tier: text(row.tier), sleeping: truthy(row.sleeping),
		clients: count(row.clients), scored: count(row.scored), revenue: Number(row.revenue ?? 0) || 0, purchases: count(row.purchases),
	}));
	const clients = parsed.reduce((s, x) => s + x.clients, 0);
	const scored = parsed.reduce((s, x) => s + x.scored, 0);
	const revenue = parsed.reduce((s, x) => s + x.revenue, 0);
	const wonDeals = parsed.reduce((s, x) => s + x.purchases, 0);

	const segments = groupInOrder(parsed.filter((x) => x.scored > 0).map((x) => ({ key: x.segment, clients: x.scored, revenue: x.revenue })), opts.segmentOrder)
		.filter((s) => s.key !== null || s.clients > 0)
		.sort((a, b) => (a.key === null ? 1 : 0) - (b.key === null ? 1 : 0));
	const stages = groupInOrder(parsed.filter((x) => x.stage !== null).map((x) => ({ key: x.stage as string, clients: x.clients, revenue: x.revenue })), LIFECYCLE_ORDER);
	const sleeping = parsed.filter((x) => x.sleeping).reduce((s, x) => s + x.clients, 0);
	const tiers = groupInOrder(parsed.filter((x) => x.tier !== null).map((x) => ({ key: x.tier as string, clients: x.clients, revenue: x.revenue })), VALUE_TIERS);

	return {
		totals: { clients, scored_clients: scored, revenue: money(revenue), won_deals: wonDeals },
		rfm_segments: segments.map((s) => ({ name: s.key, clients: s.clients, revenue: money(s.revenue), share_clients: share(s.clients, scored), share_revenue: share(s.revenue, revenue), filter: fieldFilter(F.segment, s.key) })),
		lifecycle_stages: stages.map((s) => ({ stage: s.key, clients: s.clients, share: share(s.clients, clients), filter: fieldFilter(F.stage, s.key) })),
		sleeping: { clients: sleeping, share: share(sleeping, clients), filter: fieldFilter(F.sleeping, true) },
		value_tiers: tiers.map((s) => ({ tier: s.key, clients: s.clients, revenue: money(s.revenue), share_clients: share(s.clients, clients), share_revenue: share(s.revenue, revenue), filter: fieldFilter(F.tier, s.key) })),
	};
}

// ── a segment's members ──

export interface BreakdownRow { stage: unknown; tier: unknown; clients: unknown; revenue: unknown }

export interface MemberBreakdown {
	member_count: number;
	revenue: number;
	lifecycle_stages: Array<{ stage: string | null; clients: number; share: number }>;
	value_tiers: Array<{ tier: string | null; clients: number; revenue: number; share: number }>;
}

/** Members by lifecycle stage (funnel order, zeros included) and value tier; members without one (no stage yet, no
 *  purchase for a tier) are listed as null when there are any. */
export function shapeBreakdown(rows: readonly BreakdownRow[]): MemberBreakdown {
	const parsed = rows.map((row) => ({ stage: text(row.stage), tier: text(row.tier), clients: count(row.clients), revenue: Number(row.revenue ?? 0) || 0 }));
	const members = parsed.reduce((s, x) => s + x.clients, 0);
	const revenue = parsed.reduce((s, x) => s + x.revenue, 0);
	const stages = groupInOrder(parsed.map((x) => ({ key: x.stage, clients: x.clients, revenue: x.revenue })), LIFECYCLE_ORDER as readonly (string | null)[]).filter((s) => s.key !== null || s.clients > 0);
	const tiers = groupInOrder(parsed.map((x) => ({ key: x.tier, clients: x.clients, revenue: x.revenue })), VALUE_TIERS as readonly (string | null)[]).filter((s) => s.key !== null || s.clients > 0);
	return {
		member_count: members,
		revenue: money(revenue),
		lifecycle_stages: stages.map((s) => ({ stage: s.key, clients: s.clients, share: share(s.clients, members) })),
		value_tiers: tiers.map((s) => ({ tier: s.key, clients: s.clients, revenue: money(s.revenue), share: share(s.clients, members) })),
	};
}

/** A segment's members per (stage, tier, lead source): one query answers every segment's figures at once. */
export interface SegmentFigureRow extends BreakdownRow { segment: unknown; lead_source: unknown }
/** The whole base per lead source. */
export interface LeadSourceRow { lead_source: unknown; clients: unknown }

export interface LeadSources {
	base_total: number;
	segment_total: number;
	sources: Array<{ lead_source: string | null; base: number; segment: number; base_share: number; segment_share: number }>;
}

/** What a segment page shows of its members: stages and tiers, and lead sources against the base (null when the base
 *  has no lead source field mapped). */
export interface SegmentFigures extends MemberBreakdown { lead_sources: LeadSources | null }

/** A lead source as stored ('' stays apart from null: the filter that opens its clients differs). */
const sourceOf = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/** Each source of the base with the segment's count beside it, the segment's biggest first (then the base's, then by
 *  name, so equal counts keep one order). */
export function shapeLeadSources(base: readonly LeadSourceRow[], inSegment: ReadonlyMap<string | null, number>): LeadSources {
	const sources = base.map((row) => ({ lead_source: sourceOf(row.lead_source), base: count(row.clients) }));
	const base_total = sources.reduce((s, x) => s + x.base, 0);
	const segment_total = [...inSegment.values()].reduce((s, n) => s + n, 0);
	return {
		base_total,
		segment_total,
		sources: sources
			.map((x) => ({ ...x, segment: inSegment.get(x.lead_source) ?? 0 }))
			.sort((a, b) => b.segment - a.segment || b.base - a.base || String(a.lead_source ?? '').localeCompare(String(b.lead_source ?? '')))
			.map((x) => ({ lead_source: x.lead_source, base: x.base, segment: x.segment, base_share: share(x.base, base_total), segment_share: share(x.segment, segment_total) })),
	};
}

/** Every asked segment's figures from the grouped rows (a segment without members gets empty figures). */
export function shapeSegmentFigures(rows: readonly SegmentFigureRow[], segments: readonly number[], base: readonly LeadSourceRow[] | null): Map<number, SegmentFigures> {
	const bySegment = new Map<number, SegmentFigureRow[]>(segments.map((id) => [id, []]));
	for (const row of rows) bySegment.get(count(row.segment))?.push(row);
	const figures = new Map<number, SegmentFigures>();
	for (const [id, own] of bySegment) {
		const sources = new Map<string | null, number>();
		for (const row of own) sources.set(sourceOf(row.lead_source), (sources.get(sourceOf(row.lead_source)) ?? 0) + count(row.clients));
		figures.set(id, { ...shapeBreakdown(own), lead_sources: base ? shapeLeadSources(base, sources) : null });
	}
	return figures;
}

// ── campaign results ──

/** A Listmonk campaign as the comparison needs it. */
export interface CampaignFigures {
	id: number;
	name: string;
	status: string;
	/** When it started sending (created, for one that never started): ISO. */
	at: string | null;
	lists: number[];
	sent: number;
	views: number;
	clicks: number;
}

export interface CampaignTotals { campaigns: number; sent: number; views: number; clicks: number; view_rate: number; click_rate: number }
export interface CampaignRow { id: number; name: string; status: string; at: string | null; sent: number; views: number; clicks: number; view_rate: number; click_rate: number }

export interface CampaignComparison {
	/** The days (UTC) from the first to the last campaign sent to the segment's list (null: none yet). */
	period: { from: string; to: string } | null;
	campaigns: CampaignRow[];
	totals: CampaignTotals;
	/** Campaigns sent to other lists only, within the period. */
	other_campaigns: CampaignRow[];
	other_totals: CampaignTotals;
}

export function campaignTotals(list: readonly CampaignFigures[]): CampaignTotals {
	const sent = list.reduce((s, c) => s + c.sent, 0);
	const views = list.reduce((s, c) => s + c.views, 0);
	const clicks = list.reduce((s, c) => s + c.clicks, 0);
	return { campaigns: list.length, sent, views, clicks, view_rate: share(views, sent), click_rate: share(clicks, sent) };
}

const row = (c: CampaignFigures): CampaignRow => ({ id: c.id, name: c.name, status: c.status, at: c.at, sent: c.sent, views: c.views, clicks: c.clicks, view_rate: share(c.views, c.sent), click_rate: share(c.clicks, c.sent) });
const byTime = (a: CampaignFigures, b: CampaignFigures) => (a.at ?? '').localeCompare(b.at ?? '') || a.id - b.id;

/** The segment's campaigns (those whose lists hold its list) against the others sent within their period. */
export function compareCampaigns(all: readonly CampaignFigures[], listId: number): CampaignComparison {
	const mine = all.filter((c) => c.lists.includes(listId)).sort(byTime);
	const times = mine.map((c) => (c.at ? Date.parse(c.at) : NaN)).filter((t) => Number.isFinite(t));
	const DAY = 86_400_000;
	// whole days: one campaign still has the day's other sends to compare with
	const period = times.length ? { from: new Date(Math.floor(Math.min(...times) / DAY) * DAY).toISOString(), to: new Date(Math.floor(Math.max(...times) / DAY) * DAY + DAY - 1).toISOString() } : null;
	const others = period
		? all
				.filter((c) => !c.lists.includes(listId) && c.at !== null)
				.filter((c) => {
					const t = Date.parse(c.at!);
					return t >= Date.parse(period.from) && t <= Date.parse(period.to);
				})
				.sort(byTime)
		: [];
	return { period, campaigns: mine.map(row), totals: campaignTotals(mine), other_campaigns: others.map(row), other_totals: campaignTotals(others) };
}
