// Segment membership, set-based. One code path for every case — a change batch of a few clients against every
// active segment, or one segment over the whole base: evaluate the rules restricted to those clients ("hits"),
// insert the new members, delete the leavers, record an event for each enter and exit, move the counts — in one
// transaction (the caller's, when handed one). How members and events are written is per database
// (dialects/*.ts): on PostgreSQL the events come from INSERT … ON CONFLICT DO NOTHING RETURNING and DELETE …
// RETURNING, so two instances re-qualifying the same client log each change exactly once; SQLite has one writer.
// The SQL is in queries/segments.ts.
import type { Knex } from 'knex';
import { SEGMENT_NAMES } from '../core/base-names.ts';
import type { Mapping } from '../core/mapping.ts';
import { dialectOf } from './dialects/index.ts';
import { baseTables, type BaseTables } from './queries/base-tables.ts';
import { HITS, hitsQuery, leavingCondition, memberCountDeltaQuery, type CompiledSegment } from './queries/segments.ts';
import { ident, raw, run, sql } from './queries/sql.ts';
import { forEachClientRange, rows, type ClientRestriction } from './restriction.ts';
import { EVENTS_TABLE, SNAPSHOTS_TABLE } from './tables.ts';

export type { CompiledSegment } from './queries/segments.ts';

const N = SEGMENT_NAMES;

export interface MembershipScope {
	knex: Knex;
	mapping: Mapping;
	/** When the changes happen (entered_at, event time). */
	atMs: number;
	/** Why: change | refresh | schedule | rule | manual | picked. */
	cause: string;
	/**
	 * How long the work may take: PostgreSQL cancels a statement past it (statement_timeout); SQLite, which can't be
	 * interrupted mid-statement here, stops a whole-base refresh between its chunks (which yield the connection).
	 */
	budgetMs?: number;
	/** false: write straight into the caller's transaction, no savepoint (a failure fails it: the caller retries). */
	savepoint?: boolean;
}

/** A segment's refresh ran past its budget: stopped (its chunks so far are kept), to be paused by the caller. */
export class SegmentBudgetError extends Error {
	override name = 'SegmentBudgetError';
	constructor(budgetMs: number) {
		super(`paused: its refresh took longer than ${Math.round(budgetMs / 1000)} s; simplify the rule (fewer relations, shorter lists) and save it again`);
	}
}

export type MembershipDelta = Map<number, { entered: number; left: number }>;

/** Re-evaluates the clients (or all) against these segments; returns who entered and left, per segment. */
export async function requalify(scope: MembershipScope, segments: CompiledSegment[], only: ClientRestriction): Promise<MembershipDelta> {
	const delta: MembershipDelta = new Map();
	if (segments.length === 0 || (only && 'ids' in only && only.ids.length === 0)) return delta;
	const d = dialectOf(scope.knex);
	const t = baseTables(scope.mapping);
	const change = { atMs: scope.atMs, cause: scope.cause };
	const write = async (trx: Knex) => {
		if (scope.budgetMs && d.pg) await trx.raw(`SET LOCAL statement_timeout = ${Math.ceil(scope.budgetMs)}`);
		if (only !== null && d.requalifyInOne) {
			// a batch of clients: one statement where the database can
			const moved = await d.requalifyInOne(trx, t, hitsQuery(t, d, segments, only), (hits) => leavingCondition(t, segments, only, hits), change);
			for (const [id, c] of moved) delta.set(id, c);
			return;
		}
		const hits = await d.holdSet(trx, HITS, hitsQuery(t, d, segments, only), only === null);
		const entered = await d.enterMembers(trx, t, hits.source, change);
		const left = await d.leaveMembers(trx, t, leavingCondition(t, segments, only, hits.source), change);
		await hits.release();
		for (const id of new Set([...entered.keys(), ...left.keys()])) delta.set(id, { entered: entered.get(id) ?? 0, left: left.get(id) ?? 0 });
		await addToMemberCounts(trx, t, delta);
	};
	// in a savepoint of the caller's transaction (a failure leaves it usable), unless the caller retries its whole
	// transaction anyway
	if (scope.savepoint === false && scope.knex.isTransaction) await write(scope.knex);
	else await scope.knex.transaction(write);
	return delta;
}

/** Moves the stored counts by the deltas, in one statement: relative, so concurrent batches on other instances add
 *  up (a full refresh sets the exact count). */
async function addToMemberCounts(knex: Knex, t: BaseTables, delta: MembershipDelta): Promise<void> {
	const moved = [...delta].filter(([, c]) => c.entered !== c.left);
	if (moved.length === 0) return;
	await run(knex, memberCountDeltaQuery(t, moved.map(([id, c]) => ({ id, by: c.entered - c.left }))));
}

