// Getting a database ready for our tools: Directus's own tables (bootstrap) and the extension's schema (which the
// extension installs when Directus starts — so a tool facing a fresh database starts Directus once, briefly).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { Knex } from 'knex';
import { bootstrapDirectus, buildExtensionIfStale, startDirectus, waitForPing } from './directus.ts';
import { openKnex } from './db.ts';
import type { Env } from './env.ts';

export function localUrl(env: Env): string {
	const host = !env['HOST'] || env['HOST'] === '0.0.0.0' || env['HOST'] === '::' ? '127.0.0.1' : env['HOST'];
	return `http://${host}:${env['PORT'] ?? '8055'}`;
}

export async function hasTable(env: Env, table: string): Promise<boolean> {
	const knex = openKnex(env);
	try {
		return await knex.schema.hasTable(table);
	} finally {
		await knex.destroy();
	}
}

/** Bootstraps a database that has no Directus tables; returns the admin password when it had to make one up. */
export async function bootstrapIfNeeded(env: Env): Promise<{ generatedPassword: string | null }> {
	if (await hasTable(env, 'directus_settings')) return { generatedPassword: null };
	const generatedPassword = env['ADMIN_PASSWORD'] ? null : randomBytes(12).toString('base64url');
	console.log('First start: installing Directus …');
	await bootstrapDirectus({ ...env, ...(generatedPassword ? { ADMIN_PASSWORD: generatedPassword } : {}) });
	return { generatedPassword };
}

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

/** Makes sure Directus and the extension's schema are installed, starting Directus briefly if it never ran here. */
export async function ensureInstalled(env: Env, log: (s: string) => void = console.log, opts: { quietPassword?: boolean } = {}): Promise<{ generatedPassword: string | null }> {
	const { generatedPassword } = await bootstrapIfNeeded(env);
	if (generatedPassword && !opts.quietPassword) log(`Admin login: ${env['ADMIN_EMAIL']} / ${generatedPassword} (generated now and shown only once)`);
	if (await schemaInstalled(env)) return { generatedPassword };
	log('Installing the segmentation schema (starting Directus once) …');
	await buildExtensionIfStale(log);
	const port = String(await freePort());
	const directus = startDirectus({ ...env, PORT: port, HOST: '127.0.0.1' }, { url: `http://127.0.0.1:${port}` });
	try {
		await waitForPing(directus.url, { timeoutMs: 300_000, exited: directus.exited });
	} finally {
		await directus.stop();
	}
	if (!(await schemaInstalled(env))) throw new Error('Directus started but the segmentation schema is not installed: see the Directus log (npm start) for the reason.');
	return { generatedPassword };
}

async function schemaInstalled(env: Env): Promise<boolean> {
	const knex: Knex = openKnex(env);
	try {
		if (!(await knex.schema.hasTable('segmentation_meta'))) return false;
		return Boolean(await knex('segmentation_meta').where({ key: 'schema_version' }).first('value'));
	} finally {
		await knex.destroy();
	}
}

/** What a bulk writer tells the user once it wrote clients or deals (they are in the change queue). */
export const QUEUED_NOTICE =
	'The changed clients are queued: a running Directus scores, tags and re-qualifies them within seconds (a bulk load as one full pass); one that is stopped does it at its next start. GET /segmentation/status shows the queue.';
