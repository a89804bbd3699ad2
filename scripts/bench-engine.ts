// `npm run bench:engine -- [--clients 100000,1000000] [--db pg,sqlite] [--naive 10000] [--saves 200]`
// The behaviour engine on generated bases, through a real Directus, with two baselines measured in the same run
// on the same data: the floor (one hand-written SQL statement computing and writing the same scores) and the naive
// Directus way (ItemsService read + update per client, on a sample, extrapolated). Also the steady-state daily run
// and the incremental path (deal save latency with and without our hooks, and time until the new scores are visible).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { SCORE_FIELDS } from '../extensions/segmentation/src/store/scores.ts';
import { intFlag, parseArgs } from './lib/args.ts';
import { openKnex } from './lib/db.ts';
import type { DirectusProcess } from './lib/directus.ts';
import { benchHttp, bootBenchDirectus, percentile } from './lib/bench.ts';
import { runFloor } from './lib/engine-floor.ts';
import { EXTENSIONS_PATH, projectEnv, type Env } from './lib/env.ts';
import { ensurePostgres, recreateDatabase } from './lib/pg-cluster.ts';
import { ensureInstalled } from './lib/prepare.ts';
import { seedDemo, todayUtc } from './lib/seed.ts';

const { flags } = parseArgs(process.argv.slice(2));
const sizes = (flags['clients'] ?? '100000').split(',').map(Number);
const dbs = (flags['db'] ?? 'pg,sqlite').split(',');
const naiveSample = intFlag(flags, 'naive', 10_000, 100);
const saves = intFlag(flags, 'saves', 200, 10);
const TOKEN = 'bench-admin-token';
const asOf = todayUtc();

interface Result {
	db: string; clients: number; deals: number; seedS: number;
	oursS: number; floorS: number; steadyS: number; steadyChanged: number; naivePerClientMs: number; rssMb: number;
	saveP95With: number; saveP95Without: number; visibleP50: number; visibleP95: number;
}
const results: Result[] = [];

const pct = percentile;

const http = (url: string, method: string, path: string, body?: unknown) => benchHttp(TOKEN, url, method, path, body);

function peakRssMb(proc: DirectusProcess): number {
	try {
		const status = readFileSync(`/proc/${proc.child.pid}/status`, 'utf8');
		return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
	} catch {
		return NaN;
	}
}

async function resetScores(knex: Knex): Promise<void> {
	await knex('clients').update(Object.fromEntries(SCORE_FIELDS.map((f) => [f, null])));
}

const boot = bootBenchDirectus;

/** POSTs won deals for random clients; returns save latencies and, with the engine, time until the scores moved. */
async function saveDeals(url: string, knex: Knex, clients: number, watch: boolean): Promise<{ save: number[]; visible: number[] }> {
	const save: number[] = [];
	const visible: number[] = [];
	for (let i = 0; i < saves; i++) {
		const client = 1 + Math.floor(Math.random() * clients);
		const before = watch ? await knex('clients').where({ id: client }).first('rfm_frequency') : null;
		const t0 = performance.now();
		await http(url, 'POST', '/items/deals', { client, status: 'won', amount: 25, closed_at: new Date().toISOString() });
		const t1 = performance.now();
		save.push(t1 - t0);
		if (!watch) continue;
		const want = Number(before?.rfm_frequency ?? 0) + 1;
		for (;;) {
			const row = await knex('clients').where({ id: client }).first('rfm_frequency');
			if (Number(row?.rfm_frequency) === want) break;
			if (performance.now() - t0 > 10_000) throw new Error(`client ${client} not re-scored within 10 s`);
		}
		visible.push(performance.now() - t0);
	}
	return { save, visible };
}

