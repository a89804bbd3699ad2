// /api/subscribers*: cmd/subscribers.go's handlers over the store, with their checks in listmonk's order.
import { gzipSync } from 'node:zlib';
import type { App } from './app.ts';
import { GET, MANAGE, type Caller } from './auth.ts';
import { formatTimestamp } from './clock.ts';
import { sanitizeEmail, validateSubscriberFields } from './email.ts';
import { ApiError, badRequest, permissionDeniedFor, serverError } from './errors.ts';
import type { GoStruct } from './go-json.ts';
import { bindBody, byteLength, formValue, pagination, parseStringIds, queryInts, RawBody, slicePage, sortOrder, type Ctx } from './http-io.ts';
import { compileQuery, QueryError, type QueryRow } from './sql-query.ts';
import { SUBSCRIPTION_STATUSES, type Membership, type Store, type Subscriber } from './state.ts';
import { subscriberJson } from './views.ts';

const SUBSCRIBER_FIELDS = { id: 'int', created_at: 'any', updated_at: 'any', uuid: 'string', email: 'string', name: 'string', attribs: 'map', status: 'string' } as const;
const CREATE_REQ: GoStruct = { name: 'SubReq', fields: { ...SUBSCRIBER_FIELDS, lists: 'ints', list_uuids: 'strings', preconfirm_subscriptions: 'bool' } };
const UPDATE_REQ: GoStruct = { name: 'struct', fields: { ...SUBSCRIBER_FIELDS, lists: 'ints', preconfirm_subscriptions: 'bool' } };
const SUB_QUERY_REQ: GoStruct = {
	name: 'subQueryReq',
	fields: { search: 'string', query: 'string', list_ids: 'ints', target_list_ids: 'ints', ids: 'ints', action: 'string', status: 'string', subscription_status: 'string', all: 'bool' },
};
const SORT_FIELDS = ['email', 'status', 'name', 'created_at', 'updated_at'];

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const ints = (v: unknown): number[] => (Array.isArray(v) ? (v as number[]) : []);

/** formatSQLExp: trimmed, one trailing `;` dropped. */
export function formatSqlExpression(q: string): string {
	const t = q.trim();
	return t.endsWith(';') ? t.slice(0, -1) : t;
}

/** hasSubPerm: without blanket list rights, each existing subscriber must be in one of the caller's lists. */
export function checkSubscriberAccess(store: Store, caller: Caller, subscriberIds: number[]): void {
	const { all, ids } = caller.permittedLists(GET | MANAGE);
	if (all) return;
	const inLists = store.subscribersInLists(subscriberIds, ids);
	for (const id of subscriberIds) if (inLists.get(id) === false) throw permissionDeniedFor(`subscriber: ${id}`);
}

function requireSqlQueryPerm(caller: Caller, query: string): void {
	if (query !== '' && !caller.hasPerm('subscribers:sql_query')) throw permissionDeniedFor('subscribers:sql_query');
}

/** GetSubscriber(id, "", email): by id when positive, else by email; 400 `Subscriber (id: email) not found`. */
function readSubscriber(store: Store, id: number, email: string): Subscriber {
	const sub = id > 0 ? store.subscriber(id) : store.subscriberByEmail(email);
	if (!sub) throw badRequest(`Subscriber (${id}: ${email}) not found`);
	return sub;
}

type RowFilter = { listIds: number[]; subscriptionStatus: string; search: string; query: string };

/**
 * The rows of `subscribers LEFT JOIN subscriber_lists` a query selects. `any`: GET's `list_id = ANY(...)`, one row
 * per matching membership (duplicates across lists); `all`: the bulk template's `list_id = ALL(...)`.
 */
