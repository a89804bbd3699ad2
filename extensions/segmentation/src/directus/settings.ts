// Reading and guarding the segmentation settings (the mapping lives in the settings singleton).
import { SETTINGS_COLLECTION } from '../core/base-names.ts';
import { checkMapping, MAPPING_KEYS, mappingFromRow, type Mapping, type MappingCheck } from '../core/mapping.ts';
import type { Knex } from 'knex';
import type { DirectusContext } from './context.ts';
import { InvalidEngineSettingsError, InvalidMappingError, NotInstalledError } from './errors.ts';
import { engineSettingsFromRow, ENGINE_SETTING_KEYS } from '../core/engine-settings.ts';
import { parseCron } from '../core/cron.ts';

/** Filter for settings saves: the mapping after the save must fit the live schema, else 400 naming the problem. */
export async function validateSettingsPayload(ctx: DirectusContext, payload: Record<string, unknown>, knex: Knex = ctx.database): Promise<Record<string, unknown>> {
	const touchesMapping = MAPPING_KEYS.some((key) => key in payload);
	const touchesEngine = ENGINE_SETTING_KEYS.some((key) => key in payload);
	if (!touchesMapping && !touchesEngine) return payload;
	const current = (await knex(SETTINGS_COLLECTION).first()) ?? {};
	if (touchesMapping) {
		const check = checkMapping(mappingFromRow({ ...current, ...payload }), await ctx.getSchema({ database: knex }));
		if (!check.ok) throw new InvalidMappingError({ errors: check.errors });
	}
	if (touchesEngine) {
		const merged = { ...current, ...payload };
		const engine = engineSettingsFromRow(merged);
		const errors = engine.ok ? [] : engine.errors;
		const cron = String(merged['recompute_cron'] ?? '').trim();
		if (cron) {
			try {
				parseCron(cron);
			} catch (error) {
				errors.push(`recompute_cron: ${(error as Error).message}`);
			}
		}
		if (errors.length) throw new InvalidEngineSettingsError({ errors });
	}
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
