// Custom endpoints are public in Directus: each one states what it reads and changes, and asks here first. Directus's
// own permission code decides, with the request's accountability — never a proxy such as "may read the settings":
// - read:          an ItemsService read of one key (Directus refuses a collection the caller may not read);
// - update/delete: PermissionsService.getItemPermissions (Directus's validateAccess on the collection);
// - create:        ItemsService.createOne with `preMutationError`: Directus checks the create permission (and the
//                  payload), then throws that error before writing anything — a dry run of the permission check.
// - read of the whole collection (needWhole, for figures that count every item): the read permission above, and none
//                  of the caller's read permissions on it may be limited to some items (an item filter) or leave out a
//                  field the figures are made of — else a 403 saying so (see wholeReadLimits).
// A check that fails for any other reason (a database timeout, a locked SQLite file) is a 503/500, never a 403.
import { isDirectusError } from '@directus/errors';
import type { DirectusContext } from './context.ts';
import { AdminOnlyError, DatabaseUnavailableError, ForbiddenSegmentationError, MissingPermissionError, PartialReadError } from './errors.ts';

/** Directus's accountability of a request (passed through to its services as it is). */
export interface Accountability { user?: string | null; role?: string | null; admin?: boolean; [key: string]: unknown }

export type Action = 'create' | 'read' | 'update' | 'delete';
export interface Need {
	action: Action;
	collection: string;
	/** Read only: the answer counts every item of the collection, so the caller must read all of them, with these fields. */
	whole?: { fields: readonly string[] };
}

/** An endpoint's requirement: the permissions it needs (all of them), or an administrator (saying for what). */
export type Requirement = readonly Need[] | { adminOnly: string };

export const need = (action: Action, ...collections: string[]): Need[] => collections.map((collection) => ({ action, collection }));

/** Read on every item of a collection, with these fields (figures over the whole base: counts, sums, shares). A caller
 *  whose read there is limited to some items, or leaves out one of the fields, would see figures beyond their
 *  permission: a 403 saying why. */
export const needWhole = (collection: string, fields: readonly string[] = []): Need[] => [{ action: 'read', collection, whole: { fields: [...new Set(fields)] } }];

class DryRun extends Error {
	override name = 'SegmentationPermissionDryRun';
}

/** Throws 403 (naming what is missing), 503 (the database did not answer) or the underlying error; admins pass. */
export async function assertAccess(
	ctx: DirectusContext,
	accountability: Accountability | null | undefined,
	requirement: Requirement | (() => Promise<Requirement>),
): Promise<void> {
	if (!accountability?.user) throw new ForbiddenSegmentationError();
	if (accountability.admin === true) return;
	const missing: string[] = [];
	const limits: string[] = [];
	try {
		const needs = typeof requirement === 'function' ? await requirement() : requirement;
		if ('adminOnly' in needs) throw new AdminOnlyError({ reason: needs.adminOnly });
		const schema = await ctx.getSchema();
		for (const { action, collection } of needs) {
			if (!(await allowed(ctx, schema, accountability, action, collection))) missing.push(`${action} "${collection}"`);
		}
		// only when the plain permissions are there: a caller without read on the clients hears that first
		const whole = needs.filter((n) => n.whole);
		if (!missing.length && whole.length) {
			const rows = await readPermissionRows(ctx, schema, accountability, whole.map((n) => n.collection));
			for (const { collection, whole: w } of whole) limits.push(...wholeReadLimits(rows.filter((r) => r.collection === collection), collection, w!.fields));
		}
	} catch (error) {
		throw unavailable(error) ?? error;
	}
	if (missing.length) throw new MissingPermissionError({ missing });
	if (limits.length) throw new PartialReadError({ reasons: limits });
}

/** True when the caller is an administrator (for answers that differ, such as error details). */
export const isAdmin = (accountability: Accountability | null | undefined) => accountability?.admin === true;

type Schema = Awaited<ReturnType<DirectusContext['getSchema']>>;

