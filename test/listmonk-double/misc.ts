// Health, server config and the caller's profile.
import type { App } from './app.ts';
import { formatTimestamp } from './clock.ts';
import type { Caller } from './auth.ts';

const PERMISSION_GROUPS = [
	{ group: 'lists', permissions: ['lists:get_all', 'lists:manage_all'] },
	{ group: 'subscribers', permissions: ['subscribers:get', 'subscribers:get_all', 'subscribers:manage', 'subscribers:import', 'subscribers:sql_query', 'tx:send'] },
	{ group: 'campaigns', permissions: ['campaigns:get', 'campaigns:get_all', 'campaigns:get_analytics', 'campaigns:manage', 'campaigns:manage_all', 'campaigns:send'] },
	{ group: 'bounces', permissions: ['bounces:get', 'bounces:manage', 'webhooks:post_bounce'] },
	{ group: 'media', permissions: ['media:get', 'media:manage'] },
	{ group: 'templates', permissions: ['templates:get', 'templates:manage'] },
	{ group: 'users', permissions: ['users:get', 'users:manage', 'roles:get', 'roles:manage'] },
	{ group: 'settings', permissions: ['settings:get', 'settings:manage', 'settings:maintain'] },
];

export function registerMiscRoutes(app: App, route: App['route']): void {
	app.publicRoute('GET', '/health', () => true);
	route('GET', '/api/health', [], false, () => true);

	route('GET', '/api/config', [], false, () => ({
		root_url: 'http://localhost:9000',
		from_email: 'listmonk <noreply@listmonk.yoursite.com>',
		messengers: [...app.messengers],
		langs: [{ code: 'en', name: 'English' }],
		lang: 'en',
		permissions: PERMISSION_GROUPS,
		update: null,
		needs_restart: false,
		has_legacy_user: false,
		version: app.version,
		privacy: { disable_tracking: false, individual_tracking: false },
		public_subscription: { enabled: false, captcha_enabled: false },
		media_provider: 'filesystem',
	}));

	route('GET', '/api/profile', [], false, (ctx) => profileJson(app, ctx.caller));
}

/** auth.User as GetUserProfile returns it (the token hash blanked out, so no `password` key). */
function profileJson(app: App, caller: Caller): Record<string, unknown> {
	const created = formatTimestamp(caller.createdAt);
	const out: Record<string, unknown> = {
		id: caller.id,
		created_at: created,
		updated_at: created,
		username: caller.user.username,
		password_login: false,
		email: null,
		name: caller.user.username,
		type: 'api',
		status: caller.user.enabled === false ? 'disabled' : 'enabled',
		avatar: null,
		twofa_type: 'none',
		loggedin_at: null,
		user_role_id: caller.roleId,
	};
	if (caller.listRoleId !== null) out['list_role_id'] = caller.listRoleId;
	out['user_role'] = { id: caller.roleId, name: caller.isSuperAdmin ? 'Super Admin' : `${caller.user.username} role`, permissions: caller.rolePermissions };
	out['list_role'] =
		caller.listRoleId === null
			? null
			: { id: caller.listRoleId, name: `${caller.user.username} lists`, lists: caller.listPermissions.map(([id, permissions]) => ({ id, name: app.store.lists.get(id)?.name ?? '', permissions })) };
	return out;
}
