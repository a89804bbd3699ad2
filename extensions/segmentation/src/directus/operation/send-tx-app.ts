// Flow operation "Send Listmonk transactional message" (App side): its name, icon and options in the Flow editor,
// in English or Russian (labels.ts says how).
import { defineOperationApp } from '@directus/extensions-sdk';
import { tr, TEMPLATE_NOTE } from './labels.ts';

export default defineOperationApp({
	id: 'segmentation-send-tx',
	icon: 'forward_to_inbox',
	get name() {
		return tr({ en: 'Send Listmonk transactional message', ru: 'Отправить транзакционное письмо Listmonk' });
	},
	get description() {
		return tr({
			en: 'Sends one Listmonk transactional message to a client with consent who has not opted out. $last gets what was sent.',
			ru: 'Отправляет клиенту с согласием на рассылку, не отписавшемуся, одно транзакционное письмо Listmonk. В $last — что отправлено.',
		});
	},
	overview: ({ client, template_id, messenger }) => [
		{ label: tr({ en: 'Client', ru: 'Клиент' }), text: client ? String(client) : '—' },
		{ label: tr({ en: 'Template', ru: 'Шаблон' }), text: template_id ? String(template_id) : '—' },
		{ label: tr({ en: 'Messenger', ru: 'Канал' }), text: messenger || 'email' },
	],
	options: () => [
		{
			field: 'client',
			name: tr({ en: 'Client', ru: 'Клиент' }),
			type: 'string',
			meta: { interface: 'input', width: 'half', required: true, options: { placeholder: '{{$trigger.body.client}}' }, note: tr(TEMPLATE_NOTE) },
		},
		{
			field: 'template_id',
			name: tr({ en: 'Template id', ru: 'ID шаблона' }),
			type: 'string',
			meta: {
				interface: 'input',
				width: 'half',
				required: true,
				options: { placeholder: '3' },
				note: tr({ en: 'A Listmonk template of type “transactional”.', ru: 'Шаблон Listmonk типа «транзакционный».' }),
			},
		},
		{
			field: 'messenger',
			name: tr({ en: 'Messenger', ru: 'Канал' }),
			type: 'string',
			schema: { default_value: 'email' },
			meta: { interface: 'input', width: 'half', options: { placeholder: 'email' }, note: tr({ en: 'email, or a messenger set up in Listmonk.', ru: 'email или канал, настроенный в Listmonk.' }) },
		},
		{
			field: 'subject',
			name: tr({ en: 'Subject (optional)', ru: 'Тема (необязательно)' }),
			type: 'string',
			meta: { interface: 'input', width: 'half', note: tr({ en: 'Empty: the template’s subject.', ru: 'Пусто — тема из шаблона.' }) },
		},
		{
			field: 'data',
			name: tr({ en: 'Data (optional)', ru: 'Данные (необязательно)' }),
			type: 'json',
			meta: {
				interface: 'input-code',
				width: 'full',
				options: { language: 'json', placeholder: '{\n  "order": "{{$trigger.body.order}}"\n}' },
				note: tr({ en: 'A JSON object; the template reads it as {{ .Tx.Data.order }}.', ru: 'JSON-объект; в шаблоне доступен как {{ .Tx.Data.order }}.' }),
			},
		},
	],
});
