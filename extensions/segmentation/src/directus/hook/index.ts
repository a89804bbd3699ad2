// Hook entry: installs the schema at start-up, guards settings saves, feeds deal and client changes to the engine's
// re-scoring queue (after commit), and runs the scheduled recompute once per cluster.
import { defineHook } from '@directus/extensions-sdk';
import type { Knex } from 'knex';
import { SETTINGS_COLLECTION } from '../../core/base-names.ts';
import type { DirectusContext } from '../context.ts';
import { engineRuntime } from '../engine/runtime.ts';
import { scheduledTick } from '../engine/schedule.ts';
import { install } from '../install/install.ts';
import { currentMapping, forgetMapping } from '../mapping-cache.ts';
import { validateSettingsPayload } from '../settings.ts';
import { installState } from '../state.ts';

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
		// a base that was never scored (new install, demo data) gets its first full run in the background
		setTimeout(() => {
			engine
				.hasCutoffs()
				.then((has) => (has ? null : engine.recompute('startup')))
				.catch((e: Error) => ctx.logger.warn(`[segmentation] startup recompute skipped: ${e.message}`));
		}, 0);
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

	// ── incremental re-scoring: which clients a change touches ──────────────────────────────────────────
	// Before an update or delete the deals' current clients are noted (a deal may move or vanish); after the
	// commit they and the new owners are queued. Keyed by the change's keys, so concurrent saves don't mix.
	// (a save that fails never reaches its action: entries older than a minute are dropped so none pile up)
	const ownersBefore = new Map<string, { owners: number[]; at: number }>();
	const noteOwners = async (keys: unknown[] | undefined, collection: string | undefined, knex: Knex = ctx.database) => {
		const mapping = await currentMapping(ctx, knex);
		if (!mapping || collection !== mapping.deal_collection || !keys?.length) return;
		const rows = await knex(mapping.deal_collection).whereIn('id', keys as number[]).whereNotNull(mapping.deal_client_field).distinct(`${mapping.deal_client_field} as client`);
		const now = Date.now();
		for (const [key, entry] of ownersBefore) if (now - entry.at > 60_000) ownersBefore.delete(key);
		ownersBefore.set(`${collection}:${JSON.stringify(keys)}`, { owners: rows.map((r) => Number(r.client)), at: now });
	};
	const takeOwners = (collection: string | undefined, keys: unknown[] | undefined) => {
		const key = `${collection}:${JSON.stringify(keys)}`;
		const owners = ownersBefore.get(key)?.owners ?? [];
		ownersBefore.delete(key);
		return owners;
	};

	filter('items.update', async (payload: unknown, meta: Meta, event: EventContext) => {
		await noteOwners(meta.keys, meta.collection, event?.database).catch(() => undefined);
		return payload;
	});
	filter('items.delete', async (keys: unknown, meta: Meta, event: EventContext) => {
		await noteOwners(keys as unknown[], meta.collection, event?.database).catch(() => undefined);
		return keys;
	});

	action('items.create', async (meta: Meta) => {
		const mapping = await currentMapping(ctx);
		if (!mapping) return;
		if (meta.collection === mapping.deal_collection) {
			const client = meta.payload?.[mapping.deal_client_field];
			if (typeof client === 'number' || typeof client === 'string') engine.queue.enqueueClients([client]);
			else engine.queue.enqueueDeals([meta.key]);
		} else if (meta.collection === mapping.client_collection) engine.queue.enqueueClients([meta.key]);
	});
	action('items.update', async (meta: Meta) => {
		const mapping = await currentMapping(ctx);
		if (!mapping) return;
		if (meta.collection === mapping.deal_collection) {
			engine.queue.enqueueClients(takeOwners(meta.collection, meta.keys));
			engine.queue.enqueueDeals(meta.keys ?? []);
		} else if (meta.collection === mapping.client_collection && mapping.client_difficult_field && meta.payload && mapping.client_difficult_field in meta.payload) {
			engine.queue.enqueueClients(meta.keys ?? []);
		}
	});
	action('items.delete', async (meta: Meta) => {
		const mapping = await currentMapping(ctx);
		if (mapping && meta.collection === mapping.deal_collection) engine.queue.enqueueClients(takeOwners(meta.collection, meta.keys));
	});

	// ── the daily recompute: every minute, is it time by the marketer's cron? once per cluster ──────────
	schedule('* * * * *', () => scheduledTick(ctx, engine).catch((e: Error) => ctx.logger.error(`[segmentation] scheduled recompute failed: ${e.message}`)));
});
