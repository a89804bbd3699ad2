// Custom endpoints are public in Directus: each one asks here first. Access = admin, or any policy that may read
// the segmentation settings (the Marketer policy does) — Directus's own permission check decides, not ours.
import { SETTINGS_COLLECTION } from '../core/base-names.ts';
import type { DirectusContext } from './context.ts';
import { ForbiddenSegmentationError } from './errors.ts';

export interface Accountability { user?: string | null; role?: string | null; admin?: boolean }

export async function assertSegmentationAccess(ctx: DirectusContext, accountability: Accountability | null | undefined): Promise<void> {
	if (!accountability?.user) throw new ForbiddenSegmentationError();
	if (accountability.admin) return;
	const settings = new ctx.services.ItemsService(SETTINGS_COLLECTION, { schema: await ctx.getSchema(), accountability, knex: ctx.database });
	try {
		await settings.readSingleton({ fields: ['id'] });
	} catch {
		throw new ForbiddenSegmentationError();
	}
}
