// Preloaded (NODE_OPTIONS=--import) into a test Directus that must enforce custom permission rules — item filters
// and field lists on a permission. Directus 12 without a licence refuses to save them (ResourceRestrictedError) and
// leaves them out when it reads the permissions (custom_permission_rules_enabled is off in the Core licence), so a
// filtered permission there is no permission at all. A licensed Directus enforces them; this makes the test process
// behave like one by answering "entitled" for that one feature. Test-only: never loaded by `npm start`.
import { EntitlementManager } from '../../node_modules/@directus/api/dist/license/entitlements/manager.js';

const FEATURE = 'custom_permission_rules_enabled';
const isEntitled = EntitlementManager.prototype.isEntitled;
EntitlementManager.prototype.isEntitled = function (key) {
	return key === FEATURE ? true : isEntitled.call(this, key);
};
