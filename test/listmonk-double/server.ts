// The HTTP side: node:http, echo's pipeline (route → auth → permission → :id → handler → envelope), injected
// faults, the request log, and the /__double control endpoints of the standalone server.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parseVersion, type App, type Handler } from './app.ts';
import { authenticate, Users } from './auth.ts';
import { registerCampaignRoutes, setCampaignStats } from './campaigns.ts';
import { formatTimestamp as ts, nowMicros } from './clock.ts';
import { ApiError } from './errors.ts';
import { Faults } from './faults.ts';
import { Bare, mediaType, RawBody, type Ctx } from './http-io.ts';
import { Importer, registerImportRoutes } from './import.ts';
import { registerListRoutes } from './lists.ts';
import { registerMiscRoutes } from './misc.ts';
import { Router } from './router.ts';
import { Store } from './state.ts';
import { registerSubscriberRoutes } from './subscribers.ts';
import { registerTemplateAndTxRoutes } from './tx.ts';
import type { DoubleOptions, Fault, ListView, RequestLogEntry, SubscriberView } from './types.ts';

type RouteEntry = { perms: string[]; hasId: boolean; handler: Handler; isPublic: boolean };

/** The answer to one request before it is written. */
interface Reply {
	status: number;
	body: Buffer;
	headers: Record<string, string>;
}

/** Go's encoding/json output: HTML-sensitive characters escaped, a trailing newline. */
function goJson(value: unknown, pretty: boolean): Buffer {
	const text = JSON.stringify(value, null, pretty ? 2 : undefined).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
	return Buffer.from(`${text}\n`);
}

const jsonReply = (status: number, value: unknown, pretty = false, headers: Record<string, string> = {}): Reply => ({
	status,
	body: goJson(value, pretty),
	headers: { 'content-type': 'application/json', ...headers },
});

export class DoubleServer {
	readonly app: App;
	readonly faults = new Faults();
	readonly requests: RequestLogEntry[] = [];
	private readonly router = new Router<RouteEntry>();
	private readonly server: Server;
	private readonly sockets = new Set<Socket>();
	/** whether the /__double control endpoints answer (the standalone server) */
	private readonly control: boolean;

