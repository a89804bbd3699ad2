// The change path's store steps handed a transaction: rescoreClients → syncAutoTags({ids}) → requalify({ids}) with
// the caller's transaction (as the durable change queue runs them, with the removal of its rows), repeated and mixed
// with whole-base passes in the same transaction (no temporary table may collide), on a knex with ONE connection
// (a step reaching for a second connection would wait for ever), committing together or rolling back together.
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_SETTINGS } from '../../extensions/segmentation/src/core/engine-settings.ts';
import type { Cutoffs } from '../../extensions/segmentation/src/core/engine.ts';
import { DEFAULT_MAPPING } from '../../extensions/segmentation/src/core/mapping.ts';
import { parseRule } from '../../extensions/segmentation/src/core/rule.ts';
import { bulkInsert } from '../../extensions/segmentation/src/store/bulk-insert.ts';
import { compileRule } from '../../extensions/segmentation/src/store/rule-sql.ts';
import { buildStage, computeStageCutoffs, rescoreClients, writeAllScores } from '../../extensions/segmentation/src/store/scores.ts';
import { refreshSegment, requalify, type CompiledSegment } from '../../extensions/segmentation/src/store/segments.ts';
import { dialectOf } from '../../extensions/segmentation/src/store/sql-dialect.ts';
import { syncAllAutoTags, syncAutoTags } from '../../extensions/segmentation/src/store/tags.ts';
import { EVENTS_TABLE } from '../../extensions/segmentation/src/store/tables.ts';
import { readRuleSchema } from '../../scripts/lib/rule-schema.ts';
import { openTestDatabase, type TestDatabase } from '../harness/database.ts';

const m = DEFAULT_MAPPING;
const settings = DEFAULT_ENGINE_SETTINGS;
const DAY = 86_400_000;
const AS_OF = Date.UTC(2026, 0, 15, 12);
const opts = { categoryHasName: true };

const RULES: Record<string, unknown> = {
	'Bought toys': { tags: { _some: { tag: { name: { _eq: 'Kids' } } } } },
	'Gardeners (hand-made tag adopted)': { tags: { _some: { tag: { name: { _eq: 'Garden' } } } } },
	'One-time buyers': { lifecycle_stage: { _eq: 'one_time' } },
	'Returning': { lifecycle_stage: { _eq: 'returning' } },
	'Lost over price': { deals: { _some: { loss_reason: { _eq: 'price' } } } },
	'Bought the rake': { deals: { _some: { items: { _some: { product: { sku: { _eq: 'R-1' } } } } } } },
};

