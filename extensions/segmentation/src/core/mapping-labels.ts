// What each mapping role is called in the App, in English and Russian (settings form and Segmentation module).
import type { MappingKey } from './mapping.ts';

/** Names of the mapping roles, shown next to the collection or field that plays them. */
export const ROLE_LABELS: Record<MappingKey, { en: string; ru: string }> = {
	client_collection: { en: 'Clients', ru: 'Клиенты' },
	client_name_field: { en: 'Client name', ru: 'Имя клиента' },
	client_email_field: { en: 'Client email', ru: 'Эл. почта клиента' },
	client_consent_field: { en: 'Email consent', ru: 'Согласие на рассылку' },
	client_lead_source_field: { en: 'Client lead source', ru: 'Источник клиента' },
	client_difficult_field: { en: '"Difficult" flag', ru: 'Признак «сложный»' },
	deal_collection: { en: 'Deals', ru: 'Сделки' },
	deal_client_field: { en: 'Deal → client', ru: 'Сделка → клиент' },
	deal_status_field: { en: 'Deal status', ru: 'Статус сделки' },
	deal_status_won: { en: 'Status: won', ru: 'Статус: выиграна' },
	deal_status_lost: { en: 'Status: lost', ru: 'Статус: проиграна' },
	deal_status_open: { en: 'Status: open', ru: 'Статус: открыта' },
	deal_status_uninterested: { en: 'Status: uninterested', ru: 'Статус: не заинтересован' },
	deal_amount_field: { en: 'Deal amount', ru: 'Сумма сделки' },
	deal_created_field: { en: 'Deal created at', ru: 'Дата создания сделки' },
	deal_closed_field: { en: 'Deal closed at (purchase time)', ru: 'Дата закрытия (покупки)' },
	deal_loss_reason_field: { en: 'Loss reason', ru: 'Причина отказа' },
	item_collection: { en: 'Deal items', ru: 'Позиции сделок' },
	item_deal_field: { en: 'Item → deal', ru: 'Позиция → сделка' },
	item_product_field: { en: 'Item → product', ru: 'Позиция → товар' },
	product_collection: { en: 'Products', ru: 'Товары' },
	product_category_field: { en: 'Product → category', ru: 'Товар → категория' },
	category_collection: { en: 'Product categories', ru: 'Категории товаров' },
	category_interest_days_field: { en: 'Interest lifetime (days)', ru: 'Срок интереса (дни)' },
};
