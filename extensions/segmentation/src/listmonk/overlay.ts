// Corrections to the types generated from Listmonk's OpenAPI spec (generated/openapi.d.ts, never edited by hand),
// where the spec disagrees with what Listmonk v6.2 does (CONTRACT.md §0; the row numbers below are its rows), plus
// the endpoints the sync needs that the spec lacks. `paths` is what createClient<paths>() is typed with: the
// generated paths with the corrected ones replaced. Paths are relative to `<root>/api`, as in the spec.
import type { components, paths as GeneratedPaths } from './generated/openapi.d.ts';

type Schemas = components['schemas'];

// ---- building blocks in openapi-typescript's shape, so openapi-fetch reads them like generated operations ----

type Json<T> = { headers: { [name: string]: unknown }; content: { 'application/json': T } };
/** Every success is 200 `{"data": ...}`; every failure `{"message": "..."}` (row 15: the spec has no errors). */
type Responses<Data> = { 200: Json<{ data: Data }>; default: Json<ListmonkErrorBody> };
type NoParameters = { query?: never; header?: never; path?: never; cookie?: never };
type QueryParameters<Q> = { query?: Q; header?: never; path?: never; cookie?: never };
type PathParameters<Path> = { query?: never; header?: never; path: Path; cookie?: never };
type Operation<P, Data> = { parameters: P; requestBody?: never; responses: Responses<Data> };
type OperationWithBody<P, Body, Data, Media extends string = 'application/json'> = {
	parameters: P;
	requestBody: { content: { [M in Media]: Body } };
	responses: Responses<Data>;
};
type Methods = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace';
type PathItem<M extends Partial<Record<Methods, unknown>>> = M & { [K in Exclude<Methods, keyof M>]?: never } & { parameters: NoParameters };
type ById = PathParameters<{ id: number }>;
type ByListId = PathParameters<{ list_id: number }>;

export interface ListmonkErrorBody {
	message: string;
}

// ---- corrected models ----

export type SubscriberStatus = 'enabled' | 'disabled' | 'blocklisted';
export type SubscriptionStatus = 'unconfirmed' | 'confirmed' | 'unsubscribed';
/** Lowercase only: `ASC` is silently read as `desc` (row 2). */
export type SortOrder = 'asc' | 'desc';
/** Any positive number (no cap), or `'all'`, which Listmonk answers with `per_page: 0` (§8). */
export type PerPage = number | 'all';

/** Row 9: lists carry `status` (v6.0+) and per-status counts, and `subscriber_count` includes unsubscribed members. */
export type List = Schemas['List'] & {
	status?: 'active' | 'archived';
	subscriber_statuses?: Partial<Record<SubscriptionStatus, number>> | null;
};

export type Subscriber = Schemas['Subscriber'];

/** Row 6 and 16: `name` and `status` are optional on create (the name is derived from the email); `list_uuids` is
 *  ignored by the admin API, so it is not offered. */
export type NewSubscriber = Omit<Schemas['NewSubscriber'], 'list_uuids' | 'email' | 'status'> & {
	email: string;
	status?: SubscriberStatus;
};

/** PUT is a full replace (§4.5): `email` is required; missing `attribs` wipes them and missing `lists` removes
 *  every membership. */
export type SubscriberReplacement = Omit<Schemas['UpdateSubscriber'], 'list_uuids' | 'email' | 'status'> & {
	email: string;
	status?: SubscriberStatus;
};

/** Row 1: PATCH (v6.1+) lays the body over the stored subscriber: omitted fields keep their values, `lists` omitted
 *  keeps the memberships, `attribs` merges one level deep (`null` clears them). */
export type SubscriberPatch = {
	email?: string;
	name?: string;
	status?: SubscriberStatus;
	attribs?: Record<string, unknown> | null;
	lists?: number[];
	preconfirm_subscriptions?: boolean;
};

/** Row 4: `target_list_ids` is an int array, and `status` only matters to `add` (§4.8). */
export type MembershipRequest = {
	ids: number[];
	target_list_ids: number[];
	action: 'add' | 'remove' | 'unsubscribe';
	status?: SubscriptionStatus;
};

/** Row 4: the query-based bulk endpoints (§4.9) also read `list_ids`, `search`, `subscription_status` and `all`. */
export type SubscriberQueryRequest = {
	query?: string;
	search?: string;
	list_ids?: number[];
	subscription_status?: SubscriptionStatus;
	all?: boolean;
	target_list_ids?: number[];
	action?: 'add' | 'remove' | 'unsubscribe';
	status?: SubscriptionStatus;
};

