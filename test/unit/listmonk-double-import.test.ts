// The Listmonk test double over real HTTP: bulk import (§5).
import { deflateRawSync } from 'node:zlib';
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

function upload(client: ApiClient, params: unknown, csv: string | Buffer | null, filename = 'subs.csv') {
	const form = new FormData();
	if (params !== undefined) form.set('params', typeof params === 'string' ? params : JSON.stringify(params));
	if (csv !== null) form.set('file', new Blob([typeof csv === 'string' ? csv : new Uint8Array(csv)]), filename);
	return client.post('/api/import/subscribers', undefined, { body: form });
}

async function finished(client: ApiClient = api): Promise<any> {
	await expect.poll(async () => (await client.get('/api/import/subscribers')).body.data.status).toMatch(/^(finished|failed)$/);
	return (await client.get('/api/import/subscribers')).body.data;
}

async function list(name: string): Promise<number> {
	return (await api.post('/api/lists', { name })).body.data.id;
}

/** A one-entry ZIP (deflate) built by hand. */
function zipOf(name: string, content: string): Buffer {
	const data = deflateRawSync(Buffer.from(content));
	const nameBuf = Buffer.from(name);
	const local = Buffer.alloc(30);
	local.writeUInt32LE(0x04034b50, 0);
	local.writeUInt16LE(20, 4);
	local.writeUInt16LE(8, 8);
	local.writeUInt32LE(data.length, 18);
	local.writeUInt32LE(content.length, 22);
	local.writeUInt16LE(nameBuf.length, 26);
	const central = Buffer.alloc(46);
	central.writeUInt32LE(0x02014b50, 0);
	central.writeUInt16LE(8, 10);
	central.writeUInt32LE(data.length, 20);
	central.writeUInt32LE(content.length, 24);
	central.writeUInt16LE(nameBuf.length, 28);
	central.writeUInt32LE(0, 42);
	const centralOffset = local.length + nameBuf.length + data.length;
	const end = Buffer.alloc(22);
	end.writeUInt32LE(0x06054b50, 0);
	end.writeUInt16LE(1, 8);
	end.writeUInt16LE(1, 10);
	end.writeUInt32LE(central.length + nameBuf.length, 12);
	end.writeUInt32LE(centralOffset, 16);
	return Buffer.concat([local, nameBuf, data, central, nameBuf, end]);
}

describe('§5 import: parameters', () => {
	it('validates in listmonk\'s order with its messages', async () => {
		const l = await list('L');
		const ok = { mode: 'subscribe', delim: ',', lists: [l] };
		expect(await upload(api, undefined, 'email\na@x.com')).toMatchObject({ status: 400, body: { message: 'Invalid params: unexpected end of JSON input' } });
		expect(await upload(api, '{bad', 'email\na@x.com')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^Invalid params: invalid character 'b'/) } });
		expect(await upload(api, { mode: 'subscribe', delim: ',' }, 'email\na@x.com')).toMatchObject({ status: 403, body: { message: 'Permission denied: lists' } });
		expect(await upload(api, { ...ok, mode: 'merge' }, 'email\na@x.com')).toMatchObject({ status: 400, body: { message: 'Invalid mode' } });
		expect(await upload(api, { ...ok, subscription_status: 'maybe' }, 'email\na@x.com')).toMatchObject({ status: 400, body: { message: 'Invalid subscription status' } });
		expect(await upload(api, { ...ok, delim: '' }, 'email\na@x.com')).toMatchObject({ status: 400, body: { message: 'Delimiter should be a single character.' } });
		expect(await upload(api, { ...ok, delim: ';;' }, 'email\na@x.com')).toMatchObject({ status: 400, body: { message: 'Delimiter should be a single character.' } });
		expect(await upload(api, ok, null)).toMatchObject({ status: 400, body: { message: 'Invalid file: http: no such file' } });
		expect((await api.get('/api/import/subscribers')).body).toEqual({ data: { name: '', total: 0, imported: 0, status: 'none' } });
		// blocklist mode needs no lists
		expect((await upload(api, { mode: 'blocklist', delim: ',' }, 'email\na@x.com')).status).toBe(200);
	});

	it('needs subscribers:import and manage rights on the lists', async () => {
		const l = await list('L');
		double.addUser({ username: 'imp', token: 'i', permissions: ['subscribers:import'] });
		const imp = apiClient(double.url, { username: 'imp', token: 'i' });
		expect(await imp.get('/api/import/subscribers')).toMatchObject({ status: 200 });
		expect(await upload(imp, { mode: 'subscribe', delim: ',', lists: [l] }, 'email\na@x.com')).toMatchObject({ status: 403, body: { message: 'Permission denied: lists' } });
		double.addUser({ username: 'none', token: 'n', permissions: [] });
		expect(await apiClient(double.url, { username: 'none', token: 'n' }).get('/api/import/subscribers')).toMatchObject({ status: 403, body: { message: 'permission denied: subscribers:import' } });
	});
});

