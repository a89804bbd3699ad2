import { describe, expect, it } from 'vitest';
import { checkSequencePayload, launchProblems, readSteps, sequenceListRule, stepTags, withCode } from './sequence.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1, 12);
const step = (days: number, extra: Record<string, unknown> = {}) => ({ name: 'Step', send_at: new Date(NOW + days * DAY).toISOString(), subject: 'Sale', body: '<p>x</p>', ...extra });

describe('promo sequence steps', () => {
	it('reads steps stored as JSON text or as a list, and names the bad field of a bad step', () => {
		expect(readSteps(JSON.stringify([step(1)]))).toMatchObject({ ok: true, steps: [{ name: 'Step', subject: 'Sale' }] });
		expect(readSteps([step(1), { name: ' ', send_at: 'tomorrow-ish', subject: '' }])).toEqual({
			ok: false,
			errors: ['steps.1.name: must not be empty', 'steps.1.send_at: must be a date and time', 'steps.1.subject: must not be empty'],
		});
		expect(readSteps([])).toEqual({ ok: false, errors: ['steps: needs at least one step'] });
		expect(readSteps(Array.from({ length: 11 }, () => step(1)))).toEqual({ ok: false, errors: ['steps: must have at most 10 steps'] });
	});

	it('launches only steps a minute or more ahead, in order, each with a body or a template', () => {
		expect(launchProblems([step(1), step(3), step(7)], NOW)).toEqual([]);
		expect(launchProblems([step(-1), step(3, { body: '  ', template_id: null }), step(2)], NOW)).toEqual([
			'steps.0.send_at: must be at least a minute in the future (Listmonk refuses past times)',
			'steps.1.body: give a body, or a Listmonk campaign template id',
			'steps.2.send_at: must not be before the step above',
		]);
		expect(launchProblems([step(1, { body: null, template_id: 4 })], NOW)).toEqual([]);
	});

	it('keeps a launched sequence’s segment, code and steps, but lets its name change', () => {
		const launched = { name: 'Spring', status: 'scheduled' };
		expect(checkSequencePayload({ steps: [step(2)] }, launched)).toEqual(["status: the sequence is scheduled: its segment, code and steps can't change (cancel it and make a new one)"]);
		expect(checkSequencePayload({ name: 'Spring 2027' }, launched)).toEqual([]);
		expect(checkSequencePayload({ steps: [step(2)] }, { name: 'Spring', status: 'draft' })).toEqual([]);
		expect(checkSequencePayload({}, null)).toEqual(['name: is required']);
	});
});

describe('the sequence’s list and campaigns', () => {
	it('leaves the code’s redeemers out of the target’s rule with one condition under _none', () => {
		expect(sequenceListRule({ rfm_r: { _eq: 2 } }, 'deals', 'redeemed_promo_code', 17)).toEqual({ _and: [{ rfm_r: { _eq: 2 } }, { deals: { _none: { redeemed_promo_code: { _eq: 17 } } } }] });
	});

	it('tags each step’s campaign so a crash between "made" and "recorded" finds it again', () => {
		expect(stepTags(4, 0)).toEqual(['directus-segmentation', 'sequence-4', 'sequence-4-step-1']);
		expect(stepTags(4, 2)[2]).toBe('sequence-4-step-3');
	});

	it('puts the code where the text says %PROMO_CODE%, leaving Listmonk’s own expressions alone', () => {
		expect(withCode('Use %PROMO_CODE% today, {{ .Subscriber.FirstName }} (%PROMO_CODE%)', 'SPRING-25')).toBe('Use SPRING-25 today, {{ .Subscriber.FirstName }} (SPRING-25)');
	});
});
