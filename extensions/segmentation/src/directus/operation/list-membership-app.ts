// Flow operation "Add to / remove from Listmonk list" (App side): its name, icon and options in the Flow editor, in
// English or Russian (labels.ts says how).
import { defineOperationApp } from '@directus/extensions-sdk';
import { choice, tr } from './labels.ts';

export default defineOperationApp({
	id: 'segmentation-list-membership',
	icon: 'playlist_add',
	get name() {
		return tr({ en: 'Add to / remove from Listmonk list', ru: 'Добавить в список Listmonk / убрать из него' });
	},
	get description() {
		return tr({
			en: 'Adds clients to a Listmonk list or removes them; never re-subscribes anyone who opted out. $last gets who was changed and who was skipped.',
			ru: 'Добавляет клиентов в список Listmonk или убирает их; отписавшихся не подписывает снова. В $last — кого изменили и кого пропустили.',
		});
	},
	overview: ({ clients, list_id, action }) => [
		{ label: tr({ en: 'Action', ru: 'Действие' }), text: action === 'remove' ? tr({ en: 'Remove', ru: 'Убрать' }) : tr({ en: 'Add', ru: 'Добавить' }) },
		{ label: tr({ en: 'List', ru: 'Список' }), text: list_id ? String(list_id) : '—' },
		{ label: tr({ en: 'Clients', ru: 'Клиенты' }), text: clients ? (typeof clients === 'string' ? clients : JSON.stringify(clients)) : '—' },
	],
	options: () => [
		{
			field: 'action',
			name: tr({ en: 'Action', ru: 'Действие' }),
			type: 'string',
			schema: { default_value: 'add' },
			meta: {
				interface: 'select-dropdown',
				width: 'half',
				options: { choices: [choice('add', { en: 'Add to the list', ru: 'Добавить в список' }), choice('remove', { en: 'Remove from the list', ru: 'Убрать из списка' })] },
			},
		},
		{
			field: 'list_id',
			name: tr({ en: 'Listmonk list id', ru: 'ID списка Listmonk' }),
			type: 'string',
			meta: { interface: 'input', width: 'half', required: true, options: { placeholder: '7' } },
		},
		{
			field: 'clients',
			name: tr({ en: 'Client(s)', ru: 'Клиент(ы)' }),
			type: 'string',
			meta: {
				interface: 'input',
				width: 'full',
				required: true,
				options: { placeholder: '{{$trigger.body.clients}}' },
				note: tr({ en: 'A client id or a list of them (1, 2, 3 or [1,2,3]); a template such as {{$trigger.body.clients}} works too.', ru: 'ID клиента или список (1, 2, 3 или [1,2,3]); можно шаблон, например {{$trigger.body.clients}}.' }),
			},
		},
	],
});
