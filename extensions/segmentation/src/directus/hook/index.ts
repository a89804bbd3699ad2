// Hook entry: routes Directus's events to the composition root — install and start at boot, guards for settings
// and segment saves, the change tracking that feeds the durable queue (inside the saving transaction), the wake-up
// of the pipeline after the commit, and the scheduler's minute tick.
import { defineHook } from '@directus/extensions-sdk';
import type { Knex } from 'knex';
import { AUTOMATION_NAMES, PROMO_NAMES, SEGMENT_NAMES, SEQUENCE_NAMES, SETTINGS_COLLECTION } from '../../core/base-names.ts';
import type { DirectusContext } from '../context.ts';
import { segmentationFor } from '../segmentation.ts';
import { validateSettingsPayload } from '../settings.ts';
import { ENGINE_SETTING_KEYS } from '../../core/engine-settings.ts';
import { requestFullPass } from '../../store/change-queue.ts';
import { ChangeTracker } from './change-tracking.ts';
import { QueueAtCommit } from './queue-at-commit.ts';
import { checkAutomationSave } from './automation-guards.ts';
import { checkSequenceSave } from './sequence-guards.ts';
import { checkPromoCodeSave } from './promo-guards.ts';
import { SegmentGuards } from './segment-guards.ts';

type Payload = Record<string, unknown>;
type Meta = Payload & { collection?: string; key?: unknown; keys?: unknown[]; payload?: Payload };
/** A filter's event context: its database is the saving transaction, which filter-time reads and writes must use. */
type EventContext = { database?: Knex; accountability?: { user?: string | null; admin?: boolean } | null } | undefined;

