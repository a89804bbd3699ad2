// The change queue rows of a transaction are written inside it, once, just before it commits (queue-at-commit.ts):
// against knex alone (the installed schema, no Directus), on SQLite and PostgreSQL, through knex's own
// `transaction(handler)` — the way Directus runs a save — so a knex that commits another way fails here.
import type { Knex } from 'knex';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QueueAtCommit } from '../../extensions/segmentation/src/directus/hook/queue-at-commit.ts';
import { CHANGES_TABLE } from '../../extensions/segmentation/src/store/tables.ts';
import { openTestDatabase, type TestDatabase } from '../harness/database.ts';

describe('queue rows written at commit', () => {
	let db: TestDatabase;
	let k: Knex;
	const warnings: string[] = [];
	const logger = { warn: (m: string) => void warnings.push(m), error: (m: string) => void warnings.push(m) };

	const queued = async (): Promise<number[]> => (await k(CHANGES_TABLE).orderBy('client_id').select('client_id')).map((r) => Number(r.client_id));
	const clientRows = async (ids: number[]): Promise<number> => Number((await k('clients').whereIn('id', ids).count({ n: '*' }))[0]!.n);

	beforeAll(async () => {
		db = await openTestDatabase();
		k = db.knex;
	});
	afterAll(async () => db?.stop());
	beforeEach(async () => {
		await k(CHANGES_TABLE).delete();
		await k('clients').delete();
		warnings.length = 0;
	});

	it('writes the clients a transaction touched, each once, with its commit', async () => {
		const queue = new QueueAtCommit(k, logger);
		await k.transaction(async (trx) => {
			await trx('clients').insert([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
			await queue.add(trx, [1, 2]);
			await queue.add(trx, [2, 1]);
			// collected, not written yet: one INSERT at the commit instead of one per save
			expect(await trx(CHANGES_TABLE).count({ n: '*' }).then((r) => Number(r[0]!.n))).toBe(0);
		});
		expect(await queued()).toEqual([1, 2]);
		expect(warnings).toEqual([]);
	});

	it('flushes a long transaction as it goes, all inside it', async () => {
		const queue = new QueueAtCommit(k, logger);
		const ids = Array.from({ length: 1234 }, (_, i) => i + 1);
		await k.transaction(async (trx) => {
			for (const id of ids) await queue.add(trx, [id]);
			// 500 at a time while it runs; the rest at the commit
			expect(await trx(CHANGES_TABLE).count({ n: '*' }).then((r) => Number(r[0]!.n))).toBe(1000);
		});
		expect(await queued()).toEqual(ids);
	});

	it('writes nothing for a transaction that rolls back', async () => {
		const queue = new QueueAtCommit(k, logger);
		await expect(
			k.transaction(async (trx) => {
				await trx('clients').insert({ id: 7, name: 'x' });
				await queue.add(trx, [7]);
				throw new Error('the save failed');
			}),
		).rejects.toThrow('the save failed');
		expect(await queued()).toEqual([]);
		expect(await clientRows([7])).toBe(0);
	});

	it('rolls the save back when its queue rows cannot be written: nothing commits without them', async () => {
		const queue = new QueueAtCommit(k, logger);
		await expect(
			k.transaction(async (trx) => {
				await trx('clients').insert({ id: 8, name: 'y' });
				await queue.add(trx, [8]);
				// the queue table gone inside the transaction: the write at the commit fails (DDL rolls back with it)
				await trx.schema.renameTable(CHANGES_TABLE, `${CHANGES_TABLE}_away`);
			}),
		).rejects.toThrow();
		expect(await clientRows([8])).toBe(0);
		expect(await k.schema.hasTable(CHANGES_TABLE)).toBe(true);
		expect(await queued()).toEqual([]);
	});

	it('writes at once outside a transaction, and keeps concurrent transactions apart', async () => {
		const queue = new QueueAtCommit(k, logger);
		await queue.add(k, [3]);
		expect(await queued()).toEqual([3]);
		await k.transaction(async (trx) => queue.add(trx, [4]));
		await expect(k.transaction(async (trx) => {
			await queue.add(trx, [5]);
			throw new Error('other save failed');
		})).rejects.toThrow();
		await k.transaction(async (trx) => queue.add(trx, [6]));
		expect(await queued()).toEqual([3, 4, 6]);
	});
});
