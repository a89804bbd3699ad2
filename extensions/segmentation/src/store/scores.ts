// The behaviour engine in set-based SQL, one code path for the whole base and for a set of clients:
//   facts    — one aggregate pass over the deals (purchases, spend windows, median gap, open/lost/uninterested)
//   cut-offs — value cut-offs from the facts of the whole base (full runs only; incremental runs reuse them)
//   write    — UPDATE … FROM the facts with the scores computed in SQL, touching only rows whose values changed.
// Semantics are those of core/engine.ts (property-tested against it). Identifiers come from the checked mapping.
import type { Knex } from 'knex';
import type { Mapping } from '../core/mapping.ts';
import { levelsOf, type EngineSettings } from '../core/engine-settings.ts';
import { cutoffPositions, DAY_MS, noSkips, vipPosition, type Cutoffs, type Skipped } from '../core/engine.ts';
import { dialectOf, type Dialect } from './sql-dialect.ts';
import { STAGE_TABLE } from './tables.ts';
import { andRestricted, clientIdRanges, idList, q, rows, type ClientRestriction } from './restriction.ts';

/** The client fields the engine owns (added to the mapped client collection). */
export const SCORE_FIELDS = [
	'rfm_frequency', 'rfm_monetary', 'rfm_r', 'rfm_f', 'rfm_m', 'rfm_code', 'rfm_segment', 'first_purchase_at', 'last_purchase_at',
	'avg_order_value', 'purchase_cycle_days', 'next_purchase_due_at', 'is_sleeping', 'lifecycle_stage', 'lifecycle_changed_at',
	'value_tier', 'spend_trend', 'rfm_computed_at',
] as const;

/** Clients per statement on SQLite (keeps each statement well under a second at 10 deals per client). */
const SQLITE_CHUNK = 25_000;

/** Collects SQL text and its positional bindings together, so they can't drift apart. */
class Sql {
	text = '';
	bindings: unknown[] = [];
	add(text: string, ...bindings: unknown[]): this {
		this.text += text;
		this.bindings.push(...bindings);
		return this;
	}
}

export interface EngineScope {
	knex: Knex;
	mapping: Mapping;
	settings: EngineSettings;
	asOfMs: number;
}

/** One row of facts per client with at least one deal. Columns: client_id, freq, sum_cents, first_ms, last_ms,
 *  recent_cents, previous_cents, cycle_ms, fresh_open, stale_open, lost, uninterested. */
