// Auto tags' SQL. A set of clients' statements start from their ids (deal-client index → their deals → items →
// products): SQLite runs a correlated EXISTS as written, so a subquery per product or category over everyone's
// items would read every purchase of the base for a one-client batch.
import { DAY_MS } from '../../core/engine.ts';
import type { Dialect } from '../dialects/types.ts';
import type { ClientRestriction } from '../restriction.ts';
import type { BaseTables } from './base-tables.ts';
import { andClients, ints, sql, type Sql } from './sql.ts';

/** The wanted set's columns: one row per (client, tag) with the deal that gives it and its expiry (null = never). */
export const WANTED_TAGS = {
	name: 'segmentation_wanted_tags',
	columns: [{ name: 'client_id' }, { name: 'tag_id' }, { name: 'deal_id' }, { name: 'expires_ms', nullable: true }],
	key: ['client_id', 'tag_id'],
} as const;

/** A category's tag name: its own name, or "Category <id>" when the category collection has no name field. */
export function categoryTagName(t: BaseTables, hasName: boolean): Sql {
	return hasName ? sql`cat.${t.categories.name}` : sql`'Category ' || CAST(cat.${t.categories.id} AS TEXT)`;
}

/**
 * Categories the clients bought that have no tag yet (column id). For a batch: from the clients' won deals down to
 * the products. For the whole base or an id range: per product, a semi-join that stops at its first purchase (a
 * few hundred products, not a million items) — and nothing at all once every category has its tag.
 */
export function untaggedCategoriesQuery(t: BaseTables, only: ClientRestriction): Sql {
	const { deals: D, items: I, products: P, tags: T } = t;
	const untagged = sql`NOT EXISTS (SELECT 1 FROM ${T.table} tg WHERE tg.${T.category} = p.${P.category})`;
	const won = sql`d.${D.status} = ${t.status.won} AND d.${D.closed} IS NOT NULL AND d.${D.client} IS NOT NULL${andClients(sql`d.${D.client}`, only)}`;
	if (only && 'ids' in only) {
		return sql`SELECT DISTINCT p.${P.category} AS id
			FROM ${D.table} d JOIN ${I.table} i ON i.${I.deal} = d.${D.id} JOIN ${P.table} p ON p.${P.id} = i.${I.product}
			WHERE ${won} AND p.${P.category} IS NOT NULL AND ${untagged}`;
	}
	return sql`SELECT DISTINCT p.${P.category} AS id FROM ${P.table} p
		WHERE p.${P.category} IS NOT NULL AND ${untagged}
			AND EXISTS (SELECT 1 FROM ${I.table} i JOIN ${D.table} d ON d.${D.id} = i.${I.deal} WHERE i.${I.product} = p.${P.id} AND ${won})`;
}

/** A tag a marketer made by hand with a missing category's name becomes that category's tag. */
export function adoptTagsQuery(t: BaseTables, name: Sql, categories: number[]): Sql {
	const { categories: C, tags: T } = t;
	const missing = sql`FROM ${C.table} cat WHERE cat.${C.id} IN (${ints(categories)})
		AND NOT EXISTS (SELECT 1 FROM ${T.table} tg WHERE tg.${T.category} = cat.${C.id})`;
	return sql`UPDATE ${T.table} SET ${T.category} = (SELECT cat.${C.id} ${missing} AND ${name} = ${T.table}.${T.name} LIMIT 1)
		WHERE ${T.category} IS NULL AND ${T.name} IN (SELECT ${name} ${missing})`;
}

/** A tag for each category still without one (a concurrent insert of the same name is skipped). */
export function createTagsQuery(t: BaseTables, name: Sql, categories: number[]): Sql {
	const { categories: C, tags: T } = t;
	return sql`INSERT INTO ${T.table} (${T.name}, ${T.category})
		SELECT ${name}, cat.${C.id} FROM ${C.table} cat WHERE cat.${C.id} IN (${ints(categories)})
			AND NOT EXISTS (SELECT 1 FROM ${T.table} tg WHERE tg.${T.category} = cat.${C.id})
		ON CONFLICT DO NOTHING`;
}

/**
 * The wanted (client, tag) pairs of the clients (columns: WANTED_TAGS): the latest purchase per category, its deal,
 * and the expiry it gives (the latest purchase + the category's interest days; never when unset); expired ones left
 * out. Driven from the clients' won deals (deal-client index), then items, products, categories, tags.
 */
