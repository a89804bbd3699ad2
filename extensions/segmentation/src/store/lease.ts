// The one lease primitive for work that must run once per cluster (install, recompute, refresh, the scheduler's
// jobs, later the Listmonk sync and automations). A lease is a row in a plain table with an expiry: portable across
// SQLite and PostgreSQL, needs no connection held open, and a stopped holder's lease simply lapses. Each
// acquisition has its own holder token (not re-entrant: two requests on one instance never both hold it); while
// the work runs, a heartbeat renews the expiry, so the TTL can be short.
import type { Knex } from 'knex';
import pRetry, { AbortError } from 'p-retry';
import { LOCKS_TABLE } from './tables.ts';

export const DEFAULT_LEASE_TTL_MS = 60_000;

export class LeaseBusyError extends Error {
	override name = 'LeaseBusyError';
	readonly lease: string;

	constructor(lease: string) {
		super(`"${lease}" is already running on this cluster; try again when it has finished`);
		this.lease = lease;
	}
}

export interface LeaseOptions {
	/** Expiry of an unrenewed lease: how long a dead holder blocks the others. Renewed every ttl/4 while held. */
	ttlMs?: number;
	/** How long to wait for a busy lease before LeaseBusyError (0: fail at once). */
	waitMs?: number;
}

/** A held lease: `lost` turns true if a renewal found it taken over (the work should stop soon). */
export interface HeldLease {
	readonly name: string;
	readonly holder: string;
	readonly lost: boolean;
}

export class Leases {
	private readonly knex: Knex;
	/** Who this process is (host:pid:tag); each acquisition adds a random tag to it. */
	readonly instance: string;

	constructor(knex: Knex, instance: string) {
		this.knex = knex;
		this.instance = instance;
	}

	/** One attempt: the lease's holder token when it is ours now, else null. */
	async tryAcquire(name: string, ttlMs = DEFAULT_LEASE_TTL_MS): Promise<string | null> {
		const holder = `${this.instance}#${Math.random().toString(36).slice(2, 10)}`;
		const now = Date.now();
		await this.knex(LOCKS_TABLE).where({ name }).andWhere('expires_at', '<', now).delete();
		await this.knex(LOCKS_TABLE).insert({ name, holder, acquired_at: now, expires_at: now + ttlMs }).onConflict('name').ignore();
		const row = await this.knex(LOCKS_TABLE).where({ name }).first('holder');
		return row?.holder === holder ? holder : null;
	}

	/** Extends a held lease; false when it is no longer ours. */
	async renew(name: string, holder: string, ttlMs = DEFAULT_LEASE_TTL_MS): Promise<boolean> {
		return Number(await this.knex(LOCKS_TABLE).where({ name, holder }).update({ expires_at: Date.now() + ttlMs })) > 0;
	}

	async release(name: string, holder: string): Promise<void> {
		await this.knex(LOCKS_TABLE).where({ name, holder }).delete();
	}

	/** Who holds the lease now (for status pages), or null. */
	async holderOf(name: string): Promise<{ holder: string; expiresAt: number } | null> {
		const row = await this.knex(LOCKS_TABLE).where({ name }).andWhere('expires_at', '>=', Date.now()).first('holder', 'expires_at');
		return row ? { holder: String(row.holder), expiresAt: Number(row.expires_at) } : null;
	}

	/**
	 * Runs fn holding the lease: acquires (waiting up to waitMs, with backoff), renews it while fn works, releases
	 * it afterwards whatever happens. Throws LeaseBusyError when another holder keeps it past waitMs.
	 */
	async run<T>(name: string, opts: LeaseOptions, fn: (lease: HeldLease) => Promise<T>): Promise<T> {
		const ttlMs = opts.ttlMs ?? DEFAULT_LEASE_TTL_MS;
		const waitMs = opts.waitMs ?? 0;
		const started = Date.now();
		const holder = await pRetry(
			async () => {
				const token = await this.tryAcquire(name, ttlMs);
				if (token) return token;
				if (Date.now() - started >= waitMs) throw new AbortError(new LeaseBusyError(name));
				throw new LeaseBusyError(name);
			},
			// only a busy lease is waited for; a database error is the caller's at once
			{ retries: Number.MAX_SAFE_INTEGER, minTimeout: 50, maxTimeout: 1000, factor: 1.5, randomize: true, maxRetryTime: Math.max(waitMs, 1), shouldRetry: ({ error }) => error instanceof LeaseBusyError },
		);
		const lease = { name, holder, lost: false };
		const heartbeat = setInterval(() => {
			this.renew(name, holder, ttlMs)
				.then((ours) => {
					if (!ours) lease.lost = true;
				})
				.catch(() => undefined);
		}, ttlMs / 4);
		heartbeat.unref?.();
		try {
			return await fn(lease);
		} finally {
			clearInterval(heartbeat);
			await this.release(name, holder).catch(() => undefined);
		}
	}
}
