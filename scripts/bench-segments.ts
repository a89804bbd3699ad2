// `npm run bench:segments -- [--clients 100000,1000000] [--saves 100] [--import 100000]`
// Segments on generated bases, PostgreSQL, through a real Directus, 30 active dynamic segments:
//  - full refresh of all segments (cold: empty memberships; steady: nothing changed) vs the floor measured in the
//    same run on the same data: per segment a hand-written INSERT … SELECT of the new members + anti-join DELETE;
//  - re-qualifying one client after a change (client save → membership visible), p50 / p95;
//  - a deal import through Directus's importer vs the re-qualification of the clients it touched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { intFlag, parseArgs } from './lib/args.ts';
import { openKnex } from './lib/db.ts';
import type { DirectusProcess } from './lib/directus.ts';
import { benchHttp, bootBenchDirectus, percentile } from './lib/bench.ts';
import { EXTENSIONS_PATH, projectEnv, type Env } from './lib/env.ts';
import { ensurePostgres, recreateDatabase } from './lib/pg-cluster.ts';
import { ensureInstalled } from './lib/prepare.ts';
import { seedDemo, todayUtc } from './lib/seed.ts';

const { flags } = parseArgs(process.argv.slice(2));
const sizes = (flags['clients'] ?? '100000').split(',').map(Number);
const saves = intFlag(flags, 'saves', 100, 10);
const importDeals = intFlag(flags, 'import', 100_000, 0);
const TOKEN = 'bench-admin-token';
const MARKER = 'bench-marker';

/** 30 segments: each rule as a marketer writes it, and the same condition written by hand for the floor. */
const CELLS = ['CCC', 'CCB', 'CBC', 'BCC', 'CBB', 'BCB', 'BBC', 'BBB', 'ACC', 'ABB', 'AAA', 'AAB', 'ABA', 'BAA', 'CAA', 'CCA', 'ACA', 'AAC', 'BAB'];
const STAGES = ['lead', 'in_selection', 'refused', 'uninterested', 'one_time', 'returning', 'regular'];
const SEGMENTS: Array<{ name: string; rule: Record<string, unknown>; floor: string }> = [
	...CELLS.map((code) => ({ name: `RFM ${code}`, rule: { rfm_code: { _eq: code } }, floor: `c.rfm_code = '${code}'` })),
	...STAGES.map((stage) => ({ name: `Stage ${stage}`, rule: { lifecycle_stage: { _eq: stage } }, floor: `c.lifecycle_stage = '${stage}'` })),
	{ name: 'VIP', rule: { value_tier: { _eq: 'vip' } }, floor: `c.value_tier = 'vip'` },
	{
		name: 'Lost a deal over price',
		rule: { deals: { _some: { loss_reason: { _eq: 'price' } } } },
		floor: `EXISTS (SELECT 1 FROM deals d WHERE d.client = c.id AND d.loss_reason = 'price')`,
	},
	{
		name: 'Recent buyers with an interest',
		rule: { _and: [{ last_purchase_at: { _gte: '$NOW(-90 days)' } }, { tags: { _some: { tag: { _nnull: true } } } }] },
		floor: `c.last_purchase_at >= now() - interval '90 days' AND EXISTS (SELECT 1 FROM client_tags ct WHERE ct.client = c.id AND ct.tag IS NOT NULL)`,
	},
	{ name: 'Marker (latency probe)', rule: { lead_source: { _eq: MARKER } }, floor: `c.lead_source = '${MARKER}'` },
];

interface Result {
	clients: number; deals: number; members: number;
	oursColdS: number; floorColdS: number; oursSteadyS: number; floorSteadyS: number; tagSyncColdS: number; tagSyncSteadyS: number;
	saveP50: number; saveP95: number; visibleP50: number; visibleP95: number; afterCommitP50: number; afterCommitP95: number;
	importS: number | null; requalifyS: number | null;
}
const results: Result[] = [];

const pct = percentile;

const http = (url: string, method: string, path: string, body?: unknown) => benchHttp(TOKEN, url, method, path, body);

const boot = (env: Env) => bootBenchDirectus(env);

/** A refresh still running (the start-up run's, on a big base) would hold the cluster lock: let it finish. */
async function refreshesIdle(knex: Knex): Promise<void> {
	while (await knex('segmentation_locks').where({ name: 'segments-refresh' }).andWhere('expires_at', '>', Date.now()).first('name')) await new Promise((r) => setTimeout(r, 1000));
}

async function clearMemberships(knex: Knex): Promise<void> {
	await knex.raw('TRUNCATE segment_members, segmentation_segment_events');
	await knex('segments').update({ member_count: 0 });
}

async function floorRefresh(knex: Knex, ids: number[]): Promise<void> {
	for (const [i, segment] of SEGMENTS.entries()) {
		const id = ids[i]!;
		await knex.raw(
			// present members are skipped by the unique (segment, client) index (an anti-join against the table being
			// inserted into can be planned as a nested loop that re-reads it row by row once it is big)
			`INSERT INTO segment_members (segment, client, entered_at) SELECT ?, c.id, now() FROM clients c
			WHERE ${segment.floor} ON CONFLICT (segment, client) DO NOTHING`,
			[id],
		);
		await knex.raw(`DELETE FROM segment_members m WHERE m.segment = ? AND NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = m.client AND ${segment.floor})`, [id]);
	}
}

