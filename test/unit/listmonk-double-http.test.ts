// The Listmonk test double over real HTTP: authentication (§1), envelope and errors (§2), the extra endpoints
// (health, config, profile), version behaviour (§10), faults, and the standalone script with its control endpoints.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startListmonkDouble, type ListmonkDouble } from '../listmonk-double/index.ts';
import { apiClient, type ApiClient } from '../listmonk-double/test-client.ts';

const ADMIN = { username: 'admin', token: 'admin-token' };
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2}$/;

let double: ListmonkDouble;
let api: ApiClient;

beforeAll(async () => {
	double = await startListmonkDouble({
		port: 0,
		users: [
			{ ...ADMIN, permissions: 'super' },
			{ username: 'reader', token: 'reader-token', permissions: ['subscribers:get'] },
			{ username: 'nobody', token: 'nobody-token', permissions: [] },
			{ username: 'off', token: 'off-token', permissions: 'super', enabled: false },
		],
	});
	api = apiClient(double.url, ADMIN);
});
afterEach(() => double.reset());
afterAll(() => double.close());

const raw = (path: string, init: RequestInit = {}) => fetch(double.url + path, init).then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));
const asJson = (text: string): unknown => JSON.parse(text);

describe('§1 authentication', () => {
	it('accepts `token user:token` and Basic base64(user:token), split on the first colon', async () => {
		expect(await raw('/api/health', { headers: { authorization: 'token admin:admin-token' } })).toMatchObject({ status: 200, text: '{"data":true}\n' });
		const basic = Buffer.from('admin:admin-token').toString('base64');
		expect((await raw('/api/health', { headers: { authorization: `Basic ${basic}` } })).status).toBe(200);
		double.addUser({ username: 'colon', token: 'a:b:c', permissions: 'super' });
		expect((await raw('/api/health', { headers: { authorization: 'token colon:a:b:c' } })).status).toBe(200);
	});

	it('answers 403 (never 401) with the exact messages for missing, wrong and malformed credentials', async () => {
		const cases: [Record<string, string>, string][] = [
			[{}, 'invalid session'],
			[{ authorization: 'token admin:wrong' }, 'invalid API credentials'],
			[{ authorization: 'token ghost:admin-token' }, 'invalid API credentials'],
			[{ authorization: 'token off:off-token' }, 'invalid API credentials'],
			[{ authorization: 'Bearer admin:admin-token' }, 'code=400, message=unknown Authorization scheme'],
			[{ authorization: 'Token admin:admin-token' }, 'code=400, message=unknown Authorization scheme'],
			[{ authorization: 'Basic !!!' }, 'code=400, message=invalid Base64 value in Basic Authorization header'],
			[{ authorization: 'token admin-token' }, 'code=400, message=api_key:token missing'],
			[{ authorization: 'token :admin-token' }, 'code=400, message=empty `api_key` or `token`'],
		];
		for (const [headers, message] of cases) {
			const res = await raw('/api/health', { headers });
			expect(res.status, JSON.stringify(headers)).toBe(403);
			expect(asJson(res.text)).toEqual({ message });
			expect(res.headers.get('www-authenticate')).toBeNull();
		}
	});

	it('ignores Authorization when a Cookie carries session= (invalid session)', async () => {
		const res = await raw('/api/health', { headers: { authorization: 'token admin:admin-token', cookie: 'theme=dark; session=abc' } });
		expect(res.status).toBe(403);
		expect(asJson(res.text)).toEqual({ message: 'invalid session' });
		expect((await raw('/api/health', { headers: { authorization: 'token admin:admin-token', cookie: 'theme=dark' } })).status).toBe(200);
	});

	it('applies user changes at once (add, remove)', async () => {
		double.addUser({ username: 'late', token: 't1', permissions: 'super' });
		expect((await apiClient(double.url, { username: 'late', token: 't1' }).get('/api/health')).status).toBe(200);
		double.removeUser('late');
		expect((await apiClient(double.url, { username: 'late', token: 't1' }).get('/api/health')).body).toEqual({ message: 'invalid API credentials' });
	});

	it('names the last route permission when none is held; Super Admin skips every check', async () => {
		const nobody = apiClient(double.url, { username: 'nobody', token: 'nobody-token' });
		expect(await nobody.get('/api/subscribers')).toMatchObject({ status: 403, body: { message: 'permission denied: subscribers:get' } });
		expect(await nobody.post('/api/subscribers', { email: 'a@b.c' })).toMatchObject({ status: 403, body: { message: 'permission denied: subscribers:manage' } });
		expect(await nobody.post('/api/lists', { name: 'x' })).toMatchObject({ status: 403, body: { message: 'permission denied: lists:manage_all' } });
		expect(await nobody.get('/api/campaigns')).toMatchObject({ status: 403, body: { message: 'permission denied: campaigns:get' } });
		expect(await nobody.put('/api/campaigns/1/status', { status: 'running' })).toMatchObject({ status: 403, body: { message: 'permission denied: campaigns:send' } });
		expect(await nobody.post('/api/tx', {})).toMatchObject({ status: 403, body: { message: 'permission denied: tx:send' } });
		// health needs credentials but no permission
		expect((await nobody.get('/api/health')).status).toBe(200);
		expect((await api.post('/api/lists', { name: 'x' })).status).toBe(200);
	});

	it('in-handler checks: sql_query, list permissions', async () => {
		const reader = apiClient(double.url, { username: 'reader', token: 'reader-token' });
		expect(await reader.get("/api/subscribers?query=subscribers.email='a@b.c'")).toMatchObject({ status: 403, body: { message: 'Permission denied: subscribers:sql_query' } });
		// a reader without list rights sees an empty page rather than a 403
		await api.post('/api/lists', { name: 'L' });
		const nobody = apiClient(double.url, { username: 'nobody', token: 'nobody-token' });
		expect(await nobody.get('/api/lists')).toMatchObject({ status: 200, body: { data: { results: [], total: 0 } } });
		expect(await nobody.put('/api/lists/1', { name: 'y' })).toMatchObject({ status: 403, body: { message: 'permission denied' } });
	});

	it('GET /api/health needs auth, GET /health is public', async () => {
		expect(await raw('/health')).toMatchObject({ status: 200, text: '{"data":true}\n' });
		expect((await raw('/api/health')).status).toBe(403);
	});
});

