import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_SETTINGS } from '../core/engine-settings';
import { messages, rfmSegmentName } from './i18n';

describe('the App’s strings', () => {
	it('has every English string in Russian too', () => {
		expect(Object.keys(messages.ru).sort()).toEqual(Object.keys(messages.en).sort());
		for (const [key, value] of Object.entries(messages.ru)) expect(value, key).not.toBe('');
	});

	it('names every default RFM segment in Russian, and keeps a user’s own names', () => {
		const names = new Set(Object.values(DEFAULT_ENGINE_SETTINGS.rfm_segment_maps).flatMap((map) => map.map((rule) => rule.name)));
		expect(names.size).toBeGreaterThan(5);
		for (const name of names) {
			expect(rfmSegmentName(name, 'en-US')).toBe(name);
			expect(rfmSegmentName(name, 'ru-RU'), name).not.toBe(name);
			expect(rfmSegmentName(name, 'ru-RU'), name).toMatch(/^[А-ЯЁ][а-яё ]+$/);
		}
		expect(rfmSegmentName('Our best friends', 'ru-RU')).toBe('Our best friends');
	});
});
