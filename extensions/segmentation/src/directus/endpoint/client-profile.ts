// /segmentation/clients/:id/profile: what the panel on the client card shows, in one answer — the RFM cell and the
// scheme that explains it, named segment, lifecycle stage, value tier, next purchase due / sleeping, Listmonk status,
// the segments the client is in (since when) and the interest tags (with expiry).
// Needs read on the mapped client collection (else 403). The segments part needs read on the segments and their
// members, the tags part read on the tags and the client tags: a caller without them gets the rest, with that part
// null (the panel says it is not shown), never a 403 for the whole card.
import type { Router } from 'express';
import { createError } from '@directus/errors';
import { z } from 'zod';
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import { DEFAULT_ENGINE_SETTINGS, engineSettingsFromRow, levelsOf } from '../../core/engine-settings.ts';
import { readClientProfile } from '../../store/client-profile.ts';
import { assertAccess, need, type Accountability } from '../access.ts';
import type { DirectusContext } from '../context.ts';
import { MissingPermissionError } from '../errors.ts';
import { readSettingsRow, requireMapping } from '../settings.ts';
import { parse, type Route } from './route.ts';

export const NotFoundClientError = createError<{ id: string }>('ROUTE_NOT_FOUND', (ext) => `Client ${ext.id} does not exist.`, 404);

const idParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

/** Whether the caller may read all these collections (Directus's own permissions; admins may). A database that did
 *  not answer is still a 503. */
async function mayRead(ctx: DirectusContext, accountability: Accountability | undefined, collections: string[]): Promise<boolean> {
	try {
		await assertAccess(ctx, accountability, need('read', ...collections));
		return true;
	} catch (error) {
		if (error instanceof MissingPermissionError) return false;
		throw error;
	}
}

export function mountClientProfileRoutes(router: Router, ctx: DirectusContext, route: Route): void {
	const readClients = async () => need('read', (await requireMapping(ctx)).client_collection);
	router.get(
		'/clients/:id/profile',
		route(readClients, async (req) => {
			const { id } = parse(idParam, req.params, 'id');
			const [mapping, settingsRow, schema] = await Promise.all([requireMapping(ctx), readSettingsRow(ctx.database), ctx.getSchema()]);
			const primary = schema.collections[mapping.client_collection]?.primary ?? 'id';
			const [segments, tags] = await Promise.all([
				mayRead(ctx, req.accountability, [SEGMENT_NAMES.segments, SEGMENT_NAMES.members]),
				mayRead(ctx, req.accountability, [SEGMENT_NAMES.tags, SEGMENT_NAMES.clientTags]),
			]);
			const profile = await readClientProfile(ctx.database, mapping, { primary, id, segments, tags });
			if (!profile) throw new NotFoundClientError({ id: String(id) });
			const engine = engineSettingsFromRow(settingsRow);
			const settings = engine.ok ? engine.settings : DEFAULT_ENGINE_SETTINGS;
			return { data: { ...profile, scheme: { name: settings.rfm_scheme, levels: levelsOf(settings) } } };
		}),
	);
}
