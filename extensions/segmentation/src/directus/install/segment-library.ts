// Creates the built-in segment templates, inactive, once per key: never overwritten (a marketer may edit or delete
// them). Each rule is validated against the live schema first; one a base can't express is left out and logged.
import { SEGMENT_NAMES, SETTINGS_COLLECTION } from '../../core/base-names.ts';
import { engineSettingsFromRow, DEFAULT_ENGINE_SETTINGS } from '../../core/engine-settings.ts';
import type { Mapping } from '../../core/mapping.ts';
import { parseRule } from '../../core/rule.ts';
import { libraryTemplates, tagTemplate, type SegmentTemplate } from '../../core/segment-library.ts';
import type { DirectusContext } from '../context.ts';

export interface LibraryResult {
	created: Array<{ id: number; key: string; name: string }>;
	existing: number;
	left_out: Array<{ key: string; reason: string }>;
}

async function createTemplates(ctx: DirectusContext, mapping: Mapping, templates: SegmentTemplate[]): Promise<LibraryResult> {
	const knex = ctx.database;
	const schema = await ctx.getSchema();
	const existing = new Set((await knex(SEGMENT_NAMES.segments).whereNotNull('template_key').select('template_key')).map((r: { template_key: string }) => r.template_key));
	const result: LibraryResult = { created: [], existing: 0, left_out: [] };
	const rows: Array<Record<string, unknown>> = [];
	for (const template of templates) {
		if (existing.has(template.key)) {
			result.existing++;
			continue;
		}
		const parsed = parseRule(template.rule, schema, mapping.client_collection);
		if (!parsed.ok) {
			result.left_out.push({ key: template.key, reason: parsed.errors.join('; ') });
			continue;
		}
		rows.push({ name: template.name, description: template.description, rule: template.rule, kind: 'dynamic', is_active: false, member_count: 0, template_key: template.key });
	}
	if (rows.length) {
		const items = new ctx.services.ItemsService(SEGMENT_NAMES.segments, { schema, knex });
		const ids: unknown[] = await items.createMany(rows, { emitEvents: false });
		ids.forEach((id, i) => result.created.push({ id: Number(id), key: String(rows[i]!['template_key']), name: String(rows[i]!['name']) }));
	}
	for (const skipped of result.left_out) ctx.logger.warn(`[segmentation] library template ${skipped.key} left out: ${skipped.reason}`);
	return result;
}

/** The library for the current RFM scheme (on first install, and on request after a scheme change). */
export async function seedSegmentLibrary(ctx: DirectusContext, mapping: Mapping): Promise<LibraryResult> {
	const row = (await ctx.database(SETTINGS_COLLECTION).first()) ?? {};
	const parsed = engineSettingsFromRow(row);
	const settings = parsed.ok ? parsed.settings : DEFAULT_ENGINE_SETTINGS;
	// the deals alias on the client is whatever the base calls the reverse of the deal's client field
	const relation = (await ctx.getSchema()).relations.find((r) => r.collection === mapping.deal_collection && r.field === mapping.deal_client_field);
	const dealsAlias = relation?.meta?.one_field ?? 'deals';
	return createTemplates(ctx, mapping, libraryTemplates(settings, { dealsAlias, mapping }));
}

/** One template per interest tag (on request). */
export async function seedTagTemplates(ctx: DirectusContext, mapping: Mapping): Promise<LibraryResult> {
	const tags: Array<{ id: number; name: string }> = await ctx.database(SEGMENT_NAMES.tags).select('id', 'name').orderBy('name');
	return createTemplates(ctx, mapping, tags.map((tag) => tagTemplate({ id: Number(tag.id), name: tag.name }, SEGMENT_NAMES.clientTagsAlias)));
}
