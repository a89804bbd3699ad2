// The mapping says which collections and fields of the client base play which role. Every later SQL reads its
// identifiers from here, so a base named differently works; nothing here knows about Directus or SQL.
import { z } from 'zod';

/** Roles a base may lack (null): the features that need them stay off. */
export const OPTIONAL_FIELD_KEYS = ['client_name_field', 'client_lead_source_field', 'client_difficult_field', 'deal_loss_reason_field'] as const;

/** A SQL-safe identifier: what we accept before a name may ever reach a query (it is also checked live). */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Collections a mapping may never name, whatever the live schema holds: Directus's own (`directus_*`: mapping the
 *  client base there once made the installer grant the Marketer policy `directus_users` and add columns to it) and
 *  the extension's own (its collections, its folder and its plain `segmentation_*` tables). Case-insensitive:
 *  SQLite resolves table names regardless of case. Kept here, not read from base-names.ts, which imports this file;
 *  a unit test pins that every name base-names.ts registers is in the list. */
export const RESERVED_COLLECTIONS = ['segmentation_settings', 'client_base', 'tags', 'client_tags', 'segments', 'segment_members'] as const;

/** Why a collection may not be mapped (a sentence), or null when it may. */
export function reservedCollectionReason(name: string): string | null {
	const lower = name.toLowerCase();
	if (lower.startsWith('directus_')) return `"${name}" is a Directus system collection; the mapping may only name collections of the client base`;
	if (lower.startsWith('segmentation_') || (RESERVED_COLLECTIONS as readonly string[]).includes(lower)) {
		return `"${name}" belongs to the segmentation extension itself; the mapping may only name collections of the client base`;
	}
	return null;
}

const identifier = z
	.string({ error: 'must be a collection or field name' })
	.regex(IDENTIFIER, 'must be a plain identifier: letters, digits and _, not starting with a digit, at most 63 characters');
/** A collection of the client base: an identifier that is not reserved. */
const collectionName = identifier.superRefine((name, ctx) => {
	const reason = reservedCollectionReason(name);
	if (reason) ctx.addIssue({ code: 'custom', message: reason });
});
const statusValue = z.string({ error: 'must be a status value' }).trim().min(1, 'must not be empty').max(64);

export const mappingSchema = z
	.object({
		client_collection: collectionName,
		client_name_field: identifier.nullable(),
		client_email_field: identifier,
		client_consent_field: identifier,
		client_lead_source_field: identifier.nullable(),
		client_difficult_field: identifier.nullable(),
		deal_collection: collectionName,
		deal_client_field: identifier,
		deal_status_field: identifier,
		deal_status_won: statusValue,
		deal_status_lost: statusValue,
		deal_status_open: statusValue,
		deal_status_uninterested: statusValue,
		deal_amount_field: identifier,
		deal_created_field: identifier,
		deal_closed_field: identifier,
		deal_loss_reason_field: identifier.nullable(),
		item_collection: collectionName,
		item_deal_field: identifier,
		item_product_field: identifier,
		product_collection: collectionName,
		product_category_field: identifier,
		category_collection: collectionName,
		category_interest_days_field: identifier,
	})
	.strict()
	.superRefine((m, ctx) => {
		const statuses = [m.deal_status_won, m.deal_status_lost, m.deal_status_open, m.deal_status_uninterested];
		if (new Set(statuses).size !== statuses.length) {
			ctx.addIssue({ code: 'custom', path: ['deal_status_won'], message: 'the won, lost, open and uninterested status values must all differ' });
		}
		const collections = [m.client_collection, m.deal_collection, m.item_collection, m.product_collection, m.category_collection];
		if (new Set(collections).size !== collections.length) {
			ctx.addIssue({ code: 'custom', path: ['client_collection'], message: 'client, deal, item, product and category collections must all differ' });
		}
	});

export type Mapping = z.infer<typeof mappingSchema>;
export type MappingKey = keyof Mapping;
export const MAPPING_KEYS = Object.keys(mappingSchema.shape) as MappingKey[];

export const DEFAULT_MAPPING: Mapping = {
	client_collection: 'clients',
	client_name_field: 'name',
	client_email_field: 'email',
	client_consent_field: 'email_consent',
	client_lead_source_field: 'lead_source',
	client_difficult_field: 'difficult',
	deal_collection: 'deals',
	deal_client_field: 'client',
	deal_status_field: 'status',
	deal_status_won: 'won',
	deal_status_lost: 'lost',
	deal_status_open: 'open',
	deal_status_uninterested: 'uninterested',
	deal_amount_field: 'amount',
	deal_created_field: 'created_at',
	deal_closed_field: 'closed_at',
	deal_loss_reason_field: 'loss_reason',
	item_collection: 'deal_items',
	item_deal_field: 'deal',
	item_product_field: 'product',
	product_collection: 'products',
	product_category_field: 'category',
	category_collection: 'product_categories',
	category_interest_days_field: 'interest_days',
};

/** The subset of Directus's schema overview the checks need; Directus's own object fits it structurally. */
export interface LiveSchema {
	collections: Record<string, { primary: string; fields: Record<string, { type: string }> }>;
	relations: ReadonlyArray<{ collection: string; field: string; related_collection: string | null }>;
}

