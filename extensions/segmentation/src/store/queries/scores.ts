// The behaviour engine's SQL, each query with its bindings in place. Money in cents, time in epoch milliseconds
// inside the SQL (as in core/engine.ts), so ties are exact and both databases compute the same.
import type { EngineSettings } from '../../core/engine-settings.ts';
import { DAY_MS, type Cutoffs } from '../../core/engine.ts';
import type { Dialect } from '../dialects/types.ts';
import type { ClientRestriction } from '../restriction.ts';
import type { BaseTables } from './base-tables.ts';
import { andClients, ident, inClients, ints, join, sql, type Sql } from './sql.ts';

/** The client fields the engine owns (added to the mapped client collection). */
export const SCORE_FIELDS = [
	'rfm_frequency', 'rfm_monetary', 'rfm_r', 'rfm_f', 'rfm_m', 'rfm_code', 'rfm_segment', 'first_purchase_at', 'last_purchase_at',
	'avg_order_value', 'purchase_cycle_days', 'next_purchase_due_at', 'is_sleeping', 'lifecycle_stage', 'lifecycle_changed_at',
	'value_tier', 'spend_trend', 'rfm_computed_at',
] as const;

export const FACT_COLUMNS = sql`client_id, freq, sum_cents, first_ms, last_ms, recent_cents, previous_cents, cycle_ms, fresh_open, stale_open, lost, uninterested`;

const DAY = ints([DAY_MS]);

/**
 * One row of facts per client with at least one deal (columns: FACT_COLUMNS). Each CTE is read once, so PostgreSQL
 * streams it instead of materialising millions of rows; restricted to ids, every CTE starts at the deal-client index.
 */
export function factsQuery(t: BaseTables, d: Dialect, s: EngineSettings, asOfMs: number, only: ClientRestriction): Sql {
	const D = t.deals;
	const asOf = d.instant(asOfMs);
	const period = s.trend_period_days * DAY_MS;
	const recentStart = d.instant(asOfMs - period);
	const previousStart = d.instant(asOfMs - 2 * period);
	const freshStart = d.instant(asOfMs - s.refused_after_days * DAY_MS);
	const median = d.medianGap();
	const both = d.bothSides();
	const closed = d.instantOf(D.closed);
	const created = d.instantOf(D.created);
	// the conditions are those of core's skipReason, negated (skippedQuery counts the rest); a deal whose client
	// doesn't exist is dropped by the clients join of the write (and from the stage: dropOrphanFactsQuery)
	return sql`WITH won AS (
			SELECT ${D.client} AS client_id, ${d.roundInt(sql`${D.amount} * 100`)} AS cents, ${closed} AS closed, ${d.ms(closed)} AS closed_ms
			FROM ${D.table}
			WHERE ${D.client} IS NOT NULL AND ${D.status} = ${t.status.won} AND ${validAmount(t, d, s)} AND ${closed} <= ${asOf}${andClients(D.client, only)}
		),
		gaps AS (
			SELECT client_id, cents, closed, closed_ms, closed_ms - LAG(closed_ms) OVER (PARTITION BY client_id ORDER BY closed_ms) AS gap FROM won
		),
		${median.ctes}
		won_agg AS (
			SELECT client_id, COUNT(*) AS freq, SUM(cents) AS sum_cents, MIN(closed_ms) AS first_ms, MAX(closed_ms) AS last_ms,
				SUM(CASE WHEN closed > ${recentStart} THEN cents ELSE 0 END) AS recent_cents,
				SUM(CASE WHEN closed > ${previousStart} AND closed <= ${recentStart} THEN cents ELSE 0 END) AS previous_cents,
				${median.aggregate}
			FROM gaps GROUP BY client_id
		),
		other_agg AS (
			SELECT ${D.client} AS client_id,
				MAX(CASE WHEN ${D.status} = ${t.status.open} AND ${created} > ${freshStart} THEN 1 ELSE 0 END) AS fresh_open,
				MAX(CASE WHEN ${D.status} = ${t.status.open} AND (${D.created} IS NULL OR ${created} <= ${freshStart}) THEN 1 ELSE 0 END) AS stale_open,
				MAX(CASE WHEN ${D.status} = ${t.status.lost} THEN 1 ELSE 0 END) AS lost,
				MAX(CASE WHEN ${D.status} = ${t.status.uninterested} THEN 1 ELSE 0 END) AS uninterested
			FROM ${D.table}
			WHERE ${D.client} IS NOT NULL AND ${D.status} IN (${t.status.open}, ${t.status.lost}, ${t.status.uninterested})
				AND (${D.created} IS NULL OR ${created} <= ${asOf})${andClients(D.client, only)}
			GROUP BY ${D.client}
		)${both.cte}
		SELECT ${both.id} AS client_id, COALESCE(w.freq, 0) AS freq, COALESCE(w.sum_cents, 0) AS sum_cents, w.first_ms, w.last_ms,
			COALESCE(w.recent_cents, 0) AS recent_cents, COALESCE(w.previous_cents, 0) AS previous_cents, ${median.value} AS cycle_ms,
			COALESCE(o.fresh_open, 0) AS fresh_open, COALESCE(o.stale_open, 0) AS stale_open, COALESCE(o.lost, 0) AS lost, COALESCE(o.uninterested, 0) AS uninterested
		${both.from}${median.join}`;
}

