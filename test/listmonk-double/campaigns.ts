// /api/campaigns*: create, read, list, update, delete and the status transitions (cmd/campaigns.go,
// internal/core/campaigns.go). Nothing is sent: running campaigns stay running, scheduled ones stay scheduled.
import { randomUUID } from 'node:crypto';
import type { App } from './app.ts';
import { GET, MANAGE } from './auth.ts';
import { nowMicros, parseTimestamp } from './clock.ts';
import { sanitizeEmail } from './email.ts';
import { ApiError, badRequest, enumError, forbidden, serverError } from './errors.ts';
import type { GoStruct } from './go-json.ts';
import { bindBody, byteLength, formValue, goBool, pagination, parseStringIds, slicePage, sortOrder, type Ctx } from './http-io.ts';
import { normalizeTags } from './lists.ts';
import { compileTemplate, TemplateError } from './render.ts';
import type { Campaign } from './state.ts';
import { textSearchMatches } from './text-search.ts';
import { campaignJson } from './views.ts';

const CAMPAIGN_REQ: GoStruct = {
	name: 'campReq',
	fields: {
		id: 'int', created_at: 'any', updated_at: 'any', views: 'int', clicks: 'int', bounces: 'int', started_at: 'any', to_send: 'int', sent: 'int',
		uuid: 'string', type: 'string', name: 'string', subject: 'string', from_email: 'string', body: 'string', body_source: 'any', altbody: 'any',
		send_at: 'time', status: 'string', content_type: 'string', tags: 'strings', headers: 'headers', attribs: 'map', template_id: 'any',
		messenger: 'string', archive: 'bool', archive_slug: 'any', archive_template_id: 'any', archive_meta: 'any', lists: 'ints', media: 'ints', subscribers: 'strings',
	},
};
const CAMPAIGN_STATUSES = ['draft', 'running', 'scheduled', 'paused', 'cancelled', 'finished'];
const CONTENT_TYPES = ['richtext', 'html', 'plain', 'markdown', 'visual'];
const SORT_FIELDS = ['name', 'status', 'created_at', 'updated_at'];
const DEFAULT_FROM = 'listmonk <noreply@listmonk.yoursite.com>';
const FROM_ADDRESS = /((.+?)\s)?<(.+?)@(.+?)>/;

/** The fields a create or update works on (campReq after binding). */
interface Draft {
	type: string;
	name: string;
	subject: string;
	fromEmail: string;
	body: string;
	bodySource: string | null;
	altbody: string | null;
	sendAt: number | null;
	contentType: string;
	tags: string[];
	headers: Record<string, string>[];
	attribs: Record<string, unknown> | null;
	templateId: number | null;
	messenger: string;
	archive: boolean;
	archiveSlug: string | null;
	archiveTemplateId: number | null;
	archiveMeta: unknown;
	listIds: number[];
	media: number[];
}

const nullableString = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const nullableInt = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);

function draftFrom(req: Map<string, unknown>, base: Draft): Draft {
	const d: Draft = { ...base, listIds: [], media: [] };
	const has = (k: string): boolean => req.has(k);
	if (has('type')) d.type = req.get('type') as string;
	if (has('name')) d.name = req.get('name') as string;
	if (has('subject')) d.subject = req.get('subject') as string;
	if (has('from_email')) d.fromEmail = req.get('from_email') as string;
	if (has('body')) d.body = req.get('body') as string;
	if (has('body_source')) d.bodySource = nullableString(req.get('body_source'));
	if (has('altbody')) d.altbody = nullableString(req.get('altbody'));
	if (has('send_at')) {
		const raw = req.get('send_at') as string | null;
		if (raw === null) d.sendAt = null;
		else {
			const parsed = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(raw) ? parseTimestamp(raw) : null;
			if (parsed === null) throw badRequest(`parsing time "\\"${raw}\\"" as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse "${raw}\\"" as "2006"`);
			d.sendAt = parsed;
		}
	}
	if (has('content_type')) d.contentType = req.get('content_type') as string;
	if (has('tags')) d.tags = (req.get('tags') as string[] | null) ?? [];
	if (has('headers')) d.headers = (req.get('headers') as Record<string, string>[] | null) ?? [];
	if (has('attribs')) d.attribs = req.get('attribs') as Record<string, unknown> | null;
	if (has('template_id')) d.templateId = nullableInt(req.get('template_id'));
	if (has('messenger')) d.messenger = req.get('messenger') as string;
	if (has('archive')) d.archive = req.get('archive') as boolean;
	if (has('archive_slug')) d.archiveSlug = nullableString(req.get('archive_slug'));
	if (has('archive_template_id')) d.archiveTemplateId = nullableInt(req.get('archive_template_id'));
	if (has('archive_meta')) d.archiveMeta = req.get('archive_meta');
	d.listIds = (req.get('lists') as number[] | null | undefined) ?? [];
	d.media = (req.get('media') as number[] | null | undefined) ?? [];
	return d;
}