export type MappingCheck = { ok: true; mapping: Mapping } | { ok: false; errors: string[] };

/** Turns zod issues into `key: message` lines that name the bad setting. */
export function formatIssues(error: z.ZodError): string[] {
	return error.issues.map((issue) => {
		const path = issue.path.join('.');
		if (issue.code === 'unrecognized_keys') return `unknown setting(s): ${issue.keys.join(', ')}`;
		return path ? `${path}: ${issue.message}` : issue.message;
	});
}

/** Shape only: identifiers are well-formed, status values distinct. Used before the collections exist. */
export function parseMapping(input: unknown): MappingCheck {
	const parsed = mappingSchema.safeParse(input);
	return parsed.success ? { ok: true, mapping: parsed.data } : { ok: false, errors: formatIssues(parsed.error) };
}

const STRING_TYPES = ['string', 'text', 'uuid'];
const NUMBER_TYPES = ['decimal', 'float', 'integer', 'bigInteger'];
const DATE_TYPES = ['timestamp', 'dateTime', 'date'];

type CollectionKey = 'client_collection' | 'deal_collection' | 'item_collection' | 'product_collection' | 'category_collection';
type FieldRole = { key: MappingKey; collectionKey: CollectionKey; types?: string[]; relatesTo?: CollectionKey };

/** What each mapped field must be in its collection: a type family, or a many-to-one towards another role. */
const FIELD_ROLES: FieldRole[] = [
	{ key: 'client_name_field', collectionKey: 'client_collection', types: STRING_TYPES },
	{ key: 'client_email_field', collectionKey: 'client_collection', types: STRING_TYPES },
	{ key: 'client_consent_field', collectionKey: 'client_collection', types: ['boolean'] },
	{ key: 'client_lead_source_field', collectionKey: 'client_collection', types: STRING_TYPES },
	{ key: 'client_difficult_field', collectionKey: 'client_collection', types: ['boolean'] },
	{ key: 'deal_client_field', collectionKey: 'deal_collection', relatesTo: 'client_collection' },
	{ key: 'deal_status_field', collectionKey: 'deal_collection', types: STRING_TYPES },
	{ key: 'deal_amount_field', collectionKey: 'deal_collection', types: NUMBER_TYPES },
	{ key: 'deal_created_field', collectionKey: 'deal_collection', types: DATE_TYPES },
	{ key: 'deal_closed_field', collectionKey: 'deal_collection', types: DATE_TYPES },
	{ key: 'deal_loss_reason_field', collectionKey: 'deal_collection', types: STRING_TYPES },
	{ key: 'item_deal_field', collectionKey: 'item_collection', relatesTo: 'deal_collection' },
	{ key: 'item_product_field', collectionKey: 'item_collection', relatesTo: 'product_collection' },
	{ key: 'product_category_field', collectionKey: 'product_collection', relatesTo: 'category_collection' },
	{ key: 'category_interest_days_field', collectionKey: 'category_collection', types: ['integer', 'bigInteger'] },
];

const COLLECTION_KEYS: CollectionKey[] = ['client_collection', 'deal_collection', 'item_collection', 'product_collection', 'category_collection'];

/** Shape plus the live schema: every collection exists, every field exists with a fitting type or relation. */
export function checkMapping(input: unknown, live: LiveSchema): MappingCheck {
	const shape = parseMapping(input);
	if (!shape.ok) return shape;
	const m = shape.mapping;
	const errors: string[] = [];
	for (const key of COLLECTION_KEYS) {
		if (!live.collections[m[key]]) errors.push(`${key}: collection "${m[key]}" does not exist`);
	}
	for (const role of FIELD_ROLES) {
		const collection = m[role.collectionKey];
		const fields = live.collections[collection]?.fields;
		if (!fields) continue; // already reported above
		const fieldName = m[role.key];
		if (fieldName === null) continue; // an optional role the base does not have
		const field = fields[fieldName];
		if (!field) {
			errors.push(`${role.key}: field "${fieldName}" does not exist in collection "${collection}"`);
			continue;
		}
		if (role.types && !role.types.includes(field.type)) {
			errors.push(`${role.key}: field "${collection}.${fieldName}" is of type ${field.type}, expected ${role.types.join(' or ')}`);
		}
		if (role.relatesTo) {
			const target = m[role.relatesTo];
			const relation = live.relations.find((r) => r.collection === collection && r.field === fieldName);
			if (relation?.related_collection !== target) {
				errors.push(`${role.key}: field "${collection}.${fieldName}" must be a many-to-one relation to "${target}"`);
			}
		}
	}
	return errors.length ? { ok: false, errors } : { ok: true, mapping: m };
}

/** Picks the mapping keys out of a settings row (which also holds other settings). */
export function mappingFromRow(row: Record<string, unknown>): Record<string, unknown> {
	return Object.fromEntries(MAPPING_KEYS.map((key) => [key, row[key]]));
}

/** The mapping keys a settings payload changes (its value differs from the saved row's): what only an admin may do. */
export function changedMappingKeys(saved: Record<string, unknown>, payload: Record<string, unknown>): MappingKey[] {
	const norm = (v: unknown) => (v === undefined || v === '' ? null : v);
	return MAPPING_KEYS.filter((key) => key in payload && norm(payload[key]) !== norm(saved[key]));
}
