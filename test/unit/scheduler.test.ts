// The scheduler and the lease it runs jobs under, on a real SQLite database through knex (no Directus needed):
// a job runs once per due time across instances, a missed run is caught up once at start-up, a crashed run is run
// again after its lease lapses, a failed one waits for its next due time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DirectusContext } from '../../extensions/segmentation/src/directus/context.ts';
import { Scheduler, type Job } from '../../extensions/segmentation/src/directus/jobs/scheduler.ts';
import { readJob } from '../../extensions/segmentation/src/store/jobs.ts';
import { LeaseBusyError, Leases } from '../../extensions/segmentation/src/store/lease.ts';
import { ensureBookkeepingTables, LOCKS_TABLE } from '../../extensions/segmentation/src/store/tables.ts';
import { openKnex } from '../../scripts/lib/db.ts';

const at = (iso: string) => new Date(iso);

describe('scheduler', () => {
	let dir: string;
	let knex: Knex;
	const logged: string[] = [];
	const ctx = () => ({ database: knex, logger: { info: () => undefined, debug: () => undefined, warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) } }) as unknown as DirectusContext;
	/** A daily 03:00 job that records each run's due time; `behaviour` decides what a run does. */
	const job = (runs: string[], behaviour: () => Promise<void> = async () => undefined, cron = '0 3 * * *'): Job => ({
		name: 'daily',
		cron: async () => cron,
		run: async (due) => {
			runs.push(due.toISOString());
			await behaviour();
			return 'succeeded';
		},
	});
	const scheduler = (j: Job, instance = 'a') => new Scheduler(ctx(), new Leases(knex, instance), [j]);

	beforeEach(async () => {
		dir = mkdtempSync(join(tmpdir(), 'seg-scheduler-'));
		knex = openKnex({ DB_CLIENT: 'sqlite3', DB_FILENAME: join(dir, 'db.sqlite') });
		await ensureBookkeepingTables(knex);
		logged.length = 0;
	});
	afterEach(async () => {
		await knex.destroy();
		rmSync(dir, { recursive: true, force: true });
	});

	it('starts from the latest due time on a new base, then runs each due time once', async () => {
		const runs: string[] = [];
		const s = scheduler(job(runs));
		await s.tick(at('2026-03-02T10:00:00Z'));
		expect(runs).toEqual([]); // nothing was missed: the job did not exist before
		await s.tick(at('2026-03-03T02:59:00Z'));
		expect(runs).toEqual([]);
		await s.tick(at('2026-03-03T03:00:00Z'));
		await s.tick(at('2026-03-03T03:00:30Z'));
		await s.tick(at('2026-03-03T03:01:00Z'));
		expect(runs).toEqual(['2026-03-03T03:00:00.000Z']);
		expect(await readJob(knex, 'daily')).toMatchObject({ last_status: 'succeeded', last_due_at: Date.parse('2026-03-03T03:00:00Z') });
	});

	it('catches up a run missed while no instance was up, once, at the next tick', async () => {
		const runs: string[] = [];
		await scheduler(job(runs)).tick(at('2026-03-02T10:00:00Z'));
		// every instance was down from the 2nd at 10:00 to the 5th at 09:30: one catch-up run, for the latest due time
		const later = scheduler(job(runs), 'b');
		await later.tick(at('2026-03-05T09:30:00Z'));
		await later.tick(at('2026-03-05T09:31:00Z'));
		expect(runs).toEqual(['2026-03-05T03:00:00.000Z']);
	});

	it('runs once per cluster when several instances tick together', async () => {
		const runs: string[] = [];
		let release!: () => void;
		const slow = new Promise<void>((r) => (release = r));
		const instances = ['a', 'b', 'c'].map((name) => scheduler(job(runs, () => slow), name));
		await instances[0]!.tick(at('2026-03-02T10:00:00Z'));
		const ticking = instances.map((s) => s.tick(at('2026-03-03T03:00:00Z')));
		// the job is running (and holding its lease) while the other instances tick
		await vi.waitFor(() => expect(runs).toHaveLength(1), { timeout: 30_000, interval: 10 });
		release();
		await Promise.all(ticking);
		await Promise.all(instances.map((s) => s.tick(at('2026-03-03T03:00:00Z'))));
		expect(runs).toEqual(['2026-03-03T03:00:00.000Z']);
	});

	it('runs again a run whose instance died (its lease lapsed, its due time never marked done)', async () => {
		const runs: string[] = [];
		await scheduler(job(runs)).tick(at('2026-03-02T10:00:00Z'));
		// a holder that died mid-run: its lease row is there, expired
		await knex(LOCKS_TABLE).insert({ name: 'job:daily', holder: 'dead#1', acquired_at: 0, expires_at: Date.now() - 1 });
		await scheduler(job(runs), 'b').tick(at('2026-03-03T03:05:00Z'));
		expect(runs).toEqual(['2026-03-03T03:00:00.000Z']);
	});

	it('records a failed run and waits for the next due time instead of retrying every minute', async () => {
		const runs: string[] = [];
		const s = scheduler(job(runs, async () => Promise.reject(new Error('database went away'))));
		await s.tick(at('2026-03-02T10:00:00Z'));
		await s.tick(at('2026-03-03T03:00:00Z'));
		await s.tick(at('2026-03-03T03:01:00Z'));
		expect(runs).toEqual(['2026-03-03T03:00:00.000Z']);
		expect(await readJob(knex, 'daily')).toMatchObject({ last_status: 'failed', last_error: 'database went away' });
		expect(logged.join('\n')).toMatch(/job daily failed: database went away/);
		await s.tick(at('2026-03-04T03:00:00Z'));
		expect(runs).toHaveLength(2);
	});

	it('follows standard cron: day-of-month or day-of-week', async () => {
		const runs: string[] = [];
		const s = scheduler(job(runs, undefined, '0 3 1 * 1')); // the 1st, or any Monday
		await s.tick(at('2026-03-01T12:00:00Z')); // Sunday the 1st, after its run time
		await s.tick(at('2026-03-02T03:00:00Z')); // Monday the 2nd
		expect(runs).toEqual(['2026-03-02T03:00:00.000Z']);
	});

	it('says once that a bad expression schedules nothing', async () => {
		const runs: string[] = [];
		const s = scheduler(job(runs, undefined, '0 25 * * *'));
		await s.tick(at('2026-03-02T10:00:00Z'));
		await s.tick(at('2026-03-02T10:01:00Z'));
		expect(runs).toEqual([]);
		expect(logged.filter((m) => /not scheduled: cron hour "25"/.test(m))).toHaveLength(1);
	});
});

