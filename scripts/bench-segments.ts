// `npm run bench:segments -- [--clients 100000,1000000] [--db pg,sqlite] [--saves 100] [--import 100000] [--import-rounds 3]`
// Segments on generated bases, PostgreSQL and SQLite, through a real Directus, 30 active dynamic segments:
//  - full refresh of all segments (cold: empty memberships; steady: nothing changed) vs the floor measured in the
//    same run on the same data: per segment a hand-written INSERT … SELECT of the new members + anti-join DELETE;
//  - re-qualifying one client after a change (client save → membership visible through the REST API; on PostgreSQL
//    also read on the benchmark's own connection, which takes nothing from Directus's event loop), p50 / p95;
//  - the whole daily job (POST /segmentation/recompute: recompute → auto tags → refresh → snapshots, from cleared
//    scores, auto tags and memberships) vs the sum of its floors (engine floor statement + one INSERT … SELECT of
//    every auto tag + the segments' floor), same as-of;
//  - a deal import through Directus's own POST /utils/import/deals, the same CSV into the same starting state, with
//    the extension loaded and without (EXTENSIONS_PATH → an empty folder), each on a fresh instance, alternating,
//    --import-rounds times each (the fastest counts: the machine's noise only ever adds time): rows/s both ways, and the time until the change queue is drained after the import.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { SCORE_FIELDS } from '../extensions/segmentation/src/store/scores.ts';
import { cli, intFlag, intListFlag, listFlag } from './lib/args.ts';
import { runFloor } from './lib/engine-floor.ts';
import { openKnex } from './lib/db.ts';
import type { DirectusProcess } from './lib/directus.ts';
import { bootBenchDirectus, percentile, queueIdle as queueIdleOf, recomputeWhenFree } from './lib/bench.ts';
import { EXTENSIONS_PATH, projectEnv, type Env } from './lib/env.ts';
import { directusHttp, HttpError } from './lib/http.ts';
import { ensurePostgres, recreateDatabase } from './lib/pg-cluster.ts';
import { ensureInstalled } from './lib/prepare.ts';
import { seedDemo, todayUtc } from './lib/seed.ts';

const { sizes, dbs, saves, importDeals, IMPORT_ROUNDS } = cli(
	'bench:segments',
	'Usage: npm run bench:segments -- [--clients 100000,1000000] [--db pg,sqlite] [--saves 100] [--import 100000] [--import-rounds 3]',
	{ clients: { type: 'string' }, db: { type: 'string' }, saves: { type: 'string' }, import: { type: 'string' }, 'import-rounds': { type: 'string' } },
	({ flags }) => ({
		sizes: intListFlag(flags, 'clients', [100_000], 1),
		dbs: listFlag(flags, 'db', ['pg', 'sqlite'], ['pg', 'sqlite']),
		saves: intFlag(flags, 'saves', 100, 10),
		importDeals: intFlag(flags, 'import', 100_000, 0),
		/** Imports per arm (with / without the extension), alternating. */
		IMPORT_ROUNDS: intFlag(flags, 'import-rounds', 3, 1),
	}),
);
const TOKEN = 'bench-admin-token';
const MARKER = 'bench-marker';

/** 30 segments: each rule as a marketer writes it, and the same condition written by hand for the floor. */
const CELLS = ['CCC', 'CCB', 'CBC', 'BCC', 'CBB', 'BCB', 'BBC', 'BBB', 'ACC', 'ABB', 'AAA', 'AAB', 'ABA', 'BAA', 'CAA', 'CCA', 'ACA', 'AAC', 'BAB'];
const STAGES = ['lead', 'in_selection', 'refused', 'uninterested', 'one_time', 'returning', 'regular'];
type Dialect = 'pg' | 'sqlite';
// timestamps: timestamptz on PostgreSQL, epoch milliseconds on SQLite (as Directus and the engine write them)
const NINETY_DAYS_AGO: Record<Dialect, string> = {
	pg: `now() - interval '90 days'`,
	sqlite: `(CAST(strftime('%s', 'now') AS INTEGER) - 90 * 86400) * 1000`,
};
const SEGMENTS: Array<{ name: string; rule: Record<string, unknown>; floor: string | ((d: Dialect) => string) }> = [
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
		floor: (d) => `c.last_purchase_at >= ${NINETY_DAYS_AGO[d]} AND EXISTS (SELECT 1 FROM client_tags ct WHERE ct.client = c.id AND ct.tag IS NOT NULL)`,
	},
	{ name: 'Marker (latency probe)', rule: { lead_source: { _eq: MARKER } }, floor: `c.lead_source = '${MARKER}'` },
];

