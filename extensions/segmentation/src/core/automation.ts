// Automations: what one is (checked at the edge), what a message carries, and which messenger reaches a client. Pure.
// Two triggers: a client falling asleep (wake-up), or a deal lost over a given reason (refused-deal follow-up). Three
// actions: a personal promo code by transactional message, a transactional message alone, or an interest tag (a
// segment on that tag, synced to Listmonk, is the list the client joins — "new arrivals" for an assortment refusal).
import { z } from 'zod';
import { formatIssues } from './mapping.ts';
import { DISCOUNT_TYPES } from './promo-code.ts';

/** When a client qualifies: a number of days after their next purchase was due, or after their last purchase. */
export const AUTOMATION_ANCHORS = ['next_purchase_due', 'last_purchase'] as const;
export type AutomationAnchor = (typeof AUTOMATION_ANCHORS)[number];

/** What starts an automation for a client: falling asleep, or a deal lost over the automation's reason. */
export const AUTOMATION_TRIGGERS = ['sleeping', 'refused'] as const;
export type AutomationTrigger = (typeof AUTOMATION_TRIGGERS)[number];

/** What the client gets: a personal code by transactional message, the message alone, or an interest tag. */
export const AUTOMATION_ACTIONS = ['promo', 'message', 'tag'] as const;
export type AutomationAction = (typeof AUTOMATION_ACTIONS)[number];

/** Which messenger: the automation's own, or the one the client's lead source maps to (settings). */
export const AUTOMATION_CHANNELS = ['fixed', 'client'] as const;
export type AutomationChannel = (typeof AUTOMATION_CHANNELS)[number];

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
		trigger: z.enum(AUTOMATION_TRIGGERS, { error: 'must be "sleeping" or "refused"' }),
		loss_reason: z.string({ error: 'must be text' }).trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters').nullable(),
		action: z.enum(AUTOMATION_ACTIONS, { error: 'must be "promo", "message" or "tag"' }),
		channel: z.enum(AUTOMATION_CHANNELS, { error: 'must be "fixed" or "client"' }),
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
	const trigger = after['trigger'] ?? 'sleeping';
	const action = after['action'] ?? 'promo';
	const missing = (key: string) => after[key] === null || after[key] === undefined;
	if (active && action !== 'tag' && missing('tx_template_id')) errors.push('tx_template_id: an active automation needs the Listmonk transactional template it sends');
	if (active && action === 'tag' && missing('tag')) errors.push('tag: an automation that tags clients needs the tag (a segment on it, synced to Listmonk, is the list they join)');
	if (active && trigger === 'sleeping' && missing('segment')) errors.push('segment: an active wake-up automation needs the segment it watches');
	if (trigger === 'refused' && missing('loss_reason')) errors.push('loss_reason: a refused-deal follow-up needs the loss reason it answers (a value of the deals’ loss reason field, e.g. price)');
	if ((after['discount_type'] ?? 'percent') === 'percent' && Number(after['discount_value'] ?? 0) > 100) errors.push('discount_value: a percent discount is at most 100');
	return errors;
}

/** The client's own channel: lead source → Listmonk messenger, as the settings map it. */
export const leadSourceMessengersSchema = z
	.array(
		z.object({
			lead_source: z.string({ error: 'must be text' }).trim().min(1, 'must not be empty').max(255),
			messenger: z.string().trim().regex(/^[a-z0-9_-]{1,64}$/i, 'must be a Listmonk messenger name such as telegram'),
		}),
		{ error: 'must be a list of { lead_source, messenger }' },
	)
	.max(500, 'must have at most 500 entries');
export type LeadSourceMessengers = z.infer<typeof leadSourceMessengersSchema>;

/** Problems with the settings' lead source → messenger map (null or missing is no map). */
export function checkLeadSourceMessengers(value: unknown): string[] {
	if (value === null || value === undefined) return [];
	const parsed = leadSourceMessengersSchema.safeParse(typeof value === 'string' ? safeJson(value) : value);
	return parsed.success ? [] : parsed.error.issues.map((i) => `lead_source_messengers${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`);
}

function safeJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

/** The map as the runner uses it (a bad stored value is no map: every client gets the fixed messenger). */
export function leadSourceMessengerMap(value: unknown): Map<string, string> {
	const parsed = leadSourceMessengersSchema.safeParse(typeof value === 'string' ? safeJson(value) : value);
	return new Map(parsed.success ? parsed.data.map((e) => [e.lead_source.trim().toLowerCase(), e.messenger]) : []);
}

/**
 * The messenger for one client, and why: the client's own (their lead source mapped) when the automation says so and
 * Listmonk has that messenger configured, otherwise email (the fixed one for a fixed channel).
 */
export function chooseMessenger(
	channel: AutomationChannel,
	fixed: string,
	leadSource: string | null,
	map: ReadonlyMap<string, string>,
	configured: ReadonlySet<string>,
): { messenger: string; note: string } {
	if (channel === 'fixed') return { messenger: fixed, note: `via ${fixed}` };
	const wanted = leadSource ? map.get(leadSource.trim().toLowerCase()) : undefined;
	if (!wanted) return { messenger: 'email', note: leadSource ? `via email (no messenger mapped for lead source “${leadSource}”)` : 'via email (no lead source)' };
	if (wanted === 'email' || configured.has(wanted)) return { messenger: wanted, note: `via ${wanted} (lead source “${leadSource}”)` };
	return { messenger: 'email', note: `via email (${wanted} is not configured in Listmonk)` };
}

export interface WakeUpMessageFacts {
	/** null: a message without a code (action "message"). */
	code: string | null;
	discountType: string;
	discountValue: number;
	validUntilMs: number | null;
	clientName: string | null;
	rfmCode: string | null;
	rfmSegment: string | null;
	lifecycleStage: string | null;
	lastPurchaseMs: number | null;
	/** A refused-deal follow-up: the reason the deal was lost. */
	lossReason?: string | null;
}

/** What the transactional template gets as `{{ .Tx.Data.* }}` (the code's fields only when there is a code). */
export function wakeUpTxData(f: WakeUpMessageFacts): Record<string, unknown> {
	const day = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().slice(0, 10));
	const code =
		f.code === null
			? {}
			: {
					promo_code: f.code,
					discount: f.discountType === 'percent' ? `${f.discountValue}%` : String(f.discountValue),
					discount_type: f.discountType,
					discount_value: f.discountValue,
					valid_until: day(f.validUntilMs),
				};
	return {
		...code,
		name: f.clientName,
		rfm_code: f.rfmCode,
		rfm_segment: f.rfmSegment,
		lifecycle_stage: f.lifecycleStage,
		last_purchase: day(f.lastPurchaseMs),
		...(f.lossReason !== undefined ? { loss_reason: f.lossReason } : {}),
	};
}
