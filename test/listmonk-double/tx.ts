// POST /api/tx and the /api/templates endpoints tx needs (cmd/tx.go, cmd/templates.go).
import type { App } from './app.ts';
import { sanitizeEmail } from './email.ts';
import { ApiError, badRequest, plainGoError } from './errors.ts';
import { unmarshalStruct, type GoStruct } from './go-json.ts';
import { bindBody, byteLength, goBool, mediaType, type Ctx } from './http-io.ts';
import { compileTemplate, renderTemplate, TemplateError } from './render.ts';
import type { Subscriber } from './state.ts';
import { subscriberJson, templateJson } from './views.ts';

const TEMPLATE_REQ: GoStruct = {
	name: 'Template',
	fields: { id: 'int', created_at: 'any', updated_at: 'any', name: 'string', subject: 'string', type: 'string', body: 'string', body_source: 'any', is_default: 'bool' },
};
const TX_REQ: GoStruct = {
	name: 'TxMessage',
	fields: {
		subscriber_mode: 'string', subscriber_emails: 'strings', subscriber_ids: 'ints', subscriber_email: 'string', subscriber_id: 'int', template_id: 'int',
		data: 'map', from_email: 'string', headers: 'headers', content_type: 'string', messenger: 'string', subject: 'string', altbody: 'string',
	},
};
const CONTENT_PLACEHOLDER = /{{(\s+)?template\s+?"content"(\s+)?\.(\s+)?}}/;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function registerTemplateAndTxRoutes(app: App, route: App['route']): void {
	const { store } = app;

	route('GET', '/api/templates', ['templates:get'], false, (ctx) => {
		const noBody = goBool(ctx.query.get('no_body'));
		return [...store.templates.values()].sort((a, b) => a.createdAt - b.createdAt || a.id - b.id).map((t) => templateJson(t, noBody));
	});

	route('GET', '/api/templates/:id', ['templates:get'], true, (ctx) => {
		const tpl = store.templates.get(ctx.id);
		if (!tpl) throw badRequest('Template not found');
		return templateJson(tpl, goBool(ctx.query.get('no_body')));
	});

	const readTemplate = async (ctx: Ctx) => {
		const req = await bindBody(ctx, TEMPLATE_REQ);
		const name = str(req.get('name'));
		const type = str(req.get('type'));
		let subject = str(req.get('subject'));
		const body = str(req.get('body'));
		// validateTemplate returns a plain error for the name: echo hides it behind a 500
		if (byteLength(name) < 1 || byteLength(name) > 2000) throw plainGoError();
		if (type === 'campaign' && !CONTENT_PLACEHOLDER.test(body)) throw badRequest('The placeholder {{ template "content" . }} should appear exactly once in the template.');
		if (type === 'tx' && subject.trim() === '') throw badRequest('Missing field(s): subject');
		if (type === 'campaign' || type === 'campaign_visual') subject = '';
		try {
			compileTemplate(body, 'base');
			if (subject.includes('{{')) compileTemplate(subject, 'base');
		} catch (error) {
			if (error instanceof TemplateError) throw badRequest(`error compiling transactional template: ${error.message}`);
			throw error;
		}
		const bodySource = req.get('body_source');
		return { name, type, subject, body, bodySource: typeof bodySource === 'string' ? bodySource : null };
	};

	route('POST', '/api/templates', ['templates:manage'], false, async (ctx) => templateJson(store.createTemplate(await readTemplate(ctx))));

	route('PUT', '/api/templates/:id', ['templates:manage'], true, async (ctx) => {
		const fields = await readTemplate(ctx);
		const tpl = store.templates.get(ctx.id);
		if (!tpl) throw badRequest('Template not found');
		if (fields.name) tpl.name = fields.name;
		// update-template's own quirk: an empty subject falls back to the name
		tpl.subject = fields.subject !== '' ? fields.subject : tpl.name;
		if (fields.body) tpl.body = fields.body;
		if (fields.bodySource) tpl.bodySource = fields.bodySource;
		return templateJson(tpl);
	});

	route('DELETE', '/api/templates/:id', ['templates:manage'], true, (ctx) => {
		const tpl = store.templates.get(ctx.id);
		if (tpl && !tpl.isDefault && store.templates.size > 1) store.templates.delete(ctx.id);
		return true;
	});

	route('POST', '/api/tx', ['tx:send'], false, async (ctx) => {
		let req: Map<string, unknown>;
		if (mediaType(ctx.headers) === 'multipart/form-data') {
			const form = await ctx.form();
			const data = form?.getAll('data') ?? [];
			if (data.length !== 1 || typeof data[0] !== 'string') throw badRequest('Invalid fields: data');
			const decoded = unmarshalStruct(Buffer.from(data[0]), TX_REQ);
			if (!decoded.ok) throw badRequest(`Invalid fields: data: ${decoded.error}`);
			req = decoded.values;
		} else {
			req = await bindBody(ctx, TX_REQ);
		}
		const m = validateTx(req, app.messengers);
		const tpl = store.templates.get(m.templateId);
		if (!tpl || tpl.type !== 'tx') throw badRequest(`template ${m.templateId} not found`);

		const byId = m.ids.length > 0;
		const count = byId ? m.ids.length : m.emails.length;
		const notFound: string[] = [];
		for (let n = 0; n < count; n++) {
			let sub: Subscriber | { id: 0; email: string } | undefined;
			if (m.mode === 'external') sub = { id: 0, email: m.emails[n]! };
			else {
				const id = byId ? m.ids[n]! : 0;
				const email = byId ? '' : m.emails[n]!;
				sub = id > 0 ? store.subscriber(id) : store.subscriberByEmail(email);
				if (!sub) {
					if (m.mode === 'fallback') sub = { id: 0, email };
					else {
						notFound.push(`Subscriber (${id}: ${email}) not found`);
						continue;
					}
				}
			}
			const subscriberData = 'uuid' in sub ? goSubscriber(subscriberJson(store, sub, null)) : goSubscriber({ email: sub.email, attribs: null });
			const data = { Subscriber: subscriberData, Tx: { Data: m.data ?? {}, TemplateID: m.templateId, Subject: m.subject } };
			let subject: string;
			try {
				renderTemplate(tpl.body, data, true);
				subject = renderTemplate(m.subject !== '' ? m.subject : tpl.subject, data, false);
			} catch (error) {
				throw badRequest(`Error rendering message: ${(error as Error).message}`);
			}
			// tx ignores subscriber status and list membership: blocklisted subscribers still get mail
			store.txMails.push({ templateId: m.templateId, to: sub.email, data: m.data ?? {}, at: Date.now(), subscriberId: sub.id, subject, messenger: m.messenger });
		}
		if (notFound.length > 0) throw badRequest(notFound.join('; '));
		return true;
	});
}

