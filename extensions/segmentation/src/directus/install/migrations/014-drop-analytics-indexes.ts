// v14: drops migration 12's covering indexes on the client collection. The marketer's view now counts a big base's
// grid and overview at the end of the daily run (directus/analytics/analytics-figures.ts) instead of per request, and
// the indexes did not pay for themselves: a full pass rewrites every client's computed fields, so at 1M clients on
// PostgreSQL they made it 45 % slower (81.8 s → 118.5 s), and bloated by those rewrites the planner chose a sequential
// scan over them anyway (bench:analytics --index-cost). Registers no collection.
import type { Mapping } from '../../../core/mapping.ts';
import { ANALYTICS_COLUMNS } from '../../../store/queries/analytics.ts';
import { analyticsIndexName } from './012-analytics-indexes.ts';
import type { Migration } from './migration.ts';

export const dropAnalyticsIndexesMigration: Migration = {
	version: 14,
	name: 'drop-analytics-indexes',
	collections: () => [],
	async up(ctx, mapping: Mapping) {
		const table = mapping.client_collection;
		for (const purpose of Object.keys(ANALYTICS_COLUMNS) as Array<keyof typeof ANALYTICS_COLUMNS>) {
			await ctx.database.raw('DROP INDEX IF EXISTS ??', [analyticsIndexName(table, purpose)]);
		}
		return [];
	},
};
