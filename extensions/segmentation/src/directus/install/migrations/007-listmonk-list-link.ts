// v7: "Open in Listmonk" on the segment form. The list's address in Listmonk's admin is written by the sync next to
// the list id (the App can't know LISTMONK_URL, an environment variable of the server); a button renders it, hidden
// until the segment has a list. Registers no collection.
import { SEGMENT_NAMES } from '../../../core/base-names.ts';
import { t, type FieldSpec } from '../blueprint.ts';
import { createField } from '../schema-steps.ts';
import { LISTMONK_GROUP } from './006-listmonk-sync.ts';
import type { Migration } from './migration.ts';

export const LIST_LINK_FIELDS: FieldSpec[] = [
	{
		field: 'listmonk_list_url',
		type: 'string',
		meta: { interface: 'input', readonly: true, hidden: true, group: LISTMONK_GROUP, translations: t('Listmonk list address', 'Адрес списка в Listmonk'), note: 'Written by the sync' },
		schema: { max_length: 2000 },
	},
	{
		field: 'listmonk_open',
		type: 'alias',
		meta: {
			interface: 'presentation-links',
			special: ['alias', 'no-data'],
			options: { links: [{ label: 'Open in Listmonk', icon: 'open_in_new', type: 'normal', url: '{{listmonk_list_url}}' }] },
			group: LISTMONK_GROUP,
			width: 'half',
			translations: t('Open in Listmonk', 'Открыть в Listmonk'),
			conditions: [{ name: 'No list yet', rule: { listmonk_list_url: { _null: true } }, hidden: true }],
		},
		schema: null,
	},
];

export const listmonkListLinkMigration: Migration = {
	version: 7,
	name: 'listmonk-list-link',
	collections: () => [],
	async up(ctx) {
		for (const field of LIST_LINK_FIELDS) await createField(ctx, SEGMENT_NAMES.segments, field);
		return [];
	},
};
