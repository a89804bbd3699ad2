// What a segment save may contain, checked at the edge before it is stored. The rule itself is checked by
// core/rule.ts against the live schema; here: the other fields, and that an active dynamic segment has a rule.
import { z } from 'zod';
import { formatIssues } from './mapping.ts';

export const SEGMENT_KINDS = ['dynamic', 'static'] as const;
/** What happens in Listmonk when a client leaves a synced segment. */
export const LEAVE_ACTIONS = ['remove', 'unsubscribe'] as const;

const segmentPayloadSchema = z
	.object({
		name: z.string({ error: 'must be text' }).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
		description: z.string({ error: 'must be text' }).max(10_000, 'must be at most 10,000 characters').nullable(),
		kind: z.enum(SEGMENT_KINDS, { error: 'must be "dynamic" or "static"' }),
		is_active: z.boolean({ error: 'must be true or false' }),
		listmonk_sync: z.boolean({ error: 'must be true or false' }),
		listmonk_list_id: z.number({ error: 'must be a Listmonk list id (a whole number) or empty' }).int('must be a whole number').positive('must be a Listmonk list id (1 or more)').max(2_147_483_647, 'is not a Listmonk list id').nullable(),
		listmonk_on_leave: z.enum(LEAVE_ACTIONS, { error: 'must be "remove" or "unsubscribe"' }),
		listmonk_keep_manual: z.boolean({ error: 'must be true or false' }),
	})
	.partial();

/** Fields computed by the extension: a save can't set them (they are dropped from the payload). */
export const COMPUTED_SEGMENT_FIELDS = ['member_count', 'computed_at', 'refresh_requested_at', 'refresh_error', 'listmonk_synced_at', 'listmonk_sync_error', 'listmonk_list_url'] as const;

export function checkSegmentPayload(payload: Record<string, unknown>, saved: Record<string, unknown> | null): string[] {
	const known = Object.fromEntries(Object.entries(payload).filter(([key]) => key in segmentPayloadSchema.shape));
	const parsed = segmentPayloadSchema.safeParse(known);
	const errors = parsed.success ? [] : formatIssues(parsed.error);
	const after = { ...(saved ?? {}), ...payload };
	const active = after['is_active'] === true || after['is_active'] === 1;
	const rule = after['rule'];
	if (active && (after['kind'] ?? 'dynamic') === 'dynamic' && (rule === null || rule === undefined || rule === '')) {
		errors.push('rule: an active dynamic segment needs a rule');
	}
	if (!saved && (payload['name'] === undefined || payload['name'] === null)) errors.push('name: is required');
	return errors;
}