export function wantedTagsQuery(t: BaseTables, d: Dialect, asOfMs: number, only: ClientRestriction): Sql {
	const { deals: D, items: I, products: P, categories: C, tags: T } = t;
	const interest = sql`cat.${C.interestDays}`;
	return sql`SELECT w.client_id, w.tag_id, w.deal_id, w.expires_ms FROM (
			SELECT x.client_id, tg.${T.id} AS tag_id, x.deal_id,
				CASE WHEN ${interest} IS NULL THEN NULL ELSE x.closed_ms + CAST(${interest} AS BIGINT) * ${ints([DAY_MS])} END AS expires_ms,
				ROW_NUMBER() OVER (PARTITION BY x.client_id, tg.${T.id} ORDER BY x.closed_ms DESC, x.deal_id DESC) AS latest
			FROM (
				SELECT d.${D.client} AS client_id, p.${P.category} AS category_id, d.${D.id} AS deal_id, ${d.ms(sql`d.${D.closed}`)} AS closed_ms
				FROM ${D.table} d
				JOIN ${I.table} i ON i.${I.deal} = d.${D.id}
				JOIN ${P.table} p ON p.${P.id} = i.${I.product}
				WHERE d.${D.status} = ${t.status.won} AND d.${D.closed} IS NOT NULL AND d.${D.client} IS NOT NULL AND p.${P.category} IS NOT NULL${andClients(sql`d.${D.client}`, only)}
			) x
			JOIN ${C.table} cat ON cat.${C.id} = x.category_id
			JOIN ${T.table} tg ON tg.${T.category} = x.category_id
		) w WHERE w.latest = 1 AND (w.expires_ms IS NULL OR w.expires_ms > ${asOfMs})`;
}

/** Auto tags of the clients that no purchase supports any more (expired, deal lost or deleted). */
export function removeStaleTagsQuery(t: BaseTables, wanted: Sql, only: ClientRestriction): Sql {
	const CT = t.clientTags;
	return sql`DELETE FROM ${CT.table} WHERE ${CT.table}.${CT.source} = 'auto'${andClients(sql`${CT.table}.${CT.client}`, only)}
		AND NOT EXISTS (SELECT 1 FROM ${wanted} k WHERE k.client_id = ${CT.table}.${CT.client} AND k.tag_id = ${CT.table}.${CT.tag})`;
}

/** Present auto tags of the clients whose deal or expiry moved (the target restricted too: SQLite drives an
 *  UPDATE … FROM from its target, and would scan every client's tags for a one-client batch). */
export function refreshTagsQuery(t: BaseTables, d: Dialect, wanted: Sql, only: ClientRestriction): Sql {
	const CT = t.clientTags;
	const ct = CT.table;
	return sql`UPDATE ${ct} SET ${CT.expiresAt} = ${d.fromMs(sql`k.expires_ms`)}, ${CT.deal} = k.deal_id FROM ${wanted} k
		WHERE ${ct}.${CT.client} = k.client_id AND ${ct}.${CT.tag} = k.tag_id AND ${ct}.${CT.source} = 'auto'${andClients(sql`${ct}.${CT.client}`, only)}
			AND (${d.isDistinct(sql`${ct}.${CT.deal}`, sql`k.deal_id`)} OR ${d.isDistinct(d.ms(sql`${ct}.${CT.expiresAt}`), sql`k.expires_ms`)})`;
}

/**
 * Wanted pairs not present yet. The unique (client, tag) index skips present pairs — no anti-join against the
 * table being written (on PostgreSQL a nested-loop re-scan of it would read every row this statement already
 * inserted). `WHERE true`: SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT to parse it.
 */
export function addTagsQuery(t: BaseTables, d: Dialect, wanted: Sql, asOfMs: number): Sql {
	const CT = t.clientTags;
	return sql`INSERT INTO ${CT.table} (${CT.client}, ${CT.tag}, ${CT.source}, ${CT.addedAt}, ${CT.expiresAt}, ${CT.deal})
		SELECT k.client_id, k.tag_id, 'auto', ${d.instant(asOfMs)}, ${d.fromMs(sql`k.expires_ms`)}, k.deal_id FROM ${wanted} k WHERE true
		ON CONFLICT DO NOTHING`;
}
