import { describe, expect, it } from 'vitest';
import { messages } from './i18n';
import { isNotConfigured, notConfiguredText } from './listmonk-state';

const t = (key: keyof (typeof messages)['en']) => messages.ru[key];

describe('Listmonk not configured, as the App says it', () => {
	it('recognises the API’s wordings of "not configured" and says it in the user’s language', () => {
		for (const m of ['Listmonk not configured: set LISTMONK_URL, LISTMONK_API_USER and LISTMONK_API_TOKEN', 'Listmonk is not configured', 'Listmonk is not configured (LISTMONK_URL, LISTMONK_API_USER, LISTMONK_API_TOKEN)']) {
			expect(isNotConfigured(m)).toBe(true);
			expect(notConfiguredText(m, t)).toBe(messages.ru.listmonkNotConfigured);
		}
	});
	it('keeps the server’s words for a half or invalid configuration', () => {
		const half = 'Listmonk is half configured: LISTMONK_API_TOKEN is not set (LISTMONK_URL, LISTMONK_API_USER are); set all three or none';
		expect(isNotConfigured(half)).toBe(false);
		expect(notConfiguredText(half, t)).toBe(half);
	});
});
