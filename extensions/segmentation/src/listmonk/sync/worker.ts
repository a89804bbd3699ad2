// The Listmonk sync: makes Listmonk's lists match the synced segments. It reconciles the desired state (members of
// synced segments whose client has consent and a valid address) with what Listmonk confirmed (the sync tables),
// for the clients it owes a look at (dirty marks, written by the change pipeline in its batch) or for everything.
// Once per cluster (lease "listmonk-sync"). Each change is recorded only after Listmonk confirmed it; every call is
// idempotent, so a crash or a failure repeats work and never loses or doubles it. Opt-outs are sacred: nothing here
// can make an unsubscribed membership or a blocklisted subscriber active again (the port has no such call).
import type { Knex } from 'knex';
import type { Mapping } from '../../core/mapping.ts';
import { ATTRIBUTES_KEY, crmAttributes, normaliseEmail, ownedStateHash, subscriberName, type ClientFacts } from '../../core/subscriber.ts';
import { enqueueClients } from '../../store/change-queue.ts';
import { LeaseBusyError, type HeldLease, type Leases } from '../../store/lease.ts';
import {
	aListOf, pushTo, clearDirty, hasDirty, clientFacts, clientsOfSubscribers, subscribersInSegment, dropMembers, emptyCounts, forgetSubscribers, knownSubscribers, markAllDirty, markBlocklisted, markDirty, markUnsubscribed,
	membersOfList, recordFailures, pendingAdds, pendingLeaves, purgeUntracked, readDirty, recordMembers, recordSubscribers, recordSyncRun, setOwnedHashes, writeEmailStatus,
	type MemberRow, type PendingAdd, type SyncCounts, type SyncScope,
} from '../../store/listmonk-sync.ts';
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import { ListmonkError } from '../errors.ts';
import type { ListmonkPort, RemoteSubscriber } from './port.ts';

export const SYNC_LEASE = 'listmonk-sync';
/** Short: an instance that died mid-cycle holds the sync up for at most this long (renewed every quarter). */
const SYNC_LEASE_TTL_MS = 15_000;
/** The tag on every list this product made (and the per-segment one that finds it again after a crash). */
export const MANAGED_TAG = 'directus-segmentation';
export const segmentTag = (segmentId: number) => `directus-segment-${segmentId}`;

export interface SyncOptions {
	/** Pairs per round of the difference (bounded memory, bounded Listmonk calls). */
	roundSize?: number;
	/** Subscriber ids per bulk membership call. */
	membershipChunk?: number;
	/** Above this many attribute writes in a cycle, they wait for the next (each is one request). */
	attributeWritesPerCycle?: number;
	/** How often opt-outs are pulled back from Listmonk. */
	pullIntervalMs?: number;
	/** A list's page in Listmonk's admin (the segment form's "Open in Listmonk"); null: none is written. */
	listUrl?: ((listId: number) => string) | null;
}

export interface SyncLogger {
	info: (msg: string) => void;
	warn: (msg: string) => void;
	error: (msg: string) => void;
}

interface SyncedSegment {
	id: number;
	name: string;
	description: string | null;
	listId: number | null;
	keepManual: boolean;
	error: string | null;
	/** The list's page in Listmonk as last written on the segment. */
	listUrl: string | null;
}

export type SyncTrigger = 'change' | 'poll' | 'reconcile' | 'endpoint' | 'startup';

/** From this many attribute writes in one page, they go through the import instead of one PATCH each. */
const BULK_ATTRIBUTES_FROM = 100;

interface AttributeWrite {
	clientId: number;
	subscriberId: number;
	email: string;
	name: string;
	attribs: Record<string, unknown>;
	hash: string;
}

type KnownSubscriberRow = Awaited<ReturnType<typeof knownSubscribers>>[number];

export class ListmonkSync {
	private lastPullAt = 0;
	private readonly knownLists = new Map<number, { at: number; exists: boolean }>();
	private readonly knex: Knex;
	private readonly port: ListmonkPort;
	private readonly leases: Leases;
	private readonly mapping: () => Promise<Mapping | null>;
	private readonly log: SyncLogger;
	private readonly instance: string;
	private readonly opts: Required<SyncOptions>;

