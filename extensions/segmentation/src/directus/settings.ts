// Reading and guarding the segmentation settings (the mapping lives in the settings singleton).
import { SETTINGS_COLLECTION } from '../core/base-names.ts';
import { checkMapping, MAPPING_KEYS, mappingFromRow, type Mapping, type MappingCheck } from '../core/mapping.ts';
import type { DirectusContext } from './context.ts';
import { InvalidMappingError, NotInstalledError } from './errors.ts';

/** Filter for settings saves: the mapping after the save must fit the live schema, else 400 naming the problem. */
export async function validateSettingsPayload(ctx: DirectusContext, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
	if (!MAPPING_KEYS.some((key) => key in payload)) return payload;
	const current = (await ctx.database(SETTINGS_COLLECTION).first()) ?? {};
	const check = checkMapping(mappingFromRow({ ...current, ...payload }), await ctx.getSchema());
	if (!check.ok) throw new InvalidMappingError({ errors: check.errors });
	return payload;
}

/** The saved mapping, checked against the live schema: the only way SQL gets its identifiers. */
export async function readCheckedMapping(ctx: DirectusContext): Promise<MappingCheck> {
	const row = await ctx.database(SETTINGS_COLLECTION).first();
	if (!row) throw new NotInstalledError({ reason: 'the settings row is missing; restart Directus to install' });
	return checkMapping(mappingFromRow(row), await ctx.getSchema());
}

export async function requireMapping(ctx: DirectusContext): Promise<Mapping> {
	const check = await readCheckedMapping(ctx);
	if (!check.ok) throw new InvalidMappingError({ errors: check.errors });
	return check.mapping;
}
