// `npm run bench:engine -- [--clients 100000,1000000] [--db pg,sqlite] [--naive 10000] [--saves 200]`
// The behaviour engine on generated bases, through a real Directus, with two baselines measured in the same run
// on the same data: the floor (one hand-written SQL statement computing and writing the same scores) and the naive
// Directus way (REST GET of a client's deals + PATCH per client, on a sample, extrapolated; run against the same
// Directus WITHOUT the extension, so the PATCHes do not trigger our hooks). POST /segmentation/recompute runs the
// whole daily pass (recompute → auto tags → segment refresh → snapshots): "engine" = the run record's duration_ms,
// "full pass" = the HTTP round trip. Also the steady-state daily run and the incremental path (deal save latency
// with and without our hooks, and time until the new scores are visible: polled on the client's row).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { SCORE_FIELDS } from '../extensions/segmentation/src/store/scores.ts';
import { cli, intFlag, intListFlag, listFlag } from './lib/args.ts';
import { openKnex } from './lib/db.ts';
import type { DirectusProcess } from './lib/directus.ts';
import { bootBenchDirectus, percentile, queueIdle as queueIdleOf, recomputeWhenFree } from './lib/bench.ts';
import { runFloor } from './lib/engine-floor.ts';
import { naiveBaseline } from './lib/naive-baseline.ts';
import { EXTENSIONS_PATH, projectEnv, type Env } from './lib/env.ts';
import { directusHttp } from './lib/http.ts';
import { ensurePostgres, recreateDatabase } from './lib/pg-cluster.ts';
import { ensureInstalled } from './lib/prepare.ts';
import { seedDemo, todayUtc } from './lib/seed.ts';

const { sizes, dbs, naiveSample, saves } = cli(
	'bench:engine',
	'Usage: npm run bench:engine -- [--clients 100000,1000000] [--db pg,sqlite] [--naive 10000] [--saves 200]',
	{ clients: { type: 'string' }, db: { type: 'string' }, naive: { type: 'string' }, saves: { type: 'string' } },
	({ flags }) => ({ sizes: intListFlag(flags, 'clients', [100_000], 1), dbs: listFlag(flags, 'db', ['pg', 'sqlite'], ['pg', 'sqlite']), naiveSample: intFlag(flags, 'naive', 10_000, 100), saves: intFlag(flags, 'saves', 200, 10) }),
);
const TOKEN = 'bench-admin-token';
const asOf = todayUtc();

interface Result {
	db: string; clients: number; deals: number; seedS: number;
	oursS: number; fullPassS: number; segmentsS: number; floorS: number; steadyS: number; steadyPassS: number; steadyChanged: number; naivePerClientMs: number; rssMb: number;
	saveP95With: number; saveP95Without: number; visibleP50: number; visibleP95: number; afterP50: number; afterP95: number;
}
const results: Result[] = [];

const pct = percentile;

