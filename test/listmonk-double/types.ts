// The double's public types: what tests and benchmarks configure and inspect.

export interface DoubleUser {
	username: string;
	token: string;
	/** 'super' = Super Admin role id 1 */
	permissions: string[] | 'super';
	/** per-list role: list id → ['list:get'] | ['list:get','list:manage'] */
	listPermissions?: Record<number, string[]>;
	enabled?: boolean;
}

export interface DoubleOptions {
	/** 0 = any free port */
	port?: number;
	/** default 127.0.0.1 */
	host?: string;
	users?: DoubleUser[];
	/** the Listmonk version to behave as, default 'v6.2.0' */
	version?: string;
	/** listmonk's `app.send_optin_confirmation`, default true */
	sendOptinConfirmation?: boolean;
	/** a pause per imported CSV row, default 0; lets tests observe the `importing` state */
	importRowDelayMs?: number;
	/** postback messengers the admin has enabled besides `email` (GET /api/config lists them; tx accepts them) */
	messengers?: string[];
}

export interface Fault {
	kind: 'status' | 'timeout' | 'reset' | 'slow' | 'forbidden';
	/** for 'status', default 500 */
	status?: number;
	/** for 'slow' */
	delayMs?: number;
	method?: string;
	/** matched against the pathname: a string exactly, a RegExp by test() */
	path?: string | RegExp;
	/** default unlimited */
	times?: number;
}

export interface RequestLogEntry {
	method: string;
	path: string;
	/** query parameters; a repeated parameter is an array */
	query: Record<string, string | string[]>;
	/** the answer's status; 0 when a fault answered nothing (timeout, reset) */
	status: number;
	/** ms since the epoch when the request arrived */
	at: number;
	/** the parsed JSON body, or the raw text of another body (multipart bodies are summarised) */
	body?: unknown;
}

export interface SubscriptionView {
	id: number;
	name: string;
	optin: string;
	subscription_status: string;
	subscription_created_at: string;
	subscription_updated_at: string;
}

export interface SubscriberView {
	id: number;
	uuid: string;
	email: string;
	name: string;
	attribs: Record<string, unknown>;
	status: string;
	created_at: string;
	updated_at: string;
	lists: SubscriptionView[];
}

export interface ListView {
	id: number;
	uuid: string;
	name: string;
	type: string;
	optin: string;
	status: string;
	tags: string[];
	description: string;
	created_at: string;
	updated_at: string;
	/** true counts per membership status (not listmonk's doubled or stale numbers) */
	subscriber_statuses: Record<string, number>;
}

export interface OptinMail {
	subscriberId: number;
	listIds: number[];
	at: number;
}

export interface TxMail {
	templateId: number;
	to: string;
	data: unknown;
	at: number;
	/** the subscriber the message was rendered for (0 for fallback/external recipients) */
	subscriberId: number;
	subject: string;
	/** the messenger it went through (`email` unless another was asked for) */
	messenger: string;
}
