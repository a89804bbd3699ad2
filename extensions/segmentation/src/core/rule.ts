// Segment rules: a Directus filter object over the client collection — exactly what the App's filter builder writes —
// checked against the live schema and turned into a small AST that store/rule-sql.ts compiles into one SQL boolean.
//
// The semantics are Directus 12.4's REST filtering (api: sanitize-query → utils parseFilter → validate-query →
// run-ast apply-query/filter), so a segment holds exactly the clients the App lists under the same filter:
//   - a multi-key object is an _and of its keys; an _or with an empty {} member, an empty _and/_or and an empty
//     group are no condition at all (they vanish from the enclosing group, as knex drops empty where-groups);
//   - the strings "true" / "false" / "null" / "NULL" are read as true / false / null everywhere, before typing;
//   - _eq null is _null, _neq null is _nnull; _null / _nnull / _empty / _nempty false mean the opposite operator;
//   - _in / _nin / _between / _nbetween take an array or a comma-separated string (split on ",", not trimmed);
//   - a relation without a quantifier is a LEFT JOIN shared by every condition of the same filter level that goes
//     through the same path (so a client without deals meets `deals.status _null`); _some / _none are
//     sub-queries on the many side and only stand directly at a level's top (the rule's, or inside _some / _none);
//   - a _some / _none body is read through its first key only: Directus drops the whole condition when the body is
//     empty or starts with _and / _or (which is what several keys become) — so a body holds exactly one condition;
//   - operators per field type follow Directus's getFilterOperatorsForType (no _nicontains on strings, no _empty on
//     numbers, …); $NOW(±N unit) adjusts local calendar time like its adjust-date (date-fns).
// Where Directus would answer an error, drop a condition silently, or do something nobody means (a second operator
// in one object inside _some, $NOW(-3 fortnights) = now, _between with three values = no condition, …) a rule is
// refused with a message naming the path, so everything accepted means the same in Directus and in our SQL.
import { IDENTIFIER } from './mapping.ts';

/** The part of Directus's SchemaOverview a rule needs (`await getSchema()` fits as it is). */
export interface RuleSchema {
	collections: Record<string, { primary: string; fields: Record<string, { type: string; special?: string[] | null }> }>;
	relations: Array<{
		collection: string;
		field: string;
		related_collection: string | null;
		meta?: { one_field?: string | null; junction_field?: string | null } | null;
	}>;
}

/**
 * What one rule may cost. Size alone doesn't bound it: each relation followed is a join whose rows multiply, so a
 * rule may follow at most `maxHops` relations in a row (deals → items → product → category is 4) and `maxJoins` in
 * all; every value of an `_in` list counts as a condition (a list is bound value by value, and every active rule
 * shares the change path's statement).
 */
export const RULE_LIMITS = { maxBytes: 65536, maxDepth: 12, maxConditions: 500, maxHops: 4, maxJoins: 12 } as const;
/** `$NOW(±N unit)` beyond this is a typo, and past year 9999 no database can hold the instant. */
export const MAX_NOW_OFFSET_YEARS = 200;
/** Directus's default MAX_RELATIONAL_DEPTH: its REST API refuses a filter through more fields than this. */
export const MAX_FIELD_DEPTH = 10;
/** More errors than this are summarised (a pasted garbage rule should not produce a wall of text). */
const MAX_ERRORS = 50;

export type NowUnit = 'year' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second' | 'millisecond';
/** `$NOW` or `$NOW(±N unit)`, kept unresolved so a rule can be evaluated as of any instant. */
export interface NowValue {
	kind: 'now';
	/** Signed amount (`$NOW(-30 days)` = { amount: -30, unit: 'day' }); null = the instant itself. */
	offset: { amount: number; unit: NowUnit } | null;
}
/** A literal date / date-time as written (each database reads it as Directus has it read). */
export interface DateText {
	kind: 'date';
	text: string;
}
export type RuleValue = string | number | boolean | DateText | NowValue;

