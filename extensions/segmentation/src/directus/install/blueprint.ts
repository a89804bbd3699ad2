// What the extension registers in Directus on a new install: the base collections (named by the mapping), the
// settings singleton, their App presentation (interfaces, displays, en/ru translations) and the relations.
import { baseNames, FOLDER_COLLECTION, SETTINGS_COLLECTION } from '../../core/base-names.ts';
import { LEAD_SOURCES, LOSS_REASONS } from '../../core/demo-data.ts';
import { MAPPING_KEYS, type Mapping } from '../../core/mapping.ts';
import { ROLE_LABELS } from '../../core/mapping-labels.ts';

type Translations = Array<{ language: string; translation: string; singular?: string; plural?: string }>;
export interface FieldSpec {
	field: string;
	type: string;
	meta?: Record<string, unknown>;
	schema?: Record<string, unknown> | null;
}
export interface CollectionSpec {
	collection: string;
	meta: Record<string, unknown>;
	fields: FieldSpec[];
}
export interface RelationSpec {
	collection: string;
	field: string;
	related_collection: string;
	/** The reverse alias field on the related collection (o2m), if any. */
	one_field?: string;
	one_field_spec?: FieldSpec;
	on_delete: 'SET NULL' | 'CASCADE';
}

/** A field's or collection's label in English and Russian. */
export const t = (en: string, ru: string): Translations => [
	{ language: 'en-US', translation: en },
	{ language: 'ru-RU', translation: ru },
];
/** A collection's label with its singular and plural, in English and Russian. */
export const tc = (en: [string, string], ru: [string, string]): Translations => [
	{ language: 'en-US', translation: en[1], singular: en[0], plural: en[1] },
	{ language: 'ru-RU', translation: ru[1], singular: ru[0], plural: ru[1] },
];
const choices = (list: ReadonlyArray<{ value: string; en: string }>) => list.map((c) => ({ text: c.en, value: c.value }));

const id = (): FieldSpec => ({
	field: 'id',
	type: 'integer',
	meta: { hidden: true, readonly: true, interface: 'input' },
	schema: { is_primary_key: true, has_auto_increment: true },
});
const str = (field: string, en: string, ru: string, extra: Record<string, unknown> = {}, schema: Record<string, unknown> = {}): FieldSpec => ({
	field,
	type: 'string',
	meta: { interface: 'input', translations: t(en, ru), width: 'half', ...extra },
	schema,
});
const m2o = (field: string, en: string, ru: string, template: string, extra: Record<string, unknown> = {}): FieldSpec => ({
	field,
	type: 'integer',
	meta: {
		interface: 'select-dropdown-m2o',
		special: ['m2o'],
		options: { template },
		display: 'related-values',
		display_options: { template },
		translations: t(en, ru),
		width: 'half',
		...extra,
	},
	// foreign keys are looked up per client and per deal (scoring, deletes): index them
	schema: { is_indexed: true },
});
const o2m = (field: string, en: string, ru: string, template: string): FieldSpec => ({
	field,
	type: 'alias',
	meta: { interface: 'list-o2m', special: ['o2m'], options: { template }, display: 'related-values', display_options: { template }, translations: t(en, ru), width: 'full' },
});
const money = (field: string, en: string, ru: string): FieldSpec => ({
	field,
	type: 'decimal',
	meta: { interface: 'input', display: 'formatted-value', display_options: { format: true }, translations: t(en, ru), width: 'half' },
	schema: { numeric_precision: 12, numeric_scale: 2 },
});
const bool = (field: string, en: string, ru: string, note?: string): FieldSpec => ({
	field,
	type: 'boolean',
	meta: { interface: 'boolean', display: 'boolean', special: ['cast-boolean'], translations: t(en, ru), width: 'half', note },
	schema: { default_value: false, is_nullable: false },
});
const when = (field: string, en: string, ru: string, extra: Record<string, unknown> = {}, schema: Record<string, unknown> = {}): FieldSpec => ({
	field,
	type: 'timestamp',
	meta: { interface: 'datetime', display: 'datetime', display_options: { relative: true }, translations: t(en, ru), width: 'half', ...extra },
	schema,
});

const DEAL_STATUS_LABELS: Record<'open' | 'won' | 'lost' | 'uninterested', [string, string]> = {
	open: ['#3399FF', 'Open'],
	won: ['#2ECDA7', 'Won'],
	lost: ['#E35169', 'Lost'],
	uninterested: ['#A2B5CD', 'Uninterested'],
};

