// Our set-based writes bypass the item services, so Directus's data cache (when on) must be told.
import type { DirectusContext } from './context.ts';

export async function clearDataCache(ctx: DirectusContext): Promise<void> {
	const enabled = ctx.env['CACHE_ENABLED'];
	if (enabled !== true && enabled !== 'true') return;
	const utils = new ctx.services.UtilsService({ schema: await ctx.getSchema(), accountability: { admin: true, role: null, user: null } });
	await utils.clearCache({ system: false });
}
