// Cluster-wide jobs on cron expressions (cron-parser, UTC): every instance ticks each minute and at start-up; a job
// runs when its latest due time is after the one it last ran for — so a run missed while no instance was up is
// caught up once when one starts — under the job's lease, once per cluster. A failed run is recorded and waits for
// its next due time; a run cut short by a crash is run again (its due time was never marked done).
import { latestDue } from '../../core/cron.ts';
import { initJob, markJobFinished, markJobStarted, readJob } from '../../store/jobs.ts';
import { LeaseBusyError, type Leases } from '../../store/lease.ts';
import type { DirectusContext } from '../context.ts';

export interface Job {
	readonly name: string;
	/** The job's cron expression now (settings may change it at any time), or null when it is switched off. */
	cron(): Promise<string | null>;
	/** Runs the job for a due time; 'skipped' when there was nothing it could do (recorded as such). */
	run(dueAt: Date): Promise<'succeeded' | 'skipped'>;
}

export class Scheduler {
	private readonly badCron = new Map<string, string>();

	private readonly ctx: DirectusContext;
	private readonly leases: Leases;
	readonly jobs: readonly Job[];

	constructor(ctx: DirectusContext, leases: Leases, jobs: readonly Job[]) {
		this.ctx = ctx;
		this.leases = leases;
		this.jobs = jobs;
	}

	/** Runs every job that is due (the minute tick and the start-up catch-up). */
	async tick(now = new Date()): Promise<void> {
		for (const job of this.jobs) {
			try {
				await this.tickJob(job, now);
			} catch (error) {
				this.ctx.logger.error(`[segmentation] job ${job.name} failed: ${(error as Error).message}`);
			}
		}
	}

	private async tickJob(job: Job, now: Date): Promise<void> {
		const expr = (await job.cron())?.trim();
		if (!expr) return;
		let due: number;
		try {
			due = latestDue(expr, now).getTime();
			this.badCron.delete(job.name);
		} catch (error) {
			// say it once per bad value, not every minute
			if (this.badCron.get(job.name) !== expr) this.ctx.logger.warn(`[segmentation] job ${job.name} not scheduled: ${(error as Error).message}`);
			this.badCron.set(job.name, expr);
			return;
		}
		const knex = this.ctx.database;
		const state = await readJob(knex, job.name);
		if (!state) return initJob(knex, job.name, due);
		if (state.last_due_at >= due) return;
		try {
			await this.leases.run(`job:${job.name}`, { waitMs: 0 }, async () => {
				// another instance may have run it between our read and our lease
				if (((await readJob(knex, job.name))?.last_due_at ?? 0) >= due) return;
				await markJobStarted(knex, job.name, Date.now());
				try {
					const status = await job.run(new Date(due));
					await markJobFinished(knex, job.name, due, status, null);
				} catch (error) {
					await markJobFinished(knex, job.name, due, 'failed', (error as Error).message);
					throw error;
				}
			});
		} catch (error) {
			if (!(error instanceof LeaseBusyError)) throw error; // busy: another instance is running it
		}
	}
}
