// API users and listmonk's permission model (internal/auth): token/Basic headers, the Super Admin role, route-level
// permissions, per-list roles and the helpers handlers use to filter list ids.
import { ApiError, forbidden, permDenied } from './errors.ts';
import type { DoubleUser } from './types.ts';

/** listmonk's permissions.json: the Super Admin role holds all of them. */
export const ALL_PERMISSIONS = [
	'lists:get_all', 'lists:manage_all',
	'subscribers:get', 'subscribers:get_all', 'subscribers:manage', 'subscribers:import', 'subscribers:sql_query', 'tx:send',
	'campaigns:get', 'campaigns:get_all', 'campaigns:get_analytics', 'campaigns:manage', 'campaigns:manage_all', 'campaigns:send',
	'bounces:get', 'bounces:manage', 'webhooks:post_bounce',
	'media:get', 'media:manage',
	'templates:get', 'templates:manage',
	'users:get', 'users:manage', 'roles:get', 'roles:manage',
	'settings:get', 'settings:manage', 'settings:maintain',
];

export const SUPER_ADMIN_ROLE_ID = 1;

/** Get and/or manage access, as listmonk's PermType bit flags. */
export const GET = 1;
export const MANAGE = 2;

/** The authenticated API user with the lookup maps listmonk builds when it caches users. */
export class Caller {
	readonly id: number;
	readonly user: DoubleUser;
	readonly roleId: number;
	readonly listRoleId: number | null;
	readonly createdAt: number;
	private readonly perms: Set<string>;
	private readonly listPerms = new Map<number, Set<string>>();
	private readonly getListIds: number[] = [];
	private readonly manageListIds: number[] = [];

	constructor(user: DoubleUser, ids: { id: number; roleId: number; listRoleId: number | null; createdAt: number }) {
		this.user = user;
		this.id = ids.id;
		this.roleId = ids.roleId;
		this.listRoleId = ids.listRoleId;
		this.createdAt = ids.createdAt;
		this.perms = new Set(user.permissions === 'super' ? ALL_PERMISSIONS : user.permissions);
		for (const [listId, perms] of Object.entries(user.listPermissions ?? {})) {
			const id = Number(listId);
			this.listPerms.set(id, new Set(perms));
			if (perms.includes('list:get')) this.getListIds.push(id);
			if (perms.includes('list:manage')) this.manageListIds.push(id);
		}
	}

	get isSuperAdmin(): boolean {
		return this.roleId === SUPER_ADMIN_ROLE_ID;
	}

	/** The role's permissions as the profile shows them. */
	get rolePermissions(): string[] {
		return [...this.perms];
	}

	get listPermissions(): [number, string[]][] {
		return [...this.listPerms].map(([id, perms]) => [id, [...perms]]);
	}

	hasPerm(perm: string): boolean {
		return this.perms.has(perm);
	}

	/** The route middleware: any one of `perms`; otherwise 403 naming the last one. Super Admin skips it. */
	checkRoute(perms: string[]): void {
		if (this.isSuperAdmin || perms.length === 0) return;
		if (!perms.some((p) => this.perms.has(p))) throw forbidden(`permission denied: ${perms[perms.length - 1]}`);
	}

	/** User.HasListPerm: blanket `lists:*_all`, else every positive id needs the per-list permission. */
	checkListPerm(types: number, ids: number[]): void {
		const [all, per] = types & GET ? ['lists:get_all', 'list:get'] : ['lists:manage_all', 'list:manage'];
		if (this.hasPerm(all)) return;
		for (const id of ids) if (id > 0 && !this.listPerms.get(id)?.has(per)) throw permDenied();
	}

	/** User.GetPermittedLists: `all` or the per-list ids (get ids win over manage ids when both are asked for). */
	permittedLists(types: number): { all: boolean; ids: number[] } {
		if (types & GET && this.hasPerm('lists:get_all')) return { all: true, ids: [] };
		if (types & MANAGE && this.hasPerm('lists:manage_all')) return { all: true, ids: [] };
		if (types & GET && this.getListIds.length > 0) return { all: false, ids: [...this.getListIds] };
		if (types & MANAGE) return { all: false, ids: [...this.manageListIds] };
		return { all: false, ids: [] };
	}

