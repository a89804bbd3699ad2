// Scoring inside Directus: the checked mapping and validated settings for a run, and the full recompute (once per
// cluster, under the recompute lease) followed by clearing Directus's data cache.
import { SETTINGS_COLLECTION } from '../../core/base-names.ts';
import { engineSettingsFromRow } from '../../core/engine-settings.ts';
import type { Leases } from '../../store/lease.ts';
import { latestCutoffs, runFullRecompute, type RunRecord } from '../../store/recompute.ts';
import type { EngineScope } from '../../store/scores.ts';
import type { DirectusContext } from '../context.ts';
import { clearDataCache } from '../data-cache.ts';
import { InvalidEngineSettingsError } from '../errors.ts';
import { requireMapping } from '../settings.ts';

export class Scoring {
	private readonly ctx: DirectusContext;
	private readonly leases: Leases;

	constructor(ctx: DirectusContext, leases: Leases) {
		this.ctx = ctx;
		this.leases = leases;
	}

	/** Mapping (checked against the live schema) and engine settings (validated) for a run as of this instant. */
	async scope(asOfMs: number): Promise<EngineScope> {
		const mapping = await requireMapping(this.ctx);
		const row = (await this.ctx.database(SETTINGS_COLLECTION).first()) ?? {};
		const settings = engineSettingsFromRow(row);
		if (!settings.ok) throw new InvalidEngineSettingsError({ errors: settings.errors });
		return { knex: this.ctx.database, mapping, settings: settings.settings, asOfMs };
	}

	/** The whole base, set-based; RecomputeBusyError while another instance runs one. */
	async recompute(trigger: string, asOfMs: number): Promise<RunRecord> {
		const scope = await this.scope(asOfMs);
		const run = await runFullRecompute({ ...scope, trigger, instance: this.leases.instance, leases: this.leases });
		this.ctx.logger.info(`[segmentation] recompute (${trigger}) scored ${run.clients_scored} of ${run.clients_total} clients, changed ${run.rows_changed} rows, skipped ${run.skipped_total} bad deals in ${run.duration_ms} ms`);
		await clearDataCache(this.ctx);
		return run;
	}

	async lastCutoffs() {
		return latestCutoffs(this.ctx.database);
	}
}