export function settingsCollection(): CollectionSpec {
	const mappingFields: FieldSpec[] = MAPPING_KEYS.map((key) => ({
		field: key,
		type: 'string',
		meta: {
			interface: 'input',
			width: 'half',
			note: 'Collection / field name or value in your client base; checked against the live schema on save.',
			translations: t(ROLE_LABELS[key].en, ROLE_LABELS[key].ru),
		},
		schema: {},
	}));
	return {
		collection: SETTINGS_COLLECTION,
		meta: {
			singleton: true,
			icon: 'tune',
			group: FOLDER_COLLECTION,
			sort: 100,
			note: 'Which collections and fields of your base play which role',
			translations: tc(['Segmentation settings', 'Segmentation settings'], ['Настройки сегментации', 'Настройки сегментации']),
		},
		fields: [
			id(),
			{
				field: 'mapping_divider',
				type: 'alias',
				meta: {
					interface: 'presentation-divider',
					special: ['alias', 'no-data'],
					options: { title: 'Client base mapping', icon: 'account_tree' },
					width: 'full',
				},
			},
			...mappingFields,
		],
	};
}

/** The folder the collections are grouped in (a folder has no table and does not count against the limit). */
export function folderCollection(): CollectionSpec {
	return {
		collection: FOLDER_COLLECTION,
		meta: { icon: 'hub', collapse: 'open', sort: 1, translations: tc(['Client base', 'Client base'], ['Клиентская база', 'Клиентская база']) },
		fields: [],
	};
}

