// Which clients a saved item touches, written to the durable change queue by the filter hooks, so a committed
// change is never lost (the pipeline drains the queue after the commit, and again after a restart). A create's
// filter runs inside the saving transaction: its row commits with the item. Directus 12 runs update and delete
// filters before their transaction opens (unless the save is nested in another one): their rows commit first —
// a crash after the change still leaves them — and the action after the commit queues the same clients again, in
// case the pipeline took the early rows before the change was visible. Before an update or delete the current
// owners are read (a deal may move to another client, or vanish) and queued with the new owner the payload names.
// What no filter can know — the id of a client created in the save, a deal created under such a client — is queued
// by the action. Inside a transaction the rows are written once, just before it commits (queue-at-commit.ts).
import type { Knex } from 'knex';
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import type { Mapping } from '../../core/mapping.ts';
import { enqueueClients } from '../../store/change-queue.ts';
import { PendingNotes } from './pending-notes.ts';
import type { QueueAtCommit } from './queue-at-commit.ts';

type Tracked = 'client' | 'deal' | 'item' | 'clientTag';
type Payload = Record<string, unknown>;

function trackedKind(m: Mapping, collection: string | undefined): Tracked | null {
	if (collection === m.client_collection) return 'client';
	if (collection === m.deal_collection) return 'deal';
	if (collection === m.item_collection) return 'item';
	if (collection === SEGMENT_NAMES.clientTags) return 'clientTag';
	return null;
}

const numericKeys = (keys: unknown[] | undefined): number[] => (keys ?? []).map(Number).filter((k) => Number.isSafeInteger(k));

/** The field of a payload that names the owner (deal → client, item → deal, client tag → client). */
function ownerField(m: Mapping, kind: Tracked): string | null {
	if (kind === 'deal') return m.deal_client_field;
	if (kind === 'item') return m.item_deal_field;
	if (kind === 'clientTag') return 'client';
	return null;
}

/**
 * The key a relational payload value names: an id, or a nested object's id. `undefined` when the value names an
 * item that does not exist yet (a nested create: its key is known only after the commit).
 */
function referencedKey(value: unknown): number | null | undefined {
	if (value === null) return null;
	if (typeof value === 'object') return referencedKey((value as Payload)['id'] ?? undefined);
	const key = Number(value);
	return value !== undefined && value !== '' && Number.isSafeInteger(key) ? key : undefined;
}

/** Clients owning these items now (deal → client, item → deal → client, client tag → client). */
async function ownersOf(knex: Knex, m: Mapping, kind: Tracked, keys: number[]): Promise<number[]> {
	if (!keys.length) return [];
	if (kind === 'client') return keys;
	let rows: Array<{ client: unknown }>;
	if (kind === 'deal') rows = await knex(m.deal_collection).whereIn('id', keys).whereNotNull(m.deal_client_field).distinct(`${m.deal_client_field} as client`);
	else if (kind === 'item') {
		rows = await knex(`${m.item_collection} as i`)
			.join(`${m.deal_collection} as d`, `d.id`, `i.${m.item_deal_field}`)
			.whereIn('i.id', keys)
			.whereNotNull(`d.${m.deal_client_field}`)
			.distinct(`d.${m.deal_client_field} as client`);
	} else rows = await knex(SEGMENT_NAMES.clientTags).whereIn('id', keys).distinct('client');
	return rows.map((r) => Number(r.client));
}

/** Whether the payload's owner is created with it (its key exists only after the commit). */
function ownerCreatedWith(m: Mapping, kind: Tracked, payload: Payload): boolean {
	const field = ownerField(m, kind);
	return field !== null && field in payload && referencedKey(payload[field]) === undefined;
}

/** The clients a payload's owner field names (a deal named by an item resolves to its client). */
async function ownersNamed(knex: Knex, m: Mapping, kind: Tracked, payload: Payload): Promise<number[]> {
	const field = ownerField(m, kind);
	const key = field && field in payload ? referencedKey(payload[field]) : null;
	if (key === null || key === undefined) return [];
	return kind === 'item' ? ownersOf(knex, m, 'deal', [key]) : [key];
}

/** The same save's filter and action (Directus sorts the keys in between). */
const noteKey = (collection: string | undefined, keys: unknown[] | undefined) => `${collection}:${JSON.stringify((keys ?? []).map(String).sort())}`;

export class ChangeTracker {
	/** Clients queued by a filter that ran outside the save's transaction: queued again after the commit. */
	private readonly queuedEarly = new PendingNotes<number[]>();
	private readonly queue: QueueAtCommit;

	constructor(queue: QueueAtCommit) {
		this.queue = queue;
	}

	private async enqueueBefore(knex: Knex, collection: string | undefined, keys: unknown[], clients: number[]): Promise<void> {
		await this.queue.add(knex, clients);
		if (!knex.isTransaction && clients.length) this.queuedEarly.put(noteKey(collection, keys), clients);
	}

	/** Filter of a create, in its transaction: the client the new item belongs to, when the payload names it. */
	async beforeCreate(trx: Knex, m: Mapping, collection: string | undefined, payload: Payload): Promise<void> {
		const kind = trackedKind(m, collection);
		if (!kind || kind === 'client') return;
		await this.queue.add(trx, await ownersNamed(trx, m, kind, payload));
	}

	/** Filter of an update: the owners before and the owner the payload moves it to. */
	async beforeUpdate(trx: Knex, m: Mapping, collection: string | undefined, keys: unknown[] | undefined, payload: Payload): Promise<void> {
		const kind = trackedKind(m, collection);
		if (!kind || !keys?.length) return;
		const before = await ownersOf(trx, m, kind, numericKeys(keys));
		await this.enqueueBefore(trx, collection, keys, [...before, ...(await ownersNamed(trx, m, kind, payload))]);
	}

	/** Filter of a delete: the owners of what goes (a deleted client leaves through the guards). */
	async beforeDelete(trx: Knex, m: Mapping, collection: string | undefined, keys: unknown[] | undefined): Promise<void> {
		const kind = trackedKind(m, collection);
		if (!kind || kind === 'client' || !keys?.length) return;
		await this.enqueueBefore(trx, collection, keys, await ownersOf(trx, m, kind, numericKeys(keys)));
	}

	/** Action after the commit: what the transaction could not name — a new client's id, an owner created with the
	 *  item. Returns whether this collection is tracked (the caller then wakes the pipeline). */
	async afterCommit(knex: Knex, m: Mapping, event: 'create' | 'update' | 'delete', collection: string | undefined, keys: unknown[], payload: Payload | undefined): Promise<boolean> {
		const kind = trackedKind(m, collection);
		if (!kind) return false;
		const early = event === 'create' ? [] : (this.queuedEarly.take(noteKey(collection, keys)) ?? []);
		const unknownOwner = event !== 'delete' && (kind === 'client' ? event === 'create' : ownerCreatedWith(m, kind, payload ?? {}));
		const now = unknownOwner ? await ownersOf(knex, m, kind, numericKeys(keys)) : [];
		await enqueueClients(knex, [...early, ...now]);
		return true;
	}
}
