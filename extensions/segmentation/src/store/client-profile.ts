// One client's profile for the panel on the client card: the engine's fields, the segments the client is in (since
// when), the interest tags (with expiry) and the Listmonk status. Three indexed reads: the client by key, its
// membership rows (segment_members.client is indexed) joined to the segments, its tag rows (client_tags.client is
// indexed) joined to the tags. Identifiers come from the checked mapping (knex quotes them); values are bound.
import type { Knex } from 'knex';
import { SEGMENT_NAMES } from '../core/base-names.ts';
import type { Mapping } from '../core/mapping.ts';
import { q } from './restriction.ts';

export interface ProfileSegment {
	id: number;
	name: string;
	kind: string;
	is_active: boolean;
	/** When the client entered it (ISO), null when not recorded. */
	entered_at: string | null;
}

export interface ProfileTag {
	id: number;
	name: string;
	color: string | null;
	/** 'manual' (by hand) or 'auto' (from purchases). */
	source: string;
	added_at: string | null;
	/** null = never expires. */
	expires_at: string | null;
}

export interface ClientProfile {
	client: { id: number; name: string | null; email: string | null; email_consent: boolean | null };
	rfm: {
		code: string | null;
		r: number | null;
		f: number | null;
		m: number | null;
		segment: string | null;
		frequency: number | null;
		monetary: number | null;
		avg_order_value: number | null;
		first_purchase_at: string | null;
		last_purchase_at: string | null;
		computed_at: string | null;
	};
	lifecycle: { stage: string | null; since: string | null };
	value_tier: string | null;
	spend_trend: string | null;
	next_purchase: { due_at: string | null; cycle_days: number | null; sleeping: boolean | null };
	listmonk: { email_status: string | null; subscriber_id: number | null };
	/** null: the caller may not read the segments or their members (left out, not refused). */
	segments: ProfileSegment[] | null;
	/** null: the caller may not read the tags or the client tags. */
	tags: ProfileTag[] | null;
}

