// Decoding JSON bodies the way listmonk's Go handlers do (encoding/json into a struct), so that clients see the same
// 400s: Go's syntax-error texts and byte offsets, "Unmarshal type error: expected=int, got=string, field=lists",
// case-insensitive field names, null leaving scalar fields untouched, unknown fields ignored.

export type GoType = 'string' | 'int' | 'bool' | 'ints' | 'strings' | 'map' | 'any' | 'headers' | 'time';

/** A Go struct as far as decoding is concerned: its type name (for messages) and its JSON fields. */
export interface GoStruct {
	name: string;
	fields: Record<string, GoType>;
}

type JNode =
	| { kind: 'object'; start: number; entries: [string, JNode][] }
	| { kind: 'array'; start: number; items: JNode[] }
	| { kind: 'string'; start: number; end: number; value: string }
	| { kind: 'number'; start: number; end: number; raw: string }
	| { kind: 'bool'; start: number; end: number; value: boolean }
	| { kind: 'null'; start: number; end: number };

export type DecodeFailure =
	| { kind: 'syntax'; offset: number; text: string }
	| { kind: 'eof' }
	| { kind: 'empty' }
	| { kind: 'type'; value: string; goType: string; field: string; offset: number; struct: string };

export type DecodeResult = { ok: true; values: Map<string, unknown> } | { ok: false; failure: DecodeFailure };

class SyntaxFailure {
	readonly offset: number;
	readonly text: string;
	constructor(offset: number, text: string) {
		this.offset = offset;
		this.text = text;
	}
}
class EofFailure {}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** Go's quoteChar: how a byte is shown in "invalid character ... " messages. */
function quoteChar(c: number): string {
	if (c === 0x27) return `'\\''`;
	if (c === 0x22) return `'"'`;
	const escapes: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 0x5c: '\\\\' };
	if (escapes[c]) return `'${escapes[c]}'`;
	if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
	if (c >= 0x80 && c < 0xa0) return `'\\u00${c.toString(16).padStart(2, '0')}'`;
	return `'${String.fromCharCode(c)}'`;
}

/** A recursive-descent reader over bytes with Go's scanner messages; offsets are Go's (bytes read, 1-based). */
class Reader {
	private readonly buf: Buffer;
	pos = 0;

	constructor(buf: Buffer) {
		this.buf = buf;
	}

	private fail(at: number, context: string): never {
		if (at >= this.buf.length) throw new EofFailure();
		throw new SyntaxFailure(at + 1, `invalid character ${quoteChar(this.buf[at]!)} ${context}`);
	}

	private byte(at: number): number {
		if (at >= this.buf.length) throw new EofFailure();
		return this.buf[at]!;
	}

	skipSpace(): void {
		while (this.pos < this.buf.length && isSpace(this.buf[this.pos]!)) this.pos++;
	}

	atEnd(): boolean {
		return this.pos >= this.buf.length;
	}

	value(): JNode {
		this.skipSpace();
		const start = this.pos;
		const c = this.byte(start);
		if (c === 0x7b) return this.object();
		if (c === 0x5b) return this.array();
		if (c === 0x22) {
			const value = this.string();
			return { kind: 'string', start, end: this.pos, value };
		}
		if (c === 0x2d || isDigit(c)) return this.number();
		if (c === 0x74) return this.literal('true', { kind: 'bool', start, end: start + 4, value: true });
		if (c === 0x66) return this.literal('false', { kind: 'bool', start, end: start + 5, value: false });
		if (c === 0x6e) return this.literal('null', { kind: 'null', start, end: start + 4 });
		return this.fail(start, 'looking for beginning of value');
	}

	private literal(word: string, node: JNode): JNode {
		for (let i = 1; i < word.length; i++) {
			if (this.byte(this.pos + i) !== word.charCodeAt(i)) this.fail(this.pos + i, `in literal ${word} (expecting '${word[i]}')`);
		}
		this.pos += word.length;
		return node;
	}

	private number(): JNode {
		const start = this.pos;
		let p = start;
		if (this.buf[p] === 0x2d) {
			p++;
			if (!isDigit(this.byte(p))) this.fail(p, 'in numeric literal');
		}
		if (this.buf[p] === 0x30) p++;
		else while (p < this.buf.length && isDigit(this.buf[p]!)) p++;
		if (p < this.buf.length && this.buf[p] === 0x2e) {
			p++;
			if (!isDigit(this.byte(p))) this.fail(p, 'after decimal point in numeric literal');
			while (p < this.buf.length && isDigit(this.buf[p]!)) p++;
		}
		if (p < this.buf.length && (this.buf[p] === 0x65 || this.buf[p] === 0x45)) {
			p++;
			if (this.byte(p) === 0x2b || this.buf[p] === 0x2d) p++;
			if (!isDigit(this.byte(p))) this.fail(p, 'in exponent of numeric literal');
			while (p < this.buf.length && isDigit(this.buf[p]!)) p++;
		}
		// a number at the very end of the body is complete only for a top-level value; inside a container EOF follows
		this.pos = p;
		return { kind: 'number', start, end: p, raw: this.buf.toString('latin1', start, p) };
	}

