// The composition root: every runtime object of the extension, built once per Directus instance and handed to the
// bundle's entries (hook, endpoint, Flow operation), which only route events and requests to it. The pipeline's
// steps are listed here, in order (the Listmonk sync's is the last: a mark for its worker).
import { hostname } from 'node:os';
import { latestCutoffs } from '../store/recompute.ts';
import { requestFullPass } from '../store/change-queue.ts';
import { Leases } from '../store/lease.ts';
import type { DirectusContext } from './context.ts';
import { install, type InstallReport } from './install/install.ts';
import { dailyJob } from './jobs/daily-job.ts';
import { automationsJob } from './jobs/automations-job.ts';
import { AutomationRunner } from './automations/automation-runner.ts';
import { Scheduler } from './jobs/scheduler.ts';
import { MappingCache } from './mapping-cache.ts';
import { ChangePipeline } from './pipeline/change-pipeline.ts';
import { autoTagsStep } from './pipeline/steps/auto-tags.ts';
import { promoCodesStep } from './pipeline/steps/promo-codes.ts';
import { PromoService } from './promo/promo-service.ts';
import { requalifyStep } from './pipeline/steps/requalify.ts';
import { rescoreStep } from './pipeline/steps/rescore.ts';
import { FullPass } from './scoring/full-pass.ts';
import { Scoring } from './scoring/scoring.ts';
import { SegmentService } from './segments/segment-service.ts';
import { listmonkStep } from './pipeline/steps/listmonk.ts';
import { SyncRunner } from './sync/sync-runner.ts';
import { SequenceService } from './sequences/sequence-service.ts';
import { sequenceStatsJob } from './jobs/sequence-stats-job.ts';
import { markAllDirty } from '../store/listmonk-sync.ts';
import { AnalyticsFigures } from './analytics/analytics-figures.ts';

export interface InstallStatus {
	report: InstallReport | null;
	error: string | null;
}

export class Segmentation {
	/** Who holds a lease or ran a job: host, process and a random tag. */
	readonly instance = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
	readonly leases: Leases;
	readonly mapping: MappingCache;
	readonly scoring: Scoring;
	readonly segments: SegmentService;
	readonly fullPass: FullPass;
	readonly pipeline: ChangePipeline;
	readonly scheduler: Scheduler;
	readonly sync: SyncRunner;
	readonly promo: PromoService;
	readonly automations: AutomationRunner;
	readonly sequences: SequenceService;
	readonly figures: AnalyticsFigures;
	readonly installStatus: InstallStatus = { report: null, error: null };

	readonly ctx: DirectusContext;

	constructor(ctx: DirectusContext) {
		this.ctx = ctx;
		this.leases = new Leases(ctx.database, this.instance);
		this.mapping = new MappingCache(ctx.database);
		this.scoring = new Scoring(ctx, this.leases);
		this.sync = new SyncRunner(ctx, this.leases, this.mapping, this.instance);
		this.promo = new PromoService(ctx, this.mapping);
		this.figures = new AnalyticsFigures(ctx);
		// memberships refreshed outside the change pipeline (a full pass, a saved rule, a static fill): the sync
		// looks at every synced segment; the marketer's figures are counted afresh (all of them after a full refresh:
		// the daily run's precompute, what a big base's overview and segment pages show until the next)
		this.segments = new SegmentService(ctx, this.leases, async (full, refreshed) => {
			if (this.sync.configured) {
				await markAllDirty(ctx.database, { attributes: full });
				this.sync.wake('change');
			}
			const counted = await this.figures.precompute(full ? null : refreshed);
			ctx.logger.info(`[segmentation] counted the marketer's figures (${full ? 'the grid, the overview and ' : ''}${counted.segments} segments) in ${counted.duration_ms} ms`);
		});
		this.fullPass = new FullPass(ctx, this.scoring, this.segments);
		this.pipeline = new ChangePipeline(ctx, this.scoring, this.fullPass, this.segments, [rescoreStep, promoCodesStep, autoTagsStep(this.segments), requalifyStep(this.segments), listmonkStep(this.sync)]);
		this.automations = new AutomationRunner(ctx, this.leases, this.mapping, () => this.sync.listmonkClient);
		this.sequences = new SequenceService(ctx, this.mapping, this.segments, this.sync);
		this.scheduler = new Scheduler(ctx, this.leases, [dailyJob(ctx, this.fullPass, this.instance), automationsJob(ctx, this.automations), sequenceStatsJob(this.sequences)]);
	}

	/** At start-up, before the server listens: install (once per cluster), then drain what is queued, catch up a
	 *  missed daily run, and score a base that was never scored (a new install, demo data) in the background. */
	async start(): Promise<void> {
		const { ctx } = this;
		const started = Date.now();
		try {
			this.installStatus.report = await install(ctx, this.leases);
			this.installStatus.error = null;
			const { registered, schemaVersion } = this.installStatus.report;
			ctx.logger.info(`[segmentation] schema v${schemaVersion} ready in ${Date.now() - started} ms${registered.length ? `; registered ${registered.join(', ')}` : ''}`);
		} catch (error) {
			this.installStatus.error = error instanceof Error ? error.message : String(error);
			ctx.logger.error(`[segmentation] install failed: ${this.installStatus.error}`);
			return;
		}
		// never scored: ask for a whole-base pass through the queue (it also tags clients from the purchases already
		// there and fills the active segments; another instance busy with it makes the pipeline retry)
		if (!(await latestCutoffs(ctx.database))) await requestFullPass(ctx.database);
		this.pipeline.start();
		void this.scheduler.tick();
		await this.sync.start();
	}

	async stop(): Promise<void> {
		await Promise.all([this.pipeline.stop(), this.sync.stop()]);
	}
}

// Directus hands each bundle entry its own context object, but one database connection per instance: the root is
// kept per connection, so the entries share it (and two Directus instances in one process would not).
const roots = new WeakMap<object, Segmentation>();

export function segmentationFor(ctx: DirectusContext): Segmentation {
	let root = roots.get(ctx.database);
	if (!root) {
		root = new Segmentation(ctx);
		roots.set(ctx.database, root);
	}
	return root;
}
