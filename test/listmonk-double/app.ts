// What every handler module registers against: the store, the users, the importer and the route table.
import type { Users } from './auth.ts';
import type { Ctx } from './http-io.ts';
import type { Importer } from './import.ts';
import type { Store } from './state.ts';

export type Handler = (ctx: Ctx) => unknown;

export interface App {
	readonly store: Store;
	readonly users: Users;
	readonly importer: Importer;
	readonly version: string;
	/** the configured messengers: `email` and any postback messengers enabled */
	readonly messengers: readonly string[];
	/** the double's start, as created_at of its API users */
	readonly startedAt: number;
	versionAtLeast(major: number, minor: number): boolean;
	/** An authenticated /api route: `perms` for the route middleware (any one; Super Admin skips), `hasId` for :id. */
	route(method: string, pattern: string, perms: string[], hasId: boolean, handler: Handler): void;
	/** A route without authentication. */
	publicRoute(method: string, pattern: string, handler: () => unknown): void;
}

/** `v6.2.0` → [6, 2, 0]; anything unparsable behaves as the newest. */
export function parseVersion(version: string): [number, number, number] {
	const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version.trim());
	return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : [99, 0, 0];
}
