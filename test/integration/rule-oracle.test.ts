// The segment rule compiler against Directus itself: on a small varied base (mixed case, `%`/`_`/`\` in values,
// NULLs everywhere, clients without deals, deals without items, items without products), every hand-written rule and
// hundreds of random ones select exactly the clients Directus's own REST filtering returns
// (GET /items/clients?filter=…), on SQLite and on PostgreSQL. Rules Directus refuses are refused by parseRule too.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Random } from '../../extensions/segmentation/src/core/random.ts';
import { parseRule, type RuleSchema } from '../../extensions/segmentation/src/core/rule.ts';
import { bulkInsert, syncSerial, type Column } from '../../extensions/segmentation/src/store/bulk-insert.ts';
import { compileRule } from '../../extensions/segmentation/src/store/rule-sql.ts';
import { dialectOf } from '../../extensions/segmentation/src/store/sql-dialect.ts';
import { RUNS_TABLE } from '../../extensions/segmentation/src/store/tables.ts';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { queueSettled } from '../harness/queue.ts';

const DAY = 86_400_000;
// Data sits half a day off whole days from the moment it is written, so a `$NOW(-N days)` boundary is never within
// hours of a value and the few milliseconds between our query and Directus's can't flip a result.
const NOW0 = Date.now();
const daysAgo = (k: number) => new Date(NOW0 - (k + 0.5) * DAY);
const dayText = (k: number) => new Date(NOW0 - k * DAY).toISOString().slice(0, 10);
const isoAgo = (k: number) => new Date(NOW0 - k * DAY).toISOString();

const NAMES: Array<string | null> = [
	'Anna Smith', 'anna smith', 'ANNA SMITH', 'Bob Jones', 'bob_jones', 'bobXjones', 'Carl 100% Real', 'Carl 100X Real', 'Dana_X', 'Émile Zola',
	'émile zola', 'ÉMILE', "O'Brien", 'back\\slash', 'backXslash', 'Eve', 'eve', '', null, null, 'percent%', 'Zed', 'zed smith', 'Null', 'null',
	'true', 'Ünal Öz', 'x', 'X', 'Mixed CASE name',
];
const EMAILS = ['Anna@Example.com', 'anna@example.com', 'bob_jones@test.org', 'bobxjones@test.org', 'x%y@test.org', 'BOB@EXAMPLE.COM', '', null, 'émile@exämple.fr', 'eve@example.com', null, 'zed@sample.net'];
const LEAD_SOURCES = ['ads', 'referral', 'organic', null, 'Ads', 'partner_x'];
const CLIENTS = 40;
const DEALS = 120;
const ITEMS = 200;

interface Base {
	clients: unknown[][];
	deals: unknown[][];
	items: unknown[][];
	lastPurchases: Date[];
}

const CLIENT_COLUMNS: Column[] = [
	{ name: 'id', pg: 'integer' }, { name: 'name', pg: 'text' }, { name: 'email', pg: 'text' }, { name: 'phone', pg: 'text' },
	{ name: 'email_consent', pg: 'boolean' }, { name: 'lead_source', pg: 'text' }, { name: 'difficult', pg: 'boolean' }, { name: 'external_id', pg: 'text' },
	{ name: 'date_created', pg: 'timestamptz' }, { name: 'rfm_code', pg: 'text' }, { name: 'rfm_r', pg: 'integer' }, { name: 'rfm_f', pg: 'integer' },
	{ name: 'rfm_m', pg: 'integer' }, { name: 'rfm_segment', pg: 'text' }, { name: 'rfm_frequency', pg: 'integer' }, { name: 'rfm_monetary', pg: 'numeric' },
	{ name: 'avg_order_value', pg: 'numeric' }, { name: 'purchase_cycle_days', pg: 'numeric' }, { name: 'first_purchase_at', pg: 'timestamptz' },
	{ name: 'last_purchase_at', pg: 'timestamptz' }, { name: 'next_purchase_due_at', pg: 'timestamptz' }, { name: 'is_sleeping', pg: 'boolean' },
	{ name: 'lifecycle_stage', pg: 'text' }, { name: 'lifecycle_changed_at', pg: 'timestamptz' }, { name: 'value_tier', pg: 'text' },
	{ name: 'spend_trend', pg: 'text' }, { name: 'rfm_computed_at', pg: 'timestamptz' },
];
const DEAL_COLUMNS: Column[] = [
	{ name: 'id', pg: 'integer' }, { name: 'client', pg: 'integer' }, { name: 'status', pg: 'text' }, { name: 'amount', pg: 'numeric' },
	{ name: 'created_at', pg: 'timestamptz' }, { name: 'closed_at', pg: 'timestamptz' }, { name: 'lead_source', pg: 'text' }, { name: 'promo_code', pg: 'text' },
	{ name: 'loss_reason', pg: 'text' }, { name: 'note', pg: 'text' }, { name: 'external_id', pg: 'text' },
];
const ITEM_COLUMNS: Column[] = [{ name: 'id', pg: 'integer' }, { name: 'deal', pg: 'integer' }, { name: 'product', pg: 'integer' }, { name: 'quantity', pg: 'integer' }, { name: 'price', pg: 'numeric' }];
const CATEGORIES: unknown[][] = [[1, 'Office', 30], [2, 'Kids', null], [3, 'Garden', 90], [4, 'Kids Tech', 60]];
const PRODUCTS: unknown[][] = [
	[1, 'Pen', 'P-1', 1], [2, 'pencil', null, 1], [3, 'Toy Car', 'T_1', 2], [4, 'toy robot', 'T-2', 2], [5, 'Rake', null, 3], [6, 'Laptop', 'L%1', 4],
	[7, 'Mystery', 'M-1', null], [8, 'PEN deluxe', 'P-2', 1],
];

