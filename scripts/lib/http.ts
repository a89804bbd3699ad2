// The one way our tools talk to a running Directus: base URL + bearer token, JSON in and out, `{ status, body }`.
// Used by the test harness, the benchmarks and the scripts (readiness ping). Errors name the call, status and body.
import { request as httpRequest } from 'node:http';

export interface HttpResult<T = any> {
	status: number;
	body: T;
}

export interface RequestOptions {
	/** Overrides the client's token; null = anonymous. */
	token?: string | null;
	timeoutMs?: number;
	/** A call that may answer after more than 5 minutes (a whole-base pass at a million clients): sent with node:http,
	 *  which has no answer deadline (fetch gives up waiting for the headers after 300 s). JSON bodies only. */
	long?: boolean;
}

export class HttpError extends Error {
	readonly status: number;
	readonly body: unknown;

	constructor(method: string, path: string, res: HttpResult) {
		super(`${method} ${path}: ${res.status} ${describeBody(res.body)}`);
		this.name = 'HttpError';
		this.status = res.status;
		this.body = res.body;
	}
}

function describeBody(body: unknown): string {
	const text = typeof body === 'string' ? body : JSON.stringify(body);
	return (text ?? '').slice(0, 500);
}

export interface DirectusHttp {
	readonly url: string;
	/** Any answer comes back as `{ status, body }` (body parsed as JSON when it is JSON, else the text). The body
	 *  sent: a value as JSON, a string as is (JSON typed: malformed-JSON tests), FormData as multipart. */
	request: <T = any>(method: string, path: string, body?: unknown, opts?: RequestOptions) => Promise<HttpResult<T>>;
	/** A 2xx answer's body; anything else throws an HttpError. */
	json: <T = any>(method: string, path: string, body?: unknown, opts?: RequestOptions) => Promise<T>;
}

export function directusHttp(url: string, token: string | null = null): DirectusHttp {
	const base = url.replace(/\/$/, '');
	const request = async <T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<HttpResult<T>> => {
		const bearer = opts.token === undefined ? token : opts.token;
		const headers: Record<string, string> = {};
		if (bearer) headers['authorization'] = `Bearer ${bearer}`;
		let payload: string | FormData | undefined;
		if (body instanceof FormData) payload = body; // fetch sets the multipart boundary itself
		else if (body !== undefined) {
			headers['content-type'] = 'application/json';
			payload = typeof body === 'string' ? body : JSON.stringify(body);
		}
		const res =
			opts.long && !(payload instanceof FormData)
				? await requestWithoutDeadline(`${base}${path}`, method, headers, payload)
				: await fetch(`${base}${path}`, { method, headers, body: payload, signal: opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined });
		const text = await res.text();
		let parsed: unknown = text;
		if (text) {
			try {
				parsed = JSON.parse(text);
			} catch {
				/* not JSON: keep the text */
			}
		}
		return { status: res.status, body: parsed as T };
	};
	return {
		url: base,
		request,
		json: async <T>(method: string, path: string, body?: unknown, opts?: RequestOptions) => expectOk(method, path, await request<T>(method, path, body, opts)),
	};
}

/** The body of a 2xx answer; otherwise an HttpError naming the call. */
export function expectOk<T>(method: string, path: string, res: HttpResult<T>): T {
	if (res.status < 200 || res.status >= 300) throw new HttpError(method, path, res);
	return res.body;
}

function requestWithoutDeadline(url: string, method: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; text: () => Promise<string> }> {
	return new Promise((resolve, reject) => {
		const req = httpRequest(url, { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (chunk: Buffer) => chunks.push(chunk));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, text: async () => Buffer.concat(chunks).toString('utf8') }));
			res.on('error', reject);
		});
		req.on('error', reject);
		req.end(body);
	});
}
