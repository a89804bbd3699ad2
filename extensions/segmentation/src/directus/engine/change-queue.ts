// The change queue: client, deal, item and tag changes enqueue client ids (or deal ids, resolved in one query); a
// short debounce coalesces them, and each batch of up to 5,000 clients goes through the pipeline set-based:
// re-scored against the last full run's cut-offs, auto tags synced, re-qualified against the active segments.
// Runs after the saving transaction committed; an error is logged, never thrown at the save (the next full run
// or refresh repairs it).
import { latestCutoffs } from '../../store/recompute.ts';
import { rescoreClients } from '../../store/scores.ts';
import type { EngineRuntime } from './runtime.ts';

const DEBOUNCE_MS = 5;
const BATCH = 5000;

export class ChangeQueue {
	private readonly runtime: EngineRuntime;
	private readonly clients = new Set<number>();
	private readonly deals = new Set<number>();
	private timer: NodeJS.Timeout | null = null;
	private draining: Promise<void> | null = null;
	/** Resolves when everything enqueued so far is written (tests and benchmarks wait on it). */
	private idleWaiters: Array<() => void> = [];

	constructor(runtime: EngineRuntime) {
		this.runtime = runtime;
	}

	enqueueClients(ids: Iterable<unknown>): void {
		for (const id of ids) if (id !== null && id !== undefined && Number.isSafeInteger(Number(id))) this.clients.add(Number(id));
		this.schedule();
	}

	enqueueDeals(ids: Iterable<unknown>): void {
		for (const id of ids) if (id !== null && id !== undefined && Number.isSafeInteger(Number(id))) this.deals.add(Number(id));
		this.schedule();
	}

	/** What is waiting and whether a batch is running (shown in /segmentation/status; benchmarks wait on it). */
	stats(): { pending_clients: number; pending_deals: number; busy: boolean } {
		return { pending_clients: this.clients.size, pending_deals: this.deals.size, busy: Boolean(this.timer || this.draining) };
	}

	idle(): Promise<void> {
		if (!this.timer && !this.draining && this.clients.size === 0 && this.deals.size === 0) return Promise.resolve();
		return new Promise((resolve) => this.idleWaiters.push(resolve));
	}

	private schedule(): void {
		if (this.timer || this.draining) return;
		this.timer = setTimeout(() => {
			this.timer = null;
			this.draining = this.drain().finally(() => {
				this.draining = null;
				if (this.clients.size || this.deals.size) this.schedule();
				else for (const resolve of this.idleWaiters.splice(0)) resolve();
			});
		}, DEBOUNCE_MS);
	}

	private async drain(): Promise<void> {
		const { ctx } = this.runtime;
		try {
			const scope = await this.runtime.scope(Date.now());
			if (this.deals.size) {
				const dealIds = [...this.deals];
				this.deals.clear();
				const m = scope.mapping;
				for (let i = 0; i < dealIds.length; i += BATCH) {
					const owners = await scope.knex(m.deal_collection).whereIn('id', dealIds.slice(i, i + BATCH)).whereNotNull(m.deal_client_field).distinct(`${m.deal_client_field} as client`);
					for (const row of owners) this.clients.add(Number(row.client));
				}
			}
			if (!this.clients.size) return;
			const last = await latestCutoffs(scope.knex);
			if (!last) {
				// no full run yet: there are no cut-offs to score against, so compute the whole base once (which
				// also refreshes every segment)
				this.clients.clear();
				await this.runtime.recompute('first-change').catch((e: Error) => ctx.logger.warn(`[segmentation] first recompute: ${e.message}`));
				return;
			}
			while (this.clients.size) {
				const batch = [...this.clients].slice(0, BATCH);
				for (const id of batch) this.clients.delete(id);
				// "now" is taken after the batch: a deal saved while this drain started is not in the future for it
				// (one saved later re-queues its client, which the next drain picks up)
				const asOfMs = Date.now();
				await rescoreClients({ ...scope, asOfMs }, last.cutoffs, batch);
				await this.runtime.segments.afterChange(scope.mapping, batch, asOfMs);
			}
		} catch (error) {
			this.clients.clear();
			this.deals.clear();
			ctx.logger.error(`[segmentation] processing changed clients failed (the next full recompute repairs it): ${error instanceof Error ? error.message : error}`);
		}
	}
}