/** Rows 2 and 4 (§4.4): `search` (a case-insensitive POSIX regex on name or email, v5+), `email` ordering,
 *  lowercase `order`; `subscription_status` only applies with `list_id`. */
export type SubscriberSearch = {
	page?: number;
	per_page?: PerPage;
	/** A SQL WHERE fragment; needs `subscribers:sql_query` (v5+). */
	query?: string;
	search?: string;
	order_by?: 'email' | 'status' | 'name' | 'created_at' | 'updated_at';
	order?: SortOrder;
	/** Repeatable with OR semantics; a subscriber in several of them appears once per list, so pass one. */
	list_id?: number[];
	subscription_status?: SubscriptionStatus;
};

/** Row 9: list filters `status`/`type`/`optin` and `subscriber_count` ordering exist. */
export type ListSearch = {
	page?: number;
	per_page?: PerPage;
	query?: string;
	tag?: string[];
	type?: 'public' | 'private';
	optin?: 'single' | 'double';
	status?: 'active' | 'archived';
	order_by?: 'name' | 'status' | 'created_at' | 'updated_at' | 'subscriber_count';
	order?: SortOrder;
};

export type NewList = Omit<Schemas['NewList'], 'name'> & { name: string; status?: 'active' | 'archived' };

/** PUT /lists/{id} requires `name` and overwrites `tags` (omitted = cleared), so both are required here (row 18). */
export type ListReplacement = NewList & { tags: string[] };

/** Row 10: one envelope (`{"data": {"name", ...}}`), not the spec's `data.data`. */
export type ImportStatus = NonNullable<Schemas['ImportStatus']['data']>;

/** Row 10: the `params` JSON string of POST /import/subscribers, with v6.0's two overwrite flags (§5). */
export type ImportParams = {
	mode: 'subscribe' | 'blocklist';
	/** Exactly one byte. */
	delim: string;
	/** Subscribe mode needs at least one list the caller may manage (v6.1+). */
	lists?: number[];
	subscription_status?: SubscriptionStatus;
	/** Existing subscribers get name and attribs replaced (not merged). Default false. */
	overwrite_userinfo?: boolean;
	/** Existing memberships in `lists` get `subscription_status`. Default false. */
	overwrite_subscription_status?: boolean;
};

/** The multipart body: `params` is ImportParams as a JSON string; `file` must be named `*.csv` (else read as ZIP). */
export type ImportUpload = { params: string; file: Blob };

/** Row 14: the plural recipient fields, `subscriber_mode` (v6.0+), `subject` (v5.1+), `altbody` (v6.1+); `data` is
 *  any JSON object (the spec's property-less object reads as `Record<string, never>`). */
export type TxMessage = Omit<Schemas['TransactionalMessage'], 'subscriber_email' | 'subscriber_id' | 'headers' | 'data'> & {
	template_id: number;
	subscriber_emails?: string[];
	subscriber_ids?: number[];
	subscriber_mode?: 'default' | 'fallback' | 'external';
	subject?: string;
	altbody?: string;
	headers?: Record<string, string>[];
	data?: Record<string, unknown>;
};

/** GET /api/config (the spec nests a second `data`): the version is what the client branches on. */
export type ServerConfig = NonNullable<Schemas['ServerConfig']['data']>;

/** GET /api/profile (not in the spec): the API user, its role's permissions and its per-list role. */
export type Profile = {
	id: number;
	username: string;
	name?: string;
	/** `user` or `api`. */
	type?: string;
	status?: string;
	/** Omitted when 0; the Super Admin role is id 1 and skips every permission check. */
	user_role_id?: number;
	user_role: { id: number; name: string; permissions: string[] | null };
	list_role: { id: number; name: string; lists: { id: number; name: string; permissions: string[] | null }[] } | null;
};

// ---- the corrected and added paths ----

