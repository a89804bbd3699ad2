// A parsed segment rule (core/rule.ts) as one SQL boolean over a row alias of the rule's collection, e.g.
//   SELECT c.id FROM "clients" AS c WHERE <sql>
// with the result Directus 12.4's REST filtering gives on the same database (run-ast apply-query/filter):
//   - each filter level (the rule, every _some/_none body) LEFT JOINs the relation paths its conditions go
//     through, one join per distinct path, and holds for a row when some combination of joined rows (or the all-null
//     row of an empty join) meets it — here `EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN … WHERE …)`;
//   - _some / _none are (NOT) EXISTS on the many side (Directus's `pk [NOT] IN (SELECT fk … WHERE fk IS NOT NULL)`);
//   - operators are the same SQL as Directus's knex calls, so NULLs behave the same (`_neq`, `_nin`, `_ncontains`
//     leave NULLs out); LIKE patterns are built as Directus builds them — without escaping, so `%` and `_` in a value
//     are wildcards — and _i* operators compare LOWER(column) with the JavaScript-lowercased value;
//   - dates are bound as Directus binds them: on SQLite epoch milliseconds as text (compared numerically against the
//     epoch-ms integers Directus stores), on PostgreSQL the text as written (or $NOW's ISO instant) for the server to
//     read as the column's own type.
// The expression is TRUE for members, FALSE or NULL for the others (as in a WHERE): negate it with care.
// Identifiers come only from the validated rule and go through q(); every value is a binding.
import { LIKE_OPERATORS, resolveNow, type ConditionNode, type QuantifierNode, type RelationStep, type RuleNode, type RuleValue } from '../core/rule.ts';
import { q } from './restriction.ts';
import type { Dialect } from './sql-dialect.ts';

export interface CompileOptions {
	dialect: Dialect;
	/** Alias of the rule collection's row in the enclosing query. */
	alias: string;
	/** The instant $NOW stands for (epoch ms). */
	asOfMs: number;
}

export interface CompiledRule {
	sql: string;
	bindings: unknown[];
}

/** The text operators: pattern before and after the value, case-insensitive, negated. */
const LIKE_PATTERNS: Record<(typeof LIKE_OPERATORS)[number], readonly [string, string, boolean, boolean]> = {
	_contains: ['%', '%', false, false],
	_ncontains: ['%', '%', false, true],
	_icontains: ['%', '%', true, false],
	_starts_with: ['', '%', false, false],
	_nstarts_with: ['', '%', false, true],
	_istarts_with: ['', '%', true, false],
	_nistarts_with: ['', '%', true, true],
	_ends_with: ['%', '', false, false],
	_nends_with: ['%', '', false, true],
	_iends_with: ['%', '', true, false],
	_niends_with: ['%', '', true, true],
};

/** Aliases the compiler makes up: the caller's alias must not look like one. */
const OWN_ALIAS = /^r_\d+$/;

export function compileRule(rule: RuleNode, opts: CompileOptions): CompiledRule {
	if (OWN_ALIAS.test(opts.alias)) throw new Error(`compileRule: alias ${JSON.stringify(opts.alias)} clashes with the compiler's own`);
	const compiler = new RuleCompiler(opts);
	return { sql: compiler.root(rule, q(opts.alias)), bindings: compiler.bindings };
}

/** The joins of one filter level: each distinct relation path once, keyed by its field names. */
interface Level {
	base: string;
	aliases: Map<string, string>;
	joins: string[];
}

class RuleCompiler {
	readonly bindings: unknown[] = [];
	private readonly opts: CompileOptions;
	private aliasCount = 0;

	constructor(opts: CompileOptions) {
		this.opts = opts;
	}

	root(rule: RuleNode, base: string): string {
		const level: Level = { base, aliases: new Map(), joins: [] };
		const where = this.expr(rule, level);
		if (level.joins.length === 0) return where;
		// the joins hang off the outer row: a one-row FROM keeps a row without related rows (all-null join row)
		return `EXISTS (SELECT 1 FROM (SELECT 1) AS ${this.alias()} ${level.joins.join(' ')} WHERE ${this.driven(where)})`;
	}

	/**
	 * A sub-query level's conditions, kept from choosing its join order. SQLite (no statistics) would start a
	 * correlated sub-query at any row a condition's index finds — a product by its unique SKU, deals by an indexed
	 * status — and then read every related row of it once per outer row (65 ms per client for one SKU rule at 100k
	 * clients). Inside COALESCE they use no index and keep the LEFT JOINs LEFT, so the correlated row drives; the
	 * WHERE result is the same (NULL and FALSE both fail). PostgreSQL plans these as joins with statistics.
	 */
	private driven(where: string): string {
		return this.opts.dialect.pg ? where : `COALESCE(${where}, FALSE)`;
	}

	private alias(): string {
		return q(`r_${++this.aliasCount}`);
	}

