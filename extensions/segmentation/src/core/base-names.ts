// Column names of the base collections the extension creates on a new install. Roles the mapping covers take
// their names from it; the rest are fixed. The installer, the seeder and the importer all read names from here.
import type { Mapping } from './mapping.ts';

export interface BaseNames {
	categories: { table: string; id: 'id'; name: 'name'; interestDays: string };
	products: { table: string; id: 'id'; name: 'name'; sku: 'sku'; category: string };
	clients: {
		table: string; id: 'id'; name: string; email: string; phone: 'phone'; consent: string; leadSource: string;
		difficult: string; externalId: 'external_id'; createdAt: 'date_created'; deals: 'deals';
	};
	deals: {
		table: string; id: 'id'; client: string; status: string; amount: string; createdAt: string; closedAt: string;
		leadSource: 'lead_source'; promoCode: 'promo_code'; lossReason: string; note: 'note'; externalId: 'external_id'; items: 'items';
	};
	items: { table: string; id: 'id'; deal: string; product: string; quantity: 'quantity'; price: 'price' };
	settings: { table: 'segmentation_settings' };
}

export const SETTINGS_COLLECTION = 'segmentation_settings';
export const FOLDER_COLLECTION = 'client_base';

export function baseNames(m: Mapping): BaseNames {
	return {
		categories: { table: m.category_collection, id: 'id', name: 'name', interestDays: m.category_interest_days_field },
		products: { table: m.product_collection, id: 'id', name: 'name', sku: 'sku', category: m.product_category_field },
		clients: {
			table: m.client_collection, id: 'id', name: m.client_name_field ?? 'name', email: m.client_email_field, phone: 'phone',
			consent: m.client_consent_field, leadSource: m.client_lead_source_field ?? 'lead_source', difficult: m.client_difficult_field ?? 'difficult',
			externalId: 'external_id', createdAt: 'date_created', deals: 'deals',
		},
		deals: {
			table: m.deal_collection, id: 'id', client: m.deal_client_field, status: m.deal_status_field, amount: m.deal_amount_field,
			createdAt: m.deal_created_field, closedAt: m.deal_closed_field, leadSource: 'lead_source', promoCode: 'promo_code',
			lossReason: m.deal_loss_reason_field ?? 'loss_reason', note: 'note', externalId: 'external_id', items: 'items',
		},
		items: { table: m.item_collection, id: 'id', deal: m.item_deal_field, product: m.item_product_field, quantity: 'quantity', price: 'price' },
		settings: { table: SETTINGS_COLLECTION },
	};
}

/** Collections the tags-and-segments schema (v3) registers; fixed names, created only where missing. */
/** Promo codes: the registered collection, and the fields on the mapped deal collection. */
export const PROMO_NAMES = {
	codes: 'promo_codes',
	dealCode: 'promo_code',
	dealCodeStatus: 'promo_code_status',
	/** The code a won deal redeemed (its id; empty otherwise): a rule can leave a code's redeemers out. */
	dealRedeemedCode: 'redeemed_promo_code',
} as const;

/** Multi-step promo sequences: the registered collection. */
export const SEQUENCE_NAMES = {
	sequences: 'promo_sequences',
} as const;

/** Wake-up automations: the registered collection. */
export const AUTOMATION_NAMES = {
	automations: 'automations',
} as const;

export const SEGMENT_NAMES = {
	tags: 'tags',
	clientTags: 'client_tags',
	segments: 'segments',
	members: 'segment_members',
	/** The many-to-many alias added to the mapped client collection. */
	clientTagsAlias: 'tags',
} as const;
