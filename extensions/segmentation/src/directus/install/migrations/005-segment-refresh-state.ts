// v5: a segment's refresh state on the segment itself. `refresh_requested_at` is set by the save that owes a refresh
// (a new or changed rule, a segment switched on), in the save's own transaction, so the refresh survives a crash,
// a restart or a client that hung up; the change pipeline serves and clears it. `refresh_error` tells the marketer
// why a refresh failed or was paused (a rule too costly, a column gone); saving the segment again retries it.
// Registers no collection.
import { SEGMENT_NAMES } from '../../../core/base-names.ts';
import { t, type FieldSpec } from '../blueprint.ts';
import { createField } from '../schema-steps.ts';
import type { Migration } from './migration.ts';

export const REFRESH_STATE_FIELDS: FieldSpec[] = [
	{
		field: 'refresh_requested_at',
		type: 'timestamp',
		meta: { interface: 'datetime', hidden: true, readonly: true, translations: t('Refresh requested', 'Запрошен пересчёт'), note: 'Set by a save that changes what the segment selects; cleared once it is refreshed' },
		schema: { is_indexed: true },
	},
	{
		field: 'refresh_error',
		type: 'text',
		meta: {
			interface: 'input-multiline',
			readonly: true,
			width: 'full',
			translations: t('Refresh problem', 'Проблема пересчёта'),
			note: 'Why the last refresh of this segment failed or was paused (empty when it is fine). Saving a changed rule, or switching the segment off and on, retries it; so does the daily refresh.',
		},
		schema: {},
	},
];

export const segmentRefreshStateMigration: Migration = {
	version: 5,
	name: 'segment-refresh-state',
	collections: () => [],
	async up(ctx) {
		for (const field of REFRESH_STATE_FIELDS) await createField(ctx, SEGMENT_NAMES.segments, field);
		return [];
	},
};
