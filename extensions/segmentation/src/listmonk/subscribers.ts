// Listmonk subscribers and their list memberships (CONTRACT §4). The traps this API keeps away from the sync:
// PUT is a full replace (missing lists/attribs are wiped), so updates are PATCH (v6.1+) or a read-modify-write PUT;
// create has no upsert (409); bulk `add` with a status re-subscribes opted-out members, so it has its own method.
import { EmailExistsError, ListmonkError } from './errors.ts';
import type { NewSubscriber, SubscriberPatch, SubscriberReplacement, SubscriberSearch, SubscriptionStatus } from './overlay.ts';
import { booleanSchema, pageSchema, subscriberSchema, type ListmonkSubscriber, type Page } from './schemas.ts';
import type { CallOptions, Transport } from './transport.ts';

/** Rows per request when reading everything: 100,000 subscribers in 4 requests of a few MB each. */
export const ALL_PAGE_SIZE = 25_000;
/** Subscriber ids per bulk call (Listmonk has no cap; a few thousand keeps each statement and body modest). */
export const BULK_CHUNK = 5_000;

/** A bulk membership change that never overwrites an existing membership's status: `add` creates missing pairs as
 *  `unconfirmed` and leaves existing ones alone (an opted-out member stays out); `remove` deletes pairs; `unsubscribe`
 *  marks existing pairs `unsubscribed`. To set a status on existing pairs use `forceMembershipStatus`. */
export interface MembershipChange {
	action: 'add' | 'remove' | 'unsubscribe';
	ids: readonly number[];
	listIds: readonly number[];
	/** Not accepted here: `add` with a status overwrites existing memberships (§4.8). */
	status?: never;
}

/** Whether PATCH exists on this server (v6.1+): known, unknown (null: try it, fall back on 405), or learnt. */
export interface PatchSupport {
	supported(options?: CallOptions): Promise<boolean | null>;
	learnMissing(): void;
}

const subscriberPage = pageSchema(subscriberSchema);

export class SubscribersApi {
	readonly #http: Transport;
	readonly #patch: PatchSupport;

	constructor(http: Transport, patch: PatchSupport) {
		this.#http = http;
		this.#patch = patch;
	}

	/** One page. `list_id` + `subscription_status` filter by membership; `search` is a case-insensitive regex on name
	 *  or email; `query` a SQL expression (needs `subscribers:sql_query`). `order` is lowercase only. */
	page(search: SubscriberSearch = {}, options?: CallOptions): Promise<Page<ListmonkSubscriber>> {
		return this.#http.call('GET /subscribers', subscriberPage, (init) => this.#http.api.GET('/subscribers', { ...init, params: { query: search } }), options);
	}

	/** Every match, page by page in ascending id order (rows added meanwhile land at the end, none is skipped);
	 *  stops on a short page, never trusting `total`. */
	async *pages(search: Omit<SubscriberSearch, 'page' | 'per_page'> = {}, options: CallOptions & { perPage?: number } = {}): AsyncGenerator<ListmonkSubscriber[]> {
		const { perPage = ALL_PAGE_SIZE, ...callOptions } = options;
		for (let page = 1; ; page++) {
			const { results } = await this.page({ order: 'asc', ...search, page, per_page: perPage }, callOptions);
			if (results.length > 0) yield results;
			if (results.length < perPage) return;
		}
	}

	async all(search: Omit<SubscriberSearch, 'page' | 'per_page'> = {}, options: CallOptions & { perPage?: number } = {}): Promise<ListmonkSubscriber[]> {
		const out: ListmonkSubscriber[] = [];
		for await (const page of this.pages(search, options)) out.push(...page);
		return out;
	}

	/** The members of one list (one list per query: several would repeat a subscriber once per list). */
	members(listId: number, status?: SubscriptionStatus, options?: CallOptions & { perPage?: number }): Promise<ListmonkSubscriber[]> {
		return this.all({ list_id: [listId], ...(status ? { subscription_status: status } : {}) }, options);
	}

