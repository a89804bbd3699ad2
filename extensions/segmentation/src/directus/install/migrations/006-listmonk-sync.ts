// v6: the Listmonk sync. On the segment: the switch, the list it syncs to (made on the first sync, or one the
// marketer picks), what happens to leavers and to subscribers added by hand in Listmonk, and the last sync's
// outcome. On the client card: the subscriber's id and email status as Listmonk reports them (read-only; the CRM
// can filter on them). The sync's own state lives in plain tables (store/tables.ts). Registers no collection.
import { SEGMENT_NAMES } from '../../../core/base-names.ts';
import { t, type FieldSpec } from '../blueprint.ts';
import { createField } from '../schema-steps.ts';
import type { Migration } from './migration.ts';

export const LEAVE_ACTION_CHOICES = [
	{ value: 'remove', en: 'Remove from the list', ru: 'Удалить из списка' },
	{ value: 'unsubscribe', en: 'Mark unsubscribed', ru: 'Отметить как отписанного' },
] as const;

export const EMAIL_STATUSES = [
	{ value: 'subscribed', en: 'Subscribed', ru: 'Подписан', color: '#2ECDA7' },
	{ value: 'partly_unsubscribed', en: 'Unsubscribed from some lists', ru: 'Отписан от части списков', color: '#FFA439' },
	{ value: 'unsubscribed', en: 'Unsubscribed', ru: 'Отписан', color: '#A2B5CD' },
	{ value: 'blocklisted', en: 'Blocklisted', ru: 'В чёрном списке', color: '#E35169' },
	{ value: 'refused', en: 'Address refused', ru: 'Адрес отклонён', color: '#E35169' },
] as const;

export const LISTMONK_GROUP = 'listmonk';

export const SEGMENT_SYNC_FIELDS: FieldSpec[] = [
	{
		field: LISTMONK_GROUP,
		type: 'alias',
		meta: { interface: 'group-detail', special: ['alias', 'no-data', 'group'], options: { start: 'open', headerIcon: 'send' }, width: 'full', translations: t('Listmonk', 'Listmonk') },
	},
	{
		field: 'listmonk_sync',
		type: 'boolean',
		meta: {
			interface: 'boolean',
			special: ['cast-boolean'],
			display: 'boolean',
			group: LISTMONK_GROUP,
			width: 'half',
			translations: t('Sync to Listmonk', 'Синхронизировать с Listmonk'),
			note: 'Members with email consent become subscribers of the segment’s Listmonk list within seconds. Nobody who unsubscribed or was blocklisted in Listmonk is ever subscribed again.',
		},
		schema: { default_value: false, is_nullable: false },
	},
	{
		field: 'listmonk_list_id',
		type: 'integer',
		meta: {
			interface: 'input',
			group: LISTMONK_GROUP,
			width: 'half',
			translations: t('Listmonk list id', 'Список Listmonk (id)'),
			note: 'Empty: the first sync makes a private list named after the segment. Or enter the id of an existing list to sync into it.',
		},
		schema: {},
	},
	{
		field: 'listmonk_on_leave',
		type: 'string',
		meta: {
			interface: 'select-dropdown',
			options: { choices: LEAVE_ACTION_CHOICES.map((a) => ({ text: a.en, value: a.value })) },
			display: 'labels',
			group: LISTMONK_GROUP,
			width: 'half',
			translations: t('When a client leaves the segment', 'Когда клиент выходит из сегмента'),
			note: 'Remove: the subscription is deleted (a client who comes back is subscribed again). Mark unsubscribed: it stays as unsubscribed, and Listmonk cannot tell it from the person’s own opt-out, so a client who comes back stays out.',
		},
		schema: { default_value: 'remove', is_nullable: false },
	},
	{
		field: 'listmonk_keep_manual',
		type: 'boolean',
		meta: {
			interface: 'boolean',
			special: ['cast-boolean'],
			display: 'boolean',
			group: LISTMONK_GROUP,
			width: 'half',
			translations: t('Keep subscribers added in Listmonk', 'Оставлять добавленных в Listmonk'),
			note: 'A reconcile finds subscribers someone added to the list by hand in Listmonk: keep them (on) or remove them (off).',
		},
		schema: { default_value: true, is_nullable: false },
	},
	{
		field: 'listmonk_synced_at',
		type: 'timestamp',
		meta: { interface: 'datetime', display: 'datetime', display_options: { relative: true }, readonly: true, group: LISTMONK_GROUP, width: 'half', translations: t('Last synced', 'Синхронизирован'), note: 'When Listmonk last confirmed this segment’s changes' },
		schema: {},
	},
	{
		field: 'listmonk_sync_error',
		type: 'text',
		meta: { interface: 'input-multiline', readonly: true, group: LISTMONK_GROUP, width: 'full', translations: t('Sync problem', 'Проблема синхронизации'), note: 'Why the last sync of this segment failed (empty when it is fine); it is retried with growing pauses.' },
		schema: {},
	},
];

export function clientSyncFields(): FieldSpec[] {
	return [
		{
			field: 'listmonk_email_status',
			type: 'string',
			meta: {
				interface: 'select-dropdown',
				options: { choices: EMAIL_STATUSES.map((s) => ({ text: s.en, value: s.value })) },
				display: 'labels',
				display_options: { choices: EMAIL_STATUSES.map((s) => ({ text: s.en, value: s.value, background: s.color, foreground: '#FFFFFF' })) },
				readonly: true,
				width: 'half',
				translations: t('Email status (Listmonk)', 'Статус рассылки (Listmonk)'),
				note: 'As Listmonk reports it: empty until the client is synced to a list. Unsubscribes and blocklistings are pulled back every few minutes.',
			},
			schema: {},
		},
		{
			field: 'listmonk_subscriber_id',
			type: 'integer',
			meta: { interface: 'input', readonly: true, width: 'half', translations: t('Listmonk subscriber', 'Подписчик Listmonk'), note: 'The subscriber’s id in Listmonk' },
			schema: {},
		},
	];
}

export const listmonkSyncMigration: Migration = {
	version: 6,
	name: 'listmonk-sync',
	collections: () => [],
	async up(ctx, mapping) {
		for (const field of SEGMENT_SYNC_FIELDS) await createField(ctx, SEGMENT_NAMES.segments, field);
		for (const field of clientSyncFields()) await createField(ctx, mapping.client_collection, field);
		return [];
	},
};
