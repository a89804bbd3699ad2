// v4: the engine's maximum deal amount on the settings singleton (a won deal above it is bad data: skipped and
// counted in the run record, so one absurd amount can't overflow a client's sum and fail every run), with its
// default filled in where the row has nothing yet; and room on PostgreSQL for every total the engine can write
// (a client's spend may exceed the maximum of one deal). Registers no collection.
import { SETTINGS_COLLECTION } from '../../../core/base-names.ts';
import type { Mapping } from '../../../core/mapping.ts';
import { isPostgres } from '../../../store/dialects/index.ts';
import type { Knex } from 'knex';
import { DEFAULT_ENGINE_SETTINGS, MAX_DEAL_AMOUNT_LIMIT } from '../../../core/engine-settings.ts';
import type { FieldSpec } from '../blueprint.ts';
import { createField } from '../schema-steps.ts';
import type { Migration } from './migration.ts';

export const MAX_DEAL_AMOUNT_FIELD: FieldSpec = {
	field: 'max_deal_amount',
	type: 'decimal',
	meta: {
		interface: 'input',
		width: 'half',
		options: { min: 0, max: MAX_DEAL_AMOUNT_LIMIT },
		translations: [
			{ language: 'en-US', translation: 'Maximum deal amount' },
			{ language: 'ru-RU', translation: 'Максимальная сумма сделки' },
		],
		note: 'A won deal above this amount is treated as bad data: left out of the scores and counted in the run log. Empty = 1,000,000,000,000.',
	},
	// up to 10^14: above the largest maximum the settings accept
	schema: { numeric_precision: 16, numeric_scale: 2 },
};

export const maxDealAmountMigration: Migration = {
	version: 4,
	name: 'max-deal-amount',
	collections: () => [],
	async up(ctx, mapping) {
		// before createField: creating a field clears Directus's schema cache, which then sees the new precision
		await widenMoneyFields(ctx.database, mapping);
		await createField(ctx, SETTINGS_COLLECTION, MAX_DEAL_AMOUNT_FIELD);
		const row = await ctx.database(SETTINGS_COLLECTION).first('id', 'max_deal_amount');
		if (row && (row.max_deal_amount === null || row.max_deal_amount === undefined)) {
			const items = new ctx.services.ItemsService(SETTINGS_COLLECTION, { schema: await ctx.getSchema(), knex: ctx.database });
			await items.upsertSingleton({ max_deal_amount: DEFAULT_ENGINE_SETTINGS.max_deal_amount }, { emitEvents: false });
		}
		return [];
	},
};

/** The engine's money fields on the clients. */
export const MONEY_SCORE_FIELDS = ['rfm_monetary', 'avg_order_value'] as const;
/** Digits of the money fields: a client's total in cents is a 64-bit integer (≤ 9.2·10^18), so 17 digits + 2 decimals. */
export const MONEY_SCORE_PRECISION = 20;

/**
 * numeric(14,2) held at most 999,999,999,999.99: one deal of the default maximum (10^12) made the write of every
 * run fail on PostgreSQL. A wider precision, same scale: no table rewrite. SQLite doesn't enforce a declared
 * precision (nothing to do).
 */
async function widenMoneyFields(knex: Knex, m: Mapping): Promise<void> {
	if (!isPostgres(knex)) return;
	const narrow: Array<{ column_name: string }> = await knex('information_schema.columns')
		.whereRaw('table_schema = current_schema()')
		.where({ table_name: m.client_collection, data_type: 'numeric' })
		.whereIn('column_name', [...MONEY_SCORE_FIELDS])
		.where('numeric_precision', '<', MONEY_SCORE_PRECISION)
		.select('column_name');
	for (const { column_name } of narrow) {
		await knex.raw(`ALTER TABLE ?? ALTER COLUMN ?? TYPE numeric(${MONEY_SCORE_PRECISION}, 2)`, [m.client_collection, column_name]);
	}
}
