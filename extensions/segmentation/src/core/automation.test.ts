import { describe, expect, it } from 'vitest';
import { checkAutomationPayload, checkLeadSourceMessengers, chooseMessenger, leadSourceMessengerMap, wakeUpTxData } from './automation.ts';

describe('automation payload', () => {
	it('asks a refused-deal follow-up for its reason, and a tag action for its tag', () => {
		expect(checkAutomationPayload({ name: 'Price', trigger: 'refused' }, null)).toContain('loss_reason: a refused-deal follow-up needs the loss reason it answers (a value of the deals’ loss reason field, e.g. price)');
		expect(checkAutomationPayload({ name: 'Price', trigger: 'refused', loss_reason: 'price' }, null)).toEqual([]);
		const tagErrors = checkAutomationPayload({ name: 'New arrivals', is_active: true, trigger: 'refused', loss_reason: 'assortment', action: 'tag' }, null);
		expect(tagErrors).toEqual(['tag: an automation that tags clients needs the tag (a segment on it, synced to Listmonk, is the list they join)']);
		// a tag action sends nothing: no template needed; a refused follow-up may watch the whole base
		expect(checkAutomationPayload({ name: 'New arrivals', is_active: true, trigger: 'refused', loss_reason: 'assortment', action: 'tag', tag: 4 }, null)).toEqual([]);
		expect(checkAutomationPayload({ name: 'Wake', is_active: true, tx_template_id: 3 }, null)).toEqual(['segment: an active wake-up automation needs the segment it watches']);
	});

	it('refuses unknown triggers, actions and channels by name', () => {
		const errors = checkAutomationPayload({ name: 'x', trigger: 'birthday', action: 'sms', channel: 'pigeon' }, null);
		expect(errors).toEqual(expect.arrayContaining([expect.stringMatching(/^trigger: /), expect.stringMatching(/^action: /), expect.stringMatching(/^channel: /)]));
	});

	it('judges an update against the saved row', () => {
		const saved = { name: 'Price', trigger: 'refused', loss_reason: 'price', action: 'promo', tx_template_id: 3, is_active: false };
		expect(checkAutomationPayload({ is_active: true }, saved)).toEqual([]);
		expect(checkAutomationPayload({ loss_reason: null }, saved)).toContain('loss_reason: a refused-deal follow-up needs the loss reason it answers (a value of the deals’ loss reason field, e.g. price)');
	});
});

describe('the client’s channel', () => {
	const map = leadSourceMessengerMap([{ lead_source: 'Telegram bot', messenger: 'telegram' }, { lead_source: 'vk_group', messenger: 'vk' }, { lead_source: 'site', messenger: 'email' }]);
	const configured = new Set(['email', 'telegram']);

	it('uses the messenger the lead source maps to when Listmonk has it, matching the source whatever its case', () => {
		expect(chooseMessenger('client', 'email', 'telegram BOT ', map, configured)).toEqual({ messenger: 'telegram', note: 'via telegram (lead source “telegram BOT ”)' });
		expect(chooseMessenger('client', 'email', 'site', map, configured).messenger).toBe('email');
	});

	it('falls back to email when the messenger is not configured, the source is not mapped or missing', () => {
		expect(chooseMessenger('client', 'email', 'vk_group', map, configured)).toEqual({ messenger: 'email', note: 'via email (vk is not configured in Listmonk)' });
		expect(chooseMessenger('client', 'email', 'phone', map, configured)).toEqual({ messenger: 'email', note: 'via email (no messenger mapped for lead source “phone”)' });
		expect(chooseMessenger('client', 'email', null, map, configured)).toEqual({ messenger: 'email', note: 'via email (no lead source)' });
	});

	it('keeps a fixed channel whatever the lead source', () => {
		expect(chooseMessenger('fixed', 'sms', 'Telegram bot', map, configured)).toEqual({ messenger: 'sms', note: 'via sms' });
	});

	it('checks the settings map, and reads a bad stored one as no map', () => {
		expect(checkLeadSourceMessengers([{ lead_source: 'Telegram bot', messenger: 'telegram' }])).toEqual([]);
		expect(checkLeadSourceMessengers(null)).toEqual([]);
		expect(checkLeadSourceMessengers([{ lead_source: '', messenger: 'tele gram' }])).toEqual([
			'lead_source_messengers.0.lead_source: must not be empty',
			'lead_source_messengers.0.messenger: must be a Listmonk messenger name such as telegram',
		]);
		expect(checkLeadSourceMessengers('{"not": "a list"}')).toEqual(['lead_source_messengers: must be a list of { lead_source, messenger }']);
		expect(leadSourceMessengerMap('garbage').size).toBe(0);
		expect(leadSourceMessengerMap(JSON.stringify([{ lead_source: 'A', messenger: 'sms' }])).get('a')).toBe('sms');
	});
});

describe('transactional data', () => {
	const facts = { code: 'ABCD-EFGH-JKMN', discountType: 'percent', discountValue: 15, validUntilMs: Date.UTC(2026, 11, 31), clientName: 'Ann', rfmCode: 'BCC', rfmSegment: null, lifecycleStage: 'regular', lastPurchaseMs: Date.UTC(2026, 9, 1) };

	it('carries the code, discount and validity with a code, and the loss reason for a follow-up', () => {
		expect(wakeUpTxData({ ...facts, lossReason: 'price' })).toMatchObject({ promo_code: 'ABCD-EFGH-JKMN', discount: '15%', valid_until: '2026-12-31', name: 'Ann', last_purchase: '2026-10-01', loss_reason: 'price' });
	});

	it('carries no code fields for a message alone', () => {
		const data = wakeUpTxData({ ...facts, code: null });
		expect(data).not.toHaveProperty('promo_code');
		expect(data).not.toHaveProperty('discount');
		expect(data).toMatchObject({ name: 'Ann', rfm_code: 'BCC' });
	});
});
