// Segment rules: parseRule (the App's filter shapes accepted, every kind of mistake refused with its path, limits,
// hostile names, $NOW against Directus's own adjustDate) and compileRule (SQL text and bindings; values only ever in
// bindings). The results against a real Directus are pinned by test/integration/rule-oracle.test.ts.
import { adjustDate, getFilterOperatorsForType } from '@directus/utils';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRule, resolveNow, ruleFields, RULE_LIMITS, type ConditionNode, type NowValue, type QuantifierNode, type RuleNode, type RuleSchema } from '../../extensions/segmentation/src/core/rule.ts';
import { compileRule } from '../../extensions/segmentation/src/store/rule-sql.ts';
import type { Dialect } from '../../extensions/segmentation/src/store/sql-dialect.ts';

const f = (type: string, special?: string[]) => (special ? { type, special } : { type });
const schema: RuleSchema = {
	collections: {
		clients: {
			primary: 'id',
			fields: {
				id: f('integer'), name: f('string'), email: f('string'), phone: f('string'), email_consent: f('boolean', ['cast-boolean']),
				lead_source: f('string'), difficult: f('boolean', ['cast-boolean']), external_id: f('string'), date_created: f('timestamp', ['date-created']),
				deals: f('alias', ['o2m']), tags: f('alias', ['m2m']), behaviour: f('alias', ['alias', 'no-data', 'group']),
				rfm_frequency: f('integer'), rfm_monetary: f('decimal'), rfm_r: f('integer'), rfm_f: f('integer'), rfm_m: f('integer'),
				rfm_code: f('string'), rfm_segment: f('string'), first_purchase_at: f('timestamp'), last_purchase_at: f('timestamp'),
				next_purchase_due_at: f('timestamp'), avg_order_value: f('decimal'), purchase_cycle_days: f('float'), is_sleeping: f('boolean'),
				lifecycle_stage: f('string'), lifecycle_changed_at: f('timestamp'), value_tier: f('string'), spend_trend: f('string'),
				rfm_computed_at: f('timestamp'), big_number: f('bigInteger'), notes: f('text'),
				// types a rule can't use, or only partly
				preferences: f('json'), visits: f('csv'), secret: f('hash'), api_token: f('string', ['conceal']), ext_uuid: f('uuid'),
				birthday: f('date'), location: f('geometry.Point'), opens_at: f('time'),
			},
		},
		deals: {
			primary: 'id',
			fields: {
				id: f('integer'), client: f('integer', ['m2o']), status: f('string'), amount: f('decimal'), created_at: f('timestamp'), closed_at: f('timestamp'),
				lead_source: f('string'), promo_code: f('string'), loss_reason: f('string'), note: f('text'), external_id: f('string'), items: f('alias', ['o2m']),
			},
		},
		deal_items: { primary: 'id', fields: { id: f('integer'), deal: f('integer', ['m2o']), product: f('integer', ['m2o']), quantity: f('integer'), price: f('decimal') } },
		products: { primary: 'id', fields: { id: f('integer'), name: f('string'), sku: f('string'), category: f('integer', ['m2o']) } },
		product_categories: { primary: 'id', fields: { id: f('integer'), name: f('string'), interest_days: f('integer') } },
		client_tags: { primary: 'id', fields: { id: f('integer'), client: f('integer'), tag: f('integer') } },
		tags: { primary: 'id', fields: { id: f('integer'), name: f('string') } },
	},
	relations: [
		{ collection: 'deals', field: 'client', related_collection: 'clients', meta: { one_field: 'deals' } },
		{ collection: 'deal_items', field: 'deal', related_collection: 'deals', meta: { one_field: 'items' } },
		{ collection: 'deal_items', field: 'product', related_collection: 'products', meta: null },
		{ collection: 'products', field: 'category', related_collection: 'product_categories', meta: { one_field: null } },
		{ collection: 'client_tags', field: 'client', related_collection: 'clients', meta: { one_field: 'tags', junction_field: 'tag' } },
		{ collection: 'client_tags', field: 'tag', related_collection: 'tags', meta: { one_field: null, junction_field: 'client' } },
	],
};

const parse = (rule: unknown) => parseRule(rule, schema, 'clients');
function accepted(rule: unknown): RuleNode {
	const r = parse(rule);
	if (!r.ok) throw new Error(`refused: ${r.errors.join(' | ')}`);
	return r.rule;
}
function refused(rule: unknown): string[] {
	const r = parse(rule);
	if (r.ok) throw new Error(`accepted: ${JSON.stringify(r.rule)}`);
	return r.errors;
}

const dealsStep = { field: 'deals', kind: 'o2m', from: 'clients', to: 'deals', fromColumn: 'id', toColumn: 'client' } as const;
const field = (collection: string, name: string, type: string) => ({ kind: 'field', collection, field: name, type }) as const;