/** validateCampaignFields: the first failure is a 400 with listmonk's message. */
function validate(d: Draft): Draft {
	const out = { ...d };
	if (out.fromEmail === '') out.fromEmail = DEFAULT_FROM;
	else if (!FROM_ADDRESS.test(out.fromEmail)) {
		try {
			sanitizeEmail(out.fromEmail);
		} catch {
			throw badRequest('Invalid `from_email`.');
		}
	}
	if (byteLength(out.name) < 1 || byteLength(out.name) > 2000) throw badRequest('Invalid length for name.');
	if (byteLength(out.subject) < 1 || byteLength(out.subject) > 5000) throw badRequest('Invalid length for subject.');
	if (!CONTENT_TYPES.includes(out.contentType)) out.contentType = 'richtext';
	if (out.contentType !== 'visual') out.bodySource = null;
	if (out.sendAt !== null && out.sendAt < Date.now() * 1000) throw badRequest('Scheduled date should be in the future.');
	if (out.listIds.length === 0) throw badRequest('Invalid list IDs.');
	if (out.messenger !== 'email') {
		if (out.messenger.startsWith('email-')) out.messenger = 'email';
		else throw badRequest(`Unknown messenger ${out.messenger}.`);
	}
	try {
		compileTemplate(out.body, 'content');
	} catch (error) {
		if (error instanceof TemplateError) throw badRequest(`Error compiling campaign body: ${error.message}`);
		throw error;
	}
	if (out.archiveMeta === null || out.archiveMeta === undefined) out.archiveMeta = {};
	if (out.archiveSlug) {
		const slug = out.archiveSlug.toLowerCase().replace(/[^\p{L}\p{M}\p{N}]/gu, ' ').trim().replace(/\s+/g, '-');
		out.archiveSlug = slug;
	} else out.archiveSlug = null;
	return out;
}

const EMPTY_DRAFT: Draft = {
	type: '', name: '', subject: '', fromEmail: '', body: '', bodySource: null, altbody: null, sendAt: null, contentType: '', tags: [], headers: [],
	attribs: null, templateId: null, messenger: '', archive: false, archiveSlug: null, archiveTemplateId: null, archiveMeta: null, listIds: [], media: [],
};

