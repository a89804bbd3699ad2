// Listmonk's state as the App says it: "not configured" (none of LISTMONK_URL, LISTMONK_API_USER, LISTMONK_API_TOKEN
// set) is a state, not an error — said in the user's language; a half or invalid configuration keeps the server's own
// words (they name the variables at fault).
import type { MessageKey } from './i18n';

/** Whether a message from the API (sync status, campaign results) means Listmonk is simply not configured. */
export const isNotConfigured = (message: string | null | undefined): boolean => /^Listmonk (is )?not configured\b/i.test(message ?? '');

export function notConfiguredText(message: string | null | undefined, t: (key: MessageKey) => string): string {
	return !message || isNotConfigured(message) ? t('listmonkNotConfigured') : message;
}