function makeBase(): Base {
	const rng = new Random(20260115);
	const pick = <T>(list: readonly T[]): T => list[rng.int(0, list.length - 1)]!;
	const maybe = <T>(p: number, value: () => T): T | null => (rng.float() < p ? value() : null);
	const clients: unknown[][] = [];
	const lastPurchases: Date[] = [];
	for (let id = 1; id <= CLIENTS; id++) {
		const code = pick(['AAA', 'ABC', 'CCC', 'CCC', 'BCB', null]);
		const score = (i: number) => (code ? 'ABC'.indexOf(code[i]!) + 1 : null);
		const first = maybe(0.75, () => daysAgo(rng.int(30, 700)));
		const last = first ? daysAgo(rng.int(0, 200)) : null;
		if (last) lastPurchases.push(last);
		clients.push([
			id, id <= NAMES.length ? NAMES[id - 1] : `Client ${id}`, pick(EMAILS), maybe(0.5, () => `+1 555 ${String(rng.int(1000, 9999))}`),
			rng.float() < 0.5, pick(LEAD_SOURCES), rng.float() < 0.2, maybe(0.7, () => `ext-${id}`),
			id === 1 ? daysAgo(0) : daysAgo(rng.int(0, 800)), code, score(0), score(1), score(2), pick([null, 'Champions', 'At risk', 'Lost']),
			pick([null, 0, 1, 2, 5]), pick([null, 0, 55.5, 100, 250.75, 1000]), pick([null, 10, 55.5, 99.99, 120]), pick([null, 7, 14.5, 30, 90.25]),
			first, last, maybe(0.6, () => new Date(NOW0 + (rng.int(-20, 40) + 0.5) * DAY)), pick([true, false, null]),
			pick(['lead', 'in_selection', 'refused', 'one_time', 'returning', 'regular', null]), maybe(0.7, () => daysAgo(rng.int(0, 100))),
			pick(['vip', 'regular', 'difficult', null]), pick(['declining', 'steady', 'rising', null]), maybe(0.8, () => daysAgo(1)),
		]);
	}
	const deals: unknown[][] = [];
	for (let id = 1; id <= DEALS; id++) {
		const status = pick(['won', 'won', 'lost', 'open', 'uninterested']);
		// clients 35–40 never get a deal; a few deals have no client
		const client = rng.float() < 0.05 ? null : rng.int(1, 34);
		deals.push([
			id, client, status, pick([null, 0, 10, 55.5, 99.99, 100, 150.25, 1000]), maybe(0.9, () => daysAgo(rng.int(0, 400))),
			status === 'open' ? maybe(0.1, () => daysAgo(rng.int(0, 400))) : maybe(0.9, () => daysAgo(rng.int(0, 400))),
			pick(LEAD_SOURCES), pick([null, null, 'SUMMER', 'summer10', '50%OFF', '50XOFF', 'A_B']),
			status === 'lost' ? pick(['price', 'assortment', 'other', null]) : pick([null, null, null, 'price']),
			pick([null, 'call back', 'Call Back later', 'VIP client', '']), maybe(0.5, () => `d-${id}`),
		]);
	}
	const items: unknown[][] = [];
	for (let id = 1; id <= ITEMS; id++) {
		// deals 101–120 have no items
		items.push([id, rng.float() < 0.03 ? null : rng.int(1, 100), rng.float() < 0.05 ? null : rng.int(1, 8), pick([null, 1, 2, 3, 5]), pick([null, 0, 9.99, 25, 120.5])]);
	}
	return { clients, deals, items, lastPurchases };
}

