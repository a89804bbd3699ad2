// The change pipeline: drains the durable change queue (store/change-queue.ts) through an ordered list of steps —
// re-score → auto tags → re-qualify (→ the Listmonk sync next) — in coalesced, set-based batches, each in one
// transaction that also removes its queue rows. Woken right after a save commits (a 2 ms debounce coalesces a
// burst), at start-up (what a crash or restart left), and by a cheap poll every few seconds (changes queued by
// another instance or by a writer outside Directus). A whole-base request, or a first change before any full run
// exists, runs the full pass instead. Refreshes that segment saves owe (a flag committed with the save) are served
// first.
import type { Knex } from 'knex';
import { claimBatch, deferFailed, deleteRows, hasDueChanges, startBatch, queueStats, visibleRows, type QueueRows, type QueueStats } from '../../store/change-queue.ts';
import { RecomputeBusyError } from '../../store/recompute.ts';
import type { DirectusContext } from '../context.ts';
import type { FullPass } from '../scoring/full-pass.ts';
import type { Scoring } from '../scoring/scoring.ts';
import type { SegmentService } from '../segments/segment-service.ts';
import { readSettingsRow } from '../settings.ts';
import type { PipelineStep } from './step.ts';

const DEBOUNCE_MS = 2;
const POLL_MS = 2000;
/** Queue rows per batch (one transaction; a client queued twice counts once). */
const BATCH_ROWS = 5000;
/** More rows than this waiting (an import, a seed): one full pass instead of many batches. */
const FULL_PASS_ROWS = 50_000;
/** One statement of a change batch may run this long (PostgreSQL cancels it: the batch is retried, its segments
 *  then each on their own, and the one that is too slow is paused). */
const STATEMENT_BUDGET_MS = 60_000;

/** Thrown inside a batch's transaction to roll its claim back when a full pass is due instead. */
class FullPassDue extends Error {
	readonly outcome: 'first-run' | 'queue';
	constructor(outcome: 'first-run' | 'queue') {
		super(`a full pass is due (${outcome})`);
		this.outcome = outcome;
	}
}

export class ChangePipeline {
	private timer: ReturnType<typeof setTimeout> | null = null;
	private poller: ReturnType<typeof setInterval> | null = null;
	private draining: Promise<void> | null = null;
	/** A kick arrived while a drain ran: drain again when it ends (its last claim may have missed the new rows). */
	private kicked = false;
	/** Not started yet, paused, or stopped: nothing is drained. */
	private stopped = true;
	/** A segment save (or the poll, or the start: what a crash left) says refreshes may be owed: the next drain
	 *  serves them. Not asked on every drain: a save's batch is the hot path. */
	private refreshesOwed = true;

	private readonly ctx: DirectusContext;
	private readonly scoring: Scoring;
	private readonly fullPass: FullPass;
	private readonly segments: SegmentService;
	readonly steps: readonly PipelineStep[];

	constructor(ctx: DirectusContext, scoring: Scoring, fullPass: FullPass, segments: SegmentService, steps: readonly PipelineStep[]) {
		this.ctx = ctx;
		this.scoring = scoring;
		this.fullPass = fullPass;
		this.segments = segments;
		this.steps = steps;
	}

	private get knex(): Knex {
		return this.ctx.database;
	}

	/** Starts draining what is queued and polling for what others queue. SEGMENTATION_CHANGES_PAUSED=true keeps
	 *  changes queued, unprocessed (a bulk load, maintenance); the next start without it drains them. */
	start(): void {
		const paused = this.ctx.env['SEGMENTATION_CHANGES_PAUSED'];
		if (paused === true || paused === 'true') {
			this.stopped = true;
			this.ctx.logger.warn('[segmentation] SEGMENTATION_CHANGES_PAUSED: changes are queued but not processed on this instance');
			return;
		}
		this.stopped = false;
		this.kick();
		this.poller ??= setInterval(() => {
			if (this.draining || this.timer) return;
			Promise.all([hasDueChanges(this.knex), this.segments.refreshOwed()])
				.then(([changes, refreshes]) => {
					if (refreshes) this.refreshesOwed = true;
					if (changes || refreshes) this.kick();
				})
				.catch(() => undefined);
		}, POLL_MS);
		this.poller.unref?.();
	}

	async stop(): Promise<void> {
		this.stopped = true;
		if (this.poller) clearInterval(this.poller);
		if (this.timer) clearTimeout(this.timer);
		this.poller = this.timer = null;
		await this.draining;
	}

	/** A segment save owes a refresh (recorded with it): serve it at the next drain, soon. */
	kickRefreshes(): void {
		this.refreshesOwed = true;
		this.kick();
	}

	/** Something was queued (after a commit): drain soon. */
	kick(): void {
		if (this.stopped) return;
		if (this.draining) {
			this.kicked = true;
			return;
		}
		if (this.timer) return;
		this.timer = setTimeout(() => {
			this.timer = null;
			this.draining = this.drain()
				.catch((error: Error) => this.ctx.logger.error(`[segmentation] change pipeline: ${error.message}`))
				.finally(() => {
					this.draining = null;
					if (this.kicked) {
						this.kicked = false;
						this.kick();
					}
				});
		}, DEBOUNCE_MS);
	}

	/** What is waiting (the whole cluster's queue) and whether this instance is draining. */
	async stats(): Promise<QueueStats & { busy: boolean; pending_clients: number; pending_deals: number; pending_refreshes: number }> {
		const stats = await queueStats(this.knex);
		// pending_clients / pending_deals: the names benchmarks and older clients read
		return { ...stats, busy: Boolean(this.timer || this.draining), pending_clients: stats.pending, pending_deals: 0, pending_refreshes: await this.segments.owedRefreshCount() };
	}

