// The durable change queue's SQL. A row names a client whose data changed (client_id NULL: "recompute the whole
// base"). Rows are written in the transaction that saved the change — or by any writer outside Directus — so a
// committed change is never lost; they are removed in the transaction that processed them, so a crash mid-batch
// leaves them for the next drain. PostgreSQL claims with SKIP LOCKED, so instances drain side by side.
import type { Knex } from 'knex';
import { isPostgres } from './dialects/index.ts';
import { idList, rows } from './restriction.ts';
import { CHANGES_TABLE, RUNS_TABLE } from './tables.ts';

/** Rows per INSERT: knex writes a multi-row insert on SQLite as a compound SELECT, limited to 500 terms. */
const insertChunk = (knex: Knex) => (isPostgres(knex) ? 5000 : 500);
/** Ids per DELETE / UPDATE … IN (inlined integers or bindings: well under both databases' limits). */
const ID_CHUNK = 5000;
/** A batch that fails this many times is dropped with an error (the next full recompute repairs its clients). */
export const MAX_ATTEMPTS = 5;

const validIds = (ids: Iterable<unknown>): number[] => [...new Set([...ids].map(Number).filter((id) => Number.isSafeInteger(id)))];

/** Queues these clients (inside the caller's transaction when knex is one). */
export async function enqueueClients(knex: Knex, ids: Iterable<unknown>, atMs = Date.now()): Promise<number> {
	const list = validIds(ids);
	const chunk = insertChunk(knex);
	for (let i = 0; i < list.length; i += chunk) {
		await knex(CHANGES_TABLE).insert(list.slice(i, i + chunk).map((client_id) => ({ client_id, enqueued_at: atMs })));
	}
	return list.length;
}

/** For writers outside Directus (seed, import): queues the clients they wrote, in their transaction, when the
 *  extension's queue exists (a base the extension never started on has nothing to drain it yet). */
export async function enqueueIfInstalled(knex: Knex, ids: Iterable<unknown>): Promise<number> {
	if (!(await knex.schema.hasTable(CHANGES_TABLE))) return 0;
	return enqueueClients(knex, ids);
}

/** Asks for one recompute of the whole base (bulk writers: cheaper than queueing every client). */
export async function requestFullPass(knex: Knex, atMs = Date.now()): Promise<void> {
	await knex(CHANGES_TABLE).insert({ client_id: null, enqueued_at: atMs });
}

export interface QueueStats {
	/** Rows waiting (a client may appear in several). */
	pending: number;
	full_pass_requested: boolean;
	/** Rows that failed at least once and wait for a retry. */
	retrying: number;
	oldest_enqueued_at: string | null;
}

export async function queueStats(knex: Knex): Promise<QueueStats> {
	const [row] = rows(
		await knex.raw(
			`SELECT COUNT(*) AS pending, SUM(CASE WHEN client_id IS NULL THEN 1 ELSE 0 END) AS full_pass, SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) AS retrying, MIN(enqueued_at) AS oldest FROM ${CHANGES_TABLE}`,
		),
	);
	const oldest = row?.['oldest'] === null || row?.['oldest'] === undefined ? null : Number(row['oldest']);
	return {
		pending: Number(row?.['pending'] ?? 0),
		full_pass_requested: Number(row?.['full_pass'] ?? 0) > 0,
		retrying: Number(row?.['retrying'] ?? 0),
		oldest_enqueued_at: oldest ? new Date(oldest).toISOString() : null,
	};
}

/** Whether anything is due now (the cheap poll that picks up writers outside this instance). */
export async function hasDueChanges(knex: Knex, nowMs = Date.now()): Promise<boolean> {
	return Boolean(await knex(CHANGES_TABLE).where('not_before', '<=', nowMs).first('id'));
}

export interface QueueRows {
	rowIds: number[];
	/** The highest attempt count among them. */
	attempts: number;
}

const toQueueRows = (list: Array<{ id: unknown; attempts: unknown }>): QueueRows => ({
	rowIds: list.map((r) => Number(r.id)),
	attempts: list.reduce((max, r) => Math.max(max, Number(r.attempts ?? 0)), 0),
});

