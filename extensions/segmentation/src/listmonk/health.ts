// Can the sync work against this Listmonk? Reachable (GET /api/health answers), the credentials accepted (its 403
// says which), which version (PATCH or read-modify-write updates), and whether the API user's role has what the
// sync needs (GET /api/profile; the Super Admin role, id 1, has everything).
import type { ListmonkClient } from './client.ts';
import { ListmonkError } from './errors.ts';

/** The permissions of the API role the sync needs (README: create the role with these). */
export const LISTMONK_PERMISSIONS_NEEDED = [
	'lists:get_all',
	'lists:manage_all',
	'subscribers:get_all',
	'subscribers:manage',
	'subscribers:sql_query',
	'subscribers:import',
] as const;

/** Wanted for transactional mail only. */
export const LISTMONK_PERMISSIONS_OPTIONAL = ['tx:send'] as const;

const SUPER_ADMIN_ROLE_ID = 1;

export interface ListmonkHealth {
	configured: boolean;
	/** Listmonk answered over HTTP. */
	reachable: boolean;
	/** `unknown` when it could not be asked (not configured, not reachable). */
	credentials: 'ok' | 'invalid' | 'unknown';
	version: string | null;
	/** PATCH for subscriber updates (v6.1+); null when the version is unknown. */
	patchSupported: boolean | null;
	permissions: { needed: string[]; missing: string[]; optional: string[]; optionalMissing: string[] };
	/** What went wrong, for the person configuring it (never the token). */
	error?: string;
}

/** Every Listmonk failure is described in the result (only an abort throws). `client` null: not configured. */
export async function checkListmonk(client: ListmonkClient | null, options: { signal?: AbortSignal } = {}): Promise<ListmonkHealth> {
	const health: ListmonkHealth = {
		configured: client !== null,
		reachable: false,
		credentials: 'unknown',
		version: null,
		patchSupported: null,
		permissions: { needed: [...LISTMONK_PERMISSIONS_NEEDED], missing: [], optional: [...LISTMONK_PERMISSIONS_OPTIONAL], optionalMissing: [] },
	};
	if (!client) return { ...health, error: 'Listmonk is not configured (LISTMONK_URL, LISTMONK_API_USER, LISTMONK_API_TOKEN)' };
	// a health check answers quickly or not at all: one attempt, a short deadline
	const call = { signal: options.signal, timeoutMs: 10_000, retries: 0 };

	try {
		await client.health(call);
		health.reachable = true;
		health.credentials = 'ok';
	} catch (error) {
		if (!(error instanceof ListmonkError)) throw error; // the caller aborted
		health.reachable = error.status !== null;
		if (error.kind === 'auth') health.credentials = 'invalid';
		return { ...health, error: error.message };
	}

	const [version, profile] = await Promise.allSettled([client.version(call), client.profile(call)]);
	if (version.status === 'fulfilled') health.version = version.value;
	health.patchSupported = await client.patchSupported(call).catch(() => null);
	if (profile.status === 'rejected') {
		// the role could not be read: nothing can be confirmed
		health.permissions.missing = [...LISTMONK_PERMISSIONS_NEEDED];
		health.permissions.optionalMissing = [...LISTMONK_PERMISSIONS_OPTIONAL];
		const reason = profile.reason instanceof Error ? profile.reason.message : String(profile.reason);
		return { ...health, error: `Could not read the API user's role: ${reason}` };
	}
	const { user_role, user_role_id } = profile.value;
	if (user_role.id !== SUPER_ADMIN_ROLE_ID && user_role_id !== SUPER_ADMIN_ROLE_ID) {
		const granted = new Set(user_role.permissions);
		health.permissions.missing = LISTMONK_PERMISSIONS_NEEDED.filter((p) => !granted.has(p));
		health.permissions.optionalMissing = LISTMONK_PERMISSIONS_OPTIONAL.filter((p) => !granted.has(p));
	}
	if (health.permissions.missing.length > 0) health.error = `The API user's role lacks: ${health.permissions.missing.join(', ')}`;
	return health;
}
