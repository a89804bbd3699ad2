// Named SQL of the Listmonk sync: the desired state (members of synced segments whose client has consent) against
// what Listmonk confirmed (the sync tables), restricted to some clients or over every synced segment.
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import type { Mapping } from '../../core/mapping.ts';
import type { Dialect } from '../dialects/types.ts';
import { SYNC_MEMBERS_TABLE, SYNC_SUBSCRIBERS_TABLE } from '../tables.ts';
import { andClients, ident, ints, sql, type Sql } from './sql.ts';

/** Identifiers of the sync's queries, resolved once from a checked mapping. */
export interface SyncNames {
	clients: Sql;
	email: Sql;
	consent: Sql;
	name: Sql | null;
	leadSource: Sql | null;
	segments: Sql;
	members: Sql;
	syncMembers: Sql;
	syncSubscribers: Sql;
	clientTags: Sql;
	tags: Sql;
}

export function syncNames(m: Mapping): SyncNames {
	return {
		clients: ident(m.client_collection),
		email: ident(m.client_email_field),
		consent: ident(m.client_consent_field),
		name: m.client_name_field ? ident(m.client_name_field) : null,
		leadSource: m.client_lead_source_field ? ident(m.client_lead_source_field) : null,
		segments: ident(SEGMENT_NAMES.segments),
		members: ident(SEGMENT_NAMES.members),
		syncMembers: ident(SYNC_MEMBERS_TABLE),
		syncSubscribers: ident(SYNC_SUBSCRIBERS_TABLE),
		clientTags: ident(SEGMENT_NAMES.clientTags),
		tags: ident(SEGMENT_NAMES.tags),
	};
}

/** Restricts to some clients (a change batch), or null: every synced segment. */
export type SyncScope = { clients: number[] } | null;

const only = (scope: SyncScope) => (scope ? { ids: scope.clients } : null);

/** Members of synced segments, with consent, that Listmonk does not have yet (no sync row), except clients whose
 *  current address Listmonk already refused. Bindings: true (sync), true (consent), limit. */
export function pendingAddsQuery(n: SyncNames, scope: SyncScope, segments: readonly number[], limit: number): Sql {
	return sql`SELECT m.segment AS segment_id, m.client AS client_id, s.listmonk_list_id AS list_id, c.${n.email} AS email,
		x.subscriber_id AS subscriber_id, x.email AS known_email, x.blocklisted AS blocklisted
	FROM ${n.members} m
	JOIN ${n.segments} s ON s.id = m.segment
	JOIN ${n.clients} c ON c.id = m.client
	LEFT JOIN ${n.syncMembers} y ON y.segment_id = m.segment AND y.client_id = m.client
	LEFT JOIN ${n.syncSubscribers} x ON x.client_id = m.client
	WHERE s.listmonk_sync = ${true} AND s.listmonk_list_id IS NOT NULL AND c.${n.consent} = ${true} AND c.${n.email} IS NOT NULL
		AND y.client_id IS NULL
		AND (x.refused IS NULL OR x.email <> c.${n.email}) AND m.segment IN (${ints(segments)})${andClients(sql`m.client`, only(scope))}
	ORDER BY s.listmonk_list_id, m.client
	LIMIT ${limit}`;
}

/** Active memberships Listmonk has that the desired state no longer wants: the client left the segment (action
 *  per segment) or has no consent now (always unsubscribe). A pair another client with the same subscriber still
 *  wants in that list is not touched (one subscriber per address). Segments switched off or re-linked are not
 *  here (purgeUntrackedQuery). */
export function pendingLeavesQuery(n: SyncNames, scope: SyncScope, segments: readonly number[], limit: number): Sql {
	return sql`SELECT y.segment_id AS segment_id, y.client_id AS client_id, y.list_id AS list_id, y.subscriber_id AS subscriber_id,
		CASE WHEN c.id IS NULL OR c.${n.consent} = ${true} THEN s.listmonk_on_leave ELSE 'unsubscribe' END AS action,
		CASE WHEN c.id IS NULL OR c.${n.consent} = ${true} THEN 'left' ELSE 'consent' END AS reason,
		CASE WHEN EXISTS (
			SELECT 1 FROM ${n.syncMembers} y2
			JOIN ${n.members} m2 ON m2.segment = y2.segment_id AND m2.client = y2.client_id
			JOIN ${n.clients} c2 ON c2.id = y2.client_id AND c2.${n.consent} = ${true}
			WHERE y2.list_id = y.list_id AND y2.subscriber_id = y.subscriber_id AND (y2.segment_id <> y.segment_id OR y2.client_id <> y.client_id) AND y2.state = 'active'
		) THEN 1 ELSE 0 END AS shared
	FROM ${n.syncMembers} y
	JOIN ${n.segments} s ON s.id = y.segment_id AND s.listmonk_sync = ${true} AND s.listmonk_list_id = y.list_id
	LEFT JOIN ${n.members} m ON m.segment = y.segment_id AND m.client = y.client_id
	LEFT JOIN ${n.clients} c ON c.id = y.client_id
	WHERE y.state = 'active' AND y.segment_id IN (${ints(segments)})
		AND (m.client IS NULL OR c.id IS NULL OR c.${n.consent} IS NULL OR c.${n.consent} <> ${true})${andClients(sql`y.client_id`, only(scope))}
	ORDER BY y.list_id, y.client_id
	LIMIT ${limit}`;
}

/** Sync rows of segments that were deleted or linked to another list: forgotten, Listmonk left as it is. A segment
 *  merely switched off keeps its rows (nothing is called for it), so switching it on again picks up where it was. */
export function purgeUntrackedQuery(n: SyncNames): Sql {
	return sql`DELETE FROM ${n.syncMembers} WHERE NOT EXISTS (
		SELECT 1 FROM ${n.segments} s WHERE s.id = ${n.syncMembers}.segment_id AND s.listmonk_list_id = ${n.syncMembers}.list_id)`;
}

/** What a subscriber carries of each client (attributes): one row per client, tags as one delimited string. */
export function clientFactsQuery(n: SyncNames, d: Dialect, clients: number[]): Sql {
	const name = n.name ? sql`c.${n.name}` : sql`NULL`;
	const leadSource = n.leadSource ? sql`c.${n.leadSource}` : sql`NULL`;
	const tags = d.pg ? sql`string_agg(t.name, chr(31))` : sql`group_concat(t.name, char(31))`;
	return sql`SELECT c.id AS id, ${name} AS name, c.${n.email} AS email, c.rfm_code AS rfm_code, c.rfm_r AS rfm_r, c.rfm_f AS rfm_f,
		c.rfm_m AS rfm_m, c.rfm_segment AS rfm_segment, c.lifecycle_stage AS lifecycle_stage, c.value_tier AS value_tier,
		c.spend_trend AS spend_trend, ${d.ms(sql`c.last_purchase_at`)} AS last_purchase_at, ${d.ms(sql`c.next_purchase_due_at`)} AS next_purchase_due_at,
		${leadSource} AS lead_source,
		(SELECT ${tags} FROM ${n.clientTags} ct JOIN ${n.tags} t ON t.id = ct.tag WHERE ct.client = c.id) AS tags
	FROM ${n.clients} c WHERE c.id IN (${ints(clients)})`;
}
