// The double's database: subscribers, lists, memberships (subscriber_lists), templates, campaigns, and the mails
// listmonk would have sent. Each operation mirrors one of listmonk's SQL statements (queries/*.sql) including its
// failure modes, and is atomic: it validates everything before it changes anything.
import { randomUUID } from 'node:crypto';
import { nowMicros } from './clock.ts';
import { ApiError, badRequest, enumError, serverError } from './errors.ts';
import type { OptinMail, TxMail } from './types.ts';

export const SUBSCRIBER_STATUSES = ['enabled', 'disabled', 'blocklisted'];
export const SUBSCRIPTION_STATUSES = ['unconfirmed', 'confirmed', 'unsubscribed'];
export const LIST_TYPES = ['public', 'private', 'temporary'];
export const LIST_OPTINS = ['single', 'double'];
export const LIST_STATUSES = ['active', 'archived'];

export interface Subscriber {
	id: number;
	uuid: string;
	email: string;
	name: string;
	attribs: Record<string, unknown>;
	status: string;
	createdAt: number;
	updatedAt: number;
}

export interface List {
	id: number;
	uuid: string;
	name: string;
	type: string;
	optin: string;
	status: string;
	tags: string[];
	description: string;
	createdAt: number;
	updatedAt: number;
}

export interface Membership {
	subscriberId: number;
	listId: number;
	status: string;
	meta: Record<string, unknown>;
	createdAt: number;
	updatedAt: number;
}

export interface Template {
	id: number;
	name: string;
	type: string;
	subject: string;
	body: string;
	bodySource: string | null;
	isDefault: boolean;
	createdAt: number;
	updatedAt: number;
}

export interface Campaign {
	id: number;
	uuid: string;
	type: string;
	name: string;
	subject: string;
	fromEmail: string;
	body: string;
	bodySource: string | null;
	altbody: string | null;
	sendAt: number | null;
	status: string;
	contentType: string;
	tags: string[];
	headers: Record<string, string>[];
	attribs: Record<string, unknown>;
	templateId: number | null;
	messenger: string;
	archive: boolean;
	archiveSlug: string | null;
	archiveTemplateId: number | null;
	archiveMeta: unknown;
	/** campaign_lists keeps the name, and a null id once the list is deleted */
	lists: { id: number | null; name: string }[];
	media: number[];
	startedAt: number | null;
	toSend: number;
	sent: number;
	/** nothing is sent, so nothing is viewed or clicked: set by the test-only stats control (setCampaignStats) */
	views: number;
	clicks: number;
	bounces: number;
	createdAt: number;
	updatedAt: number;
}

export interface SubscriberFields {
	email: string;
	name: string;
	status: string;
	attribs: Record<string, unknown> | null;
}

/** The subscription-status rule of update-subscriber-with-lists (PUT/PATCH) for one list. */
function updatedSubscriptionStatus(existing: string | undefined, requestStatus: string, preconfirm: boolean): string {
	const fresh = preconfirm ? 'confirmed' : 'unconfirmed';
	if (requestStatus === 'blocklisted') return 'unsubscribed';
	if (existing === undefined) return fresh;
	if (existing === 'confirmed') return 'confirmed';
	if (existing === 'unsubscribed') return 'unsubscribed';
	return fresh;
}

export class Store {
	readonly subscribers = new Map<number, Subscriber>();
	readonly lists = new Map<number, List>();
	/** subscriber id → list id → membership */
	readonly memberships = new Map<number, Map<number, Membership>>();
	readonly templates = new Map<number, Template>();
	readonly campaigns = new Map<number, Campaign>();
	readonly optinMails: OptinMail[] = [];
	readonly txMails: TxMail[] = [];
	private readonly byEmail = new Map<string, number>();
	// Postgres sequences: a failed or conflicting INSERT still consumes a value
	private subscriberSeq = 0;
	private listSeq = 0;
	private templateSeq = 0;
	private campaignSeq = 0;
	private readonly sendOptinConfirmation: boolean;

	constructor(opts: { sendOptinConfirmation: boolean }) {
		this.sendOptinConfirmation = opts.sendOptinConfirmation;
		this.installTemplates();
	}

	/** Back to a fresh install (handlers hold this object, so it is emptied in place). */
	reset(): void {
		for (const map of [this.subscribers, this.lists, this.memberships, this.templates, this.campaigns, this.byEmail]) map.clear();
		this.optinMails.length = 0;
		this.txMails.length = 0;
		this.subscriberSeq = this.listSeq = this.templateSeq = this.campaignSeq = 0;
		this.installTemplates();
	}

