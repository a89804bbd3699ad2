// JSON shapes exactly as listmonk marshals them (Go struct field order, nulls where Go has null types).
import { GET, MANAGE, type Caller } from './auth.ts';
import { formatTimestamp as ts } from './clock.ts';
import type { Campaign, List, Store, Subscriber, Template } from './state.ts';

/** A subscriber with its lists, as GET /api/subscribers/{id} (lists masked for callers without read rights). */
export function subscriberJson(store: Store, sub: Subscriber, caller: Caller | null): Record<string, unknown> {
	const lists = store.membershipsOf(sub.id).flatMap((m) => {
		const list = store.lists.get(m.listId);
		if (!list) return [];
		// ROW_TO_JSON over (subscription columns, lists.*): an empty tag array is stored as NULL
		const entry: Record<string, unknown> = {
			subscription_status: m.status,
			subscription_created_at: ts(m.createdAt),
			subscription_updated_at: ts(m.updatedAt),
			subscription_meta: m.meta,
			id: list.id,
			uuid: list.uuid,
			name: list.name,
			type: list.type,
			optin: list.optin,
			status: list.status,
			tags: list.tags.length > 0 ? list.tags : null,
			description: list.description,
			created_at: ts(list.createdAt),
			updated_at: ts(list.updatedAt),
		};
		if (caller && isRestricted(caller, list.id)) {
			entry['name'] = '*Unknown';
			entry['restricted'] = true;
			delete entry['description'];
		}
		return [entry];
	});
	return {
		id: sub.id,
		created_at: ts(sub.createdAt),
		updated_at: ts(sub.updatedAt),
		uuid: sub.uuid,
		email: sub.email,
		name: sub.name,
		attribs: sub.attribs,
		status: sub.status,
		lists,
	};
}

/** maskRestrictedSubLists: lists the caller can neither get nor manage are hidden. */
function isRestricted(caller: Caller, listId: number): boolean {
	if (caller.hasPerm('lists:manage_all') || caller.hasPerm('lists:get_all')) return false;
	const denied = (types: number): boolean => {
		try {
			caller.checkListPerm(types, [listId]);
			return false;
		} catch {
			return true;
		}
	};
	return denied(GET) && denied(MANAGE);
}

/** models.List; `counts` null for the minimal listing (no counts joined). */
export function listJson(list: List, counts: { count: number; statuses: Record<string, number> } | null): Record<string, unknown> {
	return {
		id: list.id,
		created_at: ts(list.createdAt),
		updated_at: ts(list.updatedAt),
		uuid: list.uuid,
		name: list.name,
		type: list.type,
		optin: list.optin,
		status: list.status,
		tags: list.tags,
		description: list.description,
		subscriber_count: counts?.count ?? 0,
		subscriber_statuses: counts?.statuses ?? null,
		subscription_created_at: null,
		subscription_updated_at: null,
	};
}

export function templateJson(tpl: Template, noBody = false): Record<string, unknown> {
	const out: Record<string, unknown> = {
		id: tpl.id,
		created_at: ts(tpl.createdAt),
		updated_at: ts(tpl.updatedAt),
		name: tpl.name,
		subject: tpl.subject,
		type: tpl.type,
	};
	// `body` is omitempty
	if (!noBody && tpl.body !== '') out['body'] = tpl.body;
	out['body_source'] = noBody ? null : tpl.bodySource;
	out['is_default'] = tpl.isDefault;
	return out;
}

/** models.Campaign: Base, then CampaignMeta, then the campaign's own columns. */
export function campaignJson(c: Campaign, opts: { noBody?: boolean } = {}): Record<string, unknown> {
	return {
		id: c.id,
		created_at: ts(c.createdAt),
		updated_at: ts(c.updatedAt),
		views: c.views,
		clicks: c.clicks,
		bounces: c.bounces,
		lists: c.lists.map((l) => ({ id: l.id, name: l.name })),
		media: c.media.map((id) => ({ id, filename: '' })),
		started_at: c.startedAt === null ? null : ts(c.startedAt),
		to_send: c.toSend,
		sent: c.sent,
		uuid: c.uuid,
		type: c.type,
		name: c.name,
		subject: c.subject,
		from_email: c.fromEmail,
		body: opts.noBody ? '' : c.body,
		body_source: opts.noBody ? null : c.bodySource,
		altbody: c.altbody,
		send_at: c.sendAt === null ? null : ts(c.sendAt),
		status: c.status,
		content_type: c.contentType,
		tags: c.tags,
		headers: c.headers,
		attribs: c.attribs,
		template_id: c.templateId,
		messenger: c.messenger,
		archive: c.archive,
		archive_slug: c.archiveSlug,
		archive_template_id: c.archiveTemplateId,
		archive_meta: c.archiveMeta,
	};
}
