// Hooks fire on every item change; they need the mapping's collection names without a query each time.
// A few seconds of staleness is fine: a mapping change is rare and also refreshes this instance at once.
import { SETTINGS_COLLECTION } from '../core/base-names.ts';
import { mappingFromRow, parseMapping, type Mapping } from '../core/mapping.ts';
import type { Knex } from 'knex';
import type { DirectusContext } from './context.ts';

const TTL_MS = 5000;
let cached: { mapping: Mapping | null; at: number } = { mapping: null, at: 0 };

/** knex: a filter hook must pass its transaction (SQLite has one connection: another would wait for it). */
export async function currentMapping(ctx: DirectusContext, knex: Knex = ctx.database): Promise<Mapping | null> {
	if (Date.now() - cached.at < TTL_MS) return cached.mapping;
	const row = await knex(SETTINGS_COLLECTION).first().catch(() => null);
	const parsed = row ? parseMapping(mappingFromRow(row)) : null;
	cached = { mapping: parsed?.ok ? parsed.mapping : null, at: Date.now() };
	return cached.mapping;
}

export function forgetMapping(): void {
	cached = { mapping: null, at: 0 };
}
