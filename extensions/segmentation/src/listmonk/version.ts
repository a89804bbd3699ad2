// Listmonk's version as GET /api/config reports it (`v6.2.0`, `v5.1.0-rc1`, `v6.2.0-3-g911e0b7` for a build from
// git). Behaviour differs by version (CONTRACT §10); the one the client branches on is PATCH /subscribers/{id}.

export type Version = readonly [major: number, minor: number, patch: number];

/** PATCH /api/subscribers/{id} (a partial update) exists from v6.1; older versions answer 405. */
export const PATCH_SINCE: Version = [6, 1, 0];

export function parseVersion(text: string | null | undefined): Version | null {
	const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text?.trim() ?? '');
	if (!match) return null;
	return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

export function versionAtLeast(version: Version, floor: Version): boolean {
	for (let i = 0; i < 3; i++) if (version[i] !== floor[i]) return version[i]! > floor[i]!;
	return true;
}

/** Whether this version has PATCH for subscribers; null when the version is unknown. */
export function supportsPatch(versionText: string | null): boolean | null {
	const version = parseVersion(versionText);
	return version ? versionAtLeast(version, PATCH_SINCE) : null;
}
