// `node scripts/probe-change-path.ts --db sqlite|pg [--clients 100000] [--iterations 30] [--prepare] [--work DIR]
//    [--skip-whole] [--explain N]` (PostgreSQL: the server PGHOST/PGPORT name, else a throwaway one)
// The change path outside Directus, step by step: a won deal (with items) is written for each client of a batch, then
// rescoreClients → syncAutoTags({ids}) → requalify({ids}) run in ONE transaction (as the change queue will), timed
// per step for 1-client and 100-client batches against every built-in library segment plus a tag segment. Also
// times the whole-base paths (write of all scores, sync of all auto tags, refresh of every segment), cold and steady.
// --explain N prints every statement of one N-client batch with its time, and the plan of the slow ones.
// --prepare builds the base once (Directus bootstrap + schema install, demo data, full scoring) into --work; later
// runs copy it (SQLite file / PostgreSQL template database) so every run starts from the same state.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { SEGMENT_NAMES } from '../extensions/segmentation/src/core/base-names.ts';
import { DEFAULT_ENGINE_SETTINGS } from '../extensions/segmentation/src/core/engine-settings.ts';
import type { Mapping } from '../extensions/segmentation/src/core/mapping.ts';
import { parseRule } from '../extensions/segmentation/src/core/rule.ts';
import { libraryTemplates, tagTemplate } from '../extensions/segmentation/src/core/segment-library.ts';
import { readMappingFromDatabase } from '../extensions/segmentation/src/store/live-schema.ts';
import { compileRule } from '../extensions/segmentation/src/store/rule-sql.ts';
import { buildStage, computeStageCutoffs, rescoreClients, writeAllScores, type EngineScope } from '../extensions/segmentation/src/store/scores.ts';
import { refreshSegment, requalify, type CompiledSegment } from '../extensions/segmentation/src/store/segments.ts';
import { rows } from '../extensions/segmentation/src/store/restriction.ts';
import { dialectOf } from '../extensions/segmentation/src/store/sql-dialect.ts';
import { syncAllAutoTags, syncAutoTags } from '../extensions/segmentation/src/store/tags.ts';
import { choiceFlag, cli, intFlag } from './lib/args.ts';
import { percentile } from './lib/bench.ts';
import { openKnex } from './lib/db.ts';
import { EXTENSIONS_PATH, projectEnv, type Env } from './lib/env.ts';
import { ensurePostgres, recreateDatabase, type PgServer } from './lib/pg-cluster.ts';
import { ensureInstalled } from './lib/prepare.ts';
import { readRuleSchema } from './lib/rule-schema.ts';
import { seedDemo, todayUtc } from './lib/seed.ts';

const { flags, db, clients, iterations, work } = cli(
	'probe-change-path',
	'Usage: node scripts/probe-change-path.ts --db sqlite|pg [--clients 100000] [--iterations 30] [--prepare] [--work /tmp/seg-probe] [--skip-whole] [--explain N]',
	{ db: { type: 'string' }, clients: { type: 'string' }, iterations: { type: 'string' }, prepare: { type: 'boolean' }, work: { type: 'string' }, 'skip-whole': { type: 'boolean' }, explain: { type: 'string' } },
	({ flags }) => {
		if (flags['explain'] !== undefined) intFlag(flags, 'explain', 1, 1);
		return { flags, db: choiceFlag(flags, 'db', 'sqlite', ['sqlite', 'pg']), clients: intFlag(flags, 'clients', 100_000, 100), iterations: intFlag(flags, 'iterations', 30, 1), work: String(flags['work'] ?? '/tmp/seg-probe') };
	},
);
const PG_TEMPLATE = `probe_base_${clients}`; // not seg_*: the test harness drops those on its server
const PG_RUN = 'probe_run';
mkdirSync(work, { recursive: true });

const f = (ms: number) => ms.toFixed(1);
const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
	const t = performance.now();
	const result = await fn();
	return [result, performance.now() - t];
};

function baseEnv(): Env {
	return projectEnv({ ...process.env, ENV_FILE: '/nonexistent.env', DATA_DIR: work, ADMIN_PASSWORD: 'probe-password', LOG_LEVEL: 'warn', EXTENSIONS_PATH, PRESSURE_LIMITER_ENABLED: 'false' });
}

function pgEnv(server: PgServer, database: string): Env {
	return { ...baseEnv(), DB_CLIENT: 'pg', DB_HOST: server.host, DB_PORT: String(server.port), DB_USER: server.user, DB_PASSWORD: server.password, DB_DATABASE: database };
}

