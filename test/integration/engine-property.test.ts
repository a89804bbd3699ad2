// Property test: the SQL recompute (store) on the real database equals the pure core on random bases — ties,
// one-time buyers, zero amounts, same-day purchases, clients without purchases, bad rows, every scheme.
// Store functions on a knex only: the installed template's schema, no Directus process.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_SETTINGS, type EngineSettings } from '../../extensions/segmentation/src/core/engine-settings.ts';
import { aggregateFacts, computeBase, DAY_MS, scoreClient, type DealRow } from '../../extensions/segmentation/src/core/engine.ts';
import { DEFAULT_MAPPING } from '../../extensions/segmentation/src/core/mapping.ts';
import { bulkInsert } from '../../extensions/segmentation/src/store/bulk-insert.ts';
import { runFullRecompute } from '../../extensions/segmentation/src/store/recompute.ts';
import { rescoreClients } from '../../extensions/segmentation/src/store/scores.ts';
import { openTestDatabase, type TestDatabase } from '../harness/database.ts';

const AS_OF = Date.UTC(2026, 0, 15, 12, 0, 0);
const STATUS = { won: 'won', lost: 'lost', open: 'open', uninterested: 'uninterested' };

const dealArb = (clientCount: number) =>
	fc.record({
		client: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 1, max: clientCount }) }, { weight: 1, arbitrary: fc.constant(null) }),
		status: fc.oneof(
			{ weight: 10, arbitrary: fc.constant('won') },
			{ weight: 2, arbitrary: fc.constantFrom('lost', 'open', 'uninterested') },
			{ weight: 1, arbitrary: fc.constantFrom('weird', null) },
		),
		// few distinct amounts and days: ties on every dimension
		amountCents: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(0, 1000, 1000, 2550, 99_999, 12_345) }, { weight: 1, arbitrary: fc.constantFrom(null, -500) }),
		closedDay: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 800 }) }, { weight: 1, arbitrary: fc.constantFrom(null, -3) }),
		closedMinute: fc.constantFrom(0, 0, 1, 600),
		createdDay: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 200 }) }, { weight: 1, arbitrary: fc.constantFrom(null, -2) }),
	});

type DealSpec = { client: number | null; status: string | null; amountCents: number | null; closedDay: number | null; closedMinute: number; createdDay: number | null };

const settingsArb: fc.Arbitrary<EngineSettings> = fc.record({
	scheme: fc.constantFrom('abc', 'quintile', 'thresholds') as fc.Arbitrary<EngineSettings['rfm_scheme']>,
	basis: fc.constantFrom('sum', 'average') as fc.Arbitrary<EngineSettings['rfm_monetary_basis']>,
	vip: fc.constantFrom(10, 25, 50),
	factor: fc.constantFrom(1, 1.5),
	cycle: fc.constantFrom(null, 30),
}).map(({ scheme, basis, vip, factor, cycle }) => ({
	...DEFAULT_ENGINE_SETTINGS,
	rfm_scheme: scheme,
	rfm_monetary_basis: basis,
	vip_top_percent: vip,
	sleeping_factor: factor,
	default_cycle_days: cycle,
	rfm_thresholds: { recency: [30, 200], frequency: [1, 3], monetary: [10, 250] },
}));

const baseArb = fc.integer({ min: 1, max: 25 }).chain((clientCount) =>
	fc.record({
		clients: fc.array(fc.boolean(), { minLength: clientCount, maxLength: clientCount }),
		deals: fc.array(dealArb(clientCount), { maxLength: 70 }),
		settings: settingsArb,
	}),
);

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const ms = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v.getTime() : Number(v));
const bool = (v: unknown) => (v === null || v === undefined ? null : v === true || v === 1 || v === '1');

