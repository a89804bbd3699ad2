// Flow operation "Recompute client" (App side): its name, icon and options in the Flow editor, in English or
// Russian (labels.ts says how).
import { defineOperationApp } from '@directus/extensions-sdk';
import { tr } from './labels.ts';

export default defineOperationApp({
	id: 'segmentation-recompute-client',
	icon: 'person_search',
	get name() {
		return tr({ en: 'Recompute client', ru: 'Пересчитать клиента' });
	},
	get description() {
		return tr({
			en: 'Re-scores and re-qualifies clients now (e.g. after a change written around Directus) and waits for it. $last gets their RFM code, stage, tier and segments.',
			ru: 'Сразу пересчитывает RFM и сегменты клиентов (например, после изменений в обход Directus) и ждёт результата. В $last — RFM-код, стадия, уровень ценности и сегменты.',
		});
	},
	overview: ({ clients, timeout_seconds }) => [
		{ label: tr({ en: 'Clients', ru: 'Клиенты' }), text: clients ? (typeof clients === 'string' ? clients : JSON.stringify(clients)) : '—' },
		{ label: tr({ en: 'Wait up to', ru: 'Ждать до' }), text: `${timeout_seconds || 60} s` },
	],
	options: () => [
		{
			field: 'clients',
			name: tr({ en: 'Client(s)', ru: 'Клиент(ы)' }),
			type: 'string',
			meta: {
				interface: 'input',
				width: 'full',
				required: true,
				options: { placeholder: '{{$trigger.body.client}}' },
				note: tr({ en: 'A client id or a list of them (1, 2, 3 or [1,2,3]); a template works too.', ru: 'ID клиента или список (1, 2, 3 или [1,2,3]); можно шаблон.' }),
			},
		},
		{
			field: 'timeout_seconds',
			name: tr({ en: 'Wait up to (seconds)', ru: 'Ждать не дольше (секунд)' }),
			type: 'string',
			schema: { default_value: '60' },
			meta: { interface: 'input', width: 'half', options: { placeholder: '60' }, note: tr({ en: 'Then the operation fails; the clients stay queued.', ru: 'Затем операция завершится ошибкой; клиенты останутся в очереди.' }) },
		},
	],
});
