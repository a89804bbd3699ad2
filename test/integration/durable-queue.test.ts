// The durable change queue through a real Directus: a deal committed just before a crash is processed after the
// restart; writers outside Directus (our seed, a user's SQL) queue clients and the running instance scores, tags and
// re-qualifies them without a manual recompute; a whole-base request is honoured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { queueSettled } from '../harness/queue.ts';
import { runScript } from '../harness/scripts.ts';

describe('durable change queue', () => {
	let d: TestDirectus;
	let buyers: number;
	const scored = (id: number) => d.knex('clients').where({ id }).first('rfm_frequency', 'lifecycle_stage', 'rfm_computed_at');
	const members = async (segment: number) => (await d.knex('segment_members').where({ segment }).select('client')).map((r) => Number(r.client)).sort((a, b) => a - b);
	const queued = async (client: number) => Number((await d.knex('segmentation_changes').where({ client_id: client }).count({ n: '*' }).first())?.['n'] ?? 0);
	/** What Directus's own filter says the members are. */
	const expected = async (rule: unknown) =>
		((await d.http('GET', `/items/clients?fields=id&limit=-1&filter=${encodeURIComponent(JSON.stringify(rule))}`)).body.data as Array<{ id: number }>).map((r) => Number(r.id)).sort((a, b) => a - b);
	const BUYERS = { rfm_frequency: { _gte: 1 } };

	beforeAll(async () => {
		d = await bootDirectus();
		await queueSettled(d);
		const res = await d.http('POST', '/items/segments', { name: 'Buyers', kind: 'dynamic', is_active: true, rule: BUYERS });
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		buyers = res.body.data.id;
	});
	afterAll(async () => d?.stop());

	it('scores, tags and segments what `npm run seed` writes into a running instance, without a recompute', async () => {
		const seeded = await runScript(d, 'seed.ts', ['--clients', '120', '--seed', '3']);
		expect(seeded.code, seeded.stderr).toBe(0);
		await queueSettled(d);
		const unscored = await d.knex('clients').whereNull('lifecycle_stage').count({ n: '*' }).first();
		expect(Number(unscored?.['n'])).toBe(0);
		const buyersNow = await expected(BUYERS);
		expect(buyersNow.length).toBeGreaterThan(50);
		await expect.poll(() => members(buyers), { timeout: 60_000 }).toEqual(buyersNow);
		const tagged = await d.knex('client_tags').where({ source: 'auto' }).countDistinct({ n: 'client' }).first();
		expect(Number(tagged?.['n'])).toBeGreaterThan(0);
	});

	it('re-qualifies a client after a restart when Directus died between the commit and the processing', async () => {
		// processing paused: the save commits with its queue row, nothing drains it
		await d.restart({ env: { SEGMENTATION_CHANGES_PAUSED: 'true' } });
		const client = (await d.http('POST', '/items/clients', { name: 'Crash test' })).body.data.id as number;
		const deal = await d.http('POST', '/items/deals', { client, status: 'won', amount: 42, closed_at: new Date().toISOString() });
		expect(deal.status, JSON.stringify(deal.body)).toBe(200);
		expect(await queued(client)).toBeGreaterThan(0);
		expect((await scored(client))?.rfm_frequency ?? null).toBeNull();
		expect(await members(buyers)).not.toContain(client);

		await d.restart({ kill: true, env: {} });
		await expect.poll(async () => (await scored(client))?.rfm_frequency, { timeout: 60_000 }).toBe(1);
		await expect.poll(() => members(buyers), { timeout: 60_000 }).toContain(client);
		await queueSettled(d);
		expect(await queued(client)).toBe(0);
		const entered = await d.knex('segmentation_segment_events').where({ segment_id: buyers, client_id: client, event: 'entered' }).count({ n: '*' }).first();
		expect(Number(entered?.['n'])).toBe(1);
	});

	it('fills a segment saved just before a crash: the refresh it owes commits with the save', async () => {
		await d.restart({ env: { SEGMENTATION_CHANGES_PAUSED: 'true' } });
		const rule = { lead_source: { _eq: 'referral' } };
		const res = await d.http('POST', '/items/segments', { name: 'Saved before a crash', kind: 'dynamic', is_active: true, rule });
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		const id = res.body.data.id as number;
		const owed = await d.knex('segments').where({ id }).first('refresh_requested_at', 'member_count');
		expect(owed?.refresh_requested_at).not.toBeNull();
		expect(await members(id)).toEqual([]);

		await d.restart({ kill: true, env: {} });
		const wanted = await expected(rule);
		expect(wanted.length).toBeGreaterThan(0);
		await expect.poll(() => members(id), { timeout: 60_000 }).toEqual(wanted);
		await expect.poll(async () => (await d.knex('segments').where({ id }).first('refresh_requested_at'))?.refresh_requested_at ?? null, { timeout: 60_000 }).toBeNull();
		expect(Number((await d.knex('segments').where({ id }).first('member_count'))?.member_count)).toBe(wanted.length);
	});

	it('picks up clients a writer outside Directus queued with plain SQL', async () => {
		const now = Date.now();
		const date = (ms: number) => (d.db === 'sqlite' ? ms : new Date(ms).toISOString());
		const [row] = await d.knex('clients').insert({ name: 'Written by an ETL', email_consent: true, date_created: date(now) }).returning('id');
		const client = Number(typeof row === 'object' ? row.id : row);
		await d.knex('deals').insert([
			{ client, status: 'won', amount: 10, created_at: date(now - 86_400_000 * 40), closed_at: date(now - 86_400_000 * 40) },
			{ client, status: 'won', amount: 30, created_at: date(now - 86_400_000), closed_at: date(now - 86_400_000) },
		]);
		// nothing happens until the writer says which clients changed
		await d.knex('segmentation_changes').insert({ client_id: client });
		await expect.poll(async () => (await scored(client))?.rfm_frequency, { timeout: 60_000 }).toBe(2);
		await expect.poll(() => members(buyers), { timeout: 60_000 }).toContain(client);
	});

	it('runs a whole-base pass when a writer asks for one', async () => {
		const before = Number((await d.knex('segmentation_runs').max({ m: 'id' }).first())?.['m'] ?? 0);
		await d.knex('segmentation_changes').insert({ client_id: null });
		await expect
			.poll(async () => (await d.knex('segmentation_runs').where('id', '>', before).andWhere({ status: 'succeeded' }).select('trigger')).map((r) => r.trigger), { timeout: 120_000 })
			.toContain('queue');
		await queueSettled(d);
	});
});