describe('engine: SQL recompute equals the core', () => {
	let d: TestDatabase;
	beforeAll(async () => {
		d = await openTestDatabase();
	});
	afterAll(async () => d?.stop());

	/** Nothing else runs on this database (no Directus): the run's lock is always free. */
	function recompute(settings: EngineSettings) {
		return runFullRecompute({ knex: d.knex, mapping: DEFAULT_MAPPING, settings, asOfMs: AS_OF, trigger: 'test', instance: 'property-test' });
	}

	async function load(clients: boolean[], deals: DealSpec[]): Promise<DealRow[]> {
		await d.knex('deal_items').delete();
		await d.knex('deals').delete();
		await d.knex('clients').delete();
		await bulkInsert(d.knex, 'clients', [{ name: 'id', pg: 'integer' }, { name: 'name', pg: 'text' }, { name: 'difficult', pg: 'boolean' }], clients.map((difficult, i) => [i + 1, `c${i + 1}`, difficult]));
		return insertDeals(deals, 1);
	}

	async function insertDeals(deals: DealSpec[], firstId: number): Promise<DealRow[]> {
		const rows: DealRow[] = deals.map((x) => ({
			client: x.client,
			// a null status can't be stored (the column is NOT NULL): the core sees what the table holds
			status: x.status ?? 'open',
			amountCents: x.amountCents,
			closedMs: x.closedDay === null ? null : AS_OF - x.closedDay * DAY_MS - x.closedMinute * 60_000,
			createdMs: x.createdDay === null ? null : AS_OF - x.createdDay * DAY_MS,
		}));
		await bulkInsert(
			d.knex,
			'deals',
			[{ name: 'id', pg: 'integer' }, { name: 'client', pg: 'integer' }, { name: 'status', pg: 'text' }, { name: 'amount', pg: 'numeric' }, { name: 'closed_at', pg: 'timestamptz' }, { name: 'created_at', pg: 'timestamptz' }],
			rows.map((r, i) => [firstId + i, r.client, r.status, r.amountCents === null ? null : r.amountCents / 100, r.closedMs === null ? null : new Date(r.closedMs), r.createdMs === null ? null : new Date(r.createdMs)]),
		);
		return rows;
	}

	it('incremental re-scoring of changed clients equals the core against the last run\'s cut-offs', async () => {
		await fc.assert(
			fc.asyncProperty(baseArb, fc.array(dealArb(25), { maxLength: 15 }), fc.array(fc.nat(), { maxLength: 10 }), async ({ clients, deals, settings }, added, removedIdx) => {
				const before = await load(clients, deals);
				const run = await recompute(settings);
				// then deals change: some removed, some added (clients beyond the base are dropped)
				const removed = new Set(removedIdx.filter((i) => i < before.length).map((i) => i + 1));
				if (removed.size) await d.knex('deals').whereIn('id', [...removed]).delete();
				const fresh = added.filter((x) => x.client === null || x.client <= clients.length);
				const addedRows = await insertDeals(fresh, before.length + 1);
				const now = [...before.filter((_, i) => !removed.has(i + 1)), ...addedRows];
				const ids = clients.map((_, i) => i + 1);
				await rescoreClients({ knex: d.knex, mapping: DEFAULT_MAPPING, settings, asOfMs: AS_OF }, run.cutoffs!, ids);

				const { facts } = aggregateFacts(now, STATUS, settings, AS_OF);
				const actual = await d.knex('clients').orderBy('id').select('*');
				for (const row of actual) {
					const e = scoreClient(facts.get(row.id), clients[row.id - 1]!, run.cutoffs!, settings, AS_OF);
					expect({ f: num(row.rfm_frequency), code: row.rfm_code, segment: row.rfm_segment, stage: row.lifecycle_stage, tier: row.value_tier, trend: row.spend_trend, sleeping: bool(row.is_sleeping), last: ms(row.last_purchase_at) }, `client ${row.id}`).toEqual({
						f: e.frequency, code: e.code, segment: e.segment, stage: e.stage, tier: e.tier, trend: e.trend, sleeping: e.sleeping, last: e.lastMs,
					});
				}
			}),
			{ numRuns: Number(process.env['PROPERTY_RUNS'] ?? 40) },
		);
	});

	it('on random bases', async () => {
		await fc.assert(
			fc.asyncProperty(baseArb, async ({ clients, deals, settings }) => {
				const stored = await load(clients, deals);
				const expected = computeBase(clients.map((difficult, i) => ({ id: i + 1, difficult })), stored, STATUS, settings, AS_OF);

				const run = await recompute(settings);
				expect(run.status).toBe('succeeded');
				expect(run.skipped).toEqual(expected.skipped);
				expect(run.cutoffs).toEqual(expected.cutoffs);

				const actual = await d.knex('clients').orderBy('id').select('*');
				for (const row of actual) {
					const e = expected.scores.get(row.id)!;
					const ctx = `client ${row.id}`;
					expect({ f: num(row.rfm_frequency), r: num(row.rfm_r), ff: num(row.rfm_f), m: num(row.rfm_m), code: row.rfm_code, segment: row.rfm_segment }, ctx).toEqual({
						f: e.frequency, r: e.r, ff: e.f, m: e.m, code: e.code, segment: e.segment,
					});
					expect({ stage: row.lifecycle_stage, tier: row.value_tier, trend: row.spend_trend, sleeping: bool(row.is_sleeping) }, ctx).toEqual({
						stage: e.stage, tier: e.tier, trend: e.trend, sleeping: e.sleeping,
					});
					expect({ first: ms(row.first_purchase_at), last: ms(row.last_purchase_at), due: ms(row.next_purchase_due_at) }, ctx).toEqual({ first: e.firstMs, last: e.lastMs, due: e.nextDueMs });
					if (e.monetaryCents === null) expect(row.rfm_monetary, ctx).toBeNull();
					else expect(Math.abs(num(row.rfm_monetary)! - e.monetaryCents / 100), ctx).toBeLessThanOrEqual(0.0051);
					if (e.avgOrderCents === null) expect(row.avg_order_value, ctx).toBeNull();
					else expect(Math.abs(num(row.avg_order_value)! - e.avgOrderCents / 100), ctx).toBeLessThanOrEqual(0.0051);
					if (e.cycleMs === null) expect(row.purchase_cycle_days, ctx).toBeNull();
					// a Directus float is single precision on PostgreSQL (real)
					else expect(num(row.purchase_cycle_days)!, ctx).toBeCloseTo(e.cycleMs / DAY_MS, 3);
				}
			}),
			{ numRuns: Number(process.env['PROPERTY_RUNS'] ?? 40), seed: process.env['PROPERTY_SEED'] ? Number(process.env['PROPERTY_SEED']) : undefined },
		);
	});
});