	constructor(args: { knex: Knex; port: ListmonkPort; leases: Leases; mapping: () => Promise<Mapping | null>; log: SyncLogger; instance: string; options?: SyncOptions }) {
		this.knex = args.knex;
		this.port = args.port;
		this.leases = args.leases;
		this.mapping = args.mapping;
		this.log = args.log;
		this.instance = args.instance;
		this.opts = { roundSize: 100_000, membershipChunk: 5000, attributeWritesPerCycle: 2000, pullIntervalMs: 60_000, listUrl: null, ...args.options };
	}

	/**
	 * One cycle: lists made for newly synced segments, then the owed differences applied round by round, attributes
	 * written where they changed, opt-outs pulled back when due. Null when another instance holds the lease.
	 * Throws when Listmonk failed (the marks stay: the next cycle retries).
	 */
	async cycle(trigger: SyncTrigger): Promise<SyncCounts | null> {
		// the poll's common case — nothing owed, no pull due — costs two small reads and no lease
		const pullDue = Date.now() - this.lastPullAt >= this.opts.pullIntervalMs;
		if (!pullDue && !(await hasDirty(this.knex)) && !(await this.knex(SEGMENT_NAMES.segments).where({ listmonk_sync: true }).whereNull('listmonk_list_id').first('id'))) return emptyCounts();
		try {
			return await this.leases.run(SYNC_LEASE, { waitMs: 0, ttlMs: SYNC_LEASE_TTL_MS }, (lease) => this.holdingLease(trigger, lease, pullDue, async () => undefined));
		} catch (error) {
			if (error instanceof LeaseBusyError) return null;
			throw error;
		}
	}

	/**
	 * Repairs drift between Listmonk's lists and what we recorded: memberships removed in Listmonk are added again,
	 * opt-outs made there are recorded, subscribers added there by hand are kept or removed (per segment), then
	 * everything is looked at — all under one hold of the lease (waiting up to 30 s for a running cycle). Null when
	 * the lease stayed busy. `segmentIds` null: every synced segment.
	 */
	async reconcile(segmentIds: number[] | null): Promise<SyncCounts | null> {
		try {
			return await this.leases.run(SYNC_LEASE, { waitMs: 30_000, ttlMs: SYNC_LEASE_TTL_MS }, (lease) =>
				this.holdingLease('reconcile', lease, true, async (counts) => {
					const chosen = (await this.syncedSegments()).filter((s) => s.listId !== null && (segmentIds === null || segmentIds.includes(s.id)));
					for (const segment of chosen) await this.reconcileSegment(segment, counts);
					await markAllDirty(this.knex, { attributes: false });
				}),
			);
		} catch (error) {
			if (error instanceof LeaseBusyError) return null;
			throw error;
		}
	}

	/** A cycle's work, the lease held: `first` (a reconcile's comparison) before the marks are worked off. */
	private async holdingLease(trigger: SyncTrigger, lease: HeldLease, pullDue: boolean, first: (counts: SyncCounts) => Promise<void>): Promise<SyncCounts | null> {
		const m = await this.mapping();
		if (!m) return null;
		const counts = emptyCounts();
		const requestsBefore = this.port.requestCount();
		const startedAt = Date.now();
		try {
			const segments = await this.ensureLists(counts);
			await purgeUntracked(this.knex, m);
			await first(counts);
			const usable = await this.usableLists(segments);
			for (let round = 0; round < 1000 && !lease.lost; round++) {
				const work = await readDirty(this.knex, this.opts.roundSize);
				if (!work) break;
				await this.syncScope(m, work.scope, work.attributes, usable, counts);
				await clearDirty(this.knex, work.upTo);
			}
			if (pullDue) {
				await this.pullOptOuts(m, segments, counts);
				this.lastPullAt = Date.now();
			}
			counts.requests = this.port.requestCount() - requestsBefore;
			// the time Listmonk last confirmed a change (and a problem it no longer has cleared)
			await this.markSegmentsSynced(segments.filter((s) => usable.has(s.id) && (hasWork(counts) || s.error !== null)));
			if (hasWork(counts)) await recordSyncRun(this.knex, { trigger, instance: this.instance, startedAt, status: 'succeeded', counts, error: null });
			return counts;
		} catch (error) {
			counts.requests = this.port.requestCount() - requestsBefore;
			counts.errors++;
			await recordSyncRun(this.knex, { trigger, instance: this.instance, startedAt, status: 'failed', counts, error: describe(error) }).catch(() => undefined);
			throw error;
		}
	}