	/** A fresh install's templates (ids 1–4), as listmonk's installer creates them. */
	private installTemplates(): void {
		const now = nowMicros();
		const add = (name: string, type: string, subject: string, body: string, isDefault: boolean, bodySource: string | null = null): void => {
			const id = ++this.templateSeq;
			this.templates.set(id, { id, name, type, subject, body, bodySource, isDefault, createdAt: now, updatedAt: now });
		};
		add('Default campaign template', 'campaign', '', '<!doctype html>\n<html><body>{{ template "content" . }}</body></html>\n', true);
		add('Default archive template', 'campaign', '', '<!doctype html>\n<html><body>{{ template "content" . }}</body></html>\n', false);
		add('Sample transactional template', 'tx', 'Welcome {{ .Subscriber.Name }}', '<p>Hello {{ .Subscriber.Name }}</p>\n', false);
		add('Sample visual template', 'campaign_visual', '', '<!doctype html>\n<html><body></body></html>\n', false, '{}');
	}

	// --- reads ---

	subscriber(id: number): Subscriber | undefined {
		return this.subscribers.get(id);
	}

	subscriberByEmail(email: string): Subscriber | undefined {
		const id = this.byEmail.get(email);
		return id === undefined ? undefined : this.subscribers.get(id);
	}

	/** A subscriber's memberships ordered by list id. */
	membershipsOf(subscriberId: number): Membership[] {
		return [...(this.memberships.get(subscriberId)?.values() ?? [])].sort((a, b) => a.listId - b.listId);
	}

	/** Live counts per status for every list in one pass over the memberships. */
	allListStatusCounts(): Map<number, Record<string, number>> {
		const out = new Map<number, Record<string, number>>();
		for (const subs of this.memberships.values()) {
			for (const m of subs.values()) {
				let counts = out.get(m.listId);
				if (!counts) out.set(m.listId, (counts = {}));
				counts[m.status] = (counts[m.status] ?? 0) + 1;
			}
		}
		return out;
	}

	/** Live counts per membership status (the materialized view after a refresh). */
	listStatusCounts(listId: number): Record<string, number> {
		const counts: Record<string, number> = {};
		for (const subs of this.memberships.values()) {
			const m = subs.get(listId);
			if (m) counts[m.status] = (counts[m.status] ?? 0) + 1;
		}
		return counts;
	}

	/** has-subscriber-list: for each existing subscriber id, whether it is in one of `listIds`. */
	subscribersInLists(subscriberIds: number[], listIds: number[]): Map<number, boolean> {
		const out = new Map<number, boolean>();
		for (const id of subscriberIds) {
			if (!this.subscribers.has(id)) continue;
			out.set(id, this.membershipsOf(id).some((m) => listIds.includes(m.listId)));
		}
		return out;
	}

	// --- subscribers ---

	/** Marks a subscriber changed (the brief's contract: any change to it or its memberships moves updated_at). */
	private touch(subscriberId: number, at: number): void {
		const sub = this.subscribers.get(subscriberId);
		if (sub) sub.updatedAt = at;
	}

	private setMembership(subscriberId: number, listId: number, status: string, at: number, bumpUpdatedAt = true): void {
		let subs = this.memberships.get(subscriberId);
		if (!subs) this.memberships.set(subscriberId, (subs = new Map()));
		const existing = subs.get(listId);
		if (existing) {
			existing.status = status;
			if (bumpUpdatedAt) existing.updatedAt = at;
		} else {
			subs.set(listId, { subscriberId, listId, status, meta: {}, createdAt: at, updatedAt: at });
		}
	}

	/** insert-subscriber (POST /api/subscribers). Unknown list ids are skipped. */
	createSubscriber(fields: SubscriberFields, listIds: number[], preconfirm: boolean): Subscriber {
		const status = fields.status === '' ? 'enabled' : fields.status;
		if (!SUBSCRIBER_STATUSES.includes(status)) throw serverError(`Error creating Subscriber: ${enumError('subscriber_status', status)}`);
		const id = ++this.subscriberSeq;
		if (this.byEmail.has(fields.email)) throw new ApiError(409, 'E-mail already exists.');
		const now = nowMicros();
		const sub: Subscriber = { id, uuid: randomUUID(), email: fields.email, name: fields.name.trim(), attribs: fields.attribs ?? {}, status, createdAt: now, updatedAt: now };
		this.subscribers.set(id, sub);
		this.byEmail.set(sub.email, id);
		const subscriptionStatus = status === 'blocklisted' ? 'unsubscribed' : preconfirm ? 'confirmed' : 'unconfirmed';
		for (const listId of new Set(listIds)) if (this.lists.has(listId)) this.setMembership(id, listId, subscriptionStatus, now);
		return sub;
	}