async function memberCounts(knex: Knex, ids: number[]): Promise<number[]> {
	const rows: Array<Record<string, unknown>> = await knex('segment_members').whereIn('segment', ids).groupBy('segment').select('segment').count({ n: '*' });
	return ids.map((id) => Number(rows.find((r) => Number(r['segment']) === id)?.['n'] ?? 0));
}

async function queueIdle(url: string, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const queue = (await http(url, 'GET', '/segmentation/status')).data.queue;
		if (!queue.busy && queue.pending_clients === 0 && queue.pending_deals === 0) return;
		if (Date.now() > deadline) throw new Error('the change queue did not drain in time');
		await new Promise((r) => setTimeout(r, 100));
	}
}

async function measure(clients: number, env: Env): Promise<void> {
	console.error(`\n[pg ${clients.toLocaleString('en')}] installing, seeding …`);
	await ensureInstalled(env, () => undefined);
	const knex = openKnex(env);
	let proc: DirectusProcess | null = null;
	try {
		const seeded = await seedDemo(knex, { clients, seed: 31, asOf: todayUtc(), quiet: false });
		await knex.raw('VACUUM ANALYZE');
		proc = await boot(env);
		const url = proc.url;
		console.error('[pg] interest tags from the purchases (start-up), first recompute …');
		// the start-up run may still hold the lock (or a stopped installer's lease may): retry on 409
		for (let attempt = 0; ; attempt++) {
			const res = await fetch(`${url}/segmentation/recompute`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
			if (res.ok) break;
			if (res.status !== 409 || attempt > 600) throw new Error(`recompute: ${res.status} ${(await res.text()).slice(0, 300)}`);
			await new Promise((r) => setTimeout(r, 1000));
		}
		// created inactive (no refresh on save), then switched on directly: the benchmark decides when work runs
		const created = (await http(url, 'POST', '/items/segments', SEGMENTS.map((s) => ({ name: s.name, rule: s.rule, kind: 'dynamic', is_active: false })))).data;
		const ids: number[] = created.map((s: { id: number }) => Number(s.id));
		await knex('segments').whereIn('id', ids).update({ is_active: true });
		await knex.raw('VACUUM ANALYZE');

		await refreshesIdle(knex);
		console.error('[pg] floor (hand-written INSERT … SELECT + anti-join DELETE per segment) …');
		await clearMemberships(knex);
		let t = performance.now();
		await floorRefresh(knex, ids);
		const floorColdS = (performance.now() - t) / 1000;
		const floorCounts = await memberCounts(knex, ids);
		t = performance.now();
		await floorRefresh(knex, ids);
		const floorSteadyS = (performance.now() - t) / 1000;

		console.error('[pg] ours: POST /segmentation/segments/refresh …');
		await clearMemberships(knex);
		t = performance.now();
		const cold = (await http(url, 'POST', '/segmentation/segments/refresh', {})).data;
		const oursColdS = (performance.now() - t) / 1000;
		t = performance.now();
		const steady = (await http(url, 'POST', '/segmentation/segments/refresh', {})).data;
		const oursSteadyS = (performance.now() - t) / 1000;
		// a refresh of all segments first syncs every client's auto tags: reported apart, the floor has no such step
		const tagSyncS = [cold.tags_ms / 1000, steady.tags_ms / 1000] as const;
		const ourCounts = await memberCounts(knex, ids);
		if (cold.segments.length !== SEGMENTS.length) throw new Error(`refreshed ${cold.segments.length} of ${SEGMENTS.length} segments: ${JSON.stringify(cold.skipped)}`);
		// "recent buyers" depends on now(): allow a handful of clients crossing the 90-day line between the runs
		for (const [i, n] of ourCounts.entries()) {
			if (Math.abs(n - floorCounts[i]!) > (SEGMENTS[i]!.name.startsWith('Recent') ? 50 : 0)) throw new Error(`segment "${SEGMENTS[i]!.name}": ${n} members, the floor found ${floorCounts[i]}`);
		}

		console.error(`[pg] ${saves} client saves, each re-qualified against ${SEGMENTS.length} segments …`);
		const marker = ids.at(-1)!;
		const save: number[] = [];
		const visible: number[] = [];
		const afterCommit: number[] = [];
		for (let i = 0; i < saves; i++) {
			const client = 1 + Math.floor(Math.random() * clients);
			const t0 = performance.now();
			await http(url, 'PATCH', `/items/clients/${client}`, { lead_source: i % 2 ? MARKER : 'referral' });
			const t1 = performance.now();
			const wanted = i % 2 === 1;
			for (;;) {
				const row = await knex('segment_members').where({ segment: marker, client }).first('id');
				if (Boolean(row) === wanted) break;
				if (performance.now() - t0 > 10_000) throw new Error(`client ${client} not re-qualified within 10 s`);
				await new Promise((r) => setTimeout(r, 1)); // poll without starving Directus of the two cores
			}
			const t2 = performance.now();
			save.push(t1 - t0);
			visible.push(t2 - t0);
			afterCommit.push(t2 - t1);
		}

		let importS: number | null = null;
		let requalifyS: number | null = null;
		if (importDeals > 0) {
			console.error(`[pg] importing ${importDeals.toLocaleString('en')} deals through /utils/import …`);
			const now = Date.now();
			const lines = ['client,status,amount,closed_at'];
			for (let i = 0; i < importDeals; i++) lines.push(`${1 + ((i * 7919) % clients)},won,${(10 + (i % 90)).toFixed(2)},${new Date(now - (i % 30) * 86_400_000).toISOString()}`);
			const form = new FormData();
			form.append('file', new Blob([lines.join('\n')], { type: 'text/csv' }), 'deals.csv');
			t = performance.now();
			const res = await fetch(`${url}/utils/import/deals`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: form });
			if (!res.ok) throw new Error(`import: ${res.status} ${(await res.text()).slice(0, 300)}`);
			const imported = performance.now();
			importS = (imported - t) / 1000;
			await queueIdle(url, 1_800_000);
			requalifyS = (performance.now() - imported) / 1000;
		}
		const result: Result = {
			clients, deals: seeded.deals, members: ourCounts.reduce((a, b) => a + b, 0),
			oursColdS: oursColdS - tagSyncS[0], floorColdS, oursSteadyS: oursSteadyS - tagSyncS[1], floorSteadyS, tagSyncColdS: tagSyncS[0], tagSyncSteadyS: tagSyncS[1],
			saveP50: pct(save, 50), saveP95: pct(save, 95), visibleP50: pct(visible, 50), visibleP95: pct(visible, 95), afterCommitP50: pct(afterCommit, 50), afterCommitP95: pct(afterCommit, 95),
			importS, requalifyS,
		};
		results.push(result);
		console.error(`[pg] result: ${JSON.stringify(result)}`);
	} finally {
		await proc?.stop();
		await knex.destroy();
	}
}