	// ── lists ──

	private async syncedSegments(): Promise<SyncedSegment[]> {
		const rows = await this.knex(SEGMENT_NAMES.segments).where({ listmonk_sync: true }).orderBy('id').select('id', 'name', 'description', 'listmonk_list_id', 'listmonk_keep_manual', 'listmonk_sync_error', 'listmonk_list_url');
		return rows.map((r) => ({
			id: Number(r.id),
			name: String(r.name),
			description: r.description ?? null,
			listId: r.listmonk_list_id === null || r.listmonk_list_id === undefined ? null : Number(r.listmonk_list_id),
			keepManual: r.listmonk_keep_manual !== false && r.listmonk_keep_manual !== 0,
			error: r.listmonk_sync_error ?? null,
			listUrl: r.listmonk_list_url ?? null,
		}));
	}

	/** Synced segments without a list get one: found again by its tags (a crash after creating it), or made. */
	private async ensureLists(counts: SyncCounts): Promise<SyncedSegment[]> {
		const segments = await this.syncedSegments();
		for (const segment of segments.filter((s) => s.listId === null)) {
			try {
				const tags = [MANAGED_TAG, segmentTag(segment.id)];
				let listId = await this.port.findListByTags(tags);
				if (listId === null) {
					listId = await this.port.createList({ name: segment.name, description: segment.description ?? `Clients of the Directus segment “${segment.name}”, kept in sync by the segmentation extension.`, tags });
					counts.lists_created++;
				}
				await this.knex(SEGMENT_NAMES.segments).where({ id: segment.id }).update({ listmonk_list_id: listId, listmonk_sync_error: null });
				segment.listId = listId;
				await markAllDirty(this.knex, { attributes: false });
			} catch (error) {
				if (!(error instanceof ListmonkError) || !isRequestProblem(error)) throw error;
				counts.errors++;
				await this.segmentFailed([segment.id], `could not make its Listmonk list: ${error.message}`);
			}
		}
		return segments;
	}

	/** Segments whose list Listmonk has; the others are marked with why (one bad segment never stalls the rest). */
	private async usableLists(segments: SyncedSegment[]): Promise<Set<number>> {
		const usable = new Set<number>();
		const checked = new Map<number, boolean>();
		for (const segment of segments) {
			if (segment.listId === null) continue;
			if (!checked.has(segment.listId)) checked.set(segment.listId, await this.listExists(segment.listId));
			if (checked.get(segment.listId)) {
				usable.add(segment.id);
				const url = this.opts.listUrl?.(segment.listId) ?? null;
				if (url !== null && url !== segment.listUrl) await this.knex(SEGMENT_NAMES.segments).where({ id: segment.id }).update({ listmonk_list_url: url });
			} else await this.segmentFailed([segment.id], `Listmonk has no list ${segment.listId} (or the API user may not see it): pick an existing list id, or empty the field to make a new list`);
		}
		return usable;
	}

	/** Whether Listmonk has the list, remembered for a minute (the poll runs every few seconds). */
	private async listExists(listId: number): Promise<boolean> {
		const known = this.knownLists.get(listId);
		if (known && Date.now() - known.at < 60_000) return known.exists;
		const exists = await this.port.listExists(listId);
		this.knownLists.set(listId, { at: Date.now(), exists });
		return exists;
	}

	private async segmentFailed(segmentIds: number[], reason: string): Promise<void> {
		this.log.warn(`[segmentation] Listmonk sync of segment(s) ${segmentIds.join(', ')}: ${reason}`);
		await this.knex(SEGMENT_NAMES.segments).whereIn('id', segmentIds).update({ listmonk_sync_error: reason.slice(0, 2000) });
	}

