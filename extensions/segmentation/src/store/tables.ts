// The extension's bookkeeping lives in plain tables (not registered as Directus collections, so they don't count
// against the Core tier's 25). Each is created here, idempotently, by the schema installer.
import type { Knex } from 'knex';
import { isPostgres } from './bulk-insert.ts';

export const META_TABLE = 'segmentation_meta';
export const LOCKS_TABLE = 'segmentation_locks';
export const RUNS_TABLE = 'segmentation_runs';
export const STAGE_TABLE = 'segmentation_score_stage';
export const EVENTS_TABLE = 'segmentation_segment_events';
export const SNAPSHOTS_TABLE = 'segmentation_segment_snapshots';
export const CHANGES_TABLE = 'segmentation_changes';
export const JOBS_TABLE = 'segmentation_jobs';
export const SYNC_SUBSCRIBERS_TABLE = 'segmentation_listmonk_subscribers';
export const SYNC_MEMBERS_TABLE = 'segmentation_listmonk_members';
export const SYNC_DIRTY_TABLE = 'segmentation_listmonk_dirty';
export const SYNC_RUNS_TABLE = 'segmentation_sync_runs';
export const REDEMPTIONS_TABLE = 'segmentation_promo_redemptions';
export const AUTOMATION_SENDS_TABLE = 'segmentation_automation_sends';
export const ANALYTICS_SNAPSHOTS_TABLE = 'segmentation_analytics_snapshots';

async function createIfMissing(knex: Knex, table: string, build: (t: Knex.CreateTableBuilder) => void): Promise<void> {
	if (await knex.schema.hasTable(table)) return;
	try {
		await knex.schema.createTable(table, build);
	} catch (error) {
		// another instance created it between our check and our create
		if (!(await knex.schema.hasTable(table))) throw error;
	}
}

/** Adds columns a later version of a table has to a table made by an earlier one (all or none of them). */
async function addColumnsIfMissing(knex: Knex, table: string, columns: string[], build: (t: Knex.AlterTableBuilder) => void): Promise<void> {
	if (await knex.schema.hasColumn(table, columns[0]!)) return;
	try {
		await knex.schema.alterTable(table, build);
	} catch (error) {
		// another instance added them between our check and our alter
		if (!(await knex.schema.hasColumn(table, columns[0]!))) throw error;
	}
}

/** A subscriber's last failure, for the App's list of failed items: what Listmonk said, how many attempts failed in
 *  a row, when the last did. Cleared by the next success. */
