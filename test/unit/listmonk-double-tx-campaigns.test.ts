// The Listmonk test double over real HTTP: transactional messages with tx templates (§6) and campaigns (§7).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startListmonkDouble, type ListmonkDouble } from '../listmonk-double/index.ts';
import { apiClient, type ApiClient } from '../listmonk-double/test-client.ts';

const ADMIN = { username: 'admin', token: 'admin-token' };

let double: ListmonkDouble;
let api: ApiClient;

beforeAll(async () => {
	double = await startListmonkDouble({ port: 0, users: [{ ...ADMIN, permissions: 'super' }] });
	api = apiClient(double.url, ADMIN);
});
afterEach(() => double.reset());
afterAll(() => double.close());

async function txTemplate(): Promise<number> {
	const res = await api.post('/api/templates', { name: 'Welcome', type: 'tx', subject: 'Hi {{ .Subscriber.Name }}', body: '<p>{{ .Tx.Data.code }}</p>' });
	expect(res.status, JSON.stringify(res.body)).toBe(200);
	return res.body.data.id;
}

describe('§6 templates for tx', () => {
	it('POST/GET /api/templates: tx templates need a subject; an empty name is a plain 500', async () => {
		const { body } = await api.get('/api/templates');
		expect(body.data.map((t: { name: string; type: string }) => [t.name, t.type])).toEqual([
			['Default campaign template', 'campaign'],
			['Default archive template', 'campaign'],
			['Sample transactional template', 'tx'],
			['Sample visual template', 'campaign_visual'],
		]);
		const id = await txTemplate();
		expect((await api.get(`/api/templates/${id}`)).body.data).toMatchObject({ id, name: 'Welcome', type: 'tx', subject: 'Hi {{ .Subscriber.Name }}', is_default: false });
		expect(await api.post('/api/templates', { name: 'x', type: 'tx', body: 'b' })).toMatchObject({ status: 400, body: { message: 'Missing field(s): subject' } });
		expect(await api.post('/api/templates', { name: '', type: 'tx', subject: 's', body: 'b' })).toMatchObject({ status: 500, body: { message: 'Internal Server Error' } });
		expect(await api.post('/api/templates', { name: 'c', type: 'campaign', body: 'no placeholder' })).toMatchObject({ status: 400 });
		expect(await api.get('/api/templates/99')).toMatchObject({ status: 400, body: { message: 'Template not found' } });
	});
});

