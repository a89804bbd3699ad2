// Runs the Listmonk sync on this instance: right after a change batch committed (its clients were marked in the
// batch), every few seconds (SEGMENTATION_SYNC_INTERVAL_MS: marks written elsewhere, opt-outs to pull back), and at
// start-up (everything looked at once). A failing Listmonk makes it wait longer and longer between tries (up to five
// minutes); the marks wait in the database meanwhile, so nothing is lost. Without LISTMONK_* it stays idle and says
// "Listmonk not configured".
import { listAdminUrl, publicListmonkUrl, readListmonkConfig, type ListmonkConfig } from '../../listmonk/config.ts';
import { ListmonkClient } from '../../listmonk/client.ts';
import { checkListmonk, type ListmonkHealth } from '../../listmonk/health.ts';
import { ClientPort } from '../../listmonk/sync/client-port.ts';
import { ListmonkSync, SYNC_LEASE, type SyncTrigger } from '../../listmonk/sync/worker.ts';
import { dirtyCount, markAllDirty, markDirty, failureCount, recentSyncRuns, syncedSegmentStates, type SyncCounts } from '../../store/listmonk-sync.ts';
import type { Leases } from '../../store/lease.ts';
import type { DirectusContext } from '../context.ts';
import { clearDataCache } from '../data-cache.ts';
import type { MappingCache } from '../mapping-cache.ts';

const DEFAULT_INTERVAL_MS = 5000;
/** Opt-outs and blocklistings are pulled back from Listmonk this often (it has no outgoing webhooks). */
const DEFAULT_PULL_MS = 60_000;
const MAX_BACKOFF_MS = 5 * 60_000;
const WAKE_DEBOUNCE_MS = 20;

export type SyncAvailability = { configured: true } | { configured: false; reason: string };

export class SyncRunner {
	readonly availability: SyncAvailability;
	readonly worker: ListmonkSync | null;
	private readonly client: ListmonkClient | null;
	private readonly ctx: DirectusContext;
	private readonly leases: Leases;
	private readonly intervalMs: number;
	private requests = 0;
	private timer: ReturnType<typeof setTimeout> | null = null;
	private poller: ReturnType<typeof setInterval> | null = null;
	private running: Promise<unknown> | null = null;
	private again = false;
	private stopped = true;
	private failures = 0;
	private notBefore = 0;
	private lastError: string | null = null;
	private health: { at: number; value: ListmonkHealth } | null = null;
	/** Listmonk's address for people's browsers (links in the App). */
	private publicUrl = '';

	constructor(ctx: DirectusContext, leases: Leases, mapping: MappingCache, instance: string) {
		this.ctx = ctx;
		this.leases = leases;
		this.intervalMs = msSetting(ctx.env['SEGMENTATION_SYNC_INTERVAL_MS'], DEFAULT_INTERVAL_MS);
		const pullIntervalMs = msSetting(ctx.env['SEGMENTATION_SYNC_PULL_MS'], DEFAULT_PULL_MS);
		let config: ListmonkConfig | null = null;
		let reason = 'Listmonk not configured: set LISTMONK_URL, LISTMONK_API_USER and LISTMONK_API_TOKEN';
		try {
			config = readListmonkConfig(envStrings(ctx.env));
		} catch (error) {
			reason = (error as Error).message; // names variables and rules, never values
		}
		if (!config) {
			this.availability = { configured: false, reason };
			this.client = null;
			this.worker = null;
			return;
		}
		this.availability = { configured: true };
		this.publicUrl = publicListmonkUrl(envStrings(ctx.env), config);
		this.client = new ListmonkClient(config, {
			onEvent: (event) => {
				if (event.type === 'request') this.requests++;
			},
		});
		this.worker = new ListmonkSync({
			knex: ctx.database,
			port: new ClientPort(this.client, () => this.requests),
			leases,
			mapping: () => mapping.current(),
			log: { info: (m) => ctx.logger.info(m), warn: (m) => ctx.logger.warn(m), error: (m) => ctx.logger.error(m) },
			instance,
			options: { pullIntervalMs, listUrl: (listId) => listAdminUrl(this.publicUrl, listId) },
		});
	}

	/** The Listmonk client (null when Listmonk is not configured): the automations send through it. */
	get listmonkClient(): ListmonkClient | null {
		return this.client;
	}

	get configured(): boolean {
		return this.availability.configured;
	}

	/** At start-up: says whether Listmonk answers and what the API user may do, looks at everything once, polls. */
	async start(): Promise<void> {
		if (!this.worker) {
			this.ctx.logger.info(`[segmentation] ${(this.availability as { reason: string }).reason}`);
			return;
		}
		this.stopped = false;
		void this.checkHealth(true).then((h) => this.logHealth(h));
		// memberships only: attribute changes are marked per client when they happen (or after a full pass)
		await markAllDirty(this.ctx.database, { attributes: false }).catch((error: Error) => this.ctx.logger.warn(`[segmentation] Listmonk sync: ${error.message}`));
		this.wake('startup');
		this.poller = setInterval(() => this.wake('poll'), this.intervalMs);
		this.poller.unref?.();
	}

	async stop(): Promise<void> {
		this.stopped = true;
		if (this.poller) clearInterval(this.poller);
		if (this.timer) clearTimeout(this.timer);
		this.poller = this.timer = null;
		await this.running?.catch(() => undefined);
	}

	/** In a change batch's transaction: its clients are owed a look (committed with the batch, or rolled back). */
	async markInBatch(trx: Parameters<typeof markDirty>[0], clientIds: number[], atMs: number): Promise<void> {
		if (this.configured) await markDirty(trx, clientIds, atMs);
	}

