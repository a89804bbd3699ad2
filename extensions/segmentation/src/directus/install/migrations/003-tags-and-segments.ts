// v3: interest tags and segments — four registered collections, the tags alias on the clients, the unique pairs
// concurrent writers rely on, the client list's default columns, and the built-in segment library.
import { SEGMENT_NAMES } from '../../../core/base-names.ts';
import type { Mapping } from '../../../core/mapping.ts';
import type { DirectusContext } from '../../context.ts';
import { folderCollection } from '../blueprint.ts';
import { createMissingCollections, createRelation, ensureUniqueIndex } from '../schema-steps.ts';
import { segmentCollections, segmentRelations } from '../segment-schema.ts';
import { seedSegmentLibrary } from '../segment-library.ts';
import type { Migration } from './migration.ts';

export const tagsAndSegmentsMigration: Migration = {
	version: 3,
	name: 'tags-and-segments',
	collections: segmentCollections,
	async up(ctx, mapping) {
		const registered = await createMissingCollections(ctx, segmentCollections(mapping), folderCollection());
		for (const relation of segmentRelations(mapping)) await createRelation(ctx, relation, true);
		// one row per pair: concurrent re-qualification and tagging rely on these (ON CONFLICT DO NOTHING)
		await ensureUniqueIndex(ctx.database, SEGMENT_NAMES.clientTags, ['client', 'tag']);
		await ensureUniqueIndex(ctx.database, SEGMENT_NAMES.members, ['segment', 'client']);
		await ensureClientListPreset(ctx, mapping);
		await seedSegmentLibrary(ctx, mapping);
		return registered;
	},
};

/** The client list shows the segmentation columns and tags, unless someone already set up a default view. */
async function ensureClientListPreset(ctx: DirectusContext, m: Mapping): Promise<void> {
	const existing = await ctx.database('directus_presets').where({ collection: m.client_collection }).whereNull('user').whereNull('role').first('id');
	if (existing) return;
	const fields = [m.client_name_field, m.client_email_field, 'rfm_code', 'lifecycle_stage', 'value_tier', SEGMENT_NAMES.clientTagsAlias].filter((f): f is string => Boolean(f));
	const presets = new ctx.services.ItemsService('directus_presets', { schema: await ctx.getSchema(), knex: ctx.database });
	await presets.createOne({ collection: m.client_collection, layout: 'tabular', layout_query: { tabular: { fields, sort: [m.client_name_field ?? 'id'], page: 1 } }, layout_options: { tabular: { widths: {} } } }, { emitEvents: false });
}