const SUBSCRIBER_FAILURE_COLUMNS = (t: Knex.CreateTableBuilder | Knex.AlterTableBuilder) => {
	t.text('last_error');
	t.integer('attempts').notNullable().defaultTo(0);
	t.bigInteger('failed_at');
	t.index(['failed_at']);
};

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
	// one row per engine run: what triggered it, what it did, the cut-offs incremental re-scoring reuses
	await createIfMissing(knex, RUNS_TABLE, (t) => {
		t.increments('id');
		t.string('kind', 16).notNullable(); // full
		t.string('trigger', 32).notNullable(); // schedule | endpoint | flow | startup
		t.string('status', 16).notNullable(); // running | succeeded | failed | skipped
		t.string('instance', 128);
		t.bigInteger('started_at').notNullable();
		t.bigInteger('finished_at');
		t.bigInteger('as_of').notNullable();
		t.integer('clients_scored');
		t.integer('clients_total');
		t.integer('rows_changed');
		t.integer('duration_ms');
		t.text('cutoffs');
		t.text('skipped');
		t.integer('skipped_total');
		t.text('error');
		t.index(['status', 'id']);
	});
	// per-client facts of the last full run (rebuilt by each run; the write pass joins it)
	await createIfMissing(knex, STAGE_TABLE, (t) => {
		t.bigInteger('client_id').primary();
		t.integer('freq').notNullable();
		t.bigInteger('sum_cents').notNullable();
		t.bigInteger('first_ms');
		t.bigInteger('last_ms');
		t.bigInteger('recent_cents').notNullable();
		t.bigInteger('previous_cents').notNullable();
		t.double('cycle_ms');
		t.integer('fresh_open').notNullable();
		t.integer('stale_open').notNullable();
		t.integer('lost').notNullable();
		t.integer('uninterested').notNullable();
	});
	// every enter and exit of a segment (later features — Listmonk sync, automations — are driven by these)
	await createIfMissing(knex, EVENTS_TABLE, (t) => {
		t.bigIncrements('id');
		t.integer('segment_id').notNullable();
		t.bigInteger('client_id').notNullable();
		t.string('event', 8).notNullable(); // entered | left
		t.bigInteger('at').notNullable();
		t.string('cause', 32).notNullable(); // change | refresh | schedule | rule | picked | manual | deleted
		t.index(['segment_id', 'id']);
		t.index(['client_id']);
	});
	// a segment's size per day (the last count of the day wins), for size-over-time charts
	await createIfMissing(knex, SNAPSHOTS_TABLE, (t) => {
		t.increments('id'); // Directus reads every table's schema and warns about one without a primary key
		t.integer('segment_id').notNullable();
		t.string('day', 10).notNullable(); // YYYY-MM-DD, UTC
		t.integer('member_count').notNullable();
		t.bigInteger('taken_at').notNullable();
		t.unique(['segment_id', 'day']);
	});
	// the durable change queue: clients whose data changed, written in the saving transaction (or by any writer
	// outside Directus), removed in the transaction that processed them; client_id NULL asks for a whole-base pass
	await createIfMissing(knex, CHANGES_TABLE, (t) => {
		t.bigIncrements('id');
		t.bigInteger('client_id');
		t.bigInteger('enqueued_at'); // epoch ms; optional for writers outside Directus
		t.integer('attempts').notNullable().defaultTo(0);
		t.bigInteger('not_before').notNullable().defaultTo(0);
		t.index(['not_before', 'id']);
	});
	// the scheduler's jobs: the last due time each one ran for (a missed run is caught up), once per cluster
	await createIfMissing(knex, JOBS_TABLE, (t) => {
		t.string('name', 64).primary();
		t.bigInteger('last_due_at').notNullable();
		t.bigInteger('last_started_at');
		t.bigInteger('last_finished_at');
		t.string('last_status', 16); // running | succeeded | failed | skipped
		t.text('last_error');
	});
	await ensureSyncTables(knex);
	// one row per (automation, client, sleep episode): exactly one code and one message per episode (the episode is
	// the client's last purchase: buying again starts a new one); its state says how far it got
	await createIfMissing(knex, AUTOMATION_SENDS_TABLE, (t) => {
		t.bigIncrements('id');
		t.integer('automation_id').notNullable();
		t.bigInteger('client_id').notNullable();
		t.bigInteger('episode').notNullable(); // the client's last purchase (epoch ms; 0: none)
		t.string('state', 12).notNullable(); // pending | issued | sending | sent | skipped | failed
		t.integer('promo_code_id');
		t.string('code', 64);
		t.string('channel', 64);
		t.text('reason');
		t.integer('attempts').notNullable().defaultTo(0);
		t.bigInteger('created_at').notNullable();
		t.bigInteger('sent_at');
		t.unique(['automation_id', 'client_id', 'episode']);
		t.index(['automation_id', 'state']);
		t.index(['client_id']);
	});
	// one row per won deal that carried a promo code: the code as typed (judged again when it changes) and the outcome;
	// a shared code's redeemers (a sequence drops them), a personal code's one deal
	await createIfMissing(knex, REDEMPTIONS_TABLE, (t) => {
		t.bigInteger('deal_id').primary();
		t.bigInteger('client_id').notNullable();
		t.integer('code_id'); // null: no such code
		t.text('code_text').notNullable();
		t.string('outcome', 16).notNullable();
		t.bigInteger('judged_at').notNullable();
		t.index(['code_id', 'client_id']);
		t.index(['client_id']);
	});
	// the marketer's view's figures as last counted (the grid, the overview, each segment's breakdown): what a big base is shown
	// between the daily run's counts, with their time (store/analytics-snapshots.ts)
	await createIfMissing(knex, ANALYTICS_SNAPSHOTS_TABLE, (t) => {
		t.string('key', 64).primary(); // rfm-grid | overview | segment:<id>
		t.string('fingerprint', 64).notNullable(); // the mapping and settings they were counted under
		t.text('body').notNullable(); // JSON
		t.bigInteger('computed_at').notNullable();
		t.integer('duration_ms').notNullable();
	});
	// the Segments page counts each segment's entries and exits of the last 30 days: by segment, then time
	await knex.raw(`CREATE INDEX IF NOT EXISTS ${EVENTS_TABLE}_segment_at ON ${EVENTS_TABLE} (segment_id, at)`);
	// scratch data, rebuilt by every run: no write-ahead log needed on PostgreSQL
	if (isPostgres(knex)) {
		const [row] = (await knex.raw(`SELECT relpersistence FROM pg_class WHERE oid = to_regclass(?)`, [STAGE_TABLE])).rows;
		if (row?.relpersistence === 'p') await knex.raw(`ALTER TABLE ${STAGE_TABLE} SET UNLOGGED`);
	}
}