export const COMPARE_OPERATORS = ['_eq', '_neq', '_lt', '_lte', '_gt', '_gte'] as const;
export const LIKE_OPERATORS = [
	'_contains', '_ncontains', '_icontains', '_starts_with', '_nstarts_with', '_istarts_with', '_nistarts_with',
	'_ends_with', '_nends_with', '_iends_with', '_niends_with',
] as const;
export const LIST_OPERATORS = ['_in', '_nin'] as const;
export const RANGE_OPERATORS = ['_between', '_nbetween'] as const;
export const NULL_OPERATORS = ['_null', '_nnull', '_empty', '_nempty'] as const;
export type Operator =
	| (typeof COMPARE_OPERATORS)[number]
	| (typeof LIKE_OPERATORS)[number]
	| (typeof LIST_OPERATORS)[number]
	| (typeof RANGE_OPERATORS)[number]
	| (typeof NULL_OPERATORS)[number];

/** One hop from a row to related rows: target.<toColumn> = source.<fromColumn>. */
export interface RelationStep {
	/** The field as written in the rule: a many-to-one key, or a one-to-many alias. */
	field: string;
	kind: 'm2o' | 'o2m';
	from: string;
	to: string;
	fromColumn: string;
	toColumn: string;
}

export type Operand =
	| { kind: 'field'; collection: string; field: string; type: string }
	/** `count(<one-to-many alias>)`: how many related rows point at the row. */
	| { kind: 'count'; relation: RelationStep };

export interface ConditionNode {
	kind: 'condition';
	/** Relations followed from the level's row (LEFT JOINs shared by equal paths within the level). */
	path: RelationStep[];
	operand: Operand;
	operator: Operator;
	/** None for the null/empty operators, one for compare/like, two for ranges, one or more for lists. */
	values: RuleValue[];
}
/** `_some` / `_none` over a one-to-many relation: a new filter level on the many side. */
export interface QuantifierNode {
	kind: 'some' | 'none';
	relation: RelationStep;
	rule: RuleNode;
}
export interface GroupNode {
	kind: 'and' | 'or';
	/** At least two (a one-member group is its member). */
	children: RuleNode[];
}
/** No condition: every row (an empty rule, or `_some: {}`). */
export interface AllNode {
	kind: 'all';
}
export type RuleNode = AllNode | GroupNode | ConditionNode | QuantifierNode;

export type ParseResult = { ok: true; rule: RuleNode } | { ok: false; errors: string[] };

type TypeClass = 'integer' | 'number' | 'text' | 'uuid' | 'hash' | 'boolean' | 'temporal';

const TYPE_CLASSES: Record<string, TypeClass> = {
	integer: 'integer',
	bigInteger: 'integer',
	float: 'number',
	decimal: 'number',
	string: 'text',
	text: 'text',
	uuid: 'uuid',
	hash: 'hash',
	boolean: 'boolean',
	// Directus lists `timestamp` under its catch-all operators (it would accept _contains on a date and fail in SQL);
	// we give it the date operators
	timestamp: 'temporal',
	dateTime: 'temporal',
	date: 'temporal',
};

const ALL_ALLOWED: Record<TypeClass, readonly Operator[]> = {
	text: [...LIKE_OPERATORS, '_eq', '_neq', '_empty', '_nempty', '_null', '_nnull', '_in', '_nin'],
	uuid: ['_eq', '_neq', '_null', '_nnull', '_in', '_nin'],
	hash: ['_empty', '_nempty', '_null', '_nnull'],
	boolean: ['_eq', '_neq', '_null', '_nnull'],
	integer: [...COMPARE_OPERATORS, '_between', '_nbetween', '_null', '_nnull', '_in', '_nin'],
	number: [...COMPARE_OPERATORS, '_between', '_nbetween', '_null', '_nnull', '_in', '_nin'],
	temporal: [...COMPARE_OPERATORS, '_between', '_nbetween', '_null', '_nnull', '_in', '_nin'],
};

/** Every operator Directus knows (to tell "unknown" from "not for this field"). */
const KNOWN_OPERATORS = new Set<string>([
	...COMPARE_OPERATORS, ...LIKE_OPERATORS, ...LIST_OPERATORS, ...RANGE_OPERATORS, ...NULL_OPERATORS,
	'_nicontains', '_ieq', '_nieq', '_regex', '_json', '_intersects', '_nintersects', '_intersects_bbox', '_nintersects_bbox',
]);

