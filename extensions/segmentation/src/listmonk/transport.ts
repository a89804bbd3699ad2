// Every request to Listmonk goes through here: the typed openapi-fetch client, the API token (only in a closure),
// a deadline per attempt, a concurrency limit, retries with backoff and jitter for failures worth repeating, and
// one error type. Responses are validated against a zod schema before anyone sees them.
import createClient, { type Client } from 'openapi-fetch';
import pLimit, { type LimitFunction } from 'p-limit';
import pRetry, { AbortError } from 'p-retry';
import { z } from 'zod';
import type { ListmonkConfig } from './config.ts';
import { classifyStatus, ListmonkError, type ListmonkErrorInit, type ListmonkErrorKind } from './errors.ts';
import type { paths } from './overlay.ts';

export interface TransportOptions {
	/** Deadline of one attempt, body included. Default 60 s (a 25,000-subscriber page is a few MB). */
	timeoutMs?: number;
	/** Retries after the first attempt for failures worth repeating. Default 3. */
	retries?: number;
	/** First backoff; doubles per retry, times a random 1–2 (jitter), capped by retryMaxDelayMs. Default 250 ms. */
	retryMinDelayMs?: number;
	retryMaxDelayMs?: number;
	/** Requests in flight at once per client (a backoff wait holds no slot). Default 4. */
	concurrency?: number;
	/** Observes requests for logs and metrics; events carry no query string, body or credential. */
	onEvent?: (event: ListmonkEvent) => void;
}

export type ListmonkEvent =
	| { type: 'request'; operation: string; attempt: number }
	| { type: 'response'; operation: string; attempt: number; status: number; durationMs: number }
	| { type: 'failure'; operation: string; attempt: number; kind: ListmonkErrorKind; status: number | null; durationMs: number; willRetry: boolean };

/**
 * Whether a call may be sent again after a failure whose effect is unknown (a timeout, a dropped connection, a 5xx):
 * `idempotent` calls may (PUT, PATCH, DELETE, GETs, bulk add without status, remove, unsubscribe, a create whose
 * repeat answers 409); `unsafe` ones (a list create: names are not unique; an import start; a tx send) are repeated
 * only when the connection was refused, i.e. nothing reached Listmonk.
 */
export type RetryPolicy = 'idempotent' | 'unsafe';

export interface CallOptions {
	retry?: RetryPolicy;
	/** Overrides the client's retries for this call (0: one attempt). */
	retries?: number | undefined;
	signal?: AbortSignal | undefined;
	timeoutMs?: number | undefined;
}

/** What each attempt hands to openapi-fetch: the deadline and the authenticating fetch. */
export type AttemptInit = {
	signal: AbortSignal;
	fetch: (request: Request) => Promise<Response>;
};

type Answer = { data?: unknown; error?: unknown; response: Response };
type Envelope<S extends z.ZodType> = z.ZodObject<{ data: S }>;
interface PreparedCall<S extends z.ZodType> {
	/** `GET /api/subscribers/{id}` */
	operation: string;
	envelope: Envelope<S>;
	send: (init: AttemptInit) => Promise<Answer>;
	options: CallOptions;
	policy: RetryPolicy;
	retries: number;
}

/** Connection errors that mean the request was not taken by anyone. EPIPE: writing to a kept-alive connection the
 *  server had already closed for being idle (its keep-alive timeout raced our reuse; a big upload after a long
 *  pause meets it) — a closed connection processes nothing. */
const PRE_SEND_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'EPIPE']);

export class Transport {
	readonly api: Client<paths>;
	readonly url: string;
	readonly #limit: LimitFunction;
	readonly #options: Required<Omit<TransportOptions, 'onEvent'>> & Pick<TransportOptions, 'onEvent'>;
	readonly #authFetch: (request: Request) => Promise<Response>;
	readonly #redact: (text: string) => string;
	readonly #envelopes = new WeakMap<z.ZodType, z.ZodType>();

