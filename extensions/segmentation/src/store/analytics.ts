// The marketer's view's aggregates: each one GROUP BY over the base (queries/analytics.ts), shaped by the core
// (core/analytics.ts). No loop over clients: a million clients come back as at most a few hundred group rows.
import type { Knex } from 'knex';
import { shapeGrid, shapeOverview, shapeSegmentFigures, type LeadSourceRow, type Overview, type RfmGrid, type SegmentFigureRow, type SegmentFigures } from '../core/analytics.ts';
import { levelsOf, type EngineSettings } from '../core/engine-settings.ts';
import type { Mapping } from '../core/mapping.ts';
import { baseLeadSourcesQuery, gridQuery, overviewQuery, segmentFiguresQuery } from './queries/analytics.ts';
import { baseTables } from './queries/base-tables.ts';
import { run, type Sql } from './queries/sql.ts';
import { rows } from './restriction.ts';
import type { GridRow, OverviewRow } from '../core/analytics.ts';

export type AnalyticsSettings = Pick<EngineSettings, 'rfm_scheme' | 'rfm_thresholds' | 'rfm_monetary_basis' | 'rfm_segment_maps'>;

/** The statements behind each answer (the benchmark EXPLAINs them). */
export function analyticsStatements(mapping: Mapping, settings: AnalyticsSettings, segments: readonly number[] = []): { grid: Sql; overview: Sql; segments: Sql | null; baseLeadSources: Sql | null } {
	const t = baseTables(mapping);
	const leadSource = mapping.client_lead_source_field ?? null;
	return {
		grid: gridQuery(t, settings),
		overview: overviewQuery(t, settings),
		segments: segments.length ? segmentFiguresQuery(t, settings, leadSource, segments) : null,
		baseLeadSources: leadSource === null ? null : baseLeadSourcesQuery(t, leadSource),
	};
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

/** The listed segments' members by lifecycle stage, value tier and lead source (against the whole base's): two
 *  statements whatever the number of segments. */
export async function segmentFigures(knex: Knex, mapping: Mapping, settings: AnalyticsSettings, segments: readonly number[]): Promise<Map<number, SegmentFigures>> {
	if (!segments.length) return new Map();
	const statements = analyticsStatements(mapping, settings, segments);
	const members = rows(await run(knex, statements.segments!)) as unknown as SegmentFigureRow[];
	const base = statements.baseLeadSources ? (rows(await run(knex, statements.baseLeadSources)) as unknown as LeadSourceRow[]) : null;
	return shapeSegmentFigures(members, segments, base);
}