describe('§2 envelope, errors, status codes', () => {
	it('wraps success in {"data": ...} with 200 and application/json; ?pretty indents', async () => {
		const res = await raw('/api/lists', { method: 'POST', headers: { authorization: 'token admin:admin-token', 'content-type': 'application/json' }, body: JSON.stringify({ name: 'A' }) });
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('application/json');
		const body = asJson(res.text) as { data: Record<string, unknown> };
		expect(Object.keys(body)).toEqual(['data']);
		expect(body.data['created_at']).toMatch(TIMESTAMP);
		const pretty = await raw('/api/lists/1?pretty', { headers: { authorization: 'token admin:admin-token' } });
		expect(pretty.text).toContain('{\n  "data": {\n    "id": 1,');
	});

	it('refuses a JSON endpoint body of another content type with 415', async () => {
		const res = await api.post('/api/subscribers', undefined, { body: JSON.stringify({ email: 'a@b.c' }), headers: { 'content-type': 'text/plain' } });
		expect(res).toMatchObject({ status: 415, body: { message: 'Unsupported Media Type' } });
		expect(await api.post('/api/subscribers/query/delete', undefined, { body: '{"all":true}' })).toMatchObject({ status: 415, body: { message: 'Unsupported Media Type' } });
	});

	it('skips an empty body (Content-Length 0)', async () => {
		expect(await api.put('/api/subscribers/lists', undefined, { body: '' })).toMatchObject({ status: 400, body: { message: 'No IDs given.' } });
	});

	it('reports Go JSON decode errors: type mismatch and syntax error with offsets', async () => {
		expect(await api.post('/api/subscribers', { email: 'a@b.c', lists: ['1'] })).toMatchObject({
			status: 400,
			body: { message: 'Unmarshal type error: expected=int, got=string, field=lists, offset=29' },
		});
		expect(await api.post('/api/subscribers', undefined, { body: '{"email": x}', headers: { 'content-type': 'application/json' } })).toMatchObject({
			status: 400,
			body: { message: "Syntax error: offset=11, error=invalid character 'x' looking for beginning of value" },
		});
		expect(await api.post('/api/subscribers', { email: 'a@b.c', attribs: [1] })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^Unmarshal type error: expected=models.JSON, got=array, field=attribs/) } });
		// unknown fields are ignored
		expect((await api.post('/api/subscribers', { email: 'a@b.c', whatever: { x: 1 } })).status).toBe(200);
	});

	it('400 for a bad path id, 404 for unknown /api routes, 405 for a known path with another method', async () => {
		expect(await api.get('/api/subscribers/abc')).toMatchObject({ status: 400, body: { message: 'invalid ID' } });
		expect(await api.get('/api/subscribers/0')).toMatchObject({ status: 400, body: { message: 'invalid ID' } });
		expect(await api.get('/api/nope')).toMatchObject({ status: 404, body: { message: '404 unknown endpoint' } });
		expect(await apiClient(double.url, null).get('/api/nope')).toMatchObject({ status: 404, body: { message: '404 unknown endpoint' } });
		expect(await api.request('POST', '/api/health')).toMatchObject({ status: 405, body: { message: 'Method Not Allowed' } });
	});

	it('never answers 201/204: DELETE is 200 {"data":true}', async () => {
		expect(await api.delete('/api/subscribers/99')).toMatchObject({ status: 200, body: { data: true } });
	});
});

