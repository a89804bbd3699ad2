// The RFM grid, the overview and each segment's figures (stages, tiers, lead sources), counted where they are cheap
// and precomputed where they are not. A count that took longer than the live budget (SEGMENTATION_ANALYTICS_LIVE_MS, default 150 ms:
// a big base) is answered from its snapshot, counted at the end of the last refresh (the daily run's included), with
// its time (`as_of`); one older than SEGMENTATION_ANALYTICS_MAX_AGE_S (default 900 s) is recounted in the background
// as it is served, so busy days stay within minutes. Small bases are counted for every request (`live`). `fresh`
// (the page's Recount) always counts now.
import { createHash } from 'node:crypto';
import type { Overview, RfmGrid, SegmentFigures } from '../../core/analytics.ts';
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import { engineSettingsFromRow, type EngineSettings } from '../../core/engine-settings.ts';
import type { Mapping } from '../../core/mapping.ts';
import { overview, rfmGrid, segmentFigures } from '../../store/analytics.ts';
import { gridKey, overviewKey, readSnapshot, segmentKey, writeSnapshots, type AnalyticsSnapshot } from '../../store/analytics-snapshots.ts';
import { ANALYTICS_SNAPSHOTS_TABLE } from '../../store/tables.ts';
import type { DirectusContext } from '../context.ts';
import { InvalidEngineSettingsError } from '../errors.ts';
import { readSettingsRow, requireMapping } from '../settings.ts';

export const DEFAULT_LIVE_BUDGET_MS = 150;
export const DEFAULT_MAX_AGE_S = 900;
/** Segments counted per statement in a precompute (bounds the IN list). */
const SEGMENTS_PER_STATEMENT = 100;

/** When the figures were counted, and whether for this request. */
export interface Counted { as_of: string; live: boolean }

interface Basis { mapping: Mapping; settings: EngineSettings; fingerprint: string }

function nonNegativeEnv(ctx: DirectusContext, name: string, fallback: number): number {
	const raw = ctx.env[name];
	const n = raw === undefined || raw === null || raw === '' ? NaN : Number(raw);
	return Number.isFinite(n) && n >= 0 ? n : fallback;
}

export class AnalyticsFigures {
	private readonly ctx: DirectusContext;
	private readonly liveBudgetMs: number;
	private readonly maxAgeMs: number;
	/** Background recounts under way on this instance, one per answer. */
	private readonly recounting = new Map<string, Promise<void>>();

	constructor(ctx: DirectusContext) {
		this.ctx = ctx;
		this.liveBudgetMs = nonNegativeEnv(ctx, 'SEGMENTATION_ANALYTICS_LIVE_MS', DEFAULT_LIVE_BUDGET_MS);
		this.maxAgeMs = nonNegativeEnv(ctx, 'SEGMENTATION_ANALYTICS_MAX_AGE_S', DEFAULT_MAX_AGE_S) * 1000;
	}

	async grid(opts: { fresh: boolean }): Promise<RfmGrid & Counted> {
		const basis = await this.basis();
		return this.serve(gridKey, basis, opts.fresh, () => this.countGrid(basis));
	}

	async overview(opts: { fresh: boolean }): Promise<Overview & Counted> {
		const basis = await this.basis();
		return this.serve(overviewKey, basis, opts.fresh, () => this.countOverview(basis));
	}

	async segment(id: number, opts: { fresh: boolean }): Promise<SegmentFigures & Counted> {
		const basis = await this.basis();
		return this.serve(segmentKey(id), basis, opts.fresh, async () => (await segmentFigures(this.ctx.database, basis.mapping, basis.settings, [id])).get(id)!);
	}

