// A step of the change pipeline: what happens to a batch of changed clients. Steps run in order, inside the batch's
// transaction (which also removes the processed queue rows), so a batch is done whole or not at all.
import type { Knex } from 'knex';
import type { Cutoffs } from '../../core/engine.ts';
import type { EngineSettings } from '../../core/engine-settings.ts';
import type { Mapping } from '../../core/mapping.ts';

/** What every step may read, prepared before the transaction opens (SQLite has one connection: nothing outside
 *  the transaction may query while it is open). */
export interface BatchScope {
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
}

export interface PipelineStep {
	readonly name: string;
	/** Reads what the step needs outside the transaction; returns the work to do inside it. */
	prepare(scope: BatchScope): Promise<(batch: ChangeBatch) => Promise<void>>;
}
