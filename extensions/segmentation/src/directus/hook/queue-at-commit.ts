// The clients a transaction touched, written to the change queue inside it, once, just before it commits. One
// INSERT per saved item would be one more statement per row of an import (Directus runs a whole /utils/import in
// one transaction); collected per transaction they cost one multi-row INSERT per 500 clients. Outside a
// transaction (Directus runs update and delete filters before theirs) the rows are written at once.
import type { Knex } from 'knex';
import { enqueueClients } from '../../store/change-queue.ts';

/** A long transaction flushes as it goes (bounded memory; the rows are still inside it). */
const FLUSH_AT = 500;

/** The parts of knex's transactor we use (its typings call `commit` a query builder). */
type Transactor = { commit: (value?: unknown) => Promise<unknown>; executionPromise?: Promise<unknown> };
type Logger = { warn: (message: string) => void; error: (message: string) => void };

export class QueueAtCommit {
	private readonly pending = new WeakMap<Knex, Set<number>>();
	private readonly database: Knex;
	private readonly logger: Logger;

	constructor(database: Knex, logger: Logger) {
		this.database = database;
		this.logger = logger;
	}

	async add(knex: Knex, clients: readonly number[]): Promise<void> {
		if (!clients.length) return;
		if (!knex.isTransaction) {
			await enqueueClients(knex, clients);
			return;
		}
		let set = this.pending.get(knex);
		if (!set) {
			set = new Set();
			this.pending.set(knex, set);
			this.flushBeforeCommit(knex, set);
		}
		for (const client of clients) set.add(client);
		if (set.size >= FLUSH_AT) await flush(knex, set);
	}

	/**
	 * knex commits a transaction it runs by calling the transactor's `commit` (knex 3, lib/execution/transaction.js):
	 * ours writes the rows first, and a failed write rolls the save back — nothing commits without its queue rows.
	 */
	private flushBeforeCommit(knex: Knex, set: Set<number>): void {
		const trx = knex as unknown as Transactor;
		const commit = trx.commit;
		trx.commit = async (value?: unknown) => {
			await flush(knex, set);
			return commit.call(trx, value);
		};
		// should a knex upgrade commit another way, the clients are still queued, right after the commit
		trx.executionPromise?.then(
			() => {
				if (!set.size) return;
				this.logger.warn(`[segmentation] ${set.size} changed client(s) were queued after their transaction committed, not inside it (knex committed without the transactor's commit)`);
				void flush(this.database, set).catch((error) => this.logger.error(`[segmentation] queueing changed clients failed: ${(error as Error).message}`));
			},
			() => undefined,
		);
	}
}

async function flush(knex: Knex, set: Set<number>): Promise<void> {
	const ids = [...set];
	set.clear();
	await enqueueClients(knex, ids);
}
