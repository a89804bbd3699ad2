// Flow operation "Add to / remove from Listmonk list" (API side): puts clients in a Listmonk list or takes them out,
// by the subscribers the sync knows (one bulk request for the whole set, CONTRACT §4.8). Adding never re-subscribes
// anyone: a client without consent or who opted out is skipped (and says why), the bulk `add` goes without a status
// (an existing unsubscribed membership stays so), and clients Listmonk has no subscriber for are made the way the
// sync makes them (the import, which keeps existing memberships). $last gets who was changed and who was skipped.
import { defineOperationApi } from '@directus/extensions-sdk';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Mapping } from '../../core/mapping.ts';
import { ATTRIBUTES_KEY, crmAttributes, normaliseEmail, ownedStateHash, subscriberName } from '../../core/subscriber.ts';
import { ClientPort } from '../../listmonk/sync/client-port.ts';
import type { RemoteSubscriber } from '../../listmonk/sync/port.ts';
import { enqueueClients } from '../../store/change-queue.ts';
import { clientContacts, optOutReason, type ClientContact } from '../../store/flow-operations.ts';
import { clientFacts, forgetSubscribers, recordSubscribers, writeEmailStatus, type SubscriberRow } from '../../store/listmonk-sync.ts';
import type { DirectusContext } from '../context.ts';
import { segmentationFor } from '../segmentation.ts';
import { requireMapping } from '../settings.ts';
import { assertMayReadClients, clientIds, listmonkFailure, listmonkOf, missingClients, parseOptions, positiveId } from './options.ts';

