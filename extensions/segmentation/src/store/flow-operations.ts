// The database side of the Flow operations that act on chosen clients: who they are (address, consent, what the
// Listmonk sync knows of them), queueing them for the change pipeline with a way to see their rows processed, and
// what the engine computed for them.
import type { Knex } from 'knex';
import { SEGMENT_NAMES } from '../core/base-names.ts';
import type { Mapping } from '../core/mapping.ts';
import { isPostgres } from './dialects/index.ts';
import { ident, ints, run, sql } from './queries/sql.ts';
import { rows } from './restriction.ts';
import { CHANGES_TABLE, SYNC_SUBSCRIBERS_TABLE } from './tables.ts';

/** Email statuses that mean "don't write to this person" (as the wake-up automations read them). */
export const OPTED_OUT_STATUSES = ['unsubscribed', 'blocklisted', 'refused'] as const;

const truthy = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 'true';
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export interface ClientContact {
	id: number;
	name: string | null;
	/** As stored in the base (raw). */
	email: string | null;
	consent: boolean;
	/** What the sync published on the client row (subscribed, unsubscribed, blocklisted, refused, …). */
	emailStatus: string | null;
	/** The client's subscriber as the sync recorded it (null: none yet). */
	subscriberId: number | null;
	blocklisted: boolean;
}

/** These clients (those that exist), with their address, consent and what the Listmonk sync knows of them. */
export async function clientContacts(knex: Knex, m: Mapping, ids: readonly number[]): Promise<ClientContact[]> {
	if (!ids.length) return [];
	const name = m.client_name_field ? sql`c.${ident(m.client_name_field)}` : sql`NULL`;
	const found = rows(
		await run(
			knex,
			sql`SELECT c.id AS id, ${name} AS name, c.${ident(m.client_email_field)} AS email, c.${ident(m.client_consent_field)} AS consent,
				c.listmonk_email_status AS email_status, x.subscriber_id AS subscriber_id, x.blocklisted AS blocklisted
			FROM ${ident(m.client_collection)} c LEFT JOIN ${ident(SYNC_SUBSCRIBERS_TABLE)} x ON x.client_id = c.id
			WHERE c.id IN (${ints(ids)}) ORDER BY c.id`,
		),
	);
	return found.map((r) => ({
		id: Number(r['id']),
		name: (r['name'] as string | null) ?? null,
		email: (r['email'] as string | null) ?? null,
		consent: truthy(r['consent']),
		emailStatus: (r['email_status'] as string | null) ?? null,
		subscriberId: num(r['subscriber_id']),
		blocklisted: truthy(r['blocklisted']),
	}));
}

/** Why we must not write to this client (null: we may): no consent, or an opt-out the sync pulled back. */
export function optOutReason(c: ClientContact, m: Mapping): string | null {
	if (!c.consent) return `no marketing consent (${m.client_consent_field} is off)`;
	if (c.blocklisted) return 'opted out in Listmonk (blocklisted)';
	if (c.emailStatus !== null && (OPTED_OUT_STATUSES as readonly string[]).includes(c.emailStatus)) {
		return c.emailStatus === 'refused' ? 'Listmonk refused the address' : `opted out in Listmonk (${c.emailStatus})`;
	}
	return null;
}

/** Queues the clients for the change pipeline; returns the queue rows written (processed rows are deleted). */
export async function enqueueTracked(knex: Knex, clientIds: readonly number[], atMs = Date.now()): Promise<number[]> {
	const out: number[] = [];
	const chunk = isPostgres(knex) ? 5000 : 400;
	for (let i = 0; i < clientIds.length; i += chunk) {
		const made: Array<number | { id: number }> = await knex(CHANGES_TABLE)
			.insert(clientIds.slice(i, i + chunk).map((client_id) => ({ client_id, enqueued_at: atMs })))
			.returning('id');
		out.push(...made.map((r) => Number(typeof r === 'object' ? r.id : r)));
	}
	return out;
}

/** How many of these queue rows still wait, and the most attempts any of them failed. */
export async function rowsStillQueued(knex: Knex, rowIds: readonly number[]): Promise<{ waiting: number; attempts: number }> {
	if (!rowIds.length) return { waiting: 0, attempts: 0 };
	const [row] = rows(await run(knex, sql`SELECT COUNT(*) AS n, MAX(attempts) AS attempts FROM ${ident(CHANGES_TABLE)} WHERE id IN (${ints(rowIds)})`));
	return { waiting: Number(row?.['n'] ?? 0), attempts: Number(row?.['attempts'] ?? 0) };
}

export interface ComputedFields {
	id: number;
	rfm_code: string | null;
	rfm_segment: string | null;
	lifecycle_stage: string | null;
	value_tier: string | null;
	segments: Array<{ id: number; name: string }>;
}

/** What the engine computed for these clients now, with the segments they are members of. */
export async function computedFields(knex: Knex, m: Mapping, ids: readonly number[]): Promise<ComputedFields[]> {
	if (!ids.length) return [];
	const found = rows(
		await run(knex, sql`SELECT c.id AS id, c.rfm_code AS rfm_code, c.rfm_segment AS rfm_segment, c.lifecycle_stage AS lifecycle_stage, c.value_tier AS value_tier
			FROM ${ident(m.client_collection)} c WHERE c.id IN (${ints(ids)}) ORDER BY c.id`),
	);
	const members = rows(
		await run(knex, sql`SELECT sm.client AS client, s.id AS id, s.name AS name FROM ${ident(SEGMENT_NAMES.members)} sm
			JOIN ${ident(SEGMENT_NAMES.segments)} s ON s.id = sm.segment WHERE sm.client IN (${ints(ids)}) ORDER BY s.id`),
	);
	return found.map((r) => ({
		id: Number(r['id']),
		rfm_code: (r['rfm_code'] as string | null) ?? null,
		rfm_segment: (r['rfm_segment'] as string | null) ?? null,
		lifecycle_stage: (r['lifecycle_stage'] as string | null) ?? null,
		value_tier: (r['value_tier'] as string | null) ?? null,
		segments: members.filter((s) => Number(s['client']) === Number(r['id'])).map((s) => ({ id: Number(s['id']), name: String(s['name']) })),
	}));
}