	get(id: number, options?: CallOptions): Promise<ListmonkSubscriber> {
		return this.#http.call('GET /subscribers/{id}', subscriberSchema, (init) => this.#http.api.GET('/subscribers/{id}', { ...init, params: { path: { id } } }), options);
	}

	/** By email (there is no such endpoint): an anchored, escaped `search` regex, then an exact match, as Listmonk
	 *  stores emails lower-cased. Needs no `subscribers:sql_query`. */
	async findByEmail(email: string, options?: CallOptions): Promise<ListmonkSubscriber | null> {
		const wanted = email.trim().toLowerCase();
		const { results } = await this.page({ search: `^${escapeRegex(wanted)}$`, per_page: 20 }, options);
		return results.find((s) => s.email.toLowerCase() === wanted) ?? null;
	}

	/**
	 * Creates a subscriber; an existing email (any case) is EmailExistsError. Retried like an idempotent call: if a
	 * repeat meets 409 after an attempt whose outcome was unknown, that attempt may have created it, so the
	 * subscriber with that email is returned.
	 */
	async create(subscriber: NewSubscriber, options?: CallOptions): Promise<ListmonkSubscriber> {
		try {
			return await this.#http.call('POST /subscribers', subscriberSchema, (init) => this.#http.api.POST('/subscribers', { ...init, body: subscriber }), { ...options, retry: 'idempotent' });
		} catch (error) {
			if (!(error instanceof ListmonkError) || error.kind !== 'conflict') throw error;
			if (error.attempts > 1) {
				const created = await this.findByEmail(subscriber.email, options);
				if (created) return created;
			}
			const { kind, status, operation, listmonkMessage, attempts } = error;
			throw new EmailExistsError({ kind, status, operation, listmonkMessage, attempts, email: subscriber.email.trim().toLowerCase(), cause: error });
		}
	}

	/**
	 * A partial update: omitted fields keep their values, omitted `lists` keeps the memberships, `attribs` merge one
	 * level deep (a top-level key is replaced whole; `null` clears them). PATCH on v6.1+, otherwise GET + PUT with the
	 * current lists and merged attribs (a write in between is lost; blocklisting this way also unsubscribes the
	 * memberships, as PUT does). Either way an `unsubscribed` membership stays so, and a pending double opt-in
	 * membership gets its opt-in mail again unless `preconfirm_subscriptions` is true (§4.5).
	 */
	async update(id: number, patch: SubscriberPatch, options?: CallOptions): Promise<ListmonkSubscriber> {
		const supported = await this.#patch.supported(options);
		if (supported !== false) {
			try {
				return await this.#http.call('PATCH /subscribers/{id}', subscriberSchema, (init) => this.#http.api.PATCH('/subscribers/{id}', { ...init, params: { path: { id } }, body: patch }), options);
			} catch (error) {
				// a server of unknown version without PATCH answers 405 (before v6.1)
				if (!(supported === null && error instanceof ListmonkError && error.status === 405)) throw error;
				this.#patch.learnMissing();
			}
		}
		const current = await this.get(id, options);
		return this.replace(id, replacementOf(current, patch), options);
	}

	/** PUT: a full replace. Missing `attribs` become `{}` and missing `lists` remove every membership. */
	replace(id: number, subscriber: SubscriberReplacement, options?: CallOptions): Promise<ListmonkSubscriber> {
		return this.#http.call('PUT /subscribers/{id}', subscriberSchema, (init) => this.#http.api.PUT('/subscribers/{id}', { ...init, params: { path: { id } }, body: subscriber }), options);
	}

	/** Idempotent: a missing subscriber is also `true`. */
	delete(id: number, options?: CallOptions): Promise<boolean> {
		return this.#http.call('DELETE /subscribers/{id}', booleanSchema, (init) => this.#http.api.DELETE('/subscribers/{id}', { ...init, params: { path: { id } } }), options);
	}

