// Flow operation "Issue promo code" (API side): personal codes for one client (e.g. {{$trigger.payload.client}}) or
// every member of a segment; $last gets what was issued. The Flow's accountability decides, like an item operation:
// with a role it needs create on promo codes and read on the clients; with full access it may.
import { defineOperationApi } from '@directus/extensions-sdk';
import { PROMO_NAMES, SEGMENT_NAMES } from '../../core/base-names.ts';
import { assertAccess, need, type Accountability } from '../access.ts';
import type { DirectusContext } from '../context.ts';
import { segmentationFor } from '../segmentation.ts';
import { requireMapping } from '../settings.ts';

export interface IssuePromoOptions {
	client?: string | number | null;
	segment?: string | number | null;
	discount_type?: string;
	discount_value?: string | number;
	valid_days?: string | number | null;
	issued_by?: string | null;
}

/** A Flow option that is a number, maybe typed as text or rendered from a template; undefined when empty. */
const numberOption = (value: unknown, name: string): number | undefined => {
	if (value === undefined || value === null || value === '') return undefined;
	const n = typeof value === 'number' ? value : Number(String(value).trim());
	if (!Number.isFinite(n)) throw new Error(`${name}: "${String(value)}" is not a number`);
	return n;
};

export default defineOperationApi<IssuePromoOptions>({
	id: 'segmentation-issue-promo-code',
	handler: async (options, operationContext) => {
		const ctx = operationContext as unknown as DirectusContext;
		const accountability = (operationContext as { accountability?: Accountability | null }).accountability ?? null;
		const client = numberOption(options.client, 'client');
		const segment = numberOption(options.segment, 'segment');
		if (accountability) {
			const clients = (await requireMapping(ctx)).client_collection;
			await assertAccess(ctx, accountability, [...need('create', PROMO_NAMES.codes), ...need('read', clients), ...(segment !== undefined ? need('read', SEGMENT_NAMES.segments) : [])]);
		}
		const body = {
			...(client !== undefined ? { client_ids: [client] } : {}),
			...(segment !== undefined ? { segment_id: segment } : {}),
			discount_type: options.discount_type || 'percent',
			discount_value: numberOption(options.discount_value, 'discount_value'),
			...(numberOption(options.valid_days, 'valid_days') !== undefined ? { valid_days: numberOption(options.valid_days, 'valid_days') } : {}),
			...(options.issued_by ? { issued_by: options.issued_by } : {}),
		};
		return segmentationFor(ctx).promo.issue(body, 'flow');
	},
});
