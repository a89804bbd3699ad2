// Multi-step promo sequences: what one is (checked at the edge), the rule of its list, and its campaigns' names and
// tags. Pure. A sequence sends a shared promo code in steps (announcement, start, reminder, …) as Listmonk campaigns
// scheduled on one managed list: the target segment's members who have not redeemed the code. The list is a segment
// of its own whose rule is the target's plus "no won deal redeemed this code", so a client who redeems leaves it in
// the same change batch, and the sync takes them off the list before the next step.
import { z } from 'zod';
import { formatIssues } from './mapping.ts';

export const SEQUENCE_STATES = ['draft', 'launching', 'scheduled', 'cancelled'] as const;
export type SequenceState = (typeof SEQUENCE_STATES)[number];

/** At most this many steps (each is one Listmonk campaign). */
export const MAX_STEPS = 10;
/** Replaced by the sequence's code in each step's subject and body (Listmonk's own `{{ }}` stays its own). */
export const CODE_PLACEHOLDER = '%PROMO_CODE%';
/** The tag every campaign of ours carries in Listmonk. */
export const CAMPAIGN_TAG = 'directus-segmentation';

const stepSchema = z
	.object({
		name: z.string({ error: 'must be text' }).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
		send_at: z.string({ error: 'must be a date and time' }).refine((v) => !Number.isNaN(Date.parse(v)), 'must be a date and time'),
		subject: z.string({ error: 'must be text' }).trim().min(1, 'must not be empty').max(5000, 'must be at most 5000 characters'),
		body: z.string().max(1_000_000, 'must be at most 1 MB').nullish(),
		template_id: z.coerce.number().int().positive('must be a Listmonk campaign template id').max(2_147_483_647).nullish(),
	})
	.strip();
export type SequenceStep = z.infer<typeof stepSchema>;

const stepsSchema = z.array(stepSchema, { error: 'must be a list of steps' }).min(1, 'needs at least one step').max(MAX_STEPS, `must have at most ${MAX_STEPS} steps`);

/** Fields the extension keeps: a save can't set them. */
export const COMPUTED_SEQUENCE_FIELDS = ['status', 'list_segment', 'listmonk_list_id', 'campaigns', 'launched_at', 'dropped_redeemers', 'last_error', 'stats_at'] as const;

function parseJson(value: unknown): unknown {
	if (typeof value !== 'string') return value;
	try {
		return JSON.parse(value);
	} catch {
		return value;
	}
}

/** The steps as stored (JSON text on SQLite), checked; errors name the step. */
export function readSteps(value: unknown): { ok: true; steps: SequenceStep[] } | { ok: false; errors: string[] } {
	const parsed = stepsSchema.safeParse(parseJson(value ?? []));
	return parsed.success ? { ok: true, steps: parsed.data } : { ok: false, errors: formatIssues(parsed.error).map((e) => `steps${/^\d/.test(e) ? '.' : ': '}${e}`) };
}

/** Problems with a sequence save (`saved`: the row before an update, null for a create), each naming its field. */
export function checkSequencePayload(payload: Record<string, unknown>, saved: Record<string, unknown> | null): string[] {
	const after = { ...(saved ?? {}), ...payload };
	const errors: string[] = [];
	const name = after['name'];
	if (typeof name !== 'string' || !name.trim()) errors.push('name: is required');
	else if (name.length > 200) errors.push('name: must be at most 200 characters');
	if ('steps' in payload && payload['steps'] !== null) {
		const steps = readSteps(payload['steps']);
		if (!steps.ok) errors.push(...steps.errors);
	}
	if (saved && saved['status'] !== 'draft' && saved['status'] !== null && saved['status'] !== undefined && ['segment', 'promo_code', 'steps'].some((k) => k in payload)) {
		errors.push(`status: the sequence is ${String(saved['status'])}: its segment, code and steps can't change (cancel it and make a new one)`);
	}
	return errors;
}

/** What launching needs, checked against now: steps in the future and in order, a template or a body for each. */
export function launchProblems(steps: readonly SequenceStep[], nowMs: number): string[] {
	const errors: string[] = [];
	let previous = -Infinity;
	steps.forEach((step, i) => {
		const at = Date.parse(step.send_at);
		if (at <= nowMs + 60_000) errors.push(`steps.${i}.send_at: must be at least a minute in the future (Listmonk refuses past times)`);
		if (at < previous) errors.push(`steps.${i}.send_at: must not be before the step above`);
		previous = at;
		if (!step.template_id && !(step.body ?? '').trim()) errors.push(`steps.${i}.body: give a body, or a Listmonk campaign template id`);
	});
	return errors;
}

/** The sequence list's rule: the target segment's rule, minus the code's redeemers (one condition under `_none`). */
export function sequenceListRule(targetRule: Record<string, unknown>, dealsAlias: string, redeemedCodeField: string, codeId: number): Record<string, unknown> {
	return { _and: [targetRule, { [dealsAlias]: { _none: { [redeemedCodeField]: { _eq: codeId } } } }] };
}

/** A step's campaign tags: found again by them after a crash between "created in Listmonk" and "recorded here". */
export function stepTags(sequenceId: number, stepIndex: number): string[] {
	return [CAMPAIGN_TAG, `sequence-${sequenceId}`, `sequence-${sequenceId}-step-${stepIndex + 1}`];
}

export function withCode(text: string, code: string): string {
	return text.split(CODE_PLACEHOLDER).join(code);
}

/** One step's campaign as recorded on the sequence (and refreshed from Listmonk's stats). */
export interface StepCampaign {
	step: number;
	name: string;
	campaign_id: number;
	send_at: string;
	status: string;
	sent: number;
	views: number;
	clicks: number;
}
