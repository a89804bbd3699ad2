// The `query` parameter: a SQL WHERE fragment listmonk pastes into
// `SELECT subscribers.* FROM subscribers LEFT JOIN subscriber_lists ... WHERE ... AND (<query>)`.
// We evaluate a useful subset in Postgres's three-valued logic: comparisons, IN, LIKE/ILIKE, regex, IS NULL,
// AND/OR/NOT, casts, `attribs->>'k'`, `attribs @> '{...}'`. Anything else fails like Postgres would at planning
// (`pq: syntax error at or near ...`), which listmonk reports as 400 `Error preparing subscriber query: ...`.
import { parseTimestamp } from './clock.ts';

/** What a row offers to the expression: the subscriber and, with a list filter, the joined membership. */
export interface QueryRow {
	subscriber: { id: number; uuid: string; email: string; name: string; status: string; attribs: Record<string, unknown>; createdAt: number; updatedAt: number };
	membership: { listId: number; status: string; meta: Record<string, unknown>; createdAt: number; updatedAt: number } | null;
}

export class QueryError extends Error {}

type SqlType = 'text' | 'num' | 'bool' | 'json' | 'ts' | 'unknown';
type Val = { t: SqlType; v: unknown } | null;
type Node = (row: QueryRow) => Val;

type Token = { kind: 'ident' | 'string' | 'number' | 'op' | 'punct'; text: string };

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'true', 'false', 'like', 'ilike', 'between', 'select', 'from', 'where']);

function tokenize(src: string): Token[] {
	const tokens: Token[] = [];
	let i = 0;
	while (i < src.length) {
		const c = src[i]!;
		if (/\s/.test(c)) {
			i++;
			continue;
		}
		if (c === "'") {
			let text = '';
			i++;
			for (;;) {
				if (i >= src.length) throw new QueryError(`pq: unterminated quoted string at or near "${src.slice(src.lastIndexOf("'", i - 1))}"`);
				if (src[i] === "'") {
					if (src[i + 1] === "'") {
						text += "'";
						i += 2;
						continue;
					}
					i++;
					break;
				}
				text += src[i++];
			}
			tokens.push({ kind: 'string', text });
			continue;
		}
		if (c === '"') {
			const end = src.indexOf('"', i + 1);
			if (end < 0) throw new QueryError(`pq: unterminated quoted identifier at or near "${src.slice(i)}"`);
			tokens.push({ kind: 'ident', text: src.slice(i + 1, end) });
			i = end + 1;
			continue;
		}
		const num = /^\d+(\.\d+)?/.exec(src.slice(i));
		if (num) {
			tokens.push({ kind: 'number', text: num[0] });
			i += num[0].length;
			continue;
		}
		const ident = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(src.slice(i));
		if (ident) {
			tokens.push({ kind: 'ident', text: ident[0] });
			i += ident[0].length;
			continue;
		}
		const op = /^(->>|->|::|<>|!=|<=|>=|!~\*|!~|~\*|@>|<@|[=<>~])/.exec(src.slice(i));
		if (op) {
			tokens.push({ kind: 'op', text: op[0] });
			i += op[0].length;
			continue;
		}
		if ('(),.'.includes(c)) {
			tokens.push({ kind: 'punct', text: c });
			i++;
			continue;
		}
		throw new QueryError(`pq: syntax error at or near "${c}"`);
	}
	return tokens;
}

const SUBSCRIBER_COLUMNS: Record<string, SqlType> = { id: 'num', uuid: 'text', email: 'text', name: 'text', status: 'text', attribs: 'json', created_at: 'ts', updated_at: 'ts' };
const MEMBERSHIP_COLUMNS: Record<string, SqlType> = { subscriber_id: 'num', list_id: 'num', status: 'text', meta: 'json', created_at: 'ts', updated_at: 'ts' };

