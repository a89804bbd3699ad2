import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_SETTINGS, QUINTILE_SEGMENT_MAP } from '../../extensions/segmentation/src/core/engine-settings.ts';
import { libraryTemplates, tagTemplate } from '../../extensions/segmentation/src/core/segment-library.ts';
import { checkSegmentPayload } from '../../extensions/segmentation/src/core/segment-payload.ts';

const names = { dealsAlias: 'deals', mapping: { deal_loss_reason_field: 'loss_reason' } };

describe('segment library', () => {
	it('has the 27 letter cells under the A/B/C scheme, each once, AAA … CCC', () => {
		const templates = libraryTemplates(DEFAULT_ENGINE_SETTINGS, names);
		const cells = templates.filter((t) => t.key.startsWith('rfm:')).map((t) => (t.rule as { rfm_code: { _eq: string } }).rfm_code._eq);
		expect(cells).toHaveLength(27);
		expect(new Set(cells).size).toBe(27);
		for (const code of cells) expect(code).toMatch(/^[ABC]{3}$/);
		expect(new Set(templates.map((t) => t.key)).size).toBe(templates.length);
		// falling asleep: B** (r = 2) among clients with F ≥ B
		expect(templates.find((t) => t.key === 'falling-asleep')!.rule).toEqual({ _and: [{ rfm_r: { _eq: 2 } }, { rfm_f: { _gte: 2 } }] });
	});

	it('uses the named segments under the quintile scheme, and leaves out refusal reasons a base has no field for', () => {
		const templates = libraryTemplates({ ...DEFAULT_ENGINE_SETTINGS, rfm_scheme: 'quintile' }, { ...names, mapping: { deal_loss_reason_field: null } });
		expect(templates.some((t) => t.key.startsWith('rfm:'))).toBe(false);
		expect(templates.filter((t) => t.key.startsWith('rfm-segment:')).map((t) => t.name)).toEqual(QUINTILE_SEGMENT_MAP.map((s) => s.name));
		expect(templates.some((t) => t.key.startsWith('refused:'))).toBe(false);
		expect(templates.find((t) => t.key === 'declining-high-value')!.rule).toEqual({ _and: [{ spend_trend: { _eq: 'declining' } }, { _or: [{ value_tier: { _eq: 'vip' } }, { rfm_m: { _eq: 5 } }] }] });
	});

	it('builds a per-tag template on the tags alias by tag id', () => {
		expect(tagTemplate({ id: 7, name: 'Kids' }, 'tags')).toMatchObject({ key: 'tag:7', rule: { tags: { _some: { tag: { _eq: 7 } } } } });
	});
});

describe('segment payload checks', () => {
	it('names each bad field and requires a rule for an active dynamic segment', () => {
		expect(checkSegmentPayload({ name: 'VIP', kind: 'dynamic', is_active: true, rule: { value_tier: { _eq: 'vip' } } }, null)).toEqual([]);
		expect(checkSegmentPayload({ name: '', kind: 'sometimes' }, null)).toEqual(expect.arrayContaining([expect.stringMatching(/^name:/), expect.stringMatching(/^kind:/)]));
		expect(checkSegmentPayload({ is_active: true }, { name: 'x', kind: 'dynamic', rule: null })).toEqual(['rule: an active dynamic segment needs a rule']);
		expect(checkSegmentPayload({ is_active: true }, { name: 'x', kind: 'static', rule: null })).toEqual([]);
		expect(checkSegmentPayload({ kind: 'static' }, null)).toEqual(['name: is required']);
	});

	it('checks the Listmonk sync settings: a switch, a list id or nothing, a known leave action', () => {
		const saved = { name: 'x', kind: 'static', rule: null };
		expect(checkSegmentPayload({ listmonk_sync: true, listmonk_list_id: 12, listmonk_on_leave: 'unsubscribe', listmonk_keep_manual: false }, saved)).toEqual([]);
		expect(checkSegmentPayload({ listmonk_list_id: null }, saved)).toEqual([]);
		const errors = checkSegmentPayload({ listmonk_sync: 'yes', listmonk_list_id: -3, listmonk_on_leave: 'delete', listmonk_keep_manual: 1 }, saved);
		expect(errors).toEqual(
			expect.arrayContaining([expect.stringMatching(/^listmonk_sync:/), expect.stringMatching(/^listmonk_list_id: must be a Listmonk list id/), expect.stringMatching(/^listmonk_on_leave: must be "remove" or "unsubscribe"/), expect.stringMatching(/^listmonk_keep_manual:/)]),
		);
		expect(checkSegmentPayload({ listmonk_list_id: 1.5 }, saved)).toEqual([expect.stringMatching(/^listmonk_list_id:/)]);
	});
});
