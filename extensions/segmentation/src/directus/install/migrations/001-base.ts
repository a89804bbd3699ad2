// v1: the settings singleton (filled with the mapping), the base collections the mapping names (only those
// missing: an existing base is left as it is), their relations, and the module in the module bar.
import { SETTINGS_COLLECTION } from '../../../core/base-names.ts';
import type { Mapping } from '../../../core/mapping.ts';
import { baseCollections, baseRelations, folderCollection, settingsCollection } from '../blueprint.ts';
import { ensureModuleInBar } from '../module-bar.ts';
import { createMissingCollections, createRelation } from '../schema-steps.ts';
import type { Migration } from './migration.ts';

const wanted = (mapping: Mapping) => [settingsCollection(), ...baseCollections(mapping)];

export const baseMigration: Migration = {
	version: 1,
	name: 'base',
	collections: wanted,
	async up(ctx, mapping) {
		const registered = await createMissingCollections(ctx, wanted(mapping), folderCollection());
		const created = new Set(registered);
		for (const relation of baseRelations(mapping)) {
			// relations only between collections we created: an existing base is left as it is
			if (created.has(relation.collection)) await createRelation(ctx, relation, created.has(relation.related_collection));
		}
		if (!(await ctx.database(SETTINGS_COLLECTION).first('id'))) {
			const items = new ctx.services.ItemsService(SETTINGS_COLLECTION, { schema: await ctx.getSchema(), knex: ctx.database });
			await items.upsertSingleton(mapping, { emitEvents: false });
		}
		await ensureModuleInBar(ctx);
		return registered;
	},
};
