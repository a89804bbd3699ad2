// Tags and segments inside Directus: after the engine re-scored a batch of changed clients, their auto tags are
// synced and they are re-qualified against every active dynamic segment (restricted to them: not a rebuild).
// Full refreshes (one segment, or all of them after a full recompute / the daily job / on request) run once per
// cluster under a lease lock. Active rules are parsed against the live schema and cached for a few seconds.
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import { parseRule, type RuleNode } from '../../core/rule.ts';
import type { Mapping } from '../../core/mapping.ts';
import { lockHolder, releaseLock, renewLock, tryAcquireLock } from '../../store/lock.ts';
import { compileRule } from '../../store/rule-sql.ts';
import { dialectOf } from '../../store/sql-dialect.ts';
import { refreshSegment, requalify, snapshotAll, type CompiledSegment, type MembershipDelta } from '../../store/segments.ts';
import { syncAllAutoTags, syncAutoTags, type TagSyncResult } from '../../store/tags.ts';
import type { DirectusContext } from '../context.ts';
import type { EngineRuntime } from '../engine/runtime.ts';
import { requireMapping } from '../settings.ts';
import { INSTANCE_ID } from '../state.ts';

const CACHE_MS = 5000;
const REFRESH_LOCK = 'segments-refresh';
/** Short lease, renewed while a refresh works: a stopped instance blocks the others for a minute at most. */
const REFRESH_TTL_MS = 60_000;

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

export class SegmentRuntime {
	private readonly engine: EngineRuntime;
	private active: { at: number; segments: Array<{ id: number; rule: RuleNode }>; categoryHasName: boolean } | null = null;

	constructor(engine: EngineRuntime) {
		this.engine = engine;
	}

	private get ctx(): DirectusContext {
		return this.engine.ctx;
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

	private async activeDynamic(mapping: Mapping): Promise<{ segments: Array<{ id: number; rule: RuleNode }>; categoryHasName: boolean }> {
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

	private compile(segments: Array<{ id: number; rule: RuleNode }>, asOfMs: number): CompiledSegment[] {
		const dialect = dialectOf(this.ctx.database);
		return segments.map((s) => ({ id: s.id, where: compileRule(s.rule, { dialect, alias: 'c', asOfMs }) }));
	}

	/** After a change batch was re-scored (mapping checked by the queue): their auto tags, then their membership. */
	async afterChange(mapping: Mapping, clientIds: number[], asOfMs: number): Promise<MembershipDelta> {
		const knex = this.ctx.database;
		const active = await this.activeDynamic(mapping);
		await syncAutoTags({ knex, mapping, asOfMs }, { ids: clientIds }, { categoryHasName: active.categoryHasName });
		return requalify({ knex, mapping, atMs: asOfMs, cause: 'change' }, this.compile(active.segments, asOfMs), { ids: clientIds });
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
		const started = Date.now();
		const knex = this.ctx.database;
		// another refresh (often a short one, after a segment save) may hold the lock: wait a little before giving up
		const holder = lockHolder(INSTANCE_ID);
		while (!(await tryAcquireLock(knex, REFRESH_LOCK, holder, REFRESH_TTL_MS))) {
			if (Date.now() - started > waitMs) throw new SegmentsBusyError();
			await new Promise((r) => setTimeout(r, 100));
		}
		const heartbeat = setInterval(() => void renewLock(knex, REFRESH_LOCK, holder, REFRESH_TTL_MS).catch(() => undefined), REFRESH_TTL_MS / 4);
		try {
			const mapping = await requireMapping(this.ctx);
			const tagsStarted = Date.now();
			const tags = ids === null ? await syncAllAutoTags({ knex, mapping, asOfMs }, { categoryHasName: await this.categoryHasName(mapping) }) : null;
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
			await this.engine.clearDataCache();
			return summary;
		} finally {
			clearInterval(heartbeat);
			await releaseLock(knex, REFRESH_LOCK, holder);
		}
	}
}
