// Hooks fire on every item change; they need the mapping's collection names without a query each time.
// A few seconds of staleness is fine: a mapping change is rare and also refreshes this instance at once.
import type { Knex } from 'knex';
import { SETTINGS_COLLECTION } from '../core/base-names.ts';
import { mappingFromRow, parseMapping, type Mapping } from '../core/mapping.ts';

const TTL_MS = 5000;

export class MappingCache {
	private cached: { mapping: Mapping | null; at: number } = { mapping: null, at: 0 };

	private readonly database: Knex;

	constructor(database: Knex) {
		this.database = database;
	}

	/** knex: a filter hook must pass its transaction (SQLite has one connection: another would wait for it). */
	async current(knex: Knex = this.database): Promise<Mapping | null> {
		if (Date.now() - this.cached.at < TTL_MS) return this.cached.mapping;
		const row = await knex(SETTINGS_COLLECTION).first().catch(() => null);
		const parsed = row ? parseMapping(mappingFromRow(row)) : null;
		this.cached = { mapping: parsed?.ok ? parsed.mapping : null, at: Date.now() };
		return this.cached.mapping;
	}

	forget(): void {
		this.cached = { mapping: null, at: 0 };
	}
}
