// The behaviour engine through Directus: full recompute over HTTP and from a Flow, the runs log, steady state,
// incremental re-scoring after saves by every path, bad rows counted, settings guarded, 409 while busy, and the
// retail sample scored as of 2011-12-10 exactly as the core says.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_SETTINGS } from '../../extensions/segmentation/src/core/engine-settings.ts';
import { computeBase, DAY_MS, type DealRow } from '../../extensions/segmentation/src/core/engine.ts';
import { SCORE_FIELDS } from '../../extensions/segmentation/src/store/scores.ts';
import { ROOT } from '../../scripts/lib/env.ts';
import { bootDirectus, login, type TestDirectus } from '../harness/directus.ts';
import { runScript } from '../harness/scripts.ts';
import { queueSettled } from '../harness/queue.ts';

const AS_OF = '2026-01-01T00:00:00.000Z';

const ms = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : Number(v));
/** Re-scoring runs after the commit: wait on the condition, generously (a loaded machine is slow, never wrong). */
const WAIT = { timeout: 60_000 };

describe('behaviour engine', () => {
	let d: TestDirectus;
	const client = async (id: number) => (await d.http('GET', `/items/clients/${id}`)).body.data;

	beforeAll(async () => {
		d = await bootDirectus();
		const seeded = await runScript(d, 'seed.ts', ['--clients', '300', '--seed', '5', '--as-of', '2026-01-01']);
		expect(seeded.code, seeded.stderr).toBe(0);
		// the running instance scores what the seed queued (as of now): let it finish before the tests' own runs
		await queueSettled(d);
	});
	afterAll(async () => d?.stop());

	it('recomputes the whole base on request, answers counts and duration, and logs the run', async () => {
		// the running instance already scored the seeded clients (as of today) from the change queue: start from
		// cleared scores, so this run must give every client its values
		await d.knex('clients').update(Object.fromEntries(SCORE_FIELDS.map((field) => [field, null])));
		const res = await d.http('POST', '/segmentation/recompute', { as_of: AS_OF });
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		const run = res.body.data;
		expect(run).toMatchObject({ status: 'succeeded', trigger: 'endpoint', clients_total: 300, as_of: AS_OF });
		expect(run.clients_scored).toBeGreaterThan(150);
		expect(run.rows_changed).toBe(300); // every client got its first values
		expect(run.duration_ms).toBeGreaterThanOrEqual(0);
		expect(run.cutoffs.levels).toBe(3);
		expect(run.cutoffs.frequency).toHaveLength(2);
		const runs = await d.http('GET', '/segmentation/runs?limit=5');
		expect(runs.body.data[0]).toMatchObject({ id: run.id, status: 'succeeded' });

		const scored = await d.knex('clients').whereNotNull('rfm_code').count({ n: '*' });
		expect(Number(scored[0]!.n)).toBe(run.clients_scored);
		const codes = (await d.knex('clients').whereNotNull('rfm_code').distinct('rfm_code')).map((r) => r.rfm_code);
		for (const code of codes) expect(code).toMatch(/^[ABC]{3}$/);
		const stages = new Set((await d.knex('clients').distinct('lifecycle_stage')).map((r) => r.lifecycle_stage));
		for (const stage of ['one_time', 'returning', 'lead']) expect(stages).toContain(stage);
	});

	it('writes nothing on a second run with nothing changed', async () => {
		const res = await d.http('POST', '/segmentation/recompute', { as_of: AS_OF });
		expect(res.body.data.rows_changed).toBe(0);
	});

	it('re-scores a client right after a deal save by REST, nested write, update, import and delete', async () => {
		const created = await d.http('POST', '/items/clients', { name: 'Fresh Fiona', email: 'fiona@example.com' });
		const id = created.body.data.id;
		await expect.poll(async () => (await client(id)).lifecycle_stage, WAIT).toBe('lead');

		await d.http('POST', '/items/deals', { client: id, status: 'won', amount: '120.00', closed_at: new Date(Date.now() - 3 * DAY_MS).toISOString() });
		let c: any;
		await expect.poll(async () => (c = await client(id)).rfm_frequency, WAIT).toBe(1);
		expect(c).toMatchObject({ rfm_frequency: 1, lifecycle_stage: 'one_time', value_tier: 'regular', spend_trend: 'rising' });
		expect(c.rfm_code).toMatch(/^[ABC]{3}$/);

		// nested: a second purchase written through the client
		await d.http('PATCH', `/items/clients/${id}`, { deals: { create: [{ status: 'won', amount: '80.00', closed_at: new Date(Date.now() - DAY_MS).toISOString() }], update: [], delete: [] } });
		await expect.poll(async () => (c = await client(id)).rfm_frequency, WAIT).toBe(2);
		expect(c.lifecycle_stage).toBe('returning');
		expect(Number(c.rfm_monetary)).toBeCloseTo(200);

		// import: two more deals through Directus's own importer
		const form = new FormData();
		form.append('file', new Blob([JSON.stringify([{ client: id, status: 'won', amount: 10, closed_at: new Date(Date.now() - 2 * DAY_MS).toISOString() }, { client: id, status: 'lost', amount: 5 }])], { type: 'application/json' }), 'deals.json');
		const imported = await d.http('POST', '/utils/import/deals', form);
		expect([200, 204]).toContain(imported.status);
		await expect.poll(async () => (await client(id)).rfm_frequency, WAIT).toBe(3);

		// update: a purchase becomes lost; delete: the rest go
		const deals = (await d.http('GET', `/items/deals?filter[client][_eq]=${id}&filter[status][_eq]=won&fields=id`)).body.data.map((x: { id: number }) => x.id);
		await d.http('PATCH', `/items/deals/${deals[0]}`, { status: 'lost' });
		await expect.poll(async () => (await client(id)).rfm_frequency, WAIT).toBe(2);
		await d.http('DELETE', '/items/deals', deals.slice(1));
		await expect.poll(async () => (c = await client(id)).rfm_frequency, WAIT).toBeNull();
		expect(c).toMatchObject({ rfm_frequency: null, rfm_code: null, rfm_r: null, last_purchase_at: null, lifecycle_stage: 'refused', value_tier: null });
	});

	it('moves both clients when a deal changes hands', async () => {
		const a = (await d.http('POST', '/items/clients', { name: 'Owner A' })).body.data.id;
		const b = (await d.http('POST', '/items/clients', { name: 'Owner B' })).body.data.id;
		const deal = (await d.http('POST', '/items/deals', { client: a, status: 'won', amount: 50, closed_at: new Date().toISOString() })).body.data.id;
		await expect.poll(async () => (await client(a)).rfm_frequency, WAIT).toBe(1);
		await d.http('PATCH', `/items/deals/${deal}`, { client: b });
		await expect.poll(async () => (await client(b)).rfm_frequency, WAIT).toBe(1);
		let left: any;
		await expect.poll(async () => (left = await client(a)).rfm_frequency, WAIT).toBeNull();
		expect(left.lifecycle_stage).toBe('lead');
	});

	it('sets the value tier to difficult when a client is flagged by hand', async () => {
		const id = (await d.knex('clients').whereNotNull('rfm_code').where('difficult', false).first('id')).id;
		await d.http('PATCH', `/items/clients/${id}`, { difficult: true });
		await expect.poll(async () => (await client(id)).value_tier, WAIT).toBe('difficult');
	});

	it('skips and counts bad deals instead of failing', async () => {
		const id = (await d.http('POST', '/items/clients', { name: 'Bad Data' })).body.data.id;
		await d.knex('deals').insert([
			{ client: id, status: 'won', amount: -5, closed_at: d.db === 'pg' ? new Date('2025-01-01') : Date.parse('2025-01-01'), created_at: d.db === 'pg' ? new Date('2025-01-01') : Date.parse('2025-01-01') },
			{ client: id, status: 'won', amount: 5, closed_at: d.db === 'pg' ? new Date('2027-01-01') : Date.parse('2027-01-01'), created_at: d.db === 'pg' ? new Date('2025-01-01') : Date.parse('2025-01-01') },
			{ client: id, status: 'mystery', amount: 5, closed_at: null, created_at: null },
			{ client: null, status: 'won', amount: 5, closed_at: null, created_at: null },
		]);
		const run = (await d.http('POST', '/segmentation/recompute', { as_of: AS_OF })).body.data;
		expect(run.status).toBe('succeeded');
		expect(run.skipped.bad_amount).toBeGreaterThanOrEqual(1);
		expect(run.skipped.future_date).toBeGreaterThanOrEqual(1);
		expect(run.skipped.unknown_status).toBeGreaterThanOrEqual(1);
		expect(run.skipped.no_client).toBeGreaterThanOrEqual(1);
		expect((await client(id)).rfm_frequency).toBeNull();
	});

	it('refuses bad settings and bad requests with the field named, and 409 while another instance runs', async () => {
		let res = await d.http('PATCH', '/items/segmentation_settings', { rfm_scheme: 'deciles' });
		expect(res.status).toBe(400);
		expect(res.body.errors[0].message).toMatch(/rfm_scheme/);
		res = await d.http('PATCH', '/items/segmentation_settings', { recompute_cron: '61 3 * * *' });
		expect(res.status).toBe(400);
		expect(res.body.errors[0].message).toMatch(/recompute_cron: cron minute "61"/);
		res = await d.http('PATCH', '/items/segmentation_settings', { rfm_thresholds: { recency: [90, 30], frequency: [2, 5], monetary: [100, 500] } });
		expect(res.status).toBe(400);
		expect(res.body.errors[0].message).toMatch(/boundaries must increase/);
		res = await d.http('POST', '/segmentation/recompute', { as_of: 'yesterday-ish' });
		expect(res.status).toBe(400);
		expect(res.body.errors[0].message).toMatch(/as_of: must be an ISO date/);

		await d.knex('segmentation_locks').insert({ name: 'recompute', holder: 'other-instance', acquired_at: Date.now(), expires_at: Date.now() + 60_000 });
		res = await d.http('POST', '/segmentation/recompute', {});
		expect(res.status).toBe(409);
		await d.knex('segmentation_locks').where({ name: 'recompute' }).delete();
	});

	it('is closed to users without the policies', async () => {
		await d.http('POST', '/users', { email: 'nobody@example.com', password: 'nobody-password-1' });
		const token = await login(d, 'nobody@example.com', 'nobody-password-1');
		expect((await d.http('POST', '/segmentation/recompute', {}, token)).status).toBe(403);
		expect((await d.http('GET', '/segmentation/runs', undefined, token)).status).toBe(403);
	});

	it('runs from a Flow with the "Recompute segmentation" operation', async () => {
		const flow = (await d.http('POST', '/flows', { name: 'Recompute', status: 'active', trigger: 'webhook', accountability: 'all', options: { method: 'GET', return: '$last' } })).body.data;
		const op = (await d.http('POST', '/operations', { name: 'Recompute', key: 'recompute', type: 'segmentation-recompute', flow: flow.id, position_x: 19, position_y: 1, options: { as_of: '2026-01-01' } })).body.data;
		await d.http('PATCH', `/flows/${flow.id}`, { operation: op.id });
		const res = await d.http('GET', `/flows/trigger/${flow.id}`);
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		expect(res.body).toMatchObject({ status: 'succeeded', trigger: 'flow', as_of: AS_OF });
	});
});