describe('extra endpoints: config and profile', () => {
	it('GET /api/config reports the configured version', async () => {
		expect(await api.get('/api/config')).toMatchObject({ status: 200, body: { data: { version: 'v6.2.0', lang: 'en' } } });
		const old = await startListmonkDouble({ version: 'v5.1.0', users: [{ ...ADMIN, permissions: 'super' }] });
		try {
			expect((await apiClient(old.url, ADMIN).get('/api/config')).body.data.version).toBe('v5.1.0');
		} finally {
			await old.close();
		}
	});

	it('GET /api/profile is the caller as models.User, without token or password', async () => {
		const { body } = await api.get('/api/profile');
		expect(body.data).toMatchObject({ username: 'admin', password_login: false, type: 'api', status: 'enabled', avatar: null, loggedin_at: null, user_role_id: 1, list_role: null });
		expect(body.data.user_role).toMatchObject({ id: 1, name: 'Super Admin' });
		expect(body.data.user_role.permissions).toContain('subscribers:sql_query');
		expect(JSON.stringify(body)).not.toContain('admin-token');
		expect(body.data).not.toHaveProperty('password');

		await api.post('/api/lists', { name: 'Scoped' });
		double.addUser({ username: 'scoped', token: 's', permissions: ['subscribers:get'], listPermissions: { 1: ['list:get', 'list:manage'] } });
		const scoped = (await apiClient(double.url, { username: 'scoped', token: 's' }).get('/api/profile')).body.data;
		expect(scoped.user_role).toMatchObject({ permissions: ['subscribers:get'] });
		expect(scoped.user_role.id).not.toBe(1);
		expect(scoped.list_role).toMatchObject({ lists: [{ id: 1, name: 'Scoped', permissions: ['list:get', 'list:manage'] }] });
	});
});

describe('§10 versions', () => {
	it('PATCH /api/subscribers/{id} is 405 below v6.1', async () => {
		const old = await startListmonkDouble({ version: 'v6.0.0', users: [{ ...ADMIN, permissions: 'super' }] });
		try {
			const oldApi = apiClient(old.url, ADMIN);
			const created = await oldApi.post('/api/subscribers', { email: 'a@b.c' });
			expect(await oldApi.patch(`/api/subscribers/${created.body.data.id}`, { name: 'x' })).toMatchObject({ status: 405, body: { message: 'Method Not Allowed' } });
			expect((await oldApi.put(`/api/subscribers/${created.body.data.id}`, { email: 'a@b.c', name: 'x' })).status).toBe(200);
		} finally {
			await old.close();
		}
		const created = await api.post('/api/subscribers', { email: 'a@b.c' });
		expect((await api.patch(`/api/subscribers/${created.body.data.id}`, { name: 'x' })).status).toBe(200);
	});

	it('below v6.1 unmanageable lists are dropped silently (no 403) and PUT replaces memberships in every list', async () => {
		const scoped = { username: 'scoped', token: 's', permissions: ['subscribers:manage', 'subscribers:get_all'] };
		const old = await startListmonkDouble({ version: 'v6.0.0', users: [{ ...ADMIN, permissions: 'super' }, scoped] });
		try {
			const admin = apiClient(old.url, ADMIN);
			const l = (await admin.post('/api/lists', { name: 'L' })).body.data.id;
			const s = (await admin.post('/api/subscribers', { email: 'a@b.c', lists: [l] })).body.data;
			const writer = apiClient(old.url, scoped);
			expect((await writer.post('/api/subscribers', { email: 'b@b.c', lists: [l] })).body.data.lists).toEqual([]);
			expect((await writer.put(`/api/subscribers/${s.id}`, { email: 'a@b.c', lists: [l] })).status).toBe(200);
			expect(old.subscribers()[0]!.lists).toEqual([]);
		} finally {
			await old.close();
		}
	});
});

