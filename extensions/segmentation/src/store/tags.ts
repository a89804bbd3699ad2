// Interest tags from purchases, set-based. A client's auto tags are a function of their won deals: one tag per
// category bought (created when missing), expiring at the latest purchase in it + the category's interest days
// (never when unset). Syncing a set of clients inserts the missing auto tags, refreshes changed expiries, and drops
// auto tags no purchase supports any more (expired, deal lost or deleted). Tags set by hand are never touched.
import type { Knex } from 'knex';
import { SEGMENT_NAMES } from '../core/base-names.ts';
import { DAY_MS } from '../core/engine.ts';
import type { Mapping } from '../core/mapping.ts';
import { dialectOf } from './sql-dialect.ts';
import { andRestricted, clientIdRanges, q, rows, type ClientRestriction } from './restriction.ts';

/** Clients per statement when all tags are synced on SQLite. */
const SQLITE_CHUNK = 25_000;

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

const N = SEGMENT_NAMES;

/** Won deals of the restricted clients joined down to their categories: (client, category, deal, closed ms). */
function purchasesByCategory(m: Mapping, ms: (e: string) => string, only: ClientRestriction): string {
	return `SELECT d.${q(m.deal_client_field)} AS client_id, p.${q(m.product_category_field)} AS category_id, d.${q('id')} AS deal_id, ${ms(`d.${q(m.deal_closed_field)}`)} AS closed_ms
		FROM ${q(m.deal_collection)} d
		JOIN ${q(m.item_collection)} i ON i.${q(m.item_deal_field)} = d.${q('id')}
		JOIN ${q(m.product_collection)} p ON p.${q('id')} = i.${q(m.item_product_field)}
		WHERE d.${q(m.deal_status_field)} = ? AND d.${q(m.deal_closed_field)} IS NOT NULL AND d.${q(m.deal_client_field)} IS NOT NULL
			AND p.${q(m.product_category_field)} IS NOT NULL${andRestricted(`d.${q(m.deal_client_field)}`, only)}`;
}

/** Makes sure every category the restricted clients bought has its tag (adopting a same-named tag made by hand). */
async function ensureCategoryTags(scope: TagScope, only: ClientRestriction, hasName: boolean): Promise<number> {
	const { knex, mapping: m } = scope;
	const d = dialectOf(knex);
	// categories with a product some restricted client bought (a semi-join: stops at the first purchase per product)
	const bought = `SELECT p.${q(m.product_category_field)} FROM ${q(m.product_collection)} p WHERE p.${q(m.product_category_field)} IS NOT NULL AND EXISTS (
		SELECT 1 FROM ${q(m.item_collection)} i JOIN ${q(m.deal_collection)} d ON d.${q('id')} = i.${q(m.item_deal_field)}
		WHERE i.${q(m.item_product_field)} = p.${q('id')} AND d.${q(m.deal_status_field)} = ? AND d.${q(m.deal_closed_field)} IS NOT NULL
			AND d.${q(m.deal_client_field)} IS NOT NULL${andRestricted(`d.${q(m.deal_client_field)}`, only)})`;
	const name = hasName ? `cat.${q('name')}` : `'Category ' || CAST(cat.${q('id')} AS TEXT)`;
	const missing = `FROM ${q(m.category_collection)} cat WHERE cat.${q('id')} IN (${bought})
		AND NOT EXISTS (SELECT 1 FROM ${q(N.tags)} t WHERE t.${q('category')} = cat.${q('id')})`;
	// a tag a marketer made by hand with the category's name becomes that category's tag
	await knex.raw(
		`UPDATE ${q(N.tags)} SET ${q('category')} = (SELECT cat.${q('id')} ${missing} AND ${name} = ${q(N.tags)}.${q('name')} LIMIT 1)
		WHERE ${q('category')} IS NULL AND ${q('name')} IN (SELECT ${name} ${missing})`,
		[m.deal_status_won, m.deal_status_won],
	);
	// (the tags table is small: counting is cheaper than portable affected-row counts)
	const count = async () => Number(rows(await knex.raw(`SELECT COUNT(*) AS n FROM ${q(N.tags)}`))[0]?.['n'] ?? 0);
	const before = await count();
	await knex.raw(`INSERT INTO ${q(N.tags)} (${q('name')}, ${q('category')}) SELECT ${name}, cat.${q('id')} ${missing} ON CONFLICT DO NOTHING`, [m.deal_status_won]);
	return (await count()) - before;
}

