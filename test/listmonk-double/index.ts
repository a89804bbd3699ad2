// A Listmonk v6.2 HTTP API test double: real HTTP on a local port, in-process state for assertions.
// See README.md in this folder for what it implements and how to control the standalone server.
import { DoubleServer, listViews, subscriberViews } from './server.ts';
import type { DoubleOptions, DoubleUser, Fault, ListView, OptinMail, RequestLogEntry, SubscriberView, TxMail } from './types.ts';
import { nowMicros } from './clock.ts';
import { setCampaignStats, type CampaignStats } from './campaigns.ts';

export type { CampaignStats } from './campaigns.ts';
export type { DoubleOptions, DoubleUser, Fault, ListView, OptinMail, RequestLogEntry, SubscriberView, TxMail } from './types.ts';

export interface ListmonkDouble {
	/** 'http://127.0.0.1:<port>' (the API is under /api) */
	url: string;
	close(): Promise<void>;
	/** wipes data (subscribers, lists, campaigns, mails, import state, request log); keeps users; clears faults */
	reset(): void;
	addUser(u: DoubleUser): void;
	removeUser(username: string): void;
	faults: { add(f: Fault): void; clear(): void };
	/** every /api request: { method, path, query, status, at, body? } (never the Authorization header) */
	requests: RequestLogEntry[];
	/** subscribers with their lists and subscription statuses */
	subscribers(): SubscriberView[];
	lists(): ListView[];
	/** the opt-in e-mails listmonk would have sent (§4.3 / §4.5) */
	optinMails(): OptinMail[];
	txMails(): TxMail[];
	/** test-only: a campaign's sent / views / clicks / bounces / started_at, as if listmonk had sent it */
	campaignStats(id: number, stats: CampaignStats): void;
}

export async function startListmonkDouble(opts: DoubleOptions = {}): Promise<ListmonkDouble> {
	return startDoubleServer(opts, false);
}

/** Also used by the standalone script, which adds the /__double control endpoints. */
export async function startDoubleServer(opts: DoubleOptions, control: boolean): Promise<ListmonkDouble> {
	const server = new DoubleServer(opts, control);
	const url = await server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
	const { app } = server;
	return {
		url,
		close: () => server.close(),
		reset: () => server.reset(),
		addUser: (u) => app.users.add(u, nowMicros()),
		removeUser: (username) => app.users.remove(username),
		faults: { add: (f) => server.faults.add(f), clear: () => server.faults.clear() },
		requests: server.requests,
		subscribers: () => subscriberViews(app),
		lists: () => listViews(app),
		optinMails: () => app.store.optinMails.map((m) => ({ ...m, listIds: [...m.listIds] })),
		txMails: () => app.store.txMails.map((m) => ({ ...m })),
		campaignStats: (id, stats) => setCampaignStats(app, id, stats),
	};
}