export function registerCampaignRoutes(app: App, route: App['route']): void {
	const { store } = app;
	const read = ['campaigns:get_all', 'campaigns:get'];
	const manage = ['campaigns:manage_all', 'campaigns:manage'];

	const find = (id: number): Campaign => {
		const c = store.campaigns.get(id);
		if (!c) throw badRequest('Campaign not found');
		return c;
	};

	/** checkCampaignPerm: blanket campaign or list rights, else the campaign must target one of the caller's lists. */
	const checkAccess = (ctx: Ctx, types: number, id: number): void => {
		if (types & GET ? ctx.caller.hasPerm('campaigns:get_all') : ctx.caller.hasPerm('campaigns:manage_all')) return;
		const permitted = ctx.caller.permittedLists(GET | MANAGE);
		if (permitted.all) return;
		const c = store.campaigns.get(id);
		if (!c || !c.lists.some((l) => l.id !== null && permitted.ids.includes(l.id))) throw forbidden(`Permission denied: ${types & GET ? 'campaigns:get' : 'campaigns:manage'}`);
	};

	const listsFor = (ids: number[]): { id: number; name: string }[] =>
		[...new Set(ids)].flatMap((id) => {
			const l = store.lists.get(id);
			return l ? [{ id: l.id, name: l.name }] : [];
		});

	route('GET', '/api/campaigns', read, false, async (ctx) => {
		let all = ctx.caller.hasPerm('campaigns:get_all');
		let permittedIds: number[] = [];
		if (!all) ({ all, ids: permittedIds } = ctx.caller.permittedLists(GET | MANAGE));
		const pg = pagination(ctx.query);
		const statuses = ctx.query.getAll('status');
		const tags = ctx.query.getAll('tag');
		const query = (await formValue(ctx, 'query')).trim();
		const orderBy = await formValue(ctx, 'order_by');
		const order = sortOrder(await formValue(ctx, 'order'));
		const noBody = goBool(ctx.query.get('no_body'));
		const bad = statuses.find((s) => !CAMPAIGN_STATUSES.includes(s));
		if (bad !== undefined) throw serverError(`Error fetching Campaign: ${enumError('campaign_status', bad)}`);
		const field = SORT_FIELDS.includes(orderBy) ? orderBy : 'created_at';
		const collator = new Intl.Collator('en');
		const matching = [...store.campaigns.values()]
			.filter(
				(c) =>
					(statuses.length === 0 || statuses.includes(c.status)) &&
					tags.every((t) => c.tags.includes(t)) &&
					(query === '' || textSearchMatches(`${c.name} ${c.subject}`, query)) &&
					(all || c.lists.some((l) => l.id !== null && permittedIds.includes(l.id))),
			)
			.sort((a, b) => {
				const x = field === 'name' ? a.name : field === 'status' ? a.status : field === 'updated_at' ? a.updatedAt : a.createdAt;
				const y = field === 'name' ? b.name : field === 'status' ? b.status : field === 'updated_at' ? b.updatedAt : b.createdAt;
				const c = typeof x === 'string' && typeof y === 'string' ? collator.compare(x, y) : (x as number) - (y as number);
				return order === 'asc' ? c : -c;
			});
		const page = slicePage(matching, pg);
		if (page.length === 0) return { results: [], search: '', query: '', total: 0, per_page: 0, page: 0 };
		return { results: page.map((c) => campaignJson(c, { noBody })), search: '', query, total: matching.length, per_page: pg.perPage, page: pg.page };
	});

	route('GET', '/api/campaigns/running/stats', read, false, () =>
		[...store.campaigns.values()]
			.filter((c) => c.status === 'running')
			.map((c) => ({ id: c.id, status: c.status, to_send: c.toSend, sent: c.sent, started_at: c.startedAt === null ? null : campaignJson(c)['started_at'], updated_at: campaignJson(c)['updated_at'], rate: 0, net_rate: 0 })),
	);

	route('GET', '/api/campaigns/:id', read, true, (ctx) => {
		checkAccess(ctx, GET, ctx.id);
		return campaignJson(find(ctx.id), { noBody: goBool(ctx.query.get('no_body')) });
	});

	route('POST', '/api/campaigns', manage, false, async (ctx) => {
		const req = await bindBody(ctx, CAMPAIGN_REQ);
		let d = draftFrom(req, EMPTY_DRAFT);
		d.listIds = ctx.caller.filterListsByPerm(GET | MANAGE, d.listIds);
		if (d.type === 'optin') {
			if (d.listIds.length === 0) throw badRequest('Invalid list IDs.');
			const double = d.listIds.map((id) => store.lists.get(id)).filter((l) => l?.optin === 'double');
			if (double.length === 0) throw badRequest('No opt-in lists found to create campaign.');
			d.body = `<p>Hi {{ .Subscriber.FirstName }},</p>\n<p>You have been added to the following mailing lists:</p>\n<ul>\n${double.map((l) => `<li>${l!.name}</li>`).join('\n')}\n</ul>\n<p><a class="button" href="{{ OptinURL }}">Confirm subscription</a></p>\n`;
		} else if (d.type === '') d.type = 'regular';
		if (d.messenger === '') d.messenger = 'email';
		d = validate(d);
		if (d.archiveTemplateId !== null && d.archiveTemplateId !== 0) d.archiveTemplateId = d.templateId;
		if (!['regular', 'optin'].includes(d.type)) throw serverError(`Error creating Campaign: ${enumError('campaign_type', d.type)}`);

		// the template: the given id (a visual one only lends its body), else the default unless the campaign is visual
		const chosen = d.templateId !== null ? store.templates.get(d.templateId) : d.contentType !== 'visual' ? [...store.templates.values()].find((t) => t.isDefault) : undefined;
		const visual = chosen?.type === 'campaign_visual';
		const now = nowMicros();
		const id = store.nextCampaignId();
		const campaign: Campaign = {
			id,
			uuid: randomUUID(),
			type: d.type,
			name: d.name,
			subject: d.subject,
			fromEmail: d.fromEmail,
			body: d.body !== '' ? d.body : visual ? chosen.body : '',
			bodySource: d.bodySource ?? (visual ? chosen.bodySource : null),
			altbody: d.altbody,
			sendAt: d.sendAt,
			status: 'draft',
			contentType: d.contentType,
			tags: normalizeTags(d.tags),
			headers: d.headers,
			attribs: d.attribs ?? {},
			templateId: chosen && !visual ? chosen.id : null,
			messenger: d.messenger,
			archive: d.archive,
			archiveSlug: d.archiveSlug,
			archiveTemplateId: d.archiveTemplateId,
			archiveMeta: d.archiveMeta,
			lists: listsFor(d.listIds),
			media: d.media,
			startedAt: null,
			toSend: 0,
			sent: 0,
			views: 0,
			clicks: 0,
			bounces: 0,
			createdAt: now,
			updatedAt: now,
		};
		store.campaigns.set(id, campaign);
		return campaignJson(campaign);
	});

	route('PUT', '/api/campaigns/:id', manage, true, async (ctx) => {
		checkAccess(ctx, MANAGE, ctx.id);
		const c = find(ctx.id);
		if (!['draft', 'paused', 'scheduled'].includes(c.status)) throw badRequest('Cannot update a running or a finished campaign.');
		const stored: Draft = {
			type: c.type, name: c.name, subject: c.subject, fromEmail: c.fromEmail, body: c.body, bodySource: c.bodySource, altbody: c.altbody, sendAt: c.sendAt,
			contentType: c.contentType, tags: c.tags, headers: c.headers, attribs: null, templateId: c.templateId, messenger: c.messenger, archive: c.archive,
			archiveSlug: c.archiveSlug, archiveTemplateId: c.archiveTemplateId, archiveMeta: c.archiveMeta, listIds: [], media: [],
		};
		const req = await bindBody(ctx, CAMPAIGN_REQ);
		let d = draftFrom(req, stored);
		d.listIds = ctx.caller.filterListsByPerm(GET | MANAGE, d.listIds);
		d = validate(d);
		const now = nowMicros();
		Object.assign(c, {
			name: d.name,
			subject: d.subject,
			fromEmail: d.fromEmail,
			body: d.body,
			altbody: d.altbody === '' ? null : d.altbody,
			contentType: d.contentType,
			sendAt: d.sendAt,
			// unscheduled by dropping the date
			status: c.status === 'scheduled' && d.sendAt === null ? 'draft' : c.status,
			headers: d.headers,
			attribs: d.attribs ?? {},
			tags: normalizeTags(d.tags),
			messenger: d.messenger,
			templateId: d.contentType === 'visual' ? null : d.templateId,
			archive: d.archive,
			archiveSlug: d.archiveSlug,
			archiveTemplateId: d.contentType === 'visual' ? null : d.archiveTemplateId,
			archiveMeta: d.archiveMeta,
			bodySource: d.bodySource,
			media: d.media,
			updatedAt: now,
		});
		// campaign_lists: drop the unlisted, add the new
		c.lists = [...c.lists.filter((l) => l.id !== null && d.listIds.includes(l.id)), ...listsFor(d.listIds).filter((l) => !c.lists.some((x) => x.id === l.id))];
		return campaignJson(c);
	});

	// `campaigns:send` arrived in v6.1; before, managing a campaign was enough to start it
	route('PUT', '/api/campaigns/:id/status', app.versionAtLeast(6, 1) ? ['campaigns:send'] : manage, true, async (ctx) => {
		checkAccess(ctx, MANAGE, ctx.id);
		const req = await bindBody(ctx, { name: 'struct', fields: { status: 'string' } });
		const status = (req.get('status') as string | undefined) ?? '';
		const c = find(ctx.id);
		let error = '';
		switch (status) {
			case 'draft':
				if (c.status !== 'scheduled') error = 'Only scheduled campaigns can be saved as drafts.';
				break;
			case 'scheduled':
				if (c.status !== 'draft' && c.status !== 'paused') error = 'Only draft or paused campaigns can be scheduled.';
				if (c.sendAt === null) error = 'Campaign needs a date to be scheduled.';
				break;
			case 'running':
				if (c.status !== 'paused' && c.status !== 'draft') error = 'Only paused campaigns and drafts can be started.';
				break;
			case 'paused':
				if (c.status !== 'running') error = 'Only active campaigns can be paused.';
				break;
			case 'cancelled':
				if (c.status !== 'running' && c.status !== 'paused') error = 'Only active campaigns can be cancelled.';
				break;
		}
		if (error) throw badRequest(error);
		if (!CAMPAIGN_STATUSES.includes(status)) throw serverError(`Error updating Campaign: ${enumError('campaign_status', status)}`);
		// the answer is the campaign read before the change, with the requested status
		const before = campaignJson(c);
		c.status = status === 'running' && c.sendAt !== null ? 'scheduled' : status;
		c.updatedAt = nowMicros();
		if (c.status === 'running' && c.startedAt === null) c.startedAt = c.updatedAt;
		return { ...before, status };
	});

	route('DELETE', '/api/campaigns/:id', manage, true, (ctx) => {
		checkAccess(ctx, MANAGE, ctx.id);
		if (!store.campaigns.delete(ctx.id)) throw badRequest('Campaign not found');
		return true;
	});

	route('DELETE', '/api/campaigns', ['campaigns:manage', 'campaigns:manage_all'], false, async (ctx) => {
		let all = ctx.caller.hasPerm('campaigns:manage_all');
		let permittedIds: number[] = [];
		if (!all) ({ all, ids: permittedIds } = ctx.caller.permittedLists(GET | MANAGE));
		const rawIds = ctx.query.getAll('id');
		let ids: number[] = [];
		let query = '';
		let everything = false;
		if (rawIds.length > 0) ids = parseStringIds(rawIds);
		else {
			query = (await formValue(ctx, 'query')).trim();
			everything = (await formValue(ctx, 'all')) === 'true';
		}
		if (ids.length === 0 && query === '' && !everything) throw badRequest('One or more IDs are invalid: id or query required');
		for (const c of [...store.campaigns.values()]) {
			const selected = ids.length > 0 ? ids.includes(c.id) : query === '' || textSearchMatches(`${c.name} ${c.subject}`, query, { ilike: false });
			const allowed = all || c.lists.some((l) => l.id !== null && permittedIds.includes(l.id));
			if (selected && allowed) store.campaigns.delete(c.id);
		}
		return true;
	});
}