	private bind(value: RuleValue): string {
		this.bindings.push(this.sqlValue(value));
		return '?';
	}

	private sqlValue(value: RuleValue): unknown {
		if (typeof value !== 'object') return value;
		const ms = value.kind === 'now' ? resolveNow(value, this.opts.asOfMs) : new Date(value.text).getTime();
		if (!this.opts.dialect.pg) return String(ms);
		return value.kind === 'now' ? new Date(ms).toISOString() : value.text;
	}

	private expr(node: RuleNode, level: Level): string {
		switch (node.kind) {
			case 'all':
				return '1 = 1';
			case 'and':
			case 'or':
				return `(${node.children.map((child) => this.expr(child, level)).join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
			case 'some':
			case 'none':
				return this.quantifier(node, level);
			case 'condition':
				return this.condition(node, level);
		}
	}

	private quantifier(node: QuantifierNode, outer: Level): string {
		const rel = node.relation;
		const many = this.alias();
		const level: Level = { base: many, aliases: new Map(), joins: [] };
		const link = `${many}.${q(rel.toColumn)} = ${outer.base}.${q(rel.fromColumn)}`;
		const where = node.rule.kind === 'all' ? link : `${link} AND ${this.driven(this.expr(node.rule, level))}`;
		const joins = level.joins.length > 0 ? ` ${level.joins.join(' ')}` : '';
		return `${node.kind === 'none' ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${q(rel.to)} AS ${many}${joins} WHERE ${where})`;
	}

	/** The alias of the row at the end of a path, joining what this level has not joined yet. */
	private rowAt(level: Level, path: RelationStep[]): string {
		let owner = level.base;
		let key = '';
		for (const step of path) {
			key = key ? `${key}.${step.field}` : step.field;
			let alias = level.aliases.get(key);
			if (!alias) {
				alias = this.alias();
				level.aliases.set(key, alias);
				level.joins.push(`LEFT JOIN ${q(step.to)} AS ${alias} ON ${alias}.${q(step.toColumn)} = ${owner}.${q(step.fromColumn)}`);
			}
			owner = alias;
		}
		return owner;
	}

	private condition(node: ConditionNode, level: Level): string {
		const owner = this.rowAt(level, node.path);
		const operand = node.operand;
		let x: string;
		if (operand.kind === 'field') x = `${owner}.${q(operand.field)}`;
		else {
			const rel = operand.relation;
			const counted = this.alias();
			x = `(SELECT COUNT(*) FROM ${q(rel.to)} AS ${counted} WHERE ${counted}.${q(rel.toColumn)} = ${owner}.${q(rel.fromColumn)})`;
		}
		const [first, second] = node.values;
		const one = () => this.bind(first!);
		const list = () => node.values.map((v) => this.bind(v)).join(', ');
		const like = (before: string, after: string, lower: boolean) => {
			const text = String(first);
			this.bindings.push(`${before}${lower ? text.toLowerCase() : text}${after}`);
			return '?';
		};
		const pattern = (LIKE_PATTERNS as Partial<Record<string, (typeof LIKE_PATTERNS)[keyof typeof LIKE_PATTERNS]>>)[node.operator];
		if (pattern) {
			// as Directus writes them: NOT (x LIKE p) for the case-sensitive negations, LOWER(x) NOT LIKE p for the others
			const [before, after, lower, negated] = pattern;
			const column = lower ? `LOWER(${x})` : x;
			const p = like(before, after, lower);
			return negated ? (lower ? `${column} NOT LIKE ${p}` : `NOT (${column} LIKE ${p})`) : `${column} LIKE ${p}`;
		}
		switch (node.operator) {
			case '_null':
				return `${x} IS NULL`;
			case '_nnull':
				return `${x} IS NOT NULL`;
			case '_empty':
				return `(${x} IS NULL OR ${x} = ${this.bind('')})`;
			case '_nempty':
				return `(${x} IS NOT NULL AND ${x} <> ${this.bind('')})`;
			case '_eq':
				return `${x} = ${one()}`;
			case '_neq':
				return `NOT (${x} = ${one()})`;
			case '_lt':
				return `${x} < ${one()}`;
			case '_lte':
				return `${x} <= ${one()}`;
			case '_gt':
				return `${x} > ${one()}`;
			case '_gte':
				return `${x} >= ${one()}`;
			case '_in':
				return `${x} IN (${list()})`;
			case '_nin':
				return `${x} NOT IN (${list()})`;
			case '_between':
				return `${x} BETWEEN ${this.bind(first!)} AND ${this.bind(second!)}`;
			case '_nbetween':
				return `${x} NOT BETWEEN ${this.bind(first!)} AND ${this.bind(second!)}`;
			default:
				throw new Error(`compileRule: no SQL for operator ${node.operator}`);
		}
	}
}
