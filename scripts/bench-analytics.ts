// `npm run bench:analytics -- [--clients 1000000] [--runs 9] [--fresh] [--prepare-only] [--after-pass] [--index-cost]`
// The marketer's view's API on a generated base on PostgreSQL, through a real Directus: GET
// /segmentation/analytics/rfm-grid, /analytics/overview, /segments/:id/breakdown and /analytics/campaigns (against
// the Listmonk test double in its own process), each timed warm over HTTP (median of --runs, after two warm-ups), and
// each of its statements EXPLAIN-ed (index or sequential scan) and timed on the benchmark's own connection. The grid,
// the overview and a segment's figures are served from the snapshot counted at the end of the last refresh (at 1M
// they take longer than the live budget): each is also timed as counted now (`?fresh=true`, the pages' Recount), and
// the precompute itself (what the daily run adds: those for every active segment) is timed once.
// --index-cost: a full pass (POST /segmentation/recompute) timed as shipped and with migration 12's covering indexes
// made again (migration 14 dropped them: this is why). The
// baseline, measured in the same run on the same data: the same grid and overview the naive way — every client read
// (id and the computed fields, in pages of 50,000 by id) and aggregated in JavaScript.
// The base is kept between runs: an existing database `seg_bench_analytics_<clients>` holding exactly --clients scored
// clients is reused (--fresh seeds anew). PostgreSQL: the server PGHOST/PGPORT name when it answers (a kept base
// needs one), else a throwaway cluster.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import pg from 'pg';
import { shapeGrid, shapeOverview, type GridRow, type OverviewRow } from '../extensions/segmentation/src/core/analytics.ts';
import { engineSettingsFromRow, levelsOf } from '../extensions/segmentation/src/core/engine-settings.ts';
import { analyticsStatements, overview as countOverview, rfmGrid, segmentFigures } from '../extensions/segmentation/src/store/analytics.ts';
import { ANALYTICS_SNAPSHOTS_TABLE } from '../extensions/segmentation/src/store/tables.ts';
import { ANALYTICS_COLUMNS } from '../extensions/segmentation/src/store/queries/analytics.ts';
import { analyticsIndexName } from '../extensions/segmentation/src/directus/install/migrations/012-analytics-indexes.ts';
import { readMappingFromDatabase } from '../extensions/segmentation/src/store/live-schema.ts';
import { ident, sql, type Sql } from '../extensions/segmentation/src/store/queries/sql.ts';
import { cli, intFlag } from './lib/args.ts';
import { startDoubleProcess } from './lib/listmonk-double-process.ts';
import { openKnex } from './lib/db.ts';
import type { DirectusProcess } from './lib/directus.ts';
import { bootBenchDirectus, queueIdle as queueIdleOf, recomputeWhenFree } from './lib/bench.ts';
import { EXTENSIONS_PATH, projectEnv, type Env } from './lib/env.ts';
import { directusHttp, HttpError } from './lib/http.ts';
import { ensurePostgres, recreateDatabase, type PgServer } from './lib/pg-cluster.ts';
import { ensureInstalled } from './lib/prepare.ts';
import { seedDemo, todayUtc } from './lib/seed.ts';

const { clients, runs, fresh, prepareOnly, afterPass, indexCost } = cli(
	'bench:analytics',
	'Usage: npm run bench:analytics -- [--clients 1000000] [--runs 9] [--fresh] [--prepare-only] [--after-pass] [--index-cost]',
	{ clients: { type: 'string' }, runs: { type: 'string' }, fresh: { type: 'boolean' }, 'prepare-only': { type: 'boolean' }, 'after-pass': { type: 'boolean' }, 'index-cost': { type: 'boolean' } },
	({ flags }) => ({
		clients: intFlag(flags, 'clients', 1_000_000, 1),
		runs: intFlag(flags, 'runs', 9, 3),
		fresh: flags['fresh'] === true,
		prepareOnly: flags['prepare-only'] === true,
		/** Measure right after a full pass (every client row rewritten, before autovacuum came by) instead of on a settled base. */
		afterPass: flags['after-pass'] === true,
		indexCost: flags['index-cost'] === true,
	}),
);
const TOKEN = 'bench-admin-token';
/** One kept base per size. */
const DATABASE = `seg_bench_analytics_${clients}`;
const LM_USER = 'bench-analytics';
const LM_TOKEN = 'bench-analytics-token';
/** Campaigns in the double: half sent to the benchmark segment's list, half to another list, over 60 days. */
const CAMPAIGNS = 200;