/** Every library template for the default scheme and a segment for each of three interest tags, active. */
async function librarySegments(knex: Knex, m: Mapping, asOfMs: number): Promise<CompiledSegment[]> {
	const N = SEGMENT_NAMES;
	const schema = await readRuleSchema(knex, [m.client_collection, m.deal_collection, m.item_collection, m.product_collection, m.category_collection, N.tags, N.clientTags, N.segments, N.members]);
	const tags: Array<{ id: number; name: string }> = await knex(N.tags).select('id', 'name').orderBy('id').limit(3);
	const templates = [...libraryTemplates(DEFAULT_ENGINE_SETTINGS, { dealsAlias: 'deals', mapping: m }), ...tags.map((t) => tagTemplate({ id: Number(t.id), name: t.name }, N.clientTagsAlias))];
	const dialect = dialectOf(knex);
	const compiled: CompiledSegment[] = [];
	for (const template of templates) {
		const parsed = parseRule(template.rule, schema, m.client_collection);
		if (!parsed.ok) throw new Error(`${template.key}: ${parsed.errors.join('; ')}`);
		let row = await knex(N.segments).where({ name: template.name }).first('id');
		if (!row) [row] = await knex(N.segments).insert({ name: template.name, rule: JSON.stringify(template.rule), kind: 'dynamic', is_active: true, member_count: 0 }).returning('id');
		await knex(N.segments).where({ id: row.id }).update({ is_active: true });
		compiled.push({ id: Number(row.id), where: compileRule(parsed.rule, { dialect, alias: 'c', asOfMs }) });
	}
	return compiled;
}

async function prepare(env: Env): Promise<void> {
	console.error(`[${db}] bootstrap + schema install …`);
	await ensureInstalled(env, (s) => console.error(s));
	const knex = openKnex(env);
	try {
		const mapping = await readMappingFromDatabase(knex);
		const [{ n } = { n: 0 }] = await knex(mapping.client_collection).count({ n: '*' });
		if (Number(n) === 0) await seedDemo(knex, { clients, seed: 21, asOf: todayUtc(), quiet: false });
		if (db === 'pg') await knex.raw('VACUUM ANALYZE');
		const asOfMs = Date.now();
		const scope: EngineScope = { knex, mapping, settings: DEFAULT_ENGINE_SETTINGS, asOfMs };
		await buildStage(scope);
		await writeAllScores(scope, await computeStageCutoffs(scope));
		await syncAllAutoTags({ knex, mapping, asOfMs }, { categoryHasName: true });
		for (const segment of await librarySegments(knex, mapping, asOfMs)) await refreshSegment({ knex, mapping, atMs: asOfMs, cause: 'refresh' }, segment);
		if (db === 'pg') await knex.raw('VACUUM ANALYZE');
	} finally {
		await knex.destroy();
	}
}

const rng = (() => {
	let s = 12345;
	return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
})();

/** A won deal with two items for each client, as a REST save would write it. */
async function writeDeals(knex: Knex, m: Mapping, ids: number[], productIds: number[]): Promise<void> {
	const now = Date.now();
	const at = dialectOf(knex).pg ? new Date(now).toISOString() : now;
	for (const client of ids) {
		const [deal] = await knex(m.deal_collection).insert({ [m.deal_client_field]: client, [m.deal_status_field]: m.deal_status_won, [m.deal_amount_field]: 25, [m.deal_closed_field]: at, [m.deal_created_field]: at }).returning('id');
		const dealId = Number(typeof deal === 'object' ? deal.id : deal);
		const items = [0, 1].map(() => ({ [m.item_deal_field]: dealId, [m.item_product_field]: productIds[Math.floor(rng() * productIds.length)] }));
		await knex(m.item_collection).insert(items);
	}
}

/** Every statement of a batch (--explain N: N clients) with its time, and the plan of the slow ones (SQLite: EXPLAIN QUERY PLAN). */
async function explainBatch(knex: Knex, before: (ids: number[]) => Promise<void>, batch: (trx: Knex, ids: number[]) => Promise<void>): Promise<void> {
	const started = new Map<string, { sql: string; bindings: unknown[]; t: number }>();
	const log: Array<{ sql: string; bindings: unknown[]; ms: number }> = [];
	const onQuery = (q: { __knexQueryUid: string; sql: string; bindings: unknown[] }) => started.set(q.__knexQueryUid, { sql: q.sql, bindings: q.bindings ?? [], t: performance.now() });
	const onResponse = (_r: unknown, q: { __knexQueryUid: string }) => {
		const s = started.get(q.__knexQueryUid);
		if (s) log.push({ sql: s.sql, bindings: s.bindings, ms: performance.now() - s.t });
	};
	const size = Math.max(1, Number(flags['explain']) || 1);
	const ids = [...new Set(Array.from({ length: size }, () => 1 + Math.floor(rng() * clients)))];
	await before(ids);
	knex.on('query', onQuery).on('query-response', onResponse);
	await knex.transaction((trx) => batch(trx, ids));
	knex.removeListener('query', onQuery).removeListener('query-response', onResponse);
	console.log(`\nstatements of a ${ids.length}-client batch:`);
	for (const q of log) {
		console.log(`${q.ms.toFixed(2).padStart(9)} ms  ${q.sql.replace(/\s+/g, ' ').slice(0, 160)}`);
		if (q.ms > 2 && /^\s*(select|with|insert|update|delete)/i.test(q.sql)) {
			// (PostgreSQL's query event shows $n placeholders)
			const plan = rows(await knex.raw(`${dialectOf(knex).pg ? 'EXPLAIN' : 'EXPLAIN QUERY PLAN'} ${q.sql.replace(/\$\d+/g, '?')}`, q.bindings as Knex.RawBinding[]));
			for (const r of plan) console.log(`             ${r['detail'] ?? r['QUERY PLAN']}`);
		}
	}
}

