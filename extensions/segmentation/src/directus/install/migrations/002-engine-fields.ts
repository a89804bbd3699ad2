// v2: the behaviour engine's computed fields on the client collection, its settings on the singleton, and the
// settings' defaults filled in where the row has nothing yet. Registers no collection.
import { SETTINGS_COLLECTION } from '../../../core/base-names.ts';
import { engineClientFields, engineSettingsDefaults, engineSettingsFields } from '../engine-fields.ts';
import { createField } from '../schema-steps.ts';
import type { Migration } from './migration.ts';

export const engineFieldsMigration: Migration = {
	version: 2,
	name: 'engine-fields',
	collections: () => [],
	async up(ctx, mapping) {
		for (const field of engineClientFields()) await createField(ctx, mapping.client_collection, field);
		for (const field of engineSettingsFields()) await createField(ctx, SETTINGS_COLLECTION, field);
		const row = await ctx.database(SETTINGS_COLLECTION).first();
		const defaults = Object.fromEntries(Object.entries(engineSettingsDefaults()).filter(([key]) => row?.[key] === null || row?.[key] === undefined));
		if (Object.keys(defaults).length) {
			const items = new ctx.services.ItemsService(SETTINGS_COLLECTION, { schema: await ctx.getSchema(), knex: ctx.database });
			await items.upsertSingleton(defaults, { emitEvents: false });
		}
		return [];
	},
};