const http = (url: string, method: string, path: string, body?: unknown) => directusHttp(url, TOKEN).json(method, path, body);
const queueIdle = (url: string, timeoutMs: number) => queueIdleOf(TOKEN, url, timeoutMs, 500);
const fullPass = async (url: string): Promise<void> => void (await recomputeWhenFree(TOKEN, url));

async function databaseExists(server: PgServer): Promise<boolean> {
	const admin = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' });
	await admin.connect();
	try {
		return (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE])).rowCount === 1;
	} finally {
		await admin.end();
	}
}

/** A kept base fits: the schema installed and exactly `clients` clients, scored. */
async function reusable(env: Env): Promise<boolean> {
	const knex = openKnex(env);
	try {
		if (!(await knex.schema.hasTable('clients')) || !(await knex.schema.hasColumn('clients', 'rfm_r'))) return false;
		const row = await knex('clients').count({ n: '*' }).count({ scored: 'rfm_r' }).first();
		return Number(row?.['n']) === clients && Number(row?.['scored']) > 0;
	} finally {
		await knex.destroy();
	}
}



/** Seeds a fresh base of `clients` and scores it (the seed's queue drained, then one full pass). */
async function prepare(env: Env, server: PgServer): Promise<void> {
	console.error(`[bench:analytics] seeding ${clients.toLocaleString('en')} clients into ${DATABASE} …`);
	await recreateDatabase(server, DATABASE);
	await ensureInstalled(env, () => undefined);
	const knex = openKnex(env);
	let proc: DirectusProcess | null = null;
	try {
		await seedDemo(knex, { clients, seed: 41, asOf: todayUtc(), quiet: false });
		await knex.raw('VACUUM ANALYZE');
		proc = await bootBenchDirectus(env);
		console.error('[bench:analytics] scoring (the seed\'s queue, then a full pass) …');
		await queueIdle(proc.url, 3_600_000);
		await fullPass(proc.url);
		await queueIdle(proc.url, 600_000);
	} finally {
		await proc?.stop();
		await knex.destroy();
	}
}

const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Median and slowest of `runs` warm calls (after two warm-ups), and the first call's time. */
async function timeIt(fn: () => Promise<unknown>): Promise<{ median: number; max: number; first: number }> {
	const t0 = performance.now();
	await fn();
	const first = performance.now() - t0;
	await fn();
	const times: number[] = [];
	for (let i = 0; i < runs; i++) {
		const t = performance.now();
		await fn();
		times.push(performance.now() - t);
	}
	return { median: median(times), max: Math.max(...times), first };
}

interface PlanNode { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; 'Heap Fetches'?: number; 'Workers Launched'?: number; Plans?: PlanNode[] }

