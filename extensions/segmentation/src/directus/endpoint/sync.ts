// /segmentation/sync*: the Listmonk sync's state and a reconcile on demand (all synced segments, or one). Reading
// the state needs read on segments; a reconcile changes the segments' sync fields and their Listmonk lists: update
// on segments. Without Listmonk configured, every route says so (503) — except the status, which reports it.
import type { Router } from 'express';
import { z } from 'zod';
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import { ListmonkError } from '../../listmonk/errors.ts';
import { need } from '../access.ts';
import { InvalidRequestError, InvalidSegmentError, ListmonkNotConfiguredError, ListmonkUnavailableError, NotFoundSegmentError, SyncBusyHttpError } from '../errors.ts';
import type { SyncRunner } from '../sync/sync-runner.ts';
import type { DirectusContext } from '../context.ts';
import type { Route } from './route.ts';

const READ_SEGMENTS = need('read', SEGMENT_NAMES.segments);
const SYNC_WRITES = need('update', SEGMENT_NAMES.segments);
const idParam = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });

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

	router.post('/sync', route(SYNC_WRITES, async () => reconcile(null)));

	router.post(
		'/segments/:id/sync',
		route(SYNC_WRITES, async (req) => {
			const parsed = idParam.safeParse(req.params);
			if (!parsed.success) throw new InvalidRequestError({ errors: parsed.error.issues.map((i) => `${i.path.join('.') || 'id'}: ${i.message}`) });
			const row = await ctx.database(SEGMENT_NAMES.segments).where({ id: parsed.data.id }).first('id', 'listmonk_sync');
			if (!row) throw new NotFoundSegmentError({ id: String(parsed.data.id) });
			if (!(row.listmonk_sync === true || row.listmonk_sync === 1)) throw new InvalidSegmentError({ errors: ['listmonk_sync: switch the sync on for this segment first'] });
			return reconcile([parsed.data.id]);
		}),
	);
}
