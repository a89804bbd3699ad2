// The Listmonk sync's database side, set-based: what it owes a look at (the dirty marks), the difference between
// the desired state and what Listmonk confirmed, and the recording of what Listmonk confirmed. Rows are recorded
// only after Listmonk answered: a crash in between repeats an idempotent call, never skips one.
import type { Knex } from 'knex';
import { SEGMENT_NAMES } from '../core/base-names.ts';
import type { ClientFacts } from '../core/subscriber.ts';
import type { Mapping } from '../core/mapping.ts';
import { dialectOf, isPostgres } from './dialects/index.ts';
import { clientFactsQuery, pendingAddsQuery, pendingLeavesQuery, purgeUntrackedQuery, syncNames, type SyncScope } from './queries/listmonk.ts';
import { ident, ints, join, run, sql } from './queries/sql.ts';
import { idList, rows } from './restriction.ts';
import { SYNC_DIRTY_TABLE, SYNC_MEMBERS_TABLE, SYNC_RUNS_TABLE, SYNC_SUBSCRIBERS_TABLE } from './tables.ts';
import { updateByCase } from './update-by-case.ts';

export type { SyncScope } from './queries/listmonk.ts';

/** Rows per INSERT (knex writes SQLite's multi-row insert as a compound SELECT, limited to 500 terms). */
const insertChunk = (knex: Knex) => (isPostgres(knex) ? 2000 : 400);
/** Ids per IN (…) list. */
const ID_CHUNK = 5000;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const truthy = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 'true';

// ── what the sync owes a look at ──

/** Marks clients for the sync (in the caller's transaction: a change batch's). */
export async function markDirty(knex: Knex, clientIds: readonly number[], atMs = Date.now()): Promise<void> {
	const ids = [...new Set(clientIds)].filter((id) => Number.isSafeInteger(id));
	const chunk = insertChunk(knex);
	for (let i = 0; i < ids.length; i += chunk) await knex(SYNC_DIRTY_TABLE).insert(ids.slice(i, i + chunk).map((client_id) => ({ client_id, enqueued_at: atMs })));
}

/** Asks for a look at every synced segment's memberships, and with `attributes` at every subscriber's attributes
 *  too (after a full pass rewrote the scores; not after a segment refresh, which moves memberships only). */
export async function markAllDirty(knex: Knex, opts: { attributes: boolean }, atMs = Date.now()): Promise<void> {
	await knex(SYNC_DIRTY_TABLE).insert({ client_id: null, attributes: opts.attributes, enqueued_at: atMs });
}

export interface DirtyWork {
	/** The highest mark read: marks up to it are removed once the work is done (later ones stay). */
	upTo: number;
	/** Everything (a NULL mark was among them), or these clients. */
	scope: SyncScope;
	/** For everything: whether every subscriber's attributes are owed a look too (for clients they always are). */
	attributes: boolean;
}

/** The marks waiting, up to `limit` clients; null when there are none. */
export async function readDirty(knex: Knex, limit: number): Promise<DirtyWork | null> {
	const marks = await knex(SYNC_DIRTY_TABLE).orderBy('id').limit(limit).select('id', 'client_id');
	if (!marks.length) return null;
	const upTo = Number(marks.at(-1)!.id);
	const whole: Array<{ attributes: unknown }> = await knex(SYNC_DIRTY_TABLE).whereNull('client_id').select('attributes');
	if (whole.length) return { upTo: Number((await knex(SYNC_DIRTY_TABLE).max({ m: 'id' }))[0]?.m ?? upTo), scope: null, attributes: whole.some((w) => truthy(w.attributes)) };
	return { upTo, scope: { clients: [...new Set(marks.map((r) => Number(r.client_id)))] }, attributes: true };
}

export async function hasDirty(knex: Knex): Promise<boolean> {
	return Boolean(await knex(SYNC_DIRTY_TABLE).first('id'));
}

export async function clearDirty(knex: Knex, upTo: number): Promise<void> {
	await knex(SYNC_DIRTY_TABLE).where('id', '<=', upTo).delete();
}

export async function dirtyCount(knex: Knex): Promise<{ clients: number; everything: boolean }> {
	const [row] = rows(await knex.raw(`SELECT COUNT(*) AS n, SUM(CASE WHEN client_id IS NULL THEN 1 ELSE 0 END) AS whole FROM ${SYNC_DIRTY_TABLE}`));
	return { clients: Number(row?.['n'] ?? 0), everything: Number(row?.['whole'] ?? 0) > 0 };
}

