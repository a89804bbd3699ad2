// Hook entry: installs the schema at start-up, guards settings and segment saves, feeds client, deal, item and tag
// changes to the change queue (after commit), and runs the scheduled recompute once per cluster.
import { defineHook } from '@directus/extensions-sdk';
import type { Knex } from 'knex';
import { SEGMENT_NAMES, SETTINGS_COLLECTION } from '../../core/base-names.ts';
import type { DirectusContext } from '../context.ts';
import { engineRuntime } from '../engine/runtime.ts';
import { scheduledTick } from '../engine/schedule.ts';
import { install } from '../install/install.ts';
import { currentMapping, forgetMapping } from '../mapping-cache.ts';
import { validateSettingsPayload } from '../settings.ts';
import { installState } from '../state.ts';
import { RecomputeBusyError } from '../../store/recompute.ts';
import { ChangeTracker } from './change-tracking.ts';
import { SegmentGuards } from './segment-guards.ts';

type Meta = Record<string, unknown> & { collection?: string; key?: unknown; keys?: unknown[]; payload?: Record<string, unknown> };
/** A filter's event context: its database is the saving transaction, which filter-time reads must use. */
type EventContext = { database?: Knex } | undefined;

export default defineHook(({ init, filter, action, schedule }, hookContext) => {
	const ctx = hookContext as unknown as DirectusContext;
	const engine = engineRuntime(ctx);

	init('app.after', async () => {
		const started = Date.now();
		try {
			installState.report = await install(ctx);
			installState.error = null;
			const { registered, schemaVersion } = installState.report;
			ctx.logger.info(`[segmentation] schema v${schemaVersion} ready in ${Date.now() - started} ms${registered.length ? `; registered ${registered.join(', ')}` : ''}`);
		} catch (error) {
			installState.error = error instanceof Error ? error.message : String(error);
			ctx.logger.error(`[segmentation] install failed: ${installState.error}`);
			return;
		}
		// a base that was never scored (new install, demo data) gets its first full run in the background (which
		// also tags clients from the purchases already there and fills the active segments)
		// (another instance may hold the lock, or a stopped one's lease may still run: try again a few times)
		const firstRun = async (attempt: number): Promise<void> => {
			try {
				if (!(await engine.hasCutoffs())) await engine.recompute('startup');
			} catch (error) {
				if (!(error instanceof RecomputeBusyError) || attempt >= 10) {
					ctx.logger.warn(`[segmentation] startup recompute skipped: ${(error as Error).message}`);
					return;
				}
				setTimeout(() => void firstRun(attempt + 1), 30_000);
			}
		};
		setTimeout(() => void firstRun(1), 0);
	});

	// A deal created without a creation date gets the save time (a column default would store SQLite dates as
	// text next to Directus's epoch milliseconds; imports keep the dates they bring).
	filter('items.create', async (payload: Record<string, unknown>, meta: Meta, event: EventContext) => {
		const mapping = await currentMapping(ctx, event?.database);
		if (mapping && meta.collection === mapping.deal_collection && payload[mapping.deal_created_field] == null) {
			return { ...payload, [mapping.deal_created_field]: new Date().toISOString() };
		}
		return payload;
	});

	const guard = async (payload: Record<string, unknown>, _meta: Meta, event: EventContext) => {
		const checked = await validateSettingsPayload(ctx, payload, event?.database);
		forgetMapping();
		return checked;
	};
	filter(`${SETTINGS_COLLECTION}.items.create`, guard);
	filter(`${SETTINGS_COLLECTION}.items.update`, guard);

	// ── the change pipeline: which clients a change touches (deals, items, clients, client tags) ───────────
	const tracker = new ChangeTracker(engine.queue);
	const segmentGuards = new SegmentGuards(ctx, engine);

	filter('items.create', async (payload: Record<string, unknown>, meta: Meta, event: EventContext) => {
		if (meta.collection === SEGMENT_NAMES.segments) return segmentGuards.checkSegment(payload, null, event?.database ?? ctx.database);
		if (meta.collection === SEGMENT_NAMES.members) return segmentGuards.checkMemberCreate(payload, event?.database ?? ctx.database);
		if (meta.collection === SEGMENT_NAMES.clientTags) return { source: 'manual', ...payload, added_at: new Date().toISOString() };
		return payload;
	});
	filter('items.update', async (payload: Record<string, unknown>, meta: Meta, event: EventContext) => {
		const knex = event?.database ?? ctx.database;
		if (meta.collection === SEGMENT_NAMES.segments) return segmentGuards.checkSegment(payload, meta.keys ?? [], knex);
		if (meta.collection === SEGMENT_NAMES.members) await segmentGuards.noteMembers(meta.keys ?? [], knex, true);
		const mapping = await currentMapping(ctx, knex);
		if (mapping) await tracker.noteBefore(knex, mapping, meta.collection, meta.keys).catch(() => undefined);
		return payload;
	});
	filter('items.delete', async (keys: unknown, meta: Meta, event: EventContext) => {
		const knex = event?.database ?? ctx.database;
		if (meta.collection === SEGMENT_NAMES.members) await segmentGuards.noteMembers(keys as unknown[], knex, true);
		const mapping = await currentMapping(ctx, knex);
		if (mapping && meta.collection === mapping.client_collection) await segmentGuards.beforeClientsDeleted(keys as unknown[], knex);
		if (mapping) await tracker.noteBefore(knex, mapping, meta.collection, keys as unknown[]).catch(() => undefined);
		return keys;
	});

	const after = (event: 'create' | 'update' | 'delete') => async (meta: Meta) => {
		const keys = event === 'create' ? [meta.key] : (meta.keys ?? []);
		try {
			if (meta.collection === SEGMENT_NAMES.segments) return segmentGuards.afterSegmentSaved(event, keys, meta.payload);
			if (meta.collection === SEGMENT_NAMES.members && event !== 'update') return await segmentGuards.afterMembers(event, keys);
			const mapping = await currentMapping(ctx);
			if (mapping) await tracker.after(ctx.database, mapping, event, meta.collection, keys);
		} catch (error) {
			ctx.logger.error(`[segmentation] after ${meta.collection} ${event}: ${(error as Error).message}`);
		}
	};
	action('items.create', after('create'));
	action('items.update', after('update'));
	action('items.delete', after('delete'));

	// ── the daily recompute: every minute, is it time by the marketer's cron? once per cluster ──────────
	schedule('* * * * *', () => scheduledTick(ctx, engine).catch((e: Error) => ctx.logger.error(`[segmentation] scheduled recompute failed: ${e.message}`)));
});