	/**
	 * update-subscriber-with-lists (PUT, and PATCH). `listIds` are the lists to keep or add; with `replaceLists`
	 * every other membership (within `permittedListIds`, when given) is deleted. Empty name/status mean unchanged.
	 */
	updateSubscriber(id: number, fields: SubscriberFields, listIds: number[], opts: { preconfirm: boolean; replaceLists: boolean; permittedListIds: number[] }): void {
		if (fields.status !== '' && !SUBSCRIBER_STATUSES.includes(fields.status)) throw serverError(`Error updating Subscriber: ${enumError('subscriber_status', fields.status)}`);
		const sub = this.subscribers.get(id);
		const targetLists = [...new Set(listIds)].filter((l) => this.lists.has(l));
		if (!sub) {
			// the UPDATE matched nothing; inserting memberships for a NULL subscriber id then fails
			if (targetLists.length > 0) throw serverError('Error updating Subscriber: pq: null value in column "subscriber_id" of relation "subscriber_lists" violates not-null constraint');
			return;
		}
		const holder = this.byEmail.get(fields.email);
		if (holder !== undefined && holder !== id) {
			throw serverError(`Error updating Subscriber: pq: duplicate key value violates unique constraint "subscribers_email_key". Key (email)=(${fields.email}) already exists.`);
		}
		const now = nowMicros();
		this.byEmail.delete(sub.email);
		sub.email = fields.email;
		this.byEmail.set(sub.email, id);
		const name = fields.name.trim();
		if (name !== '') sub.name = name;
		if (fields.status !== '') sub.status = fields.status;
		sub.attribs = fields.attribs && Object.keys(fields.attribs).length > 0 ? fields.attribs : {};
		sub.updatedAt = now;

		const current = this.memberships.get(id);
		if (opts.replaceLists && current) {
			for (const listId of [...current.keys()]) {
				if (targetLists.includes(listId)) continue;
				if (opts.permittedListIds.length > 0 && !opts.permittedListIds.includes(listId)) continue;
				current.delete(listId);
			}
		}
		for (const listId of targetLists) {
			const existing = this.memberships.get(id)?.get(listId);
			// ON CONFLICT DO UPDATE SET status only: the membership's updated_at stays
			this.setMembership(id, listId, updatedSubscriptionStatus(existing?.status, fields.status, opts.preconfirm), now, false);
		}
	}

	/**
	 * The opt-in hook: one mail covering the subscriber's `unconfirmed` memberships in double opt-in lists among
	 * `listIds` (all of its lists when `listIds` is empty). Returns whether a mail was "sent".
	 */
	sendOptin(subscriberId: number, listIds: number[]): boolean {
		if (!this.sendOptinConfirmation) return false;
		return this.sendOptinMail(subscriberId, listIds);
	}

	/** POST /api/subscribers/{id}/optin sends regardless of the setting. */
	sendOptinMail(subscriberId: number, listIds: number[]): boolean {
		const pending = this.membershipsOf(subscriberId).filter((m) => (listIds.length === 0 || listIds.includes(m.listId)) && m.status === 'unconfirmed' && this.lists.get(m.listId)?.optin === 'double');
		if (pending.length === 0) return false;
		this.optinMails.push({ subscriberId, listIds: pending.map((m) => m.listId), at: Date.now() });
		return true;
	}

	/** blocklist-subscribers: status blocklisted and every membership unsubscribed. */
	blocklist(ids: number[]): void {
		const now = nowMicros();
		for (const id of new Set(ids)) {
			const sub = this.subscribers.get(id);
			if (!sub) continue;
			sub.status = 'blocklisted';
			sub.updatedAt = now;
			for (const m of this.memberships.get(id)?.values() ?? []) {
				m.status = 'unsubscribed';
				m.updatedAt = now;
			}
		}
	}

	deleteSubscribers(ids: number[]): void {
		for (const id of ids) {
			const sub = this.subscribers.get(id);
			if (!sub) continue;
			this.subscribers.delete(id);
			this.byEmail.delete(sub.email);
			this.memberships.delete(id);
		}
	}