// ── the difference ──

export interface PendingAdd {
	segmentId: number;
	clientId: number;
	listId: number;
	/** The client's address as stored in the base (raw). */
	email: string;
	/** What we know of the client's subscriber (null: nothing yet). */
	subscriberId: number | null;
	knownEmail: string | null;
	blocklisted: boolean;
}

/** Pairs to add, of these segments (those whose list Listmonk has). */
export async function pendingAdds(knex: Knex, m: Mapping, scope: SyncScope, segments: readonly number[], limit: number): Promise<PendingAdd[]> {
	if ((scope && !scope.clients.length) || !segments.length) return [];
	return rows(await run(knex, pendingAddsQuery(syncNames(m), scope, segments, limit))).map((r) => ({
		segmentId: Number(r['segment_id']),
		clientId: Number(r['client_id']),
		listId: Number(r['list_id']),
		email: String(r['email']),
		subscriberId: num(r['subscriber_id']),
		knownEmail: r['known_email'] === null || r['known_email'] === undefined ? null : String(r['known_email']),
		blocklisted: truthy(r['blocklisted']),
	}));
}

export interface PendingLeave {
	segmentId: number;
	clientId: number;
	listId: number;
	subscriberId: number;
	action: 'remove' | 'unsubscribe';
	reason: 'left' | 'consent';
	/** Another client with the same subscriber still wants the list: forget the row, call nothing. */
	shared: boolean;
}

export async function pendingLeaves(knex: Knex, m: Mapping, scope: SyncScope, segments: readonly number[], limit: number): Promise<PendingLeave[]> {
	if ((scope && !scope.clients.length) || !segments.length) return [];
	return rows(await run(knex, pendingLeavesQuery(syncNames(m), scope, segments, limit))).map((r) => ({
		segmentId: Number(r['segment_id']),
		clientId: Number(r['client_id']),
		listId: Number(r['list_id']),
		subscriberId: Number(r['subscriber_id']),
		action: r['action'] === 'unsubscribe' ? 'unsubscribe' : 'remove',
		reason: r['reason'] === 'consent' ? 'consent' : 'left',
		shared: Number(r['shared']) === 1,
	}));
}

/** Forgets the rows of segments deleted or re-linked (nothing is called in Listmonk). */
export async function purgeUntracked(knex: Knex, m: Mapping): Promise<void> {
	await run(knex, purgeUntrackedQuery(syncNames(m)));
}

// ── recording what Listmonk confirmed ──

export interface MemberRow {
	segmentId: number;
	clientId: number;
	listId: number;
	subscriberId: number;
	state: 'active' | 'unsubscribed';
}

/** Upserts membership rows (the state Listmonk confirmed). */
export async function recordMembers(knex: Knex, list: readonly MemberRow[], atMs = Date.now()): Promise<void> {
	const chunk = insertChunk(knex);
	for (let i = 0; i < list.length; i += chunk) {
		const values = list.slice(i, i + chunk).map((r) => ({ segment_id: r.segmentId, client_id: r.clientId, list_id: r.listId, subscriber_id: r.subscriberId, state: r.state, synced_at: atMs }));
		await knex(SYNC_MEMBERS_TABLE).insert(values).onConflict(['segment_id', 'client_id']).merge(['list_id', 'subscriber_id', 'state', 'synced_at']);
	}
}

export async function dropMembers(knex: Knex, pairs: ReadonlyArray<{ segmentId: number; clientId: number }>): Promise<void> {
	const bySegment = new Map<number, number[]>();
	for (const p of pairs) pushTo(bySegment, p.segmentId, p.clientId);
	for (const [segmentId, clients] of bySegment) {
		for (let i = 0; i < clients.length; i += ID_CHUNK) {
			await knex.raw(`DELETE FROM ${SYNC_MEMBERS_TABLE} WHERE segment_id = ? AND client_id IN (${idList(clients.slice(i, i + ID_CHUNK))})`, [segmentId]);
		}
	}
}

/** Every membership of a list as we recorded it (a reconcile compares it with Listmonk's). */
export async function membersOfList(knex: Knex, listId: number): Promise<Array<{ segmentId: number; clientId: number; subscriberId: number; state: string }>> {
	return (await knex(SYNC_MEMBERS_TABLE).where({ list_id: listId }).select('segment_id', 'client_id', 'subscriber_id', 'state')).map((r) => ({
		segmentId: Number(r.segment_id),
		clientId: Number(r.client_id),
		subscriberId: Number(r.subscriber_id),
		state: String(r.state),
	}));
}