	/** Status `blocklisted` and every membership `unsubscribed` (unlike a PATCH of the status). Idempotent. */
	blocklist(id: number, options?: CallOptions): Promise<boolean> {
		return this.#http.call('PUT /subscribers/{id}/blocklist', booleanSchema, (init) => this.#http.api.PUT('/subscribers/{id}/blocklist', { ...init, params: { path: { id } } }), options);
	}

	async blocklistMany(ids: readonly number[], options?: CallOptions): Promise<void> {
		for (const chunk of chunks(ids, BULK_CHUNK)) {
			await this.#http.call('PUT /subscribers/blocklist', booleanSchema, (init) => this.#http.api.PUT('/subscribers/blocklist', { ...init, body: { ids: chunk } }), options);
		}
	}

	/** A bulk membership change (see MembershipChange), in chunks of BULK_CHUNK ids. Any unknown subscriber or list
	 *  id fails an `add` chunk whole with a 500 (and changes nothing in it). */
	async changeMemberships(change: MembershipChange, options?: CallOptions): Promise<void> {
		await this.#membership(change.action, change.ids, change.listIds, undefined, options);
	}

	addToLists(ids: readonly number[], listIds: readonly number[], options?: CallOptions): Promise<void> {
		return this.changeMemberships({ action: 'add', ids, listIds }, options);
	}

	removeFromLists(ids: readonly number[], listIds: readonly number[], options?: CallOptions): Promise<void> {
		return this.changeMemberships({ action: 'remove', ids, listIds }, options);
	}

	unsubscribeFromLists(ids: readonly number[], listIds: readonly number[], options?: CallOptions): Promise<void> {
		return this.changeMemberships({ action: 'unsubscribe', ids, listIds }, options);
	}

	/**
	 * Bulk `add` WITH a status: creates missing pairs with it and OVERWRITES existing ones, so a member who
	 * unsubscribed is subscribed again. Only for pairs known to be new, or with the member's consent.
	 */
	async forceMembershipStatus(ids: readonly number[], listIds: readonly number[], status: SubscriptionStatus, options?: CallOptions): Promise<void> {
		await this.#membership('add', ids, listIds, status, options);
	}

	async #membership(action: MembershipChange['action'], ids: readonly number[], listIds: readonly number[], status: SubscriptionStatus | undefined, options?: CallOptions) {
		if (ids.length === 0 || listIds.length === 0) return; // Listmonk would answer 400 `No IDs given.`
		for (const chunk of chunks(ids, BULK_CHUNK)) {
			const body = { ids: chunk, target_list_ids: [...listIds], action, ...(status ? { status } : {}) };
			// every action is idempotent: add (with or without a status), remove and unsubscribe land the same twice
			await this.#http.call('PUT /subscribers/lists', booleanSchema, (init) => this.#http.api.PUT('/subscribers/lists', { ...init, body }), options);
		}
	}
}

/** The PUT body that changes what `patch` says and keeps the rest, as PATCH would (§4.6). */
export function replacementOf(current: ListmonkSubscriber, patch: SubscriberPatch): SubscriberReplacement {
	return {
		email: patch.email ?? current.email,
		name: patch.name ?? current.name,
		status: patch.status ?? current.status,
		attribs: mergeAttribs(current.attribs, patch.attribs),
		lists: patch.lists ?? current.lists.map((list) => list.id),
		...(patch.preconfirm_subscriptions === undefined ? {} : { preconfirm_subscriptions: patch.preconfirm_subscriptions }),
	};
}

/** PATCH's attribs rule: top-level keys of the patch replace or add, the others stay; null clears. */
export function mergeAttribs(current: Record<string, unknown>, patch: Record<string, unknown> | null | undefined): Record<string, unknown> {
	if (patch === undefined) return current;
	if (patch === null) return {};
	return { ...current, ...patch };
}

/** For Listmonk's `search`, a PostgreSQL regular expression: every metacharacter literal. */
export function escapeRegex(text: string): string {
	return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
	for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