/** EXPLAIN ANALYZE of a statement: its scans (index-only / index / sequential, with heap fetches) and its time. */
async function explain(knex: Knex, statement: Sql): Promise<{ scans: string[]; seqScans: string[]; ms: number }> {
	const result = await knex.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement.text}`, statement.bindings as Knex.RawBinding[]);
	const top = (result.rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode; 'Execution Time': number }>)[0]!;
	const scans: string[] = [];
	const seqScans: string[] = [];
	const walk = (node: PlanNode) => {
		const type = node['Node Type'];
		if (/Scan/.test(type)) {
			const on = node['Index Name'] ? `${node['Index Name']}` : node['Relation Name'] ?? '';
			const fetches = node['Heap Fetches'] !== undefined ? `, ${node['Heap Fetches'].toLocaleString('en')} heap fetches` : '';
			scans.push(`${type} ${on}${fetches}`);
			if (/Seq Scan/.test(type)) seqScans.push(`${node['Relation Name']}`);
		}
		for (const child of node.Plans ?? []) walk(child);
	};
	walk(top.Plan);
	return { scans: [...new Set(scans)], seqScans, ms: top['Execution Time'] };
}

/** The naive way: every client read (id-keyset pages of 50,000) and aggregated in JavaScript. */
async function naiveAggregate(knex: Knex, columns: string[], each: (row: Record<string, unknown>) => void): Promise<void> {
	let after = 0;
	for (;;) {
		const page: Array<Record<string, unknown>> = await knex('clients').where('id', '>', after).orderBy('id').limit(50_000).select('id', ...columns);
		if (page.length === 0) return;
		for (const row of page) each(row);
		after = Number(page.at(-1)!['id']);
	}
}

interface Row { endpoint: string; httpMs: number; httpMax: number; statements: Array<{ name: string; ms: number; scans: string[]; seqScans: string[] }>; naiveMs: number | null; notBudgeted?: boolean }

async function measure(env: Env, lmUrl: string): Promise<{ rows: Row[]; members: number; campaigns: number; heapNote: string }> {
	const knex = openKnex(env);
	let proc: DirectusProcess | null = null;
	try {
		proc = await bootBenchDirectus({ ...env, LISTMONK_URL: lmUrl, LISTMONK_API_USER: LM_USER, LISTMONK_API_TOKEN: LM_TOKEN, SEGMENTATION_AUTOMATIONS_CRON: 'off' });
		const url = proc.url;
		await queueIdle(url, 1_800_000);
		// the benchmark's segments: the biggest active one (the breakdown's worst case) and a small synced one whose
		// Listmonk list gets the campaigns (what the campaigns endpoint reads does not depend on the list's size)
		let big = await knex('segments').where({ is_active: true }).orderBy('member_count', 'desc').first('id', 'name', 'member_count');
		if (!big || Number(big.member_count) < clients / 10) {
			const made = await http(url, 'POST', '/items/segments', { name: 'Bench buyers', kind: 'dynamic', is_active: true, rule: { lifecycle_stage: { _in: ['one_time', 'returning', 'regular'] } } });
			await queueIdle(url, 1_800_000);
			big = await knex('segments').where({ id: made.data.id }).first('id', 'name', 'member_count');
		}
		const members = Number((await knex('segment_members').where({ segment: big.id }).count({ n: '*' }).first())!['n']);
		let synced = await knex('segments').where({ name: 'Bench campaigns' }).first('id');
		if (!synced) synced = (await http(url, 'POST', '/items/segments', { name: 'Bench campaigns', kind: 'dynamic', is_active: true, rule: { id: { _lte: 50 } }, listmonk_sync: true })).data;
		let listId = 0;
		for (const deadline = Date.now() + 300_000; !listId; ) {
			listId = Number((await knex('segments').where({ id: synced.id }).first('listmonk_list_id'))?.listmonk_list_id ?? 0);
			if (!listId && Date.now() > deadline) throw new Error('the benchmark segment got no Listmonk list');
			if (!listId) await new Promise((r) => setTimeout(r, 500));
		}
		const lm = (method: string, path: string, body?: unknown) =>
			fetch(lmUrl + path, { method, headers: { authorization: `token ${LM_USER}:${LM_TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => {
				if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
				return r.json() as Promise<any>;
			});
		const other = (await lm('POST', '/api/lists', { name: 'Bench newsletter', type: 'private', optin: 'single' })).data.id;
		for (let i = 0; i < CAMPAIGNS; i++) {
			const id = (await lm('POST', '/api/campaigns', { name: `Bench ${i}`, subject: `Bench ${i}`, lists: [i % 2 ? other : listId], body: '<p>Hi</p>' })).data.id;
			await lm('PUT', `/api/campaigns/${id}/status`, { status: 'running' });
			const sent = 1000 + i;
			await fetch(`${lmUrl}/__double/campaigns/${id}/stats`, { method: 'POST', body: JSON.stringify({ sent, views: Math.floor(sent * 0.3), clicks: Math.floor(sent * 0.05), started_at: new Date(Date.now() - (i % 60) * 86_400_000).toISOString() }) });
		}

		if (afterPass) {
			console.error('[bench:analytics] a full pass first (every client row rewritten) …');
			await fullPass(url);
			await queueIdle(url, 600_000);
		} else {
			// a settled base: what autovacuum leaves a while after the daily run (the visibility map set)
			await knex.raw('VACUUM ANALYZE clients, segment_members');
		}

		const mapping = await readMappingFromDatabase(knex);
		const settingsRow = await knex('segmentation_settings').first();
		const engine = engineSettingsFromRow(settingsRow);
		if (!engine.ok) throw new Error(engine.errors.join('; '));
		const statements = analyticsStatements(mapping, engine.settings, [Number(big.id)]);
		const snapshotRead = (key: string) => sql`SELECT body FROM ${ident(ANALYTICS_SNAPSHOTS_TABLE)} WHERE key = ${key}`;
		const get = (path: string) => async () => {
			const res = await directusHttp(url, TOKEN).request('GET', path);
			if (res.status !== 200) throw new HttpError('GET', path, res);
			return res.body;
		};
		const rows: Row[] = [];
		const endpoint = async (name: string, path: string, sqls: Array<[string, Sql]>, naive: (() => Promise<unknown>) | null) => {
			console.error(`[bench:analytics] ${name} …`);
			const http = await timeIt(get(path));
			const explained = [];
			for (const [label, statement] of sqls) {
				await explain(knex, statement); // warm
				const runsOf = [];
				for (let i = 0; i < 3; i++) runsOf.push(await explain(knex, statement));
				const mid = [...runsOf].sort((a, b) => a.ms - b.ms)[1]!;
				explained.push({ name: label, ...mid });
			}
			let naiveMs: number | null = null;
			if (naive) {
				const t = performance.now();
				await naive();
				naiveMs = performance.now() - t;
			}
			rows.push({ endpoint: name, httpMs: http.median, httpMax: http.max, statements: explained, naiveMs });
		};

		await endpoint('GET /segmentation/analytics/rfm-grid (snapshot)', '/segmentation/analytics/rfm-grid', [['snapshot read', snapshotRead('rfm-grid')]], null);
		await endpoint('GET /segmentation/analytics/rfm-grid?fresh=true (counted now)', '/segmentation/analytics/rfm-grid?fresh=true', [['grid', statements.grid]], async () => {
			// the same grid: per-client rows as groups of one
			const cells = new Map<string, GridRow>();
			await naiveAggregate(knex, ['rfm_r', 'rfm_f', 'rfm_m', 'rfm_monetary'], (c) => {
				const key = `${c['rfm_r']}/${c['rfm_f']}/${c['rfm_m']}`;
				const cell = cells.get(key) ?? { r: c['rfm_r'], f: c['rfm_f'], m: c['rfm_m'], clients: 0, revenue: 0 };
				cell.clients = Number(cell.clients) + 1;
				cell.revenue = Number(cell.revenue) + Number(c['rfm_monetary'] ?? 0);
				cells.set(key, cell);
			});
			const naive = shapeGrid([...cells.values()], { scheme: engine.settings.rfm_scheme, levels: levelsOf(engine.settings) });
			const ours = (await get('/segmentation/analytics/rfm-grid?fresh=true')()).data;
			if (JSON.stringify(naive.cells.map((c) => c.clients)) !== JSON.stringify(ours.cells.map((c: { clients: number }) => c.clients))) throw new Error('the naive grid differs from the endpoint’s');
		});
		// served: the snapshot (the first call, before any refresh on this code, counts and stores it)
		await endpoint('GET /segmentation/analytics/overview (snapshot)', '/segmentation/analytics/overview', [['snapshot read', snapshotRead('overview')]], null);
		const served = (await get('/segmentation/analytics/overview')()).data;
		if (served.live) console.error('[bench:analytics] note: the overview was counted live (its count is within the live budget at this size)');
		await endpoint('GET /segmentation/analytics/overview?fresh=true (counted now)', '/segmentation/analytics/overview?fresh=true', [['overview', statements.overview]], async () => {
			const groups = new Map<string, OverviewRow>();
			await naiveAggregate(knex, ['rfm_segment', 'lifecycle_stage', 'value_tier', 'is_sleeping', 'rfm_r', 'rfm_monetary', 'rfm_frequency'], (c) => {
				const key = `${c['rfm_segment']}/${c['lifecycle_stage']}/${c['value_tier']}/${c['is_sleeping']}`;
				const g = groups.get(key) ?? { segment: c['rfm_segment'], stage: c['lifecycle_stage'], tier: c['value_tier'], sleeping: c['is_sleeping'], clients: 0, scored: 0, revenue: 0, purchases: 0 };
				g.clients = Number(g.clients) + 1;
				g.scored = Number(g.scored) + (c['rfm_r'] === null ? 0 : 1);
				g.revenue = Number(g.revenue) + Number(c['rfm_monetary'] ?? 0);
				g.purchases = Number(g.purchases) + Number(c['rfm_frequency'] ?? 0);
				groups.set(key, g);
			});
			const naive = shapeOverview([...groups.values()], { segmentOrder: [] });
			const ours = (await get('/segmentation/analytics/overview?fresh=true')()).data;
			if (naive.totals.clients !== ours.totals.clients || naive.totals.won_deals !== ours.totals.won_deals) throw new Error('the naive overview differs from the endpoint’s');
		});
		const figureStatements: Array<[string, Sql]> = [['members by stage, tier and lead source', statements.segments!], ...(statements.baseLeadSources ? [['the base by lead source', statements.baseLeadSources] as [string, Sql]] : [])];
		await endpoint(`GET /segmentation/segments/:id/breakdown (${members.toLocaleString('en')} members; snapshot)`, `/segmentation/segments/${big.id}/breakdown`, [['snapshot read', snapshotRead(`segment:${big.id}`)]], null);
		await endpoint(`GET /segmentation/segments/:id/lead-sources (snapshot)`, `/segmentation/segments/${big.id}/lead-sources`, [['snapshot read', snapshotRead(`segment:${big.id}`)]], null);
		await endpoint(`GET /segmentation/segments/:id/breakdown?fresh=true (counted now)`, `/segmentation/segments/${big.id}/breakdown?fresh=true`, figureStatements, null);
		// the precompute at the end of a refresh (the daily run's): the overview and every active segment's figures
		{
			const active = (await knex('segments').where({ is_active: true }).pluck('id')).map(Number);
			const t = performance.now();
			await rfmGrid(knex, mapping, engine.settings);
			await countOverview(knex, mapping, engine.settings);
			for (let i = 0; i < active.length; i += 100) await segmentFigures(knex, mapping, engine.settings, active.slice(i, i + 100));
			const ms = performance.now() - t;
			rows.push({ endpoint: `precompute at the end of the daily run (grid, overview and ${active.length} active segments' figures; once, not HTTP)`, httpMs: ms, httpMax: ms, statements: [], naiveMs: null, notBudgeted: true });
		}
		// the first call asks Listmonk (GET /api/campaigns, per_page=all); the next ones within 60 s are the cache's
		const campaigns = await timeIt(get(`/segmentation/analytics/campaigns?segment=${synced.id}`));
		rows.push({ endpoint: `GET /segmentation/analytics/campaigns (${CAMPAIGNS} campaigns; first call, Listmonk asked: ${campaigns.first.toFixed(1)} ms; then cached 60 s)`, httpMs: campaigns.median, httpMax: campaigns.max, statements: [], naiveMs: null });
		if (indexCost) {
			// the write cost of migration 12's covering indexes (migration 14 dropped them): a full pass rewrites every client
			// row and, with them, its entries in both; made here for the measurement and dropped again
			const timePass = async () => {
				const t = performance.now();
				await fullPass(url);
				await queueIdle(url, 600_000);
				return performance.now() - t;
			};
			const table = mapping.client_collection;
			const names = (Object.keys(ANALYTICS_COLUMNS) as Array<keyof typeof ANALYTICS_COLUMNS>).map((purpose) => [analyticsIndexName(table, purpose), ANALYTICS_COLUMNS[purpose]] as const);
			console.error('[bench:analytics] a full pass without the covering indexes …');
			const without = await timePass();
			const t = performance.now();
			for (const [name, columns] of names) await knex.raw(`CREATE INDEX IF NOT EXISTS ?? ON ?? (${columns.map(() => '??').join(', ')})`, [name, table, ...columns]);
			const rebuild = performance.now() - t;
			console.error('[bench:analytics] a full pass with them …');
			const withIndexes = await timePass();
			for (const [name] of names) await knex.raw('DROP INDEX IF EXISTS ??', [name]);
			rows.push({ endpoint: `full pass (POST /segmentation/recompute), as shipped; with migration 12's covering indexes: ${(withIndexes / 1000).toFixed(1)} s (${((withIndexes / without - 1) * 100).toFixed(0)} % more); building both: ${(rebuild / 1000).toFixed(1)} s`, httpMs: without, httpMax: without, statements: [], naiveMs: null, notBudgeted: true });
		}
		const heap = await knex.raw(`SELECT n_dead_tup, last_autovacuum, last_vacuum FROM pg_stat_user_tables WHERE relname = 'clients'`);
		return { rows, members, campaigns: CAMPAIGNS, heapNote: JSON.stringify(heap.rows[0]) };
	} finally {
		await proc?.stop();
		await knex.destroy();
	}
}