const NOW_UNITS: Record<string, NowUnit> = {
	years: 'year', year: 'year', yrs: 'year', yr: 'year', y: 'year',
	months: 'month', month: 'month', mth: 'month', mo: 'month',
	weeks: 'week', week: 'week', w: 'week',
	days: 'day', day: 'day', d: 'day',
	hours: 'hour', hour: 'hour', hrs: 'hour', hr: 'hour', h: 'hour',
	minutes: 'minute', minute: 'minute', mins: 'minute', min: 'minute', m: 'minute',
	seconds: 'second', second: 'second', secs: 'second', sec: 'second', s: 'second',
	milliseconds: 'millisecond', millisecond: 'millisecond', msecs: 'millisecond', msec: 'millisecond', ms: 'millisecond',
};
const NOW_FORM = /^\$NOW(?:\(([^()]+)\))?$/;
/** Roughly how many years one of each unit is (enough to bound an offset). */
const UNIT_YEARS: Record<NowUnit, number> = { year: 1, month: 1 / 12, week: 7 / 365, day: 1 / 365, hour: 1 / 8760, minute: 1 / 525_600, second: 1 / 31_536_000, millisecond: 1 / 31_536_000_000 };
// after one leading sign: a number like ms's ("5", "1.5", ".5", "-5") and an optional unit (days by default)
const NOW_ADJUSTMENT = /^(-?\d*\.?\d+) *([A-Za-z]+)?$/;
// longest first: the name in an error is the one written
const SESSION_VARIABLES = ['$CURRENT_POLICIES', '$CURRENT_ROLES', '$CURRENT_ROLE', '$CURRENT_USER'];
// ISO dates both JavaScript (SQLite path) and PostgreSQL read the same way
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COUNT_KEY = /^count\(([^()]*)\)$/;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
	typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
