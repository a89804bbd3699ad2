// `npm start`: Directus with the segmentation extension on SQLite (or PostgreSQL with DB_CLIENT=pg). First run:
// bootstrap, schema, demo data; later runs reuse the data. Ctrl-C stops Directus cleanly.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildExtensionIfStale, startDirectus, waitForPing } from './lib/directus.ts';
import { isTrue, projectEnv } from './lib/env.ts';
import { openKnex } from './lib/db.ts';
import { bootstrapIfNeeded, ensureInstalled, localUrl } from './lib/prepare.ts';
import { seedIfEmpty } from './lib/seed.ts';

const env = projectEnv();
await buildExtensionIfStale();
if (env['DB_CLIENT'] === 'sqlite3') mkdirSync(dirname(env['DB_FILENAME']!), { recursive: true });
mkdirSync(env['STORAGE_LOCAL_ROOT']!, { recursive: true });

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
	const publicUrl = env['PUBLIC_URL']!.replace(/\/$/, '');
	console.log(
		[
			'',
			'──────────────────────────────────────────────────────────',
			` Directus is ready: ${publicUrl}/admin`,
			` Segmentation:      ${publicUrl}/admin/segmentation`,
			` Admin login:       ${env['ADMIN_EMAIL']}`,
			generatedPassword
				? ` Admin password:    ${generatedPassword}   (generated now and shown only once: note it)`
				: env['ADMIN_PASSWORD']
					? ' Admin password:    the ADMIN_PASSWORD you set at the first start'
					: ' Admin password:    the one printed at the first start',
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