/** Full rebuild of one segment over the whole base; sets its exact count, computed_at and today's snapshot. */
export async function refreshSegment(scope: MembershipScope, segment: CompiledSegment): Promise<{ entered: number; left: number; member_count: number }> {
	let entered = 0;
	let left = 0;
	const started = Date.now();
	await forEachClientRange(scope.knex, scope.mapping, dialectOf(scope.knex).passChunk, async (only) => {
		if (scope.budgetMs && Date.now() - started > scope.budgetMs) throw new SegmentBudgetError(scope.budgetMs);
		const change = (await requalify(scope, [segment], only)).get(segment.id);
		entered += change?.entered ?? 0;
		left += change?.left ?? 0;
	});
	const member_count = await recountMembers(scope.knex, segment.id, scope.atMs);
	await writeSnapshot(scope.knex, segment.id, member_count, scope.atMs);
	return { entered, left, member_count };
}

/**
 * Sets a segment's stored count to its real member count (healing any drift), optionally stamping computed_at.
 * The segment row is locked first: a concurrent re-qualification adds its delta either before the count is taken
 * (and is counted) or after this commits (and adds to it) — never lost in between.
 */
export async function recountMembers(knex: Knex, segment: number, computedAtMs?: number): Promise<number> {
	const d = dialectOf(knex);
	return knex.transaction(async (trx) => {
		await d.forUpdate(trx(N.segments).where({ id: segment }).first('id'));
		const member_count = await countMembers(trx, segment);
		await trx(N.segments)
			.where({ id: segment })
			.update({ member_count, ...(computedAtMs === undefined ? {} : { computed_at: raw(trx, d.fromMs(sql`${computedAtMs}`)) }) });
		return member_count;
	});
}

export async function countMembers(knex: Knex, segment: number): Promise<number> {
	const row = await knex(N.members).where({ segment }).count({ n: '*' }).first();
	return Number(row?.['n'] ?? 0);
}

export function snapshotDay(ms: number): string {
	return new Date(ms).toISOString().slice(0, 10);
}

/** Today's size of a segment (the day's last count wins). */
export async function writeSnapshot(knex: Knex, segment: number, memberCount: number, atMs: number): Promise<void> {
	await knex(SNAPSHOTS_TABLE).insert({ segment_id: segment, day: snapshotDay(atMs), member_count: memberCount, taken_at: atMs }).onConflict(['segment_id', 'day']).merge(['member_count', 'taken_at']);
}

/** The daily job: every segment's count, recounted, as today's snapshot. */
export async function snapshotAll(knex: Knex, atMs: number): Promise<number> {
	const segments: Array<{ id: number }> = await knex(N.segments).select('id');
	for (const s of segments) await writeSnapshot(knex, Number(s.id), await recountMembers(knex, Number(s.id)), atMs);
	return segments.length;
}

export interface SegmentEvent { id: number; client_id: number; event: 'entered' | 'left'; at: string; cause: string }

export async function listEvents(knex: Knex, segment: number, opts: { limit: number; offset: number; event?: 'entered' | 'left'; client?: number }): Promise<SegmentEvent[]> {
	const query = knex(EVENTS_TABLE).where({ segment_id: segment }).orderBy('id', 'desc').limit(opts.limit).offset(opts.offset).select('id', 'client_id', 'event', 'at', 'cause');
	if (opts.event) query.andWhere({ event: opts.event });
	if (opts.client !== undefined) query.andWhere({ client_id: opts.client });
	return (await query).map((r: Record<string, unknown>) => ({ id: Number(r['id']), client_id: Number(r['client_id']), event: r['event'] as 'entered' | 'left', at: new Date(Number(r['at'])).toISOString(), cause: String(r['cause']) }));
}

export async function listSnapshots(knex: Knex, segment: number, fromDay?: string): Promise<Array<{ day: string; member_count: number }>> {
	const query = knex(SNAPSHOTS_TABLE).where({ segment_id: segment }).orderBy('day', 'asc').select('day', 'member_count');
	if (fromDay) query.andWhere('day', '>=', fromDay);
	return (await query).map((r: Record<string, unknown>) => ({ day: String(r['day']), member_count: Number(r['member_count']) }));
}

/** Clients who entered and left a segment per day (UTC) since `fromDay`: one aggregate over its events. */
export async function listDailyMoves(knex: Knex, segment: number, fromDay: string): Promise<Array<{ day: string; entered: number; left: number }>> {
	const fromMs = Date.parse(`${fromDay}T00:00:00Z`);
	const found: Array<Record<string, unknown>> = await knex(EVENTS_TABLE)
		.where({ segment_id: segment })
		.andWhere('at', '>=', fromMs)
		.groupByRaw('at / 86400000, event')
		.select(knex.raw('at / 86400000 AS day_number'), 'event', knex.raw('COUNT(*) AS n'));
	const byDay = new Map<number, { entered: number; left: number }>();
	for (const r of found) {
		const day = Number(r['day_number']);
		const entry = byDay.get(day) ?? { entered: 0, left: 0 };
		if (r['event'] === 'entered') entry.entered += Number(r['n']);
		else entry.left += Number(r['n']);
		byDay.set(day, entry);
	}
	return [...byDay.entries()].sort((a, b) => a[0] - b[0]).map(([day, moves]) => ({ day: new Date(day * 86_400_000).toISOString().slice(0, 10), ...moves }));
}