	private async markSegmentsSynced(segments: SyncedSegment[]): Promise<void> {
		if (!segments.length) return;
		const now = Date.now();
		await this.knex(SEGMENT_NAMES.segments)
			.whereIn('id', segments.map((s) => s.id))
			.update({ listmonk_synced_at: this.knex.client.config.client === 'pg' ? new Date(now) : now, listmonk_sync_error: null });
	}

	// ── the difference, for some clients or everything ──

	private async syncScope(m: Mapping, scope: SyncScope, attributes: boolean, usable: Set<number>, counts: SyncCounts): Promise<void> {
		const touched = new Set<number>();
		// adds, round by round: a pair becomes a row (active or unsubscribed) or its client a refused subscriber, so
		// each round makes progress; pairs of unusable segments are left for later
		for (let guard = 0; guard < 10_000; guard++) {
			const adds = await pendingAdds(this.knex, m, scope, [...usable], this.opts.roundSize);
			if (!adds.length) break;
			await this.applyAdds(m, adds, counts);
			for (const a of adds) touched.add(a.clientId);
			if (adds.length < this.opts.roundSize) break;
		}
		for (let guard = 0; guard < 10_000; guard++) {
			const leaves = await pendingLeaves(this.knex, m, scope, [...usable], this.opts.roundSize);
			if (!leaves.length) break;
			await this.applyLeaves(leaves, counts);
			for (const l of leaves) touched.add(l.clientId);
			if (leaves.length < this.opts.roundSize) break;
		}
		if (attributes) await this.syncAttributes(m, scope, counts);
		if (scope) for (const id of scope.clients) touched.add(id);
		await this.publishEmailStatus(m, [...touched]);
	}

	private async applyAdds(m: Mapping, adds: PendingAdd[], counts: SyncCounts): Promise<void> {
		const now = Date.now();
		// 1. addresses Listmonk would refuse: recorded as refused (looked at again when the address changes)
		const refused = adds.filter((a) => normaliseEmail(a.email) === null);
		await recordSubscribers(this.knex, dedupe(refused.map((a) => ({ clientId: a.clientId, subscriberId: null, email: a.email, refused: 'not an address Listmonk accepts' }))), now);
		const valid = adds.filter((a) => normaliseEmail(a.email) !== null);
		// 2. clients without a subscriber: made through the import API (never one request per subscriber)
		const unknown = valid.filter((a) => a.subscriberId === null);
		const created = unknown.length ? await this.createSubscribers(m, unknown, counts) : new Map<number, RemoteSubscriber>();
		// 3. the rest: bulk `add` without a status per list (an existing unsubscribed membership stays unsubscribed)
		const rows: MemberRow[] = [];
		const toAdd = new Map<number, PendingAdd[]>();
		for (const a of valid) {
			const remote = created.get(a.clientId);
			const subscriberId = a.subscriberId ?? remote?.id ?? null;
			if (subscriberId === null) continue; // the import skipped it: recorded as refused
			const blocklisted = a.blocklisted || remote?.status === 'blocklisted';
			const inList = remote?.lists.find((l) => l.id === a.listId);
			if (blocklisted || inList?.subscription_status === 'unsubscribed') {
				counts.optouts_skipped++;
				rows.push({ segmentId: a.segmentId, clientId: a.clientId, listId: a.listId, subscriberId, state: 'unsubscribed' });
			} else if (inList) {
				rows.push({ segmentId: a.segmentId, clientId: a.clientId, listId: a.listId, subscriberId, state: 'active' });
				counts.added++;
			} else {
				pushTo(toAdd, a.listId, { ...a, subscriberId });
			}
		}
		await recordMembers(this.knex, rows, now);
		for (const [listId, pairs] of toAdd) {
			const added = await this.addSkippingDeleted(listId, pairs, counts);
			await recordMembers(this.knex, added.map((a) => ({ segmentId: a.segmentId, clientId: a.clientId, listId, subscriberId: a.subscriberId!, state: 'active' })), Date.now());
			counts.added += added.length;
		}
	}

