// The Insights panel "RFM grid": clients by recency × frequency, a click opens a cell's clients.
import { definePanel } from '@directus/extensions-sdk';
import RfmGridPanel from './RfmGridPanel.vue';
import { tr } from './labels';

export default definePanel({
	id: 'segmentation-rfm-grid',
	get name() {
		return tr('RFM grid', 'RFM-сетка');
	},
	icon: 'grid_view',
	get description() {
		return tr('Clients by recency × frequency; click a cell to open them', 'Клиенты по давности × частоте; нажмите на ячейку, чтобы открыть их');
	},
	component: RfmGridPanel,
	options: () => [
		{
			field: 'metric',
			name: tr('Metric', 'Показатель'),
			type: 'string',
			meta: { interface: 'select-dropdown', width: 'half', options: { choices: [{ value: 'clients', text: tr('Clients', 'Клиенты') }, { value: 'revenue', text: tr('Revenue', 'Выручка') }, { value: 'average', text: tr('Average per client', 'В среднем на клиента') }] } },
			schema: { default_value: 'clients' },
		},
		{ field: 'collection', name: tr('Client collection', 'Коллекция клиентов'), type: 'string', meta: { interface: 'input', width: 'half', options: { placeholder: 'clients' } } },
	],
	minWidth: 12,
	minHeight: 10,
});