const work = mkdtempSync(join(tmpdir(), 'seg-bench-analytics-'));
const base = projectEnv({ ...process.env, ENV_FILE: '/nonexistent.env', DATA_DIR: work, ADMIN_PASSWORD: 'bench-password', ADMIN_TOKEN: TOKEN, PRESSURE_LIMITER_ENABLED: 'false', RATE_LIMITER_ENABLED: 'false', LOG_LEVEL: 'warn', EXTENSIONS_PATH });
const server = await ensurePostgres((s) => console.error(s));
let double: ChildProcess | null = null;
try {
	const env: Env = { ...base, DB_CLIENT: 'pg', DB_HOST: server.host, DB_PORT: String(server.port), DB_USER: server.user, DB_PASSWORD: server.password, DB_DATABASE: DATABASE };
	if (fresh || server.throwaway || !(await databaseExists(server)) || !(await reusable(env))) await prepare(env, server);
	else console.error(`[bench:analytics] reusing ${DATABASE} (${clients.toLocaleString('en')} scored clients)`);
	if (!prepareOnly) {
		const started = await startDoubleProcess(LM_USER, LM_TOKEN);
		double = started.process;
		const { rows, heapNote } = await measure(env, started.url);
		const f = (n: number) => n.toLocaleString('en', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
		console.log(`\nThe marketer's view's API at ${clients.toLocaleString('en')} clients, PostgreSQL, ${afterPass ? 'right after a full pass' : 'a settled base (vacuumed)'}; HTTP: median of ${runs} warm calls (slowest); SQL: EXPLAIN ANALYZE, median of 3\n`);
		console.log('| endpoint | HTTP median ms (slowest) | ≤ 300 ms | statement | SQL ms | plan | naive (read every client, aggregate in JS) ms | naive / ours |');
		console.log('|---|---:|:-:|---|---:|---|---:|---:|');
		for (const r of rows) {
			const parts = r.statements.length ? r.statements : [{ name: r.notBudgeted ? '—' : '— (Listmonk)', ms: NaN, scans: [], seqScans: [] }];
			parts.forEach((st, i) => {
				const plan = st.scans.length ? `${st.seqScans.length ? '**seq scan** ' : 'index ✓ '}${st.scans.join('; ')}` : '—';
				console.log(
					`| ${i ? '' : r.endpoint} | ${i ? '' : `${f(r.httpMs)} (${f(r.httpMax)})`} | ${i ? '' : r.notBudgeted ? '—' : r.httpMs <= 300 ? 'yes' : '**no**'} | ${st.name} | ${Number.isNaN(st.ms) ? '—' : f(st.ms)} | ${plan} | ${i || r.naiveMs === null ? '' : f(r.naiveMs)} | ${i || r.naiveMs === null ? '' : `${f(r.naiveMs / r.httpMs)}×`} |`,
				);
			});
		}
		console.error(`[bench:analytics] clients table: ${heapNote}`);
	}
} finally {
	double?.kill();
	await server.stop();
	rmSync(work, { recursive: true, force: true });
}
