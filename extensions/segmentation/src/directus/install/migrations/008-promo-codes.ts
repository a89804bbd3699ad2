// v8: promo codes. One registered collection marketers browse (personal codes issued by automations or by hand,
// shared codes of a campaign) and, on the mapped deal collection, the code a deal was won with and what became of it
// (redeemed, or why not). Who redeemed which code is a plain table (store/tables.ts).
import { FOLDER_COLLECTION, PROMO_NAMES } from '../../../core/base-names.ts';
import type { Mapping } from '../../../core/mapping.ts';
import { DISCOUNT_TYPES, PROMO_KINDS, REDEMPTION_OUTCOMES } from '../../../core/promo-code.ts';
import { folderCollection, t, tc, type CollectionSpec, type FieldSpec, type RelationSpec } from '../blueprint.ts';
import { createField, createMissingCollections, createRelation, ensureUniqueIndex } from '../schema-steps.ts';
import { PROMO_INSTALLED_META } from '../../../store/promo-codes.ts';
import { readMeta, writeMeta } from '../../../store/tables.ts';
import type { Migration } from './migration.ts';

const KIND_LABELS: Record<(typeof PROMO_KINDS)[number], [string, string]> = {
	personal: ['Personal (one client, once)', 'Персональный (один клиент, один раз)'],
	shared: ['Shared (every client once)', 'Общий (каждый клиент один раз)'],
};
const DISCOUNT_LABELS: Record<(typeof DISCOUNT_TYPES)[number], [string, string]> = {
	percent: ['Percent', 'Процент'],
	amount: ['Amount', 'Сумма'],
};
export const OUTCOME_LABELS: Record<(typeof REDEMPTION_OUTCOMES)[number], { en: string; ru: string; color: string }> = {
	redeemed: { en: 'Redeemed', ru: 'Погашен', color: '#2ECDA7' },
	unknown: { en: 'Unknown code', ru: 'Неизвестный код', color: '#E35169' },
	not_yet_valid: { en: 'Not valid yet', ru: 'Ещё не действует', color: '#FFA439' },
	expired: { en: 'Expired', ru: 'Истёк', color: '#FFA439' },
	already_used: { en: 'Already used', ru: 'Уже использован', color: '#E35169' },
	not_yours: { en: 'Another client’s code', ru: 'Код другого клиента', color: '#E35169' },
};

const select = (values: Record<string, [string, string]>) => ({
	interface: 'select-dropdown',
	options: { choices: Object.entries(values).map(([value, [text]]) => ({ text, value })) },
	display: 'labels',
	display_options: { choices: Object.entries(values).map(([value, [text]]) => ({ text, value })) },
});

