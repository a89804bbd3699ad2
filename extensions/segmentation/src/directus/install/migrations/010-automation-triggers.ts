// v10: automations grow a trigger (falling asleep, or a deal lost over a reason), an action (a personal code by
// transactional message, the message alone, or an interest tag) and a channel (fixed, or the client's own: their lead
// source mapped to a Listmonk messenger in the settings). Registers no collection.
import { AUTOMATION_NAMES, SEGMENT_NAMES, SETTINGS_COLLECTION } from '../../../core/base-names.ts';
import { t, type FieldSpec } from '../blueprint.ts';
import { createField, createRelation } from '../schema-steps.ts';
import type { Migration } from './migration.ts';

const choices = (list: Array<[string, string]>) => ({ choices: list.map(([value, text]) => ({ value, text })) });

export const AUTOMATION_TRIGGER_FIELDS: FieldSpec[] = [
	{
		field: 'trigger',
		type: 'string',
		meta: {
			interface: 'select-dropdown',
			options: choices([['sleeping', 'Client falling asleep'], ['refused', 'Deal lost over a reason']]),
			display: 'labels',
			translations: t('Trigger', 'Триггер'),
			note: 'Falling asleep: members of the target segment past the delay. Refused: a lost deal with the loss reason below, the delay after it closed, no purchase since',
			width: 'half',
		},
		schema: { default_value: 'sleeping', is_nullable: false },
	},
	{
		field: 'loss_reason',
		type: 'string',
		meta: {
			interface: 'input',
			translations: t('Loss reason', 'Причина отказа'),
			note: 'For “Deal lost over a reason”: the value of the deals’ loss reason field, e.g. price or assortment',
			width: 'half',
			conditions: [{ name: 'Only for refused deals', rule: { trigger: { _neq: 'refused' } }, hidden: true }],
		},
		schema: { max_length: 255 },
	},
	{
		field: 'action',
		type: 'string',
		meta: {
			interface: 'select-dropdown',
			options: choices([['promo', 'Personal promo code by message'], ['message', 'Message only'], ['tag', 'Add an interest tag (joins its segment’s list)']]),
			display: 'labels',
			translations: t('Action', 'Действие'),
			note: 'A tag puts the client in the segment on that tag; synced to Listmonk, that is the list of e.g. new-arrivals campaigns',
			width: 'half',
		},
		schema: { default_value: 'promo', is_nullable: false },
	},
	{
		field: 'tag',
		type: 'integer',
		meta: {
			interface: 'select-dropdown-m2o',
			special: ['m2o'],
			options: { template: '{{name}}' },
			display: 'related-values',
			display_options: { template: '{{name}}' },
			translations: t('Tag to add', 'Добавить тег'),
			width: 'half',
			conditions: [{ name: 'Only for the tag action', rule: { action: { _neq: 'tag' } }, hidden: true }],
		},
		schema: {},
	},
	{
		field: 'channel',
		type: 'string',
		meta: {
			interface: 'select-dropdown',
			options: choices([['fixed', 'The messenger below'], ['client', 'The client’s own (by lead source)']]),
			display: 'labels',
			translations: t('Channel', 'Канал доставки'),
			note: 'The client’s own: their lead source mapped to a messenger in the segmentation settings; email when that messenger is not configured in Listmonk',
			width: 'half',
		},
		schema: { default_value: 'fixed', is_nullable: false },
	},
];

export const LEAD_SOURCE_MESSENGERS_FIELD: FieldSpec = {
	field: 'lead_source_messengers',
	type: 'json',
	meta: {
		interface: 'list',
		special: ['cast-json'],
		translations: t('Channel by lead source', 'Канал по источнику'),
		note: 'For automations on “the client’s own” channel: a client who came from this lead source is reached through this Listmonk messenger (email when it is not configured in Listmonk)',
		width: 'full',
		options: {
			template: '{{lead_source}} → {{messenger}}',
			fields: [
				{ field: 'lead_source', name: 'Lead source', type: 'string', meta: { interface: 'input', width: 'half', required: true, options: { placeholder: 'Telegram bot' } } },
				{ field: 'messenger', name: 'Listmonk messenger', type: 'string', meta: { interface: 'input', width: 'half', required: true, options: { placeholder: 'telegram' } } },
			],
		},
	},
	schema: {},
};

export const automationTriggersMigration: Migration = {
	version: 10,
	name: 'automation-triggers',
	collections: () => [],
	async up(ctx) {
		for (const field of AUTOMATION_TRIGGER_FIELDS) await createField(ctx, AUTOMATION_NAMES.automations, field);
		await createRelation(ctx, { collection: AUTOMATION_NAMES.automations, field: 'tag', related_collection: SEGMENT_NAMES.tags, on_delete: 'SET NULL' }, false);
		await createField(ctx, SETTINGS_COLLECTION, LEAD_SOURCE_MESSENGERS_FIELD);
		return [];
	},
};