export default defineHook(({ init, filter, action, schedule }, hookContext) => {
	const ctx = hookContext as unknown as DirectusContext;
	const root = segmentationFor(ctx);
	const tracker = new ChangeTracker(new QueueAtCommit(ctx.database, ctx.logger));
	const guards = new SegmentGuards(ctx, root.segments, root.mapping, () => root.pipeline.kickRefreshes());
	/** The mapping, once the schema is installed (before that there is no queue to write to). */
	const mapping = (knex?: Knex) => (root.installStatus.report ? root.mapping.current(knex) : Promise.resolve(null));

	init('app.after', () => root.start());

	filter(`${SETTINGS_COLLECTION}.items.create`, (payload: Payload, _meta: Meta, event: EventContext) => guardSettings(payload, event));
	filter(`${SETTINGS_COLLECTION}.items.update`, async (payload: Payload, _meta: Meta, event: EventContext) => {
		const checked = await guardSettings(payload, event);
		// another scheme, cut-off, cycle or tier rule changes every client's figures: the whole base is rescored (queued
		// durably now — an update's filter runs before its transaction — and again after the commit, in case the
		// pipeline took the first request before the new values were there)
		if (root.installStatus.report && (await changesScoring(checked, event?.database ?? ctx.database))) {
			await requestFullPass(event?.database ?? ctx.database);
			rescoreAfterCommit = true;
		}
		return checked;
	});
	action(`${SETTINGS_COLLECTION}.items.update`, async () => {
		if (!rescoreAfterCommit) return;
		rescoreAfterCommit = false;
		try {
			await requestFullPass(ctx.database);
			root.pipeline.kick();
		} catch (error) {
			ctx.logger.error(`[segmentation] after the settings were saved: ${(error as Error).message}`);
		}
	});
	let rescoreAfterCommit = false;
	async function guardSettings(payload: Payload, event: EventContext) {
		const checked = await validateSettingsPayload(ctx, payload, event?.database, event?.accountability ?? null);
		root.mapping.forget();
		return checked;
	}

	filter('items.create', async (payload: Payload, meta: Meta, event: EventContext) => {
		const trx = event?.database ?? ctx.database;
		if (meta.collection === SEGMENT_NAMES.segments) return guards.checkSegment(payload, null, trx);
		if (meta.collection === SEGMENT_NAMES.members) return guards.checkMemberCreate(payload, trx);
		if (meta.collection === PROMO_NAMES.codes) return checkPromoCodeSave(payload, null, trx, event?.accountability?.user ?? null);
		if (meta.collection === AUTOMATION_NAMES.automations) return checkAutomationSave(payload, null, trx);
		if (meta.collection === SEQUENCE_NAMES.sequences) return checkSequenceSave(payload, null, trx);
		const m = await mapping(trx);
		if (!m) return payload;
		let saved = withoutComputedDealFields(m, meta.collection, payload);
		if (meta.collection === SEGMENT_NAMES.clientTags) saved = { source: 'manual', ...payload, added_at: new Date().toISOString() };
		// a deal created without a creation date gets the save time (a column default would store SQLite dates as
		// text next to Directus's epoch milliseconds; imports keep the dates they bring)
		if (meta.collection === m.deal_collection && payload[m.deal_created_field] == null) saved = { ...saved, [m.deal_created_field]: new Date().toISOString() };
		await tracker.beforeCreate(trx, m, meta.collection, saved);
		return saved;
	});
	filter('items.update', async (payload: Payload, meta: Meta, event: EventContext) => {
		const trx = event?.database ?? ctx.database;
		if (meta.collection === SEGMENT_NAMES.segments) return guards.checkSegment(payload, meta.keys ?? [], trx);
		if (meta.collection === SEGMENT_NAMES.members) guards.checkMemberUpdate(payload);
		if (meta.collection === PROMO_NAMES.codes) return checkPromoCodeSave(payload, meta.keys ?? [], trx, event?.accountability?.user ?? null);
		if (meta.collection === AUTOMATION_NAMES.automations) return checkAutomationSave(payload, meta.keys ?? [], trx);
		if (meta.collection === SEQUENCE_NAMES.sequences) return checkSequenceSave(payload, meta.keys ?? [], trx);
		const m = await mapping(trx);
		if (!m) return payload;
		const saved = withoutComputedDealFields(m, meta.collection, payload);
		await tracker.beforeUpdate(trx, m, meta.collection, meta.keys, saved);
		return saved;
	});
	filter('items.delete', async (keys: unknown, meta: Meta, event: EventContext) => {
		const trx = event?.database ?? ctx.database;
		if (meta.collection === SEGMENT_NAMES.members) await guards.noteMembers(keys as unknown[], trx);
		const m = await mapping(trx);
		if (m && meta.collection === m.client_collection) await guards.beforeClientsDeleted(keys as unknown[], trx);
		if (m) await tracker.beforeDelete(trx, m, meta.collection, keys as unknown[]);
		return keys;
	});

	const after = (event: 'create' | 'update' | 'delete') => async (meta: Meta) => {
		const keys = event === 'create' ? [meta.key] : (meta.keys ?? []);
		try {
			if (meta.collection === SEGMENT_NAMES.segments) {
				guards.afterSegmentSaved(event, meta.payload);
				// a sync switched on or off, another list, another leave action: the sync looks at every segment
				if (event === 'delete' || Object.keys(meta.payload ?? {}).some((key) => key.startsWith('listmonk_'))) await root.sync.markEverything();
				return;
			}
			if (meta.collection === SEGMENT_NAMES.members && event !== 'update') {
				// hand-picked members of a static segment: the Listmonk sync owes them a look
				await root.sync.markChanged(await guards.afterMembers(event, keys));
				return;
			}
			const m = await mapping();
			if (m && (await tracker.afterCommit(ctx.database, m, event, meta.collection, keys, meta.payload))) root.pipeline.kick();
		} catch (error) {
			ctx.logger.error(`[segmentation] after ${meta.collection} ${event}: ${(error as Error).message}`);
		}
	};
	action('items.create', after('create'));
	action('items.update', after('update'));
	action('items.delete', after('delete'));

	// the scheduler's minute tick (jobs run once per cluster; a missed one is caught up at start-up)
	schedule('* * * * *', () => (root.installStatus.report ? root.scheduler.tick() : undefined));
});

/** Settings the engine computes with (all but when it runs): a save that changes one rescores the base. */
const RESCORING_SETTINGS = ENGINE_SETTING_KEYS.filter((key) => key !== 'recompute_cron');

async function changesScoring(payload: Payload, knex: Knex): Promise<boolean> {
	const keys = RESCORING_SETTINGS.filter((key) => key in payload);
	if (!keys.length) return false;
	const current = (await knex(SETTINGS_COLLECTION).first(keys)) ?? {};
	// JSON columns come back as text from SQLite, numbers as text from PostgreSQL's numerics: compare values
	const value = (v: unknown): string => {
		if (typeof v !== 'string') return JSON.stringify(v ?? null);
		try {
			return JSON.stringify(JSON.parse(v));
		} catch {
			return JSON.stringify(v);
		}
	};
	const same = (a: unknown, b: unknown) => value(a) === value(b);
	return keys.some((key) => !same(payload[key], current[key]));
}

/** A deal's promo code check (and the code it redeemed) is the extension's verdict: a save can't set it. */
function withoutComputedDealFields(m: { deal_collection: string }, collection: string | undefined, payload: Payload): Payload {
	if (collection !== m.deal_collection || !(PROMO_NAMES.dealCodeStatus in payload || PROMO_NAMES.dealRedeemedCode in payload)) return payload;
	const { [PROMO_NAMES.dealCodeStatus]: _status, [PROMO_NAMES.dealRedeemedCode]: _code, ...rest } = payload;
	return rest;
}