/** deals.client.deals.client…: `fields` field names deep (Directus's MAX_RELATIONAL_DEPTH is 10). */
function fieldChain(fields: number): Record<string, unknown> {
	const hops = Array.from({ length: fields - 1 }, (_, i) => (i % 2 ? 'client' : 'deals'));
	let rule: Record<string, unknown> = hops.length % 2 ? { status: { _eq: 'lost' } } : { name: { _contains: 'a' } };
	for (const hop of hops.reverse()) rule = { [hop]: rule };
	return rule;
}

/** The RuleSchema a running Directus describes over REST (what getSchema() holds inside it). */
async function liveRuleSchema(d: TestDirectus): Promise<RuleSchema> {
	const fields = await d.http<{ data: Array<{ collection: string; field: string; type: string; meta: { special: string[] | null } | null; schema: { is_primary_key: boolean } | null }> }>('GET', '/fields');
	const relations = await d.http<{ data: RuleSchema['relations'] }>('GET', '/relations');
	expect(fields.status).toBe(200);
	expect(relations.status).toBe(200);
	const collections: RuleSchema['collections'] = {};
	for (const f of fields.body.data) {
		const c = (collections[f.collection] ??= { primary: 'id', fields: {} });
		c.fields[f.field] = { type: f.type, special: f.meta?.special ?? null };
		if (f.schema?.is_primary_key) c.primary = f.field;
	}
	return { collections, relations: relations.body.data.map((r) => ({ collection: r.collection, field: r.field, related_collection: r.related_collection, meta: r.meta })) };
}

// ── random rules over the base: every operator each field type has, values that hit and miss the data ──────────

const TEXT_OPS = ['_eq', '_neq', '_contains', '_ncontains', '_icontains', '_starts_with', '_nstarts_with', '_istarts_with', '_nistarts_with', '_ends_with', '_nends_with', '_iends_with', '_niends_with', '_in', '_nin', '_null', '_nnull', '_empty', '_nempty'];
const ORDERED_OPS = ['_eq', '_neq', '_lt', '_lte', '_gt', '_gte', '_in', '_nin', '_between', '_nbetween', '_null', '_nnull'];
const BOOL_OPS = ['_eq', '_neq', '_null', '_nnull'];
const TEXTS = ['anna', 'Anna Smith', 'SMITH', 'b_j', '100%', 'é', 'É', 'x', 'e', 'eve', 'Eve', 'k\\s', '%', '_', 'zed', 'example.com', 'EXAMPLE', 'ads', 'Ads', 'CCC',
	'AAA', 'lead', 'vip', 'won', 'lost', 'open', 'price', 'Kids', 'kid', 'pen', 'P-1', 'T_1', 'L%1', '50%', 'summer', 'call', 'At risk', 'rising'];
const INTS = [0, 1, 2, 3, 4, 5, '2', '3', 30, 60];
const DECIMALS = [0, 10, 55.5, '100', 99.99, 250.75, 1000, '10.5', 150.25];
const FLOATS = [7, 14.5, '30', 90.25, 0];
const DATES = ['$NOW', '$NOW(-30 days)', '$NOW(-1 month)', '$NOW(-10 weeks)', '$NOW(+5 days)', '$NOW(-1 year)', '$NOW(-30 hours)', '$NOW(+2 weeks)', '$NOW(-200d)',
	dayText(15), dayText(200), isoAgo(100.25), isoAgo(3.75)];
const BOOLS = [true, false, 'true', 'false'];

type Kind = 'text' | 'int' | 'decimal' | 'float' | 'date' | 'bool';
const POOLS: Record<Kind, { ops: string[]; values: unknown[] }> = {
	text: { ops: TEXT_OPS, values: TEXTS },
	int: { ops: ORDERED_OPS, values: INTS },
	decimal: { ops: ORDERED_OPS, values: DECIMALS },
	float: { ops: ORDERED_OPS, values: FLOATS },
	date: { ops: ORDERED_OPS, values: DATES },
	bool: { ops: BOOL_OPS, values: BOOLS },
};

