// bench:automations — the daily wake-up run on a demo base (SQLite) against the Listmonk test double in its own
// process: ~2 % of the clients qualify; codes issued, transactional requests, seconds. Then the same work the naive way
// (per client: read it, insert its code, insert its send row, each a statement of its own — what a loop over
// ItemsService calls amounts to, without their overhead), timed on a sample and extrapolated: the ratio.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listmonkConfig } from '../extensions/segmentation/src/listmonk/config.ts';
import { ListmonkClient } from '../extensions/segmentation/src/listmonk/client.ts';
import { codeKey } from '../extensions/segmentation/src/core/promo-code.ts';
import { AutomationRunner } from '../extensions/segmentation/src/directus/automations/automation-runner.ts';
import type { DirectusContext } from '../extensions/segmentation/src/directus/context.ts';
import { MappingCache } from '../extensions/segmentation/src/directus/mapping-cache.ts';
import { issuePendingCodes, readAutomations, recordQualifying } from '../extensions/segmentation/src/store/automations.ts';
import { readMappingFromDatabase } from '../extensions/segmentation/src/store/live-schema.ts';
import { freshCodes } from '../extensions/segmentation/src/store/promo-codes.ts';
import { Leases } from '../extensions/segmentation/src/store/lease.ts';
import { cli, intFlag } from './lib/args.ts';
import { startDoubleProcess } from './lib/listmonk-double-process.ts';
import { openKnex } from './lib/db.ts';
import { projectEnv } from './lib/env.ts';
import { ensureInstalled } from './lib/prepare.ts';
import { seedDemo } from './lib/seed.ts';

const { clients, naiveSample, ratePercent } = cli(
	'bench:automations',
	'Usage: npm run bench:automations -- [--clients 100000] [--rate 2] [--naive 500]',
	{ clients: { type: 'string' }, rate: { type: 'string' }, naive: { type: 'string' } },
	({ flags }) => ({ clients: intFlag(flags, 'clients', 100_000, 1000), ratePercent: intFlag(flags, 'rate', 2, 1), naiveSample: intFlag(flags, 'naive', 500, 10) }),
);

const DAY = 86_400_000;
const USER = 'bench-automations';
const TOKEN = 'bench-automations-token';
const work = mkdtempSync(join(tmpdir(), 'seg-bench-automations-'));
const env = projectEnv({ ...process.env, ENV_FILE: '/nonexistent.env', DATA_DIR: work, ADMIN_PASSWORD: 'bench-password', DB_CLIENT: 'sqlite3', DB_FILENAME: join(work, 'bench.db') });
let double: ChildProcess | null = null;