const has = (o: object, key: string): boolean => Object.hasOwn(o, key);
const show = (v: unknown): string => {
	if (v === undefined) return 'nothing';
	if (Array.isArray(v)) return 'a list';
	if (typeof v === 'object' && v !== null) return 'an object';
	const text = JSON.stringify(v);
	return text.length > 60 ? `${text.slice(0, 57)}…"` : text;
};
const keyPath = (path: string, key: string): string => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`);

/** Resolves `$NOW(±N unit)` as of an instant (epoch ms), on the local calendar as Directus's adjust-date does. */
export function resolveNow(value: NowValue, asOfMs: number): number {
	const date = new Date(asOfMs);
	if (!value.offset) return date.getTime();
	const { amount, unit } = value.offset;
	switch (unit) {
		case 'year':
			return shiftMonths(date, amount * 12);
		case 'month':
			return shiftMonths(date, amount);
		case 'week':
			return shiftDays(date, amount * 7);
		case 'day':
			return shiftDays(date, amount);
		case 'hour':
			return new Date(asOfMs + amount * 3_600_000).getTime();
		case 'minute':
			return new Date(asOfMs + amount * 60_000).getTime();
		case 'second':
			return new Date(asOfMs + amount * 1000).getTime();
		case 'millisecond':
			return new Date(asOfMs + amount).getTime();
	}
}

// Calendar days: the same wall-clock time N days later (a DST change makes that 23 or 25 hours). A fractional sum is
// truncated by setDate, as in date-fns.
function shiftDays(date: Date, days: number): number {
	if (!days) return date.getTime();
	date.setDate(date.getDate() + days);
	return date.getTime();
}

// Calendar months: the same day of month, or the last day of a shorter target month (Jan 31 + 1 month = Feb 28/29).
function shiftMonths(date: Date, months: number): number {
	if (!months) return date.getTime();
	const day = date.getDate();
	const lastOfTarget = new Date(date.getTime());
	lastOfTarget.setMonth(date.getMonth() + months + 1, 0);
	if (day >= lastOfTarget.getDate()) return lastOfTarget.getTime();
	date.setFullYear(lastOfTarget.getFullYear(), lastOfTarget.getMonth(), day);
	return date.getTime();
}

/** `collection.field` names a rule reads (relation keys on both sides included): what can change its result. */
export function ruleFields(rule: RuleNode): Set<string> {
	const names = new Set<string>();
	const step = (s: RelationStep) => {
		names.add(`${s.from}.${s.field}`);
		if (s.kind === 'o2m') names.add(`${s.to}.${s.toColumn}`);
	};
	const visit = (node: RuleNode): void => {
		switch (node.kind) {
			case 'all':
				return;
			case 'and':
			case 'or':
				node.children.forEach(visit);
				return;
			case 'some':
			case 'none':
				step(node.relation);
				visit(node.rule);
				return;
			case 'condition':
				node.path.forEach(step);
				if (node.operand.kind === 'field') names.add(`${node.operand.collection}.${node.operand.field}`);
				else step(node.operand.relation);
		}
	};
	visit(rule);
	return names;
}

/** Validates a rule (object or JSON text) against the schema of `collection`; collects every problem it finds. */
export function parseRule(input: unknown, schema: RuleSchema, collection: string): ParseResult {
	let raw = input;
	if (typeof input === 'string') {
		if (byteLength(input) > RULE_LIMITS.maxBytes) return fail('rule: larger than 64 KB');
		try {
			raw = JSON.parse(input);
		} catch (error) {
			return fail(`rule: not valid JSON (${(error as Error).message})`);
		}
	} else {
		if (input === undefined || input === null) return fail('rule is required');
		let text: string | undefined;
		try {
			text = JSON.stringify(input);
		} catch {
			return fail('rule: not a JSON value (cyclic or too deep)');
		}
		if (text === undefined) return fail(`rule: expected a filter object, got ${typeof input}`);
		if (byteLength(text) > RULE_LIMITS.maxBytes) return fail('rule: larger than 64 KB');
	}
	if (raw === null || raw === undefined) return fail('rule is required');
	if (!isPlainObject(raw)) return fail(`rule: expected a filter object, got ${show(raw)}`);
	if (!has(schema.collections, collection)) return fail(`rule: collection "${collection}" does not exist`);
	const shape = measure(raw);
	if (shape.depth > RULE_LIMITS.maxDepth) return fail(`rule: nested deeper than ${RULE_LIMITS.maxDepth} levels`);
	if (shape.fieldDepth > MAX_FIELD_DEPTH) return fail(`rule: goes more than ${MAX_FIELD_DEPTH} fields deep (Directus's MAX_RELATIONAL_DEPTH)`);

	const parser = new RuleParser(schema);
	const node = parser.level(raw, collection, 'rule');
	if (parser.conditions > RULE_LIMITS.maxConditions) return fail(`rule: more than ${RULE_LIMITS.maxConditions} conditions (every value of an _in / _nin list counts as one)`);
	if (parser.joins > RULE_LIMITS.maxJoins) return fail(`rule: follows relations ${parser.joins} times (at most ${RULE_LIMITS.maxJoins}: each one is a join a refresh pays for every client)`);
	if (parser.errors.length > 0) {
		const errors = parser.errors.slice(0, MAX_ERRORS);
		if (parser.errors.length > MAX_ERRORS) errors.push(`… and ${parser.errors.length - MAX_ERRORS} more`);
		return { ok: false, errors };
	}
	return { ok: true, rule: node ?? { kind: 'all' } };
}

function fail(error: string): ParseResult {
	return { ok: false, errors: [error] };
}

function byteLength(text: string): number {
	return new TextEncoder().encode(text).length;
}

/** Object nesting depth, and Directus's field depth (non-operator keys along a path; a shorthand `field: value` counts
 *  as Directus first rewrites it to `field: {_eq: value}`), without recursion. */
function measure(root: unknown): { depth: number; fieldDepth: number } {
	let depth = 0;
	let fieldDepth = 0;
	const stack: Array<{ value: unknown; depth: number; fieldDepth: number }> = [{ value: root, depth: 0, fieldDepth: 0 }];
	while (stack.length > 0) {
		const { value, depth: d, fieldDepth: f } = stack.pop()!;
		if (Array.isArray(value)) {
			for (const item of value) stack.push({ value: item, depth: d, fieldDepth: f });
		} else if (typeof value === 'object' && value !== null) {
			depth = Math.max(depth, d + 1);
			if (d + 1 > RULE_LIMITS.maxDepth) continue;
			for (const [key, child] of Object.entries(value)) {
				const nested = typeof child === 'object' && child !== null;
				const f2 = key.startsWith('_') ? f : f + 1;
				fieldDepth = Math.max(fieldDepth, f2);
				if (nested) stack.push({ value: child, depth: d + 1, fieldDepth: f2 });
			}
		}
	}
	return { depth, fieldDepth };
}

