// Two Directus instances on one PostgreSQL: one install, one scheduled run per minute, re-scoring through both.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { runScript } from '../harness/scripts.ts';

const harness = inject('harness');

describe.skipIf(harness.db !== 'pg')('a cluster of two instances', () => {
	let a: TestDirectus;
	let b: TestDirectus;
	beforeAll(async () => {
		a = await bootDirectus();
		// b starts on the same database; a has installed, b must find everything in place
		b = await bootDirectus({ shareWith: a });
		const seeded = await runScript(a, 'seed.ts', ['--clients', '200', '--seed', '9']);
		expect(seeded.code, seeded.stderr).toBe(0);
		expect((await a.http('POST', '/segmentation/recompute', {})).status).toBe(200);
	});
	afterAll(async () => {
		await b?.stop();
		await a?.stop();
	});

	it('installs once: the second instance finds the schema and registers nothing', () => {
		expect(a.log()).toMatch(/registered segmentation_settings/);
		expect(b.log()).toMatch(/\[segmentation\] schema v3 ready/);
		expect(b.log()).not.toMatch(/registered/);
		expect(b.log()).not.toMatch(/install failed/);
	});

	it('re-scores a client after a deal saved through either instance', async () => {
		for (const [via, other] of [[a, b], [b, a]] as const) {
			const id = (await via.http('POST', '/items/clients', { name: 'Cluster client' })).body.data.id;
			await via.http('POST', '/items/deals', { client: id, status: 'won', amount: 42, closed_at: new Date().toISOString() });
			let c: any = null;
			for (let i = 0; i < 100 && c?.rfm_frequency !== 1; i++) {
				c = (await other.http('GET', `/items/clients/${id}`)).body.data;
				if (c.rfm_frequency !== 1) await new Promise((r) => setTimeout(r, 50));
			}
			expect(c).toMatchObject({ rfm_frequency: 1, lifecycle_stage: 'one_time' });
		}
	});

	it('runs a scheduled recompute once per minute for the whole cluster', async () => {
		const before = Number((await a.knex('segmentation_runs').max({ m: 'id' }).first())!.m);
		expect((await a.http('PATCH', '/items/segmentation_settings', { recompute_cron: '* * * * *' })).status).toBe(200);
		// wait for two minute boundaries to pass, then switch the schedule off
		const deadline = Date.now() + 150_000;
		let runs: any[] = [];
		while (Date.now() < deadline) {
			runs = await a.knex('segmentation_runs').where('id', '>', before).andWhere({ trigger: 'schedule' }).select('*');
			if (new Set(runs.map((r) => Math.floor(Number(r.as_of) / 60_000))).size >= 2) break;
			await new Promise((r) => setTimeout(r, 1000));
		}
		expect((await a.http('PATCH', '/items/segmentation_settings', { recompute_cron: '0 3 * * *' })).status).toBe(200);
		const perMinute = new Map<number, number>();
		for (const r of runs) perMinute.set(Math.floor(Number(r.as_of) / 60_000), (perMinute.get(Math.floor(Number(r.as_of) / 60_000)) ?? 0) + 1);
		expect(perMinute.size).toBeGreaterThanOrEqual(2);
		for (const [, n] of perMinute) expect(n).toBe(1);
		expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
		expect(new Set(runs.map((r) => r.instance)).size).toBeGreaterThanOrEqual(1);
	}, 200_000);
});
