// Planner statistics for whole-base passes (PostgreSQL; SQLite plans from its indexes and needs none). A plan built
// on statistics from before a bulk load or before every client's scores were rewritten can be quadratic.
import type { Knex } from 'knex';
import { SEGMENT_NAMES } from '../core/base-names.ts';
import type { Mapping } from '../core/mapping.ts';
import { dialectOf } from './dialects/index.ts';
import { ident } from './queries/sql.ts';

/** Analyses the base tables that changed a lot since their last ANALYZE; returns their names. */
export function freshenBaseStatistics(knex: Knex, mapping: Mapping): Promise<string[]> {
	const tables = [mapping.client_collection, mapping.deal_collection, mapping.item_collection, SEGMENT_NAMES.clientTags, SEGMENT_NAMES.members];
	return dialectOf(knex).refreshStatistics(knex, tables);
}

/** After a write that touched `changed` of `total` rows: the activity counters lag behind, so decide from the count. */
export async function analyzeAfterBulkWrite(knex: Knex, table: string, changed: number, total: number): Promise<void> {
	if (changed > Math.max(total / 10, 1000)) await dialectOf(knex).analyze(knex, ident(table));
}
