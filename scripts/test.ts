// `npm test`: typecheck, unit tests, integration tests on SQLite, the browser smoke test.
// `npm run test:pg`: the integration tests on PostgreSQL (a throwaway cluster when none answers).
// Ends with one summary line: "N passed, N failed, N skipped".
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, NODE22 } from './lib/env.ts';
import { ensurePostgres, type PgServer } from './lib/pg-cluster.ts';

const args = process.argv.slice(2);
const db = args.includes('--db') ? args[args.indexOf('--db') + 1] : 'sqlite';
const integrationOnly = args.includes('--integration-only');
const browserOnly = args.includes('--browser-only');
const totals = { passed: 0, failed: 0, skipped: 0 };
mkdirSync(resolve(ROOT, 'test-results'), { recursive: true });
rmSync(resolve(ROOT, `test-results/summary-${db}${browserOnly ? '-browser' : ''}.json`), { force: true });

/** background: runs beside another step; its output is kept and printed in one block when it ends. */
function step(cmd: string, argv: string[], env: NodeJS.ProcessEnv = {}, opts: { background?: boolean } = {}): Promise<number> {
	const title = `\n▶ ${[cmd.replace(ROOT + '/', ''), ...argv].join(' ')}${env['TEST_DB'] ? `  (TEST_DB=${env['TEST_DB']})` : ''}`;
	if (!opts.background) console.log(title);
	return new Promise((r) => {
		const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: opts.background ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
		let output = '';
		child.stdout?.on('data', (chunk) => (output += chunk));
		child.stderr?.on('data', (chunk) => (output += chunk));
		child.on('close', (code) => {
			if (opts.background) process.stdout.write(`${title}  (ran beside the integration suite)\n${output}`);
			r(code ?? 1);
		});
	});
}

async function vitest(project: string, env: NodeJS.ProcessEnv = {}, opts: { background?: boolean } = {}): Promise<number> {
	const report = resolve(ROOT, `test-results/vitest-${project}-${env['TEST_DB'] ?? 'none'}.json`);
	const code = await step(NODE22, [resolve(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], env, opts);
	if (existsSync(report)) {
		const r = JSON.parse(readFileSync(report, 'utf8'));
		totals.passed += r.numPassedTests ?? 0;
		totals.failed += r.numFailedTests ?? 0;
		totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
		if (code !== 0 && (r.numFailedTests ?? 0) === 0) totals.failed += 1; // a suite that failed to load
	} else if (code !== 0) totals.failed += 1;
	return code;
}

let failed = false;
let server: PgServer | null = null;
try {
	if (db === 'pg') {
		server = await ensurePostgres();
		const env = { TEST_DB: 'pg', PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user, PGPASSWORD: server.password };
		failed = (await vitest('integration', env)) !== 0;
	} else if (browserOnly) {
		failed = (await vitest('browser', { TEST_DB: 'sqlite' })) !== 0;
	} else {
		// typecheck and unit tests are single processes: they run beside the integration suite, whose set-up (one
		// Directus start at a time) leaves a core idle, instead of before it
		const typecheck = integrationOnly
			? null
			: step(NODE22, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.'], {}, { background: true }).then((code) => {
					if (code === 0) return;
					failed = true;
					totals.failed += 1;
					console.error('typecheck failed');
				});
		const unit = integrationOnly ? null : vitest('unit', {}, { background: true }).then((code) => void (failed = code !== 0 || failed));
		failed = (await vitest('integration', { TEST_DB: 'sqlite' })) !== 0 || failed;
		await Promise.all([typecheck, unit]);
		if (!integrationOnly) failed = (await vitest('browser', { TEST_DB: 'sqlite' })) !== 0 || failed;
	}
} finally {
	await server?.stop();
}
writeFileSync(resolve(ROOT, `test-results/summary-${db}${browserOnly ? '-browser' : ''}.json`), JSON.stringify(totals));
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failed ? 1 : 0);
