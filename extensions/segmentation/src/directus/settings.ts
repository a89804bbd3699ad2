// Reading and guarding the segmentation settings (the mapping lives in the settings singleton).
import { SETTINGS_COLLECTION } from '../core/base-names.ts';
import { changedMappingKeys, checkMapping, MAPPING_KEYS, mappingFromRow, parseMapping, type Mapping, type MappingCheck } from '../core/mapping.ts';
import type { Knex } from 'knex';
import type { DirectusContext } from './context.ts';
import { InvalidEngineSettingsError, InvalidMappingError, MappingAdminOnlyError, NotInstalledError } from './errors.ts';
import { engineSettingsFromRow, ENGINE_SETTING_KEYS } from '../core/engine-settings.ts';
import { parseCron } from '../core/cron.ts';
import { checkLeadSourceMessengers } from '../core/automation.ts';

/** Who saves: Directus's accountability of the save (null or absent for the system itself: the installer, Flows
 *  without a user, scripts). */
export interface SaverAccountability { user?: string | null; admin?: boolean }

/**
 * Filter for settings saves (create and update of the singleton), in this order:
 * 1. the mapping after the save must have the right shape and name no reserved collection (`directus_*`, the
 *    extension's own) — 400 for everyone, a rule that needs no schema;
 * 2. the mapping is schema, not marketing: only an admin (or the system) may change a mapping key — 403 — while
 *    marketers keep changing the engine settings on the same row (the Core tier has no field-level permissions, so
 *    this is enforced here, with the save's accountability);
 * 3. the mapping must fit the live schema — 400 naming the problem; the engine settings must be valid — 400.
 */
export async function validateSettingsPayload(
	ctx: DirectusContext,
	payload: Record<string, unknown>,
	knex: Knex = ctx.database,
	accountability: SaverAccountability | null = null,
): Promise<Record<string, unknown>> {
	if ('lead_source_messengers' in payload) {
		const errors = checkLeadSourceMessengers(payload['lead_source_messengers']);
		if (errors.length) throw new InvalidEngineSettingsError({ errors });
	}
	const touchesMapping = MAPPING_KEYS.some((key) => key in payload);
	const touchesEngine = ENGINE_SETTING_KEYS.some((key) => key in payload);
	if (!touchesMapping && !touchesEngine) return payload;
	const current = (await knex(SETTINGS_COLLECTION).first()) ?? {};
	if (touchesMapping) {
		const proposed = mappingFromRow({ ...current, ...payload });
		const shape = parseMapping(proposed);
		if (!shape.ok) throw new InvalidMappingError({ errors: shape.errors });
		const changed = changedMappingKeys(current, payload);
		if (changed.length && accountability && accountability.admin !== true) throw new MappingAdminOnlyError({ keys: changed });
		const check = checkMapping(proposed, await ctx.getSchema({ database: knex }));
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

/** The settings singleton (the mapping and the engine settings); NotInstalledError when it is missing. */
export async function readSettingsRow(knex: Knex): Promise<Record<string, unknown>> {
	const row: Record<string, unknown> | undefined = await knex(SETTINGS_COLLECTION).first();
	if (!row) throw new NotInstalledError({ reason: 'the settings row is missing; restart Directus to install' });
	return row;
}

/** The saved mapping, checked against the live schema: the only way SQL gets its identifiers. */
export async function readCheckedMapping(ctx: DirectusContext): Promise<MappingCheck> {
	return checkMapping(mappingFromRow(await readSettingsRow(ctx.database)), await ctx.getSchema());
}

export async function requireMapping(ctx: DirectusContext): Promise<Mapping> {
	const check = await readCheckedMapping(ctx);
	if (!check.ok) throw new InvalidMappingError({ errors: check.errors });
	return check.mapping;
}
