// Installs what the extension needs, idempotently, at start-up: bookkeeping tables, the settings singleton, the
// base collections the mapping points at (only those that don't exist yet), the Marketer policy. A schema version
// records what was applied, so a newer extension applies only its new steps; every step also checks before it
// creates, so a crash half-way is repaired by the next start. Runs under a cluster lock: replicas start together.
import type { Knex } from 'knex';
import { collectionBudgetProblem, CORE_TIER_COLLECTION_LIMIT } from '../../core/collection-budget.ts';
import { FOLDER_COLLECTION, SEGMENT_NAMES, SETTINGS_COLLECTION } from '../../core/base-names.ts';
import { DEFAULT_MAPPING, parseMapping, mappingFromRow, type Mapping } from '../../core/mapping.ts';
import { withLock } from '../../store/lock.ts';
import { ensureBookkeepingTables, readMeta, writeMeta } from '../../store/tables.ts';
import { baseCollections, baseRelations, folderCollection, settingsCollection, type CollectionSpec, type FieldSpec, type RelationSpec } from './blueprint.ts';
import { ensureMarketerPolicy } from './marketer-policy.ts';
import { ensureModuleInBar } from './module-bar.ts';
import { segmentCollections, segmentRelations } from './segment-schema.ts';
import { seedSegmentLibrary } from './segment-library.ts';
import { engineClientFields, engineSettingsDefaults, engineSettingsFields } from './engine-fields.ts';
import type { DirectusContext, SchemaOverview } from '../context.ts';
import { INSTANCE_ID } from '../state.ts';

export const SCHEMA_VERSION = 3;

export interface InstallReport {
	schemaVersion: number;
	/** Collections this run registered (empty on a restart). */
	registered: string[];
	mapping: Mapping;
	marketerPolicyId: string;
}

export class InstallRefusedError extends Error {
	override name = 'InstallRefusedError';
}

export async function install(ctx: DirectusContext): Promise<InstallReport> {
	const knex = ctx.database;
	await ensureBookkeepingTables(knex);
	return withLock(knex, 'install', INSTANCE_ID, { ttlMs: 180_000, waitMs: 180_000 }, async () => {
		const applied = Number((await readMeta(knex, 'schema_version')) ?? 0);
		const mapping = await initialMapping(ctx);
		await checkCollectionBudget(ctx, [...(applied < 1 ? [settingsCollection(), ...baseCollections(mapping)] : []), ...(applied < 3 ? segmentCollections(mapping) : [])]);
		const registered = applied < 1 ? await applyVersion1(ctx, mapping) : [];
		if (applied < 2) await applyVersion2(ctx, mapping);
		if (applied < 3) registered.push(...(await applyVersion3(ctx, mapping)));
		const marketerPolicyId = await ensureMarketerPolicy(ctx, mapping);
		if (applied < SCHEMA_VERSION) await writeMeta(knex, 'schema_version', String(SCHEMA_VERSION));
		return { schemaVersion: SCHEMA_VERSION, registered, mapping, marketerPolicyId };
	});
}

/** The saved mapping; on a first install the defaults, overridden by SEGMENTATION_MAPPING (JSON) for an existing base. */
async function initialMapping(ctx: DirectusContext): Promise<Mapping> {
	const schema = await ctx.getSchema();
	if (schema.collections[SETTINGS_COLLECTION]) {
		const row = await ctx.database(SETTINGS_COLLECTION).first();
		if (row) {
			const saved = parseMapping(mappingFromRow(row));
			if (saved.ok) return saved.mapping;
			throw new InstallRefusedError(`The saved segmentation mapping is invalid: ${saved.errors.join('; ')}`);
		}
	}
	let overrides: unknown = {};
	// read raw: Directus's env parser would split a JSON value at its commas
	const raw = process.env['SEGMENTATION_MAPPING'];
	if (raw) {
		try {
			overrides = JSON.parse(raw);
		} catch {
			throw new InstallRefusedError('SEGMENTATION_MAPPING is not valid JSON: expected an object like {"client_collection":"customers"}');
		}
	}
	const parsed = parseMapping({ ...DEFAULT_MAPPING, ...(overrides as object) });
	if (!parsed.ok) throw new InstallRefusedError(`SEGMENTATION_MAPPING is invalid: ${parsed.errors.join('; ')}`);
	return parsed.mapping;
}

/** Every collection the pending versions would register must fit the Core tier, else nothing is installed. */
async function checkCollectionBudget(ctx: DirectusContext, wanted: CollectionSpec[]): Promise<void> {
	const schema = await ctx.getSchema();
	const problem = collectionBudgetProblem({
		active: await countActiveCollections(ctx, schema),
		toRegister: wanted.filter((c) => !schema.collections[c.collection]).map((c) => c.collection),
		limit: (await hasLicence(ctx.database)) ? null : CORE_TIER_COLLECTION_LIMIT,
	});
	if (problem) throw new InstallRefusedError(problem);
}

async function applyVersion1(ctx: DirectusContext, mapping: Mapping): Promise<string[]> {
	const schema = await ctx.getSchema();
	const wanted = [settingsCollection(), ...baseCollections(mapping)];
	const missing = wanted.filter((c) => !schema.collections[c.collection]);

	if (missing.length && !(await isRegistered(ctx, FOLDER_COLLECTION))) await createCollection(ctx, folderCollection(), null);
	for (const spec of missing) await createCollection(ctx, spec, {});
	const created = new Set(missing.map((c) => c.collection));
	for (const relation of baseRelations(mapping)) {
		// relations only between collections we created: an existing base is left as it is
		if (created.has(relation.collection)) await createRelation(ctx, relation, created.has(relation.related_collection));
	}
	if (!(await ctx.database(SETTINGS_COLLECTION).first('id'))) {
		const items = new ctx.services.ItemsService(SETTINGS_COLLECTION, { schema: await ctx.getSchema(), knex: ctx.database });
		await items.upsertSingleton(mapping, { emitEvents: false });
	}
	await ensureModuleInBar(ctx);
	return missing.map((c) => c.collection);
}

