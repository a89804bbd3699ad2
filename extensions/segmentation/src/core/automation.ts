// Wake-up automations: what one is (checked at the edge), and what a personal message carries. Pure.
import { z } from 'zod';
import { formatIssues } from './mapping.ts';
import { DISCOUNT_TYPES } from './promo-code.ts';

/** When a client qualifies: a number of days after their next purchase was due, or after their last purchase. */
export const AUTOMATION_ANCHORS = ['next_purchase_due', 'last_purchase'] as const;
export type AutomationAnchor = (typeof AUTOMATION_ANCHORS)[number];

/** The library segment a new wake-up automation targets unless another is chosen. */
export const DEFAULT_TARGET_TEMPLATE = 'falling-asleep';

/** A send's life: qualified → a code issued (with it, in one transaction) → handed to Listmonk → sent; or skipped
 *  (bought again, opted out) or failed (with why). `sending` left behind by a crash is never sent again. */
export const SEND_STATES = ['pending', 'issued', 'sending', 'sent', 'skipped', 'failed'] as const;
export type SendState = (typeof SEND_STATES)[number];

const automationSchema = z
	.object({
		name: z.string({ error: 'must be text' }).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
		is_active: z.boolean({ error: 'must be true or false' }),
		anchor: z.enum(AUTOMATION_ANCHORS, { error: 'must be "next_purchase_due" or "last_purchase"' }),
		delay_days: z.coerce.number().int('must be a whole number of days').min(0, 'must be 0 or more').max(3650, 'must be at most 3650'),
		discount_type: z.enum(DISCOUNT_TYPES, { error: 'must be "percent" or "amount"' }),
		discount_value: z.coerce.number({ error: 'must be a number' }).positive('must be more than 0').max(1_000_000_000, 'is too large'),
		valid_days: z.coerce.number().int('must be a whole number of days').min(1, 'must be at least 1').max(3650, 'must be at most 3650'),
		cooldown_days: z.coerce.number().int('must be a whole number of days').min(0, 'must be 0 or more').max(3650, 'must be at most 3650'),
		tx_template_id: z.coerce.number().int('must be a Listmonk template id').positive('must be a Listmonk template id').max(2_147_483_647).nullable(),
		messenger: z.string().trim().regex(/^[a-z0-9_-]{1,64}$/i, 'must be a Listmonk messenger name such as email').nullable(),
		subject: z.string().max(500, 'must be at most 500 characters').nullable(),
	})
	.partial();

/** Fields the extension keeps: a save can't set them. */
export const COMPUTED_AUTOMATION_FIELDS = ['last_run_at', 'last_run_summary'] as const;

/** Problems with an automation save (`saved`: the row before an update, null for a create), each naming its field. */
export function checkAutomationPayload(payload: Record<string, unknown>, saved: Record<string, unknown> | null): string[] {
	const known = Object.fromEntries(Object.entries(payload).filter(([key]) => key in automationSchema.shape));
	const parsed = automationSchema.safeParse(known);
	const errors = parsed.success ? [] : formatIssues(parsed.error);
	const after = { ...(saved ?? {}), ...payload };
	if (!saved && (payload['name'] === undefined || payload['name'] === null)) errors.push('name: is required');
	const active = after['is_active'] === true || after['is_active'] === 1;
	if (active && (after['tx_template_id'] === null || after['tx_template_id'] === undefined)) errors.push('tx_template_id: an active automation needs the Listmonk transactional template it sends');
	if (active && (after['segment'] === null || after['segment'] === undefined)) errors.push('segment: an active automation needs the segment it watches');
	if ((after['discount_type'] ?? 'percent') === 'percent' && Number(after['discount_value'] ?? 0) > 100) errors.push('discount_value: a percent discount is at most 100');
	return errors;
}

export interface WakeUpMessageFacts {
	code: string;
	discountType: string;
	discountValue: number;
	validUntilMs: number | null;
	clientName: string | null;
	rfmCode: string | null;
	rfmSegment: string | null;
	lifecycleStage: string | null;
	lastPurchaseMs: number | null;
}

/** What the transactional template gets as `{{ .Tx.Data.* }}`. */
export function wakeUpTxData(f: WakeUpMessageFacts): Record<string, unknown> {
	const day = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().slice(0, 10));
	return {
		promo_code: f.code,
		discount: f.discountType === 'percent' ? `${f.discountValue}%` : String(f.discountValue),
		discount_type: f.discountType,
		discount_value: f.discountValue,
		valid_until: day(f.validUntilMs),
		name: f.clientName,
		rfm_code: f.rfmCode,
		rfm_segment: f.rfmSegment,
		lifecycle_stage: f.lifecycleStage,
		last_purchase: day(f.lastPurchaseMs),
	};
}