	constructor(opts: DoubleOptions, control: boolean) {
		this.control = control;
		const version = opts.version ?? 'v6.2.0';
		const [major, minor] = parseVersion(version);
		const store = new Store({ sendOptinConfirmation: opts.sendOptinConfirmation ?? true });
		const users = new Users();
		const startedAt = nowMicros();
		for (const u of opts.users ?? []) users.add(u, startedAt);
		const app: App = {
			store,
			users,
			importer: new Importer(store, opts.importRowDelayMs ?? 0),
			version,
			messengers: ['email', ...(opts.messengers ?? []).filter((name) => name !== 'email')],
			startedAt,
			versionAtLeast: (maj, min) => major > maj || (major === maj && minor >= min),
			route: (method, pattern, perms, hasId, handler) => this.router.add({ method, pattern, handler: { perms, hasId, handler, isPublic: false } }),
			publicRoute: (method, pattern, handler) => this.router.add({ method, pattern, handler: { perms: [], hasId: false, handler, isPublic: true } }),
		};
		this.app = app;
		registerMiscRoutes(app, app.route);
		registerSubscriberRoutes(app, app.route);
		registerListRoutes(app, app.route);
		registerImportRoutes(app, app.route);
		registerTemplateAndTxRoutes(app, app.route);
		registerCampaignRoutes(app, app.route);

		// Go's net/http takes request headers up to 1 MB (DefaultMaxHeaderBytes): long query strings (an `IN (…)` of
		// many addresses) work against a real Listmonk, so they must here too (Node's default is 16 KB)
		this.server = createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
			this.serve(req, res).catch((error: unknown) => {
				console.error('listmonk double: request failed', error);
				if (!res.headersSent) res.writeHead(500).end();
			});
		});
		this.server.on('connection', (socket) => {
			this.sockets.add(socket);
			socket.on('close', () => this.sockets.delete(socket));
		});
	}

	listen(port: number, host: string): Promise<string> {
		return new Promise((resolve, reject) => {
			this.server.once('error', reject);
			this.server.listen(port, host, () => {
				const address = this.server.address();
				if (address === null || typeof address === 'string') return reject(new Error('no TCP address'));
				resolve(`http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`);
			});
		});
	}

	close(): Promise<void> {
		this.app.importer.reset();
		return new Promise((resolve) => {
			this.server.close(() => resolve());
			// hung ("timeout" fault) and keep-alive connections end with the server
			for (const socket of this.sockets) socket.destroy();
		});
	}

	reset(): void {
		this.app.store.reset();
		this.app.importer.reset();
		this.faults.clear();
		this.requests.length = 0;
	}

	private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const at = Date.now();
		const url = new URL(req.url ?? '/', 'http://double.invalid');
		const method = (req.method ?? 'GET').toUpperCase();
		const body = await readBody(req);

		if (this.control && url.pathname.startsWith('/__double/')) return write(res, this.controlRequest(method, url.pathname, body));

		let form: Promise<FormData | null> | null = null;
		const getForm = (): Promise<FormData | null> => (form ??= parseForm(req, body));
		const entry: RequestLogEntry | null = url.pathname.startsWith('/api') ? { method, path: url.pathname, query: queryRecord(url.searchParams), status: 0, at } : null;
		if (entry) {
			const logged = await logBody(req, body, getForm);
			if (logged !== undefined) entry.body = logged;
			this.requests.push(entry);
		}

		const fault = this.faults.take(method, url.pathname);
		if (fault?.kind === 'timeout') return; // never answered; the socket closes with the double
		if (fault?.kind === 'reset') {
			req.socket.destroy();
			return;
		}
		let reply: Reply;
		if (fault?.kind === 'forbidden') reply = jsonReply(403, { message: 'invalid API credentials' });
		else if (fault?.kind === 'status') {
			const status = fault.status ?? 500;
			// the texts listmonk itself uses for these statuses
			const message = status === 404 ? '404 unknown endpoint' : (STATUS_CODES[status] ?? 'Error');
			reply = jsonReply(status, { message });
		} else {
			if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs ?? 0));
			reply = await this.dispatch(req, method, url, body, getForm);
		}
		if (entry) entry.status = reply.status;
		write(res, reply, method === 'HEAD');
	}

	/** echo's pipeline for one request. */
	private async dispatch(req: IncomingMessage, method: string, url: URL, body: Buffer, getForm: () => Promise<FormData | null>): Promise<Reply> {
		const pretty = url.searchParams.has('pretty');
		const match = this.router.match(method, url.pathname);
		if (match.kind === 'not-found') {
			if (url.pathname.startsWith('/api/') || url.pathname === '/api') return jsonReply(404, { message: '404 unknown endpoint' });
			return { status: 404, body: Buffer.from('<!doctype html><html><body><h1>404 - Page not found</h1></body></html>\n'), headers: { 'content-type': 'text/html; charset=UTF-8' } };
		}
		if (match.kind === 'method-not-allowed') return jsonReply(405, { message: 'Method Not Allowed' }, pretty, { allow: match.allow.join(', ') });
		const route = match.route.handler;
		try {
			let result: unknown;
			if (route.isPublic) result = await (route.handler as () => unknown)();
			else {
				const caller = authenticate({ authorization: req.headers.authorization, cookie: req.headers.cookie }, this.app.users);
				caller.checkRoute(route.perms);
				let id = 0;
				if (route.hasId) {
					const raw = match.params['id'] ?? '';
					id = /^[+-]?\d+$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : 0;
					if (id < 1) throw new ApiError(400, 'invalid ID');
				}
				result = await route.handler(makeCtx(req, method, url, body, match.params, id, caller, getForm));
			}
			if (result instanceof RawBody) return { status: 200, body: result.body, headers: { 'content-type': result.contentType, ...result.headers } };
			if (result instanceof Bare) return jsonReply(200, result.value, pretty);
			return jsonReply(200, { data: result }, pretty);
		} catch (error) {
			if (error instanceof ApiError) return jsonReply(error.status, { message: error.message }, pretty);
			console.error('listmonk double: handler error', error);
			return jsonReply(500, { message: 'Internal Server Error' }, pretty);
		}
	}

	private controlRequest(method: string, path: string, body: Buffer): Reply {
		try {
			if (path === '/__double/faults' && method === 'POST') {
				const raw = JSON.parse(body.toString('utf8') || '{}') as Fault & { pathPattern?: string };
				const { pathPattern, ...fault } = raw;
				this.faults.add(pathPattern ? { ...fault, path: new RegExp(pathPattern) } : fault);
				return jsonReply(200, { data: true });
			}
			if (path === '/__double/faults' && method === 'DELETE') {
				this.faults.clear();
				return jsonReply(200, { data: true });
			}
			if (path === '/__double/reset' && method === 'POST') {
				this.reset();
				return jsonReply(200, { data: true });
			}
			if (path === '/__double/state' && method === 'GET') return jsonReply(200, { data: stateSnapshot(this) }, true);
			const stats = /^\/__double\/campaigns\/(\d+)\/stats$/.exec(path);
			if (stats && method === 'POST') {
				setCampaignStats(this.app, Number(stats[1]), JSON.parse(body.toString('utf8') || '{}'));
				return jsonReply(200, { data: true });
			}
			return jsonReply(404, { message: 'unknown control endpoint' });
		} catch (error) {
			return jsonReply(400, { message: (error as Error).message });
		}
	}
}