describe('parseRule: what the App writes', () => {
	it('reads the App filter builder’s JSON into the AST, $NOW kept unresolved', () => {
		const text = '{"_and":[{"rfm_code":{"_eq":"CCC"}},{"deals":{"_some":{"status":{"_eq":"lost"}}}},{"last_purchase_at":{"_gte":"$NOW(-30 days)"}}]}';
		expect(accepted(text)).toEqual({
			kind: 'and',
			children: [
				{ kind: 'condition', path: [], operand: field('clients', 'rfm_code', 'string'), operator: '_eq', values: ['CCC'] },
				{ kind: 'some', relation: dealsStep, rule: { kind: 'condition', path: [], operand: field('deals', 'status', 'string'), operator: '_eq', values: ['lost'] } },
				{ kind: 'condition', path: [], operand: field('clients', 'last_purchase_at', 'timestamp'), operator: '_gte', values: [{ kind: 'now', offset: { amount: -30, unit: 'day' } }] },
			],
		});
	});

	it('treats an empty rule as every client and requires a rule', () => {
		expect(accepted({})).toEqual({ kind: 'all' });
		expect(accepted('{}')).toEqual({ kind: 'all' });
		// empty groups vanish as Directus drops them, so these are no condition either
		expect(accepted({ _and: [] })).toEqual({ kind: 'all' });
		expect(accepted({ _and: [{ _or: [] }, {}] })).toEqual({ kind: 'all' });
		expect(refused(null)).toEqual(['rule is required']);
		expect(refused(undefined)).toEqual(['rule is required']);
		expect(refused('null')).toEqual(['rule is required']);
		expect(refused('{"_and": [')[0]).toMatch(/^rule: not valid JSON \(/);
		expect(refused([{ name: { _eq: 'x' } }])).toEqual(['rule: expected a filter object, got a list']);
		expect(refused('"rfm_code"')).toEqual(['rule: expected a filter object, got "rfm_code"']);
		expect(refused(() => ({}))).toEqual(['rule: expected a filter object, got function']);
	});

	it('follows Directus on empty members: an _or with {} is no condition, {} in _and is skipped', () => {
		expect(accepted({ _and: [{ rfm_r: { _eq: 1 } }, { _or: [{}, { rfm_f: { _eq: 2 } }] }] })).toEqual({
			kind: 'condition', path: [], operand: field('clients', 'rfm_r', 'integer'), operator: '_eq', values: [1],
		});
		expect(accepted({ _or: [{ rfm_r: { _eq: 1 } }, { _and: [] }] })).toMatchObject({ kind: 'condition', values: [1] });
	});

	it('reads several keys of one object as _and, inside _or members too (Directus’s parseFilter)', () => {
		expect(accepted({ _or: [{ rfm_r: { _eq: 1 }, rfm_f: { _eq: 2 } }, { rfm_m: { _eq: 3 } }] })).toEqual({
			kind: 'or',
			children: [
				{ kind: 'and', children: [
					{ kind: 'condition', path: [], operand: field('clients', 'rfm_r', 'integer'), operator: '_eq', values: [1] },
					{ kind: 'condition', path: [], operand: field('clients', 'rfm_f', 'integer'), operator: '_eq', values: [2] },
				] },
				{ kind: 'condition', path: [], operand: field('clients', 'rfm_m', 'integer'), operator: '_eq', values: [3] },
			],
		});
	});

	it('follows many-to-one keys (value or nested filter), one-to-many without quantifier, and m2m through the junction', () => {
		const nested = accepted({ deals: { _some: { items: { _some: { product: { category: { name: { _eq: 'Kids' } } } } } } } }) as QuantifierNode;
		const inner = nested.rule as QuantifierNode;
		expect(inner.kind).toBe('some');
		expect(inner.relation).toEqual({ field: 'items', kind: 'o2m', from: 'deals', to: 'deal_items', fromColumn: 'id', toColumn: 'deal' });
		expect(inner.rule).toEqual({
			kind: 'condition',
			path: [
				{ field: 'product', kind: 'm2o', from: 'deal_items', to: 'products', fromColumn: 'product', toColumn: 'id' },
				{ field: 'category', kind: 'm2o', from: 'products', to: 'product_categories', fromColumn: 'category', toColumn: 'id' },
			],
			operand: field('product_categories', 'name', 'string'),
			operator: '_eq',
			values: ['Kids'],
		});
		// the key's own value
		expect(accepted({ deals: { _some: { client: { _in: [1, '2'] } } } })).toMatchObject({ rule: { operand: field('deals', 'client', 'integer'), operator: '_in', values: [1, 2] } });
		// one-to-many without quantifier: a join path (Directus's LEFT JOIN), not a sub-query
		expect(accepted({ deals: { status: { _eq: 'won' } } })).toEqual({ kind: 'condition', path: [dealsStep], operand: field('deals', 'status', 'string'), operator: '_eq', values: ['won'] });
		// m2m = o2m onto the junction + m2o from it
		expect(accepted({ tags: { _some: { tag: { name: { _eq: 'Kids' } } } } })).toEqual({
			kind: 'some',
			relation: { field: 'tags', kind: 'o2m', from: 'clients', to: 'client_tags', fromColumn: 'id', toColumn: 'client' },
			rule: { kind: 'condition', path: [{ field: 'tag', kind: 'm2o', from: 'client_tags', to: 'tags', fromColumn: 'tag', toColumn: 'id' }], operand: field('tags', 'name', 'string'), operator: '_eq', values: ['Kids'] },
		});
		expect(accepted({ deals: { _none: { client: { _nnull: true } } } })).toEqual({
			kind: 'none', relation: dealsStep, rule: { kind: 'condition', path: [], operand: field('deals', 'client', 'integer'), operator: '_nnull', values: [] },
		});
		expect(accepted({ 'count(deals)': { _gte: '2' } })).toEqual({ kind: 'condition', path: [], operand: { kind: 'count', relation: dealsStep }, operator: '_gte', values: [2] });
	});

	it('types values as Directus does: numeric strings, "true"/"false"/"null", lists from commas, false flips null operators', () => {
		const values = (rule: unknown) => {
			const node = accepted(rule) as ConditionNode;
			return [node.operator, node.values];
		};
		expect(values({ rfm_r: { _gte: '2' } })).toEqual(['_gte', [2]]);
		expect(values({ rfm_monetary: { _lt: ' 12.5 ' } })).toEqual(['_lt', [12.5]]);
		expect(values({ email_consent: { _eq: 'true' } })).toEqual(['_eq', [true]]);
		expect(values({ is_sleeping: { _neq: false } })).toEqual(['_neq', [false]]);
		expect(values({ name: { _eq: 'null' } })).toEqual(['_null', []]);
		expect(values({ name: { _neq: null } })).toEqual(['_nnull', []]);
		expect(values({ name: { _null: false } })).toEqual(['_nnull', []]);
		expect(values({ name: { _nnull: 'false' } })).toEqual(['_null', []]);
		expect(values({ email: { _empty: false } })).toEqual(['_nempty', []]);
		expect(values({ email: { _nempty: true } })).toEqual(['_nempty', []]);
		// split on commas without trimming, as Directus's toArray
		expect(values({ lead_source: { _in: 'ads, referral' } })).toEqual(['_in', ['ads', ' referral']]);
		expect(values({ rfm_r: { _between: '1,3' } })).toEqual(['_between', [1, 3]]);
		expect(values({ rfm_r: { _nin: 2 } })).toEqual(['_nin', [2]]);
		// text keeps a number as it is (Directus binds it so)
		expect(values({ name: { _contains: 42 } })).toEqual(['_contains', [42]]);
		// shorthand field: value is _eq
		expect(values({ rfm_code: 'AAA' })).toEqual(['_eq', ['AAA']]);
		expect(values({ last_purchase_at: { _between: ['2024-01-01', '$NOW'] } })).toEqual(['_between', [{ kind: 'date', text: '2024-01-01' }, { kind: 'now', offset: null }]]);
		expect(values({ big_number: { _eq: '9007199254740991' } })).toEqual(['_eq', [9007199254740991]]);
		expect(values({ ext_uuid: { _in: ['4f1c2c8e-8a4b-4a8e-9a7c-2a1d2c3b4e5f'] } })).toEqual(['_in', ['4f1c2c8e-8a4b-4a8e-9a7c-2a1d2c3b4e5f']]);
	});

	it('gives each field type the operators Directus allows for it (dates: timestamp as dateTime)', () => {
		const probes: Record<string, [string, unknown]> = {
			name: ['string', 'x'], notes: ['text', 'x'], rfm_r: ['integer', 1], big_number: ['bigInteger', 1], rfm_monetary: ['decimal', 1],
			purchase_cycle_days: ['float', 1], email_consent: ['boolean', true], last_purchase_at: ['dateTime', '2024-01-01'], birthday: ['date', '2024-01-01'],
			ext_uuid: ['uuid', '4f1c2c8e-8a4b-4a8e-9a7c-2a1d2c3b4e5f'], secret: ['hash', 'x'],
		};
		const operators = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'nin', 'null', 'nnull', 'contains', 'ncontains', 'icontains', 'nicontains', 'starts_with',
			'nstarts_with', 'istarts_with', 'nistarts_with', 'ends_with', 'nends_with', 'iends_with', 'niends_with', 'between', 'nbetween', 'empty', 'nempty', 'ieq', 'regex'];
		for (const [name, [directusType, sample]] of Object.entries(probes)) {
			for (const op of operators) {
				const value = ['null', 'nnull', 'empty', 'nempty'].includes(op) ? true : ['in', 'nin'].includes(op) ? [sample] : ['between', 'nbetween'].includes(op) ? [sample, sample] : sample;
				const r = parse({ [name]: { [`_${op}`]: value } });
				expect({ name, op, ok: r.ok }).toEqual({ name, op, ok: (getFilterOperatorsForType(directusType as Parameters<typeof getFilterOperatorsForType>[0]) as string[]).includes(op) });
			}
		}
	});
});

