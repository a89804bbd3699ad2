// Custom endpoints are public in Directus: each one states what it reads and changes, and asks here first. Directus's
// own permission code decides, with the request's accountability — never a proxy such as "may read the settings":
// - read:          an ItemsService read of one key (Directus refuses a collection the caller may not read);
// - update/delete: PermissionsService.getItemPermissions (Directus's validateAccess on the collection);
// - create:        ItemsService.createOne with `preMutationError`: Directus checks the create permission (and the
//                  payload), then throws that error before writing anything — a dry run of the permission check.
// A check that fails for any other reason (a database timeout, a locked SQLite file) is a 503/500, never a 403.
import { isDirectusError } from '@directus/errors';
import type { DirectusContext } from './context.ts';
import { AdminOnlyError, DatabaseUnavailableError, ForbiddenSegmentationError, MissingPermissionError } from './errors.ts';

/** Directus's accountability of a request (passed through to its services as it is). */
export interface Accountability { user?: string | null; role?: string | null; admin?: boolean; [key: string]: unknown }

export type Action = 'create' | 'read' | 'update' | 'delete';
export interface Need { action: Action; collection: string }

/** An endpoint's requirement: the permissions it needs (all of them), or an administrator (saying for what). */
export type Requirement = readonly Need[] | { adminOnly: string };

export const need = (action: Action, ...collections: string[]): Need[] => collections.map((collection) => ({ action, collection }));

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
	try {
		const needs = typeof requirement === 'function' ? await requirement() : requirement;
		if ('adminOnly' in needs) throw new AdminOnlyError({ reason: needs.adminOnly });
		const schema = await ctx.getSchema();
		for (const { action, collection } of needs) {
			if (!(await allowed(ctx, schema, accountability, action, collection))) missing.push(`${action} "${collection}"`);
		}
	} catch (error) {
		throw unavailable(error) ?? error;
	}
	if (missing.length) throw new MissingPermissionError({ missing });
}

/** True when the caller is an administrator (for answers that differ, such as error details). */
export const isAdmin = (accountability: Accountability | null | undefined) => accountability?.admin === true;

async function allowed(ctx: DirectusContext, schema: Awaited<ReturnType<DirectusContext['getSchema']>>, accountability: Accountability, action: Action, collection: string): Promise<boolean> {
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
