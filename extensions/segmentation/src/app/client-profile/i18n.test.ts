import { describe, expect, it } from 'vitest';
import { LETTER_MEANING } from '../../core/segment-library.ts';
import { engineClientFields } from '../../directus/install/engine-fields.ts';
import { EMAIL_STATUSES } from '../../directus/install/migrations/006-listmonk-sync.ts';
import { cellInWords, LETTER_WORDS, messages, translator, VALUE_LABELS, valueLabel } from './i18n.ts';

const choicesOf = (field: string) =>
	((engineClientFields().find((f) => f.field === field)!.meta!['options'] as { choices: Array<{ value: string; text: string }> }).choices).map((c) => [c.value, c.text]);

describe('client profile strings', () => {
	it('has every message in English and Russian, with the same placeholders', () => {
		expect(Object.keys(messages.ru).sort()).toEqual(Object.keys(messages.en).sort());
		for (const key of Object.keys(messages.en) as Array<keyof typeof messages.en>) {
			const holes = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
			expect(holes(messages.ru[key]), key).toEqual(holes(messages.en[key]));
		}
	});

	it('explains an A/B/C cell as the segment library does, in both languages', () => {
		expect(LETTER_WORDS.en).toEqual(LETTER_MEANING);
		expect(cellInWords('BCC', 'en')).toBe('bought a while ago, often, a lot');
		expect(cellInWords('ABA', 'ru')).toBe('последняя покупка давно, покупает иногда, тратит мало');
		expect(cellInWords('543', 'en')).toBeNull();
		expect(cellInWords(null, 'en')).toBeNull();
	});

	it('labels the values the engine and the sync write, as their fields do in English', () => {
		expect(Object.entries(VALUE_LABELS.lifecycle).map(([v, l]) => [v, l.en])).toEqual(choicesOf('lifecycle_stage'));
		expect(Object.entries(VALUE_LABELS.tier).map(([v, l]) => [v, l.en])).toEqual(choicesOf('value_tier'));
		expect(Object.entries(VALUE_LABELS.trend).map(([v, l]) => [v, l.en])).toEqual(choicesOf('spend_trend'));
		expect(Object.entries(VALUE_LABELS.email).map(([v, l]) => [v, l.en, l.ru])).toEqual(EMAIL_STATUSES.map((s) => [s.value, s.en, s.ru]));
		expect(valueLabel('tier', 'vip', 'ru')?.text).toBe('VIP');
		expect(valueLabel('lifecycle', 'something_new', 'en')?.text).toBe('something_new');
		expect(valueLabel('lifecycle', null, 'en')).toBeNull();
	});

	it('fills placeholders', () => {
		expect(translator('en')('overdue', { days: 3 })).toBe('3 days overdue');
		expect(translator('ru')('levelOf', { level: 4, levels: 5 })).toBe('4 из 5');
	});
});