	/**
	 * Bulk add; Listmonk fails the whole call with a 500 when one subscriber id is unknown (deleted there, CONTRACT
	 * §4.8). After such a failure the chunk's ids are looked up: the missing ones are forgotten (made again in the
	 * next round) and the rest added; when none is missing the failure was Listmonk's own and is thrown (retried
	 * later) — an outage never makes us forget anyone.
	 */
	private async addSkippingDeleted(listId: number, pairs: PendingAdd[], counts: SyncCounts): Promise<PendingAdd[]> {
		const added: PendingAdd[] = [];
		const gone = new Set<number>();
		for (let i = 0; i < pairs.length; i += this.opts.membershipChunk) {
			let part = pairs.slice(i, i + this.opts.membershipChunk);
			try {
				await this.port.membership('add', [...new Set(part.map((p) => p.subscriberId!))], [listId]);
			} catch (error) {
				if (!(error instanceof ListmonkError) || error.kind !== 'server') throw error;
				const ids = [...new Set(part.map((p) => p.subscriberId!))];
				const existing = new Set((await this.port.subscribersByIds(ids)).map((s) => s.id));
				const missing = ids.filter((id) => !existing.has(id));
				if (!missing.length) throw error;
				for (const id of missing) gone.add(id);
				part = part.filter((p) => existing.has(p.subscriberId!));
				if (part.length) await this.port.membership('add', [...new Set(part.map((p) => p.subscriberId!))], [listId]);
			}
			added.push(...part);
		}
		if (gone.size) {
			counts.errors += gone.size;
			this.log.warn(`[segmentation] Listmonk no longer has ${gone.size} subscriber(s) (deleted there?): they are made again`);
			await forgetSubscribers(this.knex, [...gone]);
		}
		return added;
	}

	/** Imports the clients Listmonk has no subscriber for, grouped by the first list each enters; then reads who
	 *  Listmonk has now (the list, or the addresses when few), with their memberships. */
	private async createSubscribers(m: Mapping, unknown: PendingAdd[], counts: SyncCounts): Promise<Map<number, RemoteSubscriber>> {
		const byClient = new Map<number, PendingAdd>();
		for (const a of unknown) if (!byClient.has(a.clientId)) byClient.set(a.clientId, a);
		const facts = new Map((await clientFacts(this.knex, m, [...byClient.keys()])).map((f) => [f.id, f]));
		const byList = new Map<number, ClientFacts[]>();
		for (const a of byClient.values()) {
			const f = facts.get(a.clientId);
			if (f) pushTo(byList, a.listId, f);
		}
		const out = new Map<number, RemoteSubscriber>();
		const now = Date.now();
		for (const [listId, clients] of byList) {
			// one row per address: two clients sharing one become one subscriber
			const rows = new Map<string, { email: string; name: string; attribs: Record<string, unknown>; hash: string }>();
			for (const c of clients) {
				const email = normaliseEmail(c.email)!;
				if (rows.has(email)) continue;
				const name = subscriberName({ name: c.name, email });
				const attributes = crmAttributes(c);
				rows.set(email, { email, name, attribs: { [ATTRIBUTES_KEY]: attributes }, hash: ownedStateHash(email, name, attributes) });
			}
			const outcome = await this.port.importSubscribers([...rows.values()].map(({ email, name, attribs }) => ({ email, name, attribs })), [listId]);
			if (outcome.status === 'failed') throw new Error(`Listmonk's import failed: ${lastLines(outcome.log)}`);
			// read back by address (1,000 a request) when that is few requests, else the whole list (25,000 a page)
			const remote = rows.size > 2000 ? await this.port.listMembers(listId) : await this.port.subscribersByEmail([...rows.keys()]);
			const byEmail = new Map(remote.map((s) => [s.email, s]));
			const subscriberRows = [];
			for (const c of clients) {
				const email = normaliseEmail(c.email)!;
				const s = byEmail.get(email);
				if (!s) {
					subscriberRows.push({ clientId: c.id, subscriberId: null, email: c.email, refused: `Listmonk's import skipped it (${reasonFor(outcome.log, email)})` });
					continue;
				}
				out.set(c.id, s);
				// our attributes are on it when the import made it; a subscriber that existed kept its own (written next)
				const ours = rows.get(email)!;
				const carried = JSON.stringify(s.attribs?.[ATTRIBUTES_KEY] ?? null) === JSON.stringify(ours.attribs[ATTRIBUTES_KEY]);
				subscriberRows.push({ clientId: c.id, subscriberId: s.id, email: c.email, ownedHash: carried ? ours.hash : null, blocklisted: s.status === 'blocklisted', refused: null });
			}
			await recordSubscribers(this.knex, subscriberRows, now);
			counts.subscribers_created += outcome.imported;
		}
		return out;
	}

