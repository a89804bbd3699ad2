// Flow operation "Issue promo code" (App side): its name, icon and options in the Flow editor, in English or
// Russian (labels.ts says how).
import { defineOperationApp } from '@directus/extensions-sdk';
import { choice, tr } from './labels.ts';

export default defineOperationApp({
	id: 'segmentation-issue-promo-code',
	icon: 'confirmation_number',
	get name() {
		return tr({ en: 'Issue promo code', ru: 'Выдать промокод' });
	},
	get description() {
		return tr({
			en: 'Issues a personal promo code to a client, or one to every member of a segment. $last gets the codes.',
			ru: 'Выдаёт персональный промокод клиенту или каждому участнику сегмента. В $last — выданные коды.',
		});
	},
	overview: ({ client, segment, discount_value, discount_type, valid_days }) => [
		{ label: tr({ en: 'To', ru: 'Кому' }), text: client ? `${tr({ en: 'client', ru: 'клиент' })} ${client}` : segment ? `${tr({ en: 'segment', ru: 'сегмент' })} ${segment}` : '—' },
		{ label: tr({ en: 'Discount', ru: 'Скидка' }), text: `${discount_value ?? '—'}${discount_type === 'amount' ? '' : ' %'}` },
		{ label: tr({ en: 'Valid', ru: 'Действует' }), text: valid_days ? `${valid_days} ${tr({ en: 'days', ru: 'дн.' })}` : tr({ en: 'no end', ru: 'бессрочно' }) },
	],
	options: () => [
		{
			field: 'client',
			name: tr({ en: 'Client', ru: 'Клиент' }),
			type: 'string',
			meta: {
				interface: 'input',
				width: 'half',
				options: { placeholder: '{{$trigger.payload.client}}' },
				note: tr({ en: 'A client id, or a template that gives one. Leave empty to use a segment.', ru: 'ID клиента или шаблон, который его даёт. Пусто — по сегменту.' }),
			},
		},
		{
			field: 'segment',
			name: tr({ en: 'Segment', ru: 'Сегмент' }),
			type: 'string',
			meta: {
				interface: 'input',
				width: 'half',
				options: { placeholder: tr({ en: 'Segment id', ru: 'ID сегмента' }) },
				note: tr({ en: 'Every member of this segment gets a code (up to 100,000).', ru: 'Код получит каждый участник сегмента (до 100 000).' }),
			},
		},
		{
			field: 'discount_type',
			name: tr({ en: 'Discount type', ru: 'Тип скидки' }),
			type: 'string',
			schema: { default_value: 'percent' },
			meta: { interface: 'select-dropdown', width: 'half', options: { choices: [choice('percent', { en: 'Percent', ru: 'Процент' }), choice('amount', { en: 'Amount', ru: 'Сумма' })] } },
		},
		{
			field: 'discount_value',
			name: tr({ en: 'Discount', ru: 'Скидка' }),
			type: 'string',
			meta: { interface: 'input', width: 'half', options: { placeholder: '10' }, note: tr({ en: 'Percent (1–100) or an amount.', ru: 'Процент (1–100) или сумма.' }) },
		},
		{
			field: 'valid_days',
			name: tr({ en: 'Valid for (days)', ru: 'Срок действия (дней)' }),
			type: 'string',
			meta: { interface: 'input', width: 'half', options: { placeholder: '30' }, note: tr({ en: 'Empty: no end.', ru: 'Пусто — бессрочно.' }) },
		},
		{
			field: 'issued_by',
			name: tr({ en: 'Issued by', ru: 'Кем выдан' }),
			type: 'string',
			meta: {
				interface: 'input',
				width: 'half',
				options: { placeholder: tr({ en: 'Flow: welcome code', ru: 'Flow: приветственный код' }) },
				note: tr({ en: 'Shown on each code.', ru: 'Показывается у каждого кода.' }),
			},
		},
	],
});