	private async drain(): Promise<void> {
		if (this.refreshesOwed) {
			// cleared first: a save during the serving sets it again; a busy lease leaves the rows for the poll
			this.refreshesOwed = false;
			await this.segments.serveOwedRefreshes().catch((error: Error) => this.ctx.logger.error(`[segmentation] refreshing saved segments: ${error.message}`));
		}
		while (!this.stopped) {
			const laps = new Laps();
			// read before the transaction: on a cold cache it queries (SQLite: the one connection the batch holds)
			const schema = await this.ctx.getSchema();
			let claimed: QueueRows | null = null;
			try {
				// everything a batch reads goes through its transaction: one wait for the connection, not one per query
				const outcome = await this.knex.transaction(async (trx): Promise<'first-run' | 'queue' | 'done' | 'more'> => {
					const nowMs = Date.now();
					// the opening reads and the claim, sent together: PostgreSQL gets them back to back (one wait on
					// the event loop instead of one per query) in this order, so the budget set by the first covers
					// the others; SQLite may run them in any order (the bulk count may miss the claimed rows: a rough
					// threshold either way)
					const [state, settingsRow, reads, batch] = await Promise.all([
						startBatch(trx, FULL_PASS_ROWS, STATEMENT_BUDGET_MS, nowMs),
						readSettingsRow(trx),
						Promise.all(this.steps.map((step) => step.read?.(trx))),
						claimBatch(trx, BATCH_ROWS, nowMs),
					]);
					laps.lap('open');
					const cutoffs = await this.scoring.cutoffsOf(state.lastRunId, trx);
					// no full run yet (no cut-offs to score against), a whole-base request or a bulk load: a full pass
					// (rolled back: the claimed rows stay queued for it)
					if (!cutoffs) throw new FullPassDue('first-run');
					if (state.fullPass) throw new FullPassDue('queue');
					const scope = await this.scoring.scope(nowMs, trx, schema, settingsRow);
					const work = [];
					for (const [i, step] of this.steps.entries()) work.push(await step.prepare({ trx, schema, mapping: scope.mapping, settings: scope.settings, cutoffs: cutoffs.cutoffs }, reads[i]));
					laps.lap('prepare');
					// claimed only now for the error path: a failure before here is not the rows' (the transaction
					// rolls back and leaves them as they were, without counting an attempt)
					claimed = batch;
					if (!batch.clientIds.length) return 'done';
					const asOfMs = Date.now();
					for (const [i, run] of work.entries()) {
						await run({ trx, clientIds: batch.clientIds, asOfMs, attempts: batch.attempts });
						laps.lap(this.steps[i]!.name);
					}
					// a short batch took everything that was due: rows queued since woke us again (kick) or wait for the poll
					return batch.rowIds.length === BATCH_ROWS ? 'more' : 'done';
				}).catch((error: unknown) => {
					if (error instanceof FullPassDue) return error.outcome;
					throw error;
				});
				laps.lap('commit');
				const batchSize = (claimed as QueueRows | null)?.rowIds.length ?? 0;
				// pino formats %s (the laps) only when debug is on
				if (batchSize) {
					this.ctx.logger.debug('[segmentation] batch of %d queued changes: %s', batchSize, laps);
					for (const step of this.steps) step.afterCommit?.();
				}
				if (outcome === 'done') return;
				if (outcome === 'first-run' || outcome === 'queue') {
					// covers every row visible now; rows committed during it stay for the next drain
					if (!(await hasDueChanges(this.knex))) return;
					if (!(await this.runFullPass(outcome))) return;
				}
			} catch (error) {
				// the transaction rolled back: the rows are queued again, held back a little
				const rows = claimed as QueueRows | null;
				if (!rows?.rowIds.length) throw error;
				const dropped = await deferFailed(this.knex, rows.rowIds, rows.attempts);
				this.ctx.logger.error(
					`[segmentation] processing ${rows.rowIds.length} changed clients failed (attempt ${rows.attempts + 1}${dropped ? '; given up: the next full recompute repairs them' : '; retried shortly'}): ${error instanceof Error ? error.message : error}`,
				);
			}
		}
	}

	/** false: nothing more to do now (busy elsewhere, or failed and deferred). */
	private async runFullPass(trigger: string): Promise<boolean> {
		const visible = await visibleRows(this.knex);
		try {
			await this.fullPass.run(trigger);
		} catch (error) {
			if (error instanceof RecomputeBusyError) return false; // another instance is on it; the poll retries
			const dropped = await deferFailed(this.knex, visible.rowIds, visible.attempts);
			this.ctx.logger.error(`[segmentation] full pass for queued changes failed${dropped ? ' (given up)' : ' (retried shortly)'}: ${(error as Error).message}`);
			return false;
		}
		await deleteRows(this.knex, visible.rowIds);
		return true;
	}
}

/** Wall time per phase of a batch, for the debug log (where a slow batch spends its time). */
class Laps {
	private mark = performance.now();
	private readonly laps: Array<[name: string, ms: number]> = [];

	lap(name: string): void {
		const now = performance.now();
		this.laps.push([name, now - this.mark]);
		this.mark = now;
	}

	/** Formatted only when the debug log asks for it. */
	toString(): string {
		return this.laps.map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`).join(', ');
	}
}
