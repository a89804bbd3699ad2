// The engine inside Directus: reads the checked mapping and settings, runs full recomputes (then clears Directus's
// data cache), and re-scores changed clients right after their deals are saved. One instance per process, shared
// by the hook, the endpoint and the Flow operation.
import { SETTINGS_COLLECTION } from '../../core/base-names.ts';
import { engineSettingsFromRow } from '../../core/engine-settings.ts';
import { runFullRecompute, latestCutoffs, type RunRecord } from '../../store/recompute.ts';
import type { EngineScope } from '../../store/scores.ts';
import type { DirectusContext } from '../context.ts';
import { InvalidEngineSettingsError } from '../errors.ts';
import { requireMapping } from '../settings.ts';
import { ChangeQueue } from './change-queue.ts';
import { SegmentRuntime, SegmentsBusyError, type RefreshSummary } from '../segments/runtime.ts';
import { INSTANCE_ID } from '../state.ts';


export class EngineRuntime {
	readonly ctx: DirectusContext;
	readonly queue: ChangeQueue;
	readonly segments: SegmentRuntime;

	constructor(ctx: DirectusContext) {
		this.ctx = ctx;
		this.queue = new ChangeQueue(this);
		this.segments = new SegmentRuntime(this);
	}

	/** Mapping (checked against the live schema) and engine settings (validated) for a run as of this instant. */
	async scope(asOfMs: number): Promise<EngineScope> {
		const mapping = await requireMapping(this.ctx);
		const row = (await this.ctx.database(SETTINGS_COLLECTION).first()) ?? {};
		const settings = engineSettingsFromRow(row);
		if (!settings.ok) throw new InvalidEngineSettingsError({ errors: settings.errors });
		return { knex: this.ctx.database, mapping, settings: settings.settings, asOfMs };
	}

	/** A full recompute, then (scores changed everywhere) auto-tag expiry and a refresh of every active segment. */
	async recompute(trigger: string, asOfMs = Date.now()): Promise<RunRecord & { segments: RefreshSummary | { skipped: string } }> {
		const scope = await this.scope(asOfMs);
		const run = await runFullRecompute({ ...scope, trigger, instance: INSTANCE_ID });
		this.ctx.logger.info(`[segmentation] recompute (${trigger}) scored ${run.clients_scored} of ${run.clients_total} clients, changed ${run.rows_changed} rows, skipped ${run.skipped_total} bad deals in ${run.duration_ms} ms`);
		await this.clearDataCache();
		let segments: RefreshSummary | { skipped: string };
		try {
			segments = await this.segments.refresh(null, trigger === 'schedule' ? 'schedule' : 'refresh', asOfMs, 120_000);
			this.ctx.logger.info(`[segmentation] refreshed ${segments.segments.length} segments after the recompute in ${segments.duration_ms} ms`);
		} catch (error) {
			if (!(error instanceof SegmentsBusyError)) throw error;
			segments = { skipped: error.message };
		}
		return { ...run, segments };
	}

	async hasCutoffs(): Promise<boolean> {
		return (await latestCutoffs(this.ctx.database)) !== null;
	}

	/** Our writes bypass the item services, so Directus's data cache (when on) must be told. */
	async clearDataCache(): Promise<void> {
		const enabled = this.ctx.env['CACHE_ENABLED'];
		if (enabled !== true && enabled !== 'true') return;
		const utils = new this.ctx.services.UtilsService({ schema: await this.ctx.getSchema(), accountability: { admin: true, role: null, user: null } });
		await utils.clearCache({ system: false });
	}
}

let runtime: EngineRuntime | null = null;

/** The process-wide engine (created by whichever bundle entry needs it first). */
export function engineRuntime(ctx: DirectusContext): EngineRuntime {
	runtime ??= new EngineRuntime(ctx);
	return runtime;
}
