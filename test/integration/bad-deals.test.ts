// "Bad deals never fail a run": every kind of bad value a deals table can hold when something bypasses Directus's
// validation (an ETL, SQL, an existing base without constraints) — inserted with knex directly — on SQLite and
// PostgreSQL. For each: the full recompute succeeds, counts the deal under its reason and scores every client as the
// core does (ignoring the deal); a change batch re-scoring a client with such a deal succeeds and agrees with the
// core too. Then random bases mixing every kind (SQL = core), the maximum deal amount setting, and one check through
// Directus (the setting's field, its validation, the endpoint and the change queue honouring it).
import fc from 'fast-check';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_ENGINE_SETTINGS, engineSettingsFromRow, type EngineSettings } from '../../extensions/segmentation/src/core/engine-settings.ts';
import { aggregateFacts, computeBase, DAY_MS, noSkips, scoreClient, type ClientScores, type DealRow, type Skipped } from '../../extensions/segmentation/src/core/engine.ts';
import { DEFAULT_MAPPING } from '../../extensions/segmentation/src/core/mapping.ts';
import { runFullRecompute, type RunRecord } from '../../extensions/segmentation/src/store/recompute.ts';
import { rescoreClients } from '../../extensions/segmentation/src/store/scores.ts';
import { openTestDatabase, type TestDatabase } from '../harness/database.ts';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { queueSettled } from '../harness/queue.ts';

const AS_OF = Date.UTC(2026, 0, 15, 12);
const STATUS = { won: 'won', lost: 'lost', open: 'open', uninterested: 'uninterested' };
/** A client id no client has (the deal's foreign key is not there: an existing base, or SQL around it). */
const MISSING = 999_999;
const ago = (days: number) => AS_OF - days * DAY_MS;

/** A deal as stored (raw column values: a number date is epoch ms, a string is text as an ETL wrote it) and as
 *  the core sees it (NaN: not a number / no date). */
interface Deal {
	client: number | null;
	status: string;
	amount: number | string | null;
	closed: number | string | null;
	created: number | string | null;
	seen: DealRow;
}

const deal = (client: number | null, status: string, amount: number | string | null, closed: number | string | null, created: number | string | null, seen: Partial<DealRow> = {}): Deal => ({
	client,
	status,
	amount,
	closed,
	created,
	seen: {
		client,
		status,
		amountCents: typeof amount === 'number' ? Math.round(amount * 100) : amount === null ? null : Number.NaN,
		closedMs: typeof closed === 'number' ? closed : closed === null ? null : Number.NaN,
		createdMs: typeof created === 'number' ? created : created === null ? null : Number.NaN,
		...seen,
	},
});
const won = (client: number | null, amount: number | string | null, closed: number | string | null, seen: Partial<DealRow> = {}) =>
	deal(client, 'won', amount, closed, typeof closed === 'number' ? closed - DAY_MS : ago(400), seen);

const CLIENTS = [1, 2, 3, 4, 5, 6].map((id) => ({ id, difficult: id === 4 }));
const BASE: Deal[] = [
	won(1, 40, ago(10)), won(1, 25.5, ago(100)), won(1, 60, ago(400)),
	won(2, 10, ago(3)), won(2, 12, ago(33)),
	// the maximum itself is a sane amount: scored (and its total must fit the money fields)
	won(3, 1e12, ago(50)),
	won(4, 99.99, ago(200)),
	deal(5, 'open', null, null, ago(5)), deal(5, 'lost', 30, null, ago(300)),
];

type Db = 'sqlite' | 'pg';
interface Kind {
	name: string;
	/** The bad deals of a client. */
	bad: (client: number) => Deal[];
	/** What the run counts (every other reason 0). */
	skipped: Partial<Skipped>;
	/** Some of the deals are purchases after all (an ISO date in text): the client's scores change. */
	counts?: boolean;
	/** A database whose column refuses the value: there the kind can't happen (the insert fails). */
	refusedOn?: Db;
}

