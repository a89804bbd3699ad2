// v12: indexes for the marketer's view (GET /segmentation/analytics/*): the RFM grid and the overview group the whole
// client base by its computed fields; a covering index each lets PostgreSQL read the groups from the index alone
// (an index-only scan, already in group order) instead of every client row. Registers no collection.
import type { Knex } from 'knex';
import type { Mapping } from '../../../core/mapping.ts';
import { ANALYTICS_COLUMNS } from '../../../store/queries/analytics.ts';
import type { Migration } from './migration.ts';

/** An index name within PostgreSQL's 63 characters, unique per table and purpose. */
export function analyticsIndexName(table: string, purpose: keyof typeof ANALYTICS_COLUMNS): string {
	return `${table.slice(0, 40)}_analytics_${purpose}`;
}

async function ensureIndex(knex: Knex, table: string, name: string, columns: readonly string[]): Promise<void> {
	await knex.raw(`CREATE INDEX IF NOT EXISTS ?? ON ?? (${columns.map(() => '??').join(', ')})`, [name, table, ...columns]);
}

export const analyticsIndexesMigration: Migration = {
	version: 12,
	name: 'analytics-indexes',
	collections: () => [],
	async up(ctx, mapping: Mapping) {
		const table = mapping.client_collection;
		for (const purpose of Object.keys(ANALYTICS_COLUMNS) as Array<keyof typeof ANALYTICS_COLUMNS>) {
			await ensureIndex(ctx.database, table, analyticsIndexName(table, purpose), ANALYTICS_COLUMNS[purpose]);
		}
		return [];
	},
};