const floorOf = (segment: (typeof SEGMENTS)[number], d: Dialect): string => (typeof segment.floor === 'string' ? segment.floor : segment.floor(d));
const dialect = (knex: Knex): Dialect => (knex.client.config.client === 'pg' ? 'pg' : 'sqlite');

interface Result {
	db: string; clients: number; deals: number; members: number;
	oursColdS: number; floorColdS: number; oursSteadyS: number; floorSteadyS: number; tagSyncColdS: number; tagSyncSteadyS: number;
	saveP50: number; saveP95: number; visibleP50: number; visibleP95: number; afterCommitP50: number; afterCommitP95: number;
	/** PostgreSQL: from the save's answer until the membership is committed, read on the benchmark's own connection. */
	committedP50: number | null; committedP95: number | null;
	importS: number | null; requalifyS: number | null; importWithoutS: number | null;
	dailyS: number; dailyEngineS: number; dailySegmentsS: number; dailyTagsS: number; engineFloorS: number; tagFloorS: number; dailyFloorSegmentsS: number;
}
const results: Result[] = [];

const pct = percentile;

const http = (url: string, method: string, path: string, body?: unknown) => directusHttp(url, TOKEN).json(method, path, body);
const queueIdle = (url: string, timeoutMs: number) => queueIdleOf(TOKEN, url, timeoutMs, 100);
const fullPass = (url: string, body: Record<string, unknown>) => recomputeWhenFree(TOKEN, url, body);

const boot = (env: Env, withExtension = true) => bootBenchDirectus(env, withExtension);

async function analyze(knex: Knex): Promise<void> {
	await knex.raw(dialect(knex) === 'pg' ? 'VACUUM ANALYZE' : 'ANALYZE');
}

async function resetScores(knex: Knex): Promise<void> {
	await knex('clients').update(Object.fromEntries(SCORE_FIELDS.map((f) => [f, null])));
}


/** A refresh still running (the start-up run's, on a big base) would hold the cluster lock: let it finish. */
async function refreshesIdle(knex: Knex): Promise<void> {
	while (await knex('segmentation_locks').where({ name: 'segments-refresh' }).andWhere('expires_at', '>', Date.now()).first('name')) await new Promise((r) => setTimeout(r, 1000));
}

async function clearMemberships(knex: Knex): Promise<void> {
	if (dialect(knex) === 'pg') await knex.raw('TRUNCATE segment_members, segmentation_segment_events');
	else for (const table of ['segment_members', 'segmentation_segment_events']) await knex(table).delete();
	await knex('segments').update({ member_count: 0 });
}

async function floorRefresh(knex: Knex, ids: number[]): Promise<void> {
	const d = dialect(knex);
	for (const [i, segment] of SEGMENTS.entries()) {
		const id = ids[i]!;
		const cond = floorOf(segment, d);
		// present members are skipped by the unique (segment, client) index (an anti-join against the table being
		// inserted into can be planned as a nested loop that re-reads it row by row once it is big)
		if (d === 'pg') {
			await knex.raw(`INSERT INTO segment_members (segment, client, entered_at) SELECT ?, c.id, now() FROM clients c WHERE ${cond} ON CONFLICT (segment, client) DO NOTHING`, [id]);
			await knex.raw(`DELETE FROM segment_members m WHERE m.segment = ? AND NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = m.client AND ${cond})`, [id]);
		} else {
			// SQLite: entered_at in epoch ms (bound: the same value per statement, as now() is on PostgreSQL)
			await knex.raw(`INSERT INTO segment_members (segment, client, entered_at) SELECT ?, c.id, ? FROM clients c WHERE ${cond} ON CONFLICT (segment, client) DO NOTHING`, [id, Date.now()]);
			await knex.raw(`DELETE FROM segment_members WHERE segment = ? AND NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = segment_members.client AND ${cond})`, [id]);
		}
	}
}

