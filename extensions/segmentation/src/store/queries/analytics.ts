// The marketer's view's SQL: a handful of GROUP BY queries over the clients' computed fields, one row per group
// (core/analytics.ts shapes them). Each reads the whole base in one pass; a big base's are counted at the end of the
// daily run, not per request (directus/analytics/analytics-figures.ts). Migration 12 gave the grid and the overview
// covering indexes; migration 14 dropped them: a full pass rewrites every client's computed fields, so they made the
// daily run 45 % slower at 1M clients and, bloated by it, no longer won over a sequential scan (bench:analytics).
import type { EngineSettings } from '../../core/engine-settings.ts';
import type { BaseTables } from './base-tables.ts';
import { ident, ints, sql, type Sql } from './sql.ts';

/** The engine's computed fields on the client collection (installed by migration 2 under these names). */
export const ANALYTICS_FIELDS = {
	r: 'rfm_r', f: 'rfm_f', m: 'rfm_m', monetary: 'rfm_monetary', frequency: 'rfm_frequency',
	segment: 'rfm_segment', stage: 'lifecycle_stage', tier: 'value_tier', sleeping: 'is_sleeping',
} as const;

/** The computed fields each whole-base query reads (what a caller must be able to read on every client; migration 12
 *  indexed them in this order, migration 14 dropped those indexes). */
export const ANALYTICS_COLUMNS = {
	// the grid: r, f, m with what a cell sums
	grid: [ANALYTICS_FIELDS.r, ANALYTICS_FIELDS.f, ANALYTICS_FIELDS.m, ANALYTICS_FIELDS.monetary, ANALYTICS_FIELDS.frequency],
	// the overview: its groups, then what they sum
	overview: [ANALYTICS_FIELDS.segment, ANALYTICS_FIELDS.stage, ANALYTICS_FIELDS.tier, ANALYTICS_FIELDS.sleeping, ANALYTICS_FIELDS.r, ANALYTICS_FIELDS.monetary, ANALYTICS_FIELDS.frequency],
} as const;

const c = (field: string): Sql => sql`c.${ident(field)}`;
const A = ANALYTICS_FIELDS;

/** A client's spend on won deals: the monetary value, or (when M is the average check) that times the purchases. */
export function revenueOf(settings: Pick<EngineSettings, 'rfm_monetary_basis'>): Sql {
	return settings.rfm_monetary_basis === 'average' ? sql`(${c(A.monetary)} * ${c(A.frequency)})` : c(A.monetary);
}

/** Clients and revenue per (r, f, m); the unscored as the all-null group. */
export function gridQuery(t: BaseTables, settings: Pick<EngineSettings, 'rfm_monetary_basis'>): Sql {
	return sql`SELECT ${c(A.r)} AS r, ${c(A.f)} AS f, ${c(A.m)} AS m, COUNT(*) AS clients, SUM(${revenueOf(settings)}) AS revenue
		FROM ${t.clients.table} c
		GROUP BY ${c(A.r)}, ${c(A.f)}, ${c(A.m)}`;
}

/** Clients, scored clients, revenue and purchases per (named segment, stage, tier, sleeping). */
export function overviewQuery(t: BaseTables, settings: Pick<EngineSettings, 'rfm_monetary_basis'>): Sql {
	return sql`SELECT ${c(A.segment)} AS segment, ${c(A.stage)} AS stage, ${c(A.tier)} AS tier, ${c(A.sleeping)} AS sleeping,
			COUNT(*) AS clients, COUNT(${c(A.r)}) AS scored, SUM(${revenueOf(settings)}) AS revenue, SUM(${c(A.frequency)}) AS purchases
		FROM ${t.clients.table} c
		GROUP BY ${c(A.segment)}, ${c(A.stage)}, ${c(A.tier)}, ${c(A.sleeping)}`;
}

/** Members per (segment, stage, tier, lead source) with their revenue, for every listed segment in one pass over the
 *  memberships (the daily run counts all segments' figures at once). `leadSource` null: the base has none mapped. */
export function segmentFiguresQuery(t: BaseTables, settings: Pick<EngineSettings, 'rfm_monetary_basis'>, leadSource: string | null, segments: readonly number[]): Sql {
	const { clients: C, members: M } = t;
	const source = leadSource === null ? sql`NULL` : c(leadSource);
	const groupSource = leadSource === null ? sql`` : sql`, ${c(leadSource)}`;
	return sql`SELECT m.${M.segment} AS segment, ${c(A.stage)} AS stage, ${c(A.tier)} AS tier, ${source} AS lead_source,
			COUNT(*) AS clients, SUM(${revenueOf(settings)}) AS revenue
		FROM ${M.table} m JOIN ${C.table} c ON c.${C.id} = m.${M.client}
		WHERE m.${M.segment} IN (${ints(segments)})
		GROUP BY m.${M.segment}, ${c(A.stage)}, ${c(A.tier)}${groupSource}`;
}

/** The whole base per lead source (what a segment's sources are set against). */
export function baseLeadSourcesQuery(t: BaseTables, leadSource: string): Sql {
	return sql`SELECT ${c(leadSource)} AS lead_source, COUNT(*) AS clients FROM ${t.clients.table} c GROUP BY ${c(leadSource)}`;
}
