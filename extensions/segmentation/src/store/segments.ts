// Segment membership, set-based. One code path for every case — a change batch of a few clients against every
// active segment, or one segment over the whole base: evaluate the rules restricted to those clients ("hits"),
// insert the new members, delete the leavers, and record an event for each enter and exit in the same transaction.
// On PostgreSQL it is one statement (data-modifying CTEs), so two instances re-qualifying the same client can't both
// insert or both delete: the unique (segment, client) index and DELETE … RETURNING give each change exactly one
// event (present members are skipped by that index, not by an anti-join against the table being written, which a
// nested-loop plan would re-scan row by row). SQLite has a single writer: the same steps as consecutive statements over a temporary hits table.
import type { Knex } from 'knex';
import { SEGMENT_NAMES } from '../core/base-names.ts';
import type { Mapping } from '../core/mapping.ts';
import { dialectOf } from './sql-dialect.ts';
import { andRestricted, clientIdRanges, q, rows, type ClientRestriction } from './restriction.ts';
import { EVENTS_TABLE, SNAPSHOTS_TABLE } from './tables.ts';

const N = SEGMENT_NAMES;
/** Clients per transaction when a whole segment is refreshed on SQLite (Directus shares its one connection). */
const SQLITE_CHUNK = 50_000;

/** A segment's rule compiled to a boolean SQL expression over the client row aliased `c`. */
export interface CompiledSegment {
	id: number;
	where: { sql: string; bindings: unknown[] };
}

export interface MembershipScope {
	knex: Knex;
	mapping: Mapping;
	/** When the changes happen (entered_at, event time). */
	atMs: number;
	/** Why: change | refresh | schedule | rule | manual | picked. */
	cause: string;
}

export type MembershipDelta = Map<number, { entered: number; left: number }>;

function segmentId(id: number): string {
	if (!Number.isSafeInteger(id)) throw new Error(`Bad segment id ${id}`);
	return String(id);
}

function hitsSelect(scope: MembershipScope, segments: CompiledSegment[], only: ClientRestriction): { sql: string; bindings: unknown[] } {
	const client = q(scope.mapping.client_collection);
	const parts = segments.map((s) => `SELECT ${segmentId(s.id)} AS segment_id, c.${q('id')} AS client_id FROM ${client} c WHERE (${s.where.sql})${andRestricted(`c.${q('id')}`, only)}`);
	return { sql: parts.join('\nUNION ALL\n'), bindings: segments.flatMap((s) => s.where.bindings) };
}