const KINDS: Kind[] = [
	// SQLite: SUM of the cents overflowed ("integer overflow"); PostgreSQL: the total overflowed the bigint stage
	{ name: 'two won deals of 5e16', bad: (c) => [won(c, 5e16, ago(20)), won(c, 5e16, ago(21))], skipped: { amount_over_max: 2 } },
	{ name: 'a won deal of 1e308', bad: (c) => [won(c, 1e308, ago(20))], skipped: { amount_over_max: 1 } },
	{ name: 'an infinite amount', bad: (c) => [won(c, Number.POSITIVE_INFINITY, ago(20)), won(c, Number.NEGATIVE_INFINITY, ago(20))], skipped: { amount_over_max: 1, bad_amount: 1 } },
	// SQLite keeps text in a numeric column: it was scored as a purchase of 0
	{ name: 'a text amount', bad: (c) => [won(c, 'abc', ago(20)), won(c, '12abc', ago(20))], skipped: { bad_amount: 2 }, refusedOn: 'pg' },
	// text on SQLite; PostgreSQL's numeric holds NaN (casting it to bigint failed the run)
	{ name: 'a NaN amount', bad: (c) => [won(c, 'NaN', ago(20))], skipped: { bad_amount: 1 } },
	{ name: 'a negative or no amount', bad: (c) => [won(c, -5, ago(20)), won(c, null, ago(20))], skipped: { bad_amount: 2 } },
	{ name: 'a client that does not exist', bad: () => [won(MISSING, 20, ago(5)), deal(MISSING, 'open', null, null, ago(1))], skipped: { unknown_client: 2 } },
	{ name: 'no client', bad: () => [won(null, 20, ago(5))], skipped: { no_client: 1 } },
	{ name: 'an unknown status', bad: (c) => [deal(c, 'mystery', 20, ago(5), ago(6))], skipped: { unknown_status: 1 } },
	{ name: 'no closed date', bad: (c) => [won(c, 20, null)], skipped: { no_date: 1 } },
	{ name: 'a date after as_of', bad: (c) => [won(c, 20, ago(-3)), deal(c, 'open', null, null, ago(-2))], skipped: { future_date: 2 } },
	// SQLite keeps any text in a datetime column: it was called "future" ('now' must not read as today)
	{
		name: 'a text date that is no date',
		bad: (c) => [won(c, 20, 'garbage'), won(c, 20, 'now'), won(c, 20, '15/01/2025'), deal(c, 'open', null, null, 'soon')],
		skipped: { bad_date: 4 },
		refusedOn: 'pg',
	},
	// an ISO-8601 date in text is a date (UTC unless it has an offset); a future one is still future
	{
		name: 'an ISO date in text',
		bad: (c) => [
			won(c, 20, '2025-12-01T08:30:00Z', { closedMs: Date.UTC(2025, 11, 1, 8, 30) }),
			won(c, 30, '2025-11-01 10:00:00.250+02:00', { closedMs: Date.UTC(2025, 10, 1, 8, 0, 0, 250) }),
			won(c, 40, '2027-01-01T00:00:00Z', { closedMs: Date.UTC(2027, 0, 1) }),
		],
		skipped: { future_date: 1 },
		counts: true,
	},
];

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const ms = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v.getTime() : Number(v));
const bool = (v: unknown) => (v === null || v === undefined ? null : v === true || v === 1 || v === '1');
const cents = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v) * 100));
const total = (s: Skipped) => Object.values(s).reduce((a, b) => a + b, 0);

/** A client row against the core's scores: exact, except money (two decimals, rounded: ±1 cent) and the cycle
 *  (single precision on PostgreSQL). */