describe('§5 import: subscribe mode', () => {
	it('upserts: new rows inserted, existing keep name/attribs/status unless the overwrite flags say otherwise', async () => {
		const l = await list('L');
		const existing = (await api.post('/api/subscribers', { email: 'old@x.com', name: 'Old Name', attribs: { a: 1 }, lists: [l], preconfirm_subscriptions: true })).body.data;
		const csv = 'email,name,attributes\nNEW@x.com,,"{""city"":""Oslo""}"\nold@x.com,Replaced,"{""b"":2}"\n';
		const started = await upload(api, { mode: 'subscribe', delim: ',', lists: [l] }, csv);
		expect(started).toMatchObject({ status: 200, body: { data: { name: 'subs.csv', total: 0, imported: 0, status: 'importing' } } });
		expect(await finished()).toEqual({ name: 'subs.csv', total: 2, imported: 2, status: 'finished' });
		const subs = double.subscribers();
		expect(subs.find((s) => s.email === 'new@x.com')).toMatchObject({ name: 'New', attribs: { city: 'Oslo' }, status: 'enabled', lists: [{ id: l, subscription_status: 'unconfirmed' }] });
		expect(subs.find((s) => s.id === existing.id)).toMatchObject({ name: 'Old Name', attribs: { a: 1 }, lists: [{ subscription_status: 'confirmed' }] });
		expect(double.optinMails()).toEqual([]);

		await upload(api, { mode: 'subscribe', delim: ',', lists: [l], subscription_status: 'unsubscribed', overwrite_userinfo: true }, csv);
		await finished();
		expect(double.subscribers().find((s) => s.id === existing.id)).toMatchObject({ name: 'Replaced', attribs: { b: 2 }, lists: [{ subscription_status: 'confirmed' }] });
		await upload(api, { mode: 'subscribe', delim: ',', lists: [l], subscription_status: 'unsubscribed', overwrite_subscription_status: true }, csv);
		await finished();
		expect(double.subscribers().find((s) => s.id === existing.id)!.lists[0]!.subscription_status).toBe('unsubscribed');
		await upload(api, { mode: 'subscribe', delim: ',', lists: [l], subscription_status: 'confirmed', overwrite: true }, 'email,name\nold@x.com,Legacy\n');
		await finished();
		expect(double.subscribers().find((s) => s.id === existing.id)).toMatchObject({ name: 'Legacy', lists: [{ subscription_status: 'confirmed' }] });
	});

	it('a blocklisted subscriber\'s new memberships are unsubscribed; its status never changes', async () => {
		const l = await list('L');
		await api.post('/api/subscribers', { email: 'b@x.com', status: 'blocklisted' });
		await upload(api, { mode: 'subscribe', delim: ',', lists: [l], subscription_status: 'confirmed' }, 'email\nb@x.com\n');
		await finished();
		expect(double.subscribers()[0]).toMatchObject({ status: 'blocklisted', lists: [{ subscription_status: 'unsubscribed' }] });
	});

	it('logs skipped rows with reasons; header rules: BOM stripped, unknown columns ignored, email required', async () => {
		const l = await list('L');
		const csv = '\ufeffemail;name;extra\ngood@x.com;Good;x\nnot-an-email;Bad;x\nshort@x.com;Short\n';
		await upload(api, { mode: 'subscribe', delim: ';', lists: [l] }, csv);
		expect(await finished()).toMatchObject({ total: 3, imported: 1, status: 'finished' });
		const log: string = (await api.get('/api/import/subscribers/logs')).body.data;
		expect(log).toMatch(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{6} importer\.go:\d+: processing 'subs\.csv'$/m);
		expect(log).toContain("ignoring unknown header 'extra'");
		expect(log).toContain('skipping line 2: Invalid email.: [not-an-email Bad x]');
		expect(log).toContain('skipping line 3. record on line 4: wrong number of fields');
		expect(log).toContain('imported finished');

		await upload(api, { mode: 'subscribe', delim: ',', lists: [l] }, 'name\nx\n');
		expect(await finished()).toMatchObject({ status: 'failed' });
		expect((await api.get('/api/import/subscribers/logs')).body.data).toContain("'email' column not found");
	});

	it('invalid attributes JSON is logged and the row imported without attribs; duplicates keep the first row', async () => {
		const l = await list('L');
		await upload(api, { mode: 'subscribe', delim: ',', lists: [l] }, 'email,name,attributes\na@x.com,First,{oops}\na@x.com,Second,"{""x"":1}"\n');
		expect(await finished()).toMatchObject({ imported: 2 });
		expect(double.subscribers()).toMatchObject([{ email: 'a@x.com', name: 'First', attribs: {} }]);
		expect((await api.get('/api/import/subscribers/logs')).body.data).toContain("skipping invalid attributes JSON on line 1 for 'a@x.com'");
	});

	it('a row that fails in the database (an unknown list) rolls its batch back and fails the import', async () => {
		const l = await list('L');
		await upload(api, { mode: 'subscribe', delim: ',', lists: [l, 999] }, 'email\na@x.com\nb@x.com\n');
		expect(await finished()).toMatchObject({ total: 2, imported: 0, status: 'failed' });
		expect(double.subscribers()).toEqual([]);
		expect((await api.get('/api/import/subscribers/logs')).body.data).toContain('violates foreign key constraint');
	});

	it('counts imported in steps of 10,000 plus the final commit', async () => {
		const l = await list('L');
		const rows = Array.from({ length: 10_005 }, (_, i) => `u${i}@x.com`).join('\n');
		await upload(api, { mode: 'subscribe', delim: ',', lists: [l] }, `email\n${rows}\n`);
		expect(await finished()).toMatchObject({ total: 10_005, imported: 10_005, status: 'finished' });
		expect((await api.get('/api/import/subscribers/logs')).body.data).toContain('imported 10000');
		expect(double.lists()[0]!.subscriber_statuses).toEqual({ unconfirmed: 10_005 });
	});
});

