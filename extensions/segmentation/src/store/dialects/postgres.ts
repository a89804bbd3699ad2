// PostgreSQL: timestamptz columns, concurrent writers (several Directus instances), a planner that needs statistics
// for big intermediate sets (a CTE's row estimate can be far off, and a nested loop over it is quadratic).
import type { Knex } from 'knex';
import type { Column } from '../bulk-insert.ts';
import { rows, type ClientRestriction } from '../restriction.ts';
import type { BaseTables } from '../queries/base-tables.ts';
import { EMPTY, ident, inClients, join, run, sql, type Sql } from '../queries/sql.ts';
import type { BothSidesSql, CountsBySegment, Dialect, HeldSet, MedianGapSql, MembershipChange, RuleRowsSql, SetSpec } from './types.ts';

const CHUNK_ROWS = 50_000;

export class PostgresDialect implements Dialect {
	readonly name = 'postgres';
	readonly pg = true;
	readonly passChunk = null;
	readonly writeChunk = 100_000;

	// date_part is float8 (EXTRACT is numeric, several times slower over millions of rows); rounding to whole
	// milliseconds removes float noise (timestamps are written with millisecond precision)
	ms(expr: Sql): Sql {
		return sql`CAST(ROUND(DATE_PART('epoch', ${expr}) * 1000) AS BIGINT)`;
	}
	fromMs(expr: Sql): Sql {
		return sql`TO_TIMESTAMP((${expr}) / 1000.0)`;
	}
	instant(ms: number): Sql {
		return sql`${new Date(ms).toISOString()}::timestamptz`;
	}
	float(value: number | null): Sql {
		return sql`CAST(${value} AS DOUBLE PRECISION)`;
	}
	roundInt(expr: Sql): Sql {
		return sql`CAST(ROUND(CAST(${expr} AS NUMERIC)) AS BIGINT)`;
	}
	floorInt(expr: Sql): Sql {
		return sql`CAST(FLOOR(${expr}) AS BIGINT)`;
	}
	double(expr: Sql): Sql {
		return sql`CAST(${expr} AS DOUBLE PRECISION)`;
	}
	money(cents: Sql): Sql {
		return sql`ROUND(CAST(${cents} AS NUMERIC) / 100, 2)`;
	}
	/** Directus's float is REAL here: store and compare at that precision, or every run "changes" it. */
	storedFloat(expr: Sql): Sql {
		return sql`CAST(${expr} AS REAL)`;
	}
	isDistinct(a: Sql, b: Sql): Sql {
		return sql`${a} IS DISTINCT FROM ${b}`;
	}

	instantOf(column: Sql): Sql {
		return column;
	}
	/** NUMERIC: an untyped parameter would take the column's type (1e12 overflows an integer column), a double one
	 *  would convert every numeric amount to double (and fail on one beyond its range). NaN and ±Infinity sort
	 *  above every number, so `amount <= bound` keeps only finite numbers. */
	amountBound(value: number): Sql {
		return sql`CAST(${value} AS NUMERIC)`;
	}
	/** Any numeric type prints NaN as 'NaN' (a cast to double could overflow on a huge numeric). */
	notANumber(expr: Sql): Sql {
		return sql`CAST(${expr} AS TEXT) = 'NaN'`;
	}

	/** A CTE read once is inlined: the planner sees through it (plans are cached per statement, no copy cost). */
	materializedCte(): Sql {
		return EMPTY;
	}

	/** A batch's rows read once into a CTE every rule's part scans: forty parts each with the batch's id list cost
	 *  more to plan than to run (45 ms against 4 ms for 100 clients). The whole base: the table itself. */
	ruleRows(t: BaseTables, only: ClientRestriction): RuleRowsSql {
		if (!only) return { with: EMPTY, from: t.clients.table, and: EMPTY };
		return { with: sql`WITH candidates AS MATERIALIZED (SELECT * FROM ${t.clients.table} c WHERE ${inClients(sql`c.${t.clients.id}`, only)})
`, from: sql`candidates`, and: EMPTY };
	}

	/** In the same aggregate pass (percentile_cont(0.5) is the mean of the two middle gaps, as core's median). */
	medianGap(): MedianGapSql {
		return { ctes: EMPTY, aggregate: sql`percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS cycle_ms`, join: EMPTY, value: sql`w.cycle_ms` };
	}

	/** One hash FULL JOIN of the two aggregates. */
	bothSides(): BothSidesSql {
		return { cte: EMPTY, id: sql`COALESCE(w.client_id, o.client_id)`, from: sql`FROM won_agg w FULL OUTER JOIN other_agg o ON o.client_id = w.client_id` };
	}

