// The Insights panel "Segment lead sources": where a segment's clients come from, next to the whole base.
import { definePanel } from '@directus/extensions-sdk';
import LeadSourcesPanel from './LeadSourcesPanel.vue';
import { segmentOption, tr } from './labels';

export default definePanel({
	id: 'segmentation-lead-sources',
	get name() {
		return tr('Segment lead sources', 'Источники клиентов сегмента');
	},
	icon: 'call_split',
	get description() {
		return tr('Where a segment’s clients come from, next to the whole base', 'Откуда пришли клиенты сегмента — в сравнении со всей базой');
	},
	component: LeadSourcesPanel,
	options: () => [segmentOption()],
	minWidth: 12,
	minHeight: 8,
});
