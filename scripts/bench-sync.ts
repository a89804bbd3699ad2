// `npm run bench:sync -- [--clients 100000] [--naive 1000]`: the Listmonk sync's requests and time, against the
// Listmonk test double started here (its standalone server, in a process of its own), or any Listmonk given LISTMONK_URL / LISTMONK_API_USER / LISTMONK_API_TOKEN
// (so it can be pointed at a real server: use an empty one, the benchmark makes a list and subscribers).
// On a SQLite base of generated clients, one segment of every client with consent, the sync worker run directly
// (the part the benchmark measures: Directus adds nothing to Listmonk's requests):
//  1. first sync of the segment (target: one import + ≤ 100 membership calls);
//  2. 1,000 scattered membership changes: 500 leave, 500 enter (target ≤ 5 requests);
//  3. a reconcile with nothing to repair (reads only, ≤ 10 requests);
//  4. attributes of 10,000 changed clients;
//  and the naive way (per client one create + one membership call), timed on a sample, extrapolated: the ratio.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { startDoubleProcess } from './lib/listmonk-double-process.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readListmonkConfig, listmonkConfig } from '../extensions/segmentation/src/listmonk/config.ts';
import { ListmonkClient } from '../extensions/segmentation/src/listmonk/client.ts';
import { ClientPort } from '../extensions/segmentation/src/listmonk/sync/client-port.ts';
import { ListmonkSync } from '../extensions/segmentation/src/listmonk/sync/worker.ts';
import { markAllDirty, markDirty } from '../extensions/segmentation/src/store/listmonk-sync.ts';
import { Leases } from '../extensions/segmentation/src/store/lease.ts';
import { readMappingFromDatabase } from '../extensions/segmentation/src/store/live-schema.ts';
import { cli, intFlag } from './lib/args.ts';
import { openKnex } from './lib/db.ts';
import { projectEnv } from './lib/env.ts';
import { ensureInstalled } from './lib/prepare.ts';
import { seedDemo } from './lib/seed.ts';

const { clients, naiveSample } = cli(
	'bench:sync',
	'Usage: npm run bench:sync -- [--clients 100000] [--naive 1000]',
	{ clients: { type: 'string' }, naive: { type: 'string' } },
	({ flags }) => ({ clients: intFlag(flags, 'clients', 100_000, 1000), naiveSample: intFlag(flags, 'naive', 1000, 10) }),
);

interface Row { step: string; requests: number; seconds: number; note: string }
const rows: Row[] = [];
const work = mkdtempSync(join(tmpdir(), 'seg-bench-sync-'));
const env = projectEnv({ ...process.env, ENV_FILE: '/nonexistent.env', DATA_DIR: work, ADMIN_PASSWORD: 'bench-password', DB_CLIENT: 'sqlite3', DB_FILENAME: join(work, 'bench.db') });
const given = readListmonkConfig(process.env);
const USER = 'bench-sync';
const TOKEN = 'bench-sync-token';
/** The double in its own process, as a real server would be (its work does not share this process's CPU time). */
let double: { url: string; process: ChildProcess } | null = null;

/** A subscriber as Listmonk has it (for the check that changed attributes arrived). */
async function remoteAttribs(client: ListmonkClient, email: string): Promise<Record<string, unknown> | null> {
	return ((await client.subscribers.findByEmail(email))?.attribs as Record<string, unknown> | undefined) ?? null;
}

