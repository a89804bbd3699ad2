// Listmonk's answers, validated where they enter (a misconfigured URL, a proxy's HTML page or a version that
// changed a shape fails here with a clear error instead of deep in the sync). Unknown fields are dropped, never
// refused, so a newer Listmonk that adds fields still works. The inferred types are what the client returns.
import { z } from 'zod';
import type * as wire from './overlay.ts';

export const SUBSCRIBER_STATUSES = ['enabled', 'disabled', 'blocklisted'] as const;
export const SUBSCRIPTION_STATUSES = ['unconfirmed', 'confirmed', 'unsubscribed'] as const;
export const IMPORT_STATES = ['none', 'importing', 'stopping', 'finished', 'failed'] as const;

const id = z.number().int();
const attribs = z
	.record(z.string(), z.unknown())
	.nullish()
	.transform((value) => value ?? {});
const tags = z
	.array(z.string())
	.nullish()
	.transform((value) => value ?? []);

/** A subscriber's membership: the list's own columns plus the subscription (§4.1). */
export const membershipSchema = z.object({
	id,
	uuid: z.string().optional(),
	name: z.string(),
	type: z.string().optional(),
	optin: z.string().optional(),
	tags: tags.optional(),
	subscription_status: z.enum(SUBSCRIPTION_STATUSES),
	subscription_created_at: z.string().nullish(),
	subscription_updated_at: z.string().nullish(),
	/** v6.1+: a list the API user may not read, its name masked as `*Unknown`. */
	restricted: z.boolean().optional(),
});

export const subscriberSchema = z.object({
	id,
	uuid: z.string(),
	/** Always lower-case: Listmonk stores emails lower-cased (§4.2). */
	email: z.string(),
	name: z.string(),
	attribs,
	status: z.enum(SUBSCRIBER_STATUSES),
	created_at: z.string().optional(),
	updated_at: z.string().optional(),
	lists: z
		.array(membershipSchema)
		.nullish()
		.transform((value) => value ?? []),
});

export const listSchema = z.object({
	id,
	uuid: z.string(),
	name: z.string(),
	type: z.enum(['public', 'private', 'temporary']),
	optin: z.enum(['single', 'double']),
	/** v6.0+; absent before. */
	status: z.enum(['active', 'archived']).optional(),
	tags,
	description: z.string().nullish().transform((value) => value ?? ''),
	/** All statuses summed, unsubscribed included; stale on GET /lists/{id} and doubled there (§3). Count members
	 *  with a subscriber query instead. */
	subscriber_count: z.number().int().optional(),
	subscriber_statuses: z.record(z.string(), z.number()).nullish(),
	created_at: z.string().optional(),
	updated_at: z.string().optional(),
});

/** A page of results. `per_page` is 0 for `per_page=all`; for lists, `total` is 0 past the last page (§3, §8). */
export function pageSchema<T extends z.ZodType>(item: T) {
	return z.object({
		results: z.array(item),
		total: z.number().int(),
		per_page: z.number().int(),
		page: z.number().int(),
		query: z.string().optional(),
		search: z.string().optional(),
	});
}

export const importStatusSchema = z.object({
	name: z.string(),
	total: z.number().int(),
	imported: z.number().int(),
	status: z.enum(IMPORT_STATES),
});

const permissions = z
	.array(z.string())
	.nullish()
	.transform((value) => value ?? []);

export const profileSchema = z.object({
	id,
	username: z.string(),
	type: z.string().optional(),
	user_role_id: z.number().int().optional(),
	user_role: z.object({ id, name: z.string(), permissions }),
	list_role: z
		.object({ id, name: z.string(), lists: z.array(z.object({ id, name: z.string(), permissions })).nullish().transform((value) => value ?? []) })
		.nullish()
		.transform((value) => value ?? null),
});

export const campaignSchema = z.object({
	id,
	name: z.string(),
	subject: z.string(),
	status: z.enum(['draft', 'scheduled', 'running', 'paused', 'cancelled', 'finished']),
	send_at: z.string().nullish().transform((v) => v ?? null),
	tags: z.array(z.string()).nullish().transform((v) => v ?? []),
	views: z.number().int().nullish().transform((v) => v ?? 0),
	clicks: z.number().int().nullish().transform((v) => v ?? 0),
	bounces: z.number().int().nullish().transform((v) => v ?? 0),
	to_send: z.number().int().nullish().transform((v) => v ?? 0),
	sent: z.number().int().nullish().transform((v) => v ?? 0),
});
export type ListmonkCampaign = z.output<typeof campaignSchema>;

export const serverConfigSchema = z.object({ version: z.string().nullish(), messengers: z.array(z.string()).nullish() });

export const booleanSchema = z.boolean();
export const textSchema = z.string();

export type Membership = z.output<typeof membershipSchema>;
export type ListmonkSubscriber = z.output<typeof subscriberSchema>;
export type ListmonkList = z.output<typeof listSchema>;
export type ImportState = z.output<typeof importStatusSchema>;
export type ListmonkProfile = z.output<typeof profileSchema>;
export interface Page<T> {
	results: T[];
	total: number;
	per_page: number;
	page: number;
	query?: string | undefined;
	search?: string | undefined;
}

// The validated shapes must fit the overlay's wire types: a correction made in one place and not the other fails
// the typecheck here.
type Fits<A extends B, B> = A;
export type SchemaFitsOverlay = [
	Fits<ListmonkList, wire.List>,
	Fits<ListmonkSubscriber, Omit<wire.Subscriber, 'lists'>>,
	Fits<ImportState, wire.ImportStatus>,
	Fits<ListmonkProfile, Omit<wire.Profile, 'list_role'>>,
];