/** Members changed outside the rule engine (picked or removed by hand, client deleted): events and counts. */
export async function recordMembershipChanges(knex: Knex, changes: Array<{ segment: number; client: number }>, event: 'entered' | 'left', atMs: number, cause: 'manual' | 'deleted'): Promise<void> {
	if (!changes.length) return;
	const write = async (trx: Knex) => {
		await trx(EVENTS_TABLE).insert(changes.map((c) => ({ segment_id: c.segment, client_id: c.client, event, at: atMs, cause })));
		const bySegment = new Map<number, number>();
		for (const c of changes) bySegment.set(c.segment, (bySegment.get(c.segment) ?? 0) + 1);
		for (const [segment, n] of bySegment) {
			await trx(N.segments).where({ id: segment }).update({ member_count: trx.raw('COALESCE(??, 0) + ?', ['member_count', event === 'entered' ? n : -n]) });
		}
	};
	// inside a transaction already (a filter hook's): write there; else in one of our own
	if (knex.isTransaction) await write(knex);
	else await knex.transaction(write);
}

/** The memberships of clients about to be deleted (their junction rows cascade away with them). */
export async function membershipsOf(knex: Knex, clients: number[]): Promise<Array<{ segment: number; client: number }>> {
	if (!clients.length) return [];
	const rows: Array<Record<string, unknown>> = await knex(N.members).whereIn('client', clients).select('segment', 'client');
	return rows.map((r) => ({ segment: Number(r['segment']), client: Number(r['client']) }));
}

export interface ActiveSegment {
	id: number;
	name: string;
	kind: string;
	member_count: number;
	computed_at: string | null;
	history: number[];
	/** Clients who entered / left in the last 7 and 30 days. */
	entered_7d: number;
	left_7d: number;
	entered_30d: number;
	left_30d: number;
}

/** Active segments with their counts, the last `days` daily sizes (the module's sparklines) and who entered and left
 *  in the last 7 and 30 days (one aggregate over the month's events). */
export async function listActiveSegments(knex: Knex, days: number, nowMs: number): Promise<ActiveSegment[]> {
	const segments: Array<Record<string, unknown>> = await knex(N.segments).where({ is_active: true }).orderBy('name').select('id', 'name', 'kind', 'member_count', 'computed_at');
	const from = snapshotDay(nowMs - days * 86_400_000);
	const ids = segments.map((s) => Number(s['id']));
	const snapshots: Array<Record<string, unknown>> = segments.length ? await knex(SNAPSHOTS_TABLE).whereIn('segment_id', ids).andWhere('day', '>=', from).orderBy('day').select('segment_id', 'member_count') : [];
	const weekAgo = nowMs - 7 * 86_400_000;
	const moves: Array<Record<string, unknown>> = segments.length
		? await knex(EVENTS_TABLE)
				.whereIn('segment_id', ids)
				.andWhere('at', '>=', nowMs - 30 * 86_400_000)
				.groupBy('segment_id', 'event')
				.select('segment_id', 'event', knex.raw('COUNT(*) AS month'), knex.raw('SUM(CASE WHEN at >= ? THEN 1 ELSE 0 END) AS week', [weekAgo]))
		: [];
	const moved = (id: number, event: string, period: 'week' | 'month') => Number(moves.find((m) => Number(m['segment_id']) === id && m['event'] === event)?.[period] ?? 0);
	return segments.map((s) => ({
		entered_7d: moved(Number(s['id']), 'entered', 'week'),
		left_7d: moved(Number(s['id']), 'left', 'week'),
		entered_30d: moved(Number(s['id']), 'entered', 'month'),
		left_30d: moved(Number(s['id']), 'left', 'month'),
		id: Number(s['id']),
		name: String(s['name']),
		kind: String(s['kind']),
		member_count: Number(s['member_count'] ?? 0),
		computed_at: s['computed_at'] === null || s['computed_at'] === undefined ? null : new Date(typeof s['computed_at'] === 'number' ? s['computed_at'] : String(s['computed_at'])).toISOString(),
		history: snapshots.filter((x) => Number(x['segment_id']) === Number(s['id'])).map((x) => Number(x['member_count'])),
	}));
}