function operatorArb(kind: Kind): fc.Arbitrary<Record<string, unknown>> {
	const { ops, values } = POOLS[kind];
	const value = fc.constantFrom(...values);
	return fc.record({ op: fc.constantFrom(...ops), a: value, b: value, list: fc.array(value, { minLength: 1, maxLength: 3 }), flag: fc.constantFrom(...BOOLS), asText: fc.boolean(), asNull: fc.integer({ min: 0, max: 9 }) })
		.map(({ op, a, b, list, flag, asText, asNull }) => {
			if (['_null', '_nnull', '_empty', '_nempty'].includes(op)) return { [op]: flag };
			if (op === '_in' || op === '_nin') return { [op]: asText && kind === 'text' ? list.join(',') : list };
			if (op === '_between' || op === '_nbetween') return { [op]: asText && kind !== 'text' ? `${a},${b}` : [a, b] };
			if ((op === '_eq' || op === '_neq') && asNull === 0) return { [op]: asText ? 'null' : null };
			return { [op]: a };
		});
}

const FIELDS: Record<string, Array<[string, Kind]>> = {
	clients: [['name', 'text'], ['email', 'text'], ['lead_source', 'text'], ['rfm_code', 'text'], ['lifecycle_stage', 'text'], ['value_tier', 'text'], ['email_consent', 'bool'],
		['is_sleeping', 'bool'], ['difficult', 'bool'], ['rfm_r', 'int'], ['rfm_frequency', 'int'], ['rfm_monetary', 'decimal'], ['purchase_cycle_days', 'float'],
		['last_purchase_at', 'date'], ['next_purchase_due_at', 'date'], ['date_created', 'date'], ['id', 'int'], ['count(deals)', 'int']],
	deals: [['status', 'text'], ['loss_reason', 'text'], ['promo_code', 'text'], ['note', 'text'], ['amount', 'decimal'], ['closed_at', 'date'], ['created_at', 'date'],
		['client', 'int'], ['count(items)', 'int']],
	deal_items: [['quantity', 'int'], ['price', 'decimal'], ['deal', 'int'], ['product', 'int']],
	products: [['name', 'text'], ['sku', 'text'], ['category', 'int']],
	product_categories: [['name', 'text'], ['interest_days', 'int']],
};
/** Relations a condition may follow without a quantifier (Directus's LEFT JOINs). */
const HOPS: Record<string, Array<[string, string]>> = {
	clients: [['deals', 'deals']],
	deals: [['client', 'clients'], ['items', 'deal_items']],
	deal_items: [['product', 'products'], ['deal', 'deals']],
	products: [['category', 'product_categories']],
	product_categories: [],
};
/** One-to-many fields a _some / _none may follow. */
const MANY: Record<string, Array<[string, string]>> = { clients: [['deals', 'deals']], deals: [['items', 'deal_items']], deal_items: [], products: [], product_categories: [] };

const memo = new Map<string, fc.Arbitrary<Record<string, unknown>>>();
function cached(key: string, build: () => fc.Arbitrary<Record<string, unknown>>) {
	if (!memo.has(key)) memo.set(key, build());
	return memo.get(key)!;
}

/** `{field: {op: value}}`, possibly through up to `hops` relations (single-key chains, as the App writes them). */
function leafArb(collection: string, hops: number): fc.Arbitrary<Record<string, unknown>> {
	return cached(`leaf:${collection}:${hops}`, () => {
		const own = FIELDS[collection]!.map(([name, kind]) => operatorArb(kind).map((cond) => ({ [name]: cond })));
		const through = hops > 0 ? HOPS[collection]!.map(([field, target]) => leafArb(target, hops - 1).map((inner) => ({ [field]: inner }))) : [];
		return fc.oneof(...own.map((arbitrary) => ({ arbitrary, weight: 2 })), ...through.map((arbitrary) => ({ arbitrary, weight: 3 })));
	});
}