	/** User.FilterListsByPerm: keeps the ids the user may get (or, asked for manage only, manage). */
	filterListsByPerm(types: number, ids: number[]): number[] {
		if (types & GET && this.hasPerm('lists:get_all')) return ids;
		if (types & MANAGE && this.hasPerm('lists:manage_all')) return ids;
		return ids.filter((id) => {
			const perms = this.listPerms.get(id);
			if (!perms) return false;
			return types & GET ? perms.has('list:get') : perms.has('list:manage');
		});
	}

	/** User.GetPermittedListIDs: the filter for reads; no ids means "all" for `subscribers:get_all`, else [-1] (none). */
	permittedListIdsForQuery(ids: number[]): number[] {
		const filtered = this.filterListsByPerm(GET | MANAGE, ids);
		if (filtered.length === 0 && !this.hasPerm('subscribers:get_all')) return this.getListIds.length > 0 ? [...this.getListIds] : [-1];
		return filtered;
	}
}

/** The cached API users (listmonk refreshes its token cache on every user change). */
export class Users {
	private readonly byName = new Map<string, Caller>();
	private nextUserId = 1;
	private nextRoleId = SUPER_ADMIN_ROLE_ID + 1;

	add(user: DoubleUser, now: number): void {
		const existing = this.byName.get(user.username);
		const roleId = user.permissions === 'super' ? SUPER_ADMIN_ROLE_ID : this.nextRoleId++;
		const listRoleId = user.listPermissions && Object.keys(user.listPermissions).length > 0 ? this.nextRoleId++ : null;
		this.byName.set(user.username, new Caller(user, { id: existing?.id ?? this.nextUserId++, roleId, listRoleId, createdAt: existing?.createdAt ?? now }));
	}

	remove(username: string): void {
		this.byName.delete(username);
	}

	find(username: string, token: string): Caller | null {
		const caller = this.byName.get(username);
		if (!caller || caller.user.enabled === false || caller.user.token !== token) return null;
		return caller;
	}
}

/** echo's HTTPError for a malformed header, printed into the 403 (`code=400, message=...`). */
const malformed = (message: string): ApiError => new ApiError(403, new ApiError(400, message).goString());

/** auth.Middleware: a Cookie with `session=` wins over Authorization; no credentials is an invalid session. */
export function authenticate(headers: { authorization?: string; cookie?: string }, users: Users): Caller {
	let header = (headers.authorization ?? '').trim();
	if ((headers.cookie ?? '').trim().includes('session=')) header = '';
	if (header === '') throw forbidden('invalid session');

	let pair: string[];
	if (header.startsWith('token')) {
		pair = splitFirst(trimSpaces(header.slice('token'.length)));
	} else if (header.startsWith('Basic')) {
		const payload = trimSpaces(header.slice('Basic'.length));
		if (!isStdBase64(payload)) throw malformed('invalid Base64 value in Basic Authorization header');
		pair = splitFirst(Buffer.from(payload, 'base64').toString('utf8'));
	} else {
		throw malformed('unknown Authorization scheme');
	}
	if (pair.length < 2) throw malformed('api_key:token missing');
	if (pair[0] === '' || pair[1] === '') throw malformed('empty `api_key` or `token`');

	const caller = users.find(pair[0]!, pair[1]!);
	if (!caller) throw forbidden('invalid API credentials');
	return caller;
}

const trimSpaces = (s: string): string => s.replace(/^ +| +$/g, '');

function splitFirst(s: string): string[] {
	const i = s.indexOf(':');
	return i < 0 ? [s] : [s.slice(0, i), s.slice(i + 1)];
}

/** Go's base64.StdEncoding is strict: padded, standard alphabet (it skips CR/LF). */
function isStdBase64(s: string): boolean {
	const clean = s.replace(/[\r\n]/g, '');
	return clean.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(clean);
}
