// Interest tags from purchases, set-based. A client's auto tags are a function of their won deals: one tag per
// category bought (created when missing), expiring at the latest purchase in it + the category's interest days
// (never when unset). Syncing a set of clients inserts the missing auto tags, refreshes changed expiries, and drops
// auto tags no purchase supports any more (expired, deal lost or deleted). Tags set by hand are never touched.
// The SQL is in queries/tags.ts.
import type { Knex } from 'knex';
import { SEGMENT_NAMES } from '../core/base-names.ts';
import type { Mapping } from '../core/mapping.ts';
import { dialectOf } from './dialects/index.ts';
import { baseTables } from './queries/base-tables.ts';
import { run } from './queries/sql.ts';
import { analyzeAfterBulkWrite } from './statistics.ts';
import {
	addTagsQuery, adoptTagsQuery, categoryTagName, createTagsQuery, refreshTagsQuery, removeStaleTagsQuery, untaggedCategoriesQuery, WANTED_TAGS, wantedTagsQuery,
} from './queries/tags.ts';
import { forEachClientRange, rows, type ClientRestriction } from './restriction.ts';

export interface TagScope {
	knex: Knex;
	mapping: Mapping;
	asOfMs: number;
}

export interface TagSyncResult {
	tagsCreated: number;
	added: number;
	refreshed: number;
	removed: number;
}

/** Makes sure every category the clients bought has its tag (adopting a same-named tag made by hand). */
async function ensureCategoryTags(knex: Knex, mapping: Mapping, only: ClientRestriction, hasName: boolean): Promise<number> {
	const t = baseTables(mapping);
	const missing = rows(await run(knex, untaggedCategoriesQuery(t, only))).map((r) => Number(r['id']));
	if (missing.length === 0) return 0;
	const name = categoryTagName(t, hasName);
	await run(knex, adoptTagsQuery(t, name, missing));
	return dialectOf(knex).affectedRows(await run(knex, createTagsQuery(t, name, missing)), knex);
}

/** Syncs the auto tags of a set of clients (or all) with their won deals as of scope.asOfMs. */
export async function syncAutoTags(scope: TagScope, only: ClientRestriction, opts: { categoryHasName: boolean }): Promise<TagSyncResult> {
	const { mapping, asOfMs } = scope;
	const d = dialectOf(scope.knex);
	const t = baseTables(mapping);
	const sync = async (trx: Knex): Promise<TagSyncResult> => {
		const tagsCreated = await ensureCategoryTags(trx, mapping, only, opts.categoryHasName);
		// the three writes touch disjoint rows (not wanted / wanted and present / wanted and absent)
		const [removed = 0, refreshed = 0, added = 0] = await d.writeFromSet(trx, WANTED_TAGS, wantedTagsQuery(t, d, asOfMs, only), only === null, [
			(wanted) => removeStaleTagsQuery(t, wanted, only),
			(wanted) => refreshTagsQuery(t, d, wanted, only),
			(wanted) => addTagsQuery(t, d, wanted, asOfMs),
		]);
		return { tagsCreated, added, refreshed, removed };
	};
	// inside the caller's transaction (a change batch, done whole or not at all): no savepoint of our own
	return scope.knex.isTransaction ? sync(scope.knex) : scope.knex.transaction(sync);
}

/** Every client's auto tags (the daily job and refresh-all): drops expired ones, adds any a purchase should have
 *  given (data written around the hooks: imports by SQL, demo data). SQLite: in client-id ranges (one connection). */
export async function syncAllAutoTags(scope: TagScope, opts: { categoryHasName: boolean }): Promise<TagSyncResult> {
	const total: TagSyncResult = { tagsCreated: 0, added: 0, refreshed: 0, removed: 0 };
	await forEachClientRange(scope.knex, scope.mapping, dialectOf(scope.knex).passChunk, async (only) => {
		const r = await syncAutoTags(scope, only, opts);
		total.tagsCreated += r.tagsCreated;
		total.added += r.added;
		total.refreshed += r.refreshed;
		total.removed += r.removed;
	});
	const changed = total.added + total.removed;
	if (changed > 1000) {
		const [row] = await scope.knex(SEGMENT_NAMES.clientTags).count({ n: '*' });
		await analyzeAfterBulkWrite(scope.knex, SEGMENT_NAMES.clientTags, changed, Number(row?.n ?? 0));
	}
	return total;
}