describe('lease', () => {
	let dir: string;
	let knex: Knex;
	beforeEach(async () => {
		dir = mkdtempSync(join(tmpdir(), 'seg-lease-'));
		knex = openKnex({ DB_CLIENT: 'sqlite3', DB_FILENAME: join(dir, 'db.sqlite') });
		await ensureBookkeepingTables(knex);
	});
	afterEach(async () => {
		await knex.destroy();
		rmSync(dir, { recursive: true, force: true });
	});

	it('is held by one acquisition at a time, even on one instance, and released afterwards', async () => {
		const leases = new Leases(knex, 'same-instance');
		let inside = 0;
		let most = 0;
		const work = () =>
			leases.run('job', { waitMs: 10_000 }, async () => {
				most = Math.max(most, ++inside);
				await new Promise((r) => setTimeout(r, 20));
				inside--;
			});
		await Promise.all([work(), work(), work()]);
		expect(most).toBe(1);
		expect(await leases.holderOf('job')).toBeNull();
	});

	it('fails at once when busy and asked not to wait', async () => {
		const a = new Leases(knex, 'a');
		const b = new Leases(knex, 'b');
		await a.run('job', {}, async () => {
			await expect(b.run('job', { waitMs: 0 }, async () => 'ran')).rejects.toBeInstanceOf(LeaseBusyError);
		});
		expect(await b.run('job', { waitMs: 0 }, async () => 'ran')).toBe('ran');
	});

	it('is renewed while the work runs, so a short TTL does not lapse under a long job', async () => {
		const a = new Leases(knex, 'a');
		await a.run('job', { ttlMs: 400 }, async (lease) => {
			const first = Number((await knex(LOCKS_TABLE).where({ name: 'job' }).first('expires_at'))!.expires_at);
			// the heartbeat moves the expiry on (waited for as a condition, not a time)
			await vi.waitFor(async () => expect(Number((await knex(LOCKS_TABLE).where({ name: 'job', holder: lease.holder }).first('expires_at'))?.expires_at)).toBeGreaterThan(first), { timeout: 30_000, interval: 20 });
			expect(lease.lost).toBe(false);
		});
	});

	it('lapses when its holder died', async () => {
		await knex(LOCKS_TABLE).insert({ name: 'job', holder: 'dead#1', acquired_at: 0, expires_at: Date.now() - 1 });
		expect(await new Leases(knex, 'b').run('job', {}, async () => 'ran')).toBe('ran');
	});
});
