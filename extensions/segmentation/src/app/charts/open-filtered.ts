// Opens a collection in the App filtered: the filter goes into the user's own preset for that collection (what the
// filter bar itself writes), then the App navigates there — a real list the marketer keeps working in.

export type Filter = Record<string, unknown>;

/** The App's router, as a component reaches it (`$router`): only navigation is needed. */
export interface Router {
	push(path: string): Promise<unknown>;
}

interface PresetsStore {
	getPresetForCollection(collection: string): Record<string, unknown> | null;
	savePreset(preset: Record<string, unknown>): Promise<unknown>;
}

export async function openFiltered(presets: PresetsStore, router: Router, collection: string, filter: Filter): Promise<void> {
	const preset = presets.getPresetForCollection(collection) ?? { collection };
	await presets.savePreset({ ...preset, collection, filter, search: null });
	await router.push(`/content/${collection}`);
}