function factsSelect(scope: EngineScope, d: Dialect, only: ClientRestriction): Sql {
	const m = scope.mapping;
	const s = scope.settings;
	const asOf = d.instant(scope.asOfMs);
	const period = s.trend_period_days * DAY_MS;
	const recentStart = d.instant(scope.asOfMs - period);
	const previousStart = d.instant(scope.asOfMs - 2 * period);
	const freshStart = d.instant(scope.asOfMs - s.refused_after_days * DAY_MS);
	const restrict = andRestricted(q(m.deal_client_field), only);
	const closed = q(m.deal_closed_field);
	const created = q(m.deal_created_field);
	const st = q(m.deal_status_field);
	// PostgreSQL takes the median gap in the same aggregate pass (percentile_cont(0.5) is the mean of the two
	// middle gaps, as core's median); SQLite ranks the gaps in a window and averages the middle one or two.
	const cycleSql = d.pg
		? { column: 'percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS cycle_ms', ctes: '', join: '', pick: 'w.cycle_ms' }
		: {
				column: 'NULL AS cycle_ms',
				ctes: `ranked AS (
			SELECT client_id, gap, ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY gap) AS rn, COUNT(*) OVER (PARTITION BY client_id) AS cnt
			FROM gaps WHERE gap IS NOT NULL
		),
		cycles AS (
			SELECT client_id, AVG(gap) AS cycle_ms FROM ranked WHERE rn = (cnt + 1) / 2 OR rn = (cnt + 2) / 2 GROUP BY client_id
		),`,
				join: ' LEFT JOIN cycles c ON c.client_id = ids.client_id',
				pick: 'c.cycle_ms',
			};
	// clients with purchases and/or other deals: PostgreSQL hash-joins the two aggregates in one FULL JOIN; SQLite
	// can't index a FULL JOIN's side (it would loop), so there the ids are a UNION and both sides are LEFT-joined
	const joined = d.pg
		? { ids: '', id: 'COALESCE(w.client_id, o.client_id)', from: 'FROM won_agg w FULL OUTER JOIN other_agg o ON o.client_id = w.client_id' }
		: {
				ids: ',\n\t\tids AS (SELECT client_id FROM won_agg UNION SELECT client_id FROM other_agg)',
				id: 'ids.client_id',
				from: 'FROM ids LEFT JOIN won_agg w ON w.client_id = ids.client_id LEFT JOIN other_agg o ON o.client_id = ids.client_id',
			};
	const sql = new Sql();
	// each CTE is read once, so PostgreSQL streams it instead of materialising millions of rows
	sql.add(
		`WITH won AS (
			SELECT ${q(m.deal_client_field)} AS client_id, ${d.roundInt(`${q(m.deal_amount_field)} * 100`)} AS cents, ${closed} AS closed, ${d.ms(closed)} AS closed_ms
			FROM ${q(m.deal_collection)}
			WHERE ${q(m.deal_client_field)} IS NOT NULL AND ${st} = ? AND ${q(m.deal_amount_field)} >= 0 AND ${closed} IS NOT NULL AND ${closed} <= ${asOf.sql}${restrict}
		),
		gaps AS (
			SELECT client_id, cents, closed, closed_ms, closed_ms - LAG(closed_ms) OVER (PARTITION BY client_id ORDER BY closed_ms) AS gap FROM won
		),
		${cycleSql.ctes}
		won_agg AS (
			SELECT client_id, COUNT(*) AS freq, SUM(cents) AS sum_cents, MIN(closed_ms) AS first_ms, MAX(closed_ms) AS last_ms,
				SUM(CASE WHEN closed > ${recentStart.sql} THEN cents ELSE 0 END) AS recent_cents,
				SUM(CASE WHEN closed > ${previousStart.sql} AND closed <= ${recentStart.sql} THEN cents ELSE 0 END) AS previous_cents,
				${cycleSql.column}
			FROM gaps GROUP BY client_id
		),
		other_agg AS (
			SELECT ${q(m.deal_client_field)} AS client_id,
				MAX(CASE WHEN ${st} = ? AND ${created} > ${freshStart.sql} THEN 1 ELSE 0 END) AS fresh_open,
				MAX(CASE WHEN ${st} = ? AND (${created} IS NULL OR ${created} <= ${freshStart.sql}) THEN 1 ELSE 0 END) AS stale_open,
				MAX(CASE WHEN ${st} = ? THEN 1 ELSE 0 END) AS lost,
				MAX(CASE WHEN ${st} = ? THEN 1 ELSE 0 END) AS uninterested
			FROM ${q(m.deal_collection)}
			WHERE ${q(m.deal_client_field)} IS NOT NULL AND ${st} IN (?, ?, ?) AND (${created} IS NULL OR ${created} <= ${asOf.sql})${restrict}
			GROUP BY ${q(m.deal_client_field)}
		)${joined.ids}
		SELECT ${joined.id} AS client_id, COALESCE(w.freq, 0) AS freq, COALESCE(w.sum_cents, 0) AS sum_cents, w.first_ms, w.last_ms,
			COALESCE(w.recent_cents, 0) AS recent_cents, COALESCE(w.previous_cents, 0) AS previous_cents, ${cycleSql.pick} AS cycle_ms,
			COALESCE(o.fresh_open, 0) AS fresh_open, COALESCE(o.stale_open, 0) AS stale_open, COALESCE(o.lost, 0) AS lost, COALESCE(o.uninterested, 0) AS uninterested
		${joined.from}${cycleSql.join}`,
		m.deal_status_won, asOf.binding,
		recentStart.binding, previousStart.binding, recentStart.binding,
		m.deal_status_open, freshStart.binding, m.deal_status_open, freshStart.binding, m.deal_status_lost, m.deal_status_uninterested,
		m.deal_status_open, m.deal_status_lost, m.deal_status_uninterested, asOf.binding,
	);
	return sql;
}

