// What every panel of the bundle does: reads one of our endpoints when mounted and when its options change, in the
// user's language, and says so in a sentence when it can't (no permission, nothing chosen yet).
import { useApi, useStores } from '@directus/extensions-sdk';
import { ref, watch, type Ref } from 'vue';
import { apiErrorText } from '../api-errors';
import { translator } from '../i18n';

export function usePanelData<T>(path: () => string | null) {
	const api = useApi();
	const { useUserStore } = useStores();
	const language = (useUserStore().currentUser as { language?: string } | null)?.language ?? navigator.language;
	const t = translator(language);
	const data = ref<T | null>(null) as Ref<T | null>;
	const error = ref<string | null>(null);
	const loading = ref(false);
	async function load() {
		const url = path();
		if (!url) {
			data.value = null;
			error.value = t('panelChooseSegment');
			return;
		}
		loading.value = true;
		try {
			data.value = (await api.get(url)).data.data as T;
			error.value = null;
		} catch (e: unknown) {
			error.value = apiErrorText(e, t);
		} finally {
			loading.value = false;
		}
	}
	watch(path, load, { immediate: true });
	return { data, error, loading, t, language };
}