	/** One INSERT … SELECT FROM unnest() per chunk, one array parameter per column (no 65k-parameter ceiling, one parse). */
	async insertRows(knex: Knex, table: string, columns: readonly Column[], values: readonly unknown[][]): Promise<void> {
		const names = columns.map(() => '??').join(', ');
		const unnest = columns.map((col) => `?::${col.pg}[]`).join(', ');
		for (let start = 0; start < values.length; start += CHUNK_ROWS) {
			const chunk = values.slice(start, start + CHUNK_ROWS);
			const arrays = columns.map((_, c) => chunk.map((row) => (row[c] instanceof Date ? (row[c] as Date).toISOString() : row[c])));
			await knex.raw(`INSERT INTO ?? (${names}) SELECT * FROM unnest(${unnest})`, [table, ...columns.map((c) => c.name), ...arrays] as Knex.RawBinding[]);
		}
	}

	async syncSerial(knex: Knex, table: string, column: string): Promise<void> {
		await knex.raw(`SELECT setval(pg_get_serial_sequence(?, ?), GREATEST((SELECT MAX(??) FROM ??), 1))`, [table, column, column, table]);
	}

	async affectedRows(result: unknown): Promise<number> {
		return Number((result as { rowCount?: number | null }).rowCount ?? 0);
	}

	async truncate(knex: Knex, table: Sql): Promise<void> {
		await run(knex, sql`TRUNCATE ${table}`);
	}

	async analyze(knex: Knex, table: Sql): Promise<void> {
		await run(knex, sql`ANALYZE ${table}`);
	}

	/**
	 * A plan built on stale statistics can be quadratic (a column all NULL when last sampled, now filled: a "one row"
	 * estimate, then a nested loop over 100k). Autovacuum analyses once 10 % of a table changed — eventually; a
	 * whole-base pass right after a bulk load or after rewriting every client's scores cannot wait for it. Same
	 * share here; tables under 1,000 rows plan well on any statistics.
	 */
	async refreshStatistics(knex: Knex, tables: readonly string[]): Promise<string[]> {
		if (!tables.length) return [];
		const stale = rows(
			await run(
				knex,
				sql`SELECT relname FROM pg_stat_user_tables
WHERE schemaname = current_schema() AND relname IN (${join(tables.map((t) => sql`${t}`), ', ')})
  AND (n_mod_since_analyze > GREATEST(n_live_tup / 10, 1000) OR (last_analyze IS NULL AND last_autoanalyze IS NULL AND n_live_tup > 1000))`,
			),
		).map((r) => String(r['relname']));
		for (const table of stale) await this.analyze(knex, ident(table));
		return stale;
	}

	forUpdate<T extends Knex.QueryBuilder>(query: T): T {
		return query.forUpdate() as T;
	}

	/**
	 * The whole base: a temporary table with statistics, so each statement reading it gets a hash join; dropped when
	 * released (a name reused later in the same transaction would collide with ON COMMIT DROP). A change batch's set
	 * is small: read once and handed back as arrays (unnest), so the statements using it don't each plan and run
	 * its query again (the hits of 40 rules cost more to plan than the writes).
	 */
	async holdSet(knex: Knex, spec: SetSpec, query: Sql, whole: boolean): Promise<HeldSet> {
		if (!whole) {
			const found = rows(await run(knex, query));
			const arrays = spec.columns.map((c) => sql`${found.map((r) => (r[c.name] === null || r[c.name] === undefined ? null : String(r[c.name])))}::bigint[]`);
			const names = join(spec.columns.map((c) => ident(c.name)), ', ');
			return { source: sql`(SELECT * FROM unnest(${join(arrays, ', ')}) AS ${ident(spec.name)}(${names}))`, release: async () => undefined };
		}
		const table = ident(spec.name);
		await run(knex, sql`DROP TABLE IF EXISTS pg_temp.${table}`);
		await run(knex, sql`CREATE TEMP TABLE ${table} AS ${query}`);
		// with its key indexed, even a nested loop the planner picks on a misestimate (another table's statistics
		// taken while it was empty) probes the set instead of scanning it per row: a cold refresh of a 40k-member
		// segment took 63 s that way, 3 s with the key
		await run(knex, sql`ALTER TABLE ${table} ADD PRIMARY KEY (${join(spec.key.map(ident), ', ')})`);
		await this.analyze(knex, table);
		return { source: table, release: async () => void (await run(knex, sql`DROP TABLE ${table}`)) };
	}

	/**
	 * A change batch: one statement — the set as a materialised CTE feeding data-modifying CTEs (planned once, one
	 * round trip). The whole base: the set in a table with statistics, then one statement per write.
	 */
	async writeFromSet(knex: Knex, spec: SetSpec, query: Sql, whole: boolean, writes: ReadonlyArray<(set: Sql) => Sql>): Promise<number[]> {
		if (whole) {
			const set = await this.holdSet(knex, spec, query, true);
			const counts: number[] = [];
			for (const write of writes) counts.push(await this.affectedRows(await run(knex, write(set.source))));
			await set.release();
			return counts;
		}
		const source = ident(spec.name);
		const names = writes.map((_, i) => ident(`write_${i}`));
		const ctes = writes.map((write, i) => sql`${names[i]!} AS (${write(source)} RETURNING 1)`);
		const [row] = rows(
			await run(
				knex,
				sql`WITH ${source} AS MATERIALIZED (${query}), ${join(ctes, ', ')}
				SELECT ${join(names.map((name, i) => sql`(SELECT COUNT(*) FROM ${name}) AS ${ident(`n_${i}`)}`), ', ')}`,
			),
		);
		return writes.map((_, i) => Number(row?.[`n_${i}`] ?? 0));
	}