/** Deals a run leaves out, by reason (the same classification as core's aggregateFacts). */
export async function countSkipped(scope: EngineScope): Promise<Skipped> {
	const { knex, mapping: m } = scope;
	const d = dialectOf(knex);
	const asOf = d.instant(scope.asOfMs);
	const known = [m.deal_status_won, m.deal_status_lost, m.deal_status_open, m.deal_status_uninterested];
	const st = q(m.deal_status_field);
	const sql = `SELECT
		SUM(CASE WHEN ${q(m.deal_client_field)} IS NULL THEN 1 ELSE 0 END) AS no_client,
		SUM(CASE WHEN ${q(m.deal_client_field)} IS NOT NULL AND (${st} IS NULL OR ${st} NOT IN (?, ?, ?, ?)) THEN 1 ELSE 0 END) AS unknown_status,
		SUM(CASE WHEN ${q(m.deal_client_field)} IS NOT NULL AND ${st} = ? AND (${q(m.deal_amount_field)} IS NULL OR ${q(m.deal_amount_field)} < 0) THEN 1 ELSE 0 END) AS bad_amount,
		SUM(CASE WHEN ${q(m.deal_client_field)} IS NOT NULL AND ${st} = ? AND ${q(m.deal_amount_field)} >= 0 AND ${q(m.deal_closed_field)} IS NULL THEN 1 ELSE 0 END) AS no_date,
		SUM(CASE WHEN ${q(m.deal_client_field)} IS NOT NULL AND ((${st} = ? AND ${q(m.deal_amount_field)} >= 0 AND ${q(m.deal_closed_field)} > ${asOf.sql})
			OR (${st} IN (?, ?, ?) AND ${q(m.deal_created_field)} > ${asOf.sql})) THEN 1 ELSE 0 END) AS future_date
		FROM ${q(m.deal_collection)}`;
	const [row] = rows(
		await knex.raw(sql, [...known, m.deal_status_won, m.deal_status_won, m.deal_status_won, asOf.binding, m.deal_status_lost, m.deal_status_open, m.deal_status_uninterested, asOf.binding]),
	);
	const skipped = noSkips();
	for (const key of Object.keys(skipped) as Array<keyof Skipped>) skipped[key] = Number(row?.[key] ?? 0);
	return skipped;
}


/** Rebuilds the stage table with the facts of every client that has deals. */
export async function buildStage(scope: EngineScope): Promise<number> {
	const { knex } = scope;
	const d = dialectOf(knex);
	await d.truncate(knex, STAGE_TABLE);
	const insert = async (only: ClientRestriction) => {
		const facts = factsSelect(scope, d, only);
		await knex.raw(
			`INSERT INTO ${STAGE_TABLE} (client_id, freq, sum_cents, first_ms, last_ms, recent_cents, previous_cents, cycle_ms, fresh_open, stale_open, lost, uninterested) ${facts.text}`,
			facts.bindings,
		);
	};
	if (d.pg) {
		await insert(null);
		await knex.raw(`ANALYZE ${STAGE_TABLE}`);
	} else {
		// SQLite serves Directus through one connection: short statements (a client-id range each) let requests
		// in between instead of queueing behind one long pass
		for (const range of (await clientIdRanges(knex, scope.mapping, SQLITE_CHUNK)).ranges) await insert({ range });
	}
	const [row] = rows(await knex.raw(`SELECT COUNT(*) AS n FROM ${STAGE_TABLE}`));
	return Number(row?.['n'] ?? 0);
}

/** The M value: cents spent, or cents per purchase as an IEEE double (as core computes it, so ties agree). */
function monetaryExpr(settings: EngineSettings, d: Dialect, alias = ''): string {
	if (settings.rfm_monetary_basis === 'sum') return `${alias}sum_cents`;
	return d.pg ? `(CAST(${alias}sum_cents AS DOUBLE PRECISION) / ${alias}freq)` : `(${alias}sum_cents * 1.0 / ${alias}freq)`;
}

/** Values at the given 1-based positions of an ordered expression over the scored clients of the stage. */
async function valuesAt(knex: Knex, expr: string, positions: number[], bindings: unknown[] = []): Promise<number[]> {
	if (positions.length === 0) return [];
	const unique = [...new Set(positions)];
	const result = rows(
		await knex.raw(
			`SELECT rn, v FROM (SELECT ${expr} AS v, ROW_NUMBER() OVER (ORDER BY ${expr}) AS rn FROM ${STAGE_TABLE} WHERE freq > 0) t WHERE rn IN (${unique.join(',')})`,
			[...bindings, ...bindings],
		),
	);
	const byPosition = new Map(result.map((r) => [Number(r['rn']), Number(r['v'])]));
	return positions.map((p) => byPosition.get(p)!);
}

