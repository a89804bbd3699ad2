// Flow operation "Issue promo code" (App side): its name, icon and options in the Flow editor.
import { defineOperationApp } from '@directus/extensions-sdk';

export default defineOperationApp({
	id: 'segmentation-issue-promo-code',
	name: 'Issue promo code',
	icon: 'confirmation_number',
	description: 'Issues a personal promo code to a client, or one to every member of a segment. $last gets the codes.',
	overview: ({ client, segment, discount_value, discount_type, valid_days }) => [
		{ label: 'To', text: client ? `client ${client}` : segment ? `segment ${segment}` : '—' },
		{ label: 'Discount', text: `${discount_value ?? '—'}${discount_type === 'amount' ? '' : ' %'}` },
		{ label: 'Valid', text: valid_days ? `${valid_days} days` : 'no end' },
	],
	options: [
		{
			field: 'client',
			name: 'Client',
			type: 'string',
			meta: { interface: 'input', width: 'half', options: { placeholder: '{{$trigger.payload.client}}' }, note: 'A client id, or a template that gives one. Leave empty to use a segment.' },
		},
		{
			field: 'segment',
			name: 'Segment',
			type: 'string',
			meta: { interface: 'input', width: 'half', options: { placeholder: 'Segment id' }, note: 'Every member of this segment gets a code (up to 100,000).' },
		},
		{
			field: 'discount_type',
			name: 'Discount type',
			type: 'string',
			schema: { default_value: 'percent' },
			meta: { interface: 'select-dropdown', width: 'half', options: { choices: [{ text: 'Percent', value: 'percent' }, { text: 'Amount', value: 'amount' }] } },
		},
		{
			field: 'discount_value',
			name: 'Discount',
			type: 'string',
			meta: { interface: 'input', width: 'half', options: { placeholder: '10' }, note: 'Percent (1–100) or an amount.' },
		},
		{
			field: 'valid_days',
			name: 'Valid for (days)',
			type: 'string',
			meta: { interface: 'input', width: 'half', options: { placeholder: '30' }, note: 'Empty: no end.' },
		},
		{
			field: 'issued_by',
			name: 'Issued by',
			type: 'string',
			meta: { interface: 'input', width: 'half', options: { placeholder: 'Flow: welcome code' }, note: 'Shown on each code.' },
		},
	],
});
