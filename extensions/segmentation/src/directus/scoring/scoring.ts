// Scoring inside Directus: the checked mapping and validated settings for a run, and the full recompute (once per
// cluster, under the recompute lease) followed by clearing Directus's data cache.
import { engineSettingsFromRow, type EngineSettings } from '../../core/engine-settings.ts';
import type { Cutoffs } from '../../core/engine.ts';
import { checkMapping, mappingFromRow, type Mapping } from '../../core/mapping.ts';
import { LeaseBusyError, type Leases } from '../../store/lease.ts';
import { judgeAllDealCodes } from '../../store/promo-codes.ts';
import { cutoffsOfRun, RECOMPUTE_LEASE, runFullRecompute, type RunRecord } from '../../store/recompute.ts';
import type { EngineScope } from '../../store/scores.ts';
import type { Knex } from 'knex';
import type { DirectusContext, SchemaOverview } from '../context.ts';
import { clearDataCache } from '../data-cache.ts';
import { InvalidEngineSettingsError, InvalidMappingError } from '../errors.ts';
import { readSettingsRow } from '../settings.ts';

export class Scoring {
	private readonly ctx: DirectusContext;
	private readonly leases: Leases;
	/** The last checked mapping and validated settings, reused while the settings row and the schema are the same
	 *  (the change pipeline asks before every batch: checking costs more than the batch's own statements). */
	private checked: { schema: object; row: string; mapping: Mapping; settings: EngineSettings } | null = null;
	/** The last full run's cut-offs, by run id (they change only with a new full run). */
	private cutoffs: { runId: number; value: { runId: number; cutoffs: Cutoffs } | null } | null = null;

	constructor(ctx: DirectusContext, leases: Leases) {
		this.ctx = ctx;
		this.leases = leases;
	}

	/** Mapping (checked against the live schema) and engine settings (validated) for a run as of this instant.
	 *  `knex`, `schema` and `row`: a change batch's transaction, the schema read before it opened and the settings
	 *  row read as it opened. */
	async scope(asOfMs: number, knex: Knex = this.ctx.database, schema?: SchemaOverview, row?: Record<string, unknown>): Promise<EngineScope> {
		row ??= await readSettingsRow(knex);
		schema ??= await this.ctx.getSchema();
		const key = JSON.stringify(row);
		if (this.checked?.schema !== schema || this.checked.row !== key) {
			const check = checkMapping(mappingFromRow(row), schema);
			if (!check.ok) throw new InvalidMappingError({ errors: check.errors });
			const settings = engineSettingsFromRow(row);
			if (!settings.ok) throw new InvalidEngineSettingsError({ errors: settings.errors });
			this.checked = { schema, row: key, mapping: check.mapping, settings: settings.settings };
		}
		return { knex, mapping: this.checked.mapping, settings: this.checked.settings, asOfMs };
	}

	/** The whole base, set-based; RecomputeBusyError while another instance runs one. */
	async recompute(trigger: string, asOfMs: number): Promise<RunRecord> {
		const scope = await this.scope(asOfMs);
		const run = await runFullRecompute({ ...scope, trigger, instance: this.leases.instance, leases: this.leases });
		this.ctx.logger.info(`[segmentation] recompute (${trigger}) scored ${run.clients_scored} of ${run.clients_total} clients, changed ${run.rows_changed} rows, skipped ${run.skipped_total} bad deals in ${run.duration_ms} ms`);
		await clearDataCache(this.ctx);
		return run;
	}

	/** The codes on won deals nobody judged yet (written without the change queue): once per cluster, under the
	 *  recompute lease. Null when another instance holds it (that one's pass does the same). */
	async judgeUnjudgedCodes(asOfMs: number): Promise<{ judged: number; redeemed: number; released: number } | null> {
		const scope = await this.scope(asOfMs);
		try {
			const counts = await this.leases.run(RECOMPUTE_LEASE, { waitMs: 0 }, () => judgeAllDealCodes(scope.knex, scope.mapping, asOfMs));
			if (counts.judged || counts.released) this.ctx.logger.info(`[segmentation] promo codes on ${counts.judged} won deals judged (${counts.redeemed} redeemed), ${counts.released} redemptions released`);
			return counts;
		} catch (error) {
			if (error instanceof LeaseBusyError) return null;
			throw error;
		}
	}

	/** The cut-offs of the last successful full run, `runId` (read with the queue's state: one query less per batch). */
	async cutoffsOf(runId: number | null, knex: Knex = this.ctx.database): Promise<{ runId: number; cutoffs: Cutoffs } | null> {
		if (runId === null) return null;
		if (this.cutoffs?.runId !== runId) this.cutoffs = { runId, value: await cutoffsOfRun(knex, runId) };
		return this.cutoffs.value;
	}
}