/** What a test may set on a campaign the double never sends (the test-only stats control). */
export interface CampaignStats {
	sent?: number;
	to_send?: number;
	views?: number;
	clicks?: number;
	bounces?: number;
	/** RFC3339; null clears it */
	started_at?: string | null;
}

/** Sets a campaign's figures as if listmonk had sent it and counted views and clicks; 'Campaign not found' otherwise. */
export function setCampaignStats(app: App, id: number, stats: CampaignStats): void {
	const c = app.store.campaigns.get(id);
	if (!c) throw badRequest('Campaign not found');
	const count = (name: keyof CampaignStats, value: unknown): number => {
		if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw badRequest(`${name}: a non-negative integer`);
		return value;
	};
	if (stats.sent !== undefined) c.sent = count('sent', stats.sent);
	if (stats.to_send !== undefined) c.toSend = count('to_send', stats.to_send);
	if (stats.views !== undefined) c.views = count('views', stats.views);
	if (stats.clicks !== undefined) c.clicks = count('clicks', stats.clicks);
	if (stats.bounces !== undefined) c.bounces = count('bounces', stats.bounces);
	if (stats.started_at !== undefined) {
		const at = stats.started_at === null ? null : parseTimestamp(stats.started_at);
		if (stats.started_at !== null && at === null) throw badRequest('started_at: an RFC3339 timestamp');
		c.startedAt = at;
	}
}
