// App interface: the read-only profile panel on the client card (an alias field the schema migration v13 adds near
// the top of the mapped client collection's form). It reads GET /segmentation/clients/:id/profile.
import { defineInterface } from '@directus/extensions-sdk';
import ClientProfile from './ClientProfile.vue';

export default defineInterface({
	id: 'segmentation-client-profile',
	name: 'Client profile (segmentation)',
	description: 'The client’s RFM cell explained, named segment, lifecycle stage, value tier, next purchase, segments, interest tags and Listmonk status (read-only)',
	icon: 'insights',
	component: ClientProfile,
	types: ['alias'],
	localTypes: ['presentation'],
	group: 'presentation',
	options: null,
	hideLoader: true,
});
