// Segment membership's SQL (the writes with their events are per database: dialects/*.ts enterMembers/leaveMembers).
import type { Dialect } from '../dialects/types.ts';
import type { ClientRestriction } from '../restriction.ts';
import type { BaseTables } from './base-tables.ts';
import { andClients, ints, join, Sql, sql } from './sql.ts';

/** A segment's rule compiled to a boolean SQL expression over the client row aliased `c`. */
export interface CompiledSegment {
	id: number;
	where: { sql: string; bindings: unknown[] };
}

export const HITS = {
	name: 'segmentation_hits',
	columns: [{ name: 'segment_id' }, { name: 'client_id' }],
	key: ['segment_id', 'client_id'],
} as const;

/** The compiled rule as a fragment: compileRule's text (identifiers through q(), every value a binding). */
function ruleCondition(segment: CompiledSegment): Sql {
	return sql`(${new Sql(segment.where.sql, segment.where.bindings)})`;
}

/** (segment_id, client_id) of the clients that meet each rule, each part reading the clients' rows as `c`. */
export function hitsQuery(t: BaseTables, d: Dialect, segments: CompiledSegment[], only: ClientRestriction): Sql {
	const rows = d.ruleRows(t, only);
	const parts = segments.map((s) => sql`SELECT ${ints([s.id])} AS segment_id, c.${t.clients.id} AS client_id FROM ${rows.from} c WHERE ${ruleCondition(s)}${rows.and}`);
	return sql`${rows.with}${join(parts, '\nUNION ALL\n')}`;
}

/** Members (aliased m) of these segments among the clients that are no longer hits. */
export function leavingCondition(t: BaseTables, segments: CompiledSegment[], only: ClientRestriction, hits: Sql): Sql {
	const M = t.members;
	return sql`m.${M.segment} IN (${ints(segments.map((s) => s.id))})${andClients(sql`m.${M.client}`, only)}
		AND NOT EXISTS (SELECT 1 FROM ${hits} h WHERE h.segment_id = m.${M.segment} AND h.client_id = m.${M.client})`;
}

/** Adds each segment's delta to its stored member count. */
export function memberCountDeltaQuery(t: BaseTables, deltas: Array<{ id: number; by: number }>): Sql {
	const S = t.segments;
	const by = join(deltas.map((x) => sql`WHEN ${ints([x.id])} THEN ${ints([x.by])}`), ' ');
	return sql`UPDATE ${S.table} SET ${S.memberCount} = COALESCE(${S.memberCount}, 0) + CASE ${S.id} ${by} ELSE 0 END
		WHERE ${S.id} IN (${ints(deltas.map((x) => x.id))})`;
}