type FieldInfo = { type: string; special?: string[] | null };

class RuleParser {
	readonly errors: string[] = [];
	conditions = 0;
	/** Relations followed in all (joins); each counted once per place it is written. */
	joins = 0;
	/** Relations followed from the rule's client to the current level (_some / _none bodies). */
	private levelHops = 0;
	private readonly schema: RuleSchema;

	constructor(schema: RuleSchema) {
		this.schema = schema;
	}

	/** One more relation followed, `pathHops` deep within the current level: false (with the error) past a limit. */
	private follow(pathHops: number, at: string): boolean {
		this.joins++;
		if (this.levelHops + pathHops > RULE_LIMITS.maxHops) {
			this.error(at, `follows more than ${RULE_LIMITS.maxHops} relations from the client (each one multiplies the rows a refresh reads); start from a closer field`);
			return false;
		}
		return true;
	}

	private error(path: string, message: string): null {
		this.errors.push(`${path}: ${message}`);
		return null;
	}

	/** A filter object at a logical position (the rule, an _and/_or member, a _some/_none body): keys are ANDed. */
	level(value: unknown, collection: string, path: string): RuleNode | null {
		if (!isPlainObject(value)) return this.error(path, `expected a filter object, got ${show(value)}`);
		const parts: RuleNode[] = [];
		for (const [key, child] of Object.entries(value)) {
			const childPath = keyPath(path, key);
			let node: RuleNode | null;
			if (key === '_and' || key === '_or') node = this.group(key, child, collection, childPath);
			else if (key.startsWith('_')) {
				node = this.error(childPath, key === '_some' || key === '_none'
					? `${key} must follow a one-to-many field`
					: `unknown logical operator "${key}" (expected _and, _or or a field of "${collection}")`);
			} else node = this.field(key, child, collection, [], childPath);
			if (node) parts.push(node);
		}
		return combine('and', parts);
	}

	private group(kind: '_and' | '_or', value: unknown, collection: string, path: string): RuleNode | null {
		if (!Array.isArray(value)) return this.error(path, `expected a list of filters, got ${show(value)}`);
		const parts: RuleNode[] = [];
		let hasEmptyMember = false;
		value.forEach((member, i) => {
			if (isPlainObject(member) && Object.keys(member).length === 0) hasEmptyMember = true;
			const node = this.level(member, collection, `${path}[${i}]`);
			if (node) parts.push(node);
		});
		// Directus skips an _or that has an empty member entirely (an empty filter matches anything)
		if (kind === '_or' && hasEmptyMember) return null;
		return combine(kind === '_and' ? 'and' : 'or', parts);
	}

