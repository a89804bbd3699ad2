// The Insights panel "Segment size trend": a segment's member count per day.
import { definePanel } from '@directus/extensions-sdk';
import SegmentTrendPanel from './SegmentTrendPanel.vue';
import { segmentOption, tr } from './labels';

export default definePanel({
	id: 'segmentation-segment-trend',
	get name() {
		return tr('Segment size trend', 'Размер сегмента');
	},
	icon: 'show_chart',
	get description() {
		return tr('A segment’s member count per day', 'Число участников сегмента по дням');
	},
	component: SegmentTrendPanel,
	options: () => [segmentOption(), { field: 'days', name: tr('Days shown', 'Дней'), type: 'integer', meta: { interface: 'input', width: 'half' }, schema: { default_value: 90 } }],
	minWidth: 12,
	minHeight: 8,
});