	constructor(config: ListmonkConfig, options: TransportOptions = {}) {
		this.url = config.url;
		this.#options = {
			timeoutMs: options.timeoutMs ?? 60_000,
			retries: options.retries ?? 3,
			retryMinDelayMs: options.retryMinDelayMs ?? 250,
			retryMaxDelayMs: options.retryMaxDelayMs ?? 8_000,
			concurrency: options.concurrency ?? 4,
			onEvent: options.onEvent,
		};
		this.#limit = pLimit(this.#options.concurrency);
		const authorization = `token ${config.user}:${config.token}`;
		const secrets = [config.token, Buffer.from(`${config.user}:${config.token}`).toString('base64')];
		this.#redact = (text) => secrets.reduce((out, secret) => (secret ? out.split(secret).join('[redacted]') : out), text);
		this.#authFetch = (request) => {
			request.headers.set('Authorization', authorization);
			request.headers.set('Accept', 'application/json');
			// a session cookie makes Listmonk ignore the Authorization header (CONTRACT §1)
			request.headers.delete('Cookie');
			return globalThis.fetch(request);
		};
		this.api = createClient<paths>({
			baseUrl: `${config.url}/api`,
			credentials: 'omit',
			// a redirect means LISTMONK_URL is not Listmonk's root (a login page, http → https): say so, don't follow
			redirect: 'error',
		});
	}

	/**
	 * One Listmonk call: `send` makes the request with openapi-fetch, spreading the attempt's init into its options;
	 * the answer's `data` is validated with `schema`. `operation` names it in errors (`GET /subscribers/{id}`).
	 */
	async call<S extends z.ZodType>(operation: string, schema: S, send: (init: AttemptInit) => Promise<Answer>, options: CallOptions = {}): Promise<z.output<S>> {
		const { retryMinDelayMs, retryMaxDelayMs } = this.#options;
		const request: PreparedCall<S> = {
			operation: operationName(operation),
			envelope: this.#envelopeOf(schema),
			send,
			options,
			policy: options.retry ?? 'idempotent',
			retries: options.retries ?? this.#options.retries,
		};
		return pRetry((attempt) => this.#limit(() => this.#attempt(request, attempt)), {
			retries: request.retries,
			factor: 2,
			minTimeout: retryMinDelayMs,
			maxTimeout: retryMaxDelayMs,
			randomize: true,
			signal: options.signal,
			shouldRetry: ({ error }) => error instanceof ListmonkError && worthRepeating(error, request.policy),
		});
	}

	toJSON() {
		return { url: this.url };
	}

	async #attempt<S extends z.ZodType>(call: PreparedCall<S>, attempt: number): Promise<z.output<S>> {
		const { operation, options } = call;
		const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
		const deadline = AbortSignal.timeout(timeoutMs);
		const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
		let answered: Response | undefined;
		const fetch = async (request: Request) => (answered = await this.#authFetch(request));
		const started = performance.now();
		this.#emit({ type: 'request', operation, attempt });
		const fail = (init: Omit<ListmonkErrorInit, 'operation' | 'attempts'>) => {
			const error = new ListmonkError({ ...init, operation, attempts: attempt });
			const willRetry = attempt <= call.retries && worthRepeating(error, call.policy);
			this.#emit({ type: 'failure', operation, attempt, kind: error.kind, status: error.status, durationMs: performance.now() - started, willRetry });
			return error;
		};

		let answer: Answer;
		try {
			answer = await call.send({ signal, fetch });
		} catch (error) {
			// the caller gave up: stop, without retrying, with the caller's reason
			if (options.signal?.aborted) throw new AbortError(asError(options.signal.reason));
			if (deadline.aborted) throw fail({ kind: 'timeout', status: null, listmonkMessage: null, detail: `no answer within ${timeoutMs} ms` });
			if (error instanceof SyntaxError && answered) {
				throw fail({ kind: 'server', status: answered.status, listmonkMessage: null, detail: 'the answer is not JSON (is LISTMONK_URL the Listmonk root?)' });
			}
			const detail = this.#redact(networkDetail(error));
			throw fail({ kind: 'network', status: null, listmonkMessage: null, detail, maybeSent: answered !== undefined || !refusedBeforeSending(error), cause: error });
		}

		const { response } = answer;
		if (!response.ok) {
			const message = errorText(answer.error, response);
			const text = message === null ? null : this.#redact(message);
			throw fail({ ...classifyStatus(response.status, text), status: response.status, listmonkMessage: text });
		}
		const parsed = call.envelope.safeParse(answer.data);
		if (!parsed.success) {
			const where = parsed.error.issues.slice(0, 3).map((issue) => `${['data', ...issue.path].join('.')}: ${issue.message}`);
			throw fail({ kind: 'server', status: response.status, listmonkMessage: null, detail: `unexpected answer (${where.join('; ')})` });
		}
		this.#emit({ type: 'response', operation, attempt, status: response.status, durationMs: performance.now() - started });
		return (parsed.data as { data: z.output<S> }).data;
	}

	/** `{"data": <schema>}`, built once per schema and client. */
	#envelopeOf<S extends z.ZodType>(schema: S): Envelope<S> {
		let envelope = this.#envelopes.get(schema) as Envelope<S> | undefined;
		if (!envelope) this.#envelopes.set(schema, (envelope = z.object({ data: schema })));
		return envelope;
	}

	#emit(event: ListmonkEvent) {
		try {
			this.#options.onEvent?.(event);
		} catch {
			// an observer's failure is not the call's
		}
	}
}

// ---- helpers ----

function operationName(operation: string): string {
	const [method, path] = operation.split(' ');
	return `${method} /api${path}`;
}

function worthRepeating(error: ListmonkError, policy: RetryPolicy): boolean {
	if (!error.maybeSent) return true; // nothing reached Listmonk
	const unknownEffect = error.kind === 'network' || error.kind === 'timeout' || (error.kind === 'server' && error.status !== null && error.status >= 500);
	return unknownEffect && policy === 'idempotent';
}

function errorText(body: unknown, response: Response): string | null {
	if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
	if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 300);
	return response.statusText || null;
}

function networkDetail(error: unknown): string {
	const cause = (error as { cause?: { message?: string; code?: string } } | null)?.cause;
	const text = cause?.message || cause?.code || (error instanceof Error ? error.message : String(error));
	return text.slice(0, 300);
}

function refusedBeforeSending(error: unknown): boolean {
	const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } } | null)?.cause;
	if (!cause) return false;
	if (cause.code && PRE_SEND_CODES.has(cause.code)) return true;
	return Array.isArray(cause.errors) && cause.errors.length > 0 && cause.errors.every((e) => e.code !== undefined && PRE_SEND_CODES.has(e.code));
}

function asError(reason: unknown): Error {
	return reason instanceof Error ? reason : new Error(String(reason));
}
