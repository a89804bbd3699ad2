// App module entry: /admin/segmentation, for admins and marketers (whoever may read the settings).
import { defineModule } from '@directus/extensions-sdk';
import SegmentationHome from './SegmentationHome.vue';

export default defineModule({
	id: 'segmentation',
	name: 'Segmentation',
	icon: 'hub',
	routes: [{ path: '', component: SegmentationHome }],
	preRegisterCheck(user, permissions) {
		if (user?.admin_access) return true;
		return Boolean(permissions?.['segmentation_settings']?.['read']);
	},
});