	private string(): string {
		let p = this.pos + 1;
		let out = '';
		let runStart = p;
		for (;;) {
			const c = this.byte(p);
			if (c === 0x22) {
				out += this.buf.toString('utf8', runStart, p);
				this.pos = p + 1;
				return out;
			}
			if (c < 0x20) this.fail(p, 'in string literal');
			if (c === 0x5c) {
				out += this.buf.toString('utf8', runStart, p);
				const e = this.byte(p + 1);
				const simple: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' };
				if (simple[e] !== undefined) {
					out += simple[e];
					p += 2;
				} else if (e === 0x75) {
					for (let i = 2; i < 6; i++) if (!isHex(this.byte(p + i))) this.fail(p + i, 'in \\u hexadecimal character escape');
					out += String.fromCharCode(parseInt(this.buf.toString('latin1', p + 2, p + 6), 16));
					p += 6;
				} else {
					this.fail(p + 1, 'in string escape code');
				}
				runStart = p;
				continue;
			}
			p++;
		}
	}

	private object(): JNode {
		const start = this.pos;
		this.pos++;
		const entries: [string, JNode][] = [];
		this.skipSpace();
		if (this.byte(this.pos) === 0x7d) {
			this.pos++;
			return { kind: 'object', start, entries };
		}
		for (;;) {
			this.skipSpace();
			if (this.byte(this.pos) !== 0x22) this.fail(this.pos, 'looking for beginning of object key string');
			const key = this.string();
			this.skipSpace();
			if (this.byte(this.pos) !== 0x3a) this.fail(this.pos, 'after object key');
			this.pos++;
			entries.push([key, this.value()]);
			this.skipSpace();
			const c = this.byte(this.pos);
			this.pos++;
			if (c === 0x2c) continue;
			if (c === 0x7d) return { kind: 'object', start, entries };
			this.fail(this.pos - 1, 'after object key:value pair');
		}
	}

	private array(): JNode {
		const start = this.pos;
		this.pos++;
		const items: JNode[] = [];
		this.skipSpace();
		if (this.byte(this.pos) === 0x5d) {
			this.pos++;
			return { kind: 'array', start, items };
		}
		for (;;) {
			items.push(this.value());
			this.skipSpace();
			const c = this.byte(this.pos);
			this.pos++;
			if (c === 0x2c) continue;
			if (c === 0x5d) return { kind: 'array', start, items };
			this.fail(this.pos - 1, 'after array element');
		}
	}
}

/**
 * Reads one JSON value. `decoder` mode is json.NewDecoder(...).Decode (echo's Bind): bytes after the first value are
 * ignored and an empty body is io.EOF. `unmarshal` mode is json.Unmarshal: the whole input must be one value.
 */
export function parseGoJson(buf: Buffer, mode: 'decoder' | 'unmarshal'): { ok: true; node: JNode } | { ok: false; failure: DecodeFailure } {
	const reader = new Reader(buf);
	try {
		reader.skipSpace();
		if (reader.atEnd()) return { ok: false, failure: mode === 'decoder' ? { kind: 'empty' } : { kind: 'eof' } };
		const node = reader.value();
		if (mode === 'unmarshal') {
			reader.skipSpace();
			if (!reader.atEnd()) {
				const at = reader.pos;
				return { ok: false, failure: { kind: 'syntax', offset: at + 1, text: `invalid character ${quoteChar(buf[at]!)} after top-level value` } };
			}
		}
		return { ok: true, node };
	} catch (error) {
		if (error instanceof SyntaxFailure) return { ok: false, failure: { kind: 'syntax', offset: error.offset, text: error.text } };
		if (error instanceof EofFailure) return { ok: false, failure: { kind: 'eof' } };
		throw error;
	}
}

/** The node as a plain JS value (what Go decodes into an interface{}). */
export function toPlain(node: JNode): unknown {
	switch (node.kind) {
		case 'object':
			return Object.fromEntries(node.entries.map(([k, v]) => [k, toPlain(v)]));
		case 'array':
			return node.items.map(toPlain);
		case 'number':
			return Number(node.raw);
		case 'null':
			return null;
		default:
			return node.value;
	}
}

const GO_TYPE_NAMES: Record<GoType, string> = { string: 'string', int: 'int', bool: 'bool', ints: '[]int', strings: '[]string', map: 'models.JSON', any: 'interface {}', headers: 'models.Headers', time: 'null.Time' };

/** What Go calls a JSON value in "cannot unmarshal X into ...". */
function goValueName(node: JNode): string {
	if (node.kind === 'bool') return 'bool';
	if (node.kind === 'number') return 'number';
	return node.kind;
}

/** Where Go reports a type mismatch: just inside a container, or after a literal. */
const typeOffset = (node: JNode): number => (node.kind === 'object' || node.kind === 'array' ? node.start + 1 : node.end);

