// Which clients a saved item touches, so the change queue can re-score, re-tag and re-qualify exactly them.
// Before an update or delete the current owners are noted inside the saving transaction (a deal may move to another
// client, or vanish); after the commit they and the new owners are queued.
import type { Knex } from 'knex';
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import type { Mapping } from '../../core/mapping.ts';
import type { ChangeQueue } from '../engine/change-queue.ts';
import { PendingNotes } from './pending-notes.ts';

type Tracked = 'client' | 'deal' | 'item' | 'clientTag';

function trackedKind(m: Mapping, collection: string | undefined): Tracked | null {
	if (collection === m.client_collection) return 'client';
	if (collection === m.deal_collection) return 'deal';
	if (collection === m.item_collection) return 'item';
	if (collection === SEGMENT_NAMES.clientTags) return 'clientTag';
	return null;
}

const numericKeys = (keys: unknown[] | undefined): number[] => (keys ?? []).map(Number).filter((k) => Number.isSafeInteger(k));

/** Clients owning these items now (deal → client, item → deal → client, client tag → client). */
async function ownersOf(knex: Knex, m: Mapping, kind: Tracked, keys: number[]): Promise<number[]> {
	if (!keys.length) return [];
	let rows: Array<{ client: unknown }>;
	if (kind === 'client') return keys;
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

export class ChangeTracker {
	private readonly queue: ChangeQueue;
	private readonly ownersBefore = new PendingNotes<number[]>();

	constructor(queue: ChangeQueue) {
		this.queue = queue;
	}

	/** Filter time (inside the transaction): who owns the items about to change or go. */
	async noteBefore(knex: Knex, m: Mapping, collection: string | undefined, keys: unknown[] | undefined): Promise<void> {
		const kind = trackedKind(m, collection);
		if (!kind || kind === 'client' || !keys?.length) return;
		this.ownersBefore.put(`${collection}:${JSON.stringify(keys)}`, await ownersOf(knex, m, kind, numericKeys(keys)));
	}

	/** After the commit: queue the owners noted before and the owners now. */
	async after(knex: Knex, m: Mapping, event: 'create' | 'update' | 'delete', collection: string | undefined, keys: unknown[] | undefined): Promise<void> {
		const kind = trackedKind(m, collection);
		if (!kind) return;
		this.queue.enqueueClients(this.ownersBefore.take(`${collection}:${JSON.stringify(keys)}`) ?? []);
		if (event === 'delete') return;
		// a deal is resolved to its client in the queue's own batch query (bulk imports create thousands)
		if (kind === 'deal') this.queue.enqueueDeals(numericKeys(keys));
		else this.queue.enqueueClients(await ownersOf(knex, m, kind, numericKeys(keys)));
	}
}