	/** Clients changed outside the change pipeline (hand-picked members): marked, then a cycle soon. */
	async markChanged(clientIds: number[]): Promise<void> {
		if (!this.configured || !clientIds.length) return;
		await markDirty(this.ctx.database, clientIds);
		this.wake('change');
	}

	/** A sync setting changed: every synced segment is looked at, soon. */
	async markEverything(): Promise<void> {
		if (!this.configured) return;
		await markAllDirty(this.ctx.database, { attributes: false });
		this.wake('change');
	}

	/** Something may be owed (a batch committed, the poll): a cycle soon, unless one runs (then one more after). */
	wake(trigger: SyncTrigger = 'change'): void {
		if (this.stopped || !this.worker) return;
		if (this.running) {
			this.again = true;
			return;
		}
		if (this.timer) return;
		this.timer = setTimeout(() => {
			this.timer = null;
			if (Date.now() < this.notBefore) return; // backing off after failures: the poll comes back later
			this.running = this.runCycle(trigger).finally(() => {
				this.running = null;
				if (this.again) {
					this.again = false;
					this.wake('change');
				}
			});
		}, WAKE_DEBOUNCE_MS);
	}

	private async runCycle(trigger: SyncTrigger): Promise<void> {
		try {
			const counts = await this.worker!.cycle(trigger);
			// the sync wrote segments and clients around the item services: a cached read must not show the old values
			if (counts && wroteRows(counts)) await clearDataCache(this.ctx);
			this.failures = 0;
			this.notBefore = 0;
			this.lastError = null;
		} catch (error) {
			this.failures++;
			// 2 s, 4 s, 8 s … 5 min, with jitter so instances do not retry in step
			const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.failures) * (0.75 + Math.random() / 2);
			this.notBefore = Date.now() + backoff;
			this.lastError = (error as Error).message;
			this.ctx.logger.warn(`[segmentation] Listmonk sync failed (try ${this.failures}; next in ${Math.round(backoff / 1000)} s; changes wait): ${this.lastError}`);
		}
	}

	/** POST /segmentation/sync and /segments/:id/sync: repair drift now (waits for a running cycle). */
	async reconcile(segmentIds: number[] | null): Promise<SyncCounts | null> {
		if (!this.worker) return null;
		await this.running?.catch(() => undefined);
		const counts = await this.worker.reconcile(segmentIds);
		if (counts && wroteRows(counts)) await clearDataCache(this.ctx);
		return counts;
	}

	async checkHealth(fresh = false): Promise<ListmonkHealth | null> {
		if (!this.client) return null;
		if (!fresh && this.health && Date.now() - this.health.at < 30_000) return this.health.value;
		const value = await checkListmonk(this.client);
		this.health = { at: Date.now(), value };
		return value;
	}

	private logHealth(h: ListmonkHealth | null): void {
		if (!h) return;
		if (!h.reachable) this.ctx.logger.warn(`[segmentation] Listmonk is not reachable: ${h.error ?? 'no answer'}; changes wait and are retried`);
		else if (h.credentials !== 'ok') this.ctx.logger.warn(`[segmentation] Listmonk refused the API credentials (LISTMONK_API_USER / LISTMONK_API_TOKEN)`);
		else if (h.permissions.missing.length) this.ctx.logger.warn(`[segmentation] the Listmonk API user lacks permission(s): ${h.permissions.missing.join(', ')}`);
		else this.ctx.logger.info(`[segmentation] Listmonk ${h.version ?? '(version unknown)'} ready for the sync`);
	}

	/** GET /segmentation/sync/status. */
	async status(): Promise<Record<string, unknown>> {
		if (!this.configured) return { configured: false, message: (this.availability as { reason: string }).reason };
		const knex = this.ctx.database;
		const [health, owed, runs, holder, segments, failedItems] = await Promise.all([
			this.checkHealth().catch((e: Error) => ({ error: e.message })),
			dirtyCount(knex),
			recentSyncRuns(knex, 10),
			this.leases.holderOf(SYNC_LEASE),
			syncedSegmentStates(knex),
			failureCount(knex),
		]);
		return {
			configured: true,
			listmonk: health,
			listmonk_url: this.publicUrl,
			segments,
			// subscribers whose last attempt failed (GET /segmentation/sync/failures lists them)
			failed_items: failedItems,
			waiting: { marks: owed.clients, everything: owed.everything },
			running: holder !== null,
			backing_off: this.notBefore > Date.now() ? { until: new Date(this.notBefore).toISOString(), failures: this.failures, last_error: this.lastError } : null,
			runs,
		};
	}
}

function envStrings(env: Record<string, unknown>): Record<string, string | undefined> {
	const out: Record<string, string | undefined> = {};
	for (const key of ['LISTMONK_URL', 'LISTMONK_API_USER', 'LISTMONK_API_TOKEN', 'LISTMONK_PUBLIC_URL']) {
		const value = env[key];
		out[key] = value === undefined || value === null ? undefined : String(value);
	}
	return out;
}

/** A duration setting in ms (at least 100), or the default when unset or unreadable. */
function msSetting(value: unknown, fallback: number): number {
	const n = Number(value ?? fallback);
	return Number.isFinite(n) && n >= 100 ? n : fallback;
}

/** Whether a cycle changed what Directus shows (memberships, opt-outs, lists on segments). */
function wroteRows(c: SyncCounts): boolean {
	return c.lists_created + c.subscribers_created + c.added + c.removed + c.unsubscribed + c.optouts_pulled > 0;
}