describe('§5 import: blocklist mode, ZIP files', () => {
	it('inserts blocklisted subscribers or blocklists existing ones, unsubscribing all their memberships', async () => {
		const l = await list('L');
		await api.post('/api/subscribers', { email: 'old@x.com', lists: [l], preconfirm_subscriptions: true });
		await upload(api, { mode: 'blocklist', delim: ',', lists: [l] }, 'email\nold@x.com\nnew@x.com\n');
		await finished();
		expect(double.subscribers().map((s) => [s.email, s.status, s.lists.map((x) => x.subscription_status)])).toEqual([
			['old@x.com', 'blocklisted', ['unsubscribed']],
			['new@x.com', 'blocklisted', []],
		]);
	});

	it('reads the first CSV of a ZIP; a file that is not a ZIP is a 500 and a failed import', async () => {
		const l = await list('L');
		await upload(api, { mode: 'subscribe', delim: ',', lists: [l] }, zipOf('inner/subs.csv', 'email\nz@x.com\n'), 'upload.zip');
		expect(await finished()).toMatchObject({ name: 'upload.zip', imported: 1, status: 'finished' });
		expect(await upload(api, { mode: 'subscribe', delim: ',', lists: [l] }, 'email\nz@x.com\n', 'subs.txt')).toMatchObject({ status: 500, body: { message: 'Error processing ZIP file: zip: not a valid zip file' } });
		expect((await api.get('/api/import/subscribers')).body.data).toMatchObject({ name: 'subs.txt', status: 'failed' });
	});
});

describe('§5 import: one at a time, stop and reset', () => {
	it('refuses a second import while one runs; DELETE stops it (stopping → finished) and then resets', async () => {
		const slow = await startListmonkDouble({ importRowDelayMs: 60_000, users: [{ ...ADMIN, permissions: 'super' }] });
		try {
			const s = apiClient(slow.url, ADMIN);
			const l = (await s.post('/api/lists', { name: 'L' })).body.data.id;
			expect((await upload(s, { mode: 'subscribe', delim: ',', lists: [l] }, 'email\na@x.com\nb@x.com\n')).body.data.status).toBe('importing');
			await expect.poll(async () => (await s.get('/api/import/subscribers')).body.data.total).toBe(2);
			expect((await s.get('/api/import/subscribers')).body.data).toMatchObject({ status: 'importing', imported: 0 });
			expect(await upload(s, { mode: 'subscribe', delim: ',', lists: [l] }, 'email\nc@x.com\n')).toMatchObject({
				status: 400,
				body: { message: 'An import is already running. Wait for it to finish or stop it before trying again.' },
			});
			const stopping = (await s.delete('/api/import/subscribers')).body.data;
			expect(stopping.status).toMatch(/^(stopping|finished)$/);
			expect(await finished(s)).toMatchObject({ status: 'finished', imported: 0 });
			expect((await s.get('/api/import/subscribers/logs')).body.data).toContain('stop request received');
			expect(slow.subscribers()).toEqual([]);
			expect((await s.delete('/api/import/subscribers')).body.data).toEqual({ name: '', total: 0, imported: 0, status: 'none' });
			expect((await s.get('/api/import/subscribers/logs')).body.data).toBe('');
		} finally {
			await slow.close();
		}
	});
});