describe('the retail sample scored as of 2011-12-10', () => {
	// its own Directus and database: the sample imported into a new base, as a user does
	let d: TestDirectus;
	beforeAll(async () => {
		d = await bootDirectus();
		const run = await runScript(d, 'import-retail.ts', [resolve(ROOT, '../shared/data/online-retail-sample.csv')]);
		expect(run.code, run.stderr).toBe(0);
		await queueSettled(d);
	});
	afterAll(async () => d?.stop());

	it('gives every customer the scores the semantics define', async () => {
		const asOf = Date.parse('2011-12-10T00:00:00Z');
		const res = await d.http('POST', '/segmentation/recompute', { as_of: '2011-12-10' });
		expect(res.status).toBe(200);
		const run = res.body.data;
		const clients = await d.knex('clients').orderBy('id').select('*');
		expect(run.clients_scored).toBe(clients.length); // every imported customer bought at least once
		const deals = await d.knex('deals').select('client', 'status', 'amount', 'created_at', 'closed_at');
		const rows: DealRow[] = deals.map((x) => ({ client: x.client, status: x.status, amountCents: Math.round(Number(x.amount) * 100), createdMs: ms(x.created_at), closedMs: ms(x.closed_at) }));
		const expected = computeBase(clients.map((c) => ({ id: c.id, difficult: Boolean(c.difficult) })), rows, { won: 'won', lost: 'lost', open: 'open', uninterested: 'uninterested' }, DEFAULT_ENGINE_SETTINGS, asOf);
		expect(run.cutoffs).toEqual(expected.cutoffs);
		let oneTime = 0;
		for (const c of clients) {
			const e = expected.scores.get(c.id)!;
			expect({ id: c.id, code: c.rfm_code, f: c.rfm_frequency, stage: c.lifecycle_stage, tier: c.value_tier, trend: c.spend_trend, segment: c.rfm_segment }).toEqual({
				id: c.id, code: e.code, f: e.frequency, stage: e.stage, tier: e.tier, trend: e.trend, segment: e.segment,
			});
			if (c.rfm_frequency === 1) oneTime++;
		}
		// equal behaviour, equal score: every one-time buyer has the same F
		const oneTimeF = new Set(clients.filter((c) => c.rfm_frequency === 1).map((c) => c.rfm_f));
		expect(oneTime).toBeGreaterThan(500);
		expect(oneTimeF.size).toBe(1);
		const vip = clients.filter((c) => c.value_tier === 'vip').length;
		expect(vip / clients.length).toBeLessThanOrEqual(0.1);
		expect(vip).toBeGreaterThan(0);
	});
});