	/**
	 * Present pairs are skipped by the unique (segment, client) index, never by an anti-join against the table being
	 * written; the events come from RETURNING in the same statement, so two instances adding the same pair log it
	 * once (the second waits for the first's commit, then inserts nothing).
	 */
	async enterMembers(knex: Knex, t: BaseTables, hits: Sql, change: MembershipChange): Promise<CountsBySegment> {
		const m = t.members;
		return counts(
			await run(
				knex,
				sql`WITH entered AS (
					INSERT INTO ${m.table} (${m.segment}, ${m.client}, ${m.enteredAt})
					SELECT h.segment_id, h.client_id, ${this.instant(change.atMs)} FROM ${hits} h
					ON CONFLICT (${m.segment}, ${m.client}) DO NOTHING
					RETURNING ${m.segment} AS segment_id, ${m.client} AS client_id
				),
				logged AS (INSERT INTO ${t.events} (segment_id, client_id, event, at, cause) SELECT segment_id, client_id, 'entered', ${change.atMs}, ${change.cause} FROM entered)
				SELECT segment_id, COUNT(*) AS n FROM entered GROUP BY segment_id`,
			),
		);
	}

	/** DELETE … RETURNING feeds the events: a row two instances both delete is logged by the one that deleted it. */
	async leaveMembers(knex: Knex, t: BaseTables, leaving: Sql, change: MembershipChange): Promise<CountsBySegment> {
		const m = t.members;
		return counts(
			await run(
				knex,
				sql`WITH gone AS (
					DELETE FROM ${m.table} m WHERE ${leaving}
					RETURNING m.${m.segment} AS segment_id, m.${m.client} AS client_id
				),
				logged AS (INSERT INTO ${t.events} (segment_id, client_id, event, at, cause) SELECT segment_id, client_id, 'left', ${change.atMs}, ${change.cause} FROM gone)
				SELECT segment_id, COUNT(*) AS n FROM gone GROUP BY segment_id`,
			),
		);
	}

	/**
	 * One statement (one round trip on every save's path, planned once): the hits as a materialised CTE feeding the
	 * insert and the delete, whose RETURNING feed the events and the count deltas. Every part reads the statement's
	 * snapshot: the delete does not see the pairs the insert adds (they are hits, never leaving anyway).
	 */
	async requalifyInOne(knex: Knex, t: BaseTables, hits: Sql, leaving: (hits: Sql) => Sql, change: MembershipChange): Promise<Map<number, { entered: number; left: number }>> {
		const { members: m, segments: S } = t;
		const result = rows(
			await run(
				knex,
				sql`WITH hits AS MATERIALIZED (${hits}),
				entered AS (
					INSERT INTO ${m.table} (${m.segment}, ${m.client}, ${m.enteredAt})
					SELECT h.segment_id, h.client_id, ${this.instant(change.atMs)} FROM hits h
					ON CONFLICT (${m.segment}, ${m.client}) DO NOTHING
					RETURNING ${m.segment} AS segment_id, ${m.client} AS client_id
				),
				gone AS (
					DELETE FROM ${m.table} m WHERE ${leaving(sql`hits`)}
					RETURNING m.${m.segment} AS segment_id, m.${m.client} AS client_id
				),
				logged AS (
					INSERT INTO ${t.events} (segment_id, client_id, event, at, cause)
					SELECT segment_id, client_id, 'entered', CAST(${change.atMs} AS BIGINT), CAST(${change.cause} AS TEXT) FROM entered
					UNION ALL SELECT segment_id, client_id, 'left', CAST(${change.atMs} AS BIGINT), CAST(${change.cause} AS TEXT) FROM gone
				),
				moved AS (
					SELECT segment_id, SUM(entered) AS entered, SUM(left_) AS left_
					FROM (SELECT segment_id, 1 AS entered, 0 AS left_ FROM entered UNION ALL SELECT segment_id, 0, 1 FROM gone) x
					GROUP BY segment_id
				),
				counted AS (
					UPDATE ${S.table} s SET ${S.memberCount} = COALESCE(s.${S.memberCount}, 0) + moved.entered - moved.left_
					FROM moved WHERE s.${S.id} = moved.segment_id AND moved.entered <> moved.left_
				)
				SELECT segment_id, entered, left_ FROM moved`,
			),
		);
		return new Map(result.map((r) => [Number(r['segment_id']), { entered: Number(r['entered']), left: Number(r['left_']) }]));
	}
}

function counts(result: unknown): CountsBySegment {
	return new Map(rows(result).map((r) => [Number(r['segment_id']), Number(r['n'])]));
}