	/** `key: value` where key names a field (or count(alias)) of `collection`, reached through `path`. */
	private field(key: string, value: unknown, collection: string, path: RelationStep[], at: string): RuleNode | null {
		const count = COUNT_KEY.exec(key);
		if (count) return this.count(count[1]!, value, collection, path, at);
		if (key.includes('(')) return this.error(at, `unsupported function in "${key}" (only count(<one-to-many field>) is)`);
		const fields = this.schema.collections[collection]!.fields;
		if (!has(fields, key) || !IDENTIFIER.test(key)) return this.error(at, `unknown field ${JSON.stringify(key)} in collection "${collection}"`);
		const info = fields[key]!;
		const relation = this.relationOf(collection, key);
		if (relation === 'unsupported') return this.error(at, `field "${collection}.${key}" is a relation segment rules can't follow (many-to-any or unknown collection)`);

		// shorthand `field: value` is _eq, as in Directus
		if (!isPlainObject(value)) {
			if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return this.field(key, { _eq: value }, collection, path, at);
			return this.error(at, `expected an operator object like {"_eq": …}, got ${show(value)}`);
		}
		const keys = Object.keys(value);
		if (keys.length === 0) return this.error(at, 'empty condition');
		if (keys.length > 1) return this.error(at, `one operator or nested field per object, got ${keys.map((k) => `"${k}"`).join(', ')} (combine conditions with _and)`);
		const inner = keys[0]!;
		const innerValue = value[inner];
		const innerAt = keyPath(at, inner);

		if (inner === '_some' || inner === '_none') {
			if (relation?.kind !== 'o2m') return this.error(innerAt, `${inner} applies to one-to-many fields; "${collection}.${key}" is not one`);
			if (path.length > 0) return this.error(innerAt, `${inner} can only follow a field at the top of a filter (or of another _some / _none), not after "${path.map((s) => s.field).join('.')}"`);
			// Directus 12.4 reads a quantifier's body through its first key only (getOperation) and drops the whole
			// condition when that is missing or a logical operator: allow exactly the bodies it applies
			const bodyKeys = isPlainObject(innerValue) ? Object.keys(innerValue) : [];
			if (bodyKeys.length !== 1 || bodyKeys[0] === '_and' || bodyKeys[0] === '_or') {
				if (bodyKeys.length === 0) {
					return this.error(innerAt, `${inner} needs a condition (Directus 12.4 ignores an empty one); for clients with${inner === '_none' ? 'out' : ''} any ${key} write {"${key}": {"${inner}": {"${relation.toColumn}": {"_nnull": true}}}}`);
				}
				return this.error(innerAt, `${inner} must hold exactly one condition (Directus 12.4 silently ignores one with several, or with _and / _or); for several conditions on the same related row put them side by side in the rule's top-level _and: [{"${key}": {…}}, {"${key}": {…}}]`);
			}
			this.conditions++;
			if (!this.follow(1, innerAt)) return null;
			this.levelHops++;
			const body = this.level(innerValue, relation.to, innerAt);
			this.levelHops--;
			return { kind: inner === '_some' ? 'some' : 'none', relation, rule: body ?? { kind: 'all' } };
		}
		if (inner === '_and' || inner === '_or') return this.error(innerAt, `${inner} goes around conditions, not inside a field`);
		if (inner.startsWith('_')) {
			if (relation?.kind === 'o2m') return this.error(innerAt, `"${collection}.${key}" is a one-to-many field: use _some, _none or a nested field`);
			return this.operator(inner, innerValue, { kind: 'field', collection, field: key, type: info.type }, info, path, innerAt);
		}
		// a nested field: follow the relation (a LEFT JOIN in Directus, shared by conditions on the same path)
		if (!relation) return this.error(at, `"${collection}.${key}" is not a relational field, so "${inner}" can't follow it`);
		if (!this.follow(path.length + 1, at)) return null;
		return this.field(inner, innerValue, relation.to, [...path, relation], innerAt);
	}

	private count(alias: string, value: unknown, collection: string, path: RelationStep[], at: string): RuleNode | null {
		const fields = this.schema.collections[collection]!.fields;
		const relation = has(fields, alias) && IDENTIFIER.test(alias) ? this.relationOf(collection, alias) : null;
		if (!relation || relation === 'unsupported' || relation.kind !== 'o2m') return this.error(at, `count() takes a one-to-many field of "${collection}", got ${JSON.stringify(alias)}`);
		if (!isPlainObject(value) || Object.keys(value).length !== 1 || !Object.keys(value)[0]!.startsWith('_')) {
			return this.error(at, `expected one operator like {"_gt": 2}, got ${show(value)}`);
		}
		const [operator, operand] = Object.entries(value)[0]!;
		return this.operator(operator, operand, { kind: 'count', relation }, { type: 'integer' }, path, keyPath(at, operator));
	}

