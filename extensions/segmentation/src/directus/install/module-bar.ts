// Puts the Segmentation module in the App's module bar once (Directus hides custom modules until listed there).
// A bar the admin already arranged keeps its order: ours goes before Settings; removing it later is respected
// because we only add it during the install step that first registers the extension.
import type { DirectusContext } from '../context.ts';

export const MODULE_ID = 'segmentation';

// Directus 12.4's default bar (used by the App when the setting is empty)
const DEFAULT_BAR = [
	{ type: 'module', id: 'content', enabled: true },
	{ type: 'module', id: 'visual', enabled: false },
	{ type: 'module', id: 'users', enabled: true },
	{ type: 'module', id: 'files', enabled: true },
	{ type: 'module', id: 'insights', enabled: true },
	{ type: 'module', id: 'flows', enabled: true },
	{ type: 'module', id: 'deployments', enabled: false },
	{ type: 'link', id: 'docs', enabled: true, name: '$t:documentation', icon: 'help', url: 'https://directus.com/docs' },
	{ type: 'module', id: 'settings', enabled: true, locked: true },
];

type BarItem = { type: string; id: string; enabled: boolean; [k: string]: unknown };

export function withSegmentationModule(bar: BarItem[] | null): BarItem[] | null {
	const items = bar ?? DEFAULT_BAR;
	if (items.some((i) => i.type === 'module' && i.id === MODULE_ID)) return null;
	const settingsAt = items.findIndex((i) => i.id === 'settings');
	const at = settingsAt < 0 ? items.length : settingsAt;
	return [...items.slice(0, at), { type: 'module', id: MODULE_ID, enabled: true }, ...items.slice(at)];
}

export async function ensureModuleInBar(ctx: DirectusContext): Promise<void> {
	const settings = new ctx.services.SettingsService({ schema: await ctx.getSchema(), knex: ctx.database });
	const current = await settings.readSingleton({ fields: ['module_bar'] });
	const next = withSegmentationModule((current?.module_bar as BarItem[] | null) ?? null);
	if (next) await settings.upsertSingleton({ module_bar: next });
}
