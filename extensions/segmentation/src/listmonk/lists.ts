// Listmonk lists (CONTRACT §3). Names are not unique, so the sync keys segments by list id; PUT replaces (it needs
// `name` and clears `tags` when they are left out); not-found is 400; deleting a missing list is 200.
import type { ListReplacement, ListSearch, NewList } from './overlay.ts';
import { booleanSchema, listSchema, pageSchema, type ListmonkList, type Page } from './schemas.ts';
import type { CallOptions, Transport } from './transport.ts';

const listPage = pageSchema(listSchema);

export class ListsApi {
	readonly #http: Transport;

	constructor(http: Transport) {
		this.#http = http;
	}

	/** One page (default 20 per page, newest first). Past the last page `total` is 0: page on `results.length`. */
	page(search: ListSearch = {}, options?: CallOptions): Promise<Page<ListmonkList>> {
		return this.#http.call('GET /lists', listPage, (init) => this.#http.api.GET('/lists', { ...init, params: { query: search } }), options);
	}

	/** Every list the API user may see, in one request (`per_page=all`). Without `lists:get_all` (or per-list
	 *  rights) this is an empty array, not a 403. */
	async all(search: Omit<ListSearch, 'page' | 'per_page'> = {}, options?: CallOptions): Promise<ListmonkList[]> {
		return (await this.page({ order_by: 'created_at', order: 'asc', ...search, per_page: 'all' }, options)).results;
	}

	/** Its `subscriber_count` is stale and doubled on this endpoint (§3): count members with a subscriber query. */
	get(id: number, options?: CallOptions): Promise<ListmonkList> {
		return this.#http.call('GET /lists/{list_id}', listSchema, (init) => this.#http.api.GET('/lists/{list_id}', { ...init, params: { path: { list_id: id } } }), options);
	}

	/** Not retried once it may have reached Listmonk: a repeat would create a second list of the same name. */
	create(list: NewList, options?: CallOptions): Promise<ListmonkList> {
		return this.#http.call('POST /lists', listSchema, (init) => this.#http.api.POST('/lists', { ...init, body: list }), { ...options, retry: 'unsafe' });
	}

	/** A full replace: `name` and `tags` are required (omitted tags would be cleared); empty `type`, `optin`,
	 *  `status` or `description` leave the stored value. */
	update(id: number, list: ListReplacement, options?: CallOptions): Promise<ListmonkList> {
		return this.#http.call('PUT /lists/{list_id}', listSchema, (init) => this.#http.api.PUT('/lists/{list_id}', { ...init, params: { path: { list_id: id } }, body: list }), options);
	}

	/** Idempotent: a missing list is also `true`. Its memberships go with it. */
	delete(id: number, options?: CallOptions): Promise<boolean> {
		return this.#http.call('DELETE /lists/{list_id}', booleanSchema, (init) => this.#http.api.DELETE('/lists/{list_id}', { ...init, params: { path: { list_id: id } } }), options);
	}
}