async function measure(db: string, clients: number, env: Env): Promise<void> {
	console.error(`\n[${db} ${clients.toLocaleString('en')}] installing, seeding …`);
	await ensureInstalled(env, () => undefined);
	const knex = openKnex(env);
	try {
		const seeded = await seedDemo(knex, { clients, seed: 21, asOf, quiet: false });
		if (db === 'pg') await knex.raw('VACUUM ANALYZE');
		let proc = await boot(env, true);
		const url = proc.url;
		// the start-up run scores the new base first; wait for it, then measure from scratch
		for (let i = 0; i < 3600; i++) {
			const runs = (await http(url, 'GET', '/segmentation/runs?limit=1').catch(() => ({ data: [] }))).data;
			if (runs[0]?.status === 'succeeded') break;
			await new Promise((r) => setTimeout(r, 500));
		}
		const asOfIso = new Date().toISOString();
		await resetScores(knex);
		console.error(`[${db}] full recompute …`);
		let t = performance.now();
		const full = (await http(url, 'POST', '/segmentation/recompute', { as_of: asOfIso })).data;
		const oursS = (performance.now() - t) / 1000;
		t = performance.now();
		const steady = (await http(url, 'POST', '/segmentation/recompute', { as_of: asOfIso })).data;
		const steadyS = (performance.now() - t) / 1000;
		const rssMb = peakRssMb(proc);

		console.error(`[${db}] floor …`);
		await resetScores(knex);
		t = performance.now();
		await runFloor(knex, Date.parse(asOfIso));
		const floorS = (performance.now() - t) / 1000;
		// back to the engine's own values before the naive pass and the latency runs
		await http(url, 'POST', '/segmentation/recompute', { as_of: asOfIso });

		console.error(`[${db}] naive ItemsService pass on ${naiveSample.toLocaleString('en')} clients …`);
		const naive = (await http(url, 'POST', '/segmentation/bench/naive', { sample: Math.min(naiveSample, clients) })).data;

		console.error(`[${db}] ${saves} deal saves with re-scoring …`);
		const withEngine = await saveDeals(url, knex, clients, true);
		await proc.stop();
		console.error(`[${db}] ${saves} deal saves without the extension …`);
		proc = await boot(env, false);
		const without = await saveDeals(proc.url, knex, clients, false);
		await proc.stop();
		results.push({
			db, clients, deals: seeded.deals, seedS: seeded.seconds, oursS, floorS, steadyS, steadyChanged: steady.rows_changed,
			naivePerClientMs: naive.ms / naive.clients, rssMb,
			saveP95With: pct(withEngine.save, 95), saveP95Without: pct(without.save, 95), visibleP50: pct(withEngine.visible, 50), visibleP95: pct(withEngine.visible, 95),
		});
		if (full.rows_changed !== full.clients_total) console.error(`note: the full run changed ${full.rows_changed} of ${full.clients_total} rows`);
	} finally {
		await knex.destroy();
	}
}

const work = mkdtempSync(join(tmpdir(), 'seg-bench-engine-'));
const base = projectEnv({ ...process.env, ENV_FILE: '/nonexistent.env', DATA_DIR: work, ADMIN_PASSWORD: 'bench-password', ADMIN_TOKEN: TOKEN, SEGMENTATION_BENCH: 'true', PRESSURE_LIMITER_ENABLED: 'false', RATE_LIMITER_ENABLED: 'false', LOG_LEVEL: 'warn', EXTENSIONS_PATH });
try {
	for (const clients of sizes) {
		if (dbs.includes('pg')) {
			const server = await ensurePostgres(() => undefined);
			try {
				await recreateDatabase(server, 'seg_bench_engine');
				await measure('pg', clients, { ...base, DB_CLIENT: 'pg', DB_HOST: server.host, DB_PORT: String(server.port), DB_USER: server.user, DB_PASSWORD: server.password, DB_DATABASE: 'seg_bench_engine' });
			} finally {
				await server.stop();
			}
		}
		if (dbs.includes('sqlite')) await measure('sqlite', clients, { ...base, DB_CLIENT: 'sqlite3', DB_FILENAME: join(work, `bench-${clients}.db`) });
	}
} finally {
	rmSync(work, { recursive: true, force: true });
}

const f = (n: number, d = 1) => n.toLocaleString('en', { minimumFractionDigits: d, maximumFractionDigits: d });
console.log(`\nBehaviour engine, default settings (A/B/C, sum), as of now; ${saves} deal saves for the incremental figures\n`);
console.log('| db | clients | deals | full recompute s | rows/s | floor s | ours/floor | steady-state s (rows written) | steady/floor | naive, extrapolated s | speed-up vs naive | peak RSS MB | save p95 ms with / without hooks | re-scored visible p50 / p95 ms |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
	const naiveS = (r.naivePerClientMs * r.clients) / 1000;
	console.log(
		`| ${r.db} | ${r.clients.toLocaleString('en')} | ${r.deals.toLocaleString('en')} | ${f(r.oursS)} | ${Math.round(r.clients / r.oursS).toLocaleString('en')} | ${f(r.floorS)} | ${f(r.oursS / r.floorS, 2)}× | ${f(r.steadyS)} (${r.steadyChanged}) | ${f(r.steadyS / r.floorS, 2)}× | ${f(naiveS, 0)} | ${f(naiveS / r.oursS, 0)}× | ${f(r.rssMb, 0)} | ${f(r.saveP95With)} / ${f(r.saveP95Without)} | ${f(r.visibleP50)} / ${f(r.visibleP95)} |`,
	);
}