describe('§6 POST /api/tx', () => {
	it('sends to known recipients by email or id, ignoring blocklisting', async () => {
		const tpl = await txTemplate();
		const a = (await api.post('/api/subscribers', { email: 'a@x.com', name: 'Ann' })).body.data;
		const b = (await api.post('/api/subscribers', { email: 'b@x.com', status: 'blocklisted' })).body.data;
		expect(await api.post('/api/tx', { template_id: tpl, subscriber_emails: ['A@X.com'], data: { code: 7 } })).toMatchObject({ status: 200, body: { data: true } });
		expect((await api.post('/api/tx', { template_id: tpl, subscriber_ids: [b.id] })).status).toBe(200);
		expect((await api.post('/api/tx', { template_id: tpl, subscriber_email: 'a@x.com' })).status).toBe(200);
		expect(double.txMails().map((m) => [m.templateId, m.to, m.subscriberId, m.subject])).toEqual([
			[tpl, 'a@x.com', a.id, 'Hi Ann'],
			[tpl, 'b@x.com', b.id, 'Hi B'],
			[tpl, 'a@x.com', a.id, 'Hi Ann'],
		]);
		expect(double.txMails()[0]!.data).toEqual({ code: 7 });
	});

	it('unknown recipients: 400 with the joined not-found messages after sending the known ones', async () => {
		const tpl = await txTemplate();
		await api.post('/api/subscribers', { email: 'a@x.com' });
		const res = await api.post('/api/tx', { template_id: tpl, subscriber_emails: ['ghost@x.com', 'a@x.com', 'nobody@x.com'] });
		expect(res).toMatchObject({ status: 400, body: { message: 'Subscriber (0: ghost@x.com) not found; Subscriber (0: nobody@x.com) not found' } });
		expect(double.txMails().map((m) => m.to)).toEqual(['a@x.com']);
		expect(await api.post('/api/tx', { template_id: tpl, subscriber_ids: [42] })).toMatchObject({ status: 400, body: { message: 'Subscriber (42: ) not found' } });
	});

	it('validates recipients, mode, template and messenger', async () => {
		const tpl = await txTemplate();
		const cases: [Record<string, unknown>, string][] = [
			[{ template_id: tpl }, 'Invalid fields: send subscriber_emails OR subscriber_ids'],
			[{ template_id: tpl, subscriber_emails: ['a@x.com'], subscriber_ids: [1] }, 'Invalid fields: send subscriber_emails OR subscriber_ids'],
			[{ template_id: tpl, subscriber_emails: ['a@x.com'], subscriber_email: 'b@x.com' }, 'Invalid fields: do not send `subscriber_email`'],
			[{ template_id: tpl, subscriber_ids: [1], subscriber_mode: 'fallback' }, 'Invalid fields: subscriber_ids not allowed in fallback or external mode'],
			[{ template_id: tpl, subscriber_emails: ['a@x.com'], subscriber_mode: 'odd' }, 'Invalid fields: subscriber_mode'],
			[{ template_id: tpl, subscriber_emails: ['not an email'] }, 'Invalid email.'],
			[{ template_id: tpl, subscriber_emails: ['a@x.com'], messenger: 'pigeon' }, 'Unknown messenger pigeon.'],
			[{ template_id: 1, subscriber_emails: ['a@x.com'] }, 'template 1 not found'],
			[{ template_id: 0, subscriber_emails: ['a@x.com'] }, 'template 0 not found'],
		];
		for (const [body, message] of cases) expect(await api.post('/api/tx', body), message).toMatchObject({ status: 400, body: { message } });
	});

	it('fallback and external modes send to unknown emails', async () => {
		const tpl = await txTemplate();
		expect((await api.post('/api/tx', { template_id: tpl, subscriber_emails: ['new@x.com'], subscriber_mode: 'fallback' })).status).toBe(200);
		expect((await api.post('/api/tx', { template_id: tpl, subscriber_emails: ['ext@x.com'], subscriber_mode: 'external' })).status).toBe(200);
		expect(double.txMails().map((m) => [m.to, m.subscriberId])).toEqual([
			['new@x.com', 0],
			['ext@x.com', 0],
		]);
	});

	it('accepts the multipart form with a `data` field', async () => {
		const tpl = await txTemplate();
		await api.post('/api/subscribers', { email: 'a@x.com' });
		const form = new FormData();
		form.set('data', JSON.stringify({ template_id: tpl, subscriber_emails: ['a@x.com'] }));
		form.set('file', new Blob(['hello']), 'note.txt');
		expect((await api.post('/api/tx', undefined, { body: form })).status).toBe(200);
		const bad = new FormData();
		bad.set('other', 'x');
		expect(await api.post('/api/tx', undefined, { body: bad })).toMatchObject({ status: 400, body: { message: 'Invalid fields: data' } });
	});
});