/** The stage's facts of the clients (the full run's write pass reads them back range by range). */
export function stageFactsQuery(t: BaseTables, only: ClientRestriction): Sql {
	return sql`SELECT ${FACT_COLUMNS} FROM ${t.stage} WHERE ${inClients(sql`client_id`, only)}`;
}

/** A won deal's amount that counts: a number from 0 to the maximum (text, NaN and ±Infinity sort above it). */
function validAmount(t: BaseTables, d: Dialect, s: EngineSettings): Sql {
	return sql`${t.deals.amount} >= 0 AND ${t.deals.amount} <= ${d.amountBound(s.max_deal_amount)}`;
}

/**
 * Deals a run leaves out: rows (reason, n), each deal under the first reason that applies, in the order of core's
 * skipReason (a closed date is checked only once the amount counts). One pass over the deals, joined to the clients.
 */
export function skippedQuery(t: BaseTables, d: Dialect, s: EngineSettings, asOfMs: number): Sql {
	const S = t.status;
	// the deals aliased: the clients joined may have columns of the same names
	const col = (name: Sql) => sql`dl.${name}`;
	const [client, status, amount, closedAt, createdAt] = [t.deals.client, t.deals.status, t.deals.amount, t.deals.closed, t.deals.created].map(col) as [Sql, Sql, Sql, Sql, Sql];
	const asOf = d.instant(asOfMs);
	const closed = d.instantOf(closedAt);
	const created = d.instantOf(createdAt);
	return sql`SELECT reason, COUNT(*) AS n FROM (
			SELECT CASE
				WHEN ${client} IS NULL THEN 'no_client'
				WHEN c.${t.clients.id} IS NULL THEN 'unknown_client'
				WHEN ${status} IS NULL OR ${status} NOT IN (${S.won}, ${S.lost}, ${S.open}, ${S.uninterested}) THEN 'unknown_status'
				WHEN ${status} = ${S.won} THEN CASE
					WHEN ${amount} IS NULL OR ${amount} < 0 THEN 'bad_amount'
					WHEN ${amount} > ${d.amountBound(s.max_deal_amount)} THEN CASE WHEN ${d.notANumber(amount)} THEN 'bad_amount' ELSE 'amount_over_max' END
					WHEN ${closedAt} IS NULL THEN 'no_date'
					WHEN ${closed} IS NULL THEN 'bad_date'
					WHEN ${closed} > ${asOf} THEN 'future_date'
				END
				WHEN ${createdAt} IS NOT NULL AND ${created} IS NULL THEN 'bad_date'
				WHEN ${created} > ${asOf} THEN 'future_date'
			END AS reason
			FROM ${t.deals.table} dl LEFT JOIN ${t.clients.table} c ON c.${t.clients.id} = ${client}
		) r WHERE reason IS NOT NULL GROUP BY reason`;
}

/** Facts of deals whose client doesn't exist (no foreign key on an existing base): out of the stage and its cut-offs. */
export function dropOrphanFactsQuery(t: BaseTables): Sql {
	return sql`DELETE FROM ${t.stage} WHERE NOT EXISTS (SELECT 1 FROM ${t.clients.table} c WHERE c.${t.clients.id} = ${t.stage}.client_id)`;
}

/** The M value: cents spent, or cents per purchase as an IEEE double (as core computes it, so ties agree). */
export function monetary(s: EngineSettings, d: Dialect, alias: Sql | null = null): Sql {
	const column = (name: string) => (alias ? sql`${alias}.${ident(name)}` : ident(name));
	// NULLIF: computed for clients without purchases too (a CTE's column is not evaluated lazily like a CASE branch)
	return s.rfm_monetary_basis === 'sum' ? column('sum_cents') : sql`(${d.double(column('sum_cents'))} / NULLIF(${column('freq')}, 0))`;
}

