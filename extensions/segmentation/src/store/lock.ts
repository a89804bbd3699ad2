// A lease lock in a plain table: portable across SQLite and PostgreSQL, needs no connection held open, and a
// crashed holder's lease simply expires. Used for work that must run once per cluster (install, full runs).
import type { Knex } from 'knex';
import { LOCKS_TABLE } from './tables.ts';

/** A holder token for one acquisition: the instance plus a random tag (the lock is not re-entrant). */
export function lockHolder(instance: string): string {
	return `${instance}#${Math.random().toString(36).slice(2, 10)}`;
}

export async function tryAcquireLock(knex: Knex, name: string, holder: string, ttlMs: number): Promise<boolean> {
	const now = Date.now();
	await knex(LOCKS_TABLE).where({ name }).andWhere('expires_at', '<', now).delete();
	await knex(LOCKS_TABLE).insert({ name, holder, acquired_at: now, expires_at: now + ttlMs }).onConflict('name').ignore();
	const row = await knex(LOCKS_TABLE).where({ name }).first('holder');
	return row?.holder === holder;
}

export async function releaseLock(knex: Knex, name: string, holder: string): Promise<void> {
	await knex(LOCKS_TABLE).where({ name, holder }).delete();
}

/** Waits (polling) until the lock is ours, runs fn, releases. Throws after waitMs. */
export async function withLock<T>(knex: Knex, name: string, holder: string, opts: { ttlMs: number; waitMs: number }, fn: () => Promise<T>): Promise<T> {
	const deadline = Date.now() + opts.waitMs;
	while (!(await tryAcquireLock(knex, name, holder, opts.ttlMs))) {
		if (Date.now() > deadline) throw new Error(`Timed out after ${opts.waitMs} ms waiting for the "${name}" lock held by another instance`);
		await new Promise((r) => setTimeout(r, 250));
	}
	try {
		return await fn();
	} finally {
		await releaseLock(knex, name, holder);
	}
}

/** Extends a held lease (long runs renew while they work). */
export async function renewLock(knex: Knex, name: string, holder: string, ttlMs: number): Promise<boolean> {
	const updated = await knex(LOCKS_TABLE).where({ name, holder }).update({ expires_at: Date.now() + ttlMs });
	return Number(updated) > 0;
}
