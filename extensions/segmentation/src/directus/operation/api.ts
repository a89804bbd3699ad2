// Flow operation "Recompute segmentation" (API side): a full recompute, once per cluster; $last gets the run.
import { defineOperationApi } from '@directus/extensions-sdk';
import type { DirectusContext } from '../context.ts';
import { segmentationFor } from '../segmentation.ts';

export default defineOperationApi<{ as_of?: string }>({
	id: 'segmentation-recompute',
	handler: async ({ as_of }, operationContext) => {
		const ctx = operationContext as unknown as DirectusContext;
		const asOfMs = as_of ? Date.parse(as_of) : Date.now();
		if (Number.isNaN(asOfMs)) throw new Error(`as_of "${as_of}" is not a date (use 2011-12-10 or an ISO date-time)`);
		return segmentationFor(ctx).fullPass.run('flow', asOfMs);
	},
});