/** Marks the memberships of these subscribers in a list unsubscribed (Listmonk said so: the person, a blocklist). */
export async function markUnsubscribed(knex: Knex, listId: number | null, subscriberIds: readonly number[], atMs = Date.now()): Promise<number> {
	let changed = 0;
	for (let i = 0; i < subscriberIds.length; i += ID_CHUNK) {
		const q = knex(SYNC_MEMBERS_TABLE).whereIn('subscriber_id', subscriberIds.slice(i, i + ID_CHUNK)).andWhere('state', 'active');
		if (listId !== null) q.andWhere('list_id', listId);
		changed += Number(await q.update({ state: 'unsubscribed', synced_at: atMs }));
	}
	return changed;
}

export interface SubscriberRow {
	clientId: number;
	subscriberId: number | null;
	email: string;
	ownedHash?: string | null;
	blocklisted?: boolean;
	refused?: string | null;
}

/** Upserts the subscriber rows Listmonk answered for. A refused row counts a failed attempt (its reason is the last
 *  error); any other clears the failure. */
export async function recordSubscribers(knex: Knex, list: readonly SubscriberRow[], atMs = Date.now()): Promise<void> {
	const chunk = insertChunk(knex);
	for (const refused of [false, true]) {
		const group = list.filter((r) => Boolean(r.refused) === refused);
		for (let i = 0; i < group.length; i += chunk) {
			const slice = group.slice(i, i + chunk);
			const values = slice.map((r) => ({
				client_id: r.clientId,
				subscriber_id: r.subscriberId,
				email: r.email,
				owned_hash: r.ownedHash ?? null,
				blocklisted: r.blocklisted ?? false,
				refused: r.refused ?? null,
				updated_at: atMs,
				last_error: r.refused ?? null,
				attempts: refused ? 1 : 0,
				failed_at: refused ? atMs : null,
			}));
			const columns = ['subscriber_id', 'email', 'blocklisted', 'refused', 'updated_at', 'last_error', 'failed_at', ...(slice.every((r) => r.ownedHash !== undefined) ? ['owned_hash'] : [])];
			const merge: Record<string, Knex.Raw> = Object.fromEntries(columns.map((c) => [c, knex.raw('excluded.??', [c])]));
			merge['attempts'] = refused ? knex.raw('??.?? + 1', [SYNC_SUBSCRIBERS_TABLE, 'attempts']) : knex.raw('0');
			await knex(SYNC_SUBSCRIBERS_TABLE).insert(values).onConflict('client_id').merge(merge);
		}
	}
}

/** Records what was written, and clears those subscribers' failures. */
export async function setOwnedHashes(knex: Knex, list: ReadonlyArray<{ clientId: number; ownedHash: string | null }>, atMs = Date.now()): Promise<void> {
	await updateByCase(knex, SYNC_SUBSCRIBERS_TABLE, 'client_id', { owned_hash: 'TEXT' }, list.map((r) => ({ id: r.clientId, values: { owned_hash: r.ownedHash } })), { updated_at: atMs, last_error: null, attempts: 0, failed_at: null });
}

/** A failed attempt for each of these subscribers (Listmonk refused what we sent for them): the error kept, the
 *  attempts counted; the next success clears both. */
export async function recordFailures(knex: Knex, list: ReadonlyArray<{ clientId: number; error: string }>, atMs = Date.now()): Promise<void> {
	await updateByCase(knex, SYNC_SUBSCRIBERS_TABLE, 'client_id', { last_error: 'TEXT' }, list.map((r) => ({ id: r.clientId, values: { last_error: r.error.slice(0, 2000) } })), { failed_at: atMs });
	for (let i = 0; i < list.length; i += ID_CHUNK) await knex(SYNC_SUBSCRIBERS_TABLE).whereIn('client_id', list.slice(i, i + ID_CHUNK).map((r) => r.clientId)).increment('attempts', 1);
}

export interface SyncFailure {
	client_id: number;
	name: string | null;
	email: string | null;
	error: string;
	attempts: number;
	failed_at: string | null;
	/** Refused for good (an address Listmonk won't take): tried again only when the address changes. */
	refused: boolean;
}