/** Whole days from the last purchase to as_of. */
export function recency(d: Dialect, asOfMs: number, lastMs: Sql): Sql {
	return d.floorInt(sql`(${d.float(asOfMs)} - ${lastMs}) / ${DAY}`);
}

/** Values at 1-based positions of an ordered expression over the stage's scored clients: rows (rn, v). */
export function valuesAtQuery(t: BaseTables, expr: Sql, positions: number[]): Sql {
	return sql`SELECT rn, v FROM (SELECT ${expr} AS v, ROW_NUMBER() OVER (ORDER BY ${expr}) AS rn FROM ${t.stage} WHERE freq > 0) t
		WHERE rn IN (${ints(positions)})`;
}

/** The median purchase cycle of the base: the mean of the values at the middle position(s). */
export function baseCycleQuery(t: BaseTables, middle: number[]): Sql {
	return sql`SELECT AVG(v) AS v FROM (
			SELECT cycle_ms AS v, ROW_NUMBER() OVER (ORDER BY cycle_ms) AS rn FROM ${t.stage} WHERE freq > 0 AND cycle_ms IS NOT NULL
		) t WHERE rn IN (${ints(middle)})`;
}

export function scoredCountQuery(t: BaseTables): Sql {
	return sql`SELECT COUNT(*) AS n, SUM(CASE WHEN cycle_ms IS NOT NULL THEN 1 ELSE 0 END) AS cycles FROM ${t.stage} WHERE freq > 0`;
}

/**
 * The new field values per client of the clients selected by `clients` (a condition over c), from a facts source,
 * against fixed cut-offs: scores (facts joined to clients, r/f/m, cycle) → slept (sleeping) → the field values.
 */
export function scoredQuery(t: BaseTables, d: Dialect, s: EngineSettings, cut: Cutoffs, asOfMs: number, facts: Sql, clients: Sql): Sql {
	const asOf = d.float(asOfMs);
	const f = sql`f`;
	const above = (expr: Sql, cutoffs: number[]) => (cutoffs.length ? join(cutoffs.map((v) => sql`CASE WHEN ${expr} > ${v} THEN 1 ELSE 0 END`), ' + ') : sql`0`);
	const letters = (col: Sql) => (s.rfm_scheme === 'abc' ? sql`CASE ${col} WHEN 1 THEN 'A' WHEN 2 THEN 'B' ELSE 'C' END` : sql`CAST(${col} AS VARCHAR(4))`);
	const rules = s.rfm_segment_maps[String(cut.levels)] ?? [];
	const named = rules.length
		? join(rules.map((r) => sql`WHEN x.r BETWEEN ${r.r[0]} AND ${r.r[1]} AND (x.f + x.m + 1) / 2 BETWEEN ${r.fm[0]} AND ${r.fm[1]} THEN ${r.name}`), ' ')
		: sql`WHEN 1 = 0 THEN NULL`;
	const difficult = t.clients.difficult ? sql`c.${t.clients.difficult} = TRUE` : sql`FALSE`;
	const mval = monetary(s, d, f);
	const apart = d.materializedCte();
	// the trend in doubles, as core compares: a big spend times 100 can't overflow a bigint (a stage column on
	// PostgreSQL), and a fractional percentage is a double too
	const recent100 = sql`${d.double(sql`x.recent_cents`)} * 100`;
	const previous = d.double(sql`x.previous_cents`);
	return sql`WITH scores AS ${apart} (
			SELECT c.${t.clients.id} AS id, COALESCE(f.freq, 0) AS freq, f.sum_cents, f.first_ms, f.last_ms, f.recent_cents, f.previous_cents,
				COALESCE(f.fresh_open, 0) AS fresh_open, COALESCE(f.stale_open, 0) AS stale_open, COALESCE(f.lost, 0) AS lost, COALESCE(f.uninterested, 0) AS uninterested,
				CASE WHEN ${difficult} THEN TRUE ELSE FALSE END AS is_difficult,
				${mval} AS mval,
				CASE WHEN f.freq > 0 THEN COALESCE(f.cycle_ms, ${d.float(cut.baseCycleMs)}) END AS cycle,
				CASE WHEN f.freq > 0 THEN ${cut.levels} - (${above(recency(d, asOfMs, sql`f.last_ms`), cut.recency)}) END AS r,
				CASE WHEN f.freq > 0 THEN 1 + ${above(sql`f.freq`, cut.frequency)} END AS f,
				CASE WHEN f.freq > 0 THEN 1 + ${above(mval, cut.monetary)} END AS m
			FROM ${t.clients.table} c LEFT JOIN (${facts}) f ON f.client_id = c.${t.clients.id} WHERE ${clients}
		),
		slept AS ${apart} (
			SELECT y.*, CASE WHEN y.cycle IS NULL THEN FALSE WHEN ${asOf} - y.last_ms > y.cycle * ${d.float(s.sleeping_factor)} THEN TRUE ELSE FALSE END AS sleeping
			FROM scores y
		)
		SELECT x.*,
			CASE WHEN x.freq > 0 THEN ${letters(sql`x.r`)} || ${letters(sql`x.f`)} || ${letters(sql`x.m`)} END AS v_code,
			CASE WHEN x.freq > 0 THEN CASE ${named} END END AS v_segment,
			CASE WHEN x.freq > 0 THEN x.sleeping END AS v_sleeping,
			CASE WHEN x.freq > 0 THEN CASE WHEN x.freq = 1 THEN 'one_time' WHEN x.freq >= ${s.regular_min_purchases} AND x.sleeping = FALSE THEN 'regular' ELSE 'returning' END
				WHEN x.fresh_open = 1 THEN 'in_selection' WHEN x.lost = 1 OR x.stale_open = 1 THEN 'refused' WHEN x.uninterested = 1 THEN 'uninterested' ELSE 'lead' END AS v_stage,
			CASE WHEN x.is_difficult THEN 'difficult' WHEN x.freq > 0 AND x.mval > ${d.float(cut.vip)} THEN 'vip' WHEN x.freq > 0 THEN 'regular' END AS v_tier,
			CASE WHEN x.freq > 0 THEN CASE WHEN x.previous_cents > 0 AND ${recent100} <= ${previous} * ${d.float(100 - s.trend_change_percent)} THEN 'declining'
				WHEN x.recent_cents > 0 AND ${recent100} >= ${previous} * ${d.float(100 + s.trend_change_percent)} THEN 'rising' ELSE 'steady' END END AS v_trend
		FROM slept x`;
}