async function autoTagCount(knex: Knex): Promise<number> {
	const [row] = await knex('client_tags').where({ source: 'auto' }).count({ n: '*' });
	return Number(row?.['n'] ?? 0);
}

/** Every client's auto tags removed (hand-made tags stay): the tag step's cold start, for ours and the floor alike. */
async function clearAutoTags(knex: Knex): Promise<void> {
	await knex('client_tags').where({ source: 'auto' }).delete();
}

/**
 * The tag step's floor: one hand-written INSERT … SELECT of every client's auto tags (per client and category the
 * latest won purchase, its deal and the expiry it gives; expired ones left out), no change detection, no tags
 * created for new categories (the seed's categories all have theirs after the first full pass).
 */
async function floorTags(knex: Knex, asOfMs: number): Promise<void> {
	const d = dialect(knex);
	const closedMs = d === 'pg' ? `CAST(ROUND(DATE_PART('epoch', d.closed_at) * 1000) AS BIGINT)` : 'd.closed_at';
	const expires = `CASE WHEN w.interest IS NULL THEN NULL ELSE w.closed_ms + w.interest * 86400000 END`;
	const asTimestamp = (ms: string) => (d === 'pg' ? `TO_TIMESTAMP((${ms}) / 1000.0)` : ms);
	await knex.raw(
		`INSERT INTO client_tags (client, tag, source, added_at, expires_at, deal)
		SELECT w.client_id, w.tag_id, 'auto', ${asTimestamp(String(asOfMs))}, ${asTimestamp(expires)}, w.deal_id FROM (
			SELECT d.client AS client_id, tg.id AS tag_id, d.id AS deal_id, ${closedMs} AS closed_ms, CAST(cat.interest_days AS BIGINT) AS interest,
				ROW_NUMBER() OVER (PARTITION BY d.client, tg.id ORDER BY d.closed_at DESC, d.id DESC) AS latest
			FROM deals d JOIN deal_items i ON i.deal = d.id JOIN products p ON p.id = i.product
				JOIN product_categories cat ON cat.id = p.category JOIN tags tg ON tg.category = cat.id
			WHERE d.status = 'won' AND d.closed_at IS NOT NULL AND d.client IS NOT NULL
		) w WHERE w.latest = 1 AND (w.interest IS NULL OR ${expires} > ?)`,
		[asOfMs],
	);
}

async function memberCounts(knex: Knex, ids: number[]): Promise<number[]> {
	const rows: Array<Record<string, unknown>> = await knex('segment_members').whereIn('segment', ids).groupBy('segment').select('segment').count({ n: '*' });
	return ids.map((id) => Number(rows.find((r) => Number(r['segment']) === id)?.['n'] ?? 0));
}