const http = (url: string, method: string, path: string, body?: unknown) => directusHttp(url, TOKEN).json(method, path, body);
const queueIdle = (url: string, timeoutMs: number) => queueIdleOf(TOKEN, url, timeoutMs, 200);
const fullPass = (url: string, asOfIso: string) => recomputeWhenFree(TOKEN, url, { as_of: asOfIso });

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
async function saveDeals(url: string, knex: Knex, clients: number, watch: boolean): Promise<{ save: number[]; visible: number[]; afterCommit: number[] }> {
	const save: number[] = [];
	const visible: number[] = [];
	const afterCommit: number[] = [];
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
			await new Promise((r) => setTimeout(r, 1)); // poll the row, without starving Directus of the two cores
		}
		const t2 = performance.now();
		visible.push(t2 - t0);
		afterCommit.push(t2 - t1);
	}
	return { save, visible, afterCommit };
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
		// the seed queued every client it wrote: the running instance scores them itself (one full pass for a bulk
		// load). Wait for the queue to be idle, then measure from scratch.
		console.error(`[${db}] waiting for the change queue (the seeded clients) to drain …`);
		await queueIdle(url, 3_600_000);
		const asOfIso = new Date().toISOString();
		await resetScores(knex);
		console.error(`[${db}] full pass (recompute + tags + segments + snapshots) …`);
		const full = await fullPass(url, asOfIso);
		const steady = await fullPass(url, asOfIso);
		const rssMb = peakRssMb(proc);

		console.error(`[${db}] floor …`);
		await resetScores(knex);
		let t = performance.now();
		await runFloor(knex, Date.parse(asOfIso));
		const floorS = (performance.now() - t) / 1000;
		// back to the engine's own values before the naive pass and the latency runs
		await fullPass(url, asOfIso);
		await queueIdle(url, 600_000);

		console.error(`[${db}] ${saves} deal saves with re-scoring …`);
		const withEngine = await saveDeals(url, knex, clients, true);
		await queueIdle(url, 600_000);
		await proc.stop();
		// without the extension: its PATCHes must not trigger our hooks (and the saves are the "without" baseline)
		proc = await boot(env, false);
		console.error(`[${db}] naive REST pass (GET deals + PATCH per client, extension unloaded) on ${naiveSample.toLocaleString('en')} clients …`);
		const naive = await naiveBaseline({ url: proc.url, token: TOKEN, knex, sample: Math.min(naiveSample, clients) });
		console.error(`[${db}] ${saves} deal saves without the extension …`);
		const without = await saveDeals(proc.url, knex, clients, false);
		await proc.stop();
		const segS = (r: any) => (r.segments && typeof r.segments.duration_ms === 'number' ? r.segments.duration_ms / 1000 : NaN);
		results.push({
			db, clients, deals: seeded.deals, seedS: seeded.seconds, oursS: full.run.duration_ms / 1000, fullPassS: full.wallS, segmentsS: segS(full.run), floorS,
			steadyS: steady.run.duration_ms / 1000, steadyPassS: steady.wallS, steadyChanged: steady.run.rows_changed,
			naivePerClientMs: naive.ms / naive.clients, rssMb,
			saveP95With: pct(withEngine.save, 95), saveP95Without: pct(without.save, 95), visibleP50: pct(withEngine.visible, 50), visibleP95: pct(withEngine.visible, 95), afterP50: pct(withEngine.afterCommit, 50), afterP95: pct(withEngine.afterCommit, 95),
		});
		console.error(`[${db}] result: ${JSON.stringify(results.at(-1))}`);
		if (full.run.rows_changed !== full.run.clients_total) console.error(`note: the full run changed ${full.run.rows_changed} of ${full.run.clients_total} rows`);
	} finally {
		await knex.destroy();
	}
}

const work = mkdtempSync(join(tmpdir(), 'seg-bench-engine-'));
const base = projectEnv({ ...process.env, ENV_FILE: '/nonexistent.env', DATA_DIR: work, ADMIN_PASSWORD: 'bench-password', ADMIN_TOKEN: TOKEN, PRESSURE_LIMITER_ENABLED: 'false', RATE_LIMITER_ENABLED: 'false', LOG_LEVEL: 'warn', EXTENSIONS_PATH });
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
console.log(`\nBehaviour engine, default settings (A/B/C, sum), as of now; ${saves} deal saves for the incremental figures. Engine = the run record's duration_ms; full pass = POST /segmentation/recompute round trip (engine + auto tags + segment refresh + snapshots); naive = REST GET deals + PATCH per client against Directus without the extension\n`);
console.log('| db | clients | deals | engine (run record) s | rows/s | floor s | engine/floor | full pass s (of which segments + tags s) | steady engine s (rows written) | steady/floor | steady full pass s | naive, extrapolated s | speed-up vs naive (engine) | peak RSS MB | save p95 ms with / without hooks | re-scored visible p50 / p95 ms (from the POST) | after the commit p50 / p95 ms |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
	const naiveS = (r.naivePerClientMs * r.clients) / 1000;
	console.log(
		`| ${r.db} | ${r.clients.toLocaleString('en')} | ${r.deals.toLocaleString('en')} | ${f(r.oursS)} | ${Math.round(r.clients / r.oursS).toLocaleString('en')} | ${f(r.floorS)} | ${f(r.oursS / r.floorS, 2)}× | ${f(r.fullPassS)} (${f(r.segmentsS)}) | ${f(r.steadyS)} (${r.steadyChanged}) | ${f(r.steadyS / r.floorS, 2)}× | ${f(r.steadyPassS)} | ${f(naiveS, 0)} | ${f(naiveS / r.oursS, 0)}× | ${f(r.rssMb, 0)} | ${f(r.saveP95With)} / ${f(r.saveP95Without)} | ${f(r.visibleP50)} / ${f(r.visibleP95)} | ${f(r.afterP50)} / ${f(r.afterP95)} |`,
	);
}
