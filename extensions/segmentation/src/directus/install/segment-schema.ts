// Schema version 3: interest tags and segments. Four registered collections (tags, the client↔tag junction,
// segments, the member junction), the tags alias on the mapped client collection, and their App presentation.
// Events and size snapshots are plain tables (store/tables.ts): they don't count against the Core tier.
import { FOLDER_COLLECTION, SEGMENT_NAMES } from '../../core/base-names.ts';
import type { Mapping } from '../../core/mapping.ts';
import { t, tc, type CollectionSpec, type FieldSpec, type RelationSpec } from './blueprint.ts';

const id = (): FieldSpec => ({ field: 'id', type: 'integer', meta: { hidden: true, readonly: true, interface: 'input' }, schema: { is_primary_key: true, has_auto_increment: true } });
const fk = (field: string, en: string, ru: string, template: string, meta: Record<string, unknown> = {}, schema: Record<string, unknown> = {}): FieldSpec => ({
	field,
	type: 'integer',
	meta: { interface: 'select-dropdown-m2o', special: ['m2o'], options: { template }, display: 'related-values', display_options: { template }, translations: t(en, ru), width: 'half', ...meta },
	schema: { is_indexed: true, ...schema },
});
const when = (field: string, en: string, ru: string, note: string, meta: Record<string, unknown> = {}): FieldSpec => ({
	field,
	type: 'timestamp',
	meta: { interface: 'datetime', display: 'datetime', display_options: { relative: true }, translations: t(en, ru), note, width: 'half', ...meta },
	schema: {},
});

export const TAG_SOURCES = [
	{ value: 'manual', en: 'By hand', ru: 'Вручную', color: '#3399FF' },
	{ value: 'auto', en: 'From purchases', ru: 'Из покупок', color: '#2ECDA7' },
];
export const SEGMENT_KINDS = [
	{ value: 'dynamic', en: 'Dynamic (follows the rule)', ru: 'Динамический (по правилу)' },
	{ value: 'static', en: 'Static (picked members)', ru: 'Статический (выбранные клиенты)' },
];

export function segmentCollections(m: Mapping): CollectionSpec[] {
	const n = SEGMENT_NAMES;
	const clientTemplate = `{{${m.client_name_field ?? 'id'}}} · {{${m.client_email_field}}}`;
	return [
		{
			collection: n.tags,
			meta: { icon: 'sell', group: FOLDER_COLLECTION, sort: 6, display_template: '{{name}}', translations: tc(['Tag', 'Tags'], ['Тег', 'Теги']), note: 'Interests of clients: by hand, or from the categories they buy' },
			fields: [
				id(),
				{ field: 'name', type: 'string', meta: { interface: 'input', required: true, translations: t('Name', 'Название'), width: 'half' }, schema: { is_unique: true, is_nullable: false } },
				{ field: 'color', type: 'string', meta: { interface: 'select-color', display: 'color', translations: t('Colour', 'Цвет'), width: 'half' }, schema: {} },
				fk('category', 'Product category', 'Категория товаров', '{{name}}', { note: 'Purchases in this category add the tag automatically (until the category’s interest lifetime runs out)' }),
			],
		},
		{
			collection: n.clientTags,
			meta: { icon: 'label', group: FOLDER_COLLECTION, sort: 7, hidden: true, display_template: '{{tag.name}}', translations: tc(['Client tag', 'Client tags'], ['Тег клиента', 'Теги клиентов']) },
			fields: [
				id(),
				fk('client', 'Client', 'Клиент', clientTemplate, { required: true }),
				fk('tag', 'Tag', 'Тег', '{{name}}', { required: true }),
				{
					field: 'source',
					type: 'string',
					meta: {
						interface: 'select-dropdown',
						options: { choices: TAG_SOURCES.map((s) => ({ text: s.en, value: s.value })) },
						display: 'labels',
						display_options: { choices: TAG_SOURCES.map((s) => ({ text: s.en, value: s.value, background: s.color, foreground: '#FFFFFF' })) },
						translations: t('Source', 'Источник'),
						note: 'By hand: stays until removed. From purchases: refreshed by each purchase, removed when it expires',
						width: 'half',
					},
					schema: { default_value: 'manual', is_nullable: false },
				},
				when('added_at', 'Added', 'Добавлен', 'When the client got the tag', { readonly: true }),
				when('expires_at', 'Expires', 'Истекает', 'Empty = never (tags by hand, categories without an interest lifetime)'),
				fk('deal', 'Caused by deal', 'Из сделки', '{{id}} · {{amount}}', { readonly: true, note: 'The latest won deal that added this tag' }),
			],
		},
		{
			collection: n.segments,
			meta: {
				icon: 'donut_small',
				group: FOLDER_COLLECTION,
				sort: 8,
				display_template: '{{name}} ({{member_count}})',
				translations: tc(['Segment', 'Segments'], ['Сегмент', 'Сегменты']),
				note: 'Groups of clients by a rule over their behaviour, deals and tags',
				sort_field: null,
			},
			fields: [
				id(),
				{ field: 'name', type: 'string', meta: { interface: 'input', required: true, translations: t('Name', 'Название'), width: 'half' }, schema: { is_nullable: false } },
				{
					field: 'kind',
					type: 'string',
					meta: {
						interface: 'select-dropdown',
						options: { choices: SEGMENT_KINDS.map((k) => ({ text: k.en, value: k.value })) },
						display: 'labels',
						display_options: { choices: SEGMENT_KINDS.map((k) => ({ text: k.en, value: k.value })) },
						translations: t('Kind', 'Тип'),
						width: 'half',
					},
					schema: { default_value: 'dynamic', is_nullable: false },
				},
				{ field: 'description', type: 'text', meta: { interface: 'input-multiline', translations: t('Description', 'Описание'), width: 'full' }, schema: {} },
				{
					field: 'rule',
					type: 'json',
					meta: {
						interface: 'system-filter',
						special: ['cast-json'],
						options: { collectionName: m.client_collection },
						translations: t('Rule', 'Правило'),
						note: 'Who is in the segment: conditions on the client, their deals and tags. A dynamic segment follows it at every change; a static one can be filled from it once (Refresh)',
						width: 'full',
					},
					schema: {},
				},
				{
					field: 'is_active',
					type: 'boolean',
					meta: { interface: 'boolean', special: ['cast-boolean'], display: 'boolean', translations: t('Active', 'Активен'), note: 'Inactive segments keep their last members and are not updated', width: 'half' },
					schema: { default_value: false, is_nullable: false },
				},
				{ field: 'member_count', type: 'integer', meta: { interface: 'input', readonly: true, display: 'formatted-value', translations: t('Members', 'Участников'), width: 'half' }, schema: { default_value: 0 } },
				when('computed_at', 'Last full refresh', 'Последний пересчёт', 'When the whole membership was last re-evaluated', { readonly: true }),
				{ field: 'template_key', type: 'string', meta: { interface: 'input', hidden: true, readonly: true, note: 'Built-in library template this segment came from' }, schema: { is_unique: true } },
			],
		},
		{
			collection: n.members,
			meta: { icon: 'group', group: FOLDER_COLLECTION, sort: 9, hidden: true, display_template: `{{client.${m.client_name_field ?? 'id'}}}`, translations: tc(['Segment member', 'Segment members'], ['Участник сегмента', 'Участники сегментов']) },
			fields: [
				id(),
				fk('segment', 'Segment', 'Сегмент', '{{name}}', { required: true }),
				fk('client', 'Client', 'Клиент', clientTemplate, { required: true }),
				when('entered_at', 'Entered', 'Вошёл', 'When the client entered the segment', { readonly: true }),
			],
		},
	];
}