/** The subscribers whose last attempt failed, latest first, with their client's name and address. */
export async function listFailures(knex: Knex, m: Mapping, page: { limit: number; offset: number }): Promise<{ total: number; items: SyncFailure[] }> {
	const n = syncNames(m);
	const name = n.name ? sql`c.${n.name}` : sql`NULL`;
	const items = rows(
		await run(
			knex,
			sql`SELECT x.client_id AS client_id, ${name} AS name, c.${n.email} AS email, x.last_error AS error, x.attempts AS attempts, x.failed_at AS failed_at, x.refused AS refused
			FROM ${n.syncSubscribers} x LEFT JOIN ${n.clients} c ON c.id = x.client_id
			WHERE x.last_error IS NOT NULL
			ORDER BY x.failed_at DESC, x.client_id
			LIMIT ${page.limit} OFFSET ${page.offset}`,
		),
	);
	return {
		total: await failureCount(knex),
		items: items.map((r) => ({
			client_id: Number(r['client_id']),
			name: (r['name'] as string | null) ?? null,
			email: (r['email'] as string | null) ?? null,
			error: String(r['error']),
			attempts: Number(r['attempts'] ?? 0),
			failed_at: r['failed_at'] === null || r['failed_at'] === undefined ? null : new Date(Number(r['failed_at'])).toISOString(),
			refused: r['refused'] !== null && r['refused'] !== undefined,
		})),
	};
}

export async function failureCount(knex: Knex): Promise<number> {
	return Number((await knex(SYNC_SUBSCRIBERS_TABLE).whereNotNull('last_error').count({ n: '*' }).first())?.['n'] ?? 0);
}

export async function markBlocklisted(knex: Knex, subscriberIds: readonly number[], atMs = Date.now()): Promise<void> {
	for (let i = 0; i < subscriberIds.length; i += ID_CHUNK) {
		await knex(SYNC_SUBSCRIBERS_TABLE).whereIn('subscriber_id', subscriberIds.slice(i, i + ID_CHUNK)).update({ blocklisted: true, updated_at: atMs });
	}
}

/** Forgets subscriber ids Listmonk no longer knows (deleted there): their clients are marked, so the next round
 *  makes them again and adds them back where they belong. */
export async function forgetSubscribers(knex: Knex, subscriberIds: readonly number[]): Promise<void> {
	for (let i = 0; i < subscriberIds.length; i += ID_CHUNK) {
		const ids = subscriberIds.slice(i, i + ID_CHUNK);
		await markDirty(knex, (await knex(SYNC_SUBSCRIBERS_TABLE).whereIn('subscriber_id', ids).select('client_id')).map((r) => Number(r.client_id)));
		await knex(SYNC_MEMBERS_TABLE).whereIn('subscriber_id', ids).delete();
		await knex(SYNC_SUBSCRIBERS_TABLE).whereIn('subscriber_id', ids).update({ subscriber_id: null, owned_hash: null });
	}
}

export interface KnownSubscriber {
	clientId: number;
	subscriberId: number;
	/** The client's address when the row was written (raw). */
	email: string;
	ownedHash: string | null;
	blocklisted: boolean;
	/** Its last attempt failed (shown in the App until one succeeds). */
	failing: boolean;
}

/** The known subscribers among these clients (or all when null). */
export async function knownSubscribers(knex: Knex, clientIds: readonly number[] | null, afterClientId = 0, limit = ID_CHUNK): Promise<KnownSubscriber[]> {
	const q = knex(SYNC_SUBSCRIBERS_TABLE).whereNotNull('subscriber_id').andWhere('client_id', '>', afterClientId).orderBy('client_id').limit(limit);
	if (clientIds) q.whereIn('client_id', clientIds.slice(0, ID_CHUNK));
	return (await q.select('client_id', 'subscriber_id', 'email', 'owned_hash', 'blocklisted', 'last_error')).map((r) => ({
		clientId: Number(r.client_id),
		subscriberId: Number(r.subscriber_id),
		email: String(r.email),
		ownedHash: r.owned_hash === null ? null : String(r.owned_hash),
		blocklisted: truthy(r.blocklisted),
		failing: r.last_error !== null && r.last_error !== undefined,
	}));
}