function expectClient(row: Record<string, unknown>, e: ClientScores, ctx: string) {
	expect({
		freq: num(row['rfm_frequency']), r: num(row['rfm_r']), f: num(row['rfm_f']), m: num(row['rfm_m']), code: row['rfm_code'], segment: row['rfm_segment'],
		stage: row['lifecycle_stage'], tier: row['value_tier'], trend: row['spend_trend'], sleeping: bool(row['is_sleeping']),
		first: ms(row['first_purchase_at']), last: ms(row['last_purchase_at']), due: ms(row['next_purchase_due_at']),
	}, ctx).toEqual({
		freq: e.frequency, r: e.r, f: e.f, m: e.m, code: e.code, segment: e.segment,
		stage: e.stage, tier: e.tier, trend: e.trend, sleeping: e.sleeping,
		first: e.firstMs, last: e.lastMs, due: e.nextDueMs,
	});
	for (const [name, actual, expected] of [['rfm_monetary', row['rfm_monetary'], e.monetaryCents], ['avg_order_value', row['avg_order_value'], e.avgOrderCents]] as const) {
		if (expected === null) expect(actual, `${ctx} ${name}`).toBeNull();
		else expect(Math.abs(cents(actual)! - expected), `${ctx} ${name}: ${actual} vs ${expected / 100}`).toBeLessThanOrEqual(1);
	}
	if (e.cycleMs === null) expect(row['purchase_cycle_days'], `${ctx} cycle`).toBeNull();
	else expect(num(row['purchase_cycle_days'])!, `${ctx} cycle`).toBeCloseTo(e.cycleMs / DAY_MS, 3);
}

