// The marketer's view's figures as last counted: one row per answer (the grid, the overview, a segment's figures), its JSON, when
// and how long it took, and the fingerprint of the mapping and settings it was counted under (a changed scheme never
// serves an old shape). Written by the end of every refresh and by each live count; read by the analytics endpoints.
import type { Knex } from 'knex';
import { ANALYTICS_SNAPSHOTS_TABLE } from './tables.ts';

export interface AnalyticsSnapshot<T> {
	key: string;
	fingerprint: string;
	body: T;
	computedAt: number;
	durationMs: number;
}

export const gridKey = 'rfm-grid';
export const overviewKey = 'overview';
export const segmentKey = (segment: number) => `segment:${segment}`;

export async function readSnapshot<T>(knex: Knex, key: string): Promise<AnalyticsSnapshot<T> | null> {
	const row = await knex(ANALYTICS_SNAPSHOTS_TABLE).where({ key }).first('fingerprint', 'body', 'computed_at', 'duration_ms');
	if (!row) return null;
	return { key, fingerprint: String(row.fingerprint), body: JSON.parse(String(row.body)) as T, computedAt: Number(row.computed_at), durationMs: Number(row.duration_ms) };
}

/** Upserts the snapshots (one statement); an older count never replaces a newer one written meanwhile. */
export async function writeSnapshots(knex: Knex, snapshots: ReadonlyArray<AnalyticsSnapshot<unknown>>): Promise<void> {
	if (!snapshots.length) return;
	const rows = snapshots.map((s) => ({ key: s.key, fingerprint: s.fingerprint, body: JSON.stringify(s.body), computed_at: s.computedAt, duration_ms: Math.round(s.durationMs) }));
	await knex(ANALYTICS_SNAPSHOTS_TABLE)
		.insert(rows)
		.onConflict('key')
		.merge(['fingerprint', 'body', 'computed_at', 'duration_ms'])
		.where(`${ANALYTICS_SNAPSHOTS_TABLE}.computed_at`, '<=', knex.raw('excluded.computed_at'));
}

/** A deleted segment's figures go with it. */
export async function deleteSegmentSnapshots(knex: Knex, segments: readonly number[]): Promise<void> {
	if (segments.length) await knex(ANALYTICS_SNAPSHOTS_TABLE).whereIn('key', segments.map(segmentKey)).delete();
}