/**
 * Writes the scores of the clients `clients` selects (a condition over the given alias) from `scored`, touching
 * only rows whose values change; the target is restricted like the source, so the planner walks the key range.
 */
export function writeScoresQuery(t: BaseTables, d: Dialect, asOfMs: number, scored: Sql, clients: (alias: Sql) => Sql): Sql {
	const c = t.clients.table;
	const asOf = d.fromMs(d.float(asOfMs));
	const whenScored = (value: Sql) => sql`CASE WHEN s.freq > 0 THEN ${value} END`;
	const values: Record<Exclude<(typeof SCORE_FIELDS)[number], 'lifecycle_changed_at' | 'rfm_computed_at'>, Sql> = {
		rfm_frequency: whenScored(sql`s.freq`),
		rfm_monetary: whenScored(d.money(sql`s.mval`)),
		rfm_r: sql`s.r`,
		rfm_f: sql`s.f`,
		rfm_m: sql`s.m`,
		rfm_code: sql`s.v_code`,
		rfm_segment: sql`s.v_segment`,
		first_purchase_at: whenScored(d.fromMs(sql`s.first_ms`)),
		last_purchase_at: whenScored(d.fromMs(sql`s.last_ms`)),
		avg_order_value: whenScored(d.money(sql`s.sum_cents * 1.0 / s.freq`)),
		purchase_cycle_days: whenScored(d.storedFloat(sql`s.cycle / ${DAY}.0`)),
		next_purchase_due_at: sql`CASE WHEN s.freq > 0 AND s.cycle IS NOT NULL THEN ${d.fromMs(sql`s.last_ms + ${d.floorInt(sql`s.cycle`)}`)} END`,
		is_sleeping: sql`s.v_sleeping`,
		lifecycle_stage: sql`s.v_stage`,
		value_tier: sql`s.v_tier`,
		spend_trend: sql`s.v_trend`,
	};
	const fields = Object.entries(values).map(([name, value]) => ({ column: ident(name), value }));
	const stage = ident('lifecycle_stage');
	const changedAt = ident('lifecycle_changed_at');
	const sets = join(
		[
			...fields.map((f) => sql`${f.column} = ${f.value}`),
			// set only when the stage changes
			sql`${changedAt} = CASE WHEN ${d.isDistinct(sql`${c}.${stage}`, sql`s.v_stage`)} THEN ${asOf} ELSE ${c}.${changedAt} END`,
			sql`${ident('rfm_computed_at')} = ${asOf}`,
		],
		', ',
	);
	const changed = join(fields.map((f) => d.isDistinct(sql`${c}.${f.column}`, f.value)), ' OR ');
	return sql`UPDATE ${c} SET ${sets} FROM (${scored}) s WHERE ${c}.${t.clients.id} = s.id AND ${clients(c)} AND (${changed})`;
}