async function measure(db: Dialect, clients: number, env: Env): Promise<void> {
	console.error(`\n[${db} ${clients.toLocaleString('en')}] installing, seeding …`);
	await ensureInstalled(env, () => undefined);
	const knex = openKnex(env);
	let proc: DirectusProcess | null = null;
	try {
		const seeded = await seedDemo(knex, { clients, seed: 31, asOf: todayUtc(), quiet: false });
		await analyze(knex);
		proc = await boot(env);
		let url = proc.url;
		// the seed queued every client it wrote: the instance scores and tags them itself (one full pass for a bulk load)
		console.error(`[${db}] waiting for the change queue (the seeded clients) to drain, then a first full pass …`);
		await queueIdle(url, 3_600_000);
		await fullPass(url, {});
		await queueIdle(url, 600_000);
		// created inactive (no refresh on save), then switched on directly: the benchmark decides when work runs
		const created = (await http(url, 'POST', '/items/segments', SEGMENTS.map((s) => ({ name: s.name, rule: s.rule, kind: 'dynamic', is_active: false })))).data;
		const ids: number[] = created.map((s: { id: number }) => Number(s.id));
		await knex('segments').whereIn('id', ids).update({ is_active: true });
		await analyze(knex);

		await refreshesIdle(knex);
		console.error(`[${db}] floor (hand-written INSERT … SELECT + anti-join DELETE per segment) …`);
		await clearMemberships(knex);
		let t = performance.now();
		await floorRefresh(knex, ids);
		const floorColdS = (performance.now() - t) / 1000;
		const floorCounts = await memberCounts(knex, ids);
		t = performance.now();
		await floorRefresh(knex, ids);
		const floorSteadyS = (performance.now() - t) / 1000;

		console.error(`[${db}] ours: POST /segmentation/segments/refresh …`);
		await clearMemberships(knex);
		t = performance.now();
		const cold = (await directusHttp(url, TOKEN).json('POST', '/segmentation/segments/refresh', {}, { long: true })).data;
		const oursColdS = (performance.now() - t) / 1000;
		const slowest = [...cold.segments].sort((a: { duration_ms: number }, b: { duration_ms: number }) => b.duration_ms - a.duration_ms).slice(0, 3);
		console.error(`[${db}] slowest segments of the cold refresh: ${slowest.map((x: { name: string; duration_ms: number }) => `${x.name} ${x.duration_ms} ms`).join(', ')}`);
		t = performance.now();
		const steady = (await directusHttp(url, TOKEN).json('POST', '/segmentation/segments/refresh', {}, { long: true })).data;
		const oursSteadyS = (performance.now() - t) / 1000;
		// a refresh of all segments first syncs every client's auto tags: reported apart, the floor has no such step
		const tagSyncS = [cold.tags_ms / 1000, steady.tags_ms / 1000] as const;
		const ourCounts = await memberCounts(knex, ids);
		if (cold.segments.length !== SEGMENTS.length) throw new Error(`refreshed ${cold.segments.length} of ${SEGMENTS.length} segments: ${JSON.stringify(cold.skipped)}`);
		// "recent buyers" depends on now(): allow a handful of clients crossing the 90-day line between the runs
		for (const [i, n] of ourCounts.entries()) {
			if (Math.abs(n - floorCounts[i]!) > (SEGMENTS[i]!.name.startsWith('Recent') ? 50 : 0)) throw new Error(`segment "${SEGMENTS[i]!.name}": ${n} members, the floor found ${floorCounts[i]}`);
		}

		// the whole daily job from cleared scores and memberships vs its floors (engine statement + segments' floor)
		console.error(`[${db}] daily job: floors (engine statement + tag statement + segment floor) …`);
		const asOfIso = new Date().toISOString();
		await clearMemberships(knex);
		await resetScores(knex);
		await clearAutoTags(knex);
		t = performance.now();
		await runFloor(knex, Date.parse(asOfIso));
		const engineFloorS = (performance.now() - t) / 1000;
		t = performance.now();
		await floorTags(knex, Date.parse(asOfIso));
		const tagFloorS = (performance.now() - t) / 1000;
		const floorTagCount = await autoTagCount(knex);
		t = performance.now();
		// every client row was rewritten: a hand-written job on PostgreSQL analyses before querying them (ours does;
		// without it the floor's plans depend on whether autovacuum came by — 9 s one run, 87 s the next at 100k)
		if (dialect(knex) === 'pg') await knex.raw('ANALYZE clients, client_tags');
		await floorRefresh(knex, ids);
		const dailyFloorSegmentsS = (performance.now() - t) / 1000;
		console.error(`[${db}] daily job: ours (POST /segmentation/recompute: recompute + tags + refresh + snapshots) …`);
		await clearMemberships(knex);
		await resetScores(knex);
		await clearAutoTags(knex);
		const daily = await fullPass(url, { as_of: asOfIso });
		if (!Array.isArray(daily.run.segments?.segments)) throw new Error(`the full pass skipped the segments: ${JSON.stringify(daily.run.segments)}`);
		const ourTagCount = await autoTagCount(knex);
		if (ourTagCount !== floorTagCount) console.error(`note: the daily job left ${ourTagCount} auto tags, the tag floor wrote ${floorTagCount}`);
		await queueIdle(url, 600_000);

		console.error(`[${db}] ${saves} client saves, each re-qualified against ${SEGMENTS.length} segments …`);
		const marker = ids.at(-1)!;
		/** `saves` client saves flipping the marker segment's membership; per save its answer time, the time from the
		 *  save until `isMember` shows the flip, and the time from the answer until then. */
		const timeSaves = async (isMember: (client: number) => Promise<boolean>) => {
			const t = { save: [] as number[], visible: [] as number[], afterAnswer: [] as number[] };
			for (let i = 0; i < saves; i++) {
				const client = 1 + Math.floor(Math.random() * clients);
				const t0 = performance.now();
				await http(url, 'PATCH', `/items/clients/${client}`, { lead_source: i % 2 ? MARKER : 'referral' });
				const t1 = performance.now();
				const wanted = i % 2 === 1;
				while ((await isMember(client)) !== wanted) {
					if (performance.now() - t0 > 10_000) throw new Error(`client ${client} not re-qualified within 10 s`);
				}
				const t2 = performance.now();
				t.save.push(t1 - t0);
				t.visible.push(t2 - t0);
				t.afterAnswer.push(t2 - t1);
			}
			return t;
		};
		// read as a user reads, through Directus: on SQLite a reader in another process would hold file locks that
		// make Directus's commits wait in SQLite's busy handler (sleeps of 1–25 ms), slowing what it measures
		const { save, visible, afterAnswer: afterCommit } = await timeSaves(async (client) => {
			const found = (await http(url, 'GET', `/items/segment_members?filter[segment][_eq]=${marker}&filter[client][_eq]=${client}&fields=id&limit=1`)) as { data: unknown[] };
			return found.data.length > 0;
		});
		// The REST reads above compete with the batch they wait for, on Directus's event loop. On PostgreSQL the same
		// saves again, read on the benchmark's own connection instead (the membership is visible to every reader from
		// its commit). Not on SQLite: see above.
		let committed: number[] = [];
		if (db === 'pg') {
			console.error(`[${db}] ${saves} more client saves, the membership read from the database …`);
			committed = (await timeSaves(async (client) => Boolean(await knex('segment_members').where({ segment: marker, client }).first('id')))).afterAnswer;
		}

		let importS: number | null = null;
		let requalifyS: number | null = null;
		let importWithoutS: number | null = null;
		if (importDeals > 0) {
			const now = Date.now();
			const lines = ['client,status,amount,closed_at'];
			for (let i = 0; i < importDeals; i++) lines.push(`${1 + ((i * 7919) % clients)},won,${(10 + (i % 90)).toFixed(2)},${new Date(now - (i % 30) * 86_400_000).toISOString()}`);
			const csv = lines.join('\n');
			const maxDeal = Number((await knex('deals').max({ id: 'id' }).first())?.id ?? 0);
			const importOnce = async (target: string): Promise<number> => {
				const form = new FormData();
				form.append('file', new Blob([csv], { type: 'text/csv' }), 'deals.csv');
				const t0 = performance.now();
				await http(target, 'POST', '/utils/import/deals', form);
				return (performance.now() - t0) / 1000;
			};
			/** Back to the starting state: the imported deals gone (no hooks run: plain SQL, Directus stopped). */
			const resetImport = async (): Promise<void> => {
				const removed = await knex('deals').where('id', '>', maxDeal).delete();
				if (removed !== importDeals) console.error(`note: removed ${removed} imported deals, expected ${importDeals}`);
				await analyze(knex);
			};
			// each arm on a freshly started instance, alternating (with, without, with, without): the fastest of each
			// (an instance that just served the saves, or a cold page cache, would weigh on one arm only)
			await proc.stop();
			proc = null;
			const withS: number[] = [];
			const withoutS: number[] = [];
			for (let round = 0; round < IMPORT_ROUNDS; round++) {
				for (const withExtension of [true, false]) {
					console.error(`[${db}] importing ${importDeals.toLocaleString('en')} deals through /utils/import, ${withExtension ? 'with' : 'without'} the extension (round ${round + 1} of ${IMPORT_ROUNDS}) …`);
					proc = await boot(env, withExtension);
					url = proc.url;
					if (withExtension) await queueIdle(url, 600_000);
					const seconds = await importOnce(url);
					(withExtension ? withS : withoutS).push(seconds);
					if (withExtension && round === 0) {
						const imported = performance.now();
						await queueIdle(url, 1_800_000);
						requalifyS = (performance.now() - imported) / 1000;
					} else if (withExtension) await queueIdle(url, 1_800_000);
					await proc.stop();
					proc = null;
					await resetImport();
				}
			}
			importS = Math.min(...withS);
			importWithoutS = Math.min(...withoutS);
			console.error(`[${db}] import seconds with: ${withS.map((x) => x.toFixed(1)).join(', ')}; without: ${withoutS.map((x) => x.toFixed(1)).join(', ')}`);
		}
		const result: Result = {
			db, clients, deals: seeded.deals, members: ourCounts.reduce((a, b) => a + b, 0),
			oursColdS: oursColdS - tagSyncS[0], floorColdS, oursSteadyS: oursSteadyS - tagSyncS[1], floorSteadyS, tagSyncColdS: tagSyncS[0], tagSyncSteadyS: tagSyncS[1],
			saveP50: pct(save, 50), saveP95: pct(save, 95), visibleP50: pct(visible, 50), visibleP95: pct(visible, 95), afterCommitP50: pct(afterCommit, 50), afterCommitP95: pct(afterCommit, 95),
			committedP50: committed.length ? pct(committed, 50) : null, committedP95: committed.length ? pct(committed, 95) : null,
			importS, requalifyS, importWithoutS,
			dailyS: daily.wallS, dailyEngineS: daily.run.duration_ms / 1000, dailySegmentsS: daily.run.segments.duration_ms / 1000, dailyTagsS: daily.run.segments.tags_ms / 1000, engineFloorS, tagFloorS, dailyFloorSegmentsS,
		};
		results.push(result);
		console.error(`[${db}] result: ${JSON.stringify(result)}`);
	} finally {
		await proc?.stop();
		await knex.destroy();
	}
}

