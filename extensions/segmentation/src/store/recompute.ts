// A full recompute: once per cluster (lease lock), recorded in the runs table. Facts → cut-offs → changed rows.
import type { Knex } from 'knex';
import type { Cutoffs, Skipped } from '../core/engine.ts';
import type { EngineSettings } from '../core/engine-settings.ts';
import type { Mapping } from '../core/mapping.ts';
import { LeaseBusyError, Leases } from './lease.ts';
import { buildStage, computeStageCutoffs, countSkipped, writeAllScores, type EngineScope } from './scores.ts';
import { analyzeAfterBulkWrite, freshenBaseStatistics } from './statistics.ts';
import { RUNS_TABLE } from './tables.ts';

export const RECOMPUTE_LEASE = 'recompute';

export class RecomputeBusyError extends LeaseBusyError {
	override name = 'RecomputeBusyError';
	constructor() {
		super(RECOMPUTE_LEASE);
		this.message = 'A recompute is already running on this cluster; try again when it has finished (see GET /segmentation/runs).';
	}
}

/** What a failed run's row says: short, no SQL; the full error goes to the server log. */
export const runFailedMessage = (runId: number) => `recompute failed (run ${runId}); see the server log`;

/** A full run that failed: its run id, and the original error (message and all) as the cause. */
export class RecomputeFailedError extends Error {
	override name = 'RecomputeFailedError';
	readonly runId: number;
	constructor(runId: number, cause: unknown) {
		super(`recompute failed (run ${runId}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
		this.runId = runId;
	}
}

export interface RunRecord {
	id: number;
	kind: 'full';
	trigger: string;
	status: 'running' | 'succeeded' | 'failed' | 'skipped';
	instance: string | null;
	started_at: string;
	finished_at: string | null;
	as_of: string;
	clients_scored: number | null;
	clients_total: number | null;
	rows_changed: number | null;
	duration_ms: number | null;
	cutoffs: Cutoffs | null;
	skipped: Skipped | null;
	skipped_total: number | null;
	error: string | null;
}

export interface RecomputeOptions {
	knex: Knex;
	mapping: Mapping;
	settings: EngineSettings;
	asOfMs: number;
	trigger: string;
	instance: string;
	/** The cluster's leases (tools outside Directus may omit it: one is made for the instance). */
	leases?: Leases;
	onProgress?: (phase: string, done: number, total: number) => void;
}

async function insertRun(knex: Knex, row: Record<string, unknown>): Promise<number> {
	const [inserted] = await knex(RUNS_TABLE).insert(row).returning('id');
	return Number(typeof inserted === 'object' ? (inserted as { id: number }).id : inserted);
}

export async function runFullRecompute(o: RecomputeOptions): Promise<RunRecord> {
	const leases = o.leases ?? new Leases(o.knex, o.instance);
	try {
		return await leases.run(RECOMPUTE_LEASE, { waitMs: 0 }, () => recomputeHoldingLease(o));
	} catch (error) {
		if (error instanceof LeaseBusyError && !(error instanceof RecomputeBusyError)) throw new RecomputeBusyError();
		throw error;
	}
}

async function recomputeHoldingLease(o: RecomputeOptions): Promise<RunRecord> {
	const { knex } = o;
	// we hold the cluster's lease: a run still marked running was left by an instance that stopped (its lease lapsed)
	await knex(RUNS_TABLE).where({ status: 'running' }).update({ status: 'failed', finished_at: Date.now(), error: 'abandoned: the instance running it stopped' });
	const started = Date.now();
	const runId = await insertRun(knex, { kind: 'full', trigger: o.trigger, status: 'running', instance: o.instance, started_at: started, as_of: o.asOfMs });
	try {
		const scope: EngineScope = { knex, mapping: o.mapping, settings: o.settings, asOfMs: o.asOfMs };
		o.onProgress?.('facts', 0, 1);
		// a bulk load not analysed yet would leave the facts query planning on an empty table's statistics
		await freshenBaseStatistics(knex, o.mapping);
		// two independent scans of the deals: on PostgreSQL they run side by side on two connections
		const [skipped] = await Promise.all([countSkipped(scope), buildStage(scope)]);
		o.onProgress?.('cutoffs', 0, 1);
		const cutoffs = await computeStageCutoffs(scope);
		const { changed, clients } = await writeAllScores(scope, cutoffs, undefined, (done, total) => o.onProgress?.('write', done, total));
		// the segment refresh that follows filters on these scores (the activity counters lag: decide from the count)
		await analyzeAfterBulkWrite(knex, o.mapping.client_collection, changed, clients);
		const [scoredRow] = await knex('segmentation_score_stage').where('freq', '>', 0).count({ n: '*' });
		const finished = Date.now();
		await knex(RUNS_TABLE).where({ id: runId }).update({
			status: 'succeeded',
			finished_at: finished,
			clients_scored: Number(scoredRow?.n ?? 0),
			clients_total: clients,
			rows_changed: changed,
			duration_ms: finished - started,
			cutoffs: JSON.stringify(cutoffs),
			skipped: JSON.stringify(skipped),
			skipped_total: Object.values(skipped).reduce((a, b) => a + b, 0),
		});
		return (await readRun(knex, runId))!;
	} catch (error) {
		// the row keeps a short message (a failed statement's SQL would reach whoever may list runs); the thrown error
		// carries the whole cause for the server log
		await knex(RUNS_TABLE)
			.where({ id: runId })
			.update({ status: 'failed', finished_at: Date.now(), duration_ms: Date.now() - started, error: runFailedMessage(runId) })
			.catch(() => undefined);
		throw new RecomputeFailedError(runId, error);
	}
}

/** A run that did not happen because another instance held the lock (scheduled runs record their skip). */
export async function recordSkippedRun(knex: Knex, trigger: string, instance: string, asOfMs: number): Promise<void> {
	const now = Date.now();
	await insertRun(knex, { kind: 'full', trigger, status: 'skipped', instance, started_at: now, finished_at: now, as_of: asOfMs, duration_ms: 0, error: 'another instance was running a recompute' });
}

function toRecord(row: Record<string, unknown>): RunRecord {
	const json = <T>(v: unknown): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : ((v as T) ?? null));
	const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(Number(v)).toISOString());
	const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
	return {
		id: Number(row['id']),
		kind: 'full',
		trigger: String(row['trigger']),
		status: row['status'] as RunRecord['status'],
		instance: (row['instance'] as string | null) ?? null,
		started_at: iso(row['started_at'])!,
		finished_at: iso(row['finished_at']),
		as_of: iso(row['as_of'])!,
		clients_scored: num(row['clients_scored']),
		clients_total: num(row['clients_total']),
		rows_changed: num(row['rows_changed']),
		duration_ms: num(row['duration_ms']),
		cutoffs: json<Cutoffs>(row['cutoffs']),
		skipped: json<Skipped>(row['skipped']),
		skipped_total: num(row['skipped_total']),
		error: (row['error'] as string | null) ?? null,
	};
}

export async function readRun(knex: Knex, id: number): Promise<RunRecord | null> {
	const row = await knex(RUNS_TABLE).where({ id }).first();
	return row ? toRecord(row) : null;
}

export async function listRuns(knex: Knex, limit = 50, offset = 0): Promise<RunRecord[]> {
	return (await knex(RUNS_TABLE).orderBy('id', 'desc').limit(limit).offset(offset)).map(toRecord);
}

/** The cut-offs of the last successful full run that scored anyone (what incremental re-scoring uses). A run over
 *  an empty base has none worth reusing: the first change then triggers a full run instead. */
export async function latestCutoffs(knex: Knex): Promise<{ runId: number; cutoffs: Cutoffs } | null> {
	return cutoffsOfRow(await knex(RUNS_TABLE).where({ status: 'succeeded' }).orderBy('id', 'desc').first('id', 'cutoffs', 'clients_scored'));
}

/** The cut-offs of one run (null when it scored nobody: nothing to score against). */
export async function cutoffsOfRun(knex: Knex, runId: number): Promise<{ runId: number; cutoffs: Cutoffs } | null> {
	return cutoffsOfRow(await knex(RUNS_TABLE).where({ id: runId }).first('id', 'cutoffs', 'clients_scored'));
}

function cutoffsOfRow(row: { id: unknown; cutoffs: string; clients_scored: unknown } | undefined): { runId: number; cutoffs: Cutoffs } | null {
	return row && Number(row.clients_scored) > 0 ? { runId: Number(row.id), cutoffs: JSON.parse(row.cutoffs) as Cutoffs } : null;
}