describe('the change path inside the caller’s transaction', () => {
	let db: TestDatabase;
	/** One connection only: a step that used a connection of its own would time out instead of passing. */
	let one: Knex;
	let cut: Cutoffs;
	let segments: Array<CompiledSegment & { name: string }>;
	let nextDeal = 100;

	const when = (ms: number) => new Date(ms);
	const deal = async (k: Knex, client: number, status: string, daysAgo: number, products: number[], lossReason: string | null = null) => {
		const id = ++nextDeal;
		await bulkInsert(k, 'deals', [{ name: 'id', pg: 'integer' }, { name: 'client', pg: 'integer' }, { name: 'status', pg: 'text' }, { name: 'amount', pg: 'numeric' }, { name: 'closed_at', pg: 'timestamptz' }, { name: 'created_at', pg: 'timestamptz' }, { name: 'loss_reason', pg: 'text' }],
			[[id, client, status, 40, status === 'won' ? when(AS_OF - daysAgo * DAY) : null, when(AS_OF - daysAgo * DAY - DAY), lossReason]]);
		if (products.length) await bulkInsert(k, 'deal_items', [{ name: 'deal', pg: 'integer' }, { name: 'product', pg: 'integer' }], products.map((p) => [id, p]));
		return id;
	};

	/** What the database holds that the three steps write. */
	const state = async (k: Knex) => ({
		scores: await k('clients').orderBy('id').select('id', 'rfm_frequency', 'rfm_code', 'lifecycle_stage'),
		tags: (await k('client_tags').orderBy(['client', 'tag']).select('client', 'tag', 'source', 'deal')).map((r) => ({ ...r, client: Number(r.client), tag: Number(r.tag), deal: r.deal === null ? null : Number(r.deal) })),
		members: (await k('segment_members').orderBy(['segment', 'client']).select('segment', 'client')).map((r) => [Number(r.segment), Number(r.client)]),
		counts: (await k('segments').orderBy('id').select('id', 'member_count')).map((r) => [Number(r.id), Number(r.member_count)]),
		events: Number((await k(EVENTS_TABLE).count({ n: '*' }))[0]!.n),
	});

	/** Each segment's members as its rule says now, evaluated directly. */
	const expectedMembers = async (k: Knex) => {
		const pairs: number[][] = [];
		for (const s of segments) {
			const ids: Array<{ id: number }> = await k.raw(`SELECT c.id FROM clients c WHERE ${s.where.sql} ORDER BY c.id`, s.where.bindings as Knex.RawBinding[]).then((r: any) => (Array.isArray(r) ? r : r.rows));
			for (const { id } of ids) pairs.push([s.id, Number(id)]);
		}
		return pairs.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
	};

	const changePath = async (trx: Knex, ids: number[]) => {
		await rescoreClients({ knex: trx, mapping: m, settings, asOfMs: AS_OF }, cut, ids);
		await syncAutoTags({ knex: trx, mapping: m, asOfMs: AS_OF }, { ids }, opts);
		return requalify({ knex: trx, mapping: m, atMs: AS_OF, cause: 'change' }, segments, { ids });
	};

	beforeAll(async () => {
		db = await openTestDatabase();
		const config = db.knex.client.config as Knex.Config;
		one = knexFactory({ ...config, pool: { ...(config.pool ?? {}), min: 1, max: 1 }, acquireConnectionTimeout: 10_000 });
		const k = one;
		await bulkInsert(k, 'product_categories', [{ name: 'id', pg: 'integer' }, { name: 'name', pg: 'text' }, { name: 'interest_days', pg: 'integer' }], [[1, 'Kids', 365], [2, 'Garden', null]]);
		await bulkInsert(k, 'products', [{ name: 'id', pg: 'integer' }, { name: 'name', pg: 'text' }, { name: 'sku', pg: 'text' }, { name: 'category', pg: 'integer' }], [[1, 'Toy', 'T-1', 1], [2, 'Rake', 'R-1', 2], [3, 'Pen', 'P-1', null]]);
		await bulkInsert(k, 'clients', [{ name: 'id', pg: 'integer' }, { name: 'name', pg: 'text' }], [1, 2, 3, 4, 5, 6].map((id) => [id, `client ${id}`]));
		// a tag a marketer made by hand with a category's name: adopted by the first purchase in it
		await k('tags').insert({ name: 'Garden' });
		await deal(k, 1, 'won', 10, [1]);
		await deal(k, 1, 'won', 40, [3]);
		await deal(k, 2, 'won', 200, [1, 3]);
		await deal(k, 3, 'lost', 5, [], 'price');
		await deal(k, 4, 'won', 3, [3]);
		await deal(k, 5, 'open', 1, []);
		const scope = { knex: k, mapping: m, settings, asOfMs: AS_OF };
		await buildStage(scope);
		cut = await computeStageCutoffs(scope);
		await writeAllScores(scope, cut);
		await syncAllAutoTags({ knex: k, mapping: m, asOfMs: AS_OF }, opts);
		const schema = await readRuleSchema(k, ['clients', 'deals', 'deal_items', 'products', 'product_categories', 'tags', 'client_tags']);
		segments = [];
		for (const [name, rule] of Object.entries(RULES)) {
			const parsed = parseRule(rule, schema, 'clients');
			if (!parsed.ok) throw new Error(`${name}: ${parsed.errors.join('; ')}`);
			const [row] = await k('segments').insert({ name, rule: JSON.stringify(rule), kind: 'dynamic', is_active: true, member_count: 0 }).returning('id');
			const id = Number(typeof row === 'object' ? row.id : row);
			segments.push({ id, name, where: compileRule(parsed.rule, { dialect: dialectOf(k), alias: 'c', asOfMs: AS_OF }) });
		}
		for (const s of segments) await refreshSegment({ knex: k, mapping: m, atMs: AS_OF, cause: 'refresh' }, s);
	});
	afterAll(async () => {
		await one?.destroy();
		await db?.stop();
	});

	it('starts from a base whose members are what the rules say', async () => {
		expect((await state(one)).members).toEqual(await expectedMembers(one));
		// client 1 and 2 bought toys; nobody a rake yet
		expect((await one('client_tags').where({ source: 'auto' }).orderBy('client').select('client')).map((r) => Number(r.client))).toEqual([1, 2]);
	});

	it('commits rescoring, auto tags and membership with the caller’s transaction, twice and next to whole-base passes', async () => {
		const lastEvent = Number((await one(EVENTS_TABLE).max({ n: 'id' }))[0]!.n ?? 0);
		await one.transaction(async (trx) => {
			// a save in the same transaction: client 6 buys a rake (first purchase in Garden), client 3 a toy
			await deal(trx, 6, 'won', 1, [2]);
			await deal(trx, 3, 'won', 2, [1]);
			const first = await changePath(trx, [6]);
			expect(first.size).toBeGreaterThan(0);
			await changePath(trx, [3, 4]);
			// again for the same clients: nothing left to change, no temporary table in the way
			const again = await changePath(trx, [3, 4, 6]);
			expect([...again.values()].every((c) => c.entered === 0 && c.left === 0)).toBe(true);
			// whole-base passes in the same transaction, each twice
			await syncAllAutoTags({ knex: trx, mapping: m, asOfMs: AS_OF }, opts);
			await syncAllAutoTags({ knex: trx, mapping: m, asOfMs: AS_OF }, opts);
			for (const s of segments) await refreshSegment({ knex: trx, mapping: m, atMs: AS_OF, cause: 'refresh' }, s);
			for (const s of segments) await refreshSegment({ knex: trx, mapping: m, atMs: AS_OF, cause: 'refresh' }, s);
		});
		const after = await state(one);
		expect(after.scores.find((c) => c.id === 6)).toMatchObject({ rfm_frequency: 1, lifecycle_stage: 'one_time' });
		expect(after.scores.find((c) => c.id === 3)).toMatchObject({ rfm_frequency: 1, lifecycle_stage: 'one_time' });
		// the hand-made "Garden" tag became the category's tag; client 6 has it from the rake deal
		const garden = await one('tags').where({ name: 'Garden' }).first('id', 'category');
		expect(Number(garden.category)).toBe(2);
		expect(after.tags).toContainEqual({ client: 6, tag: Number(garden.id), source: 'auto', deal: nextDeal - 1 });
		expect(after.tags.filter((t) => t.source === 'auto').map((t) => t.client).sort()).toEqual([1, 2, 3, 6]);
		expect(after.members).toEqual(await expectedMembers(one));
		const byName = new Map(segments.map((s) => [s.name, s.id]));
		expect(after.members).toContainEqual([byName.get('Bought the rake')!, 6]);
		expect(after.members).toContainEqual([byName.get('Gardeners (hand-made tag adopted)')!, 6]);
		expect(after.members).toContainEqual([byName.get('Bought toys')!, 3]);
		// counts moved with the members; one event per change
		for (const [id, count] of after.counts) if (segments.some((s) => s.id === id)) expect(count).toBe(after.members.filter(([s]) => s === id).length);
		const events: Array<{ segment_id: number; client_id: number; event: string }> = await one(EVENTS_TABLE).where('id', '>', lastEvent).orderBy('id').select('segment_id', 'client_id', 'event');
		const keys = events.map((e) => `${e.segment_id}:${e.client_id}:${e.event}`);
		expect(new Set(keys).size).toBe(keys.length);
		expect(keys).toContain(`${byName.get('Bought the rake')}:6:entered`);
		expect(keys).toContain(`${byName.get('Bought toys')}:3:entered`);
	});

	it('rolls all three steps back with the caller’s transaction', async () => {
		const before = await state(one);
		await expect(
			one.transaction(async (trx) => {
				await deal(trx, 5, 'won', 1, [1, 2]);
				const delta = await changePath(trx, [5]);
				expect(delta.size).toBeGreaterThan(0);
				await syncAllAutoTags({ knex: trx, mapping: m, asOfMs: AS_OF }, opts);
				throw new Error('the batch failed after its steps');
			}),
		).rejects.toThrow('the batch failed');
		expect(await state(one)).toEqual(before);
		// and the same batch then goes through cleanly (nothing left behind by the rolled-back one)
		await one.transaction(async (trx) => {
			await deal(trx, 5, 'won', 1, [1, 2]);
			await changePath(trx, [5]);
		});
		const after = await state(one);
		expect(after.scores.find((c) => c.id === 5)).toMatchObject({ rfm_frequency: 1 });
		expect(after.members).toEqual(await expectedMembers(one));
	});
});
