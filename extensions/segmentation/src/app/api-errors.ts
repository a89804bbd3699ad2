// An API error as a sentence in the user's language where we know it (permissions, a failed run, a busy database),
// else the server's own message: every page and panel of the bundle says errors the same way.
import type { MessageKey } from './i18n';

type ApiError = { response?: { status?: number; data?: { errors?: Array<{ message: string; extensions?: { code?: string; run?: number | null } }> } }; message?: string };

export function apiErrorText(e: unknown, t: (key: MessageKey) => string): string {
	const err = e as ApiError;
	const first = err.response?.data?.errors?.[0];
	if (first?.extensions?.code === 'SEGMENTATION_RUN_FAILED') return t('recomputeFailed').replace('{run}', String(first.extensions.run ?? '?'));
	if (err.response?.status === 403) return t('noPermission');
	if (err.response?.status === 503 && first?.extensions?.code === 'SERVICE_UNAVAILABLE' && /database/i.test(first.message)) return t('databaseBusy');
	return first?.message ?? err.message ?? String(e);
}

/** The HTTP status of a failed API call (a 409 "busy" is said differently per action). */
export const apiStatus = (e: unknown): number | undefined => (e as ApiError).response?.status;
