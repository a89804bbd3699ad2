// Flow operation "Recompute segmentation" (App side): its name, icon and options in the Flow editor, in English or
// Russian (labels.ts says how).
import { defineOperationApp } from '@directus/extensions-sdk';
import { tr } from './labels.ts';

export default defineOperationApp({
	id: 'segmentation-recompute',
	icon: 'insights',
	get name() {
		return tr({ en: 'Recompute segmentation', ru: 'Пересчитать сегментацию' });
	},
	get description() {
		return tr({
			en: 'Recomputes RFM scores, lifecycle stages, value tiers and trends for every client (once per cluster).',
			ru: 'Пересчитывает RFM, стадии жизненного цикла, уровни ценности и тренды всех клиентов (один раз на кластер).',
		});
	},
	overview: ({ as_of }) => [{ label: tr({ en: 'As of', ru: 'На дату' }), text: as_of || tr({ en: 'now', ru: 'сейчас' }) }],
	options: () => [
		{
			field: 'as_of',
			name: tr({ en: 'As of (optional)', ru: 'На дату (необязательно)' }),
			type: 'string',
			meta: {
				interface: 'input',
				width: 'full',
				options: { placeholder: tr({ en: '2011-12-10 — empty = now', ru: '2011-12-10 — пусто = сейчас' }) },
				note: tr({ en: 'Compute as if today were this date (reproducible runs).', ru: 'Считать так, будто сегодня эта дата (воспроизводимые расчёты).' }),
			},
		},
	],
});
