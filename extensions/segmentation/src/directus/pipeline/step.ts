// A step of the change pipeline: what happens to a batch of changed clients. Steps run in order, inside the batch's
// transaction (which also removes the processed queue rows), so a batch is done whole or not at all. Every query a
// step makes goes through that transaction: on SQLite it holds the one connection, and a query outside it would
// wait for the batch to end (and each query outside it waits behind the server's other requests).
import type { Knex } from 'knex';
import type { Cutoffs } from '../../core/engine.ts';
import type { EngineSettings } from '../../core/engine-settings.ts';
import type { Mapping } from '../../core/mapping.ts';
import type { SchemaOverview } from '../context.ts';

/** What every step may read, prepared in the batch's transaction as it opens (a failure leaves the queue as it was). */
export interface BatchScope {
	/** The batch's transaction. */
	trx: Knex;
	/** Directus's schema, read before the transaction opened (reading it may query the database). */
	schema: SchemaOverview;
	mapping: Mapping;
	settings: EngineSettings;
	/** The last full run's cut-offs (re-scoring a few clients must not move the base's boundaries). */
	cutoffs: Cutoffs;
}

export interface ChangeBatch {
	/** The batch's transaction: every statement of every step goes through it. */
	trx: Knex;
	clientIds: number[];
	/** "Now" for this batch, taken after it was claimed (a deal saved just before is not in the future). */
	asOfMs: number;
	/** How many times these changes failed before (0: the first try). */
	attempts: number;
}

export interface PipelineStep<Read = unknown> {
	readonly name: string;
	/** The step's own reads that need nothing of the scope: started as the batch opens, with the queue's and the
	 *  settings' (PostgreSQL gets them back to back on the connection, without a turn of the event loop — busy with
	 *  the server's requests — between them). */
	read?(trx: Knex): Promise<Read>;
	/** Readies the step (a failure here leaves the queue as it was); returns the work to do on the batch. */
	prepare(scope: BatchScope, read: Read): Promise<(batch: ChangeBatch) => Promise<void>>;
	/** After a batch committed (work that must not run inside it, e.g. waking a worker that calls out). */
	afterCommit?(): void;
}
