// The one error the Listmonk client throws. Listmonk answers every failure as `{"message": "..."}` with no code
// (CONTRACT §2), so the kind is read from the status and the message: auth failures are 403 (never 401), a missing
// record is 400 "... not found" (never 404), a duplicate email on create is 409.

export type ListmonkErrorKind =
	| 'network'
	| 'timeout'
	| 'auth'
	| 'permission'
	| 'not_found'
	| 'conflict'
	| 'bad_request'
	| 'server';

export interface ListmonkErrorInit {
	kind: ListmonkErrorKind;
	/** The HTTP status, null when no answer came (network, timeout). */
	status: number | null;
	/** Method and path template, e.g. `GET /api/subscribers/{id}`: never the query string (it may hold emails). */
	operation: string;
	/** Listmonk's own `message`, when it sent one. */
	listmonkMessage: string | null;
	/** What went wrong when Listmonk said nothing (the connection error, the deadline, an unexpected shape). */
	detail?: string;
	/** For `permission`: the permission Listmonk named (`subscribers:manage`, `lists`, `subscriber: 12`), if any. */
	permission?: string | null;
	/** Attempts made, retries included. */
	attempts?: number;
	/** Whether the request may have reached Listmonk (false: refused before sending, safe to repeat anything). */
	maybeSent?: boolean;
	cause?: unknown;
}

export class ListmonkError extends Error {
	override name = 'ListmonkError';
	readonly kind: ListmonkErrorKind;
	readonly status: number | null;
	readonly operation: string;
	readonly listmonkMessage: string | null;
	readonly permission: string | null;
	readonly attempts: number;
	readonly maybeSent: boolean;

	constructor(init: ListmonkErrorInit) {
		super(describe(init), init.cause === undefined ? undefined : { cause: init.cause });
		this.kind = init.kind;
		this.status = init.status;
		this.operation = init.operation;
		this.listmonkMessage = init.listmonkMessage;
		this.permission = init.permission ?? null;
		this.attempts = init.attempts ?? 1;
		this.maybeSent = init.maybeSent ?? true;
	}

	/** Safe to log or return from an endpoint: no cause (a low-level error), nothing but what is above. */
	toJSON() {
		const { name, kind, status, operation, listmonkMessage, permission, message } = this;
		return { name, kind, status, operation, listmonkMessage, permission, message };
	}
}

/** POST /api/subscribers answered 409 `E-mail already exists.`: the API has no upsert (CONTRACT §4.3). */
export class EmailExistsError extends ListmonkError {
	override name = 'EmailExistsError';
	readonly email: string;

	constructor(init: ListmonkErrorInit & { email: string }) {
		super(init);
		this.email = init.email;
	}
}

function describe(init: ListmonkErrorInit): string {
	const what = init.status === null ? init.kind : `${init.status} ${init.kind}`;
	const said = init.listmonkMessage ?? init.detail;
	const text = said ? `: ${said}` : '';
	return `Listmonk ${init.operation} failed (${what})${text}`;
}

// 403 messages that mean "who are you" rather than "you may not" (CONTRACT §1): the API user/token pair is wrong,
// missing, or the Authorization header is malformed (echo's `code=400, message=...`).
const AUTH_MESSAGES = [/^invalid API credentials/i, /^invalid session/i, /^code=\d+, message=/];
const PERMISSION_NAMED = /^permission denied: (.+)$/i;
const PERMISSION_PLAIN = /^permission denied\.?$/i;

/** The kind of an HTTP failure, and the permission a 403 names. */
export function classifyStatus(status: number, message: string | null): { kind: ListmonkErrorKind; permission: string | null } {
	const text = (message ?? '').trim();
	if (status === 401) return { kind: 'auth', permission: null };
	if (status === 403) {
		const named = PERMISSION_NAMED.exec(text);
		if (named) return { kind: 'permission', permission: named[1]!.trim() };
		if (PERMISSION_PLAIN.test(text)) return { kind: 'permission', permission: null };
		if (AUTH_MESSAGES.some((re) => re.test(text))) return { kind: 'auth', permission: null };
		// an unknown 403 (a proxy in front, a future message): a credentials problem is the likelier reading
		return { kind: /permission/i.test(text) ? 'permission' : 'auth', permission: null };
	}
	if (status === 409) return { kind: 'conflict', permission: null };
	// Listmonk's not-found is a 400 with "... not found" (`Subscriber (42: ) not found`, `List not found`); a 404
	// only means an unknown route (wrong URL, or an endpoint this version lacks), which is the caller's mistake
	if (status === 400 && /not found/i.test(text)) return { kind: 'not_found', permission: null };
	if (status >= 500) return { kind: 'server', permission: null };
	return { kind: 'bad_request', permission: null };
}
