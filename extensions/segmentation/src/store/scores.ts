// The behaviour engine in set-based SQL, one code path for the whole base and for a set of clients:
//   facts    — one aggregate pass over the deals (purchases, spend windows, median gap, open/lost/uninterested)
//   cut-offs — value cut-offs from the facts of the whole base (full runs only; incremental runs reuse them)
//   write    — UPDATE … FROM the facts with the scores computed in SQL, touching only rows whose values changed.
// Semantics are those of core/engine.ts (property-tested against it). The SQL is in queries/scores.ts.
import type { Knex } from 'knex';
import type { Mapping } from '../core/mapping.ts';
import { levelsOf, type EngineSettings } from '../core/engine-settings.ts';
import { cutoffPositions, DAY_MS, noSkips, vipPosition, type Cutoffs, type Skipped, type SkipReason } from '../core/engine.ts';
import { dialectOf } from './dialects/index.ts';
import { baseTables } from './queries/base-tables.ts';
import {
	baseCycleQuery, dropOrphanFactsQuery, factsQuery, FACT_COLUMNS, monetary, recency, scoredCountQuery, scoredQuery, skippedQuery, stageFactsQuery, valuesAtQuery, writeScoresQuery,
} from './queries/scores.ts';
import { inClients, run, sql, type Sql } from './queries/sql.ts';
import { forEachClientRange, rows, type ClientRestriction } from './restriction.ts';

export { SCORE_FIELDS } from './queries/scores.ts';

export interface EngineScope {
	knex: Knex;
	mapping: Mapping;
	settings: EngineSettings;
	asOfMs: number;
}

/** Deals a run leaves out, by reason (the same classification as core's skipReason): every reason, 0 when none. */
export async function countSkipped(scope: EngineScope): Promise<Skipped> {
	const { knex } = scope;
	const skipped = noSkips();
	for (const row of rows(await run(knex, skippedQuery(baseTables(scope.mapping), dialectOf(knex), scope.settings, scope.asOfMs)))) {
		const reason = String(row['reason']) as SkipReason;
		if (reason in skipped) skipped[reason] = Number(row['n']);
	}
	return skipped;
}

/** Rebuilds the stage table with the facts of every client that has deals. */
export async function buildStage(scope: EngineScope): Promise<number> {
	const { knex, mapping } = scope;
	const d = dialectOf(knex);
	const t = baseTables(mapping);
	await d.truncate(knex, t.stage);
	await forEachClientRange(knex, mapping, d.passChunk, async (only) => {
		await run(knex, sql`INSERT INTO ${t.stage} (${FACT_COLUMNS}) ${factsQuery(t, d, scope.settings, scope.asOfMs, only)}`);
	});
	// deals of clients that don't exist must not move the cut-offs (skippedQuery counts them)
	await run(knex, dropOrphanFactsQuery(t));
	await d.analyze(knex, t.stage);
	const [row] = rows(await run(knex, sql`SELECT COUNT(*) AS n FROM ${t.stage}`));
	return Number(row?.['n'] ?? 0);
}

/** Values at the given 1-based positions of an ordered expression over the scored clients of the stage. */
async function valuesAt(scope: EngineScope, expr: Sql, positions: number[]): Promise<number[]> {
	if (positions.length === 0) return [];
	const result = rows(await run(scope.knex, valuesAtQuery(baseTables(scope.mapping), expr, [...new Set(positions)])));
	const byPosition = new Map(result.map((r) => [Number(r['rn']), Number(r['v'])]));
	return positions.map((p) => byPosition.get(p)!);
}

/** Cut-offs from the stage (the whole base): value cut-offs per dimension, the VIP line, the base cycle. */
export async function computeStageCutoffs(scope: EngineScope): Promise<Cutoffs> {
	const { knex, settings: s } = scope;
	const d = dialectOf(knex);
	const t = baseTables(scope.mapping);
	const levels = levelsOf(s);
	const [countRow] = rows(await run(knex, scoredCountQuery(t)));
	const scored = Number(countRow?.['n'] ?? 0);
	const withCycle = Number(countRow?.['cycles'] ?? 0);
	let baseCycleMs: number | null = s.default_cycle_days !== null ? s.default_cycle_days * DAY_MS : null;
	if (s.default_cycle_days === null && withCycle > 0) {
		const middle = [...new Set([Math.floor((withCycle + 1) / 2), Math.floor((withCycle + 2) / 2)])];
		baseCycleMs = Number(rows(await run(knex, baseCycleQuery(t, middle)))[0]?.['v']);
	}
	const positions = scored ? cutoffPositions(scored, levels) : [];
	const monetaryValues: Array<number | null> = scored ? await valuesAt(scope, monetary(s, d), [...positions, vipPosition(scored, s.vip_top_percent)]) : [null];
	const vip = monetaryValues.pop() ?? null;
	if (s.rfm_scheme === 'thresholds') {
		const th = s.rfm_thresholds;
		return { levels, recency: th.recency, frequency: th.frequency, monetary: th.monetary.map((v) => v * 100), vip, baseCycleMs };
	}
	if (scored === 0) return { levels, recency: [], frequency: [], monetary: [], vip: null, baseCycleMs };
	return {
		levels,
		recency: await valuesAt(scope, recency(d, scope.asOfMs, sql`last_ms`), positions),
		frequency: await valuesAt(scope, sql`freq`, positions),
		monetary: monetaryValues as number[],
		vip,
		baseCycleMs,
	};
}

/** Writes the scores of the clients `only` selects from a facts source; returns how many rows changed. */
async function writeScores(scope: EngineScope, cut: Cutoffs, facts: Sql, only: ClientRestriction): Promise<number> {
	const { knex } = scope;
	const d = dialectOf(knex);
	const t = baseTables(scope.mapping);
	const scored = scoredQuery(t, d, scope.settings, cut, scope.asOfMs, facts, inClients(sql`c.${t.clients.id}`, only));
	const result = await run(knex, writeScoresQuery(t, d, scope.asOfMs, scored, (alias) => inClients(sql`${alias}.${t.clients.id}`, only)));
	return d.affectedRows(result, knex);
}

/** Full write pass from the stage, in id-range batches (short transactions, bounded memory). */
export async function writeAllScores(scope: EngineScope, cut: Cutoffs, batchSize = dialectOf(scope.knex).writeChunk, onBatch?: (done: number, total: number) => void): Promise<{ changed: number; clients: number }> {
	const t = baseTables(scope.mapping);
	let changed = 0;
	// each batch is its own statement (short locks); the stage is restricted to the same id range
	const clients = await forEachClientRange(scope.knex, scope.mapping, batchSize, async (only) => {
		changed += await writeScores(scope, cut, stageFactsQuery(t, only), only);
	}, onBatch);
	return { changed, clients: clients ?? Number(rows(await run(scope.knex, sql`SELECT COUNT(*) AS n FROM ${t.clients.table}`))[0]?.['n'] ?? 0) };
}

/** Incremental: re-scores just these clients from their deals, against the given (last full run's) cut-offs. */
export async function rescoreClients(scope: EngineScope, cut: Cutoffs, clientIds: number[]): Promise<number> {
	if (clientIds.length === 0) return 0;
	const only = { ids: clientIds };
	return writeScores(scope, cut, factsQuery(baseTables(scope.mapping), dialectOf(scope.knex), scope.settings, scope.asOfMs, only), only);
}
