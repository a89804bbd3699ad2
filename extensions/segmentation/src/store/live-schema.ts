// The live schema read straight from the database, for code that runs outside Directus (seeding, importing):
// tables and columns as they are, relations as Directus recorded them. Inside Directus, getSchema() plays this role.
import type { Knex } from 'knex';
import { SETTINGS_COLLECTION } from '../core/base-names.ts';
import { checkMapping, mappingFromRow, parseMapping, type LiveSchema, type Mapping } from '../core/mapping.ts';

function directusType(dbType: string): string {
	const t = dbType.toLowerCase();
	if (t.includes('bool')) return 'boolean';
	if (t.includes('timestamp') || t.includes('datetime')) return 'timestamp';
	if (t === 'date') return 'date';
	if (t.includes('numeric') || t.includes('decimal')) return 'decimal';
	if (t.includes('double') || t.includes('real') || t.includes('float')) return 'float';
	if (t.includes('bigint')) return 'bigInteger';
	if (t.includes('int')) return 'integer';
	if (t.includes('uuid')) return 'uuid';
	return 'string';
}

export async function readLiveSchema(knex: Knex, tables: string[]): Promise<LiveSchema> {
	const collections: LiveSchema['collections'] = {};
	for (const table of new Set(tables)) {
		if (!(await knex.schema.hasTable(table))) continue;
		const info = await knex(table).columnInfo();
		collections[table] = { primary: 'id', fields: Object.fromEntries(Object.entries(info).map(([name, c]) => [name, { type: directusType(c.type) }])) };
	}
	const relations = await knex('directus_relations').select('many_collection as collection', 'many_field as field', 'one_collection as related_collection');
	return { collections, relations };
}

/** The saved mapping checked against the database; throws with the problems when it doesn't fit. */
export async function readMappingFromDatabase(knex: Knex): Promise<Mapping> {
	if (!(await knex.schema.hasTable(SETTINGS_COLLECTION))) throw new Error('The segmentation schema is not installed (no segmentation_settings table).');
	const row = await knex(SETTINGS_COLLECTION).first();
	if (!row) throw new Error('segmentation_settings has no row: start Directus once to install the extension.');
	const shape = parseMapping(mappingFromRow(row));
	if (!shape.ok) throw new Error(`Invalid segmentation mapping: ${shape.errors.join('; ')}`);
	const m = shape.mapping;
	const live = await readLiveSchema(knex, [m.client_collection, m.deal_collection, m.item_collection, m.product_collection, m.category_collection]);
	const check = checkMapping(m, live);
	if (!check.ok) throw new Error(`Invalid segmentation mapping: ${check.errors.join('; ')}`);
	return check.mapping;
}