export function promoCollections(m: Mapping): CollectionSpec[] {
	const clientTemplate = `{{${m.client_name_field ?? 'id'}}} · {{${m.client_email_field}}}`;
	const when = (field: string, en: string, ru: string, meta: Record<string, unknown> = {}): FieldSpec => ({
		field,
		type: 'timestamp',
		meta: { interface: 'datetime', display: 'datetime', translations: t(en, ru), width: 'half', ...meta },
		schema: {},
	});
	return [
		{
			collection: PROMO_NAMES.codes,
			meta: {
				icon: 'confirmation_number',
				group: FOLDER_COLLECTION,
				sort: 10,
				display_template: '{{code}}',
				translations: tc(['Promo code', 'Promo codes'], ['Промокод', 'Промокоды']),
				note: 'Personal codes (issued by automations or by hand) and shared ones; a won deal carrying a code redeems it',
			},
			fields: [
				{ field: 'id', type: 'integer', meta: { hidden: true, readonly: true, interface: 'input' }, schema: { is_primary_key: true, has_auto_increment: true } },
				{
					field: 'code',
					type: 'string',
					meta: { interface: 'input', required: true, translations: t('Code', 'Код'), width: 'half', options: { font: 'monospace' }, note: 'Letters and digits; case, spaces and dashes do not matter when a deal carries it' },
					schema: { is_nullable: false, max_length: 64 },
				},
				{ field: 'code_key', type: 'string', meta: { interface: 'input', hidden: true, readonly: true, note: 'The code as it is matched (upper case, letters and digits)' }, schema: { max_length: 64 } },
				{ field: 'kind', type: 'string', meta: { ...select(KIND_LABELS), translations: t('Kind', 'Тип'), width: 'half' }, schema: { default_value: 'personal', is_nullable: false } },
				{
					field: 'client',
					type: 'integer',
					meta: { interface: 'select-dropdown-m2o', special: ['m2o'], options: { template: clientTemplate }, display: 'related-values', display_options: { template: clientTemplate }, translations: t('Client', 'Клиент'), width: 'half', note: 'Personal codes: the only client who can use it', conditions: [{ name: 'Shared codes have no client', rule: { kind: { _eq: 'shared' } }, hidden: true }] },
					schema: { is_indexed: true },
				},
				{ field: 'discount_type', type: 'string', meta: { ...select(DISCOUNT_LABELS), translations: t('Discount type', 'Тип скидки'), width: 'half' }, schema: { default_value: 'percent', is_nullable: false } },
				{ field: 'discount_value', type: 'decimal', meta: { interface: 'input', display: 'formatted-value', translations: t('Discount', 'Скидка'), width: 'half', required: true }, schema: { numeric_precision: 12, numeric_scale: 2, is_nullable: false, default_value: 0 } },
				when('valid_from', 'Valid from', 'Действует с', { note: 'Empty: from the start' }),
				when('valid_until', 'Valid until', 'Действует до', { note: 'Empty: no end' }),
				when('issued_at', 'Issued at', 'Выдан', { readonly: true, special: ['date-created'] }),
				{ field: 'issued_by', type: 'string', meta: { interface: 'input', readonly: true, translations: t('Issued by', 'Кем выдан'), width: 'half', note: 'The automation, Flow or person that issued it' }, schema: { max_length: 200 } },
				when('redeemed_at', 'Redeemed at', 'Погашен', { readonly: true, note: 'Personal codes: when a won deal used it' }),
				{
					field: 'redeemed_deal',
					type: 'integer',
					meta: { interface: 'select-dropdown-m2o', special: ['m2o'], readonly: true, options: { template: '{{id}}' }, display: 'related-values', display_options: { template: '{{id}}' }, translations: t('Redeemed by deal', 'Погашен сделкой'), width: 'half' },
					schema: { is_indexed: true },
				},
				{ field: 'redemptions', type: 'integer', meta: { interface: 'input', readonly: true, display: 'formatted-value', translations: t('Times used', 'Использований'), width: 'half', note: 'Won deals that redeemed it' }, schema: { default_value: 0, is_nullable: false } },
			],
		},
	];
}

export function promoRelations(m: Mapping): RelationSpec[] {
	return [
		{ collection: PROMO_NAMES.codes, field: 'client', related_collection: m.client_collection, on_delete: 'CASCADE' },
		{ collection: PROMO_NAMES.codes, field: 'redeemed_deal', related_collection: m.deal_collection, on_delete: 'SET NULL' },
	];
}

/** On the mapped deal collection: the code (our own base has it already) and what became of it. */
export function dealPromoFields(): FieldSpec[] {
	return [
		{ field: PROMO_NAMES.dealCode, type: 'string', meta: { interface: 'input', translations: t('Promo code', 'Промокод'), width: 'half' }, schema: {} },
		{
			field: PROMO_NAMES.dealCodeStatus,
			type: 'string',
			meta: {
				interface: 'select-dropdown',
				options: { choices: REDEMPTION_OUTCOMES.map((o) => ({ text: OUTCOME_LABELS[o].en, value: o })) },
				display: 'labels',
				display_options: { choices: REDEMPTION_OUTCOMES.map((o) => ({ text: OUTCOME_LABELS[o].en, value: o, background: OUTCOME_LABELS[o].color, foreground: '#FFFFFF' })) },
				readonly: true,
				width: 'half',
				translations: t('Promo code check', 'Проверка промокода'),
				note: 'When the deal is won: redeemed, or why the code was not accepted (unknown, not valid yet, expired, already used, another client’s)',
			},
			schema: {},
		},
	];
}

export const promoCodesMigration: Migration = {
	version: 8,
	name: 'promo-codes',
	collections: promoCollections,
	async up(ctx, mapping) {
		const registered = await createMissingCollections(ctx, promoCollections(mapping), folderCollection());
		for (const relation of promoRelations(mapping)) await createRelation(ctx, relation, false);
		// one code per key, across instances and writers: issuing relies on it
		await ensureUniqueIndex(ctx.database, PROMO_NAMES.codes, ['code_key']);
		for (const field of dealPromoFields()) await createField(ctx, mapping.deal_collection, field);
		// an existing base's deals won before now may carry another system's codes: history, not problems
		if (!(await readMeta(ctx.database, PROMO_INSTALLED_META))) await writeMeta(ctx.database, PROMO_INSTALLED_META, String(Date.now()));
		return registered;
	},
};
