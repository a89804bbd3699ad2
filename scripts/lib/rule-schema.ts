// The rule schema Directus's getSchema() would give for a rule's parse (core/rule.ts), read straight from the
// database: columns with their types, o2m/m2m aliases, relations with their one_field — for tools and store tests
// that run without a Directus process.
import type { Knex } from 'knex';
import type { RuleSchema } from '../../extensions/segmentation/src/core/rule.ts';
import { readLiveSchema } from '../../extensions/segmentation/src/store/live-schema.ts';

export async function readRuleSchema(knex: Knex, tables: string[]): Promise<RuleSchema> {
	const live = await readLiveSchema(knex, tables);
	const collections = live.collections as RuleSchema['collections'];
	const fields: Array<Record<string, unknown>> = await knex('directus_fields').whereIn('collection', tables).select('collection', 'field', 'special');
	for (const row of fields) {
		const special = typeof row['special'] === 'string' ? String(row['special']).split(',') : null;
		const c = collections[String(row['collection'])];
		if (!c) continue;
		if (special?.some((x) => ['o2m', 'm2m', 'm2a'].includes(x))) c.fields[String(row['field'])] = { type: 'alias', special };
		else if (c.fields[String(row['field'])]) c.fields[String(row['field'])]!.special = special;
	}
	const relations: Array<Record<string, unknown>> = await knex('directus_relations').select('many_collection', 'many_field', 'one_collection', 'one_field', 'junction_field');
	return {
		collections,
		relations: relations.map((r) => ({
			collection: String(r['many_collection']),
			field: String(r['many_field']),
			related_collection: (r['one_collection'] as string | null) ?? null,
			meta: { one_field: (r['one_field'] as string | null) ?? null, junction_field: (r['junction_field'] as string | null) ?? null },
		})),
	};
}