/** Cut-offs from the stage (the whole base): value cut-offs per dimension, the VIP line, the base cycle. */
export async function computeStageCutoffs(scope: EngineScope): Promise<Cutoffs> {
	const { knex, settings: s } = scope;
	const levels = levelsOf(s);
	const [countRow] = rows(await knex.raw(`SELECT COUNT(*) AS n, SUM(CASE WHEN cycle_ms IS NOT NULL THEN 1 ELSE 0 END) AS cycles FROM ${STAGE_TABLE} WHERE freq > 0`));
	const scored = Number(countRow?.['n'] ?? 0);
	const withCycle = Number(countRow?.['cycles'] ?? 0);
	const d = dialectOf(knex);
	let baseCycleMs: number | null = s.default_cycle_days !== null ? s.default_cycle_days * DAY_MS : null;
	if (s.default_cycle_days === null && withCycle > 0) {
		const middle = [...new Set([Math.floor((withCycle + 1) / 2), Math.floor((withCycle + 2) / 2)])];
		const result = rows(
			await knex.raw(`SELECT AVG(v) AS v FROM (SELECT cycle_ms AS v, ROW_NUMBER() OVER (ORDER BY cycle_ms) AS rn FROM ${STAGE_TABLE} WHERE freq > 0 AND cycle_ms IS NOT NULL) t WHERE rn IN (${middle.join(',')})`),
		);
		baseCycleMs = Number(result[0]?.['v']);
	}
	const positions = scored ? cutoffPositions(scored, levels) : [];
	const monetary: Array<number | null> = scored ? await valuesAt(knex, monetaryExpr(s, d), [...positions, vipPosition(scored, s.vip_top_percent)]) : [null];
	const vip = monetary.pop() ?? null;
	if (s.rfm_scheme === 'thresholds') {
		const t = s.rfm_thresholds;
		return { levels, recency: t.recency, frequency: t.frequency, monetary: t.monetary.map((v) => v * 100), vip, baseCycleMs };
	}
	if (scored === 0) return { levels, recency: [], frequency: [], monetary: [], vip: null, baseCycleMs };
	const recencyExpr = d.floorInt(`(${d.float} - last_ms) / ${DAY_MS}`);
	return {
		levels,
		recency: await valuesAt(knex, recencyExpr, positions, [scope.asOfMs]),
		frequency: await valuesAt(knex, 'freq', positions),
		monetary: monetary as number[],
		vip,
		baseCycleMs,
	};
}

