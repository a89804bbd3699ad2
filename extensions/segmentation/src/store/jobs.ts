// The scheduler's bookkeeping: per job, the due time it last ran for (so a run missed while no instance was up is
// caught up once, and a run is never repeated for the same due time), and how the last run went.
import type { Knex } from 'knex';
import { JOBS_TABLE } from './tables.ts';

export interface JobState {
	name: string;
	last_due_at: number;
	last_started_at: number | null;
	last_finished_at: number | null;
	last_status: string | null;
	last_error: string | null;
}

export async function readJob(knex: Knex, name: string): Promise<JobState | null> {
	const row = await knex(JOBS_TABLE).where({ name }).first();
	if (!row) return null;
	const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
	return { name, last_due_at: Number(row.last_due_at), last_started_at: num(row.last_started_at), last_finished_at: num(row.last_finished_at), last_status: row.last_status ?? null, last_error: row.last_error ?? null };
}

/** A job seen for the first time starts from its latest due time (a fresh install doesn't run what it never missed). */
export async function initJob(knex: Knex, name: string, dueAtMs: number): Promise<void> {
	await knex(JOBS_TABLE).insert({ name, last_due_at: dueAtMs }).onConflict('name').ignore();
}

export async function markJobStarted(knex: Knex, name: string, atMs: number): Promise<void> {
	await knex(JOBS_TABLE).where({ name }).update({ last_started_at: atMs, last_status: 'running', last_error: null });
}

/** The run for dueAtMs is over (whatever its outcome: a failed run waits for the next due time, not a retry loop). */
export async function markJobFinished(knex: Knex, name: string, dueAtMs: number, status: 'succeeded' | 'failed' | 'skipped', error: string | null): Promise<void> {
	await knex(JOBS_TABLE).where({ name }).update({ last_due_at: dueAtMs, last_finished_at: Date.now(), last_status: status, last_error: error });
}