	/** The relation a field starts: many-to-one (its key) or one-to-many (an alias listed as one_field). */
	private relationOf(collection: string, field: string): RelationStep | 'unsupported' | null {
		const collections = this.schema.collections;
		for (const r of this.schema.relations) {
			if (r.collection === collection && r.field === field) {
				if (!r.related_collection || !has(collections, r.related_collection)) return 'unsupported';
				const primary = collections[r.related_collection]!.primary;
				if (!IDENTIFIER.test(r.related_collection) || !IDENTIFIER.test(primary)) return 'unsupported';
				return { field, kind: 'm2o', from: collection, to: r.related_collection, fromColumn: field, toColumn: primary };
			}
			if (r.related_collection === collection && r.meta?.one_field === field) {
				if (!has(collections, r.collection) || !IDENTIFIER.test(r.collection) || !IDENTIFIER.test(r.field)) return 'unsupported';
				const primary = collections[collection]!.primary;
				if (!IDENTIFIER.test(primary)) return 'unsupported';
				return { field, kind: 'o2m', from: collection, to: r.collection, fromColumn: primary, toColumn: r.field };
			}
		}
		return null;
	}

	private operator(operator: string, value: unknown, operand: ConditionNode['operand'], info: FieldInfo, path: RelationStep[], at: string): RuleNode | null {
		const subject = operand.kind === 'field' ? `"${operand.collection}.${operand.field}"` : `count(${operand.relation.field})`;
		if (!KNOWN_OPERATORS.has(operator)) return this.error(at, `unknown operator "${operator}"`);
		const typeClass = has(TYPE_CLASSES, info.type) ? TYPE_CLASSES[info.type] : undefined;
		if (!typeClass) return this.error(at, `${subject} is of type "${info.type}", which segment rules can't filter on`);
		const allowed = info.special?.includes('conceal') ? ALL_ALLOWED.hash : ALL_ALLOWED[typeClass];
		if (!(allowed as readonly string[]).includes(operator)) {
			return this.error(at, `operator "${operator}" does not apply to ${subject} (type ${info.type}; Directus allows ${allowed.join(' ')})`);
		}
		this.conditions++;
		const op = operator as Operator;
		const node = (o: Operator, values: RuleValue[]): ConditionNode => ({ kind: 'condition', path, operand, operator: o, values });

		if ((NULL_OPERATORS as readonly string[]).includes(op)) {
			const flag = coerce(value);
			if (typeof flag !== 'boolean') return this.error(at, `expected true or false, got ${show(value)}`);
			return node(flag ? op : NEGATED_NULL_OPERATOR[op as (typeof NULL_OPERATORS)[number]], []);
		}
		if ((LIST_OPERATORS as readonly string[]).includes(op) || (RANGE_OPERATORS as readonly string[]).includes(op)) {
			const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : isPlainObject(value) ? Object.values(value) : [value];
			if (items.length === 0) return this.error(at, 'expected at least one value');
			const range = (RANGE_OPERATORS as readonly string[]).includes(op);
			if (range && items.length !== 2) return this.error(at, `expected two values (from, to), got ${items.length}`);
			const values: RuleValue[] = [];
			let valid = true;
			items.forEach((item, i) => {
				const v = this.value(item, typeClass, `${at}[${i}]`, true);
				if (v === null) valid = false;
				else values.push(v);
			});
			// each value is bound on its own: a long list costs what as many conditions cost
			this.conditions += values.length - 1;
			return valid ? node(op, values) : null;
		}
		if ((op === '_eq' || op === '_neq') && coerce(value) === null) return node(op === '_eq' ? '_null' : '_nnull', []);
		const v = this.value(value, typeClass, at, false);
		return v === null ? null : node(op, [v]);
	}

