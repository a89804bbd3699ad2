// Installs what the extension needs, idempotently, at start-up: bookkeeping tables, then the schema migrations the
// base has not had yet (migrations/: the settings singleton and the base collections the mapping names, only those
// missing; the engine's fields; tags and segments), then the Marketer policy. The schema version records the last
// migration that finished, so a newer extension applies only its new ones and a crash between two resumes at the
// next; every step also checks before it creates, so a crash inside one is repaired by the next start. Runs under a
// cluster lease: replicas start together.
import type { Knex } from 'knex';
import { collectionBudgetProblem, CORE_TIER_COLLECTION_LIMIT } from '../../core/collection-budget.ts';
import { SETTINGS_COLLECTION } from '../../core/base-names.ts';
import { DEFAULT_MAPPING, parseMapping, mappingFromRow, type Mapping } from '../../core/mapping.ts';
import type { Leases } from '../../store/lease.ts';
import { ensureBookkeepingTables, readMeta, writeMeta } from '../../store/tables.ts';
import type { CollectionSpec } from './blueprint.ts';
import { ensureMarketerPolicy } from './marketer-policy.ts';
import { MIGRATIONS } from './migrations/index.ts';
import { applyInOrder, latestVersion, migrationOrderProblems, pendingMigrations } from './migrations/migration.ts';
import type { DirectusContext, SchemaOverview } from '../context.ts';

export const SCHEMA_VERSION = latestVersion(MIGRATIONS);

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

export async function install(ctx: DirectusContext, leases: Leases): Promise<InstallReport> {
	const knex = ctx.database;
	// a release whose list is out of order would skip or rerun migrations: refuse before touching anything
	const orderProblems = migrationOrderProblems(MIGRATIONS);
	if (orderProblems.length) throw new Error(`The segmentation migrations are out of order: ${orderProblems.join('; ')}`);
	await ensureBookkeepingTables(knex);
	return leases.run('install', { ttlMs: 60_000, waitMs: 180_000 }, async (lease) => {
		const applied = Number((await readMeta(knex, 'schema_version')) ?? 0);
		const mapping = await initialMapping(ctx);
		const pending = pendingMigrations(MIGRATIONS, applied);
		await checkCollectionBudget(ctx, pending.flatMap((m) => m.collections(mapping)));
		const registered = await applyInOrder(
			pending,
			(migration) => migration.up(ctx, mapping),
			(version) => writeMeta(knex, 'schema_version', String(version)),
			(migration) => {
				// another instance took the lease over (our renewals failed): leave the rest to it
				if (lease.lost) throw new Error(`The install lease was lost before migration ${migration.version} (${migration.name}); the next start resumes there`);
			},
		);
		const marketerPolicyId = await ensureMarketerPolicy(ctx, mapping);
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

/** Every collection the pending migrations would register must fit the Core tier, else nothing is installed. */
async function checkCollectionBudget(ctx: DirectusContext, wanted: CollectionSpec[]): Promise<void> {
	const schema = await ctx.getSchema();
	const problem = collectionBudgetProblem({
		active: await countActiveCollections(ctx, schema),
		toRegister: [...new Set(wanted.map((c) => c.collection))].filter((name) => !schema.collections[name]),
		limit: (await hasLicence(ctx.database)) ? null : CORE_TIER_COLLECTION_LIMIT,
	});
	if (problem) throw new InstallRefusedError(problem);
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
