// The extension's bookkeeping lives in plain tables (not registered as Directus collections, so they don't count
// against the Core tier's 25). Each is created here, idempotently, by the schema installer.
import type { Knex } from 'knex';

export const META_TABLE = 'segmentation_meta';
export const LOCKS_TABLE = 'segmentation_locks';

async function createIfMissing(knex: Knex, table: string, build: (t: Knex.CreateTableBuilder) => void): Promise<void> {
	if (await knex.schema.hasTable(table)) return;
	try {
		await knex.schema.createTable(table, build);
	} catch (error) {
		// another instance created it between our check and our create
		if (!(await knex.schema.hasTable(table))) throw error;
	}
}

export async function ensureBookkeepingTables(knex: Knex): Promise<void> {
	await createIfMissing(knex, META_TABLE, (t) => {
		t.string('key', 64).primary();
		t.text('value');
		t.bigInteger('updated_at').notNullable();
	});
	await createIfMissing(knex, LOCKS_TABLE, (t) => {
		t.string('name', 64).primary();
		t.string('holder', 128).notNullable();
		t.bigInteger('acquired_at').notNullable();
		t.bigInteger('expires_at').notNullable();
	});
}

export async function readMeta(knex: Knex, key: string): Promise<string | null> {
	const row = await knex(META_TABLE).where({ key }).first('value');
	return row ? (row.value as string | null) : null;
}

export async function writeMeta(knex: Knex, key: string, value: string): Promise<void> {
	await knex(META_TABLE).insert({ key, value, updated_at: Date.now() }).onConflict('key').merge(['value', 'updated_at']);
}