	private async applyLeaves(leaves: Awaited<ReturnType<typeof pendingLeaves>>, counts: SyncCounts): Promise<void> {
		const shared = leaves.filter((l) => l.shared);
		await dropMembers(this.knex, shared);
		const groups = new Map<string, typeof leaves>();
		for (const l of leaves.filter((x) => !x.shared)) {
			const key = `${l.action}:${l.listId}`;
			pushTo(groups, key, l);
		}
		for (const [key, group] of groups) {
			const [action, list] = key.split(':') as ['remove' | 'unsubscribe', string];
			for (let i = 0; i < group.length; i += this.opts.membershipChunk) {
				const part = group.slice(i, i + this.opts.membershipChunk);
				// remove and unsubscribe are forgiving: unknown ids are ignored, repeating is harmless
				await this.port.membership(action, [...new Set(part.map((l) => l.subscriberId))], [Number(list)]);
				if (action === 'remove') {
					await dropMembers(this.knex, part);
					counts.removed += part.length;
				} else {
					await recordMembers(this.knex, part.map((l) => ({ segmentId: l.segmentId, clientId: l.clientId, listId: l.listId, subscriberId: l.subscriberId, state: 'unsubscribed' })));
					counts.unsubscribed += part.length;
				}
			}
		}
	}

	// ── attributes ──

	/** Writes name, address and attribs.crm of subscribers whose owned state changed (hash compared). */
	private async syncAttributes(m: Mapping, scope: SyncScope, counts: SyncCounts): Promise<void> {
		let budget = this.opts.attributeWritesPerCycle;
		let after = 0;
		// the marked clients a page at a time (or every known subscriber in client order)
		const pages = scope ? chunks(scope.clients, 5000) : null;
		for (let page = 0; ; page++) {
			if (pages && page >= pages.length) break;
			const found = await knownSubscribers(this.knex, pages ? pages[page]! : null, after);
			if (!pages && !found.length) break;
			if (!pages) after = found.at(-1)!.clientId;
			const known = found.filter((k) => !k.blocklisted);
			const facts = new Map((await clientFacts(this.knex, m, known.map((k) => k.clientId))).map((f) => [f.id, f]));
			const writes: AttributeWrite[] = [];
			// a failed write whose client changed back to what Listmonk has: nothing to write, the failure is over
			const settled: Array<{ clientId: number; ownedHash: string }> = [];
			for (const k of known) {
				const f = facts.get(k.clientId);
				const email = f ? normaliseEmail(f.email) : null;
				if (!f || !email) continue; // no longer a valid address: its memberships leave through consent/refusal
				const name = subscriberName({ name: f.name, email });
				const attributes = crmAttributes(f);
				const hash = ownedStateHash(email, name, attributes);
				if (hash !== k.ownedHash) writes.push({ clientId: k.clientId, subscriberId: k.subscriberId, email, name, attribs: { [ATTRIBUTES_KEY]: attributes }, hash });
				else if (k.failing) settled.push({ clientId: k.clientId, ownedHash: hash });
			}
			const now = writes.slice(0, Math.max(0, budget));
			budget -= now.length;
			// many at once: through the import (a few reads + one import per list instead of one request each)
			const bulk = now.length >= BULK_ATTRIBUTES_FROM ? await this.writeAttributesInBulk(now, known) : { written: [], rest: now };
			const refused: Array<{ clientId: number; error: string }> = [];
			const done = await Promise.all(
				bulk.rest.map(async (w) => {
					try {
						await this.port.updateSubscriber(w.subscriberId, { email: w.email, name: w.name, attribs: w.attribs });
						return { clientId: w.clientId, ownedHash: w.hash };
					} catch (error) {
						if (error instanceof ListmonkError && error.kind === 'not_found') {
							await forgetSubscribers(this.knex, [w.subscriberId]);
							return null;
						}
						if (error instanceof ListmonkError && (error.kind === 'bad_request' || error.kind === 'server')) {
							// one subscriber Listmonk won't take (an address another subscriber has): the others go on
							counts.errors++;
							refused.push({ clientId: w.clientId, error: `Listmonk refused its name, address or attributes: ${error.message}` });
							return null;
						}
						throw error;
					}
				}),
			);
			const written = [...bulk.written, ...done.filter((d): d is { clientId: number; ownedHash: string } => d !== null)];
			await setOwnedHashes(this.knex, [...written, ...settled]);
			if (refused.length) {
				// shown in the App (failed items) and tried again at the client's next change
				await recordFailures(this.knex, refused);
				this.log.warn(`[segmentation] Listmonk refused the attributes of ${refused.length} subscriber(s), e.g. client ${refused[0]!.clientId}: ${refused[0]!.error}`);
			}
			counts.attributes_updated += written.length;
			if (budget <= 0 && (writes.length > now.length || !pages || page + 1 < pages.length)) {
				// the rest next cycle (each write is a request): the clients are marked again
				await (scope ? markDirty(this.knex, scope.clients) : markAllDirty(this.knex, { attributes: true }));
				break;
			}
		}
	}