/** Re-evaluates the clients (or all) against these segments; returns who entered and left, per segment. */
export async function requalify(scope: MembershipScope, segments: CompiledSegment[], only: ClientRestriction): Promise<MembershipDelta> {
	const delta: MembershipDelta = new Map();
	if (segments.length === 0 || (only && 'ids' in only && only.ids.length === 0)) return delta;
	const d = dialectOf(scope.knex);
	const hits = hitsSelect(scope, segments, only);
	const at = d.instant(scope.atMs);
	const members = q(N.members);
	const inSegments = `m.${q('segment')} IN (${segments.map((s) => segmentId(s.id)).join(',')})${andRestricted(`m.${q('client')}`, only)}`;
	await scope.knex.transaction(async (trx) => {
		let counts: Record<string, unknown>[];
		if (d.pg) {
			// a whole-base refresh: the hits in a temporary table with statistics, so the leavers' anti-join is a hash
			// join (a CTE's row estimate can be far off, and a nested loop over it is quadratic); a change batch is small
			const full = only === null;
			if (full) {
				await trx.raw(`CREATE TEMP TABLE hits ON COMMIT DROP AS ${hits.sql}`, hits.bindings as Knex.RawBinding[]);
				await trx.raw('ANALYZE hits');
			}
			counts = rows(
				await trx.raw(
					`WITH ${full ? '' : `hits AS MATERIALIZED (${hits.sql}),`}
					ins AS (
						INSERT INTO ${members} (${q('segment')}, ${q('client')}, ${q('entered_at')})
						SELECT h.segment_id, h.client_id, ${at.sql} FROM hits h
						ON CONFLICT (${q('segment')}, ${q('client')}) DO NOTHING
						RETURNING ${q('segment')} AS segment_id, ${q('client')} AS client_id
					),
					del AS (
						DELETE FROM ${members} m WHERE ${inSegments}
							AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.segment_id = m.${q('segment')} AND h.client_id = m.${q('client')})
						RETURNING m.${q('segment')} AS segment_id, m.${q('client')} AS client_id
					),
					changes AS (SELECT segment_id, client_id, 'entered' AS event FROM ins UNION ALL SELECT segment_id, client_id, 'left' FROM del),
					logged AS (INSERT INTO ${EVENTS_TABLE} (segment_id, client_id, event, at, cause) SELECT segment_id, client_id, event, ?, ? FROM changes)
					SELECT segment_id, SUM(CASE WHEN event = 'entered' THEN 1 ELSE 0 END) AS entered, SUM(CASE WHEN event = 'left' THEN 1 ELSE 0 END) AS left_
					FROM changes GROUP BY segment_id`,
					[...(full ? [] : hits.bindings), at.binding, scope.atMs, scope.cause] as Knex.RawBinding[],
				),
			);
		} else {
			await trx.raw(`CREATE TEMP TABLE IF NOT EXISTS segmentation_hits (segment_id INTEGER NOT NULL, client_id INTEGER NOT NULL, PRIMARY KEY (segment_id, client_id))`);
			await trx.raw(`DELETE FROM temp.segmentation_hits`);
			await trx.raw(`INSERT INTO temp.segmentation_hits (segment_id, client_id) ${hits.sql}`, hits.bindings);
			const last = Number(rows(await trx.raw(`SELECT COALESCE(MAX(id), 0) AS last FROM ${EVENTS_TABLE}`))[0]?.['last'] ?? 0);
			const newcomers = `FROM temp.segmentation_hits h WHERE NOT EXISTS (SELECT 1 FROM ${members} m WHERE m.${q('segment')} = h.segment_id AND m.${q('client')} = h.client_id)`;
			const leavers = `FROM ${members} m WHERE ${inSegments} AND NOT EXISTS (SELECT 1 FROM temp.segmentation_hits h WHERE h.segment_id = m.${q('segment')} AND h.client_id = m.${q('client')})`;
			await trx.raw(`INSERT INTO ${EVENTS_TABLE} (segment_id, client_id, event, at, cause) SELECT h.segment_id, h.client_id, 'entered', ?, ? ${newcomers}`, [scope.atMs, scope.cause]);
			await trx.raw(`INSERT INTO ${members} (${q('segment')}, ${q('client')}, ${q('entered_at')}) SELECT h.segment_id, h.client_id, ${at.sql} ${newcomers}`, [at.binding]);
			await trx.raw(`INSERT INTO ${EVENTS_TABLE} (segment_id, client_id, event, at, cause) SELECT m.${q('segment')}, m.${q('client')}, 'left', ?, ? ${leavers}`, [scope.atMs, scope.cause]);
			await trx.raw(`DELETE FROM ${members} WHERE ${q('id')} IN (SELECT m.${q('id')} ${leavers})`);
			await trx.raw(`DELETE FROM temp.segmentation_hits`);
			counts = rows(
				await trx.raw(
					`SELECT segment_id, SUM(CASE WHEN event = 'entered' THEN 1 ELSE 0 END) AS entered, SUM(CASE WHEN event = 'left' THEN 1 ELSE 0 END) AS left_
					FROM ${EVENTS_TABLE} WHERE id > ? GROUP BY segment_id`,
					[last],
				),
			);
		}
		for (const row of counts) {
			const change = { entered: Number(row['entered']), left: Number(row['left_']) };
			delta.set(Number(row['segment_id']), change);
			// relative, so concurrent batches on other instances add up (a full refresh sets the exact count)
			if (change.entered !== change.left) {
				await trx(N.segments).where({ id: Number(row['segment_id']) }).update({ member_count: trx.raw('COALESCE(??, 0) + ?', ['member_count', change.entered - change.left]) });
			}
		}
	});
	return delta;
}