/** SELECT of the new field values per client, from a facts source, against fixed cut-offs. */
function scoredSelect(scope: EngineScope, d: Dialect, cut: Cutoffs, source: Sql, clientFilter: string): Sql {
	const { mapping: m, settings: s } = scope;
	const sql = new Sql();
	const count = (expr: string, cutoffs: number[]) => (cutoffs.length ? cutoffs.map(() => `CASE WHEN ${expr} > ? THEN 1 ELSE 0 END`).join(' + ') : '0');
	const difficult = m.client_difficult_field ? `c.${q(m.client_difficult_field)} = TRUE` : 'FALSE';
	const recency = d.floorInt(`(${d.float} - f.last_ms) / ${DAY_MS}`);
	const letters = (col: string) => (s.rfm_scheme === 'abc' ? `CASE ${col} WHEN 1 THEN 'A' WHEN 2 THEN 'B' ELSE 'C' END` : `CAST(${col} AS VARCHAR(4))`);
	const rules = s.rfm_segment_maps[String(cut.levels)] ?? [];

	// innermost: facts joined to clients, scores r/f/m, cycle; middle: sleeping; outer: the field values
	sql.add(`SELECT x.*,
			CASE WHEN x.freq > 0 THEN ${letters('x.r')} || ${letters('x.f')} || ${letters('x.m')} END AS v_code,
			CASE WHEN x.freq > 0 THEN CASE ${rules.map(() => 'WHEN x.r BETWEEN ? AND ? AND (x.f + x.m + 1) / 2 BETWEEN ? AND ? THEN ?').join(' ')} ${rules.length ? '' : 'WHEN 1 = 0 THEN NULL'} END END AS v_segment,
			CASE WHEN x.freq > 0 THEN x.sleeping END AS v_sleeping,
			CASE WHEN x.freq > 0 THEN CASE WHEN x.freq = 1 THEN 'one_time' WHEN x.freq >= ? AND x.sleeping = FALSE THEN 'regular' ELSE 'returning' END
				WHEN x.fresh_open = 1 THEN 'in_selection' WHEN x.lost = 1 OR x.stale_open = 1 THEN 'refused' WHEN x.uninterested = 1 THEN 'uninterested' ELSE 'lead' END AS v_stage,
			CASE WHEN x.is_difficult THEN 'difficult' WHEN x.freq > 0 AND x.mval > ${d.float} THEN 'vip' WHEN x.freq > 0 THEN 'regular' END AS v_tier,
			CASE WHEN x.freq > 0 THEN CASE WHEN x.previous_cents > 0 AND x.recent_cents * 100 <= x.previous_cents * ? THEN 'declining'
				WHEN x.recent_cents > 0 AND x.recent_cents * 100 >= x.previous_cents * ? THEN 'rising' ELSE 'steady' END END AS v_trend
		FROM (SELECT y.*, CASE WHEN y.cycle IS NULL THEN FALSE WHEN ${d.float} - y.last_ms > y.cycle * ${d.float} THEN TRUE ELSE FALSE END AS sleeping
			FROM (SELECT c.id, COALESCE(f.freq, 0) AS freq, f.sum_cents, f.first_ms, f.last_ms, f.recent_cents, f.previous_cents,
				COALESCE(f.fresh_open, 0) AS fresh_open, COALESCE(f.stale_open, 0) AS stale_open, COALESCE(f.lost, 0) AS lost, COALESCE(f.uninterested, 0) AS uninterested,
				CASE WHEN ${difficult} THEN TRUE ELSE FALSE END AS is_difficult,
				${monetaryExpr(s, d, 'f.')} AS mval,
				CASE WHEN f.freq > 0 THEN COALESCE(f.cycle_ms, ${d.float}) END AS cycle,
				CASE WHEN f.freq > 0 THEN ? - (${count(recency, cut.recency)}) END AS r,
				CASE WHEN f.freq > 0 THEN 1 + ${count('f.freq', cut.frequency)} END AS f,
				CASE WHEN f.freq > 0 THEN 1 + ${count(monetaryExpr(s, d, 'f.'), cut.monetary)} END AS m
			FROM ${q(m.client_collection)} c LEFT JOIN (`);
	const head = [
		...rules.flatMap((r) => [r.r[0], r.r[1], r.fm[0], r.fm[1], r.name]),
		s.regular_min_purchases,
		cut.vip,
		100 - s.trend_change_percent,
		100 + s.trend_change_percent,
		scope.asOfMs,
		s.sleeping_factor,
		cut.baseCycleMs,
		cut.levels,
		...cut.recency.flatMap((v) => [scope.asOfMs, v]),
		...cut.frequency,
		...cut.monetary,
	];
	sql.bindings.push(...head);
	sql.add(source.text, ...source.bindings);
	sql.add(`) f ON f.client_id = c.id WHERE ${clientFilter}) y) x`);
	return sql;
}