/** What a subscriber carries of each of these clients. */
export async function clientFacts(knex: Knex, m: Mapping, clientIds: readonly number[]): Promise<ClientFacts[]> {
	const out: ClientFacts[] = [];
	const d = dialectOf(knex);
	for (let i = 0; i < clientIds.length; i += ID_CHUNK) {
		const found = rows(await run(knex, clientFactsQuery(syncNames(m), d, clientIds.slice(i, i + ID_CHUNK))));
		for (const r of found) {
			out.push({
				id: Number(r['id']),
				name: r['name'] === null || r['name'] === undefined ? null : String(r['name']),
				email: String(r['email'] ?? ''),
				rfm_code: (r['rfm_code'] as string | null) ?? null,
				rfm_r: num(r['rfm_r']),
				rfm_f: num(r['rfm_f']),
				rfm_m: num(r['rfm_m']),
				rfm_segment: (r['rfm_segment'] as string | null) ?? null,
				lifecycle_stage: (r['lifecycle_stage'] as string | null) ?? null,
				value_tier: (r['value_tier'] as string | null) ?? null,
				spend_trend: (r['spend_trend'] as string | null) ?? null,
				last_purchase_at: num(r['last_purchase_at']),
				next_purchase_due_at: num(r['next_purchase_due_at']),
				lead_source: (r['lead_source'] as string | null) ?? null,
				tags: r['tags'] ? String(r['tags']).split('\u001f') : [],
			});
		}
	}
	return out;
}

/** One list Listmonk has each of these clients' subscriber in (any state), for imports that must name a list. */
export async function aListOf(knex: Knex, clientIds: readonly number[]): Promise<Map<number, number>> {
	const out = new Map<number, number>();
	for (let i = 0; i < clientIds.length; i += ID_CHUNK) {
		const found: Array<{ client_id: unknown; list_id: unknown }> = await knex(SYNC_MEMBERS_TABLE).whereIn('client_id', clientIds.slice(i, i + ID_CHUNK)).groupBy('client_id').select('client_id').min({ list_id: 'list_id' });
		for (const r of found) out.set(Number(r.client_id), Number(r.list_id));
	}
	return out;
}

/** The clients of these subscribers. */
export async function clientsOfSubscribers(knex: Knex, subscriberIds: readonly number[]): Promise<number[]> {
	const out: number[] = [];
	for (let i = 0; i < subscriberIds.length; i += ID_CHUNK) {
		const found = await knex(SYNC_SUBSCRIBERS_TABLE).whereIn('subscriber_id', subscriberIds.slice(i, i + ID_CHUNK)).select('client_id');
		out.push(...found.map((r) => Number(r.client_id)));
	}
	return out;
}

/** Which of these subscribers belong to clients that are members of the segment. */
export async function subscribersInSegment(knex: Knex, segmentId: number, subscriberIds: readonly number[]): Promise<Set<number>> {
	const out = new Set<number>();
	for (let i = 0; i < subscriberIds.length; i += ID_CHUNK) {
		const found = await knex(`${SYNC_SUBSCRIBERS_TABLE} as x`)
			.join(`${SEGMENT_NAMES.members} as sm`, 'sm.client', 'x.client_id')
			.where('sm.segment', segmentId)
			.whereIn('x.subscriber_id', subscriberIds.slice(i, i + ID_CHUNK))
			.select('x.subscriber_id');
		for (const r of found) out.add(Number(r.subscriber_id));
	}
	return out;
}

// ── what the CRM sees ──

export type EmailStatus = 'subscribed' | 'partly_unsubscribed' | 'unsubscribed' | 'blocklisted' | 'refused' | null;

/** The email status of these clients from the sync state; writes the changed ones to the client rows and returns
 *  their ids (a segment rule may read the field: the caller queues them for re-qualification). */