	/**
	 * Attribute writes in bulk: the subscribers' current attribs read (a few requests), ours merged in (the other
	 * keys kept), and one import per list with `overwrite_userinfo` — Listmonk replaces name and attribs with the
	 * merged ones and keeps every membership's status. A subscriber whose address changed (an import matches by
	 * address), or that is in none of our lists, is left to a PATCH (`rest`).
	 */
	private async writeAttributesInBulk(writes: AttributeWrite[], known: KnownSubscriberRow[]): Promise<{ written: Array<{ clientId: number; ownedHash: string }>; rest: AttributeWrite[] }> {
		const storedEmail = new Map(known.map((k) => [k.clientId, normaliseEmail(k.email)]));
		const lists = await aListOf(this.knex, writes.map((w) => w.clientId));
		const current = new Map((await this.port.subscribersByIds(writes.map((w) => w.subscriberId))).map((s) => [s.id, s]));
		const rest: AttributeWrite[] = [];
		const byList = new Map<number, Array<AttributeWrite & { merged: Record<string, unknown> }>>();
		const gone: number[] = [];
		for (const w of writes) {
			const remote = current.get(w.subscriberId);
			const listId = lists.get(w.clientId);
			if (!remote) gone.push(w.subscriberId);
			else if (listId === undefined || remote.email !== w.email || storedEmail.get(w.clientId) !== w.email) rest.push(w);
			else pushTo(byList, listId, { ...w, merged: { ...remote.attribs, ...w.attribs } });
		}
		if (gone.length) await forgetSubscribers(this.knex, gone);
		const written: Array<{ clientId: number; ownedHash: string }> = [];
		for (const [listId, group] of byList) {
			const outcome = await this.port.importSubscribers(group.map((w) => ({ email: w.email, name: w.name, attribs: w.merged })), [listId], { replaceUserInfo: true });
			if (outcome.status === 'failed') throw new Error(`Listmonk's import of changed attributes failed: ${lastLines(outcome.log)}`);
			for (const w of group) written.push({ clientId: w.clientId, ownedHash: w.hash });
		}
		return { written, rest };
	}

	// ── opt-outs pulled back (Listmonk has no outgoing webhooks) ──