export const listMembershipOptions = z.object({
	clients: clientIds,
	list_id: positiveId,
	action: z.preprocess((v) => (v === undefined || v === null || v === '' ? 'add' : typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(['add', 'remove'], { error: (issue) => `${JSON.stringify(issue.input)} is not an action: use add or remove` })),
});

export type ListMembershipOptions = z.input<typeof listMembershipOptions>;

export interface Skipped {
	client: number;
	reason: string;
}

export interface ListMembershipResult {
	action: 'add' | 'remove';
	list_id: number;
	/** The clients now in the list (add: added or already there) or taken out of it (remove). */
	clients: number[];
	skipped: Skipped[];
}

export default defineOperationApi<ListMembershipOptions>({
	id: 'segmentation-list-membership',
	handler: async (options, operationContext): Promise<ListMembershipResult> => {
		const ctx = operationContext as unknown as DirectusContext;
		const o = parseOptions(listMembershipOptions, options);
		const port = new ClientPort(listmonkOf(segmentationFor(ctx)), () => 0);
		const m = await requireMapping(ctx);
		await assertMayReadClients(ctx, operationContext, m);
		const contacts = await clientContacts(ctx.database, m, o.clients);
		const missing = missingClients(o.clients, contacts);
		if (missing) throw missing;
		const exists = await port.listExists(o.list_id).catch((error: unknown) => {
			throw listmonkFailure(`look list ${o.list_id} up`, error);
		});
		if (!exists) throw new Error(`Listmonk has no list ${o.list_id} (or the API user may not see it)`);
		const result: ListMembershipResult = { action: o.action, list_id: o.list_id, clients: [], skipped: [] };
		try {
			if (o.action === 'remove') await remove(port, contacts, o.list_id, result);
			else await add(ctx.database, m, port, contacts, o.list_id, result);
		} catch (error) {
			throw listmonkFailure(`${o.action === 'add' ? 'add the clients to' : 'remove the clients from'} list ${o.list_id}`, error);
		}
		result.clients.sort((a, b) => a - b);
		result.skipped.sort((a, b) => a.client - b.client);
		return result;
	},
});

async function remove(port: ClientPort, contacts: ClientContact[], listId: number, result: ListMembershipResult): Promise<void> {
	const bySubscriber = new Map<number, number[]>();
	const unknown: ClientContact[] = [];
	for (const c of contacts) {
		if (c.subscriberId !== null) push(bySubscriber, c.subscriberId, c.id);
		else unknown.push(c);
	}
	// made outside the sync (no row): Listmonk may still have them by address
	const emails = [...new Set(unknown.map((c) => normaliseEmail(c.email)).filter((e): e is string => e !== null))];
	const byEmail = new Map((emails.length ? await port.subscribersByEmail(emails) : []).map((s) => [s.email, s.id]));
	for (const c of unknown) {
		const id = byEmail.get(normaliseEmail(c.email) ?? '');
		if (id === undefined) result.skipped.push({ client: c.id, reason: 'Listmonk has no subscriber for this client' });
		else push(bySubscriber, id, c.id);
	}
	if (!bySubscriber.size) return;
	// one request; missing pairs and unknown ids are ignored by Listmonk
	await port.membership('remove', [...bySubscriber.keys()], [listId]);
	for (const clients of bySubscriber.values()) result.clients.push(...clients);
}

async function add(knex: Knex, m: Mapping, port: ClientPort, contacts: ClientContact[], listId: number, result: ListMembershipResult): Promise<void> {
	const known: ClientContact[] = [];
	let toCreate: ClientContact[] = [];
	for (const c of contacts) {
		const reason = optOutReason(c, m);
		if (reason) result.skipped.push({ client: c.id, reason });
		else if (c.subscriberId !== null) known.push(c);
		else if (normaliseEmail(c.email) !== null) toCreate.push(c);
		else result.skipped.push({ client: c.id, reason: 'no valid email address' });
	}
	// what Listmonk says now: an opt-out there since the sync's last pull is respected, a subscriber deleted there
	// is made again (a bulk add naming it would fail whole)
	const remote = new Map((known.length ? await port.subscribersByIds([...new Set(known.map((c) => c.subscriberId!))]) : []).map((s) => [s.id, s]));
	const gone = known.filter((c) => !remote.has(c.subscriberId!));
	if (gone.length) {
		await forgetSubscribers(knex, [...new Set(gone.map((c) => c.subscriberId!))]);
		toCreate = [...toCreate, ...gone.map((c) => ({ ...c, subscriberId: null }))];
	}
	const toAdd = new Map<number, number[]>();
	for (const c of known.filter((k) => remote.has(k.subscriberId!))) {
		const s = remote.get(c.subscriberId!)!;
		const reason = remoteOptOut(s, listId);
		if (reason) result.skipped.push({ client: c.id, reason });
		else if (s.lists.some((l) => l.id === listId)) result.clients.push(c.id);
		else push(toAdd, s.id, c.id);
	}
	if (toAdd.size) {
		// one request, without a status: a new membership is unconfirmed, an existing one is left as it is
		await port.membership('add', [...toAdd.keys()], [listId]);
		for (const clients of toAdd.values()) result.clients.push(...clients);
	}
	if (toCreate.length) await createInList(knex, m, port, toCreate, listId, result);
}

/** Clients Listmonk has no subscriber for: imported into the list as the sync does (our attributes on them, no
 *  existing membership or user info overwritten), then recorded for the sync. */
async function createInList(knex: Knex, m: Mapping, port: ClientPort, clients: ClientContact[], listId: number, result: ListMembershipResult): Promise<void> {
	const facts = await clientFacts(knex, m, clients.map((c) => c.id));
	const rows = new Map<string, { email: string; name: string; attribs: Record<string, unknown>; hash: string }>();
	for (const f of facts) {
		const email = normaliseEmail(f.email)!;
		if (rows.has(email)) continue; // two clients sharing an address are one subscriber
		const name = subscriberName({ name: f.name, email });
		const attributes = crmAttributes(f);
		rows.set(email, { email, name, attribs: { [ATTRIBUTES_KEY]: attributes }, hash: ownedStateHash(email, name, attributes) });
	}
	const outcome = await port.importSubscribers([...rows.values()].map(({ email, name, attribs }) => ({ email, name, attribs })), [listId]);
	if (outcome.status === 'failed') throw new Error(`Listmonk's import failed: ${outcome.log.trim().split('\n').slice(-3).join(' / ').slice(0, 500)}`);
	const byEmail = new Map((await port.subscribersByEmail([...rows.keys()])).map((s) => [s.email, s]));
	const recorded: SubscriberRow[] = [];
	for (const f of facts) {
		const email = normaliseEmail(f.email)!;
		const s = byEmail.get(email);
		if (!s) {
			result.skipped.push({ client: f.id, reason: 'Listmonk’s import skipped the address' });
			continue;
		}
		const carried = JSON.stringify(s.attribs?.[ATTRIBUTES_KEY] ?? null) === JSON.stringify(rows.get(email)!.attribs[ATTRIBUTES_KEY]);
		recorded.push({ clientId: f.id, subscriberId: s.id, email: f.email, ownedHash: carried ? rows.get(email)!.hash : null, blocklisted: s.status === 'blocklisted', refused: null });
		// an existing subscriber keeps its memberships: an opt-out there stays one
		const reason = remoteOptOut(s, listId);
		if (reason) result.skipped.push({ client: f.id, reason });
		else result.clients.push(f.id);
	}
	await recordSubscribers(knex, recorded);
	// the client rows show their subscriber; a changed status is re-qualified, as after a sync
	const changed = await writeEmailStatus(knex, m, recorded.map((r) => r.clientId));
	if (changed.length) await enqueueClients(knex, changed);
}

function remoteOptOut(s: RemoteSubscriber, listId: number): string | null {
	if (s.status === 'blocklisted') return 'opted out in Listmonk (blocklisted)';
	if (s.lists.find((l) => l.id === listId)?.subscription_status === 'unsubscribed') return `unsubscribed from list ${listId} in Listmonk`;
	return null;
}

function push(map: Map<number, number[]>, key: number, value: number): void {
	const list = map.get(key);
	if (list) list.push(value);
	else map.set(key, [value]);
}
