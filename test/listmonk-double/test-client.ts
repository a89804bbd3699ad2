// A small fetch client for tests and benchmarks talking to the double (or a real Listmonk) as an API user.

export interface ApiResponse {
	status: number;
	headers: Headers;
	/** the parsed JSON body, or the text when it is not JSON */
	body: any;
}

export interface RequestOptions {
	/** sent as JSON with Content-Type: application/json */
	json?: unknown;
	/** a raw body (Content-Type from `headers` or fetch's default) */
	body?: BodyInit;
	headers?: Record<string, string>;
	signal?: AbortSignal;
}

export interface ApiClient {
	request(method: string, path: string, opts?: RequestOptions): Promise<ApiResponse>;
	get(path: string, opts?: RequestOptions): Promise<ApiResponse>;
	post(path: string, json?: unknown, opts?: RequestOptions): Promise<ApiResponse>;
	put(path: string, json?: unknown, opts?: RequestOptions): Promise<ApiResponse>;
	patch(path: string, json?: unknown, opts?: RequestOptions): Promise<ApiResponse>;
	delete(path: string, opts?: RequestOptions): Promise<ApiResponse>;
}

/** `credentials` null sends no Authorization header. */
export function apiClient(baseUrl: string, credentials: { username: string; token: string } | null): ApiClient {
	const request = async (method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> => {
		const headers: Record<string, string> = { ...(credentials ? { authorization: `token ${credentials.username}:${credentials.token}` } : {}), ...opts.headers };
		let body = opts.body;
		if (opts.json !== undefined) {
			body = JSON.stringify(opts.json);
			headers['content-type'] ??= 'application/json';
		}
		const init: RequestInit = { method, headers };
		if (body !== undefined) init.body = body;
		if (opts.signal) init.signal = opts.signal;
		const res = await fetch(baseUrl + path, init);
		const text = await res.text();
		let parsed: unknown = text;
		try {
			parsed = JSON.parse(text);
		} catch {
			// not JSON
		}
		return { status: res.status, headers: res.headers, body: parsed };
	};
	const withJson = (method: string) => (path: string, json?: unknown, opts: RequestOptions = {}) => request(method, path, json === undefined ? opts : { ...opts, json });
	return {
		request,
		get: (path, opts) => request('GET', path, opts),
		post: withJson('POST'),
		put: withJson('PUT'),
		patch: withJson('PATCH'),
		delete: (path, opts) => request('DELETE', path, opts),
	};
}