/** Full rebuild of one segment over the whole base; sets its exact count, computed_at and today's snapshot. */
export async function refreshSegment(scope: MembershipScope, segment: CompiledSegment): Promise<{ entered: number; left: number; member_count: number }> {
	const d = dialectOf(scope.knex);
	let entered = 0;
	let left = 0;
	const add = (delta: MembershipDelta) => {
		const change = delta.get(segment.id);
		entered += change?.entered ?? 0;
		left += change?.left ?? 0;
	};
	if (d.pg) add(await requalify(scope, [segment], null));
	else for (const range of (await clientIdRanges(scope.knex, scope.mapping, SQLITE_CHUNK)).ranges) add(await requalify(scope, [segment], { range }));
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
		const lock = trx(N.segments).where({ id: segment }).first('id');
		if (d.pg) lock.forUpdate();
		await lock;
		const member_count = await countMembers(trx, segment);
		await trx(N.segments)
			.where({ id: segment })
			.update({ member_count, ...(computedAtMs === undefined ? {} : { computed_at: trx.raw(d.fromMs('?'), [computedAtMs]) }) });
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

/** Lead sources of a segment's members next to the whole base, in one aggregate query. */
export async function leadSourceBreakdown(knex: Knex, mapping: Mapping, segment: number): Promise<{ base_total: number; segment_total: number; sources: Array<{ lead_source: string | null; base: number; segment: number; base_share: number; segment_share: number }> }> {
	const field = mapping.client_lead_source_field;
	if (!field) throw new Error('no lead source field is mapped (client_lead_source_field)');
	const result = rows(
		await knex.raw(
			`SELECT c.${q(field)} AS lead_source, COUNT(*) AS base, COUNT(m.${q('client')}) AS segment
			FROM ${q(mapping.client_collection)} c LEFT JOIN ${q(N.members)} m ON m.${q('client')} = c.${q('id')} AND m.${q('segment')} = ?
			GROUP BY c.${q(field)} ORDER BY COUNT(m.${q('client')}) DESC, COUNT(*) DESC`,
			[segment],
		),
	);
	const base_total = result.reduce((sum, r) => sum + Number(r['base']), 0);
	const segment_total = result.reduce((sum, r) => sum + Number(r['segment']), 0);
	const share = (n: number, total: number) => (total ? Math.round((n / total) * 10_000) / 10_000 : 0);
	return {
		base_total,
		segment_total,
		sources: result.map((r) => ({
			lead_source: (r['lead_source'] as string | null) ?? null,
			base: Number(r['base']),
			segment: Number(r['segment']),
			base_share: share(Number(r['base']), base_total),
			segment_share: share(Number(r['segment']), segment_total),
		})),
	};
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

/** Active segments with their counts and the last `days` daily sizes (for the module's table and sparklines). */
export async function listActiveSegments(knex: Knex, days: number, nowMs: number): Promise<Array<{ id: number; name: string; kind: string; member_count: number; computed_at: string | null; history: number[] }>> {
	const segments: Array<Record<string, unknown>> = await knex(N.segments).where({ is_active: true }).orderBy('name').select('id', 'name', 'kind', 'member_count', 'computed_at');
	const from = snapshotDay(nowMs - days * 86_400_000);
	const snapshots: Array<Record<string, unknown>> = segments.length
		? await knex(SNAPSHOTS_TABLE).whereIn('segment_id', segments.map((s) => Number(s['id']))).andWhere('day', '>=', from).orderBy('day').select('segment_id', 'member_count')
		: [];
	return segments.map((s) => ({
		id: Number(s['id']),
		name: String(s['name']),
		kind: String(s['kind']),
		member_count: Number(s['member_count'] ?? 0),
		computed_at: s['computed_at'] === null || s['computed_at'] === undefined ? null : new Date(typeof s['computed_at'] === 'number' ? s['computed_at'] : String(s['computed_at'])).toISOString(),
		history: snapshots.filter((x) => Number(x['segment_id']) === Number(s['id'])).map((x) => Number(x['member_count'])),
	}));
}