function selectRows(store: Store, filter: RowFilter, listMatch: 'any' | 'all', onError: (message: string) => ApiError): QueryRow[] {
	let predicate: ((row: QueryRow) => boolean) | null = null;
	if (filter.query !== '') {
		try {
			predicate = compileQuery(filter.query);
		} catch (error) {
			if (error instanceof QueryError) throw onError(error.message);
			throw error;
		}
	}
	let search: RegExp | null = null;
	if (filter.search !== '') {
		try {
			search = new RegExp(filter.search, 'i');
		} catch (error) {
			throw onError(`pq: invalid regular expression: ${(error as Error).message}`);
		}
	}
	const distinct = [...new Set(filter.listIds)];
	const rows: QueryRow[] = [];
	const byEmail = emailLookup(filter.query);
	const subs = (byEmail ? [...new Set(byEmail)].flatMap((e) => store.subscriberByEmail(e) ?? []) : [...store.subscribers.values()]).sort((a, b) => a.id - b.id);
	for (const sub of subs) {
		if (search && !search.test(sub.name) && !search.test(sub.email)) continue;
		let candidates: (Membership | null)[];
		if (filter.listIds.length === 0) candidates = [null];
		else {
			const joined = store.membershipsOf(sub.id).filter((m) => filter.subscriptionStatus === '' || m.status === filter.subscriptionStatus);
			candidates = listMatch === 'any' ? joined.filter((m) => filter.listIds.includes(m.listId)) : distinct.length === 1 ? joined.filter((m) => m.listId === distinct[0]) : [];
		}
		for (const membership of candidates) {
			const row: QueryRow = { subscriber: sub, membership };
			try {
				if (predicate && !predicate(row)) continue;
			} catch (error) {
				if (error instanceof QueryError) throw onError(error.message);
				throw error;
			}
			rows.push(row);
		}
	}
	return rows;
}

/**
 * The e-mails of a query that only looks subscribers up by e-mail (`subscribers.email = '…'` or `IN (…)`), so a
 * large base is not scanned for the sync's most common query; the compiled predicate still decides.
 */
function emailLookup(query: string): string[] | null {
	const literal = "'((?:[^']|'')*)'";
	const eq = new RegExp(`^\\s*subscribers\\.email\\s*=\\s*${literal}\\s*$`, 'i').exec(query);
	if (eq) return [eq[1]!.replace(/''/g, "'")];
	const list = new RegExp(`^\\s*subscribers\\.email\\s+in\\s*\\(((?:\\s*${literal}\\s*,)*\\s*${literal}\\s*)\\)\\s*$`, 'i').exec(query);
	if (!list) return null;
	return [...list[1]!.matchAll(new RegExp(literal, 'g'))].map((m) => m[1]!.replace(/''/g, "'"));
}

function checkSubscriptionStatusParam(status: string, onError: (message: string) => ApiError): void {
	if (status !== '' && !SUBSCRIPTION_STATUSES.includes(status)) throw onError(`pq: invalid input value for enum subscription_status: "${status}"`);
}

const collator = new Intl.Collator('en');

