// The marketer's view's aggregates: each one GROUP BY over the base (queries/analytics.ts), shaped by the core
// (core/analytics.ts). No loop over clients: a million clients come back as at most a few hundred group rows.
import type { Knex } from 'knex';
import { shapeBreakdown, shapeGrid, shapeOverview, type MemberBreakdown, type Overview, type RfmGrid } from '../core/analytics.ts';
import { levelsOf, type EngineSettings } from '../core/engine-settings.ts';
import type { Mapping } from '../core/mapping.ts';
import { gridQuery, memberBreakdownQuery, overviewQuery } from './queries/analytics.ts';
import { baseTables } from './queries/base-tables.ts';
import { run, type Sql } from './queries/sql.ts';
import { rows } from './restriction.ts';
import type { BreakdownRow, GridRow, OverviewRow } from '../core/analytics.ts';

export type AnalyticsSettings = Pick<EngineSettings, 'rfm_scheme' | 'rfm_thresholds' | 'rfm_monetary_basis' | 'rfm_segment_maps'>;

/** The statements behind each answer (the benchmark EXPLAINs them). */
export function analyticsStatements(mapping: Mapping, settings: AnalyticsSettings, segment?: number): { grid: Sql; overview: Sql; breakdown: Sql | null } {
	const t = baseTables(mapping);
	return { grid: gridQuery(t, settings), overview: overviewQuery(t, settings), breakdown: segment === undefined ? null : memberBreakdownQuery(t, settings, segment) };
}

/** Recency × frequency over the scored clients, every cell present. */
export async function rfmGrid(knex: Knex, mapping: Mapping, settings: AnalyticsSettings): Promise<RfmGrid> {
	const result = rows(await run(knex, gridQuery(baseTables(mapping), settings))) as unknown as GridRow[];
	return shapeGrid(result, { scheme: settings.rfm_scheme, levels: levelsOf(settings) });
}

/** Named segments (in the current map's order), lifecycle stages, sleeping, value tiers and the totals. */
export async function overview(knex: Knex, mapping: Mapping, settings: AnalyticsSettings): Promise<Overview> {
	const result = rows(await run(knex, overviewQuery(baseTables(mapping), settings))) as unknown as OverviewRow[];
	const map = settings.rfm_segment_maps[String(levelsOf(settings))] ?? [];
	return shapeOverview(result, { segmentOrder: [...new Set(map.map((rule) => rule.name))] });
}

/** A segment's members by lifecycle stage and value tier. */
export async function memberBreakdown(knex: Knex, mapping: Mapping, settings: AnalyticsSettings, segment: number): Promise<MemberBreakdown> {
	const result = rows(await run(knex, memberBreakdownQuery(baseTables(mapping), settings, segment))) as unknown as BreakdownRow[];
	return shapeBreakdown(result);
}
