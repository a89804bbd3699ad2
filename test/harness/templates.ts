// The "installed" template: a copy of the bootstrap template on which Directus started once with the built
// extension, installed our schema and settled, then stopped cleanly. Suites copy it instead of each spending a
// Directus start on the install. What ran is forgotten (engine runs, the scheduler's last due times): every suite
// starts "installed, never run", as if it had just installed — its own first run, no catch-up of a cron time that
// passed since the template was made.
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Knex } from 'knex';
import { JOBS_TABLE, LOCKS_TABLE, RUNS_TABLE } from '../../extensions/segmentation/src/store/tables.ts';
import { openKnex } from '../../scripts/lib/db.ts';
import { startDirectus, waitForPing, waitUntil } from '../../scripts/lib/directus.ts';
import { ROOT, type Env } from '../../scripts/lib/env.ts';
import { directusHttp } from '../../scripts/lib/http.ts';
import { freePort } from '../../scripts/lib/prepare.ts';
import { ADMIN_TOKEN, baseTestEnv } from './config.ts';

/** Idle = nothing pending and nothing being processed, whatever the queue's counters are called. */
export function queueIdle(queue: unknown): boolean {
	if (queue === null || queue === undefined) return true;
	if (typeof queue !== 'object') return false;
	return Object.entries(queue as Record<string, unknown>).every(([key, value]) => (key === 'busy' ? value === false : !key.startsWith('pending') || value === 0));
}

/** Settled: schema installed, change queue idle, the start-up engine run recorded and finished, no lease held. */
async function settled(http: ReturnType<typeof directusHttp>, knex: Knex): Promise<boolean> {
	const res = await http.request('GET', '/segmentation/status').catch(() => null);
	if (res?.status !== 200) return false;
	const status = res.body?.data;
	if (status?.install_error) throw new Error(`the extension did not install: ${status.install_error}`);
	if (status?.installed !== true || !queueIdle(status.queue)) return false;
	const runs: Array<{ status: string }> = await knex(RUNS_TABLE).select('status');
	if (runs.length === 0 || runs.some((r) => r.status === 'running')) return false;
	return (await liveLeases(knex)).length === 0;
}

const liveLeases = (knex: Knex): Promise<Array<{ name: string }>> => knex(LOCKS_TABLE).where('expires_at', '>=', Date.now()).select('name');

/** Starts Directus with the extension on `dbEnv` (a copy of the bare template), waits until settled, stops it. */
export async function installIntoTemplate(workDir: string, dbEnv: Env, db: string): Promise<void> {
	const logFile = resolve(ROOT, 'test-results/logs', `directus-${db}-installed-template.log`);
	mkdirSync(resolve(ROOT, 'test-results/logs'), { recursive: true });
	const log = createWriteStream(logFile);
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const knex = openKnex(dbEnv);
	const proc = startDirectus({ ...baseTestEnv(workDir), ...dbEnv, PORT: String(port), PUBLIC_URL: url }, { output: log, url });
	try {
		await waitForPing(url, { timeoutMs: 300_000, exited: proc.exited });
		const http = directusHttp(url, ADMIN_TOKEN);
		await waitUntil('the extension installed and its start-up work finished', () => settled(http, knex), { timeoutMs: 300_000, exited: proc.exited });
		await proc.stop();
		// Directus ends a clean shutdown by re-raising SIGTERM; SIGKILL means the stop timed out
		if (proc.child.signalCode !== 'SIGTERM' && proc.child.exitCode !== 0) throw new Error(`Directus did not shut down cleanly (${proc.child.signalCode ?? proc.child.exitCode})`);
		// a template with a held lease or a half-written run would make every suite wait or fail
		const leases = await liveLeases(knex);
		if (leases.length) throw new Error(`leases still held after the stop: ${leases.map((l) => l.name).join(', ')}`);
		await knex(RUNS_TABLE).delete();
		await knex(JOBS_TABLE).delete();
	} catch (error) {
		await proc.stop();
		await new Promise((r) => log.end(r));
		throw new Error(`building the installed template failed: ${(error as Error).message}\n--- ${logFile} (tail) ---\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
	} finally {
		await knex.destroy();
		if (!log.writableEnded) log.end();
	}
}
