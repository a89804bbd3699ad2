// What differs between SQLite and PostgreSQL for the set-based SQL, one implementation per database
// (dialects/sqlite.ts, dialects/postgres.ts). The algorithms (scores, tags, segments) are written once against this.
// Directus keeps SQLite timestamps as epoch milliseconds (integers) and PostgreSQL ones as timestamptz.
import type { Knex } from 'knex';
import type { Column } from '../bulk-insert.ts';
import type { BaseTables } from '../queries/base-tables.ts';
import type { Sql } from '../queries/sql.ts';
import type { ClientRestriction } from '../restriction.ts';

/** A set computed once and read by several statements (the hits of a re-qualification, the wanted auto tags). */
export interface SetSpec {
	/** Temporary table name (a plain identifier). */
	name: string;
	/** Its columns (all NOT NULL unless nullable) and the primary key. */
	columns: ReadonlyArray<{ name: string; nullable?: boolean }>;
	key: readonly string[];
}

export interface HeldSet {
	/** What to put after FROM (a table, or a parenthesised query). */
	source: Sql;
	/** Drops or empties what the set left behind (call before the transaction ends; a rollback undoes it anyway). */
	release: () => Promise<void>;
}

/** The median gap between purchases per client, as pieces of the facts query (see queries/scores.ts). */
export interface MedianGapSql {
	/** CTEs placed after `gaps` and before `won_agg` (each followed by a comma), or nothing. */
	ctes: Sql;
	/** A column of won_agg (`… AS cycle_ms`). */
	aggregate: Sql;
	/** Joined after the clients' union / full join (alias of won_agg: w). */
	join: Sql;
	value: Sql;
}

/** Clients with purchases and/or other deals: won_agg w and other_agg o put side by side. */
export interface BothSidesSql {
	/** A CTE (preceded by a comma) or nothing. */
	cte: Sql;
	id: Sql;
	from: Sql;
}

/** The clients' rows for the rules' parts of a hits query: `FROM <from> c WHERE <rule><and>`, after `with`. */
export interface RuleRowsSql {
	with: Sql;
	from: Sql;
	and: Sql;
}

/** Who changed membership in a statement: counts per segment. */
export type CountsBySegment = Map<number, number>;

export interface MembershipChange {
	atMs: number;
	cause: string;
}

export interface Dialect {
	readonly name: 'sqlite' | 'postgres';
	/** Rules bind dates per database (rule-sql.ts). */
	readonly pg: boolean;
	/** Clients per statement for whole-base passes; null = the whole base in one statement. */
	readonly passChunk: number | null;
	/** Clients per UPDATE when every client's scores are written (short transactions, bounded memory). */
	readonly writeChunk: number;

	// ── timestamps and numbers ──
	/** Epoch milliseconds of a timestamp expression. */
	ms(expr: Sql): Sql;
	/** A timestamp value from an epoch-milliseconds expression (for writing). */
	fromMs(expr: Sql): Sql;
	/** A bound instant to compare with a timestamp column. */
	instant(ms: number): Sql;
	/** A bound float (typed, so a null binding still has a type). */
	float(value: number | null): Sql;
	/** Round a non-negative expression to an integer. */
	roundInt(expr: Sql): Sql;
	/** Truncate a non-negative number towards zero (= floor for non-negative values). */
	floorInt(expr: Sql): Sql;
	/** An integer expression as an IEEE double. */
	double(expr: Sql): Sql;
	/** Cents as money with two decimals. */
	money(cents: Sql): Sql;
	/** A double as Directus's float column stores it (so comparing with the stored value is exact). */
	storedFloat(expr: Sql): Sql;
	/** NULL-safe inequality. */
	isDistinct(a: Sql, b: Sql): Sql;

	// ── bad deals: what a column may hold besides what Directus writes (an ETL or SQL bypasses its validation) ──
	/**
	 * A stored date as an instant comparable with instant(), NULL when it is none: SQLite keeps any text in a
	 * datetime column (read as an ISO-8601 date, UTC unless it carries an offset); PostgreSQL's column is typed.
	 */
	instantOf(column: Sql): Sql;
	/** A bound amount compared with a numeric column of any type without converting the column's values. */
	amountBound(value: number): Sql;
	/** For a value that sorts above every number: true when it is not a number (SQLite: text or blob; PostgreSQL: NaN). */
	notANumber(expr: Sql): Sql;

	// ── query pieces ──
	/** After `name AS` of a CTE whose many derived columns are read several times: kept apart, not inlined. */
	materializedCte(): Sql;
	/** How every rule of a re-qualification reads the clients' rows (alias c), restricted to the clients. */
	ruleRows(t: BaseTables, only: ClientRestriction): RuleRowsSql;
	medianGap(): MedianGapSql;
	bothSides(): BothSidesSql;

	// ── statements ──
	/** Inserts rows (arrays in column order) in chunks the database takes in one statement. */
	insertRows(knex: Knex, table: string, columns: readonly Column[], rows: readonly unknown[][]): Promise<void>;
	/** After explicit ids went into a serial column, moves its sequence past them (no sequences: nothing). */
	syncSerial(knex: Knex, table: string, column: string): Promise<void>;
	/** Rows a data-changing statement touched (`result` is what knex.raw answered; same knex/transaction). */
	affectedRows(result: unknown, knex: Knex): Promise<number>;
	truncate(knex: Knex, table: Sql): Promise<void>;
	/** Fresh planner statistics for a table just filled (where the planner needs them). */
	analyze(knex: Knex, table: Sql): Promise<void>;
	/**
	 * Before and after a whole-base pass: statistics for the base tables that changed a lot since they were last
	 * analysed (a bulk load or our own writes, before autovacuum caught up). Returns the tables analysed.
	 */
	refreshStatistics(knex: Knex, tables: readonly string[]): Promise<string[]>;
	/** Locks the selected row until the transaction ends (no-op where there is a single writer). */
	forUpdate<T extends Knex.QueryBuilder>(query: T): T;
	/**
	 * Computes a set for several statements in one transaction. `whole`: the set covers the whole base (big: worth
	 * a table with statistics). Never ON COMMIT DROP: two steps of one outer transaction may each hold a set.
	 */
	holdSet(knex: Knex, spec: SetSpec, query: Sql, whole: boolean): Promise<HeldSet>;
	/**
	 * Runs writes that all read one set (each gets the set's FROM source) in order; returns each one's affected rows.
	 * The writes touch disjoint rows, so running them as one statement (one snapshot) is the same as one by one.
	 */
	writeFromSet(knex: Knex, spec: SetSpec, query: Sql, whole: boolean, writes: ReadonlyArray<(set: Sql) => Sql>): Promise<number[]>;
	/**
	 * Adds the hits (`hits`: a FROM source with segment_id, client_id) that are not members yet, each with an
	 * 'entered' event; exactly one event per pair even when two instances add the same pair.
	 */
	enterMembers(knex: Knex, t: BaseTables, hits: Sql, change: MembershipChange): Promise<CountsBySegment>;
	/** Deletes the members `leaving` selects (a condition over members aliased m), each with a 'left' event. */
	leaveMembers(knex: Knex, t: BaseTables, leaving: Sql, change: MembershipChange): Promise<CountsBySegment>;
	/**
	 * Where the database can: a change batch's whole re-qualification — hits, enters, leaves, their events, the
	 * count deltas — as one statement (`leaving` gets the hits' FROM source). Absent: the caller runs the steps.
	 */
	requalifyInOne?(knex: Knex, t: BaseTables, hits: Sql, leaving: (hits: Sql) => Sql, change: MembershipChange): Promise<Map<number, { entered: number; left: number }>>;
}
