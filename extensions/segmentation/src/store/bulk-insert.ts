// Inserting many rows fast on both databases. PostgreSQL: one INSERT … SELECT FROM unnest() per chunk, one array
// parameter per column (no 65k-parameter ceiling, one parse). SQLite: multi-row VALUES, chunked under its
// parameter limit. Identifiers come from the checked mapping and are quoted by knex.
import type { Knex } from 'knex';

export type PgType = 'integer' | 'bigint' | 'text' | 'numeric' | 'boolean' | 'timestamptz';
export interface Column { name: string; pg: PgType }

const SQLITE_MAX_PARAMS = 32_000;
const PG_CHUNK_ROWS = 50_000;

export function isPostgres(knex: Knex): boolean {
	const client = knex.client.config.client;
	return client === 'pg' || client === 'postgres' || client === 'postgresql';
}

/** Inserts rows (arrays in column order). Runs in the given knex/transaction; returns the row count. */
export async function bulkInsert(knex: Knex, table: string, columns: Column[], rows: unknown[][]): Promise<number> {
	if (rows.length === 0) return 0;
	if (isPostgres(knex)) {
		for (let start = 0; start < rows.length; start += PG_CHUNK_ROWS) {
			const chunk = rows.slice(start, start + PG_CHUNK_ROWS);
			const arrays = columns.map((_, c) => chunk.map((row) => toPg(row[c])));
			const names = columns.map(() => '??').join(', ');
			const unnest = columns.map((col) => `?::${col.pg}[]`).join(', ');
			await knex.raw(`INSERT INTO ?? (${names}) SELECT * FROM unnest(${unnest})`, [table, ...columns.map((c) => c.name), ...arrays]);
		}
		return rows.length;
	}
	const perChunk = Math.max(1, Math.floor(SQLITE_MAX_PARAMS / columns.length));
	const names = columns.map(() => '??').join(', ');
	for (let start = 0; start < rows.length; start += perChunk) {
		const chunk = rows.slice(start, start + perChunk);
		const tuple = `(${columns.map(() => '?').join(', ')})`;
		const values = chunk.map(() => tuple).join(', ');
		await knex.raw(`INSERT INTO ?? (${names}) VALUES ${values}`, [table, ...columns.map((c) => c.name), ...chunk.flatMap((row) => row.map(toSqlite))]);
	}
	return rows.length;
}

function toPg(value: unknown): unknown {
	return value instanceof Date ? value.toISOString() : value;
}

/** Directus keeps SQLite timestamps as epoch milliseconds and booleans as 0/1; we store what it would. */
function toSqlite(value: unknown): unknown {
	if (value instanceof Date) return value.getTime();
	if (typeof value === 'boolean') return value ? 1 : 0;
	return value;
}

/** After explicit ids went into a serial column, move its sequence past them (PostgreSQL only). */
export async function syncSerial(knex: Knex, table: string, column = 'id'): Promise<void> {
	if (!isPostgres(knex)) return;
	await knex.raw(`SELECT setval(pg_get_serial_sequence(?, ?), GREATEST((SELECT MAX(??) FROM ??), 1))`, [table, column, column, table]);
}

export async function maxId(knex: Knex, table: string, column = 'id'): Promise<number> {
	const row = await knex(table).max({ m: column }).first();
	return Number(row?.m ?? 0);
}
