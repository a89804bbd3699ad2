// Flow operation "Recompute segmentation" (App side): its name, icon and options in the Flow editor.
import { defineOperationApp } from '@directus/extensions-sdk';

export default defineOperationApp({
	id: 'segmentation-recompute',
	name: 'Recompute segmentation',
	icon: 'insights',
	description: 'Recomputes RFM scores, lifecycle stages, value tiers and trends for every client (once per cluster).',
	overview: ({ as_of }) => [{ label: 'As of', text: as_of || 'now' }],
	options: [
		{
			field: 'as_of',
			name: 'As of (optional)',
			type: 'string',
			meta: { interface: 'input', width: 'full', options: { placeholder: '2011-12-10 — empty = now' }, note: 'Compute as if today were this date (reproducible runs).' },
		},
	],
});