/** v2: the behaviour engine's fields on the client collection and its settings (defaults filled in). */
async function applyVersion2(ctx: DirectusContext, mapping: Mapping): Promise<void> {
	for (const field of engineClientFields()) await createField(ctx, mapping.client_collection, field);
	for (const field of engineSettingsFields()) await createField(ctx, SETTINGS_COLLECTION, field);
	const row = await ctx.database(SETTINGS_COLLECTION).first();
	const defaults = Object.fromEntries(Object.entries(engineSettingsDefaults()).filter(([key]) => row?.[key] === null || row?.[key] === undefined));
	if (Object.keys(defaults).length) {
		const items = new ctx.services.ItemsService(SETTINGS_COLLECTION, { schema: await ctx.getSchema(), knex: ctx.database });
		await items.upsertSingleton(defaults, { emitEvents: false });
	}
}

/** v3: interest tags and segments (four registered collections, the tags alias on clients, the library). */
async function applyVersion3(ctx: DirectusContext, mapping: Mapping): Promise<string[]> {
	const schema = await ctx.getSchema();
	const missing = segmentCollections(mapping).filter((c) => !schema.collections[c.collection]);
	if (missing.length && !(await isRegistered(ctx, FOLDER_COLLECTION))) await createCollection(ctx, folderCollection(), null);
	for (const spec of missing) await createCollection(ctx, spec, {});
	for (const relation of segmentRelations(mapping)) await createRelation(ctx, relation, true);
	// one row per pair: concurrent re-qualification and tagging rely on these (ON CONFLICT DO NOTHING)
	await ensureUniqueIndex(ctx.database, SEGMENT_NAMES.clientTags, ['client', 'tag']);
	await ensureUniqueIndex(ctx.database, SEGMENT_NAMES.members, ['segment', 'client']);
	await ensureClientListPreset(ctx, mapping);
	await seedSegmentLibrary(ctx, mapping);
	return missing.map((c) => c.collection);
}

async function ensureUniqueIndex(knex: Knex, table: string, columns: string[]): Promise<void> {
	const name = `${table}_${columns.join('_')}_unique`;
	await knex.raw(`CREATE UNIQUE INDEX IF NOT EXISTS ?? ON ?? (${columns.map(() => '??').join(', ')})`, [name, table, ...columns]);
}

/** The client list shows the segmentation columns and tags, unless someone already set up a default view. */
async function ensureClientListPreset(ctx: DirectusContext, m: Mapping): Promise<void> {
	const existing = await ctx.database('directus_presets').where({ collection: m.client_collection }).whereNull('user').whereNull('role').first('id');
	if (existing) return;
	const fields = [m.client_name_field, m.client_email_field, 'rfm_code', 'lifecycle_stage', 'value_tier', SEGMENT_NAMES.clientTagsAlias].filter((f): f is string => Boolean(f));
	const presets = new ctx.services.ItemsService('directus_presets', { schema: await ctx.getSchema(), knex: ctx.database });
	await presets.createOne({ collection: m.client_collection, layout: 'tabular', layout_query: { tabular: { fields, sort: [m.client_name_field ?? 'id'], page: 1 } }, layout_options: { tabular: { widths: {} } } }, { emitEvents: false });
}

/** As Directus's licence code counts: registered, active, with a table, not system, not excluded. */
async function countActiveCollections(ctx: DirectusContext, schema: SchemaOverview): Promise<number> {
	const excluded = String(ctx.env['DB_EXCLUDE_TABLES'] ?? '').split(',').map((s) => s.trim());
	const rows = await ctx.database('directus_collections').select('collection', 'status');
	return rows.filter(
		(r) => !String(r.collection).startsWith('directus_') && schema.collections[r.collection] && (r.status ?? 'active') === 'active' && !excluded.includes(r.collection),
	).length;
}

async function hasLicence(knex: Knex): Promise<boolean> {
	try {
		const row = await knex('directus_settings').first('license_key');
		return Boolean(row?.license_key);
	} catch {
		return false;
	}
}

async function isRegistered(ctx: DirectusContext, collection: string): Promise<boolean> {
	return Boolean(await ctx.database('directus_collections').where({ collection }).first('collection'));
}

async function createCollection(ctx: DirectusContext, spec: CollectionSpec, schema: Record<string, unknown> | null): Promise<void> {
	const service = new ctx.services.CollectionsService({ schema: await ctx.getSchema(), knex: ctx.database });
	await service.createOne({ collection: spec.collection, meta: spec.meta, schema, fields: spec.fields });
}

async function createField(ctx: DirectusContext, collection: string, field: FieldSpec): Promise<void> {
	const schema = await ctx.getSchema();
	if (schema.collections[collection]?.fields[field.field]) return;
	const service = new ctx.services.FieldsService({ schema, knex: ctx.database });
	await service.createField(collection, field);
}

async function createRelation(ctx: DirectusContext, relation: RelationSpec & { junction_field?: string }, withReverse: boolean): Promise<void> {
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
