// Inserting many rows fast on both databases (PostgreSQL: unnest of one array per column; SQLite: multi-row VALUES
// under its parameter limit — see dialects/*.ts insertRows). Identifiers come from the checked mapping and are
// quoted by knex.
import type { Knex } from 'knex';
import { dialectOf } from './dialects/index.ts';

export { isPostgres } from './dialects/index.ts';

export type PgType = 'integer' | 'bigint' | 'text' | 'numeric' | 'boolean' | 'timestamptz';
export interface Column { name: string; pg: PgType }

/** Inserts rows (arrays in column order). Runs in the given knex/transaction; returns the row count. */
export async function bulkInsert(knex: Knex, table: string, columns: Column[], rows: unknown[][]): Promise<number> {
	if (rows.length === 0) return 0;
	await dialectOf(knex).insertRows(knex, table, columns, rows);
	return rows.length;
}

/** After explicit ids went into a serial column, move its sequence past them (PostgreSQL only). */
export async function syncSerial(knex: Knex, table: string, column = 'id'): Promise<void> {
	await dialectOf(knex).syncSerial(knex, table, column);
}

export async function maxId(knex: Knex, table: string, column = 'id'): Promise<number> {
	const row = await knex(table).max({ m: column }).first();
	return Number(row?.m ?? 0);
}
