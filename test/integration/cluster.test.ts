// Two Directus instances on one PostgreSQL: one install, one scheduled run per minute, re-scoring through both, one
// Listmonk sync for the cluster, one automation message per client however many runs are asked of both.
import { MIGRATIONS } from '../../extensions/segmentation/src/directus/install/migrations/index.ts';
import { latestVersion } from '../../extensions/segmentation/src/directus/install/migrations/migration.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { runScript } from '../harness/scripts.ts';
import { queueSettled } from '../harness/queue.ts';
import { startListmonkDouble, type ListmonkDouble } from '../listmonk-double/index.ts';

const harness = inject('harness');
/** Work after the commit, possibly on the other instance: wait on the condition, generously. */
const WAIT = { timeout: 60_000 };

describe.skipIf(harness.db !== 'pg')('a cluster of two instances', () => {
	let a: TestDirectus;
	let b: TestDirectus;
	beforeAll(async () => {
		// bare: a installs (asserted below), b finds it done
		a = await bootDirectus({ template: 'bare' });
		// b starts on the same database; a has installed, b must find everything in place
		b = await bootDirectus({ shareWith: a });
		const seeded = await runScript(a, 'seed.ts', ['--clients', '200', '--seed', '9']);
		expect(seeded.code, seeded.stderr).toBe(0);
		await queueSettled(a);
		expect((await a.http('POST', '/segmentation/recompute', {})).status).toBe(200);
	});
	afterAll(async () => {
		await b?.stop();
		await a?.stop();
	});

	it('installs once: the second instance finds the schema and registers nothing', () => {
		expect(a.log()).toMatch(/registered segmentation_settings/);
		expect(b.log()).toContain(`[segmentation] schema v${latestVersion(MIGRATIONS)} ready`);
		expect(b.log()).not.toMatch(/registered/);
		expect(b.log()).not.toMatch(/install failed/);
	});

	it('re-scores a client after a deal saved through either instance', async () => {
		for (const [via, other] of [[a, b], [b, a]] as const) {
			const id = (await via.http('POST', '/items/clients', { name: 'Cluster client' })).body.data.id;
			await via.http('POST', '/items/deals', { client: id, status: 'won', amount: 42, closed_at: new Date().toISOString() });
			let c: any = null;
			await expect.poll(async () => (c = (await other.http('GET', `/items/clients/${id}`)).body.data).rfm_frequency, WAIT).toBe(1);
			expect(c).toMatchObject({ rfm_frequency: 1, lifecycle_stage: 'one_time' });
		}
	});

	it('keeps one membership across both instances: concurrent changes and refreshes, each enter and exit once', async () => {
		const rule = { _and: [{ lead_source: { _eq: 'cluster-campaign' } }, { lifecycle_stage: { _neq: 'refused' } }] };
		const segment = (await a.http('POST', '/items/segments', { name: 'Cluster segment', kind: 'dynamic', is_active: true, rule })).body.data.id;
		const clients: number[] = (await a.knex('clients').orderBy('id').limit(40).select('id')).map((r) => Number(r.id));
		// every client flips in and out a few times, saved alternately through a and b, with refreshes in between
		const saves: Array<Promise<unknown>> = [];
		for (let round = 0; round < 3; round++) {
			for (const [i, id] of clients.entries()) {
				const via = (i + round) % 2 ? a : b;
				saves.push(via.http('PATCH', `/items/clients/${id}`, { lead_source: (i + round) % 3 ? 'cluster-campaign' : 'phone' }));
			}
			saves.push(a.http('POST', `/segmentation/segments/${segment}/refresh`, {}), b.http('POST', '/segmentation/segments/refresh', {}));
		}
		await Promise.all(saves);
		const expected = async () => ((await a.http('GET', `/items/clients?fields=id&limit=-1&filter=${encodeURIComponent(JSON.stringify(rule))}`)).body.data as Array<{ id: number }>).map((r) => r.id).sort((x, y) => x - y);
		const members = async () => (await a.knex('segment_members').where({ segment }).select('client')).map((r) => Number(r.client)).sort((x, y) => x - y);
		let m: number[] = [];
		await expect.poll(async () => JSON.stringify((m = await members())) === JSON.stringify(await expected()), WAIT).toBe(true);
		expect(m).toEqual(await expected());
		expect(m.length).toBeGreaterThan(0);
		const balance: Array<Record<string, unknown>> = await a.knex('segmentation_segment_events').where({ segment_id: segment }).groupBy('client_id').select('client_id').sum({ n: a.knex.raw("CASE WHEN event = 'entered' THEN 1 ELSE -1 END") });
		expect(balance.filter((r) => Number(r['n']) === 1).map((r) => Number(r['client_id'])).sort((x, y) => x - y)).toEqual(m);
		expect(balance.every((r) => Number(r['n']) === 0 || Number(r['n']) === 1)).toBe(true);
		expect((await b.http('GET', `/items/segments/${segment}`)).body.data.member_count).toBe(m.length);
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

describe.skipIf(harness.db !== 'pg')('the Listmonk sync on a cluster of two instances', () => {
	const USER = 'cluster-sync';
	const TOKEN = 'cluster-sync-token-5d1e9a0c';
	let lm: ListmonkDouble;
	let a: TestDirectus;
	let b: TestDirectus;
	beforeAll(async () => {
		lm = await startListmonkDouble({ users: [{ username: USER, token: TOKEN, permissions: 'super' }] });
		const env = { LISTMONK_URL: lm.url, LISTMONK_API_USER: USER, LISTMONK_API_TOKEN: TOKEN, SEGMENTATION_SYNC_INTERVAL_MS: '200', SEGMENTATION_SYNC_PULL_MS: '500', SEGMENTATION_AUTOMATIONS_CRON: 'off' };
		a = await bootDirectus({ env });
		b = await bootDirectus({ shareWith: a, env });
	});
	afterAll(async () => {
		await b?.stop();
		await a?.stop();
		await lm?.close();
	});

	it('syncs once: changes through both instances reach Listmonk without a duplicate call, one worker at a time', async () => {
		const rule = { rfm_frequency: { _gte: 1 } };
		const segment = (await a.http('POST', '/items/segments', { name: 'Cluster buyers', kind: 'dynamic', is_active: true, rule, listmonk_sync: true })).body.data.id as number;
		// clients buy through either instance, in three waves while the sync runs on both
		const emails: string[] = [];
		for (let wave = 0; wave < 3; wave++) {
			await Promise.all(
				Array.from({ length: 12 }, async (_, i) => {
					const via = (i + wave) % 2 ? a : b;
					const email = `wave${wave}.client${i}@example.com`;
					emails.push(email);
					const id = (await via.http('POST', '/items/clients', { name: `Wave ${wave} client ${i}`, email, email_consent: true })).body.data.id;
					expect((await via.http('POST', '/items/deals', { client: id, status: 'won', amount: 20 + i, closed_at: new Date().toISOString() })).status).toBe(200);
				}),
			);
		}
		let listId = 0;
		await expect.poll(async () => (listId = Number((await a.knex('segments').where({ id: segment }).first('listmonk_list_id'))?.listmonk_list_id ?? 0)), WAIT).toBeGreaterThan(0);
		const inList = () => lm.subscribers().filter((s) => s.lists.some((l) => l.id === listId && l.subscription_status === 'unconfirmed')).map((s) => s.email).sort();
		await expect.poll(inList, WAIT).toEqual([...emails].sort());

		// one list, one subscriber per address
		expect(lm.lists().filter((l) => l.tags.includes(`directus-segment-${segment}`))).toHaveLength(1);
		expect(lm.subscribers().length).toBe(emails.length);
		// no subscriber was added to the list by two successful calls
		const added = new Map<number, number>();
		for (const r of lm.requests) {
			const body = r.body as { ids?: number[]; target_list_ids?: number[]; action?: string } | undefined;
			if (r.method !== 'PUT' || r.path !== '/api/subscribers/lists' || r.status !== 200 || body?.action !== 'add' || !body.target_list_ids?.includes(listId)) continue;
			for (const id of body.ids ?? []) added.set(id, (added.get(id) ?? 0) + 1);
		}
		expect([...added.values()].filter((n) => n > 1)).toEqual([]);
		// both instances report the same state (recorded right after Listmonk confirmed it)
		for (const d of [a, b]) {
			await expect.poll(async () => (await d.http('GET', '/segmentation/sync/status')).body.data.segments, WAIT).toEqual([expect.objectContaining({ id: segment, list_id: listId, subscribed: emails.length, error: null })]);
		}
		// the sync's recorded runs never overlap in time, whichever instance ran them
		const runs = (await a.knex('segmentation_sync_runs').orderBy('started_at').select('started_at', 'finished_at', 'instance')).map((r) => ({ start: Number(r.started_at), end: Number(r.finished_at), instance: String(r.instance) }));
		expect(runs.length).toBeGreaterThan(0);
		for (let i = 1; i < runs.length; i++) expect(runs[i]!.start, `run ${i} (${runs[i]!.instance}) started before run ${i - 1} (${runs[i - 1]!.instance}) ended`).toBeGreaterThanOrEqual(runs[i - 1]!.end);
	});

	it('sends an automation’s message once: runs asked of both instances at once issue one code and one message per client', async () => {
		const DAY = 86_400_000;
		const SOURCE = 'cluster-automation';
		const clients: Array<{ id: number; email: string }> = [];
		await Promise.all(
			Array.from({ length: 12 }, async (_, i) => {
				const via = i % 2 ? a : b;
				const email = `sleeper${i}.cluster@example.com`;
				const id = (await via.http('POST', '/items/clients', { name: `Cluster sleeper ${i}`, email, email_consent: true, lead_source: SOURCE })).body.data.id as number;
				const deal = await via.http('POST', '/items/deals', { client: id, status: 'won', amount: 50 + i, closed_at: new Date(Date.now() - 200 * DAY).toISOString() });
				expect(deal.status, JSON.stringify(deal.body)).toBe(200);
				clients.push({ id, email });
			}),
		);
		const ids = clients.map((c) => c.id).sort((x, y) => x - y);
		// the frequency condition: a member's last purchase has been scored
		const rule = { _and: [{ lead_source: { _eq: SOURCE } }, { rfm_frequency: { _gte: 1 } }] };
		const segment = (await a.http('POST', '/items/segments', { name: 'Cluster sleepers', kind: 'dynamic', is_active: true, rule })).body.data.id as number;
		const members = async () => (await a.knex('segment_members').where({ segment }).select('client')).map((r) => Number(r.client)).sort((x, y) => x - y);
		await expect.poll(members, WAIT).toEqual(ids);
		const made = await b.http('POST', '/items/automations', { name: 'Cluster wake-up', is_active: true, segment, anchor: 'last_purchase', delay_days: 30, discount_type: 'percent', discount_value: 10, valid_days: 14, cooldown_days: 90, tx_template_id: 3 });
		expect(made.status, JSON.stringify(made.body)).toBe(200);
		const automation = made.body.data.id as number;

		const isTx = (r: { method: string; path: string }) => r.method === 'POST' && r.path === '/api/tx';
		const txBefore = lm.requests.filter(isTx).length;
		const mailsBefore = lm.txMails().length;
		// slow sends keep a run busy while the others are asked for
		lm.faults.add({ kind: 'slow', delayMs: 300, method: 'POST', path: '/api/tx' });
		try {
			const ask = (d: TestDirectus) => d.http('POST', `/segmentation/automations/${automation}/run`, {});
			const asked = [ask(a), ask(b)];
			// more runs asked of both while the first one is handing messages to Listmonk
			await expect.poll(() => lm.requests.filter(isTx).length, WAIT).toBeGreaterThan(txBefore);
			for (let i = 0; i < 2; i++) asked.push(ask(b), ask(a));
			const answers = await Promise.all(asked);
			for (const res of answers) expect([200, 409], JSON.stringify(res.body)).toContain(res.status);
			for (const res of answers.filter((r) => r.status === 409)) expect(JSON.stringify(res.body)).toContain('running on this cluster');
			const runs = answers.filter((r) => r.status === 200).map((r) => r.body.data as { sent: number; codes_issued: number; failed: number; error: string | null });
			expect(runs.length).toBeGreaterThan(0);
			for (const r of runs) expect(r).toMatchObject({ failed: 0, error: null });
			expect(runs.reduce((n, r) => n + r.sent, 0)).toBe(clients.length);
			expect(runs.reduce((n, r) => n + r.codes_issued, 0)).toBe(clients.length);

			const emails = clients.map((c) => c.email).sort();
			const mailed = () => lm.txMails().slice(mailsBefore).map((m) => m.to).sort();
			await expect.poll(mailed, WAIT).toEqual(emails);
			const mails = lm.txMails().slice(mailsBefore);
			const codes: Array<{ client: number; code: string }> = await a.knex('promo_codes').whereIn('client', ids).select('client', 'code');
			expect(codes.map((c) => Number(c.client)).sort((x, y) => x - y)).toEqual(ids);
			for (const c of clients) {
				const code = codes.find((p) => Number(p.client) === c.id)!.code;
				expect(mails.filter((m) => m.to === c.email).map((m) => (m.data as { promo_code?: string }).promo_code)).toEqual([code]);
			}
			const sends = await a.knex('segmentation_automation_sends').where({ automation_id: automation }).select('client_id', 'state');
			expect(sends.map((s) => Number(s.client_id)).sort((x, y) => x - y)).toEqual(ids);
			expect(sends.every((s) => s.state === 'sent')).toBe(true);
			// one request per recipient, whether addressed by subscriber id (synced meanwhile) or by address
			const emailOf = new Map(lm.subscribers().map((s) => [s.id, s.email]));
			const recipients = lm.requests.filter(isTx).slice(txBefore).flatMap((r) => {
				const body = r.body as { subscriber_ids?: number[]; subscriber_emails?: string[] };
				return [...(body.subscriber_ids ?? []).map((id) => emailOf.get(id) ?? `subscriber ${id}`), ...(body.subscriber_emails ?? [])];
			});
			expect(recipients.sort()).toEqual(emails);
		} finally {
			lm.faults.clear();
		}
	});
});