/** The m2m aliases: tags on the client card, members on the segment form. */
export function segmentAliases(m: Mapping): { clientTags: FieldSpec; members: FieldSpec } {
	const clientTemplate = `{{client.${m.client_name_field ?? 'id'}}} · {{client.${m.client_email_field}}}`;
	return {
		clientTags: {
			field: SEGMENT_NAMES.clientTagsAlias,
			type: 'alias',
			meta: {
				interface: 'list-m2m',
				special: ['m2m'],
				options: { template: '{{tag.name}}', enableCreate: true, enableSelect: true },
				display: 'related-values',
				display_options: { template: '{{tag.name}}' },
				translations: t('Interest tags', 'Теги интересов'),
				note: 'Added by hand, or from the categories of won deals (those fade when the category’s interest lifetime ends)',
				width: 'full',
			},
		},
		members: {
			field: 'members',
			type: 'alias',
			meta: {
				interface: 'list-m2m',
				special: ['m2m'],
				options: { template: clientTemplate, enableCreate: false, limit: 25 },
				display: 'related-values',
				display_options: { template: clientTemplate },
				translations: t('Members', 'Участники'),
				note: 'Dynamic segments: computed from the rule. Static segments: pick clients here',
				conditions: [{ name: 'Computed for dynamic segments', rule: { _and: [{ kind: { _eq: 'dynamic' } }] }, readonly: true, options: {} }],
				width: 'full',
			},
		},
	};
}

export function segmentRelations(m: Mapping): Array<RelationSpec & { junction_field?: string }> {
	const n = SEGMENT_NAMES;
	const aliases = segmentAliases(m);
	return [
		{ collection: n.tags, field: 'category', related_collection: m.category_collection, on_delete: 'SET NULL' },
		{ collection: n.clientTags, field: 'client', related_collection: m.client_collection, one_field: n.clientTagsAlias, one_field_spec: aliases.clientTags, junction_field: 'tag', on_delete: 'CASCADE' },
		{ collection: n.clientTags, field: 'tag', related_collection: n.tags, junction_field: 'client', on_delete: 'CASCADE' },
		{ collection: n.clientTags, field: 'deal', related_collection: m.deal_collection, on_delete: 'SET NULL' },
		{ collection: n.members, field: 'segment', related_collection: n.segments, one_field: 'members', one_field_spec: aliases.members, junction_field: 'client', on_delete: 'CASCADE' },
		{ collection: n.members, field: 'client', related_collection: m.client_collection, junction_field: 'segment', on_delete: 'CASCADE' },
	];
}