describe('bad deals never fail a run', () => {
	let db: TestDatabase;
	let nextId = 1;

	/** Inserts deals as an ETL would: knex, no Directus, the values exactly as given. */
	const insert = async (k: Knex, deals: Deal[]) => {
		const at = (v: number | string | null) => (typeof v === 'number' && db.db === 'pg' ? new Date(v) : v);
		for (const x of deals) {
			await k('deals').insert({ id: nextId++, client: x.client, status: x.status, amount: x.amount, closed_at: at(x.closed), created_at: at(x.created) });
		}
	};
	const load = async (deals: Deal[]) => {
		await db.knex('deals').delete();
		await db.knex('clients').delete();
		await db.knex('clients').insert(CLIENTS.map((c) => ({ id: c.id, name: `client ${c.id}`, difficult: c.difficult })));
		await insert(db.knex, deals);
	};
	const recompute = (settings: EngineSettings = DEFAULT_ENGINE_SETTINGS) =>
		runFullRecompute({ knex: db.knex, mapping: DEFAULT_MAPPING, settings, asOfMs: AS_OF, trigger: 'test', instance: 'bad-deals-test' });
	const rows = async () => new Map<number, Record<string, unknown>>((await db.knex('clients').orderBy('id').select('*')).map((r) => [Number(r.id), r]));
	const expectScores = async (ids: number[], expected: (id: number) => ClientScores) => {
		const actual = await rows();
		for (const id of ids) expectClient(actual.get(id)!, expected(id), `client ${id}`);
	};

	beforeAll(async () => {
		db = await openTestDatabase();
		if (db.db === 'pg') {
			// the installed numeric(12,2) refuses 5e16 and 1e308: an existing base's plain numeric takes them
			await db.knex.raw('ALTER TABLE deals ALTER COLUMN amount TYPE numeric');
			const fks = await db.knex.raw(`SELECT conname FROM pg_constraint WHERE conrelid = 'deals'::regclass AND contype = 'f'
				AND conkey = ARRAY[(SELECT attnum FROM pg_attribute WHERE attrelid = 'deals'::regclass AND attname = 'client')]::int2[]`);
			for (const { conname } of fks.rows) await db.knex.raw('ALTER TABLE deals DROP CONSTRAINT ??', [conname]);
		} else {
			// the file's knex has one connection: its pragma holds for every statement below
			await db.knex.raw('PRAGMA foreign_keys = OFF');
		}
	});
	afterAll(async () => db?.stop());

	it('starts from the maximum deal amount the install put in the settings', async () => {
		const row = await db.knex('segmentation_settings').first();
		expect(Number(row.max_deal_amount)).toBe(1e12);
		const parsed = engineSettingsFromRow(row);
		expect(parsed.ok && parsed.settings.max_deal_amount).toBe(1e12);
		if (db.db === 'pg') {
			// a client's total may exceed one deal's maximum: the money fields hold any total of 64-bit cents
			const precision = await db.knex('information_schema.columns').where({ table_name: 'clients' }).whereIn('column_name', ['rfm_monetary', 'avg_order_value']).select('numeric_precision');
			expect(precision.map((p) => Number(p.numeric_precision))).toEqual([20, 20]);
		}
	});

	it('validates the maximum like the other engine settings', () => {
		expect(engineSettingsFromRow({ max_deal_amount: '5000.00' })).toMatchObject({ ok: true, settings: { max_deal_amount: 5000 } });
		expect(engineSettingsFromRow({ max_deal_amount: null })).toMatchObject({ ok: true, settings: { max_deal_amount: 1e12 } });
		for (const bad of [-1, 0, 'abc', 1e14]) {
			const parsed = engineSettingsFromRow({ max_deal_amount: bad });
			expect(parsed.ok, String(bad)).toBe(false);
			expect(!parsed.ok && parsed.errors.join(' '), String(bad)).toMatch(/^max_deal_amount: /);
		}
	});

	for (const kind of KINDS) {
		it(`${kind.name}: the run succeeds, counts it and scores as if it were not there; so does a change batch`, async () => {
			if (kind.refusedOn === db.db) {
				// this database's column can't hold the value: the kind can't happen here
				await load(BASE);
				await expect(insert(db.knex, kind.bad(1))).rejects.toThrow();
				return;
			}
			const bad = kind.bad(1);
			await load([...BASE, ...bad]);
			const run: RunRecord = await recompute();
			expect(run.status).toBe('succeeded');

			const expected = computeBase(CLIENTS, [...BASE, ...bad].map((x) => x.seen), STATUS, DEFAULT_ENGINE_SETTINGS, AS_OF);
			// the core classifies the deals as the kind says, and the run counts what the core counts
			expect(expected.skipped).toEqual({ ...noSkips(), ...kind.skipped });
			expect(run.skipped).toEqual(expected.skipped);
			expect(run.skipped_total).toBe(total(expected.skipped));
			expect(run.cutoffs).toEqual(expected.cutoffs);
			const ids = CLIENTS.map((c) => c.id);
			await expectScores(ids, (id) => expected.scores.get(id)!);
			const without = computeBase(CLIENTS, BASE.map((x) => x.seen), STATUS, DEFAULT_ENGINE_SETTINGS, AS_OF);
			if (!kind.counts) expect(expected.scores).toEqual(without.scores);
			else expect(expected.scores.get(1)!.frequency).toBeGreaterThan(without.scores.get(1)!.frequency!);

			// a change batch: client 2 gets the same bad deals; re-scored against this run's cut-offs (with a client
			// id that doesn't exist, as a deleted client's queue row would be)
			const more = kind.bad(2);
			await insert(db.knex, more);
			await db.knex.transaction((trx) => rescoreClients({ knex: trx, mapping: DEFAULT_MAPPING, settings: DEFAULT_ENGINE_SETTINGS, asOfMs: AS_OF }, run.cutoffs!, [1, 2, MISSING]));
			const all = [...BASE, ...bad, ...more].map((x) => x.seen);
			const { facts } = aggregateFacts(all, STATUS, DEFAULT_ENGINE_SETTINGS, AS_OF, new Set(ids));
			const score = (id: number) => scoreClient(facts.get(id), id === 4, run.cutoffs!, DEFAULT_ENGINE_SETTINGS, AS_OF);
			await expectScores([1, 2], score);
			if (!kind.counts) {
				const before = aggregateFacts(BASE.map((x) => x.seen), STATUS, DEFAULT_ENGINE_SETTINGS, AS_OF, new Set(ids)).facts;
				expect(score(2)).toEqual(scoreClient(before.get(2), false, run.cutoffs!, DEFAULT_ENGINE_SETTINGS, AS_OF));
			}
		});
	}

	it('skips a won deal above a lowered maximum, and the maximum itself counts', async () => {
		const settings = { ...DEFAULT_ENGINE_SETTINGS, max_deal_amount: 1000 };
		const deals = [...BASE.filter((x) => x.client !== 3), won(3, 1000, ago(5)), won(3, 1000.01, ago(6)), won(6, 5000, ago(7))];
		await load(deals);
		const run = await recompute(settings);
		const expected = computeBase(CLIENTS, deals.map((x) => x.seen), STATUS, settings, AS_OF);
		expect(expected.skipped.amount_over_max).toBe(2);
		expect(run.skipped).toEqual(expected.skipped);
		await expectScores(CLIENTS.map((c) => c.id), (id) => expected.scores.get(id)!);
		expect(expected.scores.get(3)!.frequency).toBe(1);
		expect(expected.scores.get(6)!.frequency).toBeNull();
	});

	it('scores a client whose total is far beyond one deal at the largest maximum (no overflow in totals, trend or money fields)', async () => {
		const settings = { ...DEFAULT_ENGINE_SETTINGS, max_deal_amount: 1e13 };
		// 100 deals of 10^13 in the trend period: 10^17 cents; times 100 overflowed PostgreSQL's bigint in the trend
		const deals = [...Array.from({ length: 100 }, (_, i) => won(1, 1e13, ago(1 + i))), won(2, 1e13, ago(300)), won(2, 5, ago(3)), won(3, 20, ago(30))];
		await load(deals);
		const run = await recompute(settings);
		expect(run.status).toBe('succeeded');
		const expected = computeBase(CLIENTS, deals.map((x) => x.seen), STATUS, settings, AS_OF);
		expect(run.skipped).toEqual(noSkips());
		expect(run.cutoffs).toEqual(expected.cutoffs);
		await expectScores(CLIENTS.map((c) => c.id), (id) => expected.scores.get(id)!);
		expect(expected.scores.get(1)).toMatchObject({ monetaryCents: 1e17, trend: 'rising' });
		expect(expected.scores.get(2)).toMatchObject({ trend: 'declining' });
	});

	it('agrees with the core on random bases mixing every kind of bad value, in a full run and a change batch', async () => {
		const pg = db.db === 'pg';
		const text = (ms: number) => new Date(ms).toISOString();
		const amount = fc.oneof(
			{ weight: 10, arbitrary: fc.constantFrom<number | string | null>(0, 10, 10, 25.5, 999.99, 12_345.67) },
			{ weight: 3, arbitrary: fc.constantFrom<number | string | null>(null, -5, 5e16, 1e308, Number.POSITIVE_INFINITY, 'NaN', ...(pg ? [] : ['abc'])) },
		);
		const day = (max: number) => fc.integer({ min: 0, max }).map((d) => ago(d) - (d % 3) * 3_600_000);
		const date = (max: number) =>
			fc.oneof(
				{ weight: 10, arbitrary: day(max).map((t): [number | string | null, number | null] => [t, t]) },
				{ weight: 1, arbitrary: day(max).map((t): [number | string | null, number | null] => [text(t), t]) },
				{ weight: 2, arbitrary: fc.constantFrom<[number | string | null, number | null]>([null, null], [ago(-3), ago(-3)], ...(pg ? [] : ([['garbage', Number.NaN]] as Array<[string, number]>))) },
			);
		const dealArb = (clients: number) =>
			fc.record({
				client: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 1, max: clients }) }, { weight: 1, arbitrary: fc.constantFrom(null, MISSING) }),
				status: fc.oneof({ weight: 10, arbitrary: fc.constant('won') }, { weight: 3, arbitrary: fc.constantFrom('lost', 'open', 'uninterested', 'weird') }),
				amount,
				closed: date(800),
				created: date(200),
			}).map((x) => deal(x.client, x.status, x.amount, x.closed[0], x.created[0], { closedMs: x.closed[1], createdMs: x.created[1] }));
		const baseArb = fc.integer({ min: 1, max: 12 }).chain((n) => fc.record({ n: fc.constant(n), deals: fc.array(dealArb(n), { maxLength: 40 }), basis: fc.constantFrom<'sum' | 'average'>('sum', 'average') }));

		await fc.assert(
			fc.asyncProperty(baseArb, async ({ n, deals, basis }) => {
				const settings: EngineSettings = { ...DEFAULT_ENGINE_SETTINGS, rfm_monetary_basis: basis };
				const clients = Array.from({ length: n }, (_, i) => ({ id: i + 1, difficult: false }));
				await db.knex('deals').delete();
				await db.knex('clients').delete();
				await db.knex('clients').insert(clients.map((c) => ({ id: c.id, name: `c${c.id}`, difficult: false })));
				await insert(db.knex, deals);
				const expected = computeBase(clients, deals.map((x) => x.seen), STATUS, settings, AS_OF);
				const run = await recompute(settings);
				expect(run.status).toBe('succeeded');
				expect(run.skipped).toEqual(expected.skipped);
				expect(run.cutoffs).toEqual(expected.cutoffs);
				const ids = clients.map((c) => c.id);
				await expectScores(ids, (id) => expected.scores.get(id)!);
				// the change path over the same deals: the same scores against the run's cut-offs
				await db.knex('clients').update({ rfm_frequency: null, rfm_code: null, lifecycle_stage: null });
				await rescoreClients({ knex: db.knex, mapping: DEFAULT_MAPPING, settings, asOfMs: AS_OF }, run.cutoffs!, ids);
				await expectScores(ids, (id) => expected.scores.get(id)!);
			}),
			{ numRuns: Number(process.env['PROPERTY_RUNS'] ?? 25), seed: process.env['PROPERTY_SEED'] ? Number(process.env['PROPERTY_SEED']) : undefined },
		);
	});
});

