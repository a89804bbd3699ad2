// SQLite: timestamps are epoch-millisecond integers, one writer, one connection (Directus's pool and ours hold one,
// so `changes()` and temporary tables belong to the statement before). No planner statistics: a correlated EXISTS
// runs as written and an index is picked by its shape, so statements over a set of clients are written to start
// from the client ids (see queries/).
import type { Knex } from 'knex';
import type { Column } from '../bulk-insert.ts';
import { rows, type ClientRestriction } from '../restriction.ts';
import type { BaseTables } from '../queries/base-tables.ts';
import { andClients, EMPTY, ident, join, run, sql, type Sql } from '../queries/sql.ts';
import type { BothSidesSql, CountsBySegment, Dialect, HeldSet, MedianGapSql, MembershipChange, RuleRowsSql, SetSpec } from './types.ts';

const MAX_PARAMS = 32_000;

export class SqliteDialect implements Dialect {
	readonly name = 'sqlite';
	readonly pg = false;
	// Directus serves requests through the same single connection: short statements let them in between
	readonly passChunk = 25_000;
	readonly writeChunk = 25_000;

	ms(expr: Sql): Sql {
		return sql`(${expr})`;
	}
	fromMs(expr: Sql): Sql {
		return sql`CAST(${expr} AS INTEGER)`;
	}
	instant(ms: number): Sql {
		return sql`${ms}`;
	}
	float(value: number | null): Sql {
		return sql`CAST(${value} AS REAL)`;
	}
	roundInt(expr: Sql): Sql {
		return sql`CAST(ROUND(${expr}) AS INTEGER)`;
	}
	floorInt(expr: Sql): Sql {
		return sql`CAST(${expr} AS INTEGER)`;
	}
	double(expr: Sql): Sql {
		return sql`(${expr} * 1.0)`;
	}
	money(cents: Sql): Sql {
		return sql`ROUND((${cents}) / 100.0, 2)`;
	}
	storedFloat(expr: Sql): Sql {
		return expr;
	}
	isDistinct(a: Sql, b: Sql): Sql {
		return sql`${a} IS NOT ${b}`;
	}

	/** Directus writes epoch milliseconds; text is parsed when it starts like an ISO date (julianday would also take
	 *  'now' or a bare day number), anything else is no date. */
	instantOf(column: Sql): Sql {
		return sql`(CASE WHEN typeof(${column}) IN ('integer', 'real') THEN ${column}
			WHEN typeof(${column}) = 'text' AND ${column} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
			THEN CAST(ROUND((julianday(${column}) - 2440587.5) * 86400000.0) AS INTEGER) END)`;
	}
	/** A numeric column's text or blob sorts above every number: `amount <= bound` alone keeps only numbers. */
	amountBound(value: number): Sql {
		return sql`${value}`;
	}
	notANumber(expr: Sql): Sql {
		return sql`typeof(${expr}) NOT IN ('integer', 'real')`;
	}

	/** Flattened into its reader, each CASE column would be copied into every expression using it: preparing the
	 *  one-client re-scoring then cost more than running it. */
	materializedCte(): Sql {
		return sql`MATERIALIZED`;
	}

	/** Each rule's part looks its clients up by rowid: cheaper to prepare and run than a shared copy of the rows. */
	ruleRows(t: BaseTables, only: ClientRestriction): RuleRowsSql {
		return { with: EMPTY, from: t.clients.table, and: andClients(sql`c.${t.clients.id}`, only) };
	}

	/** No ordered-set aggregates: rank the gaps in a window, average the middle one or two. */
	medianGap(): MedianGapSql {
		return {
			ctes: sql`ranked AS (
				SELECT client_id, gap, ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY gap) AS rn, COUNT(*) OVER (PARTITION BY client_id) AS cnt
				FROM gaps WHERE gap IS NOT NULL
			),
			cycles AS (
				SELECT client_id, AVG(gap) AS cycle_ms FROM ranked WHERE rn = (cnt + 1) / 2 OR rn = (cnt + 2) / 2 GROUP BY client_id
			),`,
			aggregate: sql`NULL AS cycle_ms`,
			join: sql` LEFT JOIN cycles c ON c.client_id = ids.client_id`,
			value: sql`c.cycle_ms`,
		};
	}

	/** A FULL JOIN's side can't be indexed here (it would loop): a UNION of the ids, both sides LEFT-joined. */
	bothSides(): BothSidesSql {
		return {
			cte: sql`,
			ids AS (SELECT client_id FROM won_agg UNION SELECT client_id FROM other_agg)`,
			id: sql`ids.client_id`,
			from: sql`FROM ids LEFT JOIN won_agg w ON w.client_id = ids.client_id LEFT JOIN other_agg o ON o.client_id = ids.client_id`,
		};
	}

