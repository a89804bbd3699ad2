// Request reading and echo's binding rules: which bodies are decoded (JSON, forms), which are skipped (Content-Length 0)
// and which are refused (415), plus c.FormValue and query-parameter helpers with listmonk's messages.
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from './auth.ts';
import { ApiError, badRequest } from './errors.ts';
import { decodeStruct, goErrorText, parseGoJson, type DecodeFailure, type GoStruct } from './go-json.ts';

/** One API request as the handlers see it. */
export interface Ctx {
	method: string;
	path: string;
	query: URLSearchParams;
	headers: IncomingHttpHeaders;
	body: Buffer;
	/** Go's Request.ContentLength: -1 for a chunked body of unknown length, 0 without a body */
	contentLength: number;
	params: Record<string, string>;
	/** the :id path parameter after hasID validated it */
	id: number;
	caller: Caller;
	/** the multipart or urlencoded form, parsed once */
	form(): Promise<FormData | null>;
}

/** A handler result sent as-is instead of inside `{"data": ...}` (e.g. the public lists array). */
export class Bare {
	readonly value: unknown;
	constructor(value: unknown) {
		this.value = value;
	}
}

/** A handler result with its own content type (CSV export). */
export class RawBody {
	readonly contentType: string;
	readonly body: Buffer;
	readonly headers: Record<string, string>;
	constructor(contentType: string, body: Buffer, headers: Record<string, string> = {}) {
		this.contentType = contentType;
		this.body = body;
		this.headers = headers;
	}
}

/** The media type as echo compares it for binding: before any `;`, trimmed, case kept. */
export function exactMediaType(headers: IncomingHttpHeaders): string {
	return (headers['content-type'] ?? '').split(';')[0]!.trim();
}

/** The media type for form parsing (Go's mime parsing ignores case). */
export function mediaType(headers: IncomingHttpHeaders): string {
	return exactMediaType(headers).toLowerCase();
}

/** echo's Deserialize errors: Go's decode failure as a 400 with echo's wording and the Go error as internal. */
export function decodeError(failure: DecodeFailure): ApiError {
	const internal = goErrorText(failure, 'decoder');
	switch (failure.kind) {
		case 'syntax':
			return badRequest(`Syntax error: offset=${failure.offset}, error=${failure.text}`, internal);
		case 'type':
			return badRequest(`Unmarshal type error: expected=${failure.goType}, got=${failure.value}, field=${failure.field}, offset=${failure.offset}`, internal);
		default:
			return badRequest(internal, internal);
	}
}

/**
 * c.Bind(&struct) for a body: skipped when Content-Length is 0, JSON decoded as Go does, form fields mapped by
 * name, anything else 415. Returns the fields that were present.
 */
export async function bindBody(ctx: Ctx, struct: GoStruct): Promise<Map<string, unknown>> {
	if (ctx.contentLength === 0) return new Map();
	const type = exactMediaType(ctx.headers);
	if (type === 'application/json') {
		const parsed = parseGoJson(ctx.body, 'decoder');
		if (!parsed.ok) throw decodeError(parsed.failure);
		const decoded = decodeStruct(parsed.node, struct);
		if (!decoded.ok) throw decodeError(decoded.failure);
		return decoded.values;
	}
	if (type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data') return bindForm(await ctx.form(), struct);
	if (type === 'application/xml' || type === 'text/xml') return new Map();
	throw new ApiError(415, 'Unsupported Media Type');
}

/** Form binding: fields by name (case-insensitive), repeated keys for arrays. */
function bindForm(form: FormData | null, struct: GoStruct): Map<string, unknown> {
	const values = new Map<string, unknown>();
	if (!form) return values;
	for (const [field, type] of Object.entries(struct.fields)) {
		const key = [...new Set(form.keys())].find((k) => k.toLowerCase() === field.toLowerCase());
		if (key === undefined) continue;
		const raw = form.getAll(key).filter((v): v is string => typeof v === 'string');
		if (raw.length === 0) continue;
		if (type === 'string') values.set(field, raw[0]);
		else if (type === 'int') values.set(field, parseGoInt(raw[0]!));
		else if (type === 'bool') values.set(field, parseGoBool(raw[0]!));
		else if (type === 'ints') values.set(field, raw.map(parseGoInt));
		else if (type === 'strings') values.set(field, raw);
	}
	return values;
}

function parseGoInt(v: string): number {
	if (!/^[+-]?\d+$/.test(v)) throw badRequest(`strconv.ParseInt: parsing "${v}": invalid syntax`);
	return Number(v);
}

function parseGoBool(v: string): boolean {
	if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
	if (['0', 'f', 'F', 'FALSE', 'false', 'False', ''].includes(v)) return false;
	throw badRequest(`strconv.ParseBool: parsing "${v}": invalid syntax`);
}

/** strconv.ParseBool as handlers use it (`minimal`, `no_body`): anything unparsable is false. */
export function goBool(v: string | null): boolean {
	return v !== null && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v);
}

/** c.FormValue: a urlencoded/multipart body field first, then the query string. */
export async function formValue(ctx: Ctx, name: string): Promise<string> {
	const type = mediaType(ctx.headers);
	if (ctx.contentLength !== 0 && (type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data')) {
		const v = (await ctx.form())?.get(name);
		if (typeof v === 'string') return v;
	}
	return ctx.query.get(name) ?? '';
}

/** getQueryInts: repeated integer params, empty values skipped; a bad one is 400 `Invalid ID(s)`. */
export function queryInts(ctx: Ctx, name: string): number[] {
	const out: number[] = [];
	for (const v of ctx.query.getAll(name)) {
		if (v === '') continue;
		if (!/^[+-]?\d+$/.test(v)) throw badRequest('Invalid ID(s)');
		out.push(Number(v));
	}
	return out;
}

/** parseStringIDs for `?id=1&id=2`: 400 `One or more IDs are invalid: <strconv error>`. */
export function parseStringIds(values: string[]): number[] {
	return values.map((v) => {
		if (!/^[+-]?\d+$/.test(v)) throw badRequest(`One or more IDs are invalid: strconv.Atoi: parsing "${v}": invalid syntax`);
		const n = Number(v);
		if (n < 1) throw badRequest(`One or more IDs are invalid: ${n} is not a valid ID`);
		return n;
	});
}

/** knadh/paginator with listmonk's settings: default 20, `all` or negative = no limit (per_page 0), no maximum. */
export function pagination(query: URLSearchParams): { page: number; perPage: number; offset: number; limit: number } {
	const rawPerPage = query.get('per_page') ?? '';
	let perPage = /^[+-]?\d+$/.test(rawPerPage) ? Number(rawPerPage) : 0;
	if (rawPerPage === 'all') perPage = -1;
	let page = /^[+-]?\d+$/.test(query.get('page') ?? '') ? Number(query.get('page')) : 0;
	if (perPage < 0) perPage = 0;
	else if (perPage < 1) perPage = 20;
	if (page < 1) page = 1;
	return { page, perPage, offset: (page - 1) * perPage, limit: perPage };
}

/** Slices rows like `OFFSET x LIMIT (CASE WHEN y < 1 THEN NULL ELSE y END)`. */
export function slicePage<T>(rows: T[], pg: { offset: number; limit: number }): T[] {
	return pg.limit < 1 ? rows.slice(pg.offset) : rows.slice(pg.offset, pg.offset + pg.limit);
}

/** Only lowercase `asc`/`desc` are honoured; anything else is `desc`. */
export const sortOrder = (order: string): 'asc' | 'desc' => (order === 'asc' ? 'asc' : 'desc');

/** strHasLen on bytes, as Go's len(). */
export const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');
