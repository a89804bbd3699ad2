// Hook entry: installs the schema at start-up and guards the mapping on every save.
import { defineHook } from '@directus/extensions-sdk';
import { SETTINGS_COLLECTION } from '../../core/base-names.ts';
import type { DirectusContext } from '../context.ts';
import { install } from '../install/install.ts';
import { validateSettingsPayload } from '../settings.ts';
import { installState } from '../state.ts';

export default defineHook(({ init, filter }, hookContext) => {
	const ctx = hookContext as unknown as DirectusContext;

	init('app.after', async () => {
		const started = Date.now();
		try {
			installState.report = await install(ctx);
			installState.error = null;
			const { registered, schemaVersion } = installState.report;
			ctx.logger.info(`[segmentation] schema v${schemaVersion} ready in ${Date.now() - started} ms${registered.length ? `; registered ${registered.join(', ')}` : ''}`);
		} catch (error) {
			installState.error = error instanceof Error ? error.message : String(error);
			ctx.logger.error(`[segmentation] install failed: ${installState.error}`);
		}
	});

	// A deal created without a creation date gets the save time (a column default would store SQLite dates as
	// text next to Directus's epoch milliseconds; imports keep the dates they bring).
	filter('items.create', (payload: Record<string, unknown>, meta: Record<string, unknown>) => {
		const mapping = installState.report?.mapping;
		if (mapping && meta['collection'] === mapping.deal_collection && payload[mapping.deal_created_field] == null) {
			return { ...payload, [mapping.deal_created_field]: new Date().toISOString() };
		}
		return payload;
	});

	const guard = (payload: Record<string, unknown>) => validateSettingsPayload(ctx, payload);
	filter(`${SETTINGS_COLLECTION}.items.create`, guard);
	filter(`${SETTINGS_COLLECTION}.items.update`, guard);
});