	/** Multi-row VALUES, chunked under the parameter limit; values as Directus stores them (epoch ms, 0/1). */
	async insertRows(knex: Knex, table: string, columns: readonly Column[], values: readonly unknown[][]): Promise<void> {
		const perChunk = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
		const names = columns.map(() => '??').join(', ');
		const tuple = `(${columns.map(() => '?').join(', ')})`;
		for (let start = 0; start < values.length; start += perChunk) {
			const chunk = values.slice(start, start + perChunk);
			await knex.raw(`INSERT INTO ?? (${names}) VALUES ${chunk.map(() => tuple).join(', ')}`, [table, ...columns.map((c) => c.name), ...chunk.flatMap((row) => row.map(toSqlite))] as Knex.RawBinding[]);
		}
	}

	async syncSerial(): Promise<void> {}

	async affectedRows(_result: unknown, knex: Knex): Promise<number> {
		return Number(rows(await knex.raw('SELECT changes() AS n'))[0]?.['n'] ?? 0);
	}

	async truncate(knex: Knex, table: Sql): Promise<void> {
		await run(knex, sql`DELETE FROM ${table}`);
	}

	/** Without statistics SQLite's planner prefers indexes, which is what our statements want. */
	async analyze(): Promise<void> {}
	async refreshStatistics(): Promise<string[]> {
		return [];
	}

	forUpdate<T extends Knex.QueryBuilder>(query: T): T {
		return query;
	}

	/** Always a keyed temporary table (per connection, kept, emptied after use): the anti-joins probe its key. */
	async holdSet(knex: Knex, spec: SetSpec, query: Sql): Promise<HeldSet> {
		const table = sql`temp.${ident(spec.name)}`;
		const columns = join(spec.columns.map((c) => sql`${ident(c.name)} INTEGER${c.nullable ? EMPTY : sql` NOT NULL`}`), ', ');
		const key = join(spec.key.map(ident), ', ');
		await run(knex, sql`CREATE TEMP TABLE IF NOT EXISTS ${ident(spec.name)} (${columns}, PRIMARY KEY (${key}))`);
		// empty here: emptied by the last release, or by the rollback of the transaction that filled it
		await run(knex, sql`INSERT INTO ${table} (${join(spec.columns.map((c) => ident(c.name)), ', ')}) ${query}`);
		return { source: table, release: async () => void (await run(knex, sql`DELETE FROM ${table}`)) };
	}

	async writeFromSet(knex: Knex, spec: SetSpec, query: Sql, _whole: boolean, writes: ReadonlyArray<(set: Sql) => Sql>): Promise<number[]> {
		const set = await this.holdSet(knex, spec, query);
		const counts: number[] = [];
		for (const write of writes) counts.push(await this.affectedRows(await run(knex, write(set.source)), knex));
		await set.release();
		return counts;
	}

	/** Single writer: the events first (from the pairs not present yet; RETURNING counts them), then the members. */
	async enterMembers(knex: Knex, t: BaseTables, hits: Sql, change: MembershipChange): Promise<CountsBySegment> {
		const m = t.members;
		const absent = sql`NOT EXISTS (SELECT 1 FROM ${m.table} m WHERE m.${m.segment} = h.segment_id AND m.${m.client} = h.client_id)`;
		const logged = await run(knex, sql`INSERT INTO ${t.events} (segment_id, client_id, event, at, cause)
			SELECT h.segment_id, h.client_id, 'entered', ${change.atMs}, ${change.cause} FROM ${hits} h WHERE ${absent} RETURNING segment_id`);
		await run(knex, sql`INSERT INTO ${m.table} (${m.segment}, ${m.client}, ${m.enteredAt})
			SELECT h.segment_id, h.client_id, ${this.instant(change.atMs)} FROM ${hits} h WHERE ${absent}`);
		return countBySegment(logged);
	}

	async leaveMembers(knex: Knex, t: BaseTables, leaving: Sql, change: MembershipChange): Promise<CountsBySegment> {
		const m = t.members;
		const logged = await run(knex, sql`INSERT INTO ${t.events} (segment_id, client_id, event, at, cause)
			SELECT m.${m.segment}, m.${m.client}, 'left', ${change.atMs}, ${change.cause} FROM ${m.table} m WHERE ${leaving} RETURNING segment_id`);
		await run(knex, sql`DELETE FROM ${m.table} WHERE ${m.id} IN (SELECT m.${m.id} FROM ${m.table} m WHERE ${leaving})`);
		return countBySegment(logged);
	}
}

function countBySegment(result: unknown): CountsBySegment {
	const counts: CountsBySegment = new Map();
	for (const r of rows(result)) counts.set(Number(r['segment_id']), (counts.get(Number(r['segment_id'])) ?? 0) + 1);
	return counts;
}

function toSqlite(value: unknown): unknown {
	if (value instanceof Date) return value.getTime();
	if (typeof value === 'boolean') return value ? 1 : 0;
	return value;
}