/** A filter at a logical position: leaves, _and/_or groups, several keys in one object, _some/_none bodies. */
function levelArb(collection: string, depth: number): fc.Arbitrary<Record<string, unknown>> {
	return cached(`level:${collection}:${depth}`, () => {
		const leaf = leafArb(collection, 3);
		if (depth === 0) return leaf;
		const inner = levelArb(collection, depth - 1);
		const member = fc.oneof({ arbitrary: inner, weight: 12 }, { arbitrary: fc.constant({}), weight: 1 });
		const options: Array<{ arbitrary: fc.Arbitrary<Record<string, unknown>>; weight: number }> = [
			{ arbitrary: leaf, weight: 4 },
			{ arbitrary: fc.array(member, { maxLength: 3 }).map((list) => ({ _and: list })), weight: 3 },
			{ arbitrary: fc.array(member, { maxLength: 3 }).map((list) => ({ _or: list })), weight: 3 },
			{ arbitrary: fc.tuple(leaf, leaf).map(([a, b]) => ({ ...a, ...b })), weight: 1 },
		];
		options.push(...quantifiers(collection, depth));
		return fc.oneof(...options);
	});
}

/** `{alias: {_some|_none: body}}`; a body is one condition (Directus ignores anything else), maybe another quantifier. */
function quantifiers(collection: string, depth: number): Array<{ arbitrary: fc.Arbitrary<Record<string, unknown>>; weight: number }> {
	return MANY[collection]!.flatMap(([field, target]) => {
		const body = depth > 1 && MANY[target]!.length > 0
			? fc.oneof({ arbitrary: leafArb(target, 3), weight: 3 }, ...quantifiers(target, depth - 1))
			: leafArb(target, 3);
		return [
			{ arbitrary: body.map((b) => ({ [field]: { _some: b } })), weight: 3 },
			{ arbitrary: body.map((b) => ({ [field]: { _none: b } })), weight: 2 },
		];
	});
}