export function registerSubscriberRoutes(app: App, route: App['route']): void {
	const { store } = app;
	const read = ['subscribers:get_all', 'subscribers:get'];
	const manage = ['subscribers:manage'];
	const v61 = app.versionAtLeast(6, 1);
	// before v6.1 only reads checked the subscriber's lists, and unmanageable lists were dropped without a 403
	const checkWriteAccess = (caller: Caller, ids: number[]): void => {
		if (v61) checkSubscriberAccess(store, caller, ids);
	};
	const requireSomeList = (requested: number[], permitted: number[]): void => {
		if (v61 && requested.length > 0 && permitted.length === 0) throw permissionDeniedFor('lists');
	};

	route('GET', '/api/subscribers', read, false, async (ctx) => {
		const listIds = ctx.caller.permittedListIdsForQuery(ctx.query.has('list_id') ? queryInts(ctx, 'list_id') : []);
		const query = formatSqlExpression(await formValue(ctx, 'query'));
		requireSqlQueryPerm(ctx.caller, query);
		const search = (await formValue(ctx, 'search')).trim();
		const subscriptionStatus = await formValue(ctx, 'subscription_status');
		const orderBy = await formValue(ctx, 'order_by');
		const order = sortOrder(await formValue(ctx, 'order'));
		const pg = pagination(ctx.query);

		const preparing = (m: string): ApiError => badRequest(`Error preparing subscriber query: ${m}`);
		checkSubscriptionStatusParam(subscriptionStatus, preparing);
		// a query that plans fine but fails while running (bad regex, bad cast) is a fetch error
		const rows = selectRows(store, { listIds, subscriptionStatus, search, query }, 'any', (m) => (m.startsWith('pq: invalid regular expression') ? serverError(`Error fetching Subscribers: ${m}`) : preparing(m)));
		const field = SORT_FIELDS.includes(orderBy) ? orderBy : 'id';
		const key = (s: Subscriber): string | number => (field === 'created_at' ? s.createdAt : field === 'updated_at' ? s.updatedAt : (s as unknown as Record<string, string | number>)[field]!);
		rows.sort((a, b) => {
			const x = key(a.subscriber);
			const y = key(b.subscriber);
			const c = typeof x === 'string' && typeof y === 'string' ? collator.compare(x, y) : (x as number) - (y as number);
			return order === 'asc' ? c : -c;
		});
		const results = slicePage(rows, pg).map((r) => subscriberJson(store, r.subscriber, ctx.caller));
		return { results, search, query, total: rows.length, per_page: pg.perPage, page: pg.page };
	});

	route('GET', '/api/subscribers/export', read, false, async (ctx) => {
		const listIds = ctx.caller.permittedListIdsForQuery(ctx.query.has('list_id') ? queryInts(ctx, 'list_id') : []);
		const ids = queryInts(ctx, 'id');
		const subscriptionStatus = ctx.query.get('subscription_status') ?? '';
		const search = (await formValue(ctx, 'search')).trim();
		const query = formatSqlExpression(await formValue(ctx, 'query'));
		requireSqlQueryPerm(ctx.caller, query);
		const preparing = (m: string): ApiError => badRequest(`Error preparing subscriber query: ${m}`);
		checkSubscriptionStatusParam(subscriptionStatus, preparing);
		const rows = selectRows(store, { listIds, subscriptionStatus, search, query }, 'all', preparing).filter((r) => ids.length === 0 || ids.includes(r.subscriber.id));
		const lines = [['uuid', 'email', 'name', 'attributes', 'status', 'created_at', 'updated_at']];
		for (const { subscriber: s } of rows) lines.push([s.uuid, s.email, s.name, JSON.stringify(s.attribs), s.status, goTimeString(s.createdAt), goTimeString(s.updatedAt)]);
		const csv = lines.map((cols) => cols.map(csvField).join(',')).join('\n') + '\n';
		// echo's gzip middleware compresses when the client accepts it
		if (/\bgzip\b/.test(String(ctx.headers['accept-encoding'] ?? ''))) return new RawBody('text/csv', gzipSync(csv), { 'content-encoding': 'gzip' });
		return new RawBody('text/csv', Buffer.from(csv));
	});

	route('GET', '/api/subscribers/:id', read, true, (ctx) => {
		checkSubscriberAccess(store, ctx.caller, [ctx.id]);
		return subscriberJson(store, readSubscriber(store, ctx.id, ''), ctx.caller);
	});

	route('POST', '/api/subscribers', manage, false, async (ctx) => {
		const req = await bindBody(ctx, CREATE_REQ);
		const { email, name } = validateSubscriberFields(str(req.get('email')), str(req.get('name')));
		const requested = ints(req.get('lists'));
		const listIds = ctx.caller.filterListsByPerm(MANAGE, requested);
		requireSomeList(requested, listIds);
		const preconfirm = req.get('preconfirm_subscriptions') === true;
		const attribs = (req.get('attribs') as Record<string, unknown> | null | undefined) ?? null;
		const sub = store.createSubscriber({ email, name, status: str(req.get('status')), attribs }, listIds, preconfirm);
		if (!preconfirm) store.sendOptin(sub.id, listIds);
		return subscriberJson(store, sub, null);
	});

	route('PUT', '/api/subscribers/:id', manage, true, async (ctx) => {
		const req = await bindBody(ctx, UPDATE_REQ);
		const email = sanitizeEmail(str(req.get('email')));
		const name = str(req.get('name'));
		if (name !== '' && byteLength(name) > 2000) throw badRequest('Invalid name.');
		const requested = ints(req.get('lists'));
		const listIds = ctx.caller.filterListsByPerm(MANAGE, requested);
		requireSomeList(requested, listIds);
		checkWriteAccess(ctx.caller, [ctx.id]);
		const preconfirm = req.get('preconfirm_subscriptions') === true;
		const attribs = (req.get('attribs') as Record<string, unknown> | null | undefined) ?? null;
		return updateAndRead(app, ctx, { email, name, status: str(req.get('status')), attribs }, listIds, { preconfirm, replaceLists: true, rereadId: (req.get('id') as number | undefined) ?? 0 });
	});

	if (app.versionAtLeast(6, 1)) {
		route('PATCH', '/api/subscribers/:id', manage, true, async (ctx) => {
			checkSubscriberAccess(store, ctx.caller, [ctx.id]);
			const current = readSubscriber(store, ctx.id, '');
			const req = await bindBody(ctx, UPDATE_REQ);
			// the body is decoded over the stored record: attribs merge one level deep, null clears them
			let attribs: Record<string, unknown> | null = { ...current.attribs };
			if (req.has('attribs')) {
				const incoming = req.get('attribs') as Record<string, unknown> | null;
				attribs = incoming === null ? null : { ...attribs, ...incoming };
			}
			const email = sanitizeEmail(req.has('email') ? str(req.get('email')) : current.email);
			const name = req.has('name') ? str(req.get('name')) : current.name;
			if (name !== '' && byteLength(name) > 2000) throw badRequest('Invalid name.');
			const listsSent = req.has('lists') && req.get('lists') !== null;
			let listIds: number[] = [];
			if (listsSent) {
				const requested = ints(req.get('lists'));
				listIds = ctx.caller.filterListsByPerm(MANAGE, requested);
				if (requested.length > 0 && listIds.length === 0) throw permissionDeniedFor('lists');
			}
			const status = req.has('status') ? str(req.get('status')) : current.status;
			const preconfirm = req.get('preconfirm_subscriptions') === true;
			return updateAndRead(app, ctx, { email, name, status, attribs }, listIds, { preconfirm, replaceLists: listsSent, rereadId: (req.get('id') as number | undefined) ?? current.id });
		});
	}

	route('POST', '/api/subscribers/:id/optin', manage, true, (ctx) => {
		checkWriteAccess(ctx.caller, [ctx.id]);
		const sub = readSubscriber(store, ctx.id, '');
		store.sendOptinMail(sub.id, []);
		return true;
	});

	route('PUT', '/api/subscribers/blocklist', manage, false, async (ctx) => {
		const ids = await bindIds(ctx);
		if (ids.length === 0) throw badRequest('One or more IDs are invalid: ids');
		checkWriteAccess(ctx.caller, ids);
		store.blocklist(ids);
		return true;
	});

	route('PUT', '/api/subscribers/:id/blocklist', manage, true, (ctx) => {
		checkWriteAccess(ctx.caller, [ctx.id]);
		store.blocklist([ctx.id]);
		return true;
	});

	const manageLists = async (ctx: Ctx): Promise<boolean> => {
		let subscriberIds: number[] = [];
		const pathId = ctx.params['id'];
		if (pathId !== undefined) {
			const id = /^[+-]?\d+$/.test(pathId) ? Number(pathId) : 0;
			if (id < 1) throw badRequest('Invalid ID(s)');
			subscriberIds = [id];
		}
		const req = await bindSubQuery(ctx);
		const ids = ints(req.get('ids'));
		if (ids.length === 0) throw badRequest('No IDs given.');
		if (subscriberIds.length === 0) subscriberIds = ids;
		const targets = ints(req.get('target_list_ids'));
		if (targets.length === 0) throw badRequest('No lists given.');
		checkWriteAccess(ctx.caller, subscriberIds);
		const listIds = ctx.caller.filterListsByPerm(MANAGE, targets);
		if (listIds.length === 0) throw permissionDeniedFor('lists');
		switch (str(req.get('action'))) {
			case 'add':
				store.addSubscriptions(subscriberIds, listIds, str(req.get('status')));
				break;
			case 'remove':
				store.deleteSubscriptions(subscriberIds, listIds);
				break;
			case 'unsubscribe':
				store.unsubscribe(subscriberIds, listIds);
				break;
			default:
				throw badRequest('Invalid action.');
		}
		return true;
	};
	route('PUT', '/api/subscribers/lists/:id', manage, false, manageLists);
	route('PUT', '/api/subscribers/lists', manage, false, manageLists);

	route('DELETE', '/api/subscribers/:id', manage, true, (ctx) => {
		checkWriteAccess(ctx.caller, [ctx.id]);
		store.deleteSubscribers([ctx.id]);
		return true;
	});

	route('DELETE', '/api/subscribers', manage, false, (ctx) => {
		const ids = parseStringIds(ctx.query.getAll('id'));
		if (ids.length === 0) throw badRequest('One or more IDs are invalid: ids');
		checkWriteAccess(ctx.caller, ids);
		store.deleteSubscribers(ids);
		return true;
	});

	// --- query-based bulk endpoints (§4.9) ---

	const readQueryReq = async (ctx: Ctx, guard: boolean): Promise<{ filter: RowFilter; req: Map<string, unknown> }> => {
		const req = await bindBody(ctx, SUB_QUERY_REQ);
		let search = str(req.get('search')).trim();
		let query = formatSqlExpression(str(req.get('query')));
		if (guard) {
			if (req.get('all') === true) {
				search = '';
				query = '';
			} else if (search === '' && query === '') throw badRequest('Invalid fields: query');
		}
		requireSqlQueryPerm(ctx.caller, query);
		const listIds = ctx.caller.permittedListIdsForQuery(ints(req.get('list_ids')));
		return { filter: { listIds, subscriptionStatus: str(req.get('subscription_status')), search, query }, req };
	};
	const matchedIds = (filter: RowFilter, onError: (m: string) => ApiError): number[] => {
		checkSubscriptionStatusParam(filter.subscriptionStatus, onError);
		return [...new Set(selectRows(store, filter, 'all', onError).map((r) => r.subscriber.id))];
	};

	route('POST', '/api/subscribers/query/delete', manage, false, async (ctx) => {
		const { filter } = await readQueryReq(ctx, true);
		store.deleteSubscribers(matchedIds(filter, (m) => serverError(`Error deleting Subscribers: ${m}`)));
		return true;
	});

	route('PUT', '/api/subscribers/query/blocklist', manage, false, async (ctx) => {
		const { filter } = await readQueryReq(ctx, true);
		store.blocklist(matchedIds(filter, (m) => serverError(`Error blocklisting subscribers: ${m}`)));
		return true;
	});

	route('PUT', '/api/subscribers/query/lists', manage, false, async (ctx) => {
		const req = await bindBody(ctx, SUB_QUERY_REQ);
		const targets = ints(req.get('target_list_ids'));
		if (targets.length === 0) throw badRequest('No lists given.');
		const search = str(req.get('search')).trim();
		const query = formatSqlExpression(str(req.get('query')));
		requireSqlQueryPerm(ctx.caller, query);
		const filter: RowFilter = { listIds: ctx.caller.permittedListIdsForQuery(ints(req.get('list_ids'))), subscriptionStatus: str(req.get('subscription_status')), search, query };
		const targetIds = ctx.caller.filterListsByPerm(MANAGE, targets);
		const onError = (m: string): ApiError => serverError(`Error updating Subscribers: ${m}`);
		const action = str(req.get('action'));
		if (!['add', 'remove', 'unsubscribe'].includes(action)) throw badRequest('Invalid action.');
		const ids = matchedIds(filter, onError);
		if (action === 'add') store.addSubscriptionsIfMissing(ids, targetIds, str(req.get('status')));
		else if (action === 'remove') store.deleteSubscriptions(ids, targetIds);
		else store.unsubscribe(ids, targetIds);
		return true;
	});
}