/** Syncs the auto tags of a set of clients (or all) with their won deals as of scope.asOfMs. */
export async function syncAutoTags(scope: TagScope, only: ClientRestriction, opts: { categoryHasName: boolean }): Promise<TagSyncResult> {
	const { knex, mapping: m } = scope;
	const d = dialectOf(knex);
	const tagsCreated = await ensureCategoryTags(scope, only, opts.categoryHasName);
	const now = d.instant(scope.asOfMs);
	// the wanted (client, tag) pairs: latest purchase per category, its deal, and the expiry it gives
	const wanted = `SELECT w.client_id, w.tag_id, w.deal_id, w.expires_ms FROM (
			SELECT x.client_id, t.${q('id')} AS tag_id, x.deal_id,
				CASE WHEN cat.${q(m.category_interest_days_field)} IS NULL THEN NULL ELSE x.closed_ms + CAST(cat.${q(m.category_interest_days_field)} AS BIGINT) * ${DAY_MS} END AS expires_ms,
				ROW_NUMBER() OVER (PARTITION BY x.client_id, t.${q('id')} ORDER BY x.closed_ms DESC, x.deal_id DESC) AS latest
			FROM (${purchasesByCategory(m, d.ms, only)}) x
			JOIN ${q(m.category_collection)} cat ON cat.${q('id')} = x.category_id
			JOIN ${q(N.tags)} t ON t.${q('category')} = x.category_id
		) w WHERE w.latest = 1 AND (w.expires_ms IS NULL OR w.expires_ms > ?)`;
	const wantedBindings = [m.deal_status_won, scope.asOfMs];
	const ct = q(N.clientTags);

	const expires = d.fromMs('k.expires_ms');
	const stale = `${ct}.${q('source')} = 'auto'${andRestricted(`${ct}.${q('client')}`, only)}`;
	// the three writes touch disjoint rows (not wanted / wanted and present / wanted and absent)
	const remove = (k: string) => `DELETE FROM ${ct} WHERE ${stale} AND NOT EXISTS (SELECT 1 FROM ${k} WHERE k.client_id = ${ct}.${q('client')} AND k.tag_id = ${ct}.${q('tag')})`;
	const refresh = (k: string) =>
		`UPDATE ${ct} SET ${q('expires_at')} = ${expires}, ${q('deal')} = k.deal_id FROM ${k}
		WHERE ${ct}.${q('client')} = k.client_id AND ${ct}.${q('tag')} = k.tag_id AND ${ct}.${q('source')} = 'auto'
			AND (${ct}.${q('deal')} IS DISTINCT FROM k.deal_id OR ${d.ms(`${ct}.${q('expires_at')}`)} IS DISTINCT FROM k.expires_ms)`;
	// (the unique (client, tag) index skips present pairs; no anti-join against the table being written — on
	// PostgreSQL a nested-loop re-scan of it would read every row this statement already inserted. `WHERE true`:
	// SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT to parse it)
	const add = (k: string) =>
		`INSERT INTO ${ct} (${q('client')}, ${q('tag')}, ${q('source')}, ${q('added_at')}, ${q('expires_at')}, ${q('deal')})
		SELECT k.client_id, k.tag_id, 'auto', ${now.sql}, ${expires}, k.deal_id FROM ${k} WHERE true ON CONFLICT DO NOTHING`;

	if (d.pg && only && 'ids' in only) {
		// a change batch: one statement, the wanted set computed once
		const [row] = rows(
			await knex.raw(
				`WITH k AS MATERIALIZED (${wanted}), removed AS (${remove('k')} RETURNING 1), refreshed AS (${refresh('k')} RETURNING 1), added AS (${add('k')} RETURNING 1)
				SELECT (SELECT COUNT(*) FROM removed) AS removed, (SELECT COUNT(*) FROM refreshed) AS refreshed, (SELECT COUNT(*) FROM added) AS added`,
				[...wantedBindings, now.binding],
			),
		);
		return { tagsCreated, added: Number(row?.['added'] ?? 0), refreshed: Number(row?.['refreshed'] ?? 0), removed: Number(row?.['removed'] ?? 0) };
	}
	return knex.transaction(async (trx) => {
		let source = `(${wanted}) k`;
		let bindings: unknown[] = wantedBindings;
		if (d.pg) {
			// the whole base: the wanted set in a temporary table with statistics, so each write gets a hash join
			await trx.raw(`CREATE TEMP TABLE segmentation_wanted_tags ON COMMIT DROP AS ${wanted}`, wantedBindings as Knex.RawBinding[]);
			await trx.raw('ANALYZE segmentation_wanted_tags');
			source = 'segmentation_wanted_tags k';
			bindings = [];
		}
		// affected rows: PostgreSQL reports rowCount, SQLite answers changes() on the same connection
		const run = async (sql: string, extra: unknown[]) => {
			const result = (await trx.raw(sql, [...extra, ...bindings] as Knex.RawBinding[])) as { rowCount?: number };
			return d.pg ? Number(result.rowCount ?? 0) : Number(rows(await trx.raw('SELECT changes() AS n'))[0]?.['n'] ?? 0);
		};
		const removed = await run(remove(source), []);
		const refreshed = await run(refresh(source), []);
		const added = await run(add(source), [now.binding]);
		return { tagsCreated, added, refreshed, removed };
	});
}

/** Every client's auto tags (the daily job and refresh-all): drops expired ones, adds any a purchase should have
 *  given (data written around the hooks: imports by SQL, demo data). SQLite: in client-id ranges (one connection). */
export async function syncAllAutoTags(scope: TagScope, opts: { categoryHasName: boolean }): Promise<TagSyncResult> {
	if (dialectOf(scope.knex).pg) return syncAutoTags(scope, null, opts);
	const total: TagSyncResult = { tagsCreated: 0, added: 0, refreshed: 0, removed: 0 };
	for (const range of (await clientIdRanges(scope.knex, scope.mapping, SQLITE_CHUNK)).ranges) {
		const r = await syncAutoTags(scope, { range }, opts);
		total.tagsCreated += r.tagsCreated;
		total.added += r.added;
		total.refreshed += r.refreshed;
		total.removed += r.removed;
	}
	return total;
}