	/**
	 * add-subscribers-to-lists: every subscriber × list pair; a new pair gets `status` or unconfirmed, an existing
	 * one is overwritten only when `status` is given. One statement: any failure changes nothing.
	 */
	addSubscriptions(subscriberIds: number[], listIds: number[], status: string): void {
		const fail = (error: string): ApiError => serverError(`Error updating Subscribers: ${error}`);
		if (status !== '' && !SUBSCRIPTION_STATUSES.includes(status)) throw fail(enumError('subscription_status', status));
		const seen = new Set<string>();
		for (const s of subscriberIds) {
			for (const l of listIds) {
				const key = `${s}:${l}`;
				if (seen.has(key)) throw fail('pq: ON CONFLICT DO UPDATE command cannot affect row a second time');
				seen.add(key);
			}
		}
		for (const s of subscriberIds) {
			if (!this.subscribers.has(s)) throw fail('pq: insert or update on table "subscriber_lists" violates foreign key constraint "subscriber_lists_subscriber_id_fkey"');
			for (const l of listIds) if (!this.lists.has(l)) throw fail('pq: insert or update on table "subscriber_lists" violates foreign key constraint "subscriber_lists_list_id_fkey"');
		}
		const now = nowMicros();
		for (const s of subscriberIds) {
			for (const l of listIds) {
				const existing = this.memberships.get(s)?.get(l);
				// the conflict branch sets only the status: updated_at of an existing membership stays
				if (!existing) this.setMembership(s, l, status || 'unconfirmed', now);
				else if (status !== '') this.setMembership(s, l, status, now, false);
				else continue;
				this.touch(s, now);
			}
		}
	}

	/** add-subscribers-to-lists-by-query: insert-if-missing; existing memberships never change. */
	addSubscriptionsIfMissing(subscriberIds: number[], listIds: number[], status: string): void {
		const fail = (error: string): ApiError => serverError(`Error updating Subscribers: ${error}`);
		if (status !== '' && !SUBSCRIPTION_STATUSES.includes(status)) throw fail(enumError('subscription_status', status));
		if (subscriberIds.length > 0) {
			const unknown = listIds.find((l) => !this.lists.has(l));
			if (unknown !== undefined) throw fail(`pq: insert or update on table "subscriber_lists" violates foreign key constraint "subscriber_lists_list_id_fkey". Key (list_id)=(${unknown}) is not present in table "lists".`);
		}
		const now = nowMicros();
		for (const s of new Set(subscriberIds)) {
			for (const l of new Set(listIds)) {
				if (this.memberships.get(s)?.has(l)) continue;
				this.setMembership(s, l, status || 'unconfirmed', now);
				this.touch(s, now);
			}
		}
	}

	/** delete-subscriptions: missing pairs are ignored. */
	deleteSubscriptions(subscriberIds: number[], listIds: number[]): void {
		const now = nowMicros();
		for (const s of subscriberIds) {
			const subs = this.memberships.get(s);
			if (!subs) continue;
			for (const l of listIds) if (subs.delete(l)) this.touch(s, now);
		}
	}

	/** unsubscribe-subscribers-from-lists: existing pairs become unsubscribed; nothing is created. */
	unsubscribe(subscriberIds: number[], listIds: number[]): void {
		const now = nowMicros();
		for (const s of subscriberIds) {
			for (const l of listIds) {
				const m = this.memberships.get(s)?.get(l);
				if (!m) continue;
				m.status = 'unsubscribed';
				m.updatedAt = now;
				this.touch(s, now);
			}
		}
	}

	// --- import (upsert-subscriber / upsert-blocklist-subscriber) ---

	importUpsert(row: { email: string; name: string; attribs: Record<string, unknown> | null }, opts: { listIds: number[]; subscriptionStatus: string; overwriteUserInfo: boolean; overwriteSubscriptionStatus: boolean }): void {
		const now = nowMicros();
		const id = ++this.subscriberSeq;
		let sub = this.subscriberByEmail(row.email);
		if (!sub) {
			sub = { id, uuid: randomUUID(), email: row.email, name: row.name, attribs: row.attribs ?? {}, status: 'enabled', createdAt: now, updatedAt: now };
			this.subscribers.set(id, sub);
			this.byEmail.set(sub.email, id);
		} else {
			if (opts.overwriteUserInfo) {
				sub.name = row.name;
				sub.attribs = row.attribs ?? {};
			}
			sub.updatedAt = now;
		}
		const status = sub.status === 'blocklisted' ? 'unsubscribed' : opts.subscriptionStatus;
		for (const listId of opts.listIds) {
			if (!this.lists.has(listId)) continue;
			const existing = this.memberships.get(sub.id)?.get(listId);
			this.setMembership(sub.id, listId, existing && !opts.overwriteSubscriptionStatus ? existing.status : status, now);
		}
	}