describe('segment rules select exactly what Directus’s REST filter selects', () => {
	let d: TestDirectus;
	let schema: RuleSchema;
	let base: Base;
	let compared = 0;

	beforeAll(async () => {
		d = await bootDirectus();
		// the engine's start-up pass (on the empty base) must be over before we write engine fields by hand — all of
		// it: a run already recorded can still be retried when its segment refresh fails (SQLITE_BUSY while this
		// process writes the same file), and the retry would re-score our hand-written clients mid-comparison — and
		// the daily schedule off, so nothing rewrites clients while we compare
		await vi.waitFor(
			async () => {
				if (!(await d.knex(RUNS_TABLE).whereNot('status', 'running').first('id'))) throw new Error('the start-up engine run has not finished');
			},
			{ timeout: 120_000, interval: 200 },
		);
		await queueSettled(d);
		await d.knex('segmentation_settings').update({ recompute_cron: '' });
		for (const table of ['deal_items', 'deals', 'products', 'product_categories', 'clients']) await d.knex(table).delete();
		base = makeBase();
		await bulkInsert(d.knex, 'product_categories', [{ name: 'id', pg: 'integer' }, { name: 'name', pg: 'text' }, { name: 'interest_days', pg: 'integer' }], CATEGORIES);
		await bulkInsert(d.knex, 'products', [{ name: 'id', pg: 'integer' }, { name: 'name', pg: 'text' }, { name: 'sku', pg: 'text' }, { name: 'category', pg: 'integer' }], PRODUCTS);
		await bulkInsert(d.knex, 'clients', CLIENT_COLUMNS, base.clients);
		await bulkInsert(d.knex, 'deals', DEAL_COLUMNS, base.deals);
		await bulkInsert(d.knex, 'deal_items', ITEM_COLUMNS, base.items);
		for (const table of ['product_categories', 'products', 'clients', 'deals', 'deal_items']) await syncSerial(d.knex, table);
		schema = await liveRuleSchema(d);
	});
	afterAll(async () => {
		console.log(`[rule-oracle] ${d?.db}: ${compared} rules compared with Directus`);
		await d?.stop();
	});

	/** Our SQL's client ids and Directus's for one rule (asOf taken just before both). */
	async function both(rule: unknown): Promise<{ ours: number[]; directus: number[]; sql: string }> {
		const parsed = parseRule(rule, schema, 'clients');
		if (!parsed.ok) throw new Error(`parseRule refused ${JSON.stringify(rule)}: ${parsed.errors.join(' | ')}`);
		const asOfMs = Date.now();
		const where = compileRule(parsed.rule, { dialect: dialectOf(d.knex), alias: 'c', asOfMs });
		const rows = await d.knex.select('c.id').from({ c: 'clients' }).whereRaw(where.sql, where.bindings);
		const res = await d.http('GET', `/items/clients?fields=id&limit=-1&filter=${encodeURIComponent(JSON.stringify(rule))}`);
		if (res.status !== 200) throw new Error(`Directus answered ${res.status} for ${JSON.stringify(rule)}: ${JSON.stringify(res.body)}`);
		compared++;
		const ids = (list: Array<{ id: unknown }>) => list.map((r) => Number(r.id)).sort((a, b) => a - b);
		return { ours: ids(rows), directus: ids(res.body.data), sql: where.sql };
	}

	const recent = () => base.lastPurchases[0]!.toISOString();
	const RULES: Array<[string, () => unknown]> = [
		['text _eq', () => ({ name: { _eq: 'Anna Smith' } })],
		['text _neq leaves NULL out', () => ({ name: { _neq: 'Anna Smith' } })],
		['_contains (case per database)', () => ({ name: { _contains: 'anna' } })],
		['_ncontains', () => ({ name: { _ncontains: 'a' } })],
		['_icontains with non-ASCII', () => ({ name: { _icontains: 'ÉMILE' } })],
		['_starts_with / _nstarts_with', () => ({ _or: [{ name: { _starts_with: 'bob' } }, { email: { _nstarts_with: 'a' } }] })],
		['_istarts_with / _nistarts_with', () => ({ _and: [{ name: { _istarts_with: 'BOB' } }, { email: { _nistarts_with: 'X' } }] })],
		['_ends_with / _nends_with', () => ({ _or: [{ name: { _ends_with: 'smith' } }, { email: { _nends_with: '.com' } }] })],
		['_iends_with / _niends_with', () => ({ _or: [{ name: { _iends_with: 'SMITH' } }, { _and: [{ email: { _niends_with: '.COM' } }, { email_consent: { _eq: true } }] }] })],
		['% and _ are wildcards in Directus', () => ({ _or: [{ name: { _contains: '100%' } }, { name: { _contains: 'b_j' } }, { email: { _contains: 'x%y' } }] })],
		['backslash', () => ({ name: { _contains: 'k\\s' } })],
		['_null / _nnull false / "null"', () => ({ _or: [{ name: { _null: true } }, { email: { _nnull: false } }, { lead_source: { _eq: 'null' } }] })],
		['_empty / _nempty / _empty false', () => ({ _or: [{ name: { _empty: true } }, { _and: [{ email: { _nempty: true } }, { phone: { _empty: false } }] }] })],
		['_in / _nin, array and comma string', () => ({ _or: [{ name: { _in: ['Eve', 'eve', 'Zed'] } }, { lead_source: { _nin: 'ads,organic' } }] })],
		['_in with an empty string member', () => ({ email: { _in: ['', 'eve@example.com'] } })],
		['booleans, nullable, "false"', () => ({ _or: [{ email_consent: { _eq: true } }, { is_sleeping: { _neq: true } }, { difficult: { _eq: 'false' } }] })],
		['boolean _null', () => ({ is_sleeping: { _null: true } })],
		['integers', () => ({ _and: [{ rfm_r: { _gte: 2 } }, { rfm_f: { _lt: '3' } }] })],
		['_between / _nbetween', () => ({ _or: [{ rfm_r: { _between: [1, 2] } }, { rfm_m: { _nbetween: '2,3' } }] })],
		['integer _in / _nin / _eq null', () => ({ _or: [{ rfm_r: { _in: '1,3' } }, { rfm_f: { _nin: [2] } }, { rfm_m: { _eq: null } }] })],
		['decimals and floats', () => ({ _or: [{ rfm_monetary: { _gt: 100.5 } }, { purchase_cycle_days: { _lte: 14.5 } }, { avg_order_value: { _between: ['10', '99.99'] } }] })],
		['$NOW(-30 days)', () => ({ last_purchase_at: { _gte: '$NOW(-30 days)' } })],
		['$NOW(-1 month)', () => ({ last_purchase_at: { _lt: '$NOW(-1 month)' } })],
		['_between $NOW values', () => ({ last_purchase_at: { _between: ['$NOW(-90 days)', '$NOW(-2 weeks)'] } })],
		['_nbetween $NOW values', () => ({ last_purchase_at: { _nbetween: '$NOW(-90 days),$NOW(-2 weeks)' } })],
		['future $NOW', () => ({ _or: [{ next_purchase_due_at: { _gt: '$NOW' } }, { next_purchase_due_at: { _lte: '$NOW(+10 days)' } }] })],
		['$NOW in hours', () => ({ date_created: { _gt: '$NOW(-30 hours)' } })],
		['literal date and ISO instant', () => ({ _or: [{ date_created: { _lt: dayText(300) } }, { first_purchase_at: { _gte: isoAgo(100.25) } }] })],
		['exact instant _eq / _in', () => ({ _or: [{ last_purchase_at: { _eq: recent() } }, { last_purchase_at: { _in: [base.lastPurchases[1]!.toISOString(), isoAgo(1)] } }] })],
		['timestamp _null', () => ({ last_purchase_at: { _null: true } })],
		['nested _and / _or', () => ({ _or: [{ rfm_code: { _eq: 'CCC' } }, { _and: [{ lifecycle_stage: { _eq: 'lead' } }, { _or: [{ email_consent: { _eq: true } }, { value_tier: { _nnull: true } }] }] }] })],
		['several keys in one _or member are ANDed', () => ({ _or: [{ rfm_r: { _eq: 1 }, rfm_f: { _eq: 2 } }, { value_tier: { _eq: 'vip' } }] })],
		['an _or with {} is no condition', () => ({ _and: [{ rfm_code: { _eq: 'CCC' } }, { _or: [{}, { name: { _eq: 'Eve' } }] }] })],
		['empty rule', () => ({})],
		['_some', () => ({ deals: { _some: { status: { _eq: 'lost' } } } })],
		['_none', () => ({ deals: { _none: { status: { _eq: 'won' } } } })],
		['_none / _some of anything', () => ({ _or: [{ deals: { _none: { client: { _nnull: true } } } }, { _and: [{ deals: { _some: { id: { _nnull: true } } } }, { rfm_code: { _null: true } }] }] })],
		['o2m without quantifier (join)', () => ({ deals: { status: { _eq: 'lost' } } })],
		['join meets clients without deals (null row)', () => ({ deals: { loss_reason: { _null: true } } })],
		['join _neq', () => ({ deals: { status: { _neq: 'won' } } })],
		['one join shared by _and (same deal)', () => ({ _and: [{ deals: { status: { _eq: 'lost' } } }, { deals: { loss_reason: { _eq: 'price' } } }] })],
		['separate _some (any deals)', () => ({ _and: [{ deals: { _some: { status: { _eq: 'lost' } } } }, { deals: { _some: { loss_reason: { _eq: 'price' } } } }] })],
		['m2m-like chain through items to categories', () => ({ deals: { _some: { items: { _some: { product: { category: { name: { _eq: 'Kids' } } } } } } } })],
		['join chain through o2m and m2o', () => ({ deals: { items: { product: { category: { name: { _icontains: 'kid' } } } } } })],
		['conditions on one deal, side by side (join), with $NOW', () => ({ _and: [{ deals: { status: { _eq: 'won' } } }, { deals: { amount: { _gte: 100 } } }, { deals: { closed_at: { _gte: '$NOW(-60 days)' } } }] })],
		['null row inside _some', () => ({ deals: { _some: { items: { product: { sku: { _null: true } } } } } })],
		['_none of _some', () => ({ deals: { _none: { items: { _some: { quantity: { _gt: 2 } } } } } })],
		['count()', () => ({ _or: [{ 'count(deals)': { _gte: 3 } }, { 'count(deals)': { _eq: 0 } }] })],
		['count() in _some and through a join', () => ({ _or: [{ deals: { _some: { 'count(items)': { _gt: 1 } } } }, { deals: { 'count(items)': { _eq: 0 } } }] })],
		['m2o back to the client', () => ({ deals: { _some: { client: { email_consent: { _eq: true } } } } })],
		['m2o key value', () => ({ _or: [{ deals: { _some: { client: { _in: [1, 2, 3, 40] } } } }, { deals: { _none: { client: { _nnull: true } } } }] })],
		['wildcards in related text', () => ({ deals: { _some: { promo_code: { _contains: '50%' } } } })],
		['five fields deep through alternating joins (the most relations in a row a rule may follow)', () => fieldChain(5)],
		['the App’s example', () => ({ _and: [{ rfm_code: { _eq: 'CCC' } }, { deals: { _some: { status: { _eq: 'lost' } } } }, { last_purchase_at: { _gte: '$NOW(-30 days)' } }] })],
	];

	for (const [title, rule] of RULES) {
		it(`hand-written: ${title}`, async () => {
			const r = await both(rule());
			expect(r.ours, r.sql).toEqual(r.directus);
		});
	}

	it('the hand-written rules are not trivial: they select different, non-empty, non-full sets', async () => {
		const sizes = new Set<number>();
		for (const [, rule] of RULES) sizes.add((await both(rule())).ours.length);
		expect(sizes.size).toBeGreaterThan(15);
		expect([...sizes].filter((n) => n > 0 && n < CLIENTS).length).toBeGreaterThan(15);
	});

	it('random rules: identical to Directus', async () => {
		let nonTrivial = 0;
		await fc.assert(
			fc.asyncProperty(levelArb('clients', 3), async (rule) => {
				// a walk longer than a rule may follow is refused on save (its cost): nothing to compare
				const parsed = parseRule(rule, schema, 'clients');
				fc.pre(parsed.ok || !parsed.errors.some((e) => /follows (more than \d+ relations|relations \d+ times)/.test(e)));
				const r = await both(rule);
				if (r.ours.length > 0 && r.ours.length < CLIENTS) nonTrivial++;
				expect(r.ours, `${JSON.stringify(rule)}\n${r.sql}`).toEqual(r.directus);
			}),
			{ numRuns: 300 },
		);
		expect(nonTrivial).toBeGreaterThan(60);
	});

	it('tells conditions on one related row (join) from conditions on any rows (separate _some)', async () => {
		const sameDeal = await both({ _and: [{ deals: { status: { _eq: 'lost' } } }, { deals: { loss_reason: { _eq: 'price' } } }] });
		const anyDeals = await both({ _and: [{ deals: { _some: { status: { _eq: 'lost' } } } }, { deals: { _some: { loss_reason: { _eq: 'price' } } } }] });
		expect(sameDeal.ours).toEqual(sameDeal.directus);
		expect(anyDeals.ours).toEqual(anyDeals.directus);
		expect(anyDeals.ours.length).toBeGreaterThan(sameDeal.ours.length);
		for (const id of sameDeal.ours) expect(anyDeals.ours).toContain(id);
	});

	it('refuses what Directus silently ignores (it would select every client)', async () => {
		const ignoredByDirectus: unknown[] = [
			{ deals: { _some: { _and: [{ status: { _eq: 'lost' } }, { loss_reason: { _eq: 'price' } }] } } },
			{ deals: { _some: { status: { _eq: 'lost' }, loss_reason: { _eq: 'price' } } } },
			{ deals: { _none: {} } },
			{ deals: { _some: { items: { _none: { _or: [{ quantity: { _gt: 1 } }] } } } } },
			{ deals: { items: { _some: {} } } },
			{ rfm_r: { _between: [1, 2, 3] } },
			{ last_purchase_at: { _gt: '$NOW(-3 fortnights)' } },
		];
		for (const rule of ignoredByDirectus) {
			expect(parseRule(rule, schema, 'clients').ok, JSON.stringify(rule)).toBe(false);
			const res = await d.http('GET', `/items/clients?fields=id&limit=-1&filter=${encodeURIComponent(JSON.stringify(rule))}`);
			if (JSON.stringify(rule).includes('fortnights')) {
				// $NOW with an unreadable adjustment is plain now in Directus: not everyone, but not what was written
				expect(res.status).toBe(200);
				continue;
			}
			expect({ rule, status: res.status, count: res.body.data?.length }).toEqual({ rule, status: 200, count: CLIENTS });
		}
	});

	it('refuses what Directus refuses', async () => {
		const refusedByBoth: unknown[] = [
			{ name: { _nicontains: 'a' } },
			{ rfm_r: { _contains: '1' } },
			{ name: { _in: [] } },
			{ stauts: { _eq: 'x' } },
			{ name: { _eq: '' } },
			{ deals: { items: { _some: { quantity: { _gt: 1 } } } } },
			{ email_consent: { _in: [true] } },
			{ rfm_r: { _gt: 'abc' } },
			{ 'count(name)': { _gt: 1 } },
			{ 'id"; DROP TABLE clients; --': { _eq: 1 } },
			fieldChain(11),
		];
		for (const rule of refusedByBoth) {
			expect(parseRule(rule, schema, 'clients').ok, JSON.stringify(rule)).toBe(false);
			const res = await d.http('GET', `/items/clients?fields=id&limit=-1&filter=${encodeURIComponent(JSON.stringify(rule))}`);
			expect(res.status, `${JSON.stringify(rule)}: ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(400);
		}
		expect(await d.knex('clients').count({ n: '*' }).then((r) => Number(r[0]!.n))).toBe(CLIENTS);
	});
});
