// What the Flow operations share on the API side: their options read with zod (values typed in the Flow editor,
// or rendered from templates such as {{$trigger.body.client}}: numbers may arrive as text, lists as JSON or
// "1, 2, 3"), the Listmonk client or a clear "not configured", and the caller's right to read the clients. Every
// failure is a plain Error with a sentence: Directus puts it in the Flow's log as the operation's result.
import { z } from 'zod';
import type { ListmonkClient } from '../../listmonk/client.ts';
import { ListmonkError } from '../../listmonk/errors.ts';
import { assertAccess, need, type Accountability } from '../access.ts';
import type { DirectusContext } from '../context.ts';
import type { Segmentation } from '../segmentation.ts';
import type { Mapping } from '../../core/mapping.ts';

/** Clients one operation takes at most (a segment's worth of work belongs to the segment sync). */
export const MAX_CLIENTS = 10_000;

const NOT_CONFIGURED = 'Listmonk is not configured (set LISTMONK_URL, LISTMONK_API_USER and LISTMONK_API_TOKEN)';

const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
const shown = (v: unknown) => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v) ?? String(v));

/** A whole number > 0 (a database or Listmonk id), given as a number or as text. */
export const positiveId = z.preprocess(
	(v) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v),
	z
		.number({ error: (issue) => (isBlank(issue.input) ? 'is required' : `${shown(issue.input)} is not a number`) })
		.int('must be a whole number')
		.positive('must be more than 0'),
);

/** One client id or several: a number, "12", "1, 2, 3", "[1,2]" or an array (a template may render any of them). */
export const clientIds = z.preprocess(
	(v) => {
		if (typeof v === 'number') return [v];
		if (typeof v !== 'string') return v;
		const text = v.trim();
		if (text === '') return [];
		if (text.startsWith('[')) {
			try {
				return JSON.parse(text) as unknown;
			} catch {
				return text; // reported as not a list below
			}
		}
		return text.split(/[\s,;]+/).filter(Boolean);
	},
	z
		.array(positiveId, { error: (issue) => (isBlank(issue.input) ? 'is required' : `${shown(issue.input)} is not a client id or a list of them`) })
		.min(1, 'is required: a client id or a list of them')
		.max(MAX_CLIENTS, `at most ${MAX_CLIENTS.toLocaleString('en-US')} clients at once`)
		.transform((ids) => [...new Set(ids)]),
);

/** An optional text option: undefined when empty. */
export const optionalText = z.preprocess((v) => (isBlank(v) ? undefined : v), z.string({ error: (issue) => `${shown(issue.input)} is not text` }).trim().max(2000).optional());

/** The options read with the schema, or an Error naming each bad option (`client: "x" is not a number`). */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown): z.output<S> {
	const parsed = schema.safeParse(options ?? {});
	if (parsed.success) return parsed.data;
	throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`).join('; '));
}

/** The Listmonk client, or an Error saying how to configure it (the reason names variables, never their values). */
export function listmonkOf(root: Segmentation): ListmonkClient {
	const client = root.sync.listmonkClient;
	if (client) return client;
	const availability = root.sync.availability;
	const reason = availability.configured ? '' : availability.reason;
	throw new Error(reason.startsWith('Listmonk not configured') || !reason ? NOT_CONFIGURED : `${NOT_CONFIGURED}: ${reason}`);
}

/** A Listmonk failure as one sentence: what we were doing and what Listmonk said (never a credential). */
export function listmonkFailure(doing: string, error: unknown): Error {
	if (!(error instanceof ListmonkError)) return error instanceof Error ? error : new Error(String(error));
	const said = error.listmonkMessage ?? error.message;
	return new Error(`Listmonk failed to ${doing}: ${said}${error.status ? ` (HTTP ${error.status})` : ''}`);
}

/** With a Flow run under a role (not full access), the role must be allowed to read the clients, as an item
 *  operation would; the system and admins pass. */
export async function assertMayReadClients(ctx: DirectusContext, operationContext: unknown, m: Mapping): Promise<void> {
	const accountability = (operationContext as { accountability?: Accountability | null }).accountability ?? null;
	if (accountability) await assertAccess(ctx, accountability, need('read', m.client_collection));
}

/** The ids among `wanted` that are not in `found`, as an Error naming them (null when all exist). */
export function missingClients(wanted: readonly number[], found: ReadonlyArray<{ id: number }>): Error | null {
	const have = new Set(found.map((c) => c.id));
	const missing = wanted.filter((id) => !have.has(id));
	if (!missing.length) return null;
	const shownIds = missing.slice(0, 20).join(', ') + (missing.length > 20 ? ` and ${missing.length - 20} more` : '');
	return new Error(missing.length === 1 ? `client ${shownIds} does not exist` : `these clients do not exist: ${shownIds}`);
}
