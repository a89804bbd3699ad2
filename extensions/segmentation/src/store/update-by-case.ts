// Per-row values set in one statement per chunk instead of one statement per row.
import type { Knex } from 'knex';
import { ident, ints, join, run, sql } from './queries/sql.ts';

/** Rows per CASE update: two bindings per row and column, well under both databases' limits. */
const CASE_CHUNK = 500;

/**
 * Sets per-row values in one statement per chunk — `UPDATE t SET col = CASE key WHEN ? THEN ? … END … WHERE key IN
 * (…)` — instead of one statement per row. `same`: values every row gets.
 */
export async function updateByCase(
	knex: Knex,
	table: string,
	key: string,
	types: Record<string, 'INTEGER' | 'TEXT'>,
	list: ReadonlyArray<{ id: number; values: Record<string, unknown> }>,
	same: Record<string, unknown> = {},
): Promise<void> {
	for (let i = 0; i < list.length; i += CASE_CHUNK) {
		const part = list.slice(i, i + CASE_CHUNK);
		const sets = Object.entries(types).map(([column, type]) => {
			// typed: PostgreSQL reads a CASE of bare parameters as text
			const typed = (v: unknown) => (type === 'INTEGER' ? sql`CAST(${v} AS INTEGER)` : sql`CAST(${v} AS TEXT)`);
			const cases = part.map((r) => sql`WHEN ${r.id} THEN ${typed(r.values[column] ?? null)}`);
			return sql`${ident(column)} = CASE ${ident(key)} ${join(cases, ' ')} END`;
		});
		const constant = Object.entries(same).map(([column, value]) => sql`${ident(column)} = ${value}`);
		await run(knex, sql`UPDATE ${ident(table)} SET ${join([...sets, ...constant], ', ')} WHERE ${ident(key)} IN (${ints(part.map((r) => r.id))})`);
	}
}