describe('faults and the request log', () => {
	it('status, forbidden: first matching fault applies, `times` counts down', async () => {
		double.faults.add({ kind: 'status', status: 503, method: 'GET', path: '/api/lists', times: 2 });
		double.faults.add({ kind: 'forbidden', path: /^\/api\/lists/ });
		expect(await api.get('/api/lists')).toMatchObject({ status: 503 });
		expect(await api.get('/api/lists')).toMatchObject({ status: 503 });
		expect(await api.get('/api/lists')).toMatchObject({ status: 403, body: { message: 'invalid API credentials' } });
		double.faults.clear();
		expect((await api.get('/api/lists')).status).toBe(200);
		double.faults.add({ kind: 'status' });
		expect(await api.get('/api/health')).toMatchObject({ status: 500, body: { message: 'Internal Server Error' } });
	});

	it('reset destroys the socket; timeout never answers; slow answers after the delay', async () => {
		double.faults.add({ kind: 'reset', path: '/api/health', times: 1 });
		await expect(api.get('/api/health')).rejects.toThrow();
		expect((await api.get('/api/health')).status).toBe(200);

		double.faults.add({ kind: 'timeout', path: '/api/lists', times: 1 });
		const abort = new AbortController();
		const pending = api.get('/api/lists', { signal: abort.signal });
		await expect.poll(() => double.requests.some((r) => r.path === '/api/lists' && r.status === 0)).toBe(true);
		abort.abort();
		await expect(pending).rejects.toThrow();

		double.faults.add({ kind: 'slow', delayMs: 50, path: '/api/health', times: 1 });
		const started = Date.now();
		expect((await api.get('/api/health')).body).toEqual({ data: true });
		expect(Date.now() - started).toBeGreaterThanOrEqual(45);
	});

	it('logs every /api request with method, path, query, status and body, never the Authorization header', async () => {
		await api.post('/api/lists', { name: 'Logged' });
		await api.get('/api/subscribers?list_id=1&list_id=2&page=1');
		const [create, query] = double.requests;
		expect(create).toMatchObject({ method: 'POST', path: '/api/lists', status: 200, body: { name: 'Logged' } });
		expect(query).toMatchObject({ method: 'GET', path: '/api/subscribers', query: { list_id: ['1', '2'], page: '1' }, status: 200 });
		expect(typeof query!.at).toBe('number');
		expect(JSON.stringify(double.requests)).not.toContain('admin-token');
		double.reset();
		expect(double.requests).toEqual([]);
	});
});

describe('standalone script', () => {
	it('starts on --port 0, prints its URL, serves the API and the control endpoints, stops on SIGTERM', async () => {
		const child = spawn('node_modules/.bin/node', ['scripts/listmonk-double.ts', '--port', '0', '--user', 'cli', '--token', 'cli-token'], { stdio: ['ignore', 'pipe', 'inherit'] });
		try {
			const url = await new Promise<string>((resolve, reject) => {
				const lines = createInterface({ input: child.stdout! });
				lines.on('line', (line) => {
					const m = /^listmonk double listening on (http:\/\/\S+)$/.exec(line);
					if (m) resolve(m[1]!);
				});
				child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
			});
			const cli = apiClient(url, { username: 'cli', token: 'cli-token' });
			expect((await cli.get('/api/health')).body).toEqual({ data: true });
			expect((await cli.post('/api/subscribers', { email: 'Cli@Example.com' })).status).toBe(200);

			const state = await fetch(`${url}/__double/state`).then((r) => r.json());
			expect(state.data.subscribers).toMatchObject([{ email: 'cli@example.com', name: 'Cli' }]);

			expect((await fetch(`${url}/__double/faults`, { method: 'POST', body: JSON.stringify({ kind: 'status', status: 502, path: '/api/health', times: 1 }) })).status).toBe(200);
			expect((await cli.get('/api/health')).status).toBe(502);
			expect((await cli.get('/api/health')).status).toBe(200);
			await fetch(`${url}/__double/faults`, { method: 'POST', body: JSON.stringify({ kind: 'forbidden', pathPattern: '^/api/sub' }) });
			expect((await cli.get('/api/subscribers')).status).toBe(403);
			await fetch(`${url}/__double/faults`, { method: 'DELETE' });
			expect((await cli.get('/api/subscribers')).status).toBe(200);

			await fetch(`${url}/__double/reset`, { method: 'POST' });
			expect((await cli.get('/api/subscribers')).body.data.total).toBe(0);
		} finally {
			const exited = new Promise((resolve) => child.once('exit', resolve));
			child.kill('SIGTERM');
			expect(await exited).toBe(0);
		}
	});
});