async function measure(env: Env): Promise<void> {
	const knex = openKnex(env);
	try {
		const mapping = await readMappingFromDatabase(knex);
		const asOfMs = Date.now();
		const settings = DEFAULT_ENGINE_SETTINGS;
		const scope: EngineScope = { knex, mapping, settings, asOfMs };
		const cut = await computeStageCutoffs(scope);
		const segments = await librarySegments(knex, mapping, asOfMs);
		const opts = { categoryHasName: true };
		console.log(`\n[${db} ${clients.toLocaleString('en')} clients] ${segments.length} active segments`);

		if (!flags['skip-whole']) {
			const whole: Array<[string, number]> = [];
			const refreshAll = async () => {
				for (const s of segments) await refreshSegment({ knex, mapping, atMs: asOfMs, cause: 'refresh' }, s);
			};
			whole.push(['build stage', (await time(() => buildStage(scope)))[1]]);
			whole.push(['write all scores (steady)', (await time(() => writeAllScores(scope, cut)))[1]]);
			whole.push(['sync all auto tags (steady)', (await time(() => syncAllAutoTags({ knex, mapping, asOfMs }, opts)))[1]]);
			whole.push(['refresh every segment (steady)', (await time(refreshAll))[1]]);
			await knex(SEGMENT_NAMES.clientTags).where({ source: 'auto' }).delete();
			whole.push(['sync all auto tags (cold)', (await time(() => syncAllAutoTags({ knex, mapping, asOfMs }, opts)))[1]]);
			await knex(SEGMENT_NAMES.members).delete();
			whole.push(['refresh every segment (cold)', (await time(refreshAll))[1]]);
			for (const [name, ms] of whole) console.log(`whole base | ${name} | ${(ms / 1000).toFixed(2)} s`);
		}

		const productIds = (await knex(mapping.product_collection).whereNotNull(mapping.product_category_field).select('id')).map((r: { id: number }) => Number(r.id));
		if (flags['explain']) await explainBatch(knex, (ids) => writeDeals(knex, mapping, ids, productIds), async (trx, ids) => {
			const at = Date.now();
			await rescoreClients({ knex: trx, mapping, settings, asOfMs: at }, cut, ids);
			await syncAutoTags({ knex: trx, mapping, asOfMs: at }, { ids }, opts);
			await requalify({ knex: trx, mapping, atMs: at, cause: 'change' }, segments, { ids });
		});

		for (const size of [1, 100]) {
			const steps: Record<string, number[]> = { rescore: [], tags: [], requalify: [], commit: [], total: [] };
			const runs = size === 1 ? iterations : Math.max(3, Math.ceil(iterations / 3));
			for (let i = 0; i < runs; i++) {
				const ids = [...new Set(Array.from({ length: size }, () => 1 + Math.floor(rng() * clients)))];
				await writeDeals(knex, mapping, ids, productIds);
				const at = Date.now();
				const t0 = performance.now();
				let stepsDone = 0;
				await knex.transaction(async (trx) => {
					const [, rescore] = await time(() => rescoreClients({ knex: trx, mapping, settings, asOfMs: at }, cut, ids));
					const [, tags] = await time(() => syncAutoTags({ knex: trx, mapping, asOfMs: at }, { ids }, opts));
					const [, requalified] = await time(() => requalify({ knex: trx, mapping, atMs: at, cause: 'change' }, segments, { ids }));
					steps['rescore']!.push(rescore);
					steps['tags']!.push(tags);
					steps['requalify']!.push(requalified);
					stepsDone = performance.now();
				});
				steps['commit']!.push(performance.now() - stepsDone);
				steps['total']!.push(performance.now() - t0);
			}
			console.log(`${size}-client batch (${runs} runs) | ${Object.entries(steps).map(([k, v]) => `${k} p50/p95 ${f(percentile(v, 50))} / ${f(percentile(v, 95))} ms`).join(' | ')}`);
		}
	} finally {
		await knex.destroy();
	}
}

if (db === 'sqlite') {
	const base = join(work, `base-${clients}.db`);
	if (flags['prepare'] || !existsSync(base)) await prepare({ ...baseEnv(), DB_CLIENT: 'sqlite3', DB_FILENAME: base });
	const run = join(work, `run-${clients}.db`);
	copyFileSync(base, run);
	await measure({ ...baseEnv(), DB_CLIENT: 'sqlite3', DB_FILENAME: run });
} else {
	const server = await ensurePostgres((s) => console.error(s));
	try {
		if (flags['prepare'] || server.throwaway) {
			await recreateDatabase(server, PG_TEMPLATE);
			await prepare(pgEnv(server, PG_TEMPLATE));
		}
		await recreateDatabase(server, PG_RUN, PG_TEMPLATE);
		await measure(pgEnv(server, PG_RUN));
	} finally {
		await server.stop();
	}
}