async function allowed(ctx: DirectusContext, schema: Schema, accountability: Accountability, action: Action, collection: string): Promise<boolean> {
	const info = schema.collections[collection];
	if (!info) return false;
	const options = { schema, accountability, knex: ctx.database };
	try {
		if (action === 'read') {
			await new ctx.services.ItemsService(collection, options).readByQuery({ fields: [info.primary], limit: 1 });
			return true;
		}
		if (action === 'create') {
			try {
				await new ctx.services.ItemsService(collection, options).createOne({}, { emitEvents: false, preMutationError: new DryRun() });
			} catch (error) {
				// past the permission check: our dry-run error, or the empty payload's validation errors
				if (error instanceof DryRun || isValidationFailure(error)) return true;
				throw error;
			}
			throw new Error(`the create permission check on "${collection}" wrote an item`);
		}
		const permissions = await new ctx.services.PermissionsService(options).getItemPermissions(collection);
		return permissions?.[action]?.access === true;
	} catch (error) {
		if (isDirectusError(error, 'FORBIDDEN')) return false;
		throw error;
	}
}

/** The ids of the caller's policies that apply wherever the request comes from: attached to the user or to one of
 *  their roles (accountability.roles holds the parent roles too), or the public policy for a user without a role — as
 *  Directus's fetchPolicies finds them. A policy limited to some IP addresses is left out: Directus applies it only
 *  from those addresses, so it cannot make a caller's read whole everywhere (a refusal, never a leak). Read through
 *  Directus's AccessService without accountability (the caller may not read directus_access), never shown. */
async function callerPolicies(ctx: DirectusContext, schema: Schema, accountability: Accountability): Promise<string[]> {
	const roles = Array.isArray(accountability['roles']) ? (accountability['roles'] as string[]) : accountability.role ? [accountability.role] : [];
	const roleFilter = roles.length ? { role: { _in: roles } } : { _and: [{ role: { _null: true } }, { user: { _null: true } }] };
	const filter = accountability.user ? { _or: [{ user: { _eq: accountability.user } }, roleFilter] } : roleFilter;
	const rows = (await new ctx.services.AccessService({ schema, knex: ctx.database }).readByQuery({ filter, fields: ['policy.id', 'policy.ip_access'], limit: -1 })) as Array<{
		policy: { id: string; ip_access: string[] | string | null } | null;
	}>;
	const everywhere = rows.filter((r) => r.policy && (r.policy.ip_access === null || r.policy.ip_access.length === 0));
	return [...new Set(everywhere.map((r) => r.policy!.id))];
}

/** One read permission of the caller (Directus joins those of all their policies). */
export interface ReadPermissionRow { collection: string; permissions: unknown; fields: unknown }

/** The caller's read permissions on these collections, read through Directus's PermissionsService (so a rule the
 *  licence does not allow is left out, as Directus leaves it out when it checks access), for the caller's own
 *  policies only; never shown. */
async function readPermissionRows(ctx: DirectusContext, schema: Schema, accountability: Accountability, collections: string[]): Promise<ReadPermissionRow[]> {
	const policies = await callerPolicies(ctx, schema, accountability);
	if (!policies.length) return [];
	return (await new ctx.services.PermissionsService({ schema, knex: ctx.database }).readByQuery({
		filter: { _and: [{ policy: { _in: policies } }, { collection: { _in: [...new Set(collections)] } }, { action: { _eq: 'read' } }] },
		fields: ['collection', 'permissions', 'fields'],
		limit: -1,
	})) as ReadPermissionRow[];
}

/** Why the caller may not read every item of a collection with these fields (empty: they may), from their read
 *  permissions on it: the read is whole when some permission has no item filter, and those unfiltered permissions
 *  together give every field needed. */
