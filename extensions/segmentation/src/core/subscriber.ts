// What a client becomes in Listmonk: a subscriber's email (Listmonk's rules, so we compare as it does) and the
// attributes we own, under one namespaced key so templates can say {{ .Subscriber.Attribs.crm.rfm_code }} and
// attributes others put on the subscriber survive our writes (Listmonk merges PATCH attribs one level deep).
import { createHash } from 'node:crypto';

/** The one top-level attribs key this product writes; every other key belongs to someone else. */
export const ATTRIBUTES_KEY = 'crm';

/** Listmonk refuses longer addresses (create and import, CONTRACT §4.2). */
const MAX_EMAIL_BYTES = 1000;
// A bare address: no display name, no angle brackets, no whitespace, one @ with something on both sides. Listmonk
// accepts `a@b` without a top-level domain, so this does too.
const BARE_ADDRESS = /^[^\s@<>()[\]\\,;:"]+(\.[^\s@<>()[\]\\,;:"]+)*@[^\s@<>()[\]\\,;:"]+$/;

/** The address as Listmonk stores it (trimmed, lower-cased), or null when Listmonk would refuse it. */
export function normaliseEmail(raw: unknown): string | null {
	if (typeof raw !== 'string') return null;
	const email = raw.trim().toLowerCase();
	if (!email || Buffer.byteLength(email) > MAX_EMAIL_BYTES) return null;
	if (!BARE_ADDRESS.test(email) || email.startsWith('.') || email.includes('..')) return null;
	return email;
}

/** A client's behaviour as the sync reads it (one row of the set-based read; dates as epoch ms). */
/** The engine's fields a subscriber carries as they are. */
interface BehaviourFields {
	rfm_code: string | null;
	rfm_r: number | null;
	rfm_f: number | null;
	rfm_m: number | null;
	rfm_segment: string | null;
	lifecycle_stage: string | null;
	value_tier: string | null;
	spend_trend: string | null;
}

export interface ClientFacts extends BehaviourFields {
	id: number;
	name: string | null;
	email: string;
	last_purchase_at: number | null;
	next_purchase_due_at: number | null;
	lead_source: string | null;
	/** Interest tag names, any order. */
	tags: string[];
}

export interface CrmAttributes extends BehaviourFields {
	client_id: number;
	interests: string[];
	/** ISO dates (YYYY-MM-DD): what a template prints and compares. */
	last_purchase: string | null;
	next_purchase_due: string | null;
	lead_source: string | null;
}

const isoDay = (ms: number | null): string | null => (ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString().slice(0, 10));

export function crmAttributes(c: ClientFacts): CrmAttributes {
	return {
		client_id: c.id,
		rfm_code: c.rfm_code,
		rfm_r: c.rfm_r,
		rfm_f: c.rfm_f,
		rfm_m: c.rfm_m,
		rfm_segment: c.rfm_segment,
		lifecycle_stage: c.lifecycle_stage,
		value_tier: c.value_tier,
		spend_trend: c.spend_trend,
		interests: [...new Set(c.tags)].sort(),
		last_purchase: isoDay(c.last_purchase_at),
		next_purchase_due: isoDay(c.next_purchase_due_at),
		lead_source: c.lead_source,
	};
}

/** The subscriber's name: the client's, or (like Listmonk) derived from the address when the client has none. */
export function subscriberName(c: Pick<ClientFacts, 'name' | 'email'>): string {
	const name = c.name?.trim();
	if (name) return name.slice(0, 500);
	return c.email
		.split('@')[0]!
		.split('.')
		.filter(Boolean)
		.map((w) => w[0]!.toUpperCase() + w.slice(1))
		.join(' ');
}

/** What we own on a subscriber, hashed: an unchanged client is not written again. */
export function ownedStateHash(email: string, name: string, attributes: CrmAttributes): string {
	return createHash('sha256').update(JSON.stringify([email, name, attributes])).digest('base64url').slice(0, 32);
}
