// Flow operation "Recompute client" (API side): re-scores and re-qualifies chosen clients now, through the same path
// a save takes — their rows in the durable change queue, drained by the change pipeline — and waits until those rows
// are processed (bounded by a timeout). $last gets their fresh computed fields and segments. A change written around
// Directus (SQL, an import) is picked up this way without a full recompute.
import { setTimeout as sleep } from 'node:timers/promises';
import { defineOperationApi } from '@directus/extensions-sdk';
import { z } from 'zod';
import { MAX_ATTEMPTS } from '../../store/change-queue.ts';
import { computedFields, enqueueTracked, rowsStillQueued, type ComputedFields } from '../../store/flow-operations.ts';
import type { DirectusContext } from '../context.ts';
import { segmentationFor } from '../segmentation.ts';
import { requireMapping } from '../settings.ts';
import { assertMayReadClients, clientIds, missingClients, parseOptions } from './options.ts';

const DEFAULT_TIMEOUT_S = 60;
const MAX_TIMEOUT_S = 600;
/** How often the queue is looked at while waiting (one indexed COUNT). */
const POLL_MS = 100;

export const recomputeClientOptions = z.object({
	clients: clientIds,
	timeout_seconds: z.preprocess(
		(v) => (v === undefined || v === null || v === '' ? DEFAULT_TIMEOUT_S : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v),
		z
			.number({ error: (issue) => `${JSON.stringify(issue.input)} is not a number of seconds` })
			.positive('must be more than 0')
			.max(MAX_TIMEOUT_S, `at most ${MAX_TIMEOUT_S} seconds`),
	),
});

export type RecomputeClientOptions = z.input<typeof recomputeClientOptions>;

export default defineOperationApi<RecomputeClientOptions>({
	id: 'segmentation-recompute-client',
	handler: async (options, operationContext): Promise<{ clients: ComputedFields[] }> => {
		const ctx = operationContext as unknown as DirectusContext;
		const o = parseOptions(recomputeClientOptions, options);
		const m = await requireMapping(ctx);
		await assertMayReadClients(ctx, operationContext, m);
		const before = await computedFields(ctx.database, m, o.clients);
		const missing = missingClients(o.clients, before);
		if (missing) throw missing;
		const rowIds = await enqueueTracked(ctx.database, o.clients);
		const root = segmentationFor(ctx);
		root.pipeline.kick();
		const deadline = Date.now() + o.timeout_seconds * 1000;
		let state = await rowsStillQueued(ctx.database, rowIds);
		let attempts = state.attempts;
		while (state.waiting > 0) {
			if (Date.now() >= deadline) {
				const failing = state.attempts > 0 ? `; processing them failed ${state.attempts} time(s) so far (see the Directus log)` : '';
				throw new Error(
					`the clients were not recomputed within ${o.timeout_seconds} s${failing}: the change queue may be busy, paused (SEGMENTATION_CHANGES_PAUSED) or failing — see GET /segmentation/status. They stay queued and are processed later.`,
				);
			}
			await sleep(POLL_MS);
			state = await rowsStillQueued(ctx.database, rowIds);
			attempts = Math.max(attempts, state.attempts);
		}
		// rows that fail their last allowed attempt are dropped, not processed: the fields may be stale
		if (attempts >= MAX_ATTEMPTS - 1) throw new Error(`recomputing the clients failed ${attempts} times (see the Directus log) and the last try may have given up on them; the next full recompute repairs them`);
		return { clients: await computedFields(ctx.database, m, o.clients) };
	},
});