/** The base collections in creation order (referenced ones first). */
export function baseCollections(m: Mapping): CollectionSpec[] {
	const n = baseNames(m);
	const s = { won: m.deal_status_won, lost: m.deal_status_lost, open: m.deal_status_open, uninterested: m.deal_status_uninterested };
	return [
		{
			collection: n.categories.table,
			meta: { icon: 'category', group: FOLDER_COLLECTION, sort: 5, display_template: '{{name}}', translations: tc(['Product category', 'Product categories'], ['Категория товаров', 'Категории товаров']) },
			fields: [
				id(),
				str(n.categories.name, 'Name', 'Название', { required: true, width: 'full' }, { is_unique: true }),
				{
					field: n.categories.interestDays,
					type: 'integer',
					meta: {
						interface: 'input',
						options: { min: 1 },
						translations: t('Interest lifetime, days', 'Срок интереса, дней'),
						note: 'How long a purchase in this category keeps a client interested; empty = never fades',
						width: 'half',
					},
					schema: {},
				},
			],
		},
		{
			collection: n.products.table,
			meta: { icon: 'inventory_2', group: FOLDER_COLLECTION, sort: 4, display_template: '{{name}}', translations: tc(['Product', 'Products'], ['Товар', 'Товары']) },
			fields: [
				id(),
				str(n.products.name, 'Name', 'Название', { required: true }),
				str(n.products.sku, 'SKU', 'Артикул', { note: 'Code in the system the product came from; unique when set' }, { is_unique: true }),
				m2o(n.products.category, 'Category', 'Категория', '{{name}}'),
			],
		},
		{
			collection: n.clients.table,
			meta: {
				icon: 'person',
				group: FOLDER_COLLECTION,
				sort: 1,
				display_template: `{{${n.clients.name}}} · {{${n.clients.email}}}`,
				translations: tc(['Client', 'Clients'], ['Клиент', 'Клиенты']),
				archive_field: null,
			},
			fields: [
				id(),
				str(n.clients.name, 'Name', 'Имя', { required: true }),
				str(n.clients.email, 'Email', 'Эл. почта', { options: { iconRight: 'alternate_email' } }),
				str(n.clients.phone, 'Phone', 'Телефон', { options: { iconRight: 'call' } }),
				bool(n.clients.consent, 'Email consent', 'Согласие на рассылку', 'The client agreed to receive marketing email'),
				str(n.clients.leadSource, 'Lead source', 'Источник', {
					interface: 'select-dropdown',
					options: { choices: choices(LEAD_SOURCES), allowOther: true, allowNone: true },
					display: 'labels',
					display_options: { choices: choices(LEAD_SOURCES) },
				}),
				bool(n.clients.difficult, 'Difficult client', 'Сложный клиент', 'Set by hand: overrides the value tier'),
				str(n.clients.externalId, 'External ID', 'Внешний ID', { note: 'Id in the system the client came from; unique when set' }, { is_unique: true }),
				when(n.clients.createdAt, 'Created', 'Создан', { special: ['date-created'], readonly: true }),
			],
		},
		{
			collection: n.deals.table,
			meta: {
				icon: 'handshake',
				group: FOLDER_COLLECTION,
				sort: 2,
				display_template: `{{${n.deals.client}.${n.clients.name}}} · {{${n.deals.amount}}} · {{${n.deals.status}}}`,
				translations: tc(['Deal', 'Deals'], ['Сделка', 'Сделки']),
			},
			fields: [
				id(),
				m2o(n.deals.client, 'Client', 'Клиент', `{{${n.clients.name}}} · {{${n.clients.email}}}`),
				str(
					n.deals.status,
					'Status',
					'Статус',
					{
						interface: 'select-dropdown',
						required: true,
						options: { choices: Object.entries(s).map(([k, v]) => ({ text: DEAL_STATUS_LABELS[k as keyof typeof s][1], value: v })) },
						display: 'labels',
						display_options: {
							choices: Object.entries(s).map(([k, v]) => ({ text: DEAL_STATUS_LABELS[k as keyof typeof s][1], value: v, background: DEAL_STATUS_LABELS[k as keyof typeof s][0], foreground: '#FFFFFF' })),
						},
					},
					{ default_value: s.open, is_nullable: false },
				),
				money(n.deals.amount, 'Amount', 'Сумма'),
				when(n.deals.createdAt, 'Created at', 'Создана', { note: 'Set to the save time when left empty' }),
				when(n.deals.closedAt, 'Closed at', 'Закрыта', { note: 'For a won deal: the purchase time' }),
				str(n.deals.leadSource, 'Lead source', 'Источник', {
					interface: 'select-dropdown',
					options: { choices: choices(LEAD_SOURCES), allowOther: true, allowNone: true },
					display: 'labels',
					display_options: { choices: choices(LEAD_SOURCES) },
				}),
				str(n.deals.promoCode, 'Promo code', 'Промокод'),
				str(n.deals.lossReason, 'Loss reason', 'Причина отказа', {
					interface: 'select-dropdown',
					options: { choices: choices(LOSS_REASONS), allowNone: true },
					display: 'labels',
					display_options: { choices: choices(LOSS_REASONS) },
					conditions: [{ name: 'Only for lost deals', rule: { _and: [{ [n.deals.status]: { _neq: s.lost } }] }, hidden: true, options: {} }],
				}),
				{ field: n.deals.note, type: 'text', meta: { interface: 'input-multiline', translations: t('Note', 'Заметка'), width: 'full' }, schema: {} },
				str(n.deals.externalId, 'External ID', 'Внешний ID', { note: 'Id in the system the deal came from (e.g. invoice number); unique when set' }, { is_unique: true }),
			],
		},
		{
			collection: n.items.table,
			meta: {
				icon: 'shopping_cart',
				group: FOLDER_COLLECTION,
				sort: 3,
				hidden: false,
				display_template: `{{${n.items.product}.name}} × {{quantity}}`,
				translations: tc(['Deal item', 'Deal items'], ['Позиция сделки', 'Позиции сделок']),
			},
			fields: [
				id(),
				m2o(n.items.deal, 'Deal', 'Сделка', '{{id}} · {{amount}}'),
				m2o(n.items.product, 'Product', 'Товар', '{{name}}'),
				{ field: n.items.quantity, type: 'integer', meta: { interface: 'input', translations: t('Quantity', 'Количество'), width: 'half' }, schema: { default_value: 1 } },
				money(n.items.price, 'Price', 'Цена'),
			],
		},
	];
}

export function baseRelations(m: Mapping): RelationSpec[] {
	const n = baseNames(m);
	return [
		{ collection: n.products.table, field: n.products.category, related_collection: n.categories.table, on_delete: 'SET NULL' },
		{
			collection: n.deals.table,
			field: n.deals.client,
			related_collection: n.clients.table,
			one_field: n.clients.deals,
			one_field_spec: o2m(n.clients.deals, 'Deals', 'Сделки', `{{${n.deals.status}}} · {{${n.deals.amount}}} · {{${n.deals.closedAt}}}`),
			on_delete: 'SET NULL',
		},
		{
			collection: n.items.table,
			field: n.items.deal,
			related_collection: n.deals.table,
			one_field: n.deals.items,
			one_field_spec: o2m(n.deals.items, 'Items', 'Позиции', `{{${n.items.product}.name}} × {{quantity}}`),
			on_delete: 'CASCADE',
		},
		{ collection: n.items.table, field: n.items.product, related_collection: n.products.table, on_delete: 'SET NULL' },
	];
}