function columnNode(table: 'subscribers' | 'subscriber_lists', column: string): Node {
	const type = (table === 'subscribers' ? SUBSCRIBER_COLUMNS : MEMBERSHIP_COLUMNS)[column]!;
	if (table === 'subscribers') {
		const key = ({ created_at: 'createdAt', updated_at: 'updatedAt' } as Record<string, string>)[column] ?? column;
		return (row) => ({ t: type, v: (row.subscriber as unknown as Record<string, unknown>)[key] });
	}
	return (row) => {
		const m = row.membership;
		if (!m) return null;
		const values: Record<string, unknown> = { subscriber_id: row.subscriber.id, list_id: m.listId, status: m.status, meta: m.meta, created_at: m.createdAt, updated_at: m.updatedAt };
		return { t: type, v: values[column] };
	};
}

function castTo(val: Val, type: string): Val {
	if (val === null) return null;
	const t = type.toLowerCase();
	if (['int', 'integer', 'bigint', 'smallint', 'int4', 'int8', 'numeric', 'float', 'real', 'decimal', 'double'].includes(t)) {
		const n = val.t === 'num' ? Number(val.v) : Number(String(val.v).trim());
		if (String(val.v).trim() === '' || Number.isNaN(n)) throw new QueryError(`pq: invalid input syntax for type ${t === 'int' ? 'integer' : t}: "${String(val.v)}"`);
		return { t: 'num', v: n };
	}
	if (['text', 'varchar', 'string'].includes(t)) return { t: 'text', v: val.t === 'json' ? JSON.stringify(val.v) : String(val.v) };
	if (['timestamp', 'timestamptz', 'date'].includes(t)) return { t: 'ts', v: toMicros(val) };
	if (['bool', 'boolean'].includes(t)) return { t: 'bool', v: toBool(val) };
	if (['json', 'jsonb'].includes(t)) return { t: 'json', v: val.t === 'json' ? val.v : parseJsonLiteral(String(val.v)) };
	throw new QueryError(`pq: type "${type}" does not exist`);
}

function toMicros(val: NonNullable<Val>): number {
	if (val.t === 'ts') return val.v as number;
	const parsed = parseTimestamp(String(val.v));
	if (parsed === null) throw new QueryError(`pq: invalid input syntax for type timestamp with time zone: "${String(val.v)}"`);
	return parsed;
}

function toBool(val: NonNullable<Val>): boolean {
	if (val.t === 'bool') return val.v as boolean;
	const s = String(val.v).trim().toLowerCase();
	if (['t', 'true', 'yes', 'on', '1'].includes(s)) return true;
	if (['f', 'false', 'no', 'off', '0'].includes(s)) return false;
	throw new QueryError(`pq: invalid input syntax for type boolean: "${String(val.v)}"`);
}

function parseJsonLiteral(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		throw new QueryError('pq: invalid input syntax for type json');
	}
}

/** Brings two operands to one type the way Postgres resolves an untyped literal against a typed column. */
function unify(a: NonNullable<Val>, b: NonNullable<Val>): [unknown, unknown, SqlType] {
	const typed = a.t !== 'unknown' ? a.t : b.t;
	if (typed === 'unknown') return [a.v, b.v, 'text'];
	const convert = (x: NonNullable<Val>): unknown => {
		if (x.t === typed) return x.v;
		if (typed === 'ts') return toMicros(x);
		if (typed === 'num') {
			if (x.t !== 'unknown') throw new QueryError(`pq: operator does not exist: ${x.t === 'text' ? 'text' : x.t} = integer`);
			return castTo(x, 'numeric')!.v;
		}
		if (typed === 'bool') return toBool(x);
		if (typed === 'json') return x.t === 'unknown' ? parseJsonLiteral(String(x.v)) : x.v;
		if (x.t === 'num' && typed === 'text') throw new QueryError('pq: operator does not exist: text = integer');
		return String(x.v);
	};
	return [convert(a), convert(b), typed];
}

const collator = new Intl.Collator('en');