const isGoInt = (raw: string): boolean => /^-?\d+$/.test(raw) && Math.abs(Number(raw)) <= Number.MAX_SAFE_INTEGER;

/** Decodes a parsed body into the struct's fields. Only fields present (and not a no-op null) are in the result. */
export function decodeStruct(node: JNode, struct: GoStruct): DecodeResult {
	const values = new Map<string, unknown>();
	let firstError: DecodeFailure | null = null;
	const mismatch = (n: JNode, goType: string, field: string, value = goValueName(n)): void => {
		firstError ??= { kind: 'type', value, goType, field, offset: typeOffset(n), struct: struct.name };
	};
	if (node.kind === 'null') return { ok: true, values };
	if (node.kind !== 'object') {
		mismatch(node, `main.${struct.name}`, '');
		return { ok: false, failure: firstError! };
	}
	const fieldNames = Object.keys(struct.fields);
	for (const [key, value] of node.entries) {
		const field = fieldNames.find((f) => f === key) ?? fieldNames.find((f) => f.toLowerCase() === key.toLowerCase());
		if (!field) continue;
		const type = struct.fields[field]!;
		const decoded = decodeField(value, type, field, mismatch);
		if (decoded !== NO_CHANGE) values.set(field, decoded);
	}
	return firstError ? { ok: false, failure: firstError } : { ok: true, values };
}

const NO_CHANGE = Symbol('no change');

function decodeScalar(node: JNode, type: 'string' | 'int' | 'bool', field: string, mismatch: (n: JNode, t: string, f: string, v?: string) => void): unknown {
	if (node.kind === 'null') return NO_CHANGE;
	if (type === 'string' && node.kind === 'string') return node.value;
	if (type === 'bool' && node.kind === 'bool') return node.value;
	if (type === 'int' && node.kind === 'number') {
		if (isGoInt(node.raw)) return Number(node.raw);
		mismatch(node, 'int', field, `number ${node.raw}`);
		return NO_CHANGE;
	}
	mismatch(node, type, field);
	return NO_CHANGE;
}

function decodeField(node: JNode, type: GoType, field: string, mismatch: (n: JNode, t: string, f: string, v?: string) => void): unknown {
	switch (type) {
		case 'string':
		case 'int':
		case 'bool':
			return decodeScalar(node, type, field, mismatch);
		case 'ints':
		case 'strings': {
			if (node.kind === 'null') return null;
			if (node.kind !== 'array') {
				mismatch(node, GO_TYPE_NAMES[type], field);
				return NO_CHANGE;
			}
			const element = type === 'ints' ? 'int' : 'string';
			return node.items.map((item) => {
				const v = decodeScalar(item, element, field, mismatch);
				return v === NO_CHANGE ? (element === 'int' ? 0 : '') : v;
			});
		}
		case 'map':
			if (node.kind === 'null') return null;
			if (node.kind !== 'object') {
				mismatch(node, 'models.JSON', field);
				return NO_CHANGE;
			}
			return toPlain(node);
		case 'headers': {
			if (node.kind === 'null') return null;
			if (node.kind !== 'array') {
				mismatch(node, 'models.Headers', field);
				return NO_CHANGE;
			}
			return node.items.map((item) => {
				if (item.kind === 'object') return Object.fromEntries(item.entries.map(([k, v]) => [k, v.kind === 'string' ? v.value : (mismatch(v, 'string', field), '')]));
				if (item.kind !== 'null') mismatch(item, 'map[string]string', field);
				return {};
			});
		}
		case 'time':
			if (node.kind === 'null') return null;
			if (node.kind !== 'string') {
				mismatch(node, 'null.Time', field);
				return NO_CHANGE;
			}
			return node.value;
		case 'any':
			return toPlain(node);
	}
}

/** Go's text for a decode failure (`err.Error()`), as json.Unmarshal returns it. */
export function goErrorText(failure: DecodeFailure, mode: 'decoder' | 'unmarshal'): string {
	switch (failure.kind) {
		case 'syntax':
			return failure.text;
		case 'eof':
			return mode === 'decoder' ? 'unexpected EOF' : 'unexpected end of JSON input';
		case 'empty':
			return 'EOF';
		case 'type':
			return failure.field === ''
				? `json: cannot unmarshal ${failure.value} into Go value of type ${failure.goType}`
				: `json: cannot unmarshal ${failure.value} into Go struct field ${failure.struct}.${failure.field} of type ${failure.goType}`;
	}
}

/** json.Unmarshal into a struct: the Go error text on failure. */
export function unmarshalStruct(buf: Buffer, struct: GoStruct): { ok: true; values: Map<string, unknown> } | { ok: false; error: string } {
	const parsed = parseGoJson(buf, 'unmarshal');
	if (!parsed.ok) return { ok: false, error: goErrorText(parsed.failure, 'unmarshal') };
	const decoded = decodeStruct(parsed.node, struct);
	return decoded.ok ? decoded : { ok: false, error: goErrorText(decoded.failure, 'unmarshal') };
}