const work = mkdtempSync(join(tmpdir(), 'seg-bench-segments-'));
const base = projectEnv({ ...process.env, ENV_FILE: '/nonexistent.env', DATA_DIR: work, ADMIN_PASSWORD: 'bench-password', ADMIN_TOKEN: TOKEN, PRESSURE_LIMITER_ENABLED: 'false', RATE_LIMITER_ENABLED: 'false', LOG_LEVEL: 'warn', EXTENSIONS_PATH, MAX_PAYLOAD_SIZE: '64mb' });
try {
	for (const clients of sizes) {
		if (dbs.includes('pg')) {
			const server = await ensurePostgres(() => undefined);
			try {
				await recreateDatabase(server, 'seg_bench_segments');
				await measure('pg', clients, { ...base, DB_CLIENT: 'pg', DB_HOST: server.host, DB_PORT: String(server.port), DB_USER: server.user, DB_PASSWORD: server.password, DB_DATABASE: 'seg_bench_segments' });
			} finally {
				await server.stop();
			}
		}
		if (dbs.includes('sqlite')) await measure('sqlite', clients, { ...base, DB_CLIENT: 'sqlite3', DB_FILENAME: join(work, `bench-segments-${clients}.db`) });
	}
} finally {
	rmSync(work, { recursive: true, force: true });
}