describe('§7 campaigns', () => {
	async function listId(name = 'L', optin = 'single'): Promise<number> {
		return (await api.post('/api/lists', { name, optin })).body.data.id;
	}
	const future = () => new Date(Date.now() + 86_400_000).toISOString();

	it('creates a draft with defaults and the full campaign object; unknown list ids are dropped', async () => {
		const l = await listId();
		const res = await api.post('/api/campaigns', { name: 'C', subject: 'S', lists: [l, 999], tags: ['a b'], content_type: 'nonsense' });
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		const c = res.body.data;
		expect(c).toMatchObject({ name: 'C', subject: 'S', status: 'draft', type: 'regular', content_type: 'richtext', messenger: 'email', template_id: 1, lists: [{ id: l, name: 'L' }], tags: ['a-b'], headers: [], attribs: {}, views: 0, sent: 0, send_at: null });
		for (const key of ['uuid', 'from_email', 'body', 'altbody', 'archive', 'archive_meta', 'media', 'started_at', 'to_send', 'created_at', 'updated_at']) expect(c).toHaveProperty(key);
		expect((await api.get(`/api/campaigns/${c.id}`)).body.data).toEqual(c);
		expect((await api.get(`/api/campaigns/${c.id}?no_body=true`)).body.data.body).toBe('');
	});

	it('validates name, subject, lists, from_email, send_at, messenger, body', async () => {
		const l = await listId();
		const ok = { name: 'C', subject: 'S', lists: [l] };
		const cases: [Record<string, unknown>, string][] = [
			[{ ...ok, name: '' }, 'Invalid length for name.'],
			[{ ...ok, subject: '' }, 'Invalid length for subject.'],
			[{ ...ok, lists: [] }, 'Invalid list IDs.'],
			[{ ...ok, from_email: 'not valid' }, 'Invalid `from_email`.'],
			[{ ...ok, send_at: '2001-01-01T00:00:00Z' }, 'Scheduled date should be in the future.'],
			[{ ...ok, messenger: 'pigeon' }, 'Unknown messenger pigeon.'],
			[{ ...ok, body: '{{ .Subscriber.Name ' }, 'Error compiling campaign body: template: content:1: unclosed action'],
			[{ ...ok, type: 'optin' }, 'No opt-in lists found to create campaign.'],
		];
		for (const [body, message] of cases) expect(await api.post('/api/campaigns', body), message).toMatchObject({ status: 400, body: { message } });
		expect((await api.post('/api/campaigns', { ...ok, from_email: 'News <news@x.com>' })).status).toBe(200);
		expect((await api.post('/api/campaigns', { ...ok, type: 'weird' })).status).toBe(500);
	});

	it('lists campaigns; an empty result has page 0 and per_page 0; only lowercase order', async () => {
		expect((await api.get('/api/campaigns')).body.data).toEqual({ results: [], search: '', query: '', total: 0, per_page: 0, page: 0 });
		const l = await listId();
		for (const name of ['Beta', 'Alpha', 'Gamma']) await api.post('/api/campaigns', { name, subject: `${name} subject`, lists: [l], tags: name === 'Beta' ? ['x'] : [] });
		const names = async (qs: string) => (await api.get(`/api/campaigns?${qs}`)).body.data.results.map((c: { name: string }) => c.name);
		expect(await names('')).toEqual(['Gamma', 'Alpha', 'Beta']);
		expect(await names('order_by=name&order=asc')).toEqual(['Alpha', 'Beta', 'Gamma']);
		expect(await names('order_by=name&order=ASC')).toEqual(['Gamma', 'Beta', 'Alpha']);
		expect(await names('tag=x')).toEqual(['Beta']);
		expect(await names('query=alpha')).toEqual(['Alpha']);
		expect(await names('status=running')).toEqual([]);
		expect((await api.get('/api/campaigns?per_page=1')).body.data).toMatchObject({ total: 3, per_page: 1, page: 1 });
		expect((await api.get('/api/campaigns?per_page=2&page=5')).body.data).toMatchObject({ results: [], total: 0 });
	});

	it('updates draft/paused/scheduled campaigns; lists must be sent again', async () => {
		const l = await listId();
		const c = (await api.post('/api/campaigns', { name: 'C', subject: 'S', lists: [l], body: 'old' })).body.data;
		expect(await api.put(`/api/campaigns/${c.id}`, { name: 'C2' })).toMatchObject({ status: 400, body: { message: 'Invalid list IDs.' } });
		const updated = (await api.put(`/api/campaigns/${c.id}`, { name: 'C2', lists: [l] })).body.data;
		expect(updated).toMatchObject({ name: 'C2', subject: 'S', body: 'old', lists: [{ id: l }] });
		await api.put(`/api/campaigns/${c.id}/status`, { status: 'running' });
		expect(await api.put(`/api/campaigns/${c.id}`, { name: 'C3', lists: [l] })).toMatchObject({ status: 400, body: { message: 'Cannot update a running or a finished campaign.' } });
		expect(await api.put('/api/campaigns/99', { name: 'x', lists: [l] })).toMatchObject({ status: 400, body: { message: 'Campaign not found' } });
	});

	it('status transitions with their messages; running with send_at is stored as scheduled but echoed as running', async () => {
		const l = await listId();
		const c = (await api.post('/api/campaigns', { name: 'C', subject: 'S', lists: [l] })).body.data;
		const status = (s: string) => api.put(`/api/campaigns/${c.id}/status`, { status: s });
		expect(await status('paused')).toMatchObject({ status: 400, body: { message: 'Only active campaigns can be paused.' } });
		expect(await status('cancelled')).toMatchObject({ status: 400, body: { message: 'Only active campaigns can be cancelled.' } });
		expect(await status('draft')).toMatchObject({ status: 400, body: { message: 'Only scheduled campaigns can be saved as drafts.' } });
		expect(await status('scheduled')).toMatchObject({ status: 400, body: { message: 'Campaign needs a date to be scheduled.' } });
		expect(await status('bogus')).toMatchObject({ status: 500 });
		expect((await status('running')).body.data.status).toBe('running');
		expect(await status('running')).toMatchObject({ status: 400, body: { message: 'Only paused campaigns and drafts can be started.' } });
		expect((await status('paused')).body.data.status).toBe('paused');
		expect((await status('cancelled')).body.data.status).toBe('cancelled');
		expect((await status('finished')).body.data.status).toBe('finished');

		const s = (await api.post('/api/campaigns', { name: 'S', subject: 'S', lists: [l], send_at: future() })).body.data;
		const echoed = await api.put(`/api/campaigns/${s.id}/status`, { status: 'running' });
		expect(echoed.body.data.status).toBe('running');
		expect((await api.get(`/api/campaigns/${s.id}`)).body.data.status).toBe('scheduled');
		expect(await api.put(`/api/campaigns/${s.id}/status`, { status: 'running' })).toMatchObject({ status: 400, body: { message: 'Only paused campaigns and drafts can be started.' } });
		expect((await api.put(`/api/campaigns/${s.id}/status`, { status: 'draft' })).body.data.status).toBe('draft');
		expect(await api.put('/api/campaigns/99/status', { status: 'running' })).toMatchObject({ status: 400, body: { message: 'Campaign not found' } });
	});

	it('deletes in any status; an unknown id is 400 (not idempotent)', async () => {
		const l = await listId();
		const c = (await api.post('/api/campaigns', { name: 'C', subject: 'S', lists: [l] })).body.data;
		await api.put(`/api/campaigns/${c.id}/status`, { status: 'running' });
		expect(await api.delete(`/api/campaigns/${c.id}`)).toMatchObject({ status: 200, body: { data: true } });
		expect(await api.delete(`/api/campaigns/${c.id}`)).toMatchObject({ status: 400, body: { message: 'Campaign not found' } });
	});

	it('opt-in campaigns need a double opt-in list and get a generated body', async () => {
		const d = await listId('D', 'double');
		const c = (await api.post('/api/campaigns', { name: 'Confirm', subject: 'Please confirm', lists: [d], type: 'optin' })).body.data;
		expect(c).toMatchObject({ type: 'optin', lists: [{ id: d }] });
		expect(c.body).toContain('OptinURL');
	});
});