/** What GET /__double/state shows. */
export function stateSnapshot(double: DoubleServer): Record<string, unknown> {
	return {
		subscribers: subscriberViews(double.app),
		lists: listViews(double.app),
		optinMails: [...double.app.store.optinMails],
		txMails: [...double.app.store.txMails],
		import: double.app.importer.stats(),
	};
}

export function subscriberViews(app: App): SubscriberView[] {
	const { store } = app;
	return [...store.subscribers.values()]
		.sort((a, b) => a.id - b.id)
		.map((s) => ({
			id: s.id,
			uuid: s.uuid,
			email: s.email,
			name: s.name,
			attribs: structuredClone(s.attribs),
			status: s.status,
			created_at: ts(s.createdAt),
			updated_at: ts(s.updatedAt),
			lists: store.membershipsOf(s.id).map((m) => {
				const list = store.lists.get(m.listId)!;
				return { id: list.id, name: list.name, optin: list.optin, subscription_status: m.status, subscription_created_at: ts(m.createdAt), subscription_updated_at: ts(m.updatedAt) };
			}),
		}));
}

export function listViews(app: App): ListView[] {
	const { store } = app;
	return [...store.lists.values()]
		.sort((a, b) => a.id - b.id)
		.map((l) => ({
			id: l.id,
			uuid: l.uuid,
			name: l.name,
			type: l.type,
			optin: l.optin,
			status: l.status,
			tags: [...l.tags],
			description: l.description,
			created_at: ts(l.createdAt),
			updated_at: ts(l.updatedAt),
			subscriber_statuses: store.listStatusCounts(l.id),
		}));
}

function makeCtx(req: IncomingMessage, method: string, url: URL, body: Buffer, params: Record<string, string>, id: number, caller: Ctx['caller'], form: () => Promise<FormData | null>): Ctx {
	const lengthHeader = req.headers['content-length'];
	const contentLength = lengthHeader !== undefined ? Number(lengthHeader) : req.headers['transfer-encoding'] ? -1 : 0;
	return {
		method,
		path: url.pathname,
		query: url.searchParams,
		headers: req.headers,
		body,
		contentLength,
		params,
		id,
		caller,
		form,
	};
}

/** multipart/form-data or urlencoded via the web Request parser; an unparsable form reads as empty. */
async function parseForm(req: IncomingMessage, body: Buffer): Promise<FormData | null> {
	const type = mediaType(req.headers);
	if (type !== 'multipart/form-data' && type !== 'application/x-www-form-urlencoded') return null;
	try {
		return await new Request('http://double.invalid/', { method: 'POST', headers: { 'content-type': req.headers['content-type']! }, body: new Uint8Array(body) }).formData();
	} catch {
		return null;
	}
}

function readBody(req: IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

function write(res: ServerResponse, reply: Reply, headOnly = false): void {
	if (res.destroyed) return;
	res.writeHead(reply.status, { ...reply.headers, 'content-length': String(reply.body.length) });
	res.end(headOnly ? undefined : reply.body);
}

function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
	const out: Record<string, string | string[]> = {};
	for (const key of new Set(params.keys())) {
		const values = params.getAll(key);
		out[key] = values.length === 1 ? values[0]! : values;
	}
	return out;
}

/** The logged body: parsed JSON, multipart fields (files as name and size), or text. */
async function logBody(req: IncomingMessage, body: Buffer, form: () => Promise<FormData | null>): Promise<unknown> {
	if (body.length === 0) return undefined;
	const type = mediaType(req.headers);
	if (type === 'multipart/form-data') {
		const fields: Record<string, unknown> = {};
		for (const [key, value] of (await form())?.entries() ?? []) fields[key] = typeof value === 'string' ? value : { filename: value.name, size: value.size };
		return fields;
	}
	const text = body.toString('utf8');
	if (type === 'application/json') {
		try {
			return JSON.parse(text) as unknown;
		} catch {
			return text;
		}
	}
	return text;
}