function compare(op: string, a: Val, b: Val): Val {
	if (a === null || b === null) return null;
	const [x, y, type] = unify(a, b);
	if (type === 'json') {
		const eq = JSON.stringify(x) === JSON.stringify(y);
		if (op === '=') return { t: 'bool', v: eq };
		if (op === '<>' || op === '!=') return { t: 'bool', v: !eq };
		throw new QueryError(`pq: operator does not exist: jsonb ${op} jsonb`);
	}
	const order = typeof x === 'string' && typeof y === 'string' ? collator.compare(x, y) : (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : x === y ? 0 : Number.NaN;
	const exact = x === y;
	switch (op) {
		case '=':
			return { t: 'bool', v: exact };
		case '<>':
		case '!=':
			return { t: 'bool', v: !exact };
		case '<':
			return { t: 'bool', v: order < 0 };
		case '>':
			return { t: 'bool', v: order > 0 };
		case '<=':
			return { t: 'bool', v: order <= 0 || exact };
		case '>=':
			return { t: 'bool', v: order >= 0 || exact };
	}
	throw new QueryError(`pq: syntax error at or near "${op}"`);
}

function likeRegex(pattern: string, insensitive: boolean): RegExp {
	let re = '';
	for (let i = 0; i < pattern.length; i++) {
		const c = pattern[i]!;
		if (c === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
		else if (c === '%') re += '[\\s\\S]*';
		else if (c === '_') re += '[\\s\\S]';
		else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	}
	return new RegExp(`^${re}$`, insensitive ? 'i' : '');
}

function jsonContains(container: unknown, contained: unknown): boolean {
	if (Array.isArray(container)) {
		if (!Array.isArray(contained)) return container.some((c) => jsonContains(c, contained));
		return contained.every((c) => container.some((x) => jsonContains(x, c)));
	}
	if (container !== null && typeof container === 'object') {
		if (contained === null || typeof contained !== 'object' || Array.isArray(contained)) return false;
		return Object.entries(contained).every(([k, v]) => k in container && jsonContains((container as Record<string, unknown>)[k], v));
	}
	return container === contained;
}

const truth = (v: Val): boolean | null => (v === null ? null : v.t === 'bool' ? (v.v as boolean) : toBool(v));

class Parser {
	private readonly tokens: Token[];
	private pos = 0;

	constructor(tokens: Token[]) {
		this.tokens = tokens;
	}

	private peek(offset = 0): Token | undefined {
		return this.tokens[this.pos + offset];
	}

	private isWord(word: string, offset = 0): boolean {
		const t = this.peek(offset);
		return t?.kind === 'ident' && t.text.toLowerCase() === word;
	}

	private isOp(text: string): boolean {
		const t = this.peek();
		return (t?.kind === 'op' || t?.kind === 'punct') && t.text === text;
	}

	private syntaxError(): never {
		const t = this.peek();
		throw new QueryError(t ? `pq: syntax error at or near "${t.kind === 'string' ? `'${t.text}'` : t.text}"` : 'pq: syntax error at end of input');
	}

	private expect(text: string): void {
		if (!this.isOp(text)) this.syntaxError();
		this.pos++;
	}

	parse(): Node {
		const node = this.or();
		if (this.pos < this.tokens.length) this.syntaxError();
		return node;
	}

	private or(): Node {
		let left = this.and();
		while (this.isWord('or')) {
			this.pos++;
			const l = left;
			const r = this.and();
			left = (row) => {
				const a = truth(l(row));
				if (a === true) return { t: 'bool', v: true };
				const b = truth(r(row));
				if (b === true) return { t: 'bool', v: true };
				return a === null || b === null ? null : { t: 'bool', v: false };
			};
		}
		return left;
	}

	private and(): Node {
		let left = this.not();
		while (this.isWord('and')) {
			this.pos++;
			const l = left;
			const r = this.not();
			left = (row) => {
				const a = truth(l(row));
				if (a === false) return { t: 'bool', v: false };
				const b = truth(r(row));
				if (b === false) return { t: 'bool', v: false };
				return a === null || b === null ? null : { t: 'bool', v: true };
			};
		}
		return left;
	}

	private not(): Node {
		if (this.isWord('not')) {
			this.pos++;
			const inner = this.not();
			return (row) => {
				const v = truth(inner(row));
				return v === null ? null : { t: 'bool', v: !v };
			};
		}
		return this.predicate();
	}

	private predicate(): Node {
		const left = this.operand();
		const t = this.peek();
		if (t?.kind === 'op' && ['=', '<>', '!=', '<', '>', '<=', '>='].includes(t.text)) {
			this.pos++;
			const right = this.operand();
			return (row) => compare(t.text, left(row), right(row));
		}
		if (t?.kind === 'op' && ['~', '~*', '!~', '!~*'].includes(t.text)) {
			this.pos++;
			const right = this.operand();
			return (row) => {
				const a = left(row);
				const b = right(row);
				if (a === null || b === null) return null;
				let re: RegExp;
				try {
					re = new RegExp(String(b.v), t.text.includes('*') ? 'i' : '');
				} catch (error) {
					throw new QueryError(`pq: invalid regular expression: ${(error as Error).message}`);
				}
				const hit = re.test(String(a.v));
				return { t: 'bool', v: t.text.startsWith('!') ? !hit : hit };
			};
		}
		if (t?.kind === 'op' && (t.text === '@>' || t.text === '<@')) {
			this.pos++;
			const right = this.operand();
			return (row) => {
				const a = left(row);
				const b = right(row);
				if (a === null || b === null) return null;
				const av = a.t === 'json' ? a.v : parseJsonLiteral(String(a.v));
				const bv = b.t === 'json' ? b.v : parseJsonLiteral(String(b.v));
				return { t: 'bool', v: t.text === '@>' ? jsonContains(av, bv) : jsonContains(bv, av) };
			};
		}
		const negated = this.isWord('not') && (this.isWord('in', 1) || this.isWord('like', 1) || this.isWord('ilike', 1));
		if (negated) this.pos++;
		if (this.isWord('in')) {
			this.pos++;
			this.expect('(');
			// a list of plain literals of one kind (ids, addresses) is also kept as a set: a lookup by thousands of
			// ids over a big base stays fast, as Postgres's index makes it in Listmonk (same answers as the loop)
			const literals: Array<{ kind: string; text: string }> = [];
			const item = () => {
				const t = this.peek();
				const next = this.peek(1);
				const ends = (next?.kind === 'op' || next?.kind === 'punct') && (next.text === ',' || next.text === ')');
				if (t && (t.kind === 'number' || t.kind === 'string') && ends) literals.push({ kind: t.kind, text: t.text });
				return this.operand();
			};
			const items: Node[] = [item()];
			while (this.isOp(',')) {
				this.pos++;
				items.push(item());
			}
			this.expect(')');
			const kinds = new Set(literals.map((l) => l.kind));
			const lookup = literals.length === items.length && kinds.size === 1 ? { type: kinds.has('number') ? 'num' : 'text', values: new Set(literals.map((l) => (l.kind === 'number' ? Number(l.text) : l.text))) } : null;
			return (row) => {
				const a = left(row);
				if (a === null) return null;
				if (lookup && a.t === lookup.type) return { t: 'bool', v: lookup.values.has(a.v as string | number) !== negated };
				let sawNull = false;
				for (const item of items) {
					const r = truth(compare('=', a, item(row)));
					if (r === true) return { t: 'bool', v: !negated };
					if (r === null) sawNull = true;
				}
				return sawNull ? null : { t: 'bool', v: negated };
			};
		}
		if (this.isWord('like') || this.isWord('ilike')) {
			const insensitive = this.isWord('ilike');
			this.pos++;
			const right = this.operand();
			return (row) => {
				const a = left(row);
				const b = right(row);
				if (a === null || b === null) return null;
				const hit = likeRegex(String(b.v), insensitive).test(String(a.v));
				return { t: 'bool', v: negated ? !hit : hit };
			};
		}
		if (negated) this.syntaxError();
		if (this.isWord('is')) {
			this.pos++;
			const not = this.isWord('not');
			if (not) this.pos++;
			if (this.isWord('null')) {
				this.pos++;
				return (row) => ({ t: 'bool', v: (left(row) === null) !== not });
			}
			if (this.isWord('true') || this.isWord('false')) {
				const want = this.isWord('true');
				this.pos++;
				return (row) => ({ t: 'bool', v: (truth(left(row)) === want) !== not });
			}
			this.syntaxError();
		}
		return left;
	}

	/** A value: literal, column, JSON path, parenthesised expression, with optional casts. */
	private operand(): Node {
		let node = this.primary();
		for (;;) {
			if (this.isOp('::')) {
				this.pos++;
				const type = this.peek();
				if (type?.kind !== 'ident') this.syntaxError();
				this.pos++;
				// `timestamp with time zone`
				if (this.isWord('with') && this.isWord('time', 1) && this.isWord('zone', 2)) this.pos += 3;
				const inner = node;
				node = (row) => castTo(inner(row), type.text);
				continue;
			}
			if (this.isOp('->>') || this.isOp('->')) {
				const asText = this.isOp('->>');
				this.pos++;
				const key = this.peek();
				if (key?.kind !== 'string' && key?.kind !== 'number') this.syntaxError();
				this.pos++;
				const inner = node;
				node = (row) => {
					const base = inner(row);
					if (base === null) return null;
					if (base.t !== 'json') throw new QueryError(`pq: operator does not exist: ${base.t} ${asText ? '->>' : '->'} unknown`);
					const container = base.v as Record<string, unknown> | unknown[] | null;
					const value = key.kind === 'number' && Array.isArray(container) ? container[Number(key.text)] : container && typeof container === 'object' && !Array.isArray(container) ? container[key.text] : undefined;
					if (value === undefined) return null;
					if (!asText) return { t: 'json', v: value };
					if (value === null) return null;
					return { t: 'text', v: typeof value === 'string' ? value : JSON.stringify(value) };
				};
				continue;
			}
			return node;
		}
	}

	private primary(): Node {
		const t = this.peek();
		if (!t) this.syntaxError();
		if (t.kind === 'punct' && t.text === '(') {
			this.pos++;
			const inner = this.or();
			this.expect(')');
			return inner;
		}
		if (t.kind === 'string') {
			this.pos++;
			return () => ({ t: 'unknown', v: t.text });
		}
		if (t.kind === 'number') {
			this.pos++;
			return () => ({ t: 'num', v: Number(t.text) });
		}
		if (t.kind === 'op' && t.text === '-' && this.peek(1)?.kind === 'number') this.syntaxError();
		if (t.kind !== 'ident') this.syntaxError();
		const word = t.text.toLowerCase();
		if (word === 'null') {
			this.pos++;
			return () => null;
		}
		if (word === 'true' || word === 'false') {
			this.pos++;
			return () => ({ t: 'bool', v: word === 'true' });
		}
		if (KEYWORDS.has(word)) this.syntaxError();
		this.pos++;
		if (this.isOp('.')) {
			this.pos++;
			const column = this.peek();
			if (column?.kind !== 'ident') this.syntaxError();
			this.pos++;
			const name = column.text.toLowerCase();
			if (word === 'subscribers') {
				if (!(name in SUBSCRIBER_COLUMNS)) throw new QueryError(`pq: column subscribers.${column.text} does not exist`);
				return columnNode('subscribers', name);
			}
			if (word === 'subscriber_lists') {
				if (!(name in MEMBERSHIP_COLUMNS)) throw new QueryError(`pq: column subscriber_lists.${column.text} does not exist`);
				return columnNode('subscriber_lists', name);
			}
			throw new QueryError(`pq: missing FROM-clause entry for table "${t.text}"`);
		}
		if (this.isOp('(')) throw new QueryError(`pq: function ${t.text}() does not exist`);
		const inSubscribers = word in SUBSCRIBER_COLUMNS;
		const inMemberships = word in MEMBERSHIP_COLUMNS;
		if (inSubscribers && inMemberships) throw new QueryError(`pq: column reference "${t.text}" is ambiguous`);
		if (inSubscribers) return columnNode('subscribers', word);
		if (inMemberships) return columnNode('subscriber_lists', word);
		throw new QueryError(`pq: column "${t.text}" does not exist`);
	}
}

/** Compiles a query expression to a row predicate (true = the row is kept). Throws QueryError on what Postgres rejects. */
export function compileQuery(expression: string): (row: QueryRow) => boolean {
	if (/^\s*select\b/i.test(expression)) throw new QueryError(`pq: syntax error at or near "${expression.trim().split(/\s+/)[0]}"`);
	const node = new Parser(tokenize(expression)).parse();
	return (row) => truth(node(row)) === true;
}
