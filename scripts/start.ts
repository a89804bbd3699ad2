// `npm start`: Directus with the segmentation extension on SQLite (or PostgreSQL with DB_CLIENT=pg). First run:
// bootstrap, schema, demo data; later runs reuse the data. Ctrl-C stops Directus cleanly.
import { cli } from './lib/args.ts';
import { buildExtensionIfStale, startDirectus, waitForPing } from './lib/directus.ts';
import { isTrue, projectEnv } from './lib/env.ts';
import { openKnex } from './lib/db.ts';
import { bootstrapIfNeeded, ensureInstalled, localUrl } from './lib/prepare.ts';
import { seedIfEmpty } from './lib/seed.ts';

// no flags: `npm start -- --port 9000` would otherwise be ignored without a word
cli('start', 'Usage: npm start (settings come from the environment and .env: see .env.example, e.g. PORT=9000 npm start)', {}, () => null);
// (projectEnv also makes the data folder owner-only and the SQLite file 0600, before anything opens it)
const env = projectEnv();
await buildExtensionIfStale();

// Demo data goes in before Directus starts, so the engine's first run (at start-up) scores it.
let generatedPassword: string | null = null;
if (isTrue(env['DEMO_DATA'], true)) {
	({ generatedPassword } = await ensureInstalled(env, console.log, { quietPassword: true }));
	const knex = openKnex(env);
	try {
		await seedIfEmpty(knex, { clients: Number(env['DEMO_CLIENTS']), seed: Number(env['DEMO_SEED']) });
	} finally {
		await knex.destroy();
	}
} else ({ generatedPassword } = await bootstrapIfNeeded(env));
const url = localUrl(env);
const publicUrl = env['PUBLIC_URL']!.replace(/\/$/, '');
if (generatedPassword) console.log(`Admin login: ${env['ADMIN_EMAIL']} / ${generatedPassword} (generated now; shown again when Directus is ready)`);
console.log(`Starting Directus on ${env['DB_CLIENT'] === 'sqlite3' ? `SQLite (${env['DB_FILENAME']})` : `${env['DB_CLIENT']} (${env['DB_HOST'] ?? env['DB_CONNECTION_STRING'] ?? ''}/${env['DB_DATABASE'] ?? ''})`} …`);
const directus = startDirectus(env, { output: 'inherit', url });

let stopping = false;
const stop = async (signal: string) => {
	if (stopping) return;
	stopping = true;
	console.log(`\n${signal}: stopping Directus …`);
	await directus.stop();
	process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

try {
	await waitForPing(url, { timeoutMs: 300_000, exited: directus.exited });
	// the last thing start-up prints, so the login (and a generated password) is what stays on the screen
	console.log(
		[
			'',
			'──────────────────────────────────────────────────────────',
			` Directus is ready: ${publicUrl}/admin`,
			` Segmentation:      ${publicUrl}/admin/segmentation`,
			` Admin login:       ${env['ADMIN_EMAIL']}`,
			generatedPassword
				? ` Admin password:    ${generatedPassword}   (generated now and shown only at this start: note it)`
				: env['ADMIN_PASSWORD']
					? ' Admin password:    the ADMIN_PASSWORD you set at the first start'
					: ' Admin password:    the one printed at the first start (lost it? README "Run": reset it)',
			isTrue(env['LOG_REQUESTS'], false) ? ' Request log:       on (LOG_REQUESTS=true)' : ' Request log:       off (LOG_REQUESTS=true npm start shows every request)',
			' Stop with Ctrl-C.',
			'──────────────────────────────────────────────────────────',
			'',
		].join('\n'),
	);
} catch (error) {
	console.error(error instanceof Error ? error.message : error);
	await directus.stop();
	process.exit(1);
}
const code = await directus.exited;
if (!stopping) process.exit(code ?? 1);