export function wholeReadLimits(rows: readonly ReadPermissionRow[], collection: string, fields: readonly string[]): string[] {
	const whole = rows.filter((r) => isUnrestrictedFilter(r.permissions));
	if (!whole.length) return [`your read permission on "${collection}" is limited to some of its items`];
	const given = new Set(whole.flatMap((r) => fieldList(r.fields)));
	if (given.has('*')) return [];
	const left = fields.filter((f) => !given.has(f));
	return left.length ? [`your read permission on "${collection}" does not include the field${left.length > 1 ? 's' : ''} ${left.join(', ')}`] : [];
}

/** The fields of a collection the caller may read on some item ('*': all of them), from their read permissions;
 *  admins read all. For answers made with our own SQL that must not show a field Directus would not. */
export async function readableFields(ctx: DirectusContext, accountability: Accountability | null | undefined, collection: string): Promise<'*' | Set<string>> {
	if (isAdmin(accountability)) return '*';
	if (!accountability?.user) return new Set();
	try {
		const rows = await readPermissionRows(ctx, await ctx.getSchema(), accountability, [collection]);
		const given = new Set(rows.flatMap((r) => fieldList(r.fields)));
		return given.has('*') ? '*' : given;
	} catch (error) {
		throw unavailable(error) ?? error;
	}
}

/** An item filter that selects every item: none (null), `{}`, or `_and` / `_or` lists of nothing but such filters (so
 *  `{ "_and": [] }`). Anything else — a field condition, a dynamic variable such as $CURRENT_USER — limits the items. */
export function isUnrestrictedFilter(filter: unknown): boolean {
	if (filter === null || filter === undefined) return true;
	if (typeof filter === 'string') {
		if (filter.trim() === '' || filter.trim() === 'null') return true;
		try {
			return isUnrestrictedFilter(JSON.parse(filter));
		} catch {
			return false;
		}
	}
	if (typeof filter !== 'object' || Array.isArray(filter)) return false;
	return Object.entries(filter).every(([key, value]) => (key === '_and' || key === '_or') && Array.isArray(value) && value.every((v) => isUnrestrictedFilter(v) && v !== null));
}

/** A permission's fields: an array, a CSV string, or null (no fields). */
function fieldList(fields: unknown): string[] {
	if (Array.isArray(fields)) return fields.map(String);
	if (typeof fields === 'string') return fields.split(',').map((f) => f.trim()).filter(Boolean);
	return [];
}

function isValidationFailure(error: unknown): boolean {
	const errors = Array.isArray(error) ? error : [error];
	return errors.length > 0 && errors.every((e) => isDirectusError(e, 'FAILED_VALIDATION'));
}

/** A database that did not answer in time (pool, lock or statement timeout; a busy SQLite file) as a 503. */
export function unavailable(error: unknown, depth = 0): InstanceType<typeof DatabaseUnavailableError> | null {
	const e = error as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown } | null;
	// Directus retries a busy SQLite transaction, then throws "Transaction failed after 4 attempts" with the cause
	const fromCause = e?.cause && depth < 3 ? unavailable(e.cause, depth + 1) : null;
	if (fromCause) return fromCause;
	const name = String(e?.name ?? '');
	const code = String(e?.code ?? '');
	const message = String(e?.message ?? '');
	if (name === 'KnexTimeoutError' || /Timeout acquiring a connection/i.test(message)) return new DatabaseUnavailableError({ reason: 'no database connection was free in time' });
	if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || /SQLITE_BUSY|database is locked/i.test(message)) return new DatabaseUnavailableError({ reason: 'the database is locked by another writer' });
	// PostgreSQL: query_canceled (statement_timeout), lock_not_available (lock_timeout), idle-in-transaction timeout
	if (code === '57014' || code === '55P03' || code === '25P03') return new DatabaseUnavailableError({ reason: 'a statement timed out' });
	if (/ETIMEDOUT|ECONNREFUSED|Connection terminated/i.test(code + ' ' + message)) return new DatabaseUnavailableError({ reason: 'the database connection failed' });
	return null;
}