const f = (n: number, d = 1) => n.toLocaleString('en', { minimumFractionDigits: d, maximumFractionDigits: d });
const ratio = (a: number, b: number) => `${f(a / b, 2)}×`;
console.log(`\nSegments, ${SEGMENTS.length} active dynamic segments; ${saves} client saves for the latency figures\n`);
console.log('| db | clients | deals | members (all segments) | refresh of the segments s (cold) | floor s (cold) | ours/floor | steady refresh s | floor s (steady) | ours/floor | + auto-tag sync of every client s (cold / steady) | client save p50 / p95 ms | re-qualified visible p50 / p95 ms | after the commit p50 / p95 ms | committed, read from the database p50 / p95 ms |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
	console.log(
		`| ${r.db} | ${r.clients.toLocaleString('en')} | ${r.deals.toLocaleString('en')} | ${r.members.toLocaleString('en')} | ${f(r.oursColdS, 2)} | ${f(r.floorColdS, 2)} | ${ratio(r.oursColdS, r.floorColdS)} | ${f(r.oursSteadyS, 2)} | ${f(r.floorSteadyS, 2)} | ${ratio(r.oursSteadyS, r.floorSteadyS)} | ${f(r.tagSyncColdS, 2)} / ${f(r.tagSyncSteadyS, 2)} | ${f(r.saveP50)} / ${f(r.saveP95)} | ${f(r.visibleP50)} / ${f(r.visibleP95)} | ${f(r.afterCommitP50)} / ${f(r.afterCommitP95)} | ${r.committedP50 === null ? '—' : `${f(r.committedP50)} / ${f(r.committedP95!)}`} |`,
	);
}
console.log(`\nThe daily job (POST /segmentation/recompute from cleared scores and memberships) vs the sum of its floors; engine alone vs its floor\n`);
console.log('| db | clients | full pass s (HTTP) | engine s (run record) | engine floor s | engine/floor | tags + segments + snapshots s | of which tags s | tag floor s | segment floor s | full pass / (engine + tag + segment floors) |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
	console.log(
		`| ${r.db} | ${r.clients.toLocaleString('en')} | ${f(r.dailyS, 2)} | ${f(r.dailyEngineS, 2)} | ${f(r.engineFloorS, 2)} | ${ratio(r.dailyEngineS, r.engineFloorS)} | ${f(r.dailySegmentsS, 2)} | ${f(r.dailyTagsS, 2)} | ${f(r.tagFloorS, 2)} | ${f(r.dailyFloorSegmentsS, 2)} | ${ratio(r.dailyS, r.engineFloorS + r.tagFloorS + r.dailyFloorSegmentsS)} |`,
	);
}
if (importDeals > 0) {
	console.log(`\nImport of ${importDeals.toLocaleString('en')} won deals (one CSV) through POST /utils/import/deals, same starting state, with and without the extension\n`);
	console.log('| db | clients | import with the extension s | rows/s | import without s | rows/s | with / without (time) | hooks overhead | queue drained after the import s |');
	console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
	for (const r of results) {
		if (r.importS === null || r.importWithoutS === null) continue;
		console.log(
			`| ${r.db} | ${r.clients.toLocaleString('en')} | ${f(r.importS)} | ${Math.round(importDeals / r.importS).toLocaleString('en')} | ${f(r.importWithoutS)} | ${Math.round(importDeals / r.importWithoutS).toLocaleString('en')} | ${ratio(r.importS, r.importWithoutS)} | ${f((r.importS / r.importWithoutS - 1) * 100)} % | ${r.requalifyS === null ? '—' : f(r.requalifyS)} |`,
		);
	}
}
