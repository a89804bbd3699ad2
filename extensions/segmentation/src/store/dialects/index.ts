// The dialect of a knex (or transaction): one instance per database kind.
import type { Knex } from 'knex';
import { PostgresDialect } from './postgres.ts';
import { SqliteDialect } from './sqlite.ts';
import type { Dialect } from './types.ts';

export type { Dialect } from './types.ts';

const postgres = new PostgresDialect();
const sqlite = new SqliteDialect();

export function isPostgres(knex: Knex): boolean {
	const client = knex.client.config.client;
	return client === 'pg' || client === 'postgres' || client === 'postgresql';
}

export function dialectOf(knex: Knex): Dialect {
	return isPostgres(knex) ? postgres : sqlite;
}