const work = mkdtempSync(join(tmpdir(), 'seg-bench-segments-'));
const base = projectEnv({ ...process.env, ENV_FILE: '/nonexistent.env', DATA_DIR: work, ADMIN_PASSWORD: 'bench-password', ADMIN_TOKEN: TOKEN, PRESSURE_LIMITER_ENABLED: 'false', RATE_LIMITER_ENABLED: 'false', LOG_LEVEL: 'warn', EXTENSIONS_PATH, MAX_PAYLOAD_SIZE: '64mb' });
try {
	for (const clients of sizes) {
		const server = await ensurePostgres(() => undefined);
		try {
			await recreateDatabase(server, 'seg_bench_segments');
			await measure(clients, { ...base, DB_CLIENT: 'pg', DB_HOST: server.host, DB_PORT: String(server.port), DB_USER: server.user, DB_PASSWORD: server.password, DB_DATABASE: 'seg_bench_segments' });
		} finally {
			await server.stop();
		}
	}
} finally {
	rmSync(work, { recursive: true, force: true });
}

const f = (n: number, d = 1) => n.toLocaleString('en', { minimumFractionDigits: d, maximumFractionDigits: d });
console.log(`\nSegments on PostgreSQL, ${SEGMENTS.length} active dynamic segments; ${saves} client saves for the latency figures\n`);
console.log('| clients | deals | members (all segments) | refresh of the segments s (cold) | floor s (cold) | ours/floor | steady refresh s | floor s (steady) | ours/floor | + auto-tag sync of every client s (cold / steady) | client save p50 / p95 ms | re-qualified visible p50 / p95 ms | after the commit p50 / p95 ms | import of deals s | re-qualification after it s | re-qualification / import |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
	console.log(
		`| ${r.clients.toLocaleString('en')} | ${r.deals.toLocaleString('en')} | ${r.members.toLocaleString('en')} | ${f(r.oursColdS, 2)} | ${f(r.floorColdS, 2)} | ${f(r.oursColdS / r.floorColdS, 2)}× | ${f(r.oursSteadyS, 2)} | ${f(r.floorSteadyS, 2)} | ${f(r.oursSteadyS / r.floorSteadyS, 2)}× | ${f(r.tagSyncColdS, 2)} / ${f(r.tagSyncSteadyS, 2)} | ${f(r.saveP50)} / ${f(r.saveP95)} | ${f(r.visibleP50)} / ${f(r.visibleP95)} | ${f(r.afterCommitP50)} / ${f(r.afterCommitP95)} | ${r.importS === null ? '—' : f(r.importS)} | ${r.requalifyS === null ? '—' : f(r.requalifyS)} | ${r.importS && r.requalifyS !== null ? `${f(r.requalifyS / r.importS, 2)}×` : '—'} |`,
	);
}