/** A timestamp as either database returns it (SQLite: epoch ms, or text; PostgreSQL: a Date) as ISO, or null. */
export function isoOf(value: unknown): string | null {
	if (value === null || value === undefined || value === '') return null;
	if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
	const ms = typeof value === 'number' ? value : /^-?\d+(\.\d+)?$/.test(String(value)) ? Number(value) : Date.parse(String(value));
	return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

const num = (value: unknown): number | null => {
	if (value === null || value === undefined || value === '') return null;
	const n = Number(value);
	return Number.isFinite(n) ? n : null;
};
const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const bool = (value: unknown): boolean | null => (value === null || value === undefined ? null : value === true || value === 1 || value === '1' || value === 'true');

export interface ProfileQuery {
	/** The client collection's primary key field (from the live schema). */
	primary: string;
	id: number;
	segments: boolean;
	tags: boolean;
}

/** The profile of one client, or null when there is no such client. */
export async function readClientProfile(knex: Knex, m: Mapping, query: ProfileQuery): Promise<ClientProfile | null> {
	const c = m.client_collection;
	const col = (name: string) => knex.raw(`c.${q(name)}`);
	const row: Record<string, unknown> | undefined = await knex({ c })
		.whereRaw(`c.${q(query.primary)} = ?`, [query.id])
		.first({
			id: col(query.primary),
			name: m.client_name_field ? col(m.client_name_field) : knex.raw('NULL'),
			email: col(m.client_email_field),
			consent: col(m.client_consent_field),
			rfm_code: 'c.rfm_code', rfm_r: 'c.rfm_r', rfm_f: 'c.rfm_f', rfm_m: 'c.rfm_m', rfm_segment: 'c.rfm_segment',
			rfm_frequency: 'c.rfm_frequency', rfm_monetary: 'c.rfm_monetary', avg_order_value: 'c.avg_order_value',
			first_purchase_at: 'c.first_purchase_at', last_purchase_at: 'c.last_purchase_at', rfm_computed_at: 'c.rfm_computed_at',
			lifecycle_stage: 'c.lifecycle_stage', lifecycle_changed_at: 'c.lifecycle_changed_at', value_tier: 'c.value_tier', spend_trend: 'c.spend_trend',
			next_purchase_due_at: 'c.next_purchase_due_at', purchase_cycle_days: 'c.purchase_cycle_days', is_sleeping: 'c.is_sleeping',
			listmonk_email_status: 'c.listmonk_email_status', listmonk_subscriber_id: 'c.listmonk_subscriber_id',
		});
	if (!row) return null;

	const [segments, tags] = await Promise.all([
		query.segments
			? knex({ sm: SEGMENT_NAMES.members })
					.join({ s: SEGMENT_NAMES.segments }, 's.id', 'sm.segment')
					.where('sm.client', query.id)
					.orderBy([{ column: 's.is_active', order: 'desc' }, { column: 'sm.entered_at', order: 'desc' }, { column: 's.id', order: 'asc' }])
					.select({ id: 's.id', name: 's.name', kind: 's.kind', is_active: 's.is_active', entered_at: 'sm.entered_at' })
			: null,
		query.tags
			? knex({ ct: SEGMENT_NAMES.clientTags })
					.join({ t: SEGMENT_NAMES.tags }, 't.id', 'ct.tag')
					.where('ct.client', query.id)
					.orderBy([{ column: 't.name', order: 'asc' }, { column: 'ct.id', order: 'asc' }])
					.select({ id: 't.id', name: 't.name', color: 't.color', source: 'ct.source', added_at: 'ct.added_at', expires_at: 'ct.expires_at' })
			: null,
	]);

	return {
		client: { id: Number(row['id']), name: str(row['name']), email: str(row['email']), email_consent: bool(row['consent']) },
		rfm: {
			code: str(row['rfm_code']),
			r: num(row['rfm_r']),
			f: num(row['rfm_f']),
			m: num(row['rfm_m']),
			segment: str(row['rfm_segment']),
			frequency: num(row['rfm_frequency']),
			monetary: num(row['rfm_monetary']),
			avg_order_value: num(row['avg_order_value']),
			first_purchase_at: isoOf(row['first_purchase_at']),
			last_purchase_at: isoOf(row['last_purchase_at']),
			computed_at: isoOf(row['rfm_computed_at']),
		},
		lifecycle: { stage: str(row['lifecycle_stage']), since: isoOf(row['lifecycle_changed_at']) },
		value_tier: str(row['value_tier']),
		spend_trend: str(row['spend_trend']),
		next_purchase: { due_at: isoOf(row['next_purchase_due_at']), cycle_days: num(row['purchase_cycle_days']), sleeping: bool(row['is_sleeping']) },
		listmonk: { email_status: str(row['listmonk_email_status']), subscriber_id: num(row['listmonk_subscriber_id']) },
		segments: segments
			? segments.map((s: Record<string, unknown>) => ({ id: Number(s['id']), name: String(s['name']), kind: String(s['kind']), is_active: bool(s['is_active']) === true, entered_at: isoOf(s['entered_at']) }))
			: null,
		tags: tags
			? tags.map((t: Record<string, unknown>) => ({ id: Number(t['id']), name: String(t['name']), color: str(t['color']), source: String(t['source'] ?? 'manual'), added_at: isoOf(t['added_at']), expires_at: isoOf(t['expires_at']) }))
			: null,
	};
}

/** The profile with each part read from a client field the caller may not read set to null, as Directus would not
 *  show it ('*': every field readable). The client's key stays: the caller may read the client itself. */
export function withoutUnreadableFields(profile: ClientProfile, m: Mapping, readable: '*' | ReadonlySet<string>): ClientProfile {
	if (readable === '*') return profile;
	const may = (field: string | null) => field !== null && readable.has(field);
	const keep = <T>(field: string | null, value: T): T | null => (may(field) ? value : null);
	const { client, rfm, lifecycle, next_purchase, listmonk } = profile;
	return {
		...profile,
		client: { id: client.id, name: keep(m.client_name_field, client.name), email: keep(m.client_email_field, client.email), email_consent: keep(m.client_consent_field, client.email_consent) },
		rfm: {
			code: keep('rfm_code', rfm.code), r: keep('rfm_r', rfm.r), f: keep('rfm_f', rfm.f), m: keep('rfm_m', rfm.m), segment: keep('rfm_segment', rfm.segment),
			frequency: keep('rfm_frequency', rfm.frequency), monetary: keep('rfm_monetary', rfm.monetary), avg_order_value: keep('avg_order_value', rfm.avg_order_value),
			first_purchase_at: keep('first_purchase_at', rfm.first_purchase_at), last_purchase_at: keep('last_purchase_at', rfm.last_purchase_at), computed_at: keep('rfm_computed_at', rfm.computed_at),
		},
		lifecycle: { stage: keep('lifecycle_stage', lifecycle.stage), since: keep('lifecycle_changed_at', lifecycle.since) },
		value_tier: keep('value_tier', profile.value_tier),
		spend_trend: keep('spend_trend', profile.spend_trend),
		next_purchase: { due_at: keep('next_purchase_due_at', next_purchase.due_at), cycle_days: keep('purchase_cycle_days', next_purchase.cycle_days), sleeping: keep('is_sleeping', next_purchase.sleeping) },
		listmonk: { email_status: keep('listmonk_email_status', listmonk.email_status), subscriber_id: keep('listmonk_subscriber_id', listmonk.subscriber_id) },
	};
}
