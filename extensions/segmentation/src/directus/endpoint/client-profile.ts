// /segmentation/clients/:id/profile: what the panel on the client card shows, in one answer — the RFM cell and the
// scheme that explains it, named segment, lifecycle stage, value tier, next purchase due / sleeping, Listmonk status,
// the segments the client is in (since when) and the interest tags (with expiry).
// Needs read on the mapped client collection (else 403), and on THIS client: the profile is read with our own SQL, so
// Directus is first asked for the client's key with the caller's accountability (its item filter applies, e.g.
// `owner = $CURRENT_USER`); a client it does not return answers 404, the same answer as a missing client. 404 rather
// than 403: a 403 would tell a caller who may not see the client that it exists (Directus itself answers a forbidden
// and a missing item alike). Admins skip that read. A client field the caller may not read (their permissions' field
// lists) is null in the answer, as Directus would not show it.
// The segments part needs read on every segment and every member (no item filter: the list shows the client's
// segments and when they entered, which a caller limited to some segments or members must not get), the tags part
// read on every tag and client tag: a caller without them, or limited by an item filter there, gets the rest, with
// that part null (the panel says it is not shown), never a 403 for the whole card.
import type { Router } from 'express';
import { createError } from '@directus/errors';
import { z } from 'zod';
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import { DEFAULT_ENGINE_SETTINGS, engineSettingsFromRow, levelsOf } from '../../core/engine-settings.ts';
import { readClientProfile, withoutUnreadableFields } from '../../store/client-profile.ts';
import { assertAccess, isAdmin, need, needWhole, readableFields, type Accountability, type Need } from '../access.ts';
import type { DirectusContext } from '../context.ts';
import { MissingPermissionError, PartialReadError } from '../errors.ts';
import { readSettingsRow, requireMapping } from '../settings.ts';
import { parse, type Route } from './route.ts';

export const NotFoundClientError = createError<{ id: string }>('ROUTE_NOT_FOUND', (ext) => `Client ${ext.id} does not exist.`, 404);

const idParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

/** Whether the caller may read every item of these collections (Directus's own permissions; admins may). A database
 *  that did not answer is still a 503. */
async function mayReadAll(ctx: DirectusContext, accountability: Accountability | undefined, collections: string[]): Promise<boolean> {
	try {
		await assertAccess(ctx, accountability, collections.flatMap((c): Need[] => needWhole(c)));
		return true;
	} catch (error) {
		if (error instanceof MissingPermissionError || error instanceof PartialReadError) return false;
		throw error;
	}
}

/** Whether Directus lets the caller read this client (its item filter applied): asked through its ItemsService with
 *  the request's accountability. */
async function mayReadClient(ctx: DirectusContext, accountability: Accountability | undefined, schema: Awaited<ReturnType<DirectusContext['getSchema']>>, collection: string, primary: string, id: number): Promise<boolean> {
	if (isAdmin(accountability)) return true;
	const items = new ctx.services.ItemsService(collection, { schema, accountability, knex: ctx.database });
	const rows = (await items.readByQuery({ fields: [primary], filter: { [primary]: { _eq: id } }, limit: 1 })) as unknown[];
	return rows.length > 0;
}

export function mountClientProfileRoutes(router: Router, ctx: DirectusContext, route: Route): void {
	const readClients = async () => need('read', (await requireMapping(ctx)).client_collection);
	router.get(
		'/clients/:id/profile',
		route(readClients, async (req) => {
			const { id } = parse(idParam, req.params, 'id');
			const [mapping, settingsRow, schema] = await Promise.all([requireMapping(ctx), readSettingsRow(ctx.database), ctx.getSchema()]);
			const primary = schema.collections[mapping.client_collection]?.primary ?? 'id';
			// a client the caller may not read is, to them, a client that does not exist
			if (!(await mayReadClient(ctx, req.accountability, schema, mapping.client_collection, primary, id))) throw new NotFoundClientError({ id: String(id) });
			const [segments, tags, fields] = await Promise.all([
				mayReadAll(ctx, req.accountability, [SEGMENT_NAMES.segments, SEGMENT_NAMES.members]),
				mayReadAll(ctx, req.accountability, [SEGMENT_NAMES.tags, SEGMENT_NAMES.clientTags]),
				readableFields(ctx, req.accountability, mapping.client_collection),
			]);
			const read = await readClientProfile(ctx.database, mapping, { primary, id, segments, tags });
			if (!read) throw new NotFoundClientError({ id: String(id) });
			const profile = withoutUnreadableFields(read, mapping, fields);
			const engine = engineSettingsFromRow(settingsRow);
			const settings = engine.ok ? engine.settings : DEFAULT_ENGINE_SETTINGS;
			return { data: { ...profile, scheme: { name: settings.rfm_scheme, levels: levelsOf(settings) } } };
		}),
	);
}
