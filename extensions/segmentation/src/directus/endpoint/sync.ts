// /segmentation/sync*: the Listmonk sync's state and a reconcile on demand (all synced segments, or one). Reading
// the state needs read on segments (its failed items also read on the client collection); a reconcile changes the segments' sync fields and their Listmonk lists: update
// on segments. Without Listmonk configured, every route says so (503) — except the status, which reports it.
import type { Router } from 'express';
import { z } from 'zod';
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import { ListmonkError } from '../../listmonk/errors.ts';
import { need } from '../access.ts';
import { InvalidSegmentError, ListmonkNotConfiguredError, ListmonkUnavailableError, NotFoundSegmentError, SyncBusyHttpError } from '../errors.ts';
import type { SyncRunner } from '../sync/sync-runner.ts';
import type { DirectusContext } from '../context.ts';
import { parse, type Route } from './route.ts';
import { listFailures } from '../../store/listmonk-sync.ts';
import { requireMapping } from '../settings.ts';

const READ_SEGMENTS = need('read', SEGMENT_NAMES.segments);
const SYNC_WRITES = need('update', SEGMENT_NAMES.segments);
const idParam = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });
const failuresQuery = z
	.object({
		limit: z.coerce.number().int().min(1).max(500).default(50),
		offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
	})
	.strict();

export function mountSyncRoutes(router: Router, ctx: DirectusContext, sync: SyncRunner, route: Route): void {
	const reconcile = async (segmentIds: number[] | null) => {
		if (!sync.configured) throw new ListmonkNotConfiguredError({ reason: (sync.availability as { reason: string }).reason });
		try {
			const counts = await sync.reconcile(segmentIds);
			if (!counts) throw new SyncBusyHttpError();
			return { data: counts };
		} catch (error) {
			// Listmonk's own words (never a credential: the client keeps the token out of every message)
			if (error instanceof ListmonkError) throw new ListmonkUnavailableError({ reason: error.message });
			throw error;
		}
	};

	router.get('/sync/status', route(READ_SEGMENTS, async () => ({ data: await sync.status() })));

	// the subscribers whose last attempt failed: their client (name and address: read on the client collection too)
	router.get(
		'/sync/failures',
		route(async () => [...READ_SEGMENTS, ...need('read', (await requireMapping(ctx)).client_collection)], async (req) => {
			const page = parse(failuresQuery, req.query, 'query');
			const { total, items } = await listFailures(ctx.database, await requireMapping(ctx), page);
			return { data: items, meta: { total, ...page } };
		}),
	);

	router.post('/sync', route(SYNC_WRITES, async () => reconcile(null)));

	router.post(
		'/segments/:id/sync',
		route(SYNC_WRITES, async (req) => {
			const { id } = parse(idParam, req.params, 'id');
			const row = await ctx.database(SEGMENT_NAMES.segments).where({ id }).first('id', 'listmonk_sync');
			if (!row) throw new NotFoundSegmentError({ id: String(id) });
			if (!(row.listmonk_sync === true || row.listmonk_sync === 1)) throw new InvalidSegmentError({ errors: ['listmonk_sync: switch the sync on for this segment first'] });
			return reconcile([id]);
		}),
	);
}