/** UpdateSubscriberWithLists, then the re-read by the body's id (or the email) and the opt-in hook. */
function updateAndRead(app: App, ctx: Ctx, fields: { email: string; name: string; status: string; attribs: Record<string, unknown> | null }, listIds: number[], opts: { preconfirm: boolean; replaceLists: boolean; rereadId: number }): Record<string, unknown> {
	const { store } = app;
	const permitted = ctx.caller.permittedLists(MANAGE);
	// from v6.1 memberships in lists the caller cannot manage survive a replace
	const scope = permitted.all || !app.versionAtLeast(6, 1) ? [] : permitted.ids;
	store.updateSubscriber(ctx.id, fields, listIds, { preconfirm: opts.preconfirm, replaceLists: opts.replaceLists, permittedListIds: scope });
	const out = readSubscriber(store, opts.rereadId, fields.email);
	if (!opts.preconfirm) store.sendOptin(out.id, listIds);
	return subscriberJson(store, out, ctx.caller);
}

/** Binds subQueryReq where listmonk wraps a bind error as `One or more IDs are invalid: <echo error>` (400). */
async function bindSubQuery(ctx: Ctx): Promise<Map<string, unknown>> {
	try {
		return await bindBody(ctx, SUB_QUERY_REQ);
	} catch (error) {
		if (error instanceof ApiError) throw badRequest(`One or more IDs are invalid: ${error.goString()}`);
		throw error;
	}
}

async function bindIds(ctx: Ctx): Promise<number[]> {
	return ints((await bindSubQuery(ctx)).get('ids'));
}

function csvField(v: string): string {
	return /[",\n\r]/.test(v) || v.startsWith(' ') ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Go's time.Time.String() for the export's timestamps. */
function goTimeString(micros: number): string {
	const iso = formatTimestamp(micros);
	const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})\.(\d{6})([+-])(\d{2}):(\d{2})$/.exec(iso)!;
	const fraction = m[3]!.replace(/0+$/, '');
	return `${m[1]} ${m[2]}${fraction ? `.${fraction}` : ''} ${m[4]}${m[5]}${m[6]} ${m[4] === '+' && m[5] === '00' && m[6] === '00' ? 'UTC' : ''}`.trim();
}
