// Segments inside Directus: the active rules (parsed against the live schema, parsed again only when they change, compiled
// to SQL for the change pipeline's re-qualify step), and full refreshes — one segment, or every active one after
// syncing every client's auto tags (after a full recompute, the daily job, on request) — once per cluster under the
// refresh lease.
import type { Knex } from 'knex';
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import { parseRule, type RuleNode } from '../../core/rule.ts';
import type { Mapping } from '../../core/mapping.ts';
import { LeaseBusyError, type Leases } from '../../store/lease.ts';
import { compileRule } from '../../store/rule-sql.ts';
import { dialectOf } from '../../store/sql-dialect.ts';
import { refreshSegment, SegmentBudgetError, snapshotAll, type CompiledSegment } from '../../store/segments.ts';
import { freshenBaseStatistics } from '../../store/statistics.ts';
import { syncAllAutoTags, type TagSyncResult } from '../../store/tags.ts';
import type { DirectusContext, SchemaOverview } from '../context.ts';
import { clearDataCache } from '../data-cache.ts';
import { requireMapping } from '../settings.ts';

/** Clients a rule is tried on before it is saved on SQLite: enough to time, few enough that a costly rule holds the
 *  one connection briefly (its cost per client is what the trial measures). */
const TRIAL_CLIENTS = 50;
const formatSeconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000).toLocaleString('en')} s`);
/** A rule the planner estimates at more than this many scans of the clients is refused on save (PostgreSQL;
 *  SEGMENTATION_RULE_COST_LIMIT). */
export const DEFAULT_RULE_COST_LIMIT = 10_000;
const REFRESH_LEASE = 'segments-refresh';

export interface SegmentRow {
	id: number;
	name: string;
	kind: string;
	is_active: boolean | number;
	rule: unknown;
	refresh_error?: string | null;
}

/** How long one segment's full refresh may take before it is stopped and paused (SEGMENTATION_SEGMENT_REFRESH_BUDGET_S). */
export const DEFAULT_REFRESH_BUDGET_S = 600;

function positiveEnv(ctx: DirectusContext, name: string, fallback: number): number {
	const raw = Number(ctx.env[name]);
	return Number.isFinite(raw) && raw > 0 ? raw : fallback;
}

const refreshBudgetMs = (ctx: DirectusContext): number => positiveEnv(ctx, 'SEGMENTATION_SEGMENT_REFRESH_BUDGET_S', DEFAULT_REFRESH_BUDGET_S) * 1000;

/** A stored rule the live schema no longer supports (a field or relation removed since it was saved). */
export class RuleNoLongerFitsError extends Error {
	override name = 'RuleNoLongerFitsError';
	constructor(errors: string[]) {
		super(`paused: its rule no longer fits the schema (${errors.join('; ')}); edit the rule and save it again`);
	}
}

/** What the marketer reads on the segment: the kind of failure, never the SQL. */
export function refreshFailureReason(error: unknown): string {
	if (error instanceof SegmentBudgetError || error instanceof RuleNoLongerFitsError) return error.message;
	const code = (error as { code?: unknown })?.code;
	// PostgreSQL's statement_timeout
	if (code === '57014') return 'paused: its refresh took longer than its time budget; simplify the rule (fewer relations, shorter lists) and save it again';
	return 'paused: its refresh failed (see the server log); check that every field in the rule still exists, then save the segment again';
}

export interface RefreshSummary {
	segments: Array<{ id: number; name: string; entered: number; left: number; member_count: number; duration_ms: number }>;
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
	/** Parsed rules by segment id and rule text, for one schema (see activeRules). */
	private parsed: { schema: object; collection: string; rules: Map<string, RuleNode> } | null = null;

	private readonly ctx: DirectusContext;
	private readonly leases: Leases;

	/** After a refresh changed memberships outside the change pipeline (the Listmonk sync looks at them); `full`:
	 *  every active segment, as after a recompute (the sync looks at every subscriber's attributes too); `refreshed`:
	 *  the segments refreshed. */
	private readonly afterRefresh: (full: boolean, refreshed: number[]) => Promise<void>;

	constructor(ctx: DirectusContext, leases: Leases, afterRefresh: (full: boolean, refreshed: number[]) => Promise<void> = async () => undefined) {
		this.ctx = ctx;
		this.leases = leases;
		this.afterRefresh = afterRefresh;
	}

	/** A segment was saved or deleted on this instance, or failed: parse its rules afresh. */
	forget(): void {
		this.parsed = null;
	}

	/** Parses a stored rule against the live schema (errors name the problem). */
	async parse(rule: unknown, mapping?: Mapping): Promise<{ ok: true; rule: RuleNode } | { ok: false; errors: string[] }> {
		const m = mapping ?? (await requireMapping(this.ctx));
		return parseRule(rule, await this.ctx.getSchema(), m.client_collection);
	}

	/** The rows of the segments the change path follows (a change batch reads them as it opens). A segment whose
	 *  refresh failed is left out until it is saved again or the next full refresh succeeds: one bad rule must not
	 *  fail every batch. */
	async readActiveRows(knex: Knex): Promise<SegmentRow[]> {
		return knex(SEGMENT_NAMES.segments).where({ kind: 'dynamic', is_active: true }).whereNull('refresh_error').select('id', 'name', 'kind', 'is_active', 'rule');
	}

	/** The active dynamic segments' rules from their rows, read for every change batch as it opens (`knex`: its
	 *  transaction), so a segment saved on any instance counts from the next batch on; a rule is parsed again only
	 *  when it or the schema changed. */
	async activeRules(rows: readonly SegmentRow[], mapping: Mapping, schema: SchemaOverview, knex: Knex): Promise<ActiveRules> {
		if (this.parsed?.schema !== schema || this.parsed.collection !== mapping.client_collection) this.parsed = { schema, collection: mapping.client_collection, rules: new Map() };
		const known = this.parsed.rules;
		const segments: Array<{ id: number; rule: RuleNode }> = [];
		const seen = new Set<string>();
		for (const row of rows) {
			const key = `${row.id}:${typeof row.rule === 'string' ? row.rule : JSON.stringify(row.rule)}`;
			seen.add(key);
			let rule = known.get(key);
			if (!rule) {
				const parsed = parseRule(row.rule, schema, mapping.client_collection);
				if (!parsed.ok) {
					await this.markFailed(Number(row.id), row.name, new RuleNoLongerFitsError(parsed.errors), knex);
					continue;
				}
				rule = parsed.rule;
				known.set(key, rule);
			}
			segments.push({ id: Number(row.id), rule });
		}
		for (const key of known.keys()) if (!seen.has(key)) known.delete(key);
		return { segments, categoryHasName: this.categoryHasName(mapping, schema) };
	}

	/**
	 * A segment failed (its refresh, or its part of a change batch): the reason is written on it — short, no SQL; the
	 * whole error goes to the log — and it leaves the change path (`knex`: the caller's transaction, if any).
	 */
	async markFailed(id: number, name: string | null, error: unknown, knex: Knex = this.ctx.database): Promise<string> {
		const reason = refreshFailureReason(error);
		this.ctx.logger.error(`[segmentation] segment ${id}${name ? ` "${name}"` : ''}: ${reason} — ${error instanceof Error ? error.message : String(error)}`);
		await knex(SEGMENT_NAMES.segments).where({ id }).update({ refresh_error: reason });
		this.forget();
		return reason;
	}

	/** Whether a save left a refresh owed (cheap: the pipeline's poll asks). */
	async refreshOwed(): Promise<boolean> {
		return Boolean(await this.ctx.database(SEGMENT_NAMES.segments).whereNotNull('refresh_requested_at').first('id'));
	}

	async owedRefreshCount(): Promise<number> {
		const [row] = await this.ctx.database(SEGMENT_NAMES.segments).whereNotNull('refresh_requested_at').count({ n: '*' });
		return Number(row?.['n'] ?? 0);
	}

	/**
	 * Serves the refreshes saves asked for: an active dynamic segment follows its new rule, a new static one is filled
	 * from its rule once. The flag commits with the save, so this runs after a crash or restart too; it is cleared
	 * only where no newer save set it again. Busy (another refresh holds the lease): left for the next drain.
	 */
	async serveOwedRefreshes(): Promise<void> {
		const knex = this.ctx.database;
		const owed: Array<SegmentRow & { refresh_requested_at: unknown }> = await knex(SEGMENT_NAMES.segments)
			.whereNotNull('refresh_requested_at')
			.select('id', 'name', 'kind', 'is_active', 'rule', 'refresh_requested_at');
		if (!owed.length) return;
		const due = owed.filter((r) => r.rule !== null && r.rule !== undefined && (r.kind !== 'dynamic' || Boolean(r.is_active))).map((r) => Number(r.id));
		if (due.length) {
			try {
				await this.refresh(due, 'rule', Date.now(), 0);
			} catch (error) {
				if (error instanceof SegmentsBusyError) return;
				// not one segment's problem (each is caught inside): said on each, and retried by the daily refresh
				for (const r of owed) if (due.includes(Number(r.id))) await this.markFailed(Number(r.id), r.name, error);
			}
		}
		for (const r of owed) await knex(SEGMENT_NAMES.segments).where({ id: r.id, refresh_requested_at: r.refresh_requested_at as Knex.Value }).update({ refresh_requested_at: null });
	}

	/**
	 * Before a rule is saved: what evaluating it over every client would cost. PostgreSQL: the planner's estimate
	 * against a plain scan of the clients (at most SEGMENTATION_RULE_COST_LIMIT scans). SQLite, which has no cost
	 * estimate: a trial on the first TRIAL_CLIENTS clients, extrapolated to the base, against the refresh budget.
	 * `knex`: the save's transaction, if any (SQLite's one connection).
	 */
	async costProblem(rule: RuleNode, mapping: Mapping, knex: Knex = this.ctx.database): Promise<string | null> {
		const dialect = dialectOf(knex);
		const where = compileRule(rule, { dialect, alias: 'c', asOfMs: Date.now() });
		const table = mapping.client_collection;
		if (!dialect.pg) {
			const [row] = await knex(table).count({ n: '*' });
			const total = Number(row?.['n'] ?? 0);
			if (total === 0) return null;
			const primary = (await this.ctx.getSchema({ database: knex })).collections[table]?.primary ?? 'id';
			const started = performance.now();
			await knex.raw(`SELECT COUNT(*) AS n FROM ?? AS c WHERE c.?? IN (SELECT ?? FROM ?? ORDER BY ?? LIMIT ${TRIAL_CLIENTS}) AND (${where.sql})`, [
				table, primary, primary, table, primary, ...where.bindings,
			] as Knex.RawBinding[]);
			const estimateMs = ((performance.now() - started) / Math.min(TRIAL_CLIENTS, total)) * total;
			const budgetMs = refreshBudgetMs(this.ctx);
			if (estimateMs <= budgetMs) return null;
			return `rule: a trial on ${Math.min(TRIAL_CLIENTS, total)} clients puts a refresh of all ${total.toLocaleString('en')} at about ${formatSeconds(estimateMs)} (the budget is ${formatSeconds(budgetMs)}); follow fewer relations or split it into several segments`;
		}
		const cost = async (query: string, bindings: readonly unknown[]) => {
			const result = (await knex.raw(`EXPLAIN (FORMAT JSON) ${query}`, bindings as Knex.RawBinding[])) as { rows: Array<{ 'QUERY PLAN': Array<{ Plan: { 'Total Cost': number } }> }> };
			return Number(result.rows[0]?.['QUERY PLAN'][0]?.Plan['Total Cost'] ?? 0);
		};
		const scan = Math.max(1, await cost('SELECT c.* FROM ?? AS c', [table]));
		const ratio = (await cost(`SELECT c.* FROM ?? AS c WHERE ${where.sql}`, [table, ...where.bindings])) / scan;
		const limit = positiveEnv(this.ctx, 'SEGMENTATION_RULE_COST_LIMIT', DEFAULT_RULE_COST_LIMIT);
		if (ratio <= limit) return null;
		return `rule: estimated to cost about ${Math.round(ratio).toLocaleString('en')} times a read of every client (at most ${limit.toLocaleString('en')}); follow fewer relations or split it into several segments`;
	}

	compile(segments: Array<{ id: number; rule: RuleNode }>, asOfMs: number): CompiledSegment[] {
		const dialect = dialectOf(this.ctx.database);
		return segments.map((s) => ({ id: s.id, where: compileRule(s.rule, { dialect, alias: 'c', asOfMs }) }));
	}

	/** Whether product categories have a name field (auto tags are named after it). */
	categoryHasName(mapping: Mapping, schema: SchemaOverview): boolean {
		return Boolean(schema.collections[mapping.category_collection]?.fields['name']);
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
		const tags = ids === null ? await syncAllAutoTags({ knex, mapping, asOfMs }, { categoryHasName: this.categoryHasName(mapping, await this.ctx.getSchema()) }) : null;
		// the rules read these over the whole base: plans need statistics that know today's scores and tags
		const analysed = await freshenBaseStatistics(knex, mapping);
		if (analysed.length) this.ctx.logger.info(`[segmentation] refreshed planner statistics of ${analysed.join(', ')} before the refresh`);
		const query = knex(SEGMENT_NAMES.segments).select('id', 'name', 'kind', 'is_active', 'rule', 'refresh_error').orderBy('id');
		const rows: SegmentRow[] = ids === null ? await query.where({ kind: 'dynamic', is_active: true }) : await query.whereIn('id', ids);
		const summary: RefreshSummary = { segments: [], skipped: [], tags, tags_ms: Date.now() - tagsStarted, duration_ms: 0 };
		let healed = false;
		for (const row of rows) {
			const parsed = row.rule === null || row.rule === undefined ? { ok: false as const, errors: ['the segment has no rule'] } : await this.parse(row.rule, mapping);
			if (!parsed.ok) {
				const reason = row.rule === null || row.rule === undefined ? parsed.errors.join('; ') : await this.markFailed(Number(row.id), row.name, new RuleNoLongerFitsError(parsed.errors), knex);
				summary.skipped.push({ id: row.id, name: row.name, reason });
				continue;
			}
			const [compiled] = this.compile([{ id: Number(row.id), rule: parsed.rule }], asOfMs);
			// each segment alone: one that fails is marked and skipped, the others are refreshed
			const segmentStarted = Date.now();
			try {
				const result = await refreshSegment({ knex, mapping, atMs: asOfMs, cause: row.kind === 'static' ? 'picked' : cause, budgetMs: refreshBudgetMs(this.ctx) }, compiled!);
				if (row.refresh_error) {
					await knex(SEGMENT_NAMES.segments).where({ id: row.id }).update({ refresh_error: null });
					healed = true;
				}
				summary.segments.push({ id: Number(row.id), name: row.name, ...result, duration_ms: Date.now() - segmentStarted });
			} catch (error) {
				summary.skipped.push({ id: Number(row.id), name: row.name, reason: await this.markFailed(Number(row.id), row.name, error) });
			}
		}
		if (ids === null) await snapshotAll(knex, asOfMs);
		// a paused segment that refreshed fine is back in the change path
		if (healed) this.forget();
		summary.duration_ms = Date.now() - started;
		await clearDataCache(this.ctx);
		if (summary.segments.length || ids === null) await this.afterRefresh(ids === null, summary.segments.map((s) => s.id)).catch((error: Error) => this.ctx.logger.warn(`[segmentation] after the refresh: ${error.message}`));
		return summary;
	}
}