export interface Overlay {
	'/health': PathItem<{ get: Operation<NoParameters, boolean> }>;
	'/config': PathItem<{ get: Operation<NoParameters, ServerConfig> }>;
	'/profile': PathItem<{ get: Operation<NoParameters, Profile> }>;
	'/subscribers': PathItem<{
		get: Operation<QueryParameters<SubscriberSearch>, { results: Subscriber[]; query: string; search: string; total: number; per_page: number; page: number }>;
		post: OperationWithBody<NoParameters, NewSubscriber, Subscriber>;
		/** Row 7: a repeated integer `id`, not one string. */
		delete: Operation<{ query: { id: number[] }; header?: never; path?: never; cookie?: never }, boolean>;
	}>;
	'/subscribers/{id}': PathItem<{
		get: Operation<ById, Subscriber>;
		put: OperationWithBody<ById, SubscriberReplacement, Subscriber>;
		patch: OperationWithBody<ById, SubscriberPatch, Subscriber>;
		delete: Operation<ById, boolean>;
	}>;
	'/subscribers/lists': PathItem<{ put: OperationWithBody<NoParameters, MembershipRequest, boolean> }>;
	/** Row 3: `{id}` is a subscriber id, and `ids` must still be non-empty (it is then ignored). */
	'/subscribers/lists/{id}': PathItem<{ put: OperationWithBody<ById, MembershipRequest, boolean> }>;
	'/subscribers/blocklist': PathItem<{ put: OperationWithBody<NoParameters, { ids: number[] }, boolean> }>;
	/** Row 8: any body is ignored. */
	'/subscribers/{id}/blocklist': PathItem<{ put: Operation<ById, boolean> }>;
	/** Row 5: JSON bodies only (anything else is 415); blocklist is PUT. */
	'/subscribers/query/delete': PathItem<{ post: OperationWithBody<NoParameters, SubscriberQueryRequest, boolean> }>;
	'/subscribers/query/blocklist': PathItem<{ put: OperationWithBody<NoParameters, SubscriberQueryRequest, boolean> }>;
	'/subscribers/query/lists': PathItem<{ put: OperationWithBody<NoParameters, SubscriberQueryRequest, boolean> }>;
	'/lists': PathItem<{
		get: Operation<QueryParameters<ListSearch>, { results: List[]; query: string; search?: string; total: number; per_page: number; page: number }>;
		post: OperationWithBody<NoParameters, NewList, List>;
		/** Row 9: bulk delete (v6.0+). */
		delete: Operation<QueryParameters<{ id?: number[]; query?: string; all?: boolean }>, boolean>;
	}>;
	'/lists/{list_id}': PathItem<{
		get: Operation<ByListId, List>;
		put: OperationWithBody<ByListId, ListReplacement, List>;
		delete: Operation<ByListId, boolean>;
	}>;
	'/import/subscribers': PathItem<{
		get: Operation<NoParameters, ImportStatus>;
		post: OperationWithBody<NoParameters, ImportUpload, ImportStatus, 'multipart/form-data'>;
		delete: Operation<NoParameters, ImportStatus>;
	}>;
	'/import/subscribers/logs': PathItem<{ get: Operation<NoParameters, string> }>;
	'/tx': PathItem<{ post: OperationWithBody<NoParameters, TxMessage, boolean> }>;
	/** §7: filters by status and tag (repeatable), `no_body`; an empty result has `per_page: 0`. */
	'/campaigns': PathItem<{
		get: Operation<QueryParameters<CampaignSearch>, { results: Campaign[]; total: number; per_page: number; page: number }>;
		post: OperationWithBody<NoParameters, NewCampaign, Campaign>;
	}>;
	'/campaigns/{id}': PathItem<{
		get: Operation<{ query?: { no_body?: boolean }; header?: never; path: { id: number }; cookie?: never }, Campaign>;
		delete: Operation<ById, boolean>;
	}>;
	/** §7: the status transitions; `running` on a campaign with `send_at` is stored as `scheduled`. */
	'/campaigns/{id}/status': PathItem<{ put: OperationWithBody<ById, { status: CampaignStatus }, Campaign> }>;
}

export type CampaignStatus = 'draft' | 'scheduled' | 'running' | 'paused' | 'cancelled' | 'finished';

/** §7 create: `lists` required non-empty; `send_at` RFC3339 in the future (creating with it does not schedule). */
export type NewCampaign = {
	name: string;
	subject: string;
	lists: number[];
	type?: 'regular' | 'optin';
	content_type?: 'richtext' | 'html' | 'markdown' | 'plain' | 'visual';
	body?: string;
	altbody?: string;
	template_id?: number;
	send_at?: string | null;
	messenger?: string;
	tags?: string[];
	from_email?: string;
	headers?: Array<Record<string, string>>;
};

export type Campaign = {
	id: number;
	uuid?: string;
	name: string;
	subject: string;
	status: CampaignStatus;
	send_at?: string | null;
	tags?: string[] | null;
	lists?: Array<{ id: number | null; name: string }>;
	views?: number;
	clicks?: number;
	bounces?: number;
	to_send?: number;
	sent?: number;
	started_at?: string | null;
};

export type CampaignSearch = {
	status?: CampaignStatus[];
	tag?: string[];
	query?: string;
	page?: number;
	per_page?: PerPage;
	no_body?: boolean;
	order_by?: 'name' | 'status' | 'created_at' | 'updated_at';
	order?: SortOrder;
};

export type paths = Omit<GeneratedPaths, keyof Overlay> & Overlay;