try {
	if (!given) double = await startDoubleProcess(USER, TOKEN);
	const config = given ?? listmonkConfig(double!.url, USER, TOKEN);
	let requests = 0;
	const client = new ListmonkClient(config, { onEvent: (e) => void (e.type === 'request' && requests++), timeoutMs: 600_000 });
	const port = new ClientPort(client, () => requests);

	console.error(`[bench:sync] seeding ${clients.toLocaleString('en')} clients …`);
	await ensureInstalled(env, () => undefined);
	const knex = openKnex(env);
	try {
		await seedDemo(knex, { clients, seed: 17, asOf: new Date('2026-01-01T00:00:00Z'), quiet: true });
		const mapping = await readMappingFromDatabase(knex);
		// one synced segment: every client with consent (members written as a refresh would)
		const inserted = await knex('segments').insert({ name: 'Bench: everyone with consent', kind: 'static', is_active: false, listmonk_sync: true }).returning('id');
		const segmentId = Number(typeof inserted[0] === 'object' ? inserted[0].id : inserted[0]);
		await knex.raw(`INSERT INTO segment_members (segment, client, entered_at) SELECT ?, id, ? FROM clients WHERE email_consent = 1`, [segmentId, Date.now()]);
		const members = Number((await knex('segment_members').where({ segment: segmentId }).count({ n: '*' }).first())?.['n']);
		const worker = new ListmonkSync({ knex, port, leases: new Leases(knex, 'bench'), mapping: async () => mapping, log: { info: () => undefined, warn: (m) => console.error(m), error: (m) => console.error(m) }, instance: 'bench', options: { attributeWritesPerCycle: 1_000_000 } });
		const step = async (name: string, note: string, run: () => Promise<unknown>) => {
			const before = requests;
			const started = performance.now();
			await run();
			rows.push({ step: name, requests: requests - before, seconds: (performance.now() - started) / 1000, note });
			console.error(`[bench:sync] ${name}: ${rows.at(-1)!.requests} requests, ${rows.at(-1)!.seconds.toFixed(1)} s`);
		};

		await step(`first sync of a ${members.toLocaleString('en')}-member segment`, 'target: 1 import + ≤ 100 membership calls', async () => {
			await markAllDirty(knex, { attributes: true });
			await worker.cycle('endpoint');
		});

		const listId = Number((await knex('segments').where({ id: segmentId }).first('listmonk_list_id')).listmonk_list_id);
		const leaving = (await knex('segment_members').where({ segment: segmentId }).orderByRaw('(client * 7919) % 1000').limit(500).select('client')).map((r) => Number(r.client));
		const entering = (await knex('clients').where({ email_consent: false }).orderByRaw('(id * 7919) % 1000').limit(500).select('id')).map((r) => Number(r.id));
		await step('1,000 scattered membership changes (500 leave, 500 enter)', 'target ≤ 5 requests; entering clients have no subscriber yet', async () => {
			await knex('segment_members').where({ segment: segmentId }).whereIn('client', leaving).delete();
			await knex('clients').whereIn('id', entering).update({ email_consent: true });
			await knex('segment_members').insert(entering.map((client) => ({ segment: segmentId, client, entered_at: Date.now() })));
			await markDirty(knex, [...leaving, ...entering]);
			await worker.cycle('change');
		});

		await step(`reconcile with nothing to repair (${members.toLocaleString('en')} members)`, 'target: reads only, ≤ 10 requests', () => worker.reconcile([segmentId]));

		const changed = (await knex('segment_members').where({ segment: segmentId }).orderByRaw('(client * 104729) % 997').limit(10_000).select('client')).map((r) => Number(r.client));
		await step('attributes of 10,000 changed clients', 'through the import, others’ attribs kept', async () => {
			for (let i = 0; i < changed.length; i += 500) await knex('clients').whereIn('id', changed.slice(i, i + 500)).update({ rfm_segment: 'Bench changed' });
			await markDirty(knex, changed);
			await worker.cycle('change');
		});
		const sampleEmail = String((await knex('clients').where({ id: changed[0] }).first('email')).email);
		const arrived = await remoteAttribs(client, sampleEmail);
		if ((arrived?.['crm'] as { rfm_segment?: string } | undefined)?.rfm_segment !== 'Bench changed') throw new Error('the changed attributes did not reach Listmonk');

		// the naive way: one create (with the list) and one membership call per client, on a sample of new addresses
		const naive = async () => {
			const before = requests;
			const started = performance.now();
			for (let i = 0; i < naiveSample; i++) {
				const created = await client.subscribers.create({ email: `naive.${i}@bench.example`, name: `Naive ${i}`, attribs: { crm: { client_id: i } } });
				await client.subscribers.addToLists([created.id], [listId]);
			}
			return { requests: requests - before, seconds: (performance.now() - started) / 1000 };
		};
		const n = await naive();
		const scale = members / naiveSample;
		rows.push({ step: `naive: first sync, per client create + add (${naiveSample.toLocaleString('en')} timed, ×${scale.toFixed(0)})`, requests: Math.round(n.requests * scale), seconds: n.seconds * scale, note: 'extrapolated' });

		// the naive way for attributes: one PATCH per changed client (what the sync does below 100 at once)
		const sample = changed.slice(0, Math.min(naiveSample, changed.length));
		const known = await knex('segmentation_listmonk_subscribers').whereIn('client_id', sample).select('client_id', 'subscriber_id', 'email');
		const patchesBefore = requests;
		const patchStarted = performance.now();
		for (const k of known) await port.updateSubscriber(Number(k.subscriber_id), { email: String(k.email).toLowerCase(), name: `Naive ${k.client_id}`, attribs: { crm: { client_id: Number(k.client_id), rfm_segment: 'Bench changed again' } } });
		const patchScale = changed.length / Math.max(1, known.length);
		rows.push({ step: `naive: attributes, one PATCH per client (${known.length.toLocaleString('en')} timed, ×${patchScale.toFixed(0)})`, requests: Math.round((requests - patchesBefore) * patchScale), seconds: ((performance.now() - patchStarted) / 1000) * patchScale, note: 'extrapolated' });
	} finally {
		await knex.destroy();
	}
} finally {
	double?.process.kill();
	rmSync(work, { recursive: true, force: true });
}

const first = rows[0]!;
const attributesRow = rows[3]!;
const naiveRow = rows.at(-2)!;
const naiveAttributes = rows.at(-1)!;
console.log(`\nListmonk sync, ${clients.toLocaleString('en')} clients (SQLite), against ${given ? given.url : 'the Listmonk test double'}\n`);
console.log('| step | requests | seconds | note |');
console.log('|---|---:|---:|---|');
for (const r of rows) console.log(`| ${r.step} | ${r.requests.toLocaleString('en')} | ${r.seconds.toFixed(1)} | ${r.note} |`);
console.log(`\nFirst sync vs naive: ${(naiveRow.requests / Math.max(1, first.requests)).toFixed(0)}× fewer requests, ${(naiveRow.seconds / first.seconds).toFixed(1)}× faster.`);
console.log(`Attributes vs naive: ${(naiveAttributes.requests / Math.max(1, attributesRow.requests)).toFixed(0)}× fewer requests, ${(naiveAttributes.seconds / attributesRow.seconds).toFixed(1)}× faster.`);