describe('the maximum deal amount through Directus', () => {
	let d: TestDirectus;
	beforeAll(async () => {
		d = await bootDirectus();
	});
	afterAll(async () => d?.stop());

	it('is a translated setting, validated on save, honoured by the recompute endpoint and the change queue', async () => {
		const field = (await d.http('GET', '/fields/segmentation_settings/max_deal_amount')).body.data;
		expect(field.meta.translations).toEqual(expect.arrayContaining([expect.objectContaining({ language: 'ru-RU' }), expect.objectContaining({ language: 'en-US' })]));
		for (const bad of [-5, 1e14]) {
			const res = await d.http('PATCH', '/items/segmentation_settings', { max_deal_amount: bad });
			expect(res.status, String(bad)).toBe(400);
			expect(res.body.errors[0].message).toMatch(/max_deal_amount/);
		}
		expect((await d.http('PATCH', '/items/segmentation_settings', { max_deal_amount: 1000 })).status).toBe(200);

		const over = (await d.http('POST', '/items/clients', { name: 'Over the maximum' })).body.data.id;
		const under = (await d.http('POST', '/items/clients', { name: 'Under the maximum' })).body.data.id;
		const closed = new Date(Date.now() - 5 * DAY_MS).toISOString();
		expect((await d.http('POST', '/items/deals', { client: over, status: 'won', amount: 5000, closed_at: closed })).status).toBe(200);
		expect((await d.http('POST', '/items/deals', { client: under, status: 'won', amount: 500, closed_at: closed })).status).toBe(200);
		await queueSettled(d);
		const client = async (id: number) => (await d.http('GET', `/items/clients/${id}`)).body.data;
		await expect.poll(async () => (await client(under)).rfm_frequency, { timeout: 60_000 }).toBe(1);
		expect((await client(over)).rfm_frequency).toBeNull();

		// the change queue's full pass may still hold the recompute lease (409): wait until a run is ours
		let res = await d.http('POST', '/segmentation/recompute', {});
		await vi.waitFor(async () => {
			if (res.status === 409) res = await d.http('POST', '/segmentation/recompute', {});
			expect(res.status).not.toBe(409);
		}, { timeout: 60_000, interval: 200 });
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		const run = res.body.data;
		expect(run.status).toBe('succeeded');
		expect(run.skipped.amount_over_max).toBeGreaterThanOrEqual(1);
		expect((await client(over)).rfm_frequency).toBeNull();
		expect((await client(under)).rfm_frequency).toBe(1);
	});
});