	importBlocklist(row: { email: string; name: string; attribs: Record<string, unknown> | null }): void {
		const now = nowMicros();
		const id = ++this.subscriberSeq;
		const sub = this.subscriberByEmail(row.email);
		if (!sub) {
			this.subscribers.set(id, { id, uuid: randomUUID(), email: row.email, name: row.name, attribs: row.attribs ?? {}, status: 'blocklisted', createdAt: now, updatedAt: now });
			this.byEmail.set(row.email, id);
			return;
		}
		this.blocklist([sub.id]);
	}

	/** update-lists-date after an import. */
	touchLists(listIds: number[]): void {
		const now = nowMicros();
		for (const id of listIds) {
			const list = this.lists.get(id);
			if (list) list.updatedAt = now;
		}
	}

	// --- lists ---

	createList(fields: { name: string; type: string; optin: string; status: string; tags: string[]; description: string }): List {
		const type = fields.type || 'private';
		const optin = fields.optin || 'single';
		const status = fields.status || 'active';
		const fail = (e: string): ApiError => serverError(`Error creating List: ${e}`);
		if (!LIST_TYPES.includes(type)) throw fail(enumError('list_type', type));
		if (!LIST_OPTINS.includes(optin)) throw fail(enumError('list_optin', optin));
		if (!LIST_STATUSES.includes(status)) throw fail(enumError('list_status', status));
		if (fields.tags.some((t) => [...t].length > 100)) throw fail('pq: value too long for type character varying(100)');
		const now = nowMicros();
		const id = ++this.listSeq;
		const list: List = { id, uuid: randomUUID(), name: fields.name, type, optin, status, tags: fields.tags, description: fields.description, createdAt: now, updatedAt: now };
		this.lists.set(id, list);
		return list;
	}

	/** update-list: empty strings leave a field unchanged, tags are always replaced (cast truncates to 100 chars). */
	updateList(id: number, fields: { name: string; type: string; optin: string; status: string; tags: string[]; description: string }): void {
		const fail = (e: string): ApiError => serverError(`Error updating List: ${e}`);
		if (fields.type && !LIST_TYPES.includes(fields.type)) throw fail(enumError('list_type', fields.type));
		if (fields.optin && !LIST_OPTINS.includes(fields.optin)) throw fail(enumError('list_optin', fields.optin));
		if (fields.status && !LIST_STATUSES.includes(fields.status)) throw fail(enumError('list_status', fields.status));
		const list = this.lists.get(id);
		if (!list) throw badRequest('List not found');
		if (fields.name) list.name = fields.name;
		if (fields.type) list.type = fields.type;
		if (fields.optin) list.optin = fields.optin;
		if (fields.status) list.status = fields.status;
		if (fields.description) list.description = fields.description;
		list.tags = fields.tags.map((t) => [...t].slice(0, 100).join(''));
		list.updatedAt = nowMicros();
		for (const c of this.campaigns.values()) for (const l of c.lists) if (l.id === id) l.name = list.name;
	}

	/** delete-lists: memberships cascade, campaigns keep the list's name with a null id. */
	deleteLists(ids: number[]): void {
		const now = nowMicros();
		for (const id of ids) {
			if (!this.lists.delete(id)) continue;
			for (const [subId, subs] of this.memberships) if (subs.delete(id)) this.touch(subId, now);
			for (const c of this.campaigns.values()) for (const l of c.lists) if (l.id === id) l.id = null;
		}
	}

	// --- templates and campaigns ---

	createTemplate(fields: { name: string; type: string; subject: string; body: string; bodySource: string | null }): Template {
		if (!['campaign', 'campaign_visual', 'tx'].includes(fields.type)) throw serverError(`Error creating Template: ${enumError('template_type', fields.type)}`);
		const now = nowMicros();
		const id = ++this.templateSeq;
		const tpl: Template = { id, ...fields, isDefault: false, createdAt: now, updatedAt: now };
		this.templates.set(id, tpl);
		return tpl;
	}

	nextCampaignId(): number {
		return ++this.campaignSeq;
	}
}