	private async pullOptOuts(m: Mapping, segments: SyncedSegment[], counts: SyncCounts): Promise<void> {
		const lists = [...new Set(segments.map((s) => s.listId).filter((id): id is number => id !== null))];
		const changedSubscribers = new Set<number>();
		for (const listId of lists) {
			const unsubscribed = await this.port.listMembers(listId, 'unsubscribed');
			const ids = unsubscribed.map((s) => s.id);
			if ((await markUnsubscribed(this.knex, listId, ids)) > 0) for (const id of ids) changedSubscribers.add(id);
		}
		const blocklisted = (await this.port.blocklisted()).map((s) => s.id);
		await markBlocklisted(this.knex, blocklisted);
		if ((await markUnsubscribed(this.knex, null, blocklisted)) > 0) for (const id of blocklisted) changedSubscribers.add(id);
		if (!changedSubscribers.size) return;
		const clients = await clientsOfSubscribers(this.knex, [...changedSubscribers]);
		counts.optouts_pulled += clients.length;
		await this.publishEmailStatus(m, clients);
	}

	/** The clients' email status on their rows; those whose status changed are queued for re-qualification (a
	 *  segment rule may read it). */
	private async publishEmailStatus(m: Mapping, clientIds: number[]): Promise<void> {
		if (!clientIds.length) return;
		const changed = await writeEmailStatus(this.knex, m, clientIds);
		if (changed.length) await enqueueClients(this.knex, changed);
	}

	// ── reconcile ──

	private async reconcileSegment(segment: SyncedSegment, counts: SyncCounts): Promise<void> {
		const listId = segment.listId!;
		const remote = await this.port.listMembers(listId);
		const remoteById = new Map(remote.map((s) => [s.id, s]));
		const ours = (await membersOfList(this.knex, listId)).filter((r) => r.segmentId === segment.id);
		const oursBySubscriber = new Set(ours.map((r) => r.subscriberId));
		// removed in Listmonk: forget the row, the difference adds it again (without a status: no opt-out undone)
		await dropMembers(this.knex, ours.filter((r) => !remoteById.has(r.subscriberId)));
		// opt-outs made in Listmonk
		const optedOut = remote.filter((s) => s.status === 'blocklisted' || s.lists.find((l) => l.id === listId)?.subscription_status === 'unsubscribed').map((s) => s.id);
		counts.optouts_pulled += await markUnsubscribed(this.knex, listId, optedOut);
		// in Listmonk, not recorded: ours (a crash before the record) or added there by hand
		const unrecorded = remote.filter((s) => !oursBySubscriber.has(s.id));
		if (!unrecorded.length) return;
		const desired = await subscribersInSegment(this.knex, segment.id, unrecorded.map((s) => s.id));
		const manual = unrecorded.filter((s) => !desired.has(s.id));
		if (manual.length && !segment.keepManual) {
			for (let i = 0; i < manual.length; i += this.opts.membershipChunk) {
				await this.port.membership('remove', manual.slice(i, i + this.opts.membershipChunk).map((s) => s.id), [listId]);
			}
			counts.removed += manual.length;
		}
	}
}

function chunks<T>(list: readonly T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
	return out;
}

function hasWork(c: SyncCounts): boolean {
	return Object.values(c).some((v) => v > 0);
}

function isRequestProblem(error: ListmonkError): boolean {
	return error.kind === 'permission' || error.kind === 'bad_request' || error.kind === 'not_found';
}

function describe(error: unknown): string {
	return (error instanceof Error ? error.message : String(error)).slice(0, 2000);
}

function dedupe<T extends { clientId: number }>(list: T[]): T[] {
	return [...new Map(list.map((r) => [r.clientId, r])).values()];
}

function lastLines(log: string): string {
	return log.trim().split('\n').slice(-3).join(' / ').slice(0, 500);
}

/** The import log's line about an address, if it names one. */
function reasonFor(log: string, email: string): string {
	const line = log.split('\n').find((l) => l.toLowerCase().includes(email));
	return line ? line.trim().slice(0, 200) : 'see the Listmonk import log';
}