describe('parseRule: mistakes, each named by its path', () => {
	it('names unknown fields, operators and bad values with their path, all at once', () => {
		const errors = refused({
			_and: [
				{ rfm_r: { _gte: 'abc' } },
				{ deals: { _some: { stauts: { _eq: 'lost' } } } },
				{ name: { _foo: 'x' } },
				{ _or: [{ email: { _contains: '' } }, { rfm_f: { _in: ['1', 'x'] } }] },
			],
		});
		expect(errors).toEqual([
			'rule._and[0].rfm_r._gte: expected a number, got "abc"',
			'rule._and[1].deals._some.stauts: unknown field "stauts" in collection "deals"',
			'rule._and[2].name._foo: unknown operator "_foo"',
			'rule._and[3]._or[0].email._contains: empty value (use _empty / _nempty)',
			'rule._and[3]._or[1].rfm_f._in[1]: expected a number, got "x"',
		]);
	});

	it('refuses operators a field type does not have, with what Directus allows', () => {
		expect(refused({ name: { _gt: 'b' } })).toEqual(['rule.name._gt: operator "_gt" does not apply to "clients.name" (type string; Directus allows _contains _ncontains _icontains _starts_with _nstarts_with _istarts_with _nistarts_with _ends_with _nends_with _iends_with _niends_with _eq _neq _empty _nempty _null _nnull _in _nin)']);
		// Directus 12.4 has no _nicontains for strings (its REST API answers 400)
		expect(refused({ name: { _nicontains: 'b' } })[0]).toMatch(/^rule\.name\._nicontains: operator "_nicontains" does not apply/);
		expect(refused({ rfm_r: { _empty: true } })[0]).toMatch(/^rule\.rfm_r\._empty: operator "_empty" does not apply/);
		expect(refused({ email_consent: { _in: [true] } })[0]).toMatch(/does not apply to "clients.email_consent"/);
		expect(refused({ last_purchase_at: { _contains: '2024' } })[0]).toMatch(/does not apply to "clients.last_purchase_at"/);
		expect(refused({ api_token: { _eq: 'x' } })[0]).toMatch(/^rule\.api_token\._eq: operator "_eq" does not apply .*allows _empty _nempty _null _nnull\)$/);
	});

	it('refuses fields a rule can’t filter on, naming them', () => {
		expect(refused({ preferences: { _null: true } })).toEqual(['rule.preferences._null: "clients.preferences" is of type "json", which segment rules can\'t filter on']);
		expect(refused({ visits: { _contains: 'x' } })).toEqual(['rule.visits._contains: "clients.visits" is of type "csv", which segment rules can\'t filter on']);
		expect(refused({ location: { _null: true } })[0]).toBe('rule.location._null: "clients.location" is of type "geometry.Point", which segment rules can\'t filter on');
		expect(refused({ opens_at: { _null: true } })[0]).toMatch(/"clients.opens_at" is of type "time"/);
		expect(refused({ behaviour: { _null: true } })[0]).toBe('rule.behaviour._null: "clients.behaviour" is of type "alias", which segment rules can\'t filter on');
		expect(refused({ behaviour: { name: { _eq: 'x' } } })[0]).toBe('rule.behaviour: "clients.behaviour" is not a relational field, so "name" can\'t follow it');
		expect(refused({ name: { first: { _eq: 'x' } } })[0]).toBe('rule.name: "clients.name" is not a relational field, so "first" can\'t follow it');
	});

	it('refuses shapes Directus would reject, ignore or twist', () => {
		expect(refused({ _foo: [] })).toEqual(['rule._foo: unknown logical operator "_foo" (expected _and, _or or a field of "clients")']);
		expect(refused({ _and: { name: { _eq: 'x' } } })).toEqual(['rule._and: expected a list of filters, got an object']);
		expect(refused({ _and: [null] })).toEqual(['rule._and[0]: expected a filter object, got null']);
		expect(refused({ rfm_r: { _gte: 1, _lte: 3 } })).toEqual(['rule.rfm_r: one operator or nested field per object, got "_gte", "_lte" (combine conditions with _and)']);
		expect(refused({ rfm_r: {} })).toEqual(['rule.rfm_r: empty condition']);
		expect(refused({ rfm_r: null })).toEqual(['rule.rfm_r: expected an operator object like {"_eq": …}, got null']);
		expect(refused({ deals: { _and: [{ status: { _eq: 'won' } }] } })).toEqual(['rule.deals._and: _and goes around conditions, not inside a field']);
		expect(refused({ deals: { _eq: 3 } })).toEqual(['rule.deals._eq: "clients.deals" is a one-to-many field: use _some, _none or a nested field']);
		expect(refused({ _some: { status: { _eq: 'won' } } })).toEqual(['rule._some: _some must follow a one-to-many field']);
		expect(refused({ deals: { _some: { client: { _some: {} } } } })).toEqual(['rule.deals._some.client._some: _some applies to one-to-many fields; "deals.client" is not one']);
		// _some only at the top of a level (Directus: "can only be used with top level relational alias field")
		expect(refused({ deals: { items: { _some: {} } } })).toEqual(['rule.deals.items._some: _some can only follow a field at the top of a filter (or of another _some / _none), not after "deals"']);
		// Directus reads a _some / _none body through its first key only and drops the condition when there is none or
		// it is _and / _or (several keys become _and): such rules would select everyone there
		expect(refused({ deals: { _none: {} } })).toEqual(['rule.deals._none: _none needs a condition (Directus 12.4 ignores an empty one); for clients without any deals write {"deals": {"_none": {"client": {"_nnull": true}}}}']);
		const several = 'must hold exactly one condition (Directus 12.4 silently ignores one with several, or with _and / _or); for several conditions on the same related row put them side by side in the rule\'s top-level _and: [{"deals": {…}}, {"deals": {…}}]';
		expect(refused({ deals: { _some: { _and: [{ status: { _eq: 'won' } }, { amount: { _gt: 1 } }] } } })).toEqual([`rule.deals._some: _some ${several}`]);
		expect(refused({ deals: { _some: { status: { _eq: 'won' }, amount: { _gt: 1 } } } })).toEqual([`rule.deals._some: _some ${several}`]);
		expect(refused({ deals: { _some: { items: { _none: { _or: [] } } } } })).toEqual(['rule.deals._some.items._none: _none must hold exactly one condition (Directus 12.4 silently ignores one with several, or with _and / _or); for several conditions on the same related row put them side by side in the rule\'s top-level _and: [{"items": {…}}, {"items": {…}}]']);
		expect(refused({ rfm_r: { _between: [1, 2, 3] } })).toEqual(['rule.rfm_r._between: expected two values (from, to), got 3']);
		expect(refused({ rfm_r: { _in: [] } })).toEqual(['rule.rfm_r._in: expected at least one value']);
		expect(refused({ rfm_r: { _gt: null } })).toEqual(['rule.rfm_r._gt: expected a value, got null (Directus reads it as null; use _null / _nnull)']);
		expect(refused({ rfm_r: { _eq: 2.5 } })).toEqual(['rule.rfm_r._eq: expected a whole number, got 2.5']);
		expect(refused({ rfm_r: { _eq: 1e300 } })).toEqual(['rule.rfm_r._eq: not a usable number: 1e+300']);
		expect(refused({ rfm_r: { _eq: true } })).toEqual(['rule.rfm_r._eq: expected a number, got true']);
		expect(refused({ name: { _eq: 'true' } })).toEqual(['rule.name._eq: expected text, got "true" (Directus reads it as a boolean)']);
		expect(refused({ email_consent: { _eq: 1 } })).toEqual(['rule.email_consent._eq: expected true or false, got 1']);
		expect(refused({ name: { _null: 'yes' } })).toEqual(['rule.name._null: expected true or false, got "yes"']);
		expect(refused({ name: { _eq: ['a'] } })).toEqual(['rule.name._eq: expected a single value, got a list']);
		expect(refused({ ext_uuid: { _eq: 'not-a-uuid' } })).toEqual(['rule.ext_uuid._eq: expected a UUID, got "not-a-uuid"']);
		expect(refused({ 'year(date_created)': { _eq: 2024 } })).toEqual(['rule["year(date_created)"]: unsupported function in "year(date_created)" (only count(<one-to-many field>) is)']);
		expect(refused({ 'count(name)': { _gt: 1 } })).toEqual(['rule["count(name)"]: count() takes a one-to-many field of "clients", got "name"']);
		expect(refused({ 'count(deals)': { _gt: 1.5 } })).toEqual(['rule["count(deals)"]._gt: expected a whole number, got 1.5']);
	});

	it('refuses dates JavaScript and PostgreSQL would read differently, and session variables', () => {
		expect(refused({ last_purchase_at: { _gt: '2024-02-30' } })[0]).toMatch(/^rule\.last_purchase_at\._gt: expected a date like/);
		expect(refused({ last_purchase_at: { _gt: 'yesterday' } })[0]).toMatch(/got "yesterday"$/);
		expect(refused({ last_purchase_at: { _gt: 1700000000000 } })[0]).toMatch(/got 1700000000000$/);
		expect(accepted({ last_purchase_at: { _gt: '2024-02-29T23:59:59.5+03:00' } })).toMatchObject({ values: [{ kind: 'date', text: '2024-02-29T23:59:59.5+03:00' }] });
		expect(refused({ name: { _eq: '$CURRENT_USER' } })).toEqual(['rule.name._eq: $CURRENT_USER is not meaningful for a segment (it depends on who is looking)']);
		expect(refused({ deals: { _some: { client: { _in: ['$CURRENT_ROLES.id'] } } } })).toEqual(['rule.deals._some.client._in[0]: $CURRENT_ROLES is not meaningful for a segment (it depends on who is looking)']);
		expect(refused({ name: { _eq: '$NOW' } })).toEqual(['rule.name._eq: $NOW only applies to date fields']);
		expect(refused({ last_purchase_at: { _gt: '$NOW(-3 fortnights)' } })).toEqual(['rule.last_purchase_at._gt: can\'t read the $NOW adjustment "-3 fortnights" (e.g. "-30 days", "+1 month", "-2 weeks")']);
		expect(refused({ last_purchase_at: { _gt: '$NOW()' } })[0]).toMatch(/expected \$NOW or \$NOW\(±N unit\), got "\$NOW\(\)"/);
		expect(refused({ last_purchase_at: { _gt: '$NOW(-1 day) ' } })[0]).toMatch(/expected \$NOW or \$NOW\(±N unit\)/);
	});

	it('refuses hostile field names as unknown fields (nothing but schema names reaches SQL)', () => {
		const hostile = 'id"; DROP TABLE clients; --';
		expect(refused({ [hostile]: { _eq: 1 } })).toEqual([`rule[${JSON.stringify(hostile)}]: unknown field ${JSON.stringify(hostile)} in collection "clients"`]);
		expect(refused({ deals: { _some: { [hostile]: { _eq: 1 } } } })).toEqual([`rule.deals._some[${JSON.stringify(hostile)}]: unknown field ${JSON.stringify(hostile)} in collection "deals"`]);
		expect(refused({ [`count(${hostile})`]: { _gt: 1 } })[0]).toMatch(/unsupported function|count\(\) takes/);
		// names that exist on every JavaScript object are not fields
		expect(refused('{"constructor":{"_eq":1},"__proto__":{"_eq":1},"toString":{"name":{"_eq":"x"}}}')).toEqual([
			'rule.constructor: unknown field "constructor" in collection "clients"',
			'rule.__proto__: unknown logical operator "__proto__" (expected _and, _or or a field of "clients")',
			'rule.toString: unknown field "toString" in collection "clients"',
		]);
		expect(refused({ last_purchase_at: { _gt: '$NOW(-1 constructor)' } })[0]).toMatch(/can't read the \$NOW adjustment/);
		// a schema name that is not a plain identifier is refused too (q() would throw later)
		const odd: RuleSchema = { ...schema, collections: { ...schema.collections, clients: { primary: 'id', fields: { 'bad name': f('string') } } } };
		expect(parseRule({ 'bad name': { _eq: 'x' } }, odd, 'clients')).toEqual({ ok: false, errors: ['rule["bad name"]: unknown field "bad name" in collection "clients"'] });
		expect(parseRule({}, schema, 'nope')).toEqual({ ok: false, errors: ['rule: collection "nope" does not exist'] });
	});
});

