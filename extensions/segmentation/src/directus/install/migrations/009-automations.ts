// v9: wake-up automations. One registered collection marketers edit: which segment it watches, when a client
// qualifies, the discount of the personal code, the cooldown, the Listmonk transactional template and messenger.
// What each run sent to whom is a plain table (store/tables.ts), shown through the endpoint and the App.
import { AUTOMATION_NAMES, FOLDER_COLLECTION, SEGMENT_NAMES } from '../../../core/base-names.ts';
import { AUTOMATION_ANCHORS } from '../../../core/automation.ts';
import { folderCollection, t, tc, type CollectionSpec, type FieldSpec, type RelationSpec } from '../blueprint.ts';
import { createMissingCollections, createRelation } from '../schema-steps.ts';
import type { Migration } from './migration.ts';

const ANCHOR_LABELS: Record<(typeof AUTOMATION_ANCHORS)[number], string> = {
	next_purchase_due: 'Days after the next purchase was due',
	last_purchase: 'Days after the last purchase',
};

const num = (field: string, en: string, ru: string, note: string, value: number, meta: Record<string, unknown> = {}): FieldSpec => ({
	field,
	type: 'integer',
	meta: { interface: 'input', display: 'formatted-value', translations: t(en, ru), note, width: 'half', ...meta },
	schema: { default_value: value, is_nullable: false },
});

export function automationCollections(): CollectionSpec[] {
	return [
		{
			collection: AUTOMATION_NAMES.automations,
			meta: {
				icon: 'alarm',
				group: FOLDER_COLLECTION,
				sort: 11,
				display_template: '{{name}}',
				translations: tc(['Automation', 'Automations'], ['Автоматизация', 'Автоматизации']),
				note: 'Wake up clients who are falling asleep: a personal promo code by a Listmonk transactional message, once per sleep',
			},
			fields: [
				{ field: 'id', type: 'integer', meta: { hidden: true, readonly: true, interface: 'input' }, schema: { is_primary_key: true, has_auto_increment: true } },
				{ field: 'name', type: 'string', meta: { interface: 'input', required: true, translations: t('Name', 'Название'), width: 'half' }, schema: { is_nullable: false } },
				{ field: 'is_active', type: 'boolean', meta: { interface: 'boolean', special: ['cast-boolean'], display: 'boolean', translations: t('Active', 'Активна'), note: 'Runs every day (SEGMENTATION_AUTOMATIONS_CRON, default 09:00 UTC) and on demand', width: 'half' }, schema: { default_value: false, is_nullable: false } },
				{
					field: 'segment',
					type: 'integer',
					meta: { interface: 'select-dropdown-m2o', special: ['m2o'], options: { template: '{{name}}' }, display: 'related-values', display_options: { template: '{{name}}' }, translations: t('Target segment', 'Целевой сегмент'), note: 'Its members may get a code; empty: “Falling asleep (used to buy often)”', width: 'half' },
					schema: { is_indexed: true },
				},
				{
					field: 'anchor',
					type: 'string',
					meta: { interface: 'select-dropdown', options: { choices: Object.entries(ANCHOR_LABELS).map(([value, text]) => ({ text, value })) }, display: 'labels', translations: t('Counted from', 'Отсчёт от'), width: 'half' },
					schema: { default_value: 'next_purchase_due', is_nullable: false },
				},
				num('delay_days', 'Delay (days)', 'Задержка (дней)', 'A client qualifies this many days after the date above', 0),
				{ field: 'discount_type', type: 'string', meta: { interface: 'select-dropdown', options: { choices: [{ text: 'Percent', value: 'percent' }, { text: 'Amount', value: 'amount' }] }, display: 'labels', translations: t('Discount type', 'Тип скидки'), width: 'half' }, schema: { default_value: 'percent', is_nullable: false } },
				{ field: 'discount_value', type: 'decimal', meta: { interface: 'input', translations: t('Discount', 'Скидка'), width: 'half' }, schema: { numeric_precision: 12, numeric_scale: 2, default_value: 10, is_nullable: false } },
				num('valid_days', 'Code valid (days)', 'Код действует (дней)', 'From the day it is sent', 14),
				num('cooldown_days', 'Cooldown (days)', 'Пауза (дней)', 'No new code to the same client within this many days', 90),
				{ field: 'tx_template_id', type: 'integer', meta: { interface: 'input', translations: t('Listmonk template id', 'Шаблон Listmonk (id)'), note: 'A transactional (tx) template; its text uses {{ .Tx.Data.promo_code }}, .discount, .valid_until, .name, .rfm_code …', width: 'half' }, schema: {} },
				{ field: 'messenger', type: 'string', meta: { interface: 'input', translations: t('Messenger', 'Канал'), note: 'Listmonk messenger: email, or a postback messenger such as sms or telegram', width: 'half', options: { placeholder: 'email' } }, schema: { default_value: 'email' } },
				{ field: 'subject', type: 'string', meta: { interface: 'input', translations: t('Subject (optional)', 'Тема (необязательно)'), note: 'Overrides the template’s subject', width: 'full' }, schema: { max_length: 500 } },
				{ field: 'last_run_at', type: 'timestamp', meta: { interface: 'datetime', display: 'datetime', display_options: { relative: true }, readonly: true, translations: t('Last run', 'Последний запуск'), width: 'half' }, schema: {} },
				{ field: 'last_run_summary', type: 'text', meta: { interface: 'input-multiline', readonly: true, translations: t('Last run result', 'Результат запуска'), width: 'full' }, schema: {} },
			],
		},
	];
}

export function automationRelations(): RelationSpec[] {
	return [{ collection: AUTOMATION_NAMES.automations, field: 'segment', related_collection: SEGMENT_NAMES.segments, on_delete: 'SET NULL' }];
}

export const automationsMigration: Migration = {
	version: 9,
	name: 'automations',
	collections: () => automationCollections(),
	async up(ctx) {
		const registered = await createMissingCollections(ctx, automationCollections(), folderCollection());
		for (const relation of automationRelations()) await createRelation(ctx, relation, false);
		return registered;
	},
};
