// v11: multi-step promo sequences. One registered collection marketers edit (name, target segment, shared code, the
// steps with their times, subjects and bodies); the launch fills in the list segment, the Listmonk list and the
// campaigns with their stats. Won deals get the id of the code they redeemed, so a rule can leave redeemers out.
import { FOLDER_COLLECTION, PROMO_NAMES, SEGMENT_NAMES, SEQUENCE_NAMES } from '../../../core/base-names.ts';
import type { Mapping } from '../../../core/mapping.ts';
import { CODE_PLACEHOLDER, MAX_STEPS } from '../../../core/sequence.ts';
import { REDEMPTIONS_TABLE } from '../../../store/tables.ts';
import { folderCollection, t, tc, type CollectionSpec, type FieldSpec, type RelationSpec } from '../blueprint.ts';
import { createField, createMissingCollections, createRelation } from '../schema-steps.ts';
import type { Migration } from './migration.ts';

const STATE_CHOICES = [
	{ value: 'draft', text: 'Draft', background: '#A2B5CD' },
	{ value: 'launching', text: 'Launching', background: '#FFA439' },
	{ value: 'scheduled', text: 'Scheduled', background: '#2ECDA7' },
	{ value: 'cancelled', text: 'Cancelled', background: '#E35169' },
];

const m2o = (field: string, en: string, ru: string, note: string, meta: Record<string, unknown> = {}): FieldSpec => ({
	field,
	type: 'integer',
	meta: { interface: 'select-dropdown-m2o', special: ['m2o'], options: { template: '{{name}}' }, display: 'related-values', display_options: { template: '{{name}}' }, translations: t(en, ru), note, width: 'half', ...meta },
	schema: { is_indexed: true },
});

export function sequenceCollections(): CollectionSpec[] {
	return [
		{
			collection: SEQUENCE_NAMES.sequences,
			meta: {
				icon: 'campaign',
				group: FOLDER_COLLECTION,
				sort: 12,
				display_template: '{{name}} · {{status}}',
				translations: tc(['Promo sequence', 'Promo sequences'], ['Промо-цепочка', 'Промо-цепочки']),
				note: 'A shared promo code sent in steps (announcement, start, reminder) as scheduled Listmonk campaigns; clients who redeem it leave the list before the next step',
			},
			fields: [
				{ field: 'id', type: 'integer', meta: { hidden: true, readonly: true, interface: 'input' }, schema: { is_primary_key: true, has_auto_increment: true } },
				{ field: 'name', type: 'string', meta: { interface: 'input', required: true, translations: t('Name', 'Название'), width: 'half' }, schema: { is_nullable: false } },
				{
					field: 'status',
					type: 'string',
					meta: { interface: 'select-dropdown', options: { choices: STATE_CHOICES.map(({ value, text }) => ({ value, text })) }, display: 'labels', display_options: { choices: STATE_CHOICES.map((c) => ({ ...c, foreground: '#FFFFFF' })) }, readonly: true, translations: t('Status', 'Статус'), note: 'Launch and cancel with POST /segmentation/sequences/:id/launch and …/cancel', width: 'half' },
					schema: { default_value: 'draft', is_nullable: false },
				},
				m2o('segment', 'Target segment', 'Целевой сегмент', 'A dynamic segment: its members who have not redeemed the code get the steps'),
				m2o('promo_code', 'Shared promo code', 'Общий промокод', `A shared code; ${CODE_PLACEHOLDER} in a subject or body becomes it`, { options: { template: '{{code}}' }, display_options: { template: '{{code}}' } }),
				{
					field: 'steps',
					type: 'json',
					meta: {
						interface: 'list',
						special: ['cast-json'],
						translations: t('Steps', 'Шаги'),
						note: `Up to ${MAX_STEPS}, each one Listmonk campaign at its time (UTC); a body, or a Listmonk campaign template id`,
						width: 'full',
						options: {
							template: '{{name}} · {{send_at}}',
							addLabel: 'Add a step',
							fields: [
								{ field: 'name', name: 'Step', type: 'string', meta: { interface: 'input', width: 'half', required: true, options: { placeholder: 'Announcement' } } },
								{ field: 'send_at', name: 'Send at', type: 'timestamp', meta: { interface: 'datetime', width: 'half', required: true } },
								{ field: 'subject', name: 'Subject', type: 'string', meta: { interface: 'input', width: 'full', required: true } },
								{ field: 'body', name: 'Body (HTML)', type: 'text', meta: { interface: 'input-rich-text-html', width: 'full' } },
								{ field: 'template_id', name: 'Listmonk campaign template id (optional)', type: 'integer', meta: { interface: 'input', width: 'half' } },
							],
						},
					},
					schema: {},
				},
				m2o('list_segment', 'List segment', 'Сегмент списка', 'Made by the launch: the target’s members without a redemption of the code, synced to the Listmonk list', { readonly: true }),
				{ field: 'listmonk_list_id', type: 'integer', meta: { interface: 'input', readonly: true, translations: t('Listmonk list', 'Список Listmonk'), width: 'half' }, schema: {} },
				{
					field: 'campaigns',
					type: 'json',
					meta: {
						interface: 'list',
						special: ['cast-json'],
						readonly: true,
						translations: t('Campaigns', 'Кампании'),
						note: 'Each step’s Listmonk campaign: status, sent, views, clicks (refreshed by GET /segmentation/sequences/:id/status and every hour)',
						width: 'full',
						options: { template: '{{name}} · #{{campaign_id}} · {{status}} · sent {{sent}} · views {{views}} · clicks {{clicks}}' },
					},
					schema: {},
				},
				{ field: 'dropped_redeemers', type: 'integer', meta: { interface: 'input', display: 'formatted-value', readonly: true, translations: t('Dropped as redeemers', 'Исключены (использовали код)'), width: 'half' }, schema: { default_value: 0 } },
				{ field: 'launched_at', type: 'timestamp', meta: { interface: 'datetime', display: 'datetime', readonly: true, translations: t('Launched', 'Запущена'), width: 'half' }, schema: {} },
				{ field: 'stats_at', type: 'timestamp', meta: { interface: 'datetime', display: 'datetime', display_options: { relative: true }, readonly: true, translations: t('Stats as of', 'Статистика на'), width: 'half' }, schema: {} },
				{ field: 'last_error', type: 'text', meta: { interface: 'input-multiline', readonly: true, translations: t('Last error', 'Последняя ошибка'), width: 'full' }, schema: {} },
			],
		},
	];
}