describe('parseRule: limits', () => {
	const leaf = (i: number) => ({ rfm_r: { _eq: i } });

	it(`refuses rules over ${RULE_LIMITS.maxBytes} bytes, as text or object`, () => {
		const big = { _or: [{ name: { _in: Array.from({ length: 9000 }, (_, i) => `n${i}`) } }] };
		expect(JSON.stringify(big).length).toBeGreaterThan(65536);
		expect(refused(big)).toEqual(['rule: larger than 64 KB']);
		expect(refused(JSON.stringify(big))).toEqual(['rule: larger than 64 KB']);
		// bytes, not characters: 22,000 three-byte characters are 66,000 bytes
		expect(refused({ name: { _eq: '€'.repeat(22_000) } })).toEqual(['rule: larger than 64 KB']);
		expect(parse({ name: { _eq: '€'.repeat(21_000) } }).ok).toBe(true);
	});

	it(`refuses nesting deeper than ${RULE_LIMITS.maxDepth} levels, even inside a list`, () => {
		let deep: Record<string, unknown> = leaf(1); // 2 levels
		for (let i = 0; i < 10; i++) deep = { _and: [deep] }; // 12
		expect(parse(deep).ok).toBe(true);
		expect(refused({ _and: [deep] })).toEqual(['rule: nested deeper than 12 levels']);
		// a hostile depth is refused without recursing through it
		const hostile = `${'{"_or":['.repeat(5000)}{"rfm_r":{"_eq":1}}${']}'.repeat(5000)}`;
		expect(refused(hostile)).toEqual(['rule: nested deeper than 12 levels']);
		let deepObject: unknown = leaf(1);
		for (let i = 0; i < 100_000; i++) deepObject = { _or: [deepObject] };
		expect(refused(deepObject)).toEqual(['rule: not a JSON value (cyclic or too deep)']);
		const cyclic: Record<string, unknown> = {};
		cyclic['_and'] = [cyclic];
		expect(refused(cyclic)).toEqual(['rule: not a JSON value (cyclic or too deep)']);
	});

	it(`refuses more than ${RULE_LIMITS.maxConditions} conditions (quantifiers count)`, () => {
		const many = (n: number) => ({ _or: Array.from({ length: n }, (_, i) => leaf(i)) });
		expect(parse(many(500)).ok).toBe(true);
		const tooMany = 'rule: more than 500 conditions (every value of an _in / _nin list counts as one)';
		expect(refused(many(501))).toEqual([tooMany]);
		expect(refused({ _and: [many(499), { deals: { _some: { status: { _eq: 'won' } } } }] })).toEqual([tooMany]);
		// a list's values count: 2 conditions + 499 values is over, 2 + 498 is not
		const list = (n: number) => ({ _and: [many(1), { lead_source: { _in: Array.from({ length: n }, (_, i) => `s${i}`) } }] });
		expect(refused(list(500))).toEqual([tooMany]);
		expect(parse(list(499)).ok).toBe(true);
	});

	/** deals.client.deals.client… : one field per object, so the object depth stays within 12. */
	const chain = (fields: number): Record<string, unknown> => {
		const hops = Array.from({ length: fields - 1 }, (_, i) => (i % 2 ? 'client' : 'deals'));
		let rule: Record<string, unknown> = hops.length % 2 ? { status: { _eq: 'x' } } : { name: { _eq: 'x' } };
		for (const hop of hops.reverse()) rule = { [hop]: rule };
		return rule;
	};

	it('refuses going more fields deep than Directus’s MAX_RELATIONAL_DEPTH (10)', () => {
		expect(refused(chain(11))).toEqual(['rule: goes more than 10 fields deep (Directus\'s MAX_RELATIONAL_DEPTH)']);
		// a shorthand leaf counts: Directus rewrites `name: "x"` to `name: {_eq: "x"}` before measuring
		const shorthand = (fields: number) => JSON.parse(JSON.stringify(chain(fields)).replace(/\{"_eq":"x"\}/, '"x"'));
		expect(JSON.stringify(shorthand(11))).not.toContain('_eq');
		expect(refused(shorthand(11))).toEqual(['rule: goes more than 10 fields deep (Directus\'s MAX_RELATIONAL_DEPTH)']);
	});

	it('refuses a rule that follows too many relations: a walk back and forth costs a join per step', () => {
		// deals.client.deals.client.deals… within Directus's depth of 10, but 9 relations in a row
		expect(refused(chain(10))[0]).toMatch(/follows more than 4 relations from the client/);
		expect(refused(chain(6))[0]).toMatch(/follows more than 4 relations from the client/);
		expect(parse(chain(5)).ok).toBe(true);
		// a quantifier's body starts deeper: deals → items → product → category is the deepest allowed
		const deep = { deals: { _some: { items: { _some: { product: { category: { name: { _eq: 'Kids' } } } } } } } };
		expect(parse(deep).ok).toBe(true);
		// joins in all: 13 one-hop conditions side by side
		const wide = { _and: Array.from({ length: 13 }, (_, i) => ({ deals: { _some: { amount: { _gt: i } } } })) };
		expect(refused(wide)).toEqual(['rule: follows relations 13 times (at most 12: each one is a join a refresh pays for every client)']);
		expect(parse({ _and: wide._and.slice(0, 12) }).ok).toBe(true);
	});

	it('summarises a flood of errors', () => {
		const errors = refused({ _or: Array.from({ length: 80 }, (_, i) => ({ [`nope${i}`]: { _eq: 1 } })) });
		expect(errors).toHaveLength(51);
		expect(errors[50]).toBe('… and 30 more');
	});
});

