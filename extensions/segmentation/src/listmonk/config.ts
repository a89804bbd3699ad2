// Where Listmonk is and who we are there, from the environment. None of the three variables set means the sync is
// simply not configured; some but not all is a mistake worth a clear message. The token is kept out of sight:
// a non-enumerable property, so JSON.stringify, console.log and spreading the config never show it.
import { z } from 'zod';

export const LISTMONK_ENV = ['LISTMONK_URL', 'LISTMONK_API_USER', 'LISTMONK_API_TOKEN'] as const;

export interface ListmonkConfig {
	/** The Listmonk root URL without a trailing slash or `/api` (the client adds `/api/...`). */
	readonly url: string;
	readonly user: string;
	/** Non-enumerable: read it explicitly, never serialise the config to show it. */
	readonly token: string;
}

export class ListmonkConfigError extends Error {
	override name = 'ListmonkConfigError';
}

const httpUrl = z
	.string()
	.refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must be an http(s) URL')
	.refine((value) => !URL.canParse(value) || (!new URL(value).search && !new URL(value).hash), 'must have no query or fragment');

const envSchema = z.object({
	LISTMONK_URL: httpUrl,
	LISTMONK_API_USER: z.string().min(1, 'must not be empty').refine((value) => !value.includes(':'), 'must not contain ":"'),
	LISTMONK_API_TOKEN: z.string().min(1, 'must not be empty'),
});

/** The Listmonk connection from an env record; null when none of the variables is set. Throws ListmonkConfigError. */
export function readListmonkConfig(env: Readonly<Record<string, string | undefined>>): ListmonkConfig | null {
	const values = Object.fromEntries(LISTMONK_ENV.map((name) => [name, env[name]?.trim() ?? ''])) as Record<(typeof LISTMONK_ENV)[number], string>;
	const missing = LISTMONK_ENV.filter((name) => !values[name]);
	if (missing.length === LISTMONK_ENV.length) return null;
	if (missing.length > 0) {
		const set = LISTMONK_ENV.filter((name) => values[name]);
		throw new ListmonkConfigError(`Listmonk is half configured: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set (${set.join(', ')} ${set.length === 1 ? 'is' : 'are'}); set all three or none`);
	}
	const parsed = envSchema.safeParse(values);
	if (!parsed.success) {
		// names and rules only: an issue's input would be the token itself
		const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
		throw new ListmonkConfigError(`Listmonk configuration is invalid: ${problems.join('; ')}`);
	}
	return listmonkConfig(parsed.data.LISTMONK_URL, parsed.data.LISTMONK_API_USER, parsed.data.LISTMONK_API_TOKEN);
}

/** A config object with the token non-enumerable (also for tests and scripts that build one by hand). */
export function listmonkConfig(url: string, user: string, token: string): ListmonkConfig {
	// a URL given with Listmonk's `/api` suffix (as in its docs' examples) means the same server
	const root = url.replace(/\/+$/, '').replace(/\/api$/, '');
	const config = { url: root, user };
	Object.defineProperty(config, 'token', { value: token, enumerable: false, writable: false });
	return config as ListmonkConfig;
}

/** A list's page in Listmonk's admin, under the address people's browsers use (LISTMONK_PUBLIC_URL when the server
 *  reaches Listmonk under another, e.g. http://listmonk:9000 inside compose). */
export function listAdminUrl(publicRoot: string, listId: number): string {
	return `${publicRoot.replace(/\/+$/, '')}/admin/subscribers/lists/${listId}`;
}

/** The address people's browsers use for Listmonk: LISTMONK_PUBLIC_URL when it is a web address, else the API's. */
export function publicListmonkUrl(env: Readonly<Record<string, string | undefined>>, config: ListmonkConfig): string {
	const given = env['LISTMONK_PUBLIC_URL']?.trim() ?? '';
	return /^https?:\/\/[^\s]+$/i.test(given) ? given.replace(/\/+$/, '') : config.url;
}