/** Writes the scores of the clients matched by clientFilter; returns how many rows changed. */
async function writeScores(scope: EngineScope, cut: Cutoffs, source: Sql, clientFilter: (alias: string) => string): Promise<number> {
	const { knex, mapping: m } = scope;
	const d = dialectOf(knex);
	const src = scoredSelect(scope, d, cut, source, clientFilter('c'));
	const t = q(m.client_collection);
	const asOf = d.fromMs(d.float);
	const money = (e: string) => (d.pg ? `ROUND(CAST(${e} AS NUMERIC) / 100, 2)` : `ROUND((${e}) / 100.0, 2)`);
	const values: Record<(typeof SCORE_FIELDS)[number], string> = {
		rfm_frequency: 'CASE WHEN s.freq > 0 THEN s.freq END',
		rfm_monetary: `CASE WHEN s.freq > 0 THEN ${money('s.mval')} END`,
		rfm_r: 's.r',
		rfm_f: 's.f',
		rfm_m: 's.m',
		rfm_code: 's.v_code',
		rfm_segment: 's.v_segment',
		first_purchase_at: `CASE WHEN s.freq > 0 THEN ${d.fromMs('s.first_ms')} END`,
		last_purchase_at: `CASE WHEN s.freq > 0 THEN ${d.fromMs('s.last_ms')} END`,
		avg_order_value: `CASE WHEN s.freq > 0 THEN ${money('s.sum_cents * 1.0 / s.freq')} END`,
		// Directus's float is REAL on PostgreSQL: compare and store at that precision, or every run "changes" it
		purchase_cycle_days: `CASE WHEN s.freq > 0 THEN ${d.pg ? `CAST(s.cycle / ${DAY_MS}.0 AS REAL)` : `s.cycle / ${DAY_MS}.0`} END`,
		next_purchase_due_at: `CASE WHEN s.freq > 0 AND s.cycle IS NOT NULL THEN ${d.fromMs(`s.last_ms + ${d.floorInt('s.cycle')}`)} END`,
		is_sleeping: 's.v_sleeping',
		lifecycle_stage: 's.v_stage',
		lifecycle_changed_at: '', // set below: only when the stage changes
		value_tier: 's.v_tier',
		spend_trend: 's.v_trend',
		rfm_computed_at: '',
	};
	const distinct = (a: string, b: string) => (d.pg ? `${a} IS DISTINCT FROM ${b}` : `${a} IS NOT ${b}`);
	const compared = SCORE_FIELDS.filter((f) => values[f] !== '');
	const sets = compared.map((f) => `${q(f)} = ${values[f]}`);
	sets.push(`${q('lifecycle_changed_at')} = CASE WHEN ${distinct(`${t}.${q('lifecycle_stage')}`, 's.v_stage')} THEN ${asOf} ELSE ${t}.${q('lifecycle_changed_at')} END`);
	sets.push(`${q('rfm_computed_at')} = ${asOf}`);
	const changed = compared.map((f) => distinct(`${t}.${q(f)}`, values[f]!)).join(' OR ');
	// the target is restricted like the source, so the planner walks the key range instead of the whole table
	const sql = `UPDATE ${t} SET ${sets.join(', ')} FROM (${src.text}) s WHERE ${t}.${q('id')} = s.id AND ${clientFilter(t)} AND (${changed})`;
	const result = await knex.raw(sql, [scope.asOfMs, scope.asOfMs, ...src.bindings]);
	return d.pg ? Number((result as { rowCount: number }).rowCount) : await sqliteChanges(knex);
}

async function sqliteChanges(knex: Knex): Promise<number> {
	const [row] = rows(await knex.raw('SELECT changes() AS n'));
	return Number(row?.['n'] ?? 0);
}

/** Full write pass from the stage, in id-range batches (short transactions, bounded memory). */
export async function writeAllScores(scope: EngineScope, cut: Cutoffs, batchSize = dialectOf(scope.knex).pg ? 100_000 : SQLITE_CHUNK, onBatch?: (done: number, total: number) => void): Promise<{ changed: number; clients: number }> {
	const { ranges, count } = await clientIdRanges(scope.knex, scope.mapping, batchSize);
	let changed = 0;
	// each batch is its own statement (short locks); the stage is restricted to the same id range
	for (const [start, end] of ranges) {
		const range = `BETWEEN ${start} AND ${end}`;
		const stage = new Sql().add(`SELECT * FROM ${STAGE_TABLE} WHERE client_id ${range}`);
		changed += await writeScores(scope, cut, stage, (alias) => `${alias}.${q('id')} ${range}`);
		onBatch?.(end - ranges[0]![0] + 1, ranges.at(-1)![1] - ranges[0]![0] + 1);
	}
	return { changed, clients: count };
}

/** Incremental: re-scores just these clients from their deals, against the given (last full run's) cut-offs. */
export async function rescoreClients(scope: EngineScope, cut: Cutoffs, clientIds: number[]): Promise<number> {
	if (clientIds.length === 0) return 0;
	const d = dialectOf(scope.knex);
	const ids = idList(clientIds);
	return writeScores(scope, cut, factsSelect(scope, d, { ids: clientIds }), (alias) => `${alias}.${q('id')} IN (${ids})`);
}
