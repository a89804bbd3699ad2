// App module entry: /admin/segmentation (the overview: RFM grid, named segments, stages, tiers) and
// /admin/segmentation/system (the engine, automations, Listmonk, the mapping), for admins and marketers (whoever may
// read the settings).
import { defineModule } from '@directus/extensions-sdk';
import OverviewPage from './OverviewPage.vue';
import SegmentationHome from './SegmentationHome.vue';
import SegmentPage from './SegmentPage.vue';
import SegmentsPage from './SegmentsPage.vue';

export default defineModule({
	id: 'segmentation',
	name: 'Segmentation',
	icon: 'hub',
	routes: [
		{ path: '', component: OverviewPage },
		{ path: 'segments', component: SegmentsPage },
		{ path: 'segments/:id', component: SegmentPage, props: true },
		{ path: 'system', component: SegmentationHome },
	],
	preRegisterCheck(user, permissions) {
		if (user?.admin_access) return true;
		return Boolean(permissions?.['segmentation_settings']?.['read']);
	},
});
