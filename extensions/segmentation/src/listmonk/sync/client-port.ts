// The sync's port (port.ts) over the typed client: the few calls the worker makes, each in the safe form the
// contract calls for (bulk add without a status, imports that overwrite nothing, updates that send no opt-in mail).
import type { ListmonkClient } from '../client.ts';
import { ListmonkError } from '../errors.ts';
import type { ListmonkSubscriber } from '../schemas.ts';
import type { ImportOutcome, ListmonkPort, NewSubscriberRow, RemoteSubscriber, SubscriptionStatus } from './port.ts';

/** Addresses per `query=subscribers.email IN (…)` request: a query string of ~50 KB, well under the 1 MB of
 *  request headers Listmonk's Go server takes. */
const EMAILS_PER_LOOKUP = 1000;
/** Subscriber ids per `query=subscribers.id IN (…)` request. */
const IDS_PER_LOOKUP = 1000;

/** One CSV field, always quoted (addresses and names may hold commas and quotes; attributes are JSON). */
const csvField = (value: string) => `"${value.replaceAll('"', '""')}"`;

/** A SQL string literal for Listmonk's `query` parameter (it runs read-only there; quotes doubled all the same). */
const sqlString = (value: string) => `'${value.replaceAll("'", "''")}'`;

export function importCsv(rows: readonly NewSubscriberRow[]): string {
	const lines = ['email,name,attributes'];
	for (const r of rows) lines.push([csvField(r.email), csvField(r.name), csvField(JSON.stringify(r.attribs))].join(','));
	return `${lines.join('\n')}\n`;
}

function remote(s: ListmonkSubscriber): RemoteSubscriber {
	return {
		id: s.id,
		email: s.email.toLowerCase(),
		status: s.status,
		attribs: (s.attribs ?? {}) as Record<string, unknown>,
		lists: s.lists.map((l) => ({ id: l.id, subscription_status: l.subscription_status as SubscriptionStatus })),
	};
}

export class ClientPort implements ListmonkPort {
	private readonly client: ListmonkClient;
	private readonly counter: () => number;

	/** `counter`: requests made so far (the client's transport reports each to its onEvent). */
	constructor(client: ListmonkClient, counter: () => number) {
		this.client = client;
		this.counter = counter;
	}

	async findListByTags(tags: string[]): Promise<number | null> {
		const found = await this.client.lists.all({ tag: tags });
		return found.find((l) => tags.every((t) => l.tags.includes(t)))?.id ?? null;
	}

	async createList(list: { name: string; description: string; tags: string[] }): Promise<number> {
		return (await this.client.lists.create({ name: list.name.slice(0, 500), description: list.description, tags: list.tags, type: 'private', optin: 'single' })).id;
	}

	async listExists(id: number): Promise<boolean> {
		try {
			await this.client.lists.get(id);
			return true;
		} catch (error) {
			if (error instanceof ListmonkError && (error.kind === 'not_found' || error.kind === 'permission')) return false;
			throw error;
		}
	}

	async listMembers(listId: number, status?: SubscriptionStatus): Promise<RemoteSubscriber[]> {
		return (await this.client.subscribers.members(listId, status)).map(remote);
	}

	async subscribersByEmail(emails: string[]): Promise<RemoteSubscriber[]> {
		const out: RemoteSubscriber[] = [];
		for (let i = 0; i < emails.length; i += EMAILS_PER_LOOKUP) {
			const part = emails.slice(i, i + EMAILS_PER_LOOKUP);
			const found = await this.client.subscribers.all({ query: `subscribers.email IN (${part.map(sqlString).join(',')})` });
			out.push(...found.map(remote));
		}
		return out;
	}

	async subscribersByIds(ids: number[]): Promise<RemoteSubscriber[]> {
		const out: RemoteSubscriber[] = [];
		for (let i = 0; i < ids.length; i += IDS_PER_LOOKUP) {
			const part = ids.slice(i, i + IDS_PER_LOOKUP).filter((id) => Number.isSafeInteger(id));
			if (part.length) out.push(...(await this.client.subscribers.all({ query: `subscribers.id IN (${part.join(',')})` })).map(remote));
		}
		return out;
	}

	async blocklisted(): Promise<RemoteSubscriber[]> {
		return (await this.client.subscribers.all({ query: `subscribers.status = 'blocklisted'` })).map(remote);
	}

	async membership(action: 'add' | 'remove' | 'unsubscribe', subscriberIds: number[], listIds: number[]): Promise<void> {
		if (!subscriberIds.length || !listIds.length) return;
		// one retry only: an unknown subscriber id fails the call whole with a 500 every time (the worker then looks
		// the ids up and adds the ones Listmonk still has)
		if (action === 'add') await this.client.subscribers.addToLists(subscriberIds, listIds, { retries: 1 });
		else if (action === 'remove') await this.client.subscribers.removeFromLists(subscriberIds, listIds);
		else await this.client.subscribers.unsubscribeFromLists(subscriberIds, listIds);
	}

	async importSubscribers(rows: NewSubscriberRow[], listIds: number[], options: { replaceUserInfo?: boolean } = {}): Promise<ImportOutcome> {
		const result = await this.client.imports.run(importCsv(rows), {
			mode: 'subscribe',
			delim: ',',
			lists: listIds,
			subscription_status: 'unconfirmed',
			overwrite_userinfo: options.replaceUserInfo === true,
			// existing memberships keep their status, whatever else is written: an opt-out stays an opt-out
			overwrite_subscription_status: false,
		}, { log: 'when-skipped' });
		return { status: result.status.status === 'failed' ? 'failed' : 'finished', imported: result.status.imported, total: result.status.total, log: result.log };
	}

	async updateSubscriber(id: number, fields: { email: string; name: string; attribs: Record<string, unknown> }): Promise<void> {
		// no `lists`: memberships untouched; preconfirm: no opt-in mail re-sent for pending double opt-in lists (§9.4)
		await this.client.subscribers.update(id, { email: fields.email, name: fields.name, attribs: fields.attribs, preconfirm_subscriptions: true });
	}

	requestCount(): number {
		return this.counter();
	}
}