/** The subscriber as Go templates address it (`.Subscriber.Name`, `.Subscriber.Attribs.city`). */
function goSubscriber(json: Record<string, unknown>): Record<string, unknown> {
	return { ID: json['id'] ?? 0, UUID: json['uuid'] ?? '', Email: json['email'] ?? '', Name: json['name'] ?? '', Status: json['status'] ?? '', Attribs: json['attribs'] ?? {} };
}

/** validateTxMessage, in listmonk's order. */
function validateTx(req: Map<string, unknown>, messengers: readonly string[]): { mode: string; emails: string[]; ids: number[]; templateId: number; data: Record<string, unknown> | null; subject: string; messenger: string } {
	const emails = [...((req.get('subscriber_emails') as string[] | null | undefined) ?? [])];
	const ids = [...((req.get('subscriber_ids') as number[] | null | undefined) ?? [])];
	const email = str(req.get('subscriber_email'));
	const id = (req.get('subscriber_id') as number | undefined) ?? 0;
	const invalid = (name: string): ApiError => badRequest(`Invalid fields: ${name}`);
	if (emails.length > 0 && email !== '') throw invalid('do not send `subscriber_email`');
	if (ids.length > 0 && id !== 0) throw invalid('do not send `subscriber_id`');
	if (email !== '') emails.push(email);
	if (id !== 0) ids.push(id);
	const mode = str(req.get('subscriber_mode')) || 'default';
	if (mode === 'default') {
		if ((emails.length === 0 && ids.length === 0) || (emails.length > 0 && ids.length > 0)) throw invalid('send subscriber_emails OR subscriber_ids');
	} else if (mode === 'fallback' || mode === 'external') {
		if (ids.length > 0) throw invalid('subscriber_ids not allowed in fallback or external mode');
		if (emails.length === 0) throw invalid('subscriber_emails');
	} else {
		throw invalid('subscriber_mode');
	}
	for (let n = 0; n < emails.length; n++) if (emails[n] !== '') emails[n] = sanitizeEmail(emails[n]!);
	const messenger = str(req.get('messenger'));
	if (messenger !== '' && !messengers.includes(messenger)) throw badRequest(`Unknown messenger ${messenger}.`);
	return { mode, emails, ids, templateId: (req.get('template_id') as number | undefined) ?? 0, data: (req.get('data') as Record<string, unknown> | null | undefined) ?? null, subject: str(req.get('subject')), messenger: messenger || 'email' };
}