describe('$NOW', () => {
	const now = (text: string) => (accepted({ last_purchase_at: { _gte: text } }) as ConditionNode).values[0] as NowValue;
	const savedTz = process.env['TZ'];
	afterEach(() => {
		if (savedTz === undefined) delete process.env['TZ'];
		else process.env['TZ'] = savedTz;
	});

	it('reads offsets and units as Directus’s adjust-date', () => {
		expect(now('$NOW')).toEqual({ kind: 'now', offset: null });
		expect(now('$NOW(-30 days)').offset).toEqual({ amount: -30, unit: 'day' });
		expect(now('$NOW(+1 month)').offset).toEqual({ amount: 1, unit: 'month' });
		expect(now('$NOW(1 M)').offset).toEqual({ amount: 1, unit: 'minute' }); // "m" is minutes, in any case
		expect(now('$NOW(2mo)').offset).toEqual({ amount: 2, unit: 'month' });
		expect(now('$NOW(-1.5 weeks)').offset).toEqual({ amount: -1.5, unit: 'week' });
		expect(now('$NOW(7)').offset).toEqual({ amount: 7, unit: 'day' }); // days by default
		expect(now('$NOW(--2 yrs)').offset).toEqual({ amount: 2, unit: 'year' }); // minus a negative
	});

	it('resolves on the local calendar: month ends clamp, days keep the wall-clock time', () => {
		process.env['TZ'] = 'Europe/Berlin';
		const at = (y: number, m: number, d: number, h = 10) => new Date(y, m - 1, d, h).getTime();
		expect(resolveNow({ kind: 'now', offset: { amount: 1, unit: 'month' } }, at(2024, 1, 31))).toBe(at(2024, 2, 29));
		expect(resolveNow({ kind: 'now', offset: { amount: -1, unit: 'year' } }, at(2024, 2, 29))).toBe(at(2023, 2, 28));
		// across the spring DST change a day is 23 hours
		expect(resolveNow({ kind: 'now', offset: { amount: 1, unit: 'day' } }, at(2024, 3, 30))).toBe(at(2024, 3, 31));
		expect(at(2024, 3, 31) - at(2024, 3, 30)).toBe(23 * 3600_000);
		expect(resolveNow({ kind: 'now', offset: { amount: -2, unit: 'hour' } }, 1_000_000_000)).toBe(1_000_000_000 - 7_200_000);
		expect(resolveNow({ kind: 'now', offset: null }, 123)).toBe(123);
	});

	it('refuses an adjustment more than 200 years away (past year 9999 no database holds the instant)', () => {
		expect(refused({ last_purchase_at: { _gte: '$NOW(+300000 years)' } })).toEqual(['rule.last_purchase_at._gte: the $NOW adjustment "$NOW(+300000 years)" reaches more than 200 years away']);
		expect(refused({ last_purchase_at: { _gte: '$NOW(-2401 months)' } })[0]).toMatch(/more than 200 years away/);
		expect(refused({ last_purchase_at: { _in: ['$NOW', '$NOW(100000000 hours)'] } })[0]).toMatch(/rule\.last_purchase_at\._in\[1\]: .*more than 200 years away/);
		expect(parse({ last_purchase_at: { _gte: '$NOW(-200 years)' } }).ok).toBe(true);
		expect(parse({ last_purchase_at: { _gte: '$NOW(+2400 months)' } }).ok).toBe(true);
	});

	it('equals Directus’s adjustDate for any instant and adjustment, in several time zones', () => {
		const units = ['ms', 'msec', 'msecs', 's', 'sec', 'secs', 'second', 'seconds', 'm', 'min', 'mins', 'minute', 'minutes', 'h', 'hr', 'hrs', 'hour', 'hours',
			'd', 'day', 'days', 'w', 'week', 'weeks', 'mo', 'mth', 'month', 'months', 'y', 'yr', 'yrs', 'year', 'years', 'DAYS', 'Mo', ''];
		const adjustment = fc.tuple(
			fc.constantFrom('', '+', '-'),
			fc.oneof(fc.integer({ min: 0, max: 200 }).map(String), fc.double({ min: 0, max: 50, noNaN: true }).map((x) => x.toFixed(2)), fc.constantFrom('.5', '-3', '0')),
			fc.constantFrom('', ' ', '  '),
			fc.constantFrom(...units),
		).map(([sign, n, space, unit]) => `${sign}${n}${space}${unit}`);
		for (const tz of ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe']) {
			process.env['TZ'] = tz;
			fc.assert(
				fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), adjustment, (asOf, adj) => {
					const expected = adjustDate(new Date(asOf), adj);
					const r = parse({ last_purchase_at: { _gte: `$NOW(${adj})` } });
					if (expected === undefined) return !r.ok; // Directus would silently use now: we refuse instead
					if (!r.ok) return false;
					const node = r.rule as ConditionNode;
					return resolveNow(node.values[0] as NowValue, asOf) === expected.getTime();
				}),
				{ numRuns: 400 },
			);
		}
	});
});

