// Segments inside Directus: the active rules (parsed against the live schema, cached for a few seconds, compiled
// to SQL for the change pipeline's re-qualify step), and full refreshes — one segment, or every active one after
// syncing every client's auto tags (after a full recompute, the daily job, on request) — once per cluster under the
// refresh lease.
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import { parseRule, type RuleNode } from '../../core/rule.ts';
import type { Mapping } from '../../core/mapping.ts';
import { LeaseBusyError, type Leases } from '../../store/lease.ts';
import { compileRule } from '../../store/rule-sql.ts';
import { dialectOf } from '../../store/sql-dialect.ts';
import { refreshSegment, snapshotAll, type CompiledSegment } from '../../store/segments.ts';
import { freshenBaseStatistics } from '../../store/statistics.ts';
import { syncAllAutoTags, type TagSyncResult } from '../../store/tags.ts';
import type { DirectusContext } from '../context.ts';
import { clearDataCache } from '../data-cache.ts';
import { requireMapping } from '../settings.ts';

const CACHE_MS = 5000;
const REFRESH_LEASE = 'segments-refresh';

export interface SegmentRow {
	id: number;
	name: string;
	kind: string;
	is_active: boolean | number;
	rule: unknown;
}

export interface RefreshSummary {
	segments: Array<{ id: number; name: string; entered: number; left: number; member_count: number }>;
	skipped: Array<{ id: number; name: string; reason: string }>;
	/** The auto tags synced first (refresh of all segments only). */
	tags: TagSyncResult | null;
	tags_ms: number;
	duration_ms: number;
}

export class SegmentsBusyError extends Error {
	override name = 'SegmentsBusyError';


	constructor() {
		super('A segment refresh is already running on this cluster; try again when it has finished.');
	}
}

export interface ActiveRules {
	segments: Array<{ id: number; rule: RuleNode }>;
	/** Whether product categories have a name field (auto tags are named after it). */
	categoryHasName: boolean;
}

export class SegmentService {
	private active: (ActiveRules & { at: number }) | null = null;

	private readonly ctx: DirectusContext;
	private readonly leases: Leases;

	constructor(ctx: DirectusContext, leases: Leases) {
		this.ctx = ctx;
		this.leases = leases;
	}

	/** A segment was saved or deleted on this instance: re-read the active rules at the next change. */
	forget(): void {
		this.active = null;
	}

	/** Parses a stored rule against the live schema (errors name the problem). */
	async parse(rule: unknown, mapping?: Mapping): Promise<{ ok: true; rule: RuleNode } | { ok: false; errors: string[] }> {
		const m = mapping ?? (await requireMapping(this.ctx));
		return parseRule(rule, await this.ctx.getSchema(), m.client_collection);
	}

	/** The active dynamic segments' rules (read outside any transaction: the pipeline compiles them per batch). */
	async activeRules(mapping: Mapping): Promise<ActiveRules> {
		if (this.active && Date.now() - this.active.at < CACHE_MS) return this.active;
		const rows: SegmentRow[] = await this.ctx.database(SEGMENT_NAMES.segments).where({ kind: 'dynamic', is_active: true }).select('id', 'name', 'kind', 'is_active', 'rule');
		const segments: Array<{ id: number; rule: RuleNode }> = [];
		for (const row of rows) {
			const parsed = await this.parse(row.rule, mapping);
			if (parsed.ok) segments.push({ id: Number(row.id), rule: parsed.rule });
			else this.ctx.logger.warn(`[segmentation] segment ${row.id} "${row.name}" skipped: its rule no longer fits the schema (${parsed.errors.join('; ')})`);
		}
		this.active = { at: Date.now(), segments, categoryHasName: await this.categoryHasName(mapping) };
		return this.active;
	}

	compile(segments: Array<{ id: number; rule: RuleNode }>, asOfMs: number): CompiledSegment[] {
		const dialect = dialectOf(this.ctx.database);
		return segments.map((s) => ({ id: s.id, where: compileRule(s.rule, { dialect, alias: 'c', asOfMs }) }));
	}

	private async categoryHasName(mapping: Mapping): Promise<boolean> {
		return Boolean((await this.ctx.getSchema()).collections[mapping.category_collection]?.fields['name']);
	}

	/**
	 * Full refresh under the cluster lock: `ids` null = every active dynamic segment (after syncing every client's
	 * auto tags as of asOfMs: expired ones go); a list = those segments, whatever their kind (a static one is filled
	 * from its rule once).
	 */
	async refresh(ids: number[] | null, cause: string, asOfMs = Date.now(), waitMs = 15_000): Promise<RefreshSummary> {
		// another refresh (often a short one, after a segment save) may hold the lease: wait a little before giving up
		try {
			return await this.leases.run(REFRESH_LEASE, { waitMs }, () => this.refreshHoldingLease(ids, cause, asOfMs));
		} catch (error) {
			if (error instanceof LeaseBusyError) throw new SegmentsBusyError();
			throw error;
		}
	}

	private async refreshHoldingLease(ids: number[] | null, cause: string, asOfMs: number): Promise<RefreshSummary> {
		const started = Date.now();
		const knex = this.ctx.database;
		const mapping = await requireMapping(this.ctx);
		const tagsStarted = Date.now();
		const tags = ids === null ? await syncAllAutoTags({ knex, mapping, asOfMs }, { categoryHasName: await this.categoryHasName(mapping) }) : null;
		// the rules read these over the whole base: plans need statistics that know today's scores and tags
		const analysed = await freshenBaseStatistics(knex, mapping);
		if (analysed.length) this.ctx.logger.info(`[segmentation] refreshed planner statistics of ${analysed.join(', ')} before the refresh`);
		const query = knex(SEGMENT_NAMES.segments).select('id', 'name', 'kind', 'is_active', 'rule').orderBy('id');
		const rows: SegmentRow[] = ids === null ? await query.where({ kind: 'dynamic', is_active: true }) : await query.whereIn('id', ids);
		const summary: RefreshSummary = { segments: [], skipped: [], tags, tags_ms: Date.now() - tagsStarted, duration_ms: 0 };
		for (const row of rows) {
			const parsed = row.rule === null || row.rule === undefined ? { ok: false as const, errors: ['the segment has no rule'] } : await this.parse(row.rule, mapping);
			if (!parsed.ok) {
				summary.skipped.push({ id: row.id, name: row.name, reason: parsed.errors.join('; ') });
				continue;
			}
			const [compiled] = this.compile([{ id: Number(row.id), rule: parsed.rule }], asOfMs);
			const result = await refreshSegment({ knex, mapping, atMs: asOfMs, cause: row.kind === 'static' ? 'picked' : cause }, compiled!);
			summary.segments.push({ id: Number(row.id), name: row.name, ...result });
		}
		if (ids === null) await snapshotAll(knex, asOfMs);
		summary.duration_ms = Date.now() - started;
		await clearDataCache(this.ctx);
		return summary;
	}
}
