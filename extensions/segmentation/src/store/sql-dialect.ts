// The few places where SQLite and PostgreSQL differ for our set-based SQL: how a timestamp column becomes epoch
// milliseconds, how milliseconds are written back, how a bound instant is compared, and table emptying.
// Directus keeps SQLite timestamps as epoch milliseconds (integers) and PostgreSQL ones as timestamptz.
import type { Knex } from 'knex';
import { isPostgres } from './bulk-insert.ts';

export interface Dialect {
	pg: boolean;
	/** Epoch milliseconds of a timestamp expression. */
	ms: (expr: string) => string;
	/** A timestamp value from an epoch-milliseconds expression (for writing). */
	fromMs: (expr: string) => string;
	/** Placeholder + binding for an instant to compare with a timestamp column. */
	instant: (ms: number) => { sql: string; binding: unknown };
	/** A float-typed placeholder (so a null binding still has a type). */
	float: string;
	/** Round a non-negative float expression to an integer. */
	roundInt: (expr: string) => string;
	/** Truncate a non-negative number towards zero (= floor for non-negative values). */
	floorInt: (expr: string) => string;
	truncate: (knex: Knex, table: string) => Promise<void>;
}

export function dialectOf(knex: Knex): Dialect {
	if (isPostgres(knex)) {
		return {
			pg: true,
			// date_part is float8 (EXTRACT is numeric, several times slower over millions of rows); rounding to whole
			// milliseconds removes float noise (timestamps are written with millisecond precision)
			ms: (e) => `CAST(ROUND(DATE_PART('epoch', ${e}) * 1000) AS BIGINT)`,
			fromMs: (e) => `TO_TIMESTAMP((${e}) / 1000.0)`,
			instant: (ms) => ({ sql: '?::timestamptz', binding: new Date(ms).toISOString() }),
			float: 'CAST(? AS DOUBLE PRECISION)',
			roundInt: (e) => `CAST(ROUND(CAST(${e} AS NUMERIC)) AS BIGINT)`,
			floorInt: (e) => `CAST(FLOOR(${e}) AS BIGINT)`,
			truncate: async (knex, table) => void (await knex.raw('TRUNCATE ??', [table])),
		};
	}
	return {
		pg: false,
		ms: (e) => `(${e})`,
		fromMs: (e) => `CAST(${e} AS INTEGER)`,
		instant: (ms) => ({ sql: '?', binding: ms }),
		float: 'CAST(? AS REAL)',
		roundInt: (e) => `CAST(ROUND(${e}) AS INTEGER)`,
		floorInt: (e) => `CAST(${e} AS INTEGER)`,
		truncate: async (knex, table) => void (await knex(table).delete()),
	};
}
