// /api/lists*: cmd/lists.go. Reads are filtered by the caller's list rights (an empty page rather than a 403).
import type { App } from './app.ts';
import { GET, MANAGE } from './auth.ts';
import { badRequest, enumError, serverError } from './errors.ts';
import type { GoStruct } from './go-json.ts';
import { Bare, bindBody, byteLength, formValue, goBool, pagination, parseStringIds, slicePage, sortOrder } from './http-io.ts';
import { LIST_OPTINS, LIST_STATUSES, LIST_TYPES, type List } from './state.ts';
import { textSearchMatches } from './text-search.ts';
import { listJson } from './views.ts';

const LIST_REQ: GoStruct = {
	name: 'List',
	fields: {
		id: 'int', created_at: 'any', updated_at: 'any', uuid: 'string', name: 'string', type: 'string', optin: 'string', status: 'string',
		tags: 'strings', description: 'string', subscriber_count: 'int', subscriber_statuses: 'any', subscription_status: 'string',
		subscription_created_at: 'any', subscription_updated_at: 'any',
	},
};
const SORT_FIELDS = ['name', 'status', 'created_at', 'updated_at', 'subscriber_count'];

/** normalizeTags: trimmed, inner whitespace runs become `-`, empty tags dropped (case kept). */
export function normalizeTags(tags: string[]): string[] {
	return tags.map((t) => t.trim().replace(/\s+/g, '-')).filter((t) => t !== '');
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const collator = new Intl.Collator('en');

export function registerListRoutes(app: App, route: App['route']): void {
	const { store } = app;
	const counts = (list: List): { count: number; statuses: Record<string, number> } => {
		const statuses = store.listStatusCounts(list.id);
		return { count: Object.values(statuses).reduce((a, b) => a + b, 0), statuses };
	};
	/** core.GetList: the query's sum plus the statuses added on top again (listmonk's doubling). */
	const single = (list: List): Record<string, unknown> => {
		const c = counts(list);
		return listJson(list, { count: c.count * 2, statuses: c.statuses });
	};
	const checkEnum = (name: string, values: string[], value: string): void => {
		if (value !== '' && !values.includes(value)) throw serverError(`Error fetching Lists: ${enumError(name, value)}`);
	};

	route('GET', '/api/lists', [], false, async (ctx) => {
		const permitted = ctx.caller.permittedLists(GET);
		const visible = [...store.lists.values()].filter((l) => permitted.all || permitted.ids.includes(l.id)).sort((a, b) => a.id - b.id);
		const status = await formValue(ctx, 'status');
		if (goBool(await formValue(ctx, 'minimal'))) {
			checkEnum('list_status', LIST_STATUSES, status);
			const lists = visible.filter((l) => status === '' || l.status === status);
			if (lists.length === 0) return [];
			return { results: lists.map((l) => listJson(l, null)), search: '', query: '', total: lists.length, per_page: lists.length, page: 1 };
		}
		const query = (await formValue(ctx, 'query')).trim();
		const tags = ctx.query.getAll('tag');
		const type = await formValue(ctx, 'type');
		const optin = await formValue(ctx, 'optin');
		const orderBy = await formValue(ctx, 'order_by');
		const order = sortOrder(await formValue(ctx, 'order'));
		const pg = pagination(ctx.query);
		checkEnum('list_type', LIST_TYPES, type);
		checkEnum('list_optin', LIST_OPTINS, optin);
		checkEnum('list_status', LIST_STATUSES, status);
		const matching = visible.filter(
			(l) =>
				(query === '' || textSearchMatches(l.name, query)) &&
				(type === '' || l.type === type) &&
				(optin === '' || l.optin === optin) &&
				(status === '' || l.status === status) &&
				tags.every((t) => l.tags.includes(t)),
		);
		// OFFSET/LIMIT apply in the CTE before the ORDER BY: a page is cut in storage order, then sorted
		const field = SORT_FIELDS.includes(orderBy) ? orderBy : 'created_at';
		const all = store.allListStatusCounts();
		const page = slicePage(matching, pg).map((l) => {
			const statuses = all.get(l.id) ?? {};
			return { list: l, counts: { count: Object.values(statuses).reduce((a, b) => a + b, 0), statuses } };
		});
		const key = (e: (typeof page)[number]): string | number =>
			field === 'name' ? e.list.name : field === 'status' ? e.list.status : field === 'subscriber_count' ? e.counts.count : field === 'updated_at' ? e.list.updatedAt : e.list.createdAt;
		page.sort((a, b) => {
			const x = key(a);
			const y = key(b);
			const c = typeof x === 'string' && typeof y === 'string' ? collator.compare(x, y) : (x as number) - (y as number);
			return order === 'asc' ? c : -c;
		});
		// the total is a window count over the returned rows: 0 past the last page
		return { results: page.map((e) => listJson(e.list, e.counts)), search: '', query, total: page.length > 0 ? matching.length : 0, per_page: pg.perPage, page: pg.page };
	});

	route('GET', '/api/lists/:id', [], true, (ctx) => {
		ctx.caller.checkListPerm(GET, [ctx.id]);
		const list = store.lists.get(ctx.id);
		if (!list) throw badRequest('List not found');
		return single(list);
	});

	const readListBody = async (ctx: Parameters<Parameters<App['route']>[4]>[0]) => {
		const req = await bindBody(ctx, LIST_REQ);
		const name = str(req.get('name'));
		if (byteLength(name) < 1 || byteLength(name) > 2000) throw badRequest('Invalid name');
		const tags = req.get('tags');
		return {
			name,
			type: str(req.get('type')),
			optin: str(req.get('optin')),
			status: str(req.get('status')),
			tags: normalizeTags(Array.isArray(tags) ? (tags as string[]) : []),
			description: str(req.get('description')),
		};
	};

	route('POST', '/api/lists', ['lists:manage_all'], false, async (ctx) => {
		return single(store.createList(await readListBody(ctx)));
	});

	route('PUT', '/api/lists/:id', [], true, async (ctx) => {
		ctx.caller.checkListPerm(MANAGE, [ctx.id]);
		store.updateList(ctx.id, await readListBody(ctx));
		return single(store.lists.get(ctx.id)!);
	});

	route('DELETE', '/api/lists/:id', [], true, (ctx) => {
		ctx.caller.checkListPerm(MANAGE, [ctx.id]);
		store.deleteLists([ctx.id]);
		return true;
	});

	route('DELETE', '/api/lists', [], false, async (ctx) => {
		const rawIds = ctx.query.getAll('id');
		let ids: number[] = [];
		let query = '';
		let all = false;
		if (rawIds.length > 0) ids = parseStringIds(rawIds);
		else {
			query = (await formValue(ctx, 'query')).trim();
			all = (await formValue(ctx, 'all')) === 'true';
		}
		if (ids.length === 0 && query === '' && !all) throw badRequest('One or more IDs are invalid: id or query required');
		if (ids.length > 0) {
			ctx.caller.checkListPerm(MANAGE, ids);
			store.deleteLists(ids);
			return true;
		}
		const permitted = ctx.caller.permittedLists(MANAGE);
		// delete-lists matches the name by full text only (no ILIKE)
		const doomed = [...store.lists.values()].filter((l) => (permitted.all || permitted.ids.includes(l.id)) && (query === '' || textSearchMatches(l.name, query, { ilike: false })));
		store.deleteLists(doomed.map((l) => l.id));
		return true;
	});

	app.publicRoute('GET', '/api/public/lists', () => new Bare([...store.lists.values()].filter((l) => l.type === 'public' && l.status === 'active').sort((a, b) => a.id - b.id).map((l) => ({ uuid: l.uuid, name: l.name }))));
}