	/** Counts and stores the grid and the overview with every active segment's figures (`segments` null; the figures
	 *  of segments no longer active are forgotten), or the listed segments' figures. What the end of a refresh calls. */
	async precompute(segments: readonly number[] | null): Promise<{ segments: number; duration_ms: number }> {
		const started = performance.now();
		const basis = await this.basis();
		const knex = this.ctx.database;
		const snapshots: Array<AnalyticsSnapshot<unknown>> = [];
		if (segments === null) {
			const g = this.started();
			snapshots.push(this.snapshot(gridKey, basis, await this.countGrid(basis), g));
			const o = this.started();
			snapshots.push(this.snapshot(overviewKey, basis, await this.countOverview(basis), o));
		}
		const ids = segments ?? (await knex(SEGMENT_NAMES.segments).where({ is_active: true }).orderBy('id').pluck('id')).map(Number);
		for (let i = 0; i < ids.length; i += SEGMENTS_PER_STATEMENT) {
			const chunk = ids.slice(i, i + SEGMENTS_PER_STATEMENT);
			const t = this.started();
			const figures = await segmentFigures(knex, basis.mapping, basis.settings, chunk);
			// each gets the whole statement's time: what counting it alone would cost at most
			for (const [id, body] of figures) snapshots.push(this.snapshot(segmentKey(id), basis, body, t));
		}
		await writeSnapshots(knex, snapshots);
		if (segments === null) {
			const keep = ids.map(segmentKey);
			await knex(ANALYTICS_SNAPSHOTS_TABLE).where('key', 'like', 'segment:%').modify((q) => (keep.length ? q.whereNotIn('key', keep) : q)).delete();
		}
		return { segments: ids.length, duration_ms: Math.round(performance.now() - started) };
	}

	private async serve<T extends object>(key: string, basis: Basis, fresh: boolean, count: () => Promise<T>): Promise<T & Counted> {
		const stored = fresh ? null : await readSnapshot<T>(this.ctx.database, key);
		const current = stored?.fingerprint === basis.fingerprint ? stored : null;
		// a cheap count is made for every request (exact); a costly one is served from its snapshot
		if (current && current.durationMs > this.liveBudgetMs) {
			if (Date.now() - current.computedAt > this.maxAgeMs) this.recountInBackground(key, basis, count);
			return { ...current.body, as_of: new Date(current.computedAt).toISOString(), live: false };
		}
		// a count that stays cheap is not written back: no write per page view of a small base (Recount writes, and a
		// count that became costly is kept, to be served next time)
		const snapshot = await this.countAndStore(key, basis, count, (counted) => fresh || !current || counted.durationMs > this.liveBudgetMs);
		return { ...snapshot.body, as_of: new Date(snapshot.computedAt).toISOString(), live: true };
	}

	private async countAndStore<T>(key: string, basis: Basis, count: () => Promise<T>, keep: (counted: AnalyticsSnapshot<T>) => boolean = () => true): Promise<AnalyticsSnapshot<T>> {
		const started = this.started();
		const body = await count();
		const snapshot = this.snapshot(key, basis, body, started);
		if (keep(snapshot)) await writeSnapshots(this.ctx.database, [snapshot]);
		return snapshot;
	}

	private recountInBackground<T>(key: string, basis: Basis, count: () => Promise<T>): void {
		if (this.recounting.has(key)) return;
		const done = this.countAndStore(key, basis, count)
			.then(() => undefined)
			.catch((error: Error) => this.ctx.logger.warn(`[segmentation] recounting the ${key} figures: ${error.message}`))
			.finally(() => this.recounting.delete(key));
		this.recounting.set(key, done);
	}

	private started(): { at: number; t: number } {
		return { at: Date.now(), t: performance.now() };
	}

	/** Stamped with when the count began (what its figures are as of): a slow count begun before a newer one never
	 *  replaces it (writeSnapshots keeps the newer). */
	private snapshot<T>(key: string, basis: Basis, body: T, started: { at: number; t: number }): AnalyticsSnapshot<T> {
		return { key, fingerprint: basis.fingerprint, body, computedAt: started.at, durationMs: performance.now() - started.t };
	}

	private countGrid(basis: Basis): Promise<RfmGrid> {
		return rfmGrid(this.ctx.database, basis.mapping, basis.settings);
	}

	private countOverview(basis: Basis): Promise<Overview> {
		return overview(this.ctx.database, basis.mapping, basis.settings);
	}

	/** The mapping and settings the figures depend on, and their fingerprint. */
	private async basis(): Promise<Basis> {
		const [mapping, row] = await Promise.all([requireMapping(this.ctx), readSettingsRow(this.ctx.database)]);
		const parsed = engineSettingsFromRow(row);
		if (!parsed.ok) throw new InvalidEngineSettingsError({ errors: parsed.errors });
		const s = parsed.settings;
		const depends = { mapping, scheme: s.rfm_scheme, thresholds: s.rfm_thresholds, basis: s.rfm_monetary_basis, maps: s.rfm_segment_maps };
		return { mapping, settings: s, fingerprint: createHash('sha256').update(JSON.stringify(depends)).digest('hex').slice(0, 64) };
	}
}