export async function readMeta(knex: Knex, key: string): Promise<string | null> {
	const row = await knex(META_TABLE).where({ key }).first('value');
	return row ? (row.value as string | null) : null;
}

export async function writeMeta(knex: Knex, key: string, value: string): Promise<void> {
	await knex(META_TABLE).insert({ key, value, updated_at: Date.now() }).onConflict('key').merge(['value', 'updated_at']);
}

/** The Listmonk sync's state: what Listmonk confirmed, so the desired state (segment members with consent) can be
 *  compared with it set-based; rows are written only after Listmonk answered, so a crash repeats a call (all of
 *  ours are idempotent) and never skips one. */
async function ensureSyncTables(knex: Knex): Promise<void> {
	// one row per client that has (or was refused) a subscriber: Listmonk's id, the address it was made with, and
	// the hash of what we own on it (name, address, attribs.crm) so unchanged clients are not written again
	await createIfMissing(knex, SYNC_SUBSCRIBERS_TABLE, (t) => {
		t.bigInteger('client_id').primary();
		t.integer('subscriber_id');
		t.text('email').notNullable(); // as the client had it when this row was written (raw, for change detection)
		t.string('owned_hash', 64);
		t.boolean('blocklisted').notNullable().defaultTo(false);
		t.integer('unsubscribed_lists').notNullable().defaultTo(0); // managed lists the subscriber left in Listmonk
		t.text('refused'); // why Listmonk can't have it (invalid address, import skipped it); cleared when the address changes
		t.bigInteger('updated_at').notNullable();
		t.index(['subscriber_id']);
		SUBSCRIBER_FAILURE_COLUMNS(t);
	});
	await addColumnsIfMissing(knex, SYNC_SUBSCRIBERS_TABLE, ['last_error', 'attempts', 'failed_at'], SUBSCRIBER_FAILURE_COLUMNS);
	// one row per (segment, client) membership Listmonk has: active, or unsubscribed (by the person, by a blocklist,
	// by consent withdrawn, or by a segment set to unsubscribe leavers) — an unsubscribed row is never made active
	await createIfMissing(knex, SYNC_MEMBERS_TABLE, (t) => {
		t.bigIncrements('id'); // Directus reads every table's schema and skips (with a warning) one without a primary key
		t.integer('segment_id').notNullable();
		t.bigInteger('client_id').notNullable();
		t.integer('list_id').notNullable();
		t.integer('subscriber_id').notNullable();
		t.string('state', 12).notNullable(); // active | unsubscribed
		t.bigInteger('synced_at').notNullable();
		t.unique(['segment_id', 'client_id']);
		t.index(['client_id']);
		t.index(['list_id', 'subscriber_id']);
	});
	// what the sync owes a look at: clients whose memberships, consent, address or attributes may have changed
	// (written by the change pipeline in its batch, so it survives a crash), or client_id NULL: every synced
	// segment and subscriber (after a full pass, a sync setting changed, a reconcile)
	await createIfMissing(knex, SYNC_DIRTY_TABLE, (t) => {
		t.bigIncrements('id');
		t.bigInteger('client_id');
		t.boolean('attributes').notNullable().defaultTo(true); // a NULL mark: also every subscriber's attributes
		t.bigInteger('enqueued_at').notNullable();
	});
	// one row per sync cycle that did something (or failed): what it did, for the status page and the App
	await createIfMissing(knex, SYNC_RUNS_TABLE, (t) => {
		t.increments('id');
		t.string('trigger', 16).notNullable(); // change | poll | reconcile | endpoint
		t.string('status', 16).notNullable(); // running | succeeded | failed
		t.string('instance', 128);
		t.bigInteger('started_at').notNullable();
		t.bigInteger('finished_at');
		t.integer('lists_created').notNullable().defaultTo(0);
		t.integer('subscribers_created').notNullable().defaultTo(0);
		t.integer('added').notNullable().defaultTo(0);
		t.integer('removed').notNullable().defaultTo(0);
		t.integer('unsubscribed').notNullable().defaultTo(0);
		t.integer('attributes_updated').notNullable().defaultTo(0);
		t.integer('optouts_skipped').notNullable().defaultTo(0);
		t.integer('optouts_pulled').notNullable().defaultTo(0);
		t.integer('requests').notNullable().defaultTo(0);
		t.integer('errors').notNullable().defaultTo(0);
		t.text('error');
		t.index(['status', 'id']);
	});
}