const rows: Array<{ step: string; value: string }> = [];
try {
	const started0 = await startDoubleProcess(USER, TOKEN);
	double = started0.process;
	const url = started0.url;
	let requests = 0;
	const client = new ListmonkClient(listmonkConfig(url, USER, TOKEN), { onEvent: (e) => void (e.type === 'request' && requests++), timeoutMs: 120_000 });
	console.error(`[bench:automations] seeding ${clients.toLocaleString('en')} clients …`);
	await ensureInstalled(env, () => undefined);
	const knex = openKnex(env);
	try {
		await seedDemo(knex, { clients, seed: 23, asOf: new Date(), quiet: true });
		const now = Date.now();
		// the sleepers: every (100 / rate)-th client with consent, last purchase two months ago
		const every = Math.round(100 / ratePercent);
		const sleepers = (await knex('clients').where({ email_consent: true }).whereRaw('id % ? = 0', [every]).select('id')).map((r) => Number(r.id));
		for (let i = 0; i < sleepers.length; i += 500) await knex('clients').whereIn('id', sleepers.slice(i, i + 500)).update({ last_purchase_at: now - 60 * DAY });
		const [segment] = await knex('segments').insert({ name: 'Bench sleepers', kind: 'static', is_active: false }).returning('id');
		const segmentId = Number(typeof segment === 'object' ? segment.id : segment);
		await knex.raw('INSERT INTO segment_members (segment, client, entered_at) SELECT ?, id, ? FROM clients', [segmentId, now]);
		const [made] = await knex('automations')
			.insert({ name: 'Bench wake-up', is_active: true, segment: segmentId, anchor: 'last_purchase', delay_days: 30, discount_type: 'percent', discount_value: 10, valid_days: 14, cooldown_days: 90, tx_template_id: 3, messenger: 'email' })
			.returning('id');
		const automationId = Number(typeof made === 'object' ? made.id : made);
		const ctx = { database: knex, env: {}, logger: { info: () => undefined, warn: (m: string) => console.error(m), error: (m: string) => console.error(m) } } as unknown as DirectusContext;
		const runner = new AutomationRunner(ctx, new Leases(knex, 'bench'), new MappingCache(knex), () => client);

		const started = performance.now();
		const [result] = (await runner.run(automationId, now))!;
		const seconds = (performance.now() - started) / 1000;
		if (!result || result.error) throw new Error(`the run failed: ${result?.error}`);
		const again = (await runner.run(automationId, now))![0]!;
		rows.push({ step: `clients (${ratePercent} % qualify)`, value: `${clients.toLocaleString('en')} (${result.qualified.toLocaleString('en')} qualified)` });
		rows.push({ step: 'codes issued / messages sent', value: `${result.codes_issued.toLocaleString('en')} / ${result.sent.toLocaleString('en')}` });
		rows.push({ step: 'transactional requests', value: requests.toLocaleString('en') });
		rows.push({ step: 'daily run, seconds', value: seconds.toFixed(1) });
		rows.push({ step: 'the same day again (nothing new)', value: `${again.qualified} qualified, ${again.sent} sent` });

		// the naive way on a sample: per client a read, an insert of its code, an insert of its send row
		const sample = (await knex('clients').where({ email_consent: true }).whereRaw('id % ? = 1', [every]).limit(naiveSample).select('id')).map((r) => Number(r.id));
		const naiveStarted = performance.now();
		for (const id of sample) {
			await knex('clients').where({ id }).first('id', 'last_purchase_at', 'email', 'email_consent', 'listmonk_email_status');
			const code = freshCodes(1)[0]!;
			const [codeRow] = await knex('promo_codes').insert({ code, code_key: codeKey(code), kind: 'personal', client: id, discount_type: 'percent', discount_value: 10, issued_at: now, issued_by: 'naive', redemptions: 0 }).returning('id');
			await knex('segmentation_automation_sends').insert({ automation_id: automationId + 1000, client_id: id, episode: now, state: 'issued', promo_code_id: Number(typeof codeRow === 'object' ? codeRow.id : codeRow), code, attempts: 0, created_at: now });
		}
		const naiveDbSeconds = ((performance.now() - naiveStarted) / 1000) * (result.qualified / Math.max(1, sample.length));
		rows.push({ step: `naive database work, per client (${sample.length} timed, extrapolated)`, value: `${naiveDbSeconds.toFixed(1)} s` });
		const setBasedDb = await timeSetBased(knex, automationId, now);
		rows.push({ step: 'set-based database work of a run (qualify + issue, no sending)', value: `${setBasedDb.toFixed(1)} s` });
		rows.push({ step: 'database work, naive / set-based', value: `${(naiveDbSeconds / Math.max(0.001, setBasedDb)).toFixed(1)}×` });
	} finally {
		await knex.destroy();
	}
} finally {
	double?.kill();
	rmSync(work, { recursive: true, force: true });
}

/** The run's database part alone: the run's sends removed, then qualified and issued again (new codes). */
async function timeSetBased(knex: ReturnType<typeof openKnex>, automationId: number, now: number): Promise<number> {
	await knex('segmentation_automation_sends').where({ automation_id: automationId }).delete();
	const m = await readMappingFromDatabase(knex);
	const [a] = await readAutomations(knex, automationId);
	const started = performance.now();
	await recordQualifying(knex, m, a!, now);
	await issuePendingCodes(knex, a!, now);
	return (performance.now() - started) / 1000;
}

console.log(`\nWake-up automation, ${clients.toLocaleString('en')} clients (SQLite), against the Listmonk test double\n`);
console.log('| measure | value |');
console.log('|---|---:|');
for (const r of rows) console.log(`| ${r.step} | ${r.value} |`);
