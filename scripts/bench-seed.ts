// `npm run bench:seed -- [--clients 100000] [--db sqlite,pg]`: seeding throughput on fresh databases, against a
// baseline measured in the same run on the same generated rows: knex's batchInsert of row objects (chunks of
// 1,000; 500 on SQLite), the usual way to bulk-load with knex. Prints a table; ratios matter, absolute times drift on a shared box.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { generateCatalog, generateClients } from '../extensions/segmentation/src/core/demo-data.ts';
import { baseNames } from '../extensions/segmentation/src/core/base-names.ts';
import { readMappingFromDatabase } from '../extensions/segmentation/src/store/live-schema.ts';
import { cli, intFlag, listFlag } from './lib/args.ts';
import { openKnex } from './lib/db.ts';
import { projectEnv, type Env } from './lib/env.ts';
import { ensurePostgres, recreateDatabase } from './lib/pg-cluster.ts';
import { ensureInstalled } from './lib/prepare.ts';
import { seedDemo } from './lib/seed.ts';

const { clients, dbs } = cli(
	'bench:seed',
	'Usage: npm run bench:seed -- [--clients 100000] [--db sqlite,pg]',
	{ clients: { type: 'string' }, db: { type: 'string' } },
	({ flags }) => ({ clients: intFlag(flags, 'clients', 100_000, 1), dbs: listFlag(flags, 'db', ['sqlite', 'pg'], ['sqlite', 'pg']) }),
);
const SEED = 11;
const asOf = new Date('2026-01-01T00:00:00Z');

interface Row { db: string; method: string; clients: number; deals: number; items: number; seconds: number; rss: number }
const rows: Row[] = [];

async function clearBase(knex: Knex): Promise<void> {
	const n = baseNames(await readMappingFromDatabase(knex));
	// CASCADE: the tags, memberships and events of the seeded clients refer to them (emptied with them)
	if (knex.client.config.client === 'pg') await knex.raw('TRUNCATE ??, ??, ?? RESTART IDENTITY CASCADE', [n.items.table, n.deals.table, n.clients.table]);
	else for (const t of [n.items.table, n.deals.table, n.clients.table]) await knex(t).delete();
}

/** The baseline: the same rows as objects through knex.batchInsert. */
async function baselineSeed(knex: Knex): Promise<{ deals: number; items: number }> {
	const m = await readMappingFromDatabase(knex);
	const n = baseNames(m);
	const catalog = generateCatalog(SEED);
	const skus = new Map((await knex(n.products.table).select('id', 'sku')).map((r) => [r.sku, r.id]));
	const productId = new Map(catalog.products.map((p) => [p.id, skus.get(p.sku)]));
	const status = { won: m.deal_status_won, lost: m.deal_status_lost, open: m.deal_status_open, uninterested: m.deal_status_uninterested };
	const sqlite = knex.client.config.client === 'sqlite3';
	const ts = (d: Date | null) => (d === null ? null : sqlite ? d.getTime() : d);
	const chunk = sqlite ? 500 : 1000; // knex writes SQLite batches as a compound SELECT, limited to 500 terms
	let deals = 0;
	let items = 0;
	let dealId = 1;
	let itemId = 1;
	for (let from = 0; from < clients; from += 5000) {
		const b = generateClients(from, Math.min(clients, from + 5000), { seed: SEED, asOf, catalog, firstClientId: from + 1, firstDealId: dealId, firstItemId: itemId });
		await knex.transaction(async (trx) => {
			await trx.batchInsert(n.clients.table, b.clients.map((c) => ({ id: c.id, [n.clients.name]: c.name, [n.clients.email]: c.email, phone: c.phone, [n.clients.consent]: c.consent, [n.clients.leadSource]: c.leadSource, [n.clients.difficult]: c.difficult, date_created: ts(c.createdAt) })), chunk);
			await trx.batchInsert(n.deals.table, b.deals.map((d) => ({ id: d.id, [n.deals.client]: d.clientId, [n.deals.status]: status[d.status], [n.deals.amount]: d.amount, [n.deals.createdAt]: ts(d.createdAt), [n.deals.closedAt]: ts(d.closedAt), lead_source: d.leadSource, promo_code: d.promoCode, [n.deals.lossReason]: d.lossReason, note: d.note })), chunk);
			await trx.batchInsert(n.items.table, b.items.map((i) => ({ id: i.id, [n.items.deal]: i.dealId, [n.items.product]: productId.get(i.productId), quantity: i.quantity, price: i.price })), chunk);
		});
		dealId += b.deals.length;
		itemId += b.items.length;
		deals += b.deals.length;
		items += b.items.length;
	}
	return { deals, items };
}

async function measure(db: string, env: Env): Promise<void> {
	await ensureInstalled(env, () => undefined);
	const knex = openKnex(env);
	try {
		let t = Date.now();
		const ours = await seedDemo(knex, { clients, seed: SEED, asOf, quiet: true });
		rows.push({ db, method: 'ours (unnest / multi-row VALUES)', clients, deals: ours.deals, items: ours.items, seconds: (Date.now() - t) / 1000, rss: process.memoryUsage().rss });
		console.error(`[${db}] ours: ${rows.at(-1)!.seconds.toFixed(1)} s`);
		await clearBase(knex);
		t = Date.now();
		const base = await baselineSeed(knex);
		rows.push({ db, method: 'baseline: knex.batchInsert', clients, deals: base.deals, items: base.items, seconds: (Date.now() - t) / 1000, rss: process.memoryUsage().rss });
		console.error(`[${db}] baseline: ${rows.at(-1)!.seconds.toFixed(1)} s`);
	} finally {
		await knex.destroy();
	}
}

const work = mkdtempSync(join(tmpdir(), 'seg-bench-'));
const base = projectEnv({ ...process.env, ENV_FILE: '/nonexistent.env', DATA_DIR: work, ADMIN_PASSWORD: 'bench-password' });
try {
	if (dbs.includes('sqlite')) await measure('sqlite', { ...base, DB_CLIENT: 'sqlite3', DB_FILENAME: join(work, 'bench.db') });
	if (dbs.includes('pg')) {
		const server = await ensurePostgres(() => undefined);
		try {
			await recreateDatabase(server, 'seg_bench_seed');
			await measure('pg', { ...base, DB_CLIENT: 'pg', DB_HOST: server.host, DB_PORT: String(server.port), DB_USER: server.user, DB_PASSWORD: server.password, DB_DATABASE: 'seg_bench_seed' });
		} finally {
			await server.stop();
		}
	}
} finally {
	rmSync(work, { recursive: true, force: true });
}

console.log(`\nSeeding ${clients.toLocaleString('en')} clients (seed ${SEED}), same rows for both methods\n`);
console.log('| db | method | clients | deals | items | seconds | rows/s | vs baseline |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
	const total = r.clients + r.deals + r.items;
	const baseline = rows.find((x) => x.db === r.db && x.method.startsWith('baseline'))!;
	console.log(`| ${r.db} | ${r.method} | ${r.clients.toLocaleString('en')} | ${r.deals.toLocaleString('en')} | ${r.items.toLocaleString('en')} | ${r.seconds.toFixed(1)} | ${Math.round(total / r.seconds).toLocaleString('en')} | ${(baseline.seconds / r.seconds).toFixed(2)}× |`);
}