export async function writeEmailStatus(knex: Knex, m: Mapping, clientIds: readonly number[]): Promise<number[]> {
	const n = syncNames(m);
	const updates: Array<{ id: number; values: Record<string, unknown> }> = [];
	for (let i = 0; i < clientIds.length; i += ID_CHUNK) {
		const ids = clientIds.slice(i, i + ID_CHUNK);
		const found = rows(
			await run(
				knex,
				sql`SELECT c.id AS id, c.listmonk_email_status AS current_status, c.listmonk_subscriber_id AS current_subscriber,
					x.subscriber_id AS subscriber_id, x.blocklisted AS blocklisted, x.refused AS refused, x.email AS known_email, c.${n.email} AS email,
					(SELECT COUNT(DISTINCT y.list_id) FROM ${n.syncMembers} y WHERE y.client_id = c.id AND y.state = 'active') AS active_lists,
					(SELECT COUNT(DISTINCT y.list_id) FROM ${n.syncMembers} y WHERE y.client_id = c.id AND y.state = 'unsubscribed') AS unsubscribed_lists
				FROM ${n.clients} c LEFT JOIN ${n.syncSubscribers} x ON x.client_id = c.id
				WHERE c.id IN (${ints(ids)})`,
			),
		);
		for (const r of found) {
			const active = Number(r['active_lists'] ?? 0);
			const unsubscribed = Number(r['unsubscribed_lists'] ?? 0);
			let status: EmailStatus = null;
			if (r['refused'] && r['known_email'] === r['email']) status = 'refused';
			else if (truthy(r['blocklisted'])) status = 'blocklisted';
			else if (active > 0) status = unsubscribed > 0 ? 'partly_unsubscribed' : 'subscribed';
			else if (unsubscribed > 0) status = 'unsubscribed';
			const subscriber = num(r['subscriber_id']);
			if ((r['current_status'] ?? null) !== status || num(r['current_subscriber']) !== subscriber) updates.push({ id: Number(r['id']), values: { listmonk_email_status: status, listmonk_subscriber_id: subscriber } });
		}
	}
	await updateByCase(knex, m.client_collection, 'id', { listmonk_email_status: 'TEXT', listmonk_subscriber_id: 'INTEGER' }, updates);
	return updates.map((u) => u.id);
}

/** Per synced segment: its list, when Listmonk last confirmed a change, its problem, and what the sync recorded
 *  (active memberships, opt-outs) — for the status page and the App. */
export async function syncedSegmentStates(knex: Knex): Promise<Array<Record<string, unknown>>> {
	const segments: Array<Record<string, unknown>> = await knex(SEGMENT_NAMES.segments)
		.where({ listmonk_sync: true })
		.orderBy('name')
		.select('id', 'name', 'member_count', 'listmonk_list_id', 'listmonk_list_url', 'listmonk_synced_at', 'listmonk_sync_error', 'listmonk_on_leave');
	if (!segments.length) return [];
	const counts: Array<Record<string, unknown>> = await knex(SYNC_MEMBERS_TABLE)
		.whereIn('segment_id', segments.map((s) => Number(s['id'])))
		.groupBy('segment_id', 'state')
		.select('segment_id', 'state')
		.count({ n: '*' });
	const count = (id: unknown, state: string) => Number(counts.find((c) => Number(c['segment_id']) === Number(id) && c['state'] === state)?.['n'] ?? 0);
	const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(typeof v === 'number' ? v : String(v)).toISOString());
	return segments.map((s) => ({
		id: Number(s['id']),
		name: String(s['name']),
		members: Number(s['member_count'] ?? 0),
		list_id: s['listmonk_list_id'] === null ? null : Number(s['listmonk_list_id']),
		list_url: (s['listmonk_list_url'] as string | null) ?? null,
		on_leave: s['listmonk_on_leave'],
		synced_at: iso(s['listmonk_synced_at']),
		error: s['listmonk_sync_error'] ?? null,
		subscribed: count(s['id'], 'active'),
		opted_out: count(s['id'], 'unsubscribed'),
	}));
}

// ── runs ──

export interface SyncCounts {
	lists_created: number;
	subscribers_created: number;
	added: number;
	removed: number;
	unsubscribed: number;
	attributes_updated: number;
	optouts_skipped: number;
	optouts_pulled: number;
	requests: number;
	errors: number;
}

export const emptyCounts = (): SyncCounts => ({ lists_created: 0, subscribers_created: 0, added: 0, removed: 0, unsubscribed: 0, attributes_updated: 0, optouts_skipped: 0, optouts_pulled: 0, requests: 0, errors: 0 });

export async function recordSyncRun(knex: Knex, run: { trigger: string; instance: string; startedAt: number; status: 'succeeded' | 'failed'; counts: SyncCounts; error: string | null }): Promise<void> {
	await knex(SYNC_RUNS_TABLE).insert({ trigger: run.trigger, status: run.status, instance: run.instance, started_at: run.startedAt, finished_at: Date.now(), error: run.error, ...run.counts });
}

export async function recentSyncRuns(knex: Knex, limit = 10): Promise<Record<string, unknown>[]> {
	return knex(SYNC_RUNS_TABLE).orderBy('id', 'desc').limit(limit).select('*');
}

/** Appends to the list under a key (in place: copying the list on every append is quadratic in a big batch). */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
	const list = map.get(key);
	if (list) list.push(value);
	else map.set(key, [value]);
}