	/** One operand value, typed by the field (Directus's coercions first: "true"/"false"/"null", $NOW). */
	private value(raw: unknown, typeClass: TypeClass, at: string, inList: boolean): RuleValue | null {
		if (typeof raw === 'string') {
			if (raw.startsWith('$NOW')) {
				if (typeClass !== 'temporal') return this.error(at, '$NOW only applies to date fields');
				return this.now(raw, at);
			}
			const variable = SESSION_VARIABLES.find((v) => raw.startsWith(v));
			if (variable) return this.error(at, `${variable} is not meaningful for a segment (it depends on who is looking)`);
		}
		const v = coerce(raw);
		if (v === null) return this.error(at, `expected a value, got ${JSON.stringify(raw)} (Directus reads it as null; use _null / _nnull)`);
		if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return this.error(at, `expected a single value, got ${show(v)}`);
		if (typeof v === 'number' && (!Number.isFinite(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER)) return this.error(at, `not a usable number: ${show(raw)}`);
		if (v === '' && !inList) return this.error(at, 'empty value (use _empty / _nempty)');
		switch (typeClass) {
			case 'integer':
			case 'number': {
				const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
				if (!Number.isFinite(n) || Math.abs(n) > Number.MAX_SAFE_INTEGER) return this.error(at, `expected a number, got ${show(raw)}`);
				// PostgreSQL refuses 2.5 for an integer column (Directus then fails): refuse it here
				if (typeClass === 'integer' && !Number.isInteger(n)) return this.error(at, `expected a whole number, got ${show(raw)}`);
				return n;
			}
			case 'text':
				if (typeof v === 'boolean') return this.error(at, `expected text, got ${show(raw)}${typeof raw === 'string' ? ' (Directus reads it as a boolean)' : ''}`);
				return v;
			case 'uuid':
				if (typeof v !== 'string' || !UUID.test(v)) return this.error(at, `expected a UUID, got ${show(raw)}`);
				return v;
			case 'boolean':
				if (typeof v !== 'boolean') return this.error(at, `expected true or false, got ${show(raw)}`);
				return v;
			case 'temporal':
				if (typeof v !== 'string' || !validDateText(v)) return this.error(at, `expected a date like "2024-01-31", "2024-01-31T18:00:00Z" or "$NOW(-30 days)", got ${show(raw)}`);
				return { kind: 'date', text: v };
			case 'hash':
				return this.error(at, 'hashed fields only take _null / _nnull / _empty / _nempty');
		}
	}

	private now(raw: string, at: string): NowValue | null {
		const value = this.nowForm(raw, at);
		if (value?.offset && Math.abs(value.offset.amount) * UNIT_YEARS[value.offset.unit] > MAX_NOW_OFFSET_YEARS) {
			return this.error(at, `the $NOW adjustment ${show(raw)} reaches more than ${MAX_NOW_OFFSET_YEARS} years away`);
		}
		return value;
	}

	private nowForm(raw: string, at: string): NowValue | null {
		const form = NOW_FORM.exec(raw);
		if (!form) return this.error(at, `expected $NOW or $NOW(±N unit), got ${show(raw)}`);
		if (form[1] === undefined) return { kind: 'now', offset: null };
		let adjustment = form[1];
		const subtract = adjustment.startsWith('-');
		if (subtract || adjustment.startsWith('+')) adjustment = adjustment.slice(1);
		const parts = NOW_ADJUSTMENT.exec(adjustment);
		const unitName = parts?.[2]?.toLowerCase() ?? 'days';
		const unit = parts && has(NOW_UNITS, unitName) ? NOW_UNITS[unitName] : undefined;
		if (!parts || !unit) return this.error(at, `can't read the $NOW adjustment ${show(form[1])} (e.g. "-30 days", "+1 month", "-2 weeks")`);
		const amount = Number.parseFloat(parts[1]!);
		return { kind: 'now', offset: { amount: subtract ? -amount : amount, unit } };
	}
}

const NEGATED_NULL_OPERATOR = { _null: '_nnull', _nnull: '_null', _empty: '_nempty', _nempty: '_empty' } as const;

/** Directus's parseFilter reads these strings as values everywhere in a filter. */
function coerce(value: unknown): unknown {
	if (value === 'true') return true;
	if (value === 'false') return false;
	if (value === 'null' || value === 'NULL') return null;
	return value;
}

function validDateText(text: string): boolean {
	const m = DATE_TEXT.exec(text);
	if (!m) return false;
	const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
	// JavaScript rolls Feb 30 over to Mar 1 where PostgreSQL refuses it: require a real calendar date
	if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return false;
	if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || (m[6] !== undefined && Number(m[6]) > 59))) return false;
	return Number.isFinite(Date.parse(text));
}

function combine(kind: 'and' | 'or', parts: RuleNode[]): RuleNode | null {
	if (parts.length === 0) return null;
	if (parts.length === 1) return parts[0]!;
	return { kind, children: parts };
}
