// The installer's building blocks, each "check before create" so a step can run again after a crash (or on a
// replica that lost the race) and change nothing: collections, fields, relations, unique indexes.
import type { Knex } from 'knex';
import type { DirectusContext } from '../context.ts';
import type { CollectionSpec, FieldSpec, RelationSpec } from './blueprint.ts';

export async function isRegistered(ctx: DirectusContext, collection: string): Promise<boolean> {
	return Boolean(await ctx.database('directus_collections').where({ collection }).first('collection'));
}

/** Registers a collection; schema null = a folder (no table). Callers check it is missing first. */
export async function createCollection(ctx: DirectusContext, spec: CollectionSpec, schema: Record<string, unknown> | null): Promise<void> {
	const service = new ctx.services.CollectionsService({ schema: await ctx.getSchema(), knex: ctx.database });
	await service.createOne({ collection: spec.collection, meta: spec.meta, schema, fields: spec.fields });
}

/** Registers the collections of specs that don't exist yet (and the folder they live in); returns their names. */
export async function createMissingCollections(ctx: DirectusContext, specs: CollectionSpec[], folder: CollectionSpec): Promise<string[]> {
	const schema = await ctx.getSchema();
	const missing = specs.filter((c) => !schema.collections[c.collection]);
	if (missing.length && !(await isRegistered(ctx, folder.collection))) await createCollection(ctx, folder, null);
	for (const spec of missing) await createCollection(ctx, spec, {});
	return missing.map((c) => c.collection);
}

export async function createField(ctx: DirectusContext, collection: string, field: FieldSpec): Promise<void> {
	const schema = await ctx.getSchema();
	if (schema.collections[collection]?.fields[field.field]) return;
	const service = new ctx.services.FieldsService({ schema, knex: ctx.database });
	await service.createField(collection, field);
}

export async function createRelation(ctx: DirectusContext, relation: RelationSpec & { junction_field?: string }, withReverse: boolean): Promise<void> {
	const schema = await ctx.getSchema();
	if (schema.relations.some((r) => r.collection === relation.collection && r.field === relation.field)) return;
	const oneField = withReverse && relation.one_field_spec ? relation.one_field : null;
	if (oneField && relation.one_field_spec) await createField(ctx, relation.related_collection, relation.one_field_spec);
	const service = new ctx.services.RelationsService({ schema: await ctx.getSchema(), knex: ctx.database });
	await service.createOne({
		collection: relation.collection,
		field: relation.field,
		related_collection: relation.related_collection,
		meta: { one_field: oneField, sort_field: null, one_deselect_action: 'nullify', junction_field: relation.junction_field ?? null },
		schema: { on_delete: relation.on_delete },
	});
}

export async function ensureUniqueIndex(knex: Knex, table: string, columns: string[]): Promise<void> {
	const name = `${table}_${columns.join('_')}_unique`;
	await knex.raw(`CREATE UNIQUE INDEX IF NOT EXISTS ?? ON ?? (${columns.map(() => '??').join(', ')})`, [name, table, ...columns]);
}