export function sequenceRelations(): RelationSpec[] {
	const S = SEQUENCE_NAMES.sequences;
	return [
		{ collection: S, field: 'segment', related_collection: SEGMENT_NAMES.segments, on_delete: 'SET NULL' },
		{ collection: S, field: 'promo_code', related_collection: PROMO_NAMES.codes, on_delete: 'SET NULL' },
		{ collection: S, field: 'list_segment', related_collection: SEGMENT_NAMES.segments, on_delete: 'SET NULL' },
	];
}

export const DEAL_REDEEMED_CODE_FIELD: FieldSpec = {
	field: PROMO_NAMES.dealRedeemedCode,
	type: 'integer',
	meta: { interface: 'input', readonly: true, hidden: true, translations: t('Redeemed promo code (id)', 'Погашенный промокод (id)'), note: 'Written by the promo code check' },
	schema: { is_indexed: true },
};

export const promoSequencesMigration: Migration = {
	version: 11,
	name: 'promo-sequences',
	collections: () => sequenceCollections(),
	async up(ctx, mapping: Mapping) {
		const registered = await createMissingCollections(ctx, sequenceCollections(), folderCollection());
		for (const relation of sequenceRelations()) await createRelation(ctx, relation, false);
		await createField(ctx, mapping.deal_collection, DEAL_REDEEMED_CODE_FIELD);
		// deals that redeemed a code before this version learn which one
		const deals = mapping.deal_collection;
		await ctx.database.raw(
			`UPDATE ?? SET ?? = (SELECT r.code_id FROM ?? r WHERE r.deal_id = ??.id AND r.outcome = 'redeemed')
			WHERE EXISTS (SELECT 1 FROM ?? r WHERE r.deal_id = ??.id AND r.outcome = 'redeemed')`,
			[deals, PROMO_NAMES.dealRedeemedCode, REDEMPTIONS_TABLE, deals, REDEMPTIONS_TABLE, deals],
		);
		return registered;
	},
};