describe('ruleFields', () => {
	it('lists every field a rule reads, relation keys on both sides', () => {
		const rule = accepted({
			_and: [
				{ rfm_code: { _eq: 'AAA' } },
				{ deals: { _some: { items: { _some: { product: { category: { name: { _eq: 'Kids' } } } } } } } },
				{ 'count(tags)': { _gt: 0 } },
			],
		});
		expect([...ruleFields(rule)].sort()).toEqual([
			'client_tags.client', 'clients.deals', 'clients.rfm_code', 'clients.tags', 'deal_items.deal', 'deal_items.product',
			'deals.client', 'deals.items', 'product_categories.name', 'products.category',
		]);
		expect(ruleFields({ kind: 'all' }).size).toBe(0);
	});
});

describe('compileRule', () => {
	const sqlite = { pg: false } as Dialect;
	const pg = { pg: true } as Dialect;
	const compile = (rule: unknown, dialect: Dialect = sqlite, asOfMs = Date.UTC(2026, 0, 15, 12)) => compileRule(accepted(rule), { dialect, alias: 'c', asOfMs });

	it('puts hostile values only in bindings', () => {
		const evil = `x'); DROP TABLE clients; --"\\%_`;
		const r = compile({ _or: [{ name: { _eq: evil } }, { email: { _icontains: evil } }, { deals: { _some: { note: { _nends_with: evil } } } }, { lead_source: { _in: [evil, 'a'] } }] }, pg);
		expect(r.sql).not.toContain('DROP');
		expect(r.sql).not.toContain("'");
		expect(r.sql).toBe(
			'("c"."name" = ? OR LOWER("c"."email") LIKE ? OR EXISTS (SELECT 1 FROM "deals" AS "r_1" WHERE "r_1"."client" = "c"."id" AND NOT ("r_1"."note" LIKE ?)) OR "c"."lead_source" IN (?, ?))',
		);
		// LIKE patterns are Directus's: no escaping, the i-variants lowercased in JavaScript
		expect(r.bindings).toEqual([evil, `%${evil.toLowerCase()}%`, `%${evil}`, evil, 'a']);
	});

	it('compiles each operator to Directus’s SQL, NULLs included', () => {
		const one = (cond: unknown) => compile({ name: cond });
		expect(one({ _neq: 'a' })).toEqual({ sql: 'NOT ("c"."name" = ?)', bindings: ['a'] });
		expect(one({ _nin: 'a,b' })).toEqual({ sql: '"c"."name" NOT IN (?, ?)', bindings: ['a', 'b'] });
		expect(one({ _eq: null })).toEqual({ sql: '"c"."name" IS NULL', bindings: [] });
		expect(one({ _empty: true })).toEqual({ sql: '("c"."name" IS NULL OR "c"."name" = ?)', bindings: [''] });
		expect(one({ _nempty: true })).toEqual({ sql: '("c"."name" IS NOT NULL AND "c"."name" <> ?)', bindings: [''] });
		expect(one({ _istarts_with: 'ÉM' })).toEqual({ sql: 'LOWER("c"."name") LIKE ?', bindings: ['ém%'] });
		expect(one({ _nistarts_with: 'X' })).toEqual({ sql: 'LOWER("c"."name") NOT LIKE ?', bindings: ['x%'] });
		expect(one({ _contains: 7 })).toEqual({ sql: '"c"."name" LIKE ?', bindings: ['%7%'] });
		expect(compile({ rfm_r: { _nbetween: ['1', '2'] } })).toEqual({ sql: '"c"."rfm_r" NOT BETWEEN ? AND ?', bindings: [1, 2] });
		expect(compile({ email_consent: { _eq: 'false' } })).toEqual({ sql: '"c"."email_consent" = ?', bindings: [false] });
		expect(compile({})).toEqual({ sql: '1 = 1', bindings: [] });
	});

	it('joins relation paths once per level, as Directus’s LEFT JOINs, and counts with a sub-query', () => {
		const compile = (rule: unknown) => compileRule(accepted(rule), { dialect: pg, alias: 'c', asOfMs: 0 });
		const r = compile({ _and: [{ deals: { status: { _eq: 'lost' } } }, { deals: { amount: { _gt: '100' } } }, { deals: { items: { product: { name: { _eq: 'Pen' } } } } }] });
		expect(r.sql).toBe(
			'EXISTS (SELECT 1 FROM (SELECT 1) AS "r_4" LEFT JOIN "deals" AS "r_1" ON "r_1"."client" = "c"."id" ' +
				'LEFT JOIN "deal_items" AS "r_2" ON "r_2"."deal" = "r_1"."id" LEFT JOIN "products" AS "r_3" ON "r_3"."id" = "r_2"."product" ' +
				'WHERE ("r_1"."status" = ? AND "r_1"."amount" > ? AND "r_3"."name" = ?))',
		);
		expect(r.bindings).toEqual(['lost', 100, 'Pen']);
		const nested = compile({ _or: [{ deals: { _none: { items: { _some: { quantity: { _gt: 2 } } } } } }, { deals: { _some: { 'count(items)': { _eq: 0 } } } }] });
		expect(nested.sql).toBe(
			'(NOT EXISTS (SELECT 1 FROM "deals" AS "r_1" WHERE "r_1"."client" = "c"."id" AND EXISTS (SELECT 1 FROM "deal_items" AS "r_2" WHERE "r_2"."deal" = "r_1"."id" AND "r_2"."quantity" > ?)) ' +
				'OR EXISTS (SELECT 1 FROM "deals" AS "r_3" WHERE "r_3"."client" = "c"."id" AND (SELECT COUNT(*) FROM "deal_items" AS "r_4" WHERE "r_4"."deal" = "r_3"."id") = ?))',
		);
		expect(nested.bindings).toEqual([2, 0]);
		// a hand-built quantifier over everything is plain existence
		expect(compileRule({ kind: 'some', relation: dealsStep, rule: { kind: 'all' } }, { dialect: sqlite, alias: 'c', asOfMs: 0 }).sql).toBe('EXISTS (SELECT 1 FROM "deals" AS "r_1" WHERE "r_1"."client" = "c"."id")');
		// joins inside a _some body hang off the many-side row
		expect(compile({ deals: { _some: { items: { product: { sku: { _null: true } } } } } }).sql).toBe(
			'EXISTS (SELECT 1 FROM "deals" AS "r_1" LEFT JOIN "deal_items" AS "r_2" ON "r_2"."deal" = "r_1"."id" LEFT JOIN "products" AS "r_3" ON "r_3"."id" = "r_2"."product" WHERE "r_1"."client" = "c"."id" AND "r_3"."sku" IS NULL)',
		);
	});

	it('keeps a sub-query level driven by its correlated row on SQLite (its conditions inside COALESCE: no index, LEFT JOINs stay)', () => {
		expect(compile({ deals: { _some: { items: { product: { sku: { _eq: 'P-1' } } } } } }).sql).toBe(
			'EXISTS (SELECT 1 FROM "deals" AS "r_1" LEFT JOIN "deal_items" AS "r_2" ON "r_2"."deal" = "r_1"."id" LEFT JOIN "products" AS "r_3" ON "r_3"."id" = "r_2"."product" WHERE "r_1"."client" = "c"."id" AND COALESCE("r_3"."sku" = ?, FALSE))',
		);
		expect(compile({ deals: { status: { _eq: 'lost' } } }).sql).toBe(
			'EXISTS (SELECT 1 FROM (SELECT 1) AS "r_2" LEFT JOIN "deals" AS "r_1" ON "r_1"."client" = "c"."id" WHERE COALESCE("r_1"."status" = ?, FALSE))',
		);
		// a condition on the client row itself is left alone
		expect(compile({ name: { _eq: 'x' } }).sql).toBe('"c"."name" = ?');
	});

	it('binds dates as Directus does on each database, $NOW as of the given instant', () => {
		const asOf = Date.UTC(2026, 0, 15, 12);
		const rule = { last_purchase_at: { _between: ['2025-12-01', '$NOW(-2 hours)'] } };
		expect(compile(rule, sqlite, asOf)).toEqual({ sql: '"c"."last_purchase_at" BETWEEN ? AND ?', bindings: [String(Date.UTC(2025, 11, 1)), String(asOf - 7_200_000)] });
		expect(compile(rule, pg, asOf)).toEqual({ sql: '"c"."last_purchase_at" BETWEEN ? AND ?', bindings: ['2025-12-01', '2026-01-15T10:00:00.000Z'] });
		expect(compile({ last_purchase_at: { _gte: '$NOW' } }, pg, asOf + 1).bindings).toEqual(['2026-01-15T12:00:00.001Z']);
	});

	it('refuses an alias that is not an identifier or clashes with its own', () => {
		const rule = accepted({ name: { _eq: 'x' } });
		expect(() => compileRule(rule, { dialect: sqlite, alias: 'c"; --', asOfMs: 0 })).toThrow(/Refusing identifier/);
		expect(() => compileRule(rule, { dialect: sqlite, alias: 'r_1', asOfMs: 0 })).toThrow(/clashes/);
		// an AST built by hand with a hostile name still can't reach SQL
		const forged: RuleNode = { kind: 'condition', path: [], operand: { kind: 'field', collection: 'clients', field: 'x" OR 1=1 --', type: 'string' }, operator: '_null', values: [] };
		expect(() => compileRule(forged, { dialect: sqlite, alias: 'c', asOfMs: 0 })).toThrow(/Refusing identifier/);
	});
});