export interface DrainState {
	/** The due rows call for a whole-base pass: one was asked for (a NULL row), or more than `n` rows wait (a bulk
	 *  load: one full pass beats many incremental batches). */
	fullPass: boolean;
	/** The latest successful full run (its cut-offs score a batch), null before the first. */
	lastRunId: number | null;
}

/**
 * Opens a change batch, in its transaction, with one query (it is on the path of every save): what the queue asks
 * for, the latest full run, and — PostgreSQL — the time each of the batch's statements may take (SET LOCAL, as
 * set_config(…, true)). SQLite can't interrupt a statement; its batches are a few clients.
 */
export async function startBatch(trx: Knex, n: number, statementBudgetMs: number, nowMs = Date.now()): Promise<DrainState> {
	const budget = isPostgres(trx) ? `, set_config('statement_timeout', '${Math.max(1, Math.ceil(statementBudgetMs))}', true) AS budget` : '';
	const [row] = rows(
		await trx.raw(
			`SELECT EXISTS (SELECT 1 FROM ${CHANGES_TABLE} WHERE client_id IS NULL AND not_before <= ?) AS asked,
				EXISTS (SELECT 1 FROM ${CHANGES_TABLE} WHERE not_before <= ? ORDER BY id LIMIT 1 OFFSET ?) AS bulk,
				(SELECT MAX(id) FROM ${RUNS_TABLE} WHERE status = 'succeeded') AS last_run${budget}`,
			[nowMs, nowMs, Math.trunc(n)],
		),
	);
	// SQLite answers 0 / 1, PostgreSQL false / true: Number() reads both
	const lastRun = row?.['last_run'];
	return { fullPass: Number(row?.['asked']) === 1 || Number(row?.['bulk']) === 1, lastRunId: lastRun === null || lastRun === undefined ? null : Number(lastRun) };
}

/** Every row visible now (a whole-base pass covers them; rows committed later stay for the next drain). */
export async function visibleRows(knex: Knex): Promise<QueueRows> {
	return toQueueRows(await knex(CHANGES_TABLE).select('id', 'attempts'));
}

export async function deleteRows(knex: Knex, ids: number[]): Promise<void> {
	for (let i = 0; i < ids.length; i += ID_CHUNK) await knex.raw(`DELETE FROM ${CHANGES_TABLE} WHERE id IN (${idList(ids.slice(i, i + ID_CHUNK))})`);
}

export interface ClaimedBatch extends QueueRows {
	clientIds: number[];
}

/**
 * Inside the batch's transaction: removes up to `limit` due client rows and returns them. The removal commits with
 * the batch's work, or rolls back with it (the rows come back for a retry).
 */
export async function claimBatch(trx: Knex, limit: number, nowMs = Date.now()): Promise<ClaimedBatch> {
	const skipLocked = isPostgres(trx) ? ' FOR UPDATE SKIP LOCKED' : '';
	const claimed = rows(
		await trx.raw(
			`DELETE FROM ${CHANGES_TABLE} WHERE id IN (
				SELECT id FROM ${CHANGES_TABLE} WHERE client_id IS NOT NULL AND not_before <= ? ORDER BY id LIMIT ?${skipLocked}
			) RETURNING id, client_id, attempts`,
			[nowMs, Math.max(1, Math.trunc(limit))],
		),
	);
	return { ...toQueueRows(claimed.map((r) => ({ id: r['id'], attempts: r['attempts'] }))), clientIds: [...new Set(claimed.map((r) => Number(r['client_id'])))] };
}

/** After a failed batch (its transaction rolled back): count the attempt and hold the rows back with a backoff;
 *  past MAX_ATTEMPTS the rows are dropped. Returns true when they were dropped. */
export async function deferFailed(knex: Knex, rowIds: number[], attempts: number, nowMs = Date.now()): Promise<boolean> {
	if (attempts + 1 >= MAX_ATTEMPTS) {
		await deleteRows(knex, rowIds);
		return true;
	}
	const backoffMs = Math.min(60_000, 1000 * 2 ** attempts);
	for (let i = 0; i < rowIds.length; i += ID_CHUNK) {
		await knex(CHANGES_TABLE).whereIn('id', rowIds.slice(i, i + ID_CHUNK)).update({ attempts: attempts + 1, not_before: nowMs + backoffMs });
	}
	return false;
}
