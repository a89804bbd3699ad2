// The pure parts of subscriber updates below v6.1: the PUT body a PATCH would have meant, and the regex for a
// lookup by email.
import { describe, expect, it } from 'vitest';
import type { ListmonkSubscriber } from './schemas.ts';
import { escapeRegex, mergeAttribs, replacementOf } from './subscribers.ts';

const current: ListmonkSubscriber = {
	id: 7,
	uuid: 'u',
	email: 'ann@example.com',
	name: 'Ann',
	status: 'enabled',
	attribs: { crm: { rfm: '555', tier: 'vip' }, city: 'Oslo' },
	lists: [
		{ id: 1, name: 'a', subscription_status: 'confirmed' },
		{ id: 2, name: 'b', subscription_status: 'unsubscribed' },
	],
};

describe('replacementOf (read-modify-write PUT)', () => {
	it('keeps lists, email, name and status, and merges attribs one level deep', () => {
		expect(replacementOf(current, { attribs: { crm: { rfm: '111' } } })).toEqual({
			email: 'ann@example.com',
			name: 'Ann',
			status: 'enabled',
			attribs: { crm: { rfm: '111' }, city: 'Oslo' },
			lists: [1, 2],
		});
	});

	it('changes what the patch says', () => {
		expect(replacementOf(current, { name: 'Anna', lists: [3], preconfirm_subscriptions: true, attribs: null })).toEqual({
			email: 'ann@example.com',
			name: 'Anna',
			status: 'enabled',
			attribs: {},
			lists: [3],
			preconfirm_subscriptions: true,
		});
	});

	it('merges like PATCH: absent keeps, null clears, keys replace whole', () => {
		expect(mergeAttribs({ a: 1 }, undefined)).toEqual({ a: 1 });
		expect(mergeAttribs({ a: 1 }, null)).toEqual({});
		expect(mergeAttribs({ a: { x: 1, y: 2 }, b: 1 }, { a: { x: 3 } })).toEqual({ a: { x: 3 }, b: 1 });
	});
});

describe('escapeRegex', () => {
	it('makes every metacharacter of an email literal', () => {
		expect(escapeRegex('a.b+c@x-y.com')).toBe('a\\.b\\+c@x-y\\.com');
		expect(escapeRegex('^(a|b)*?[x]{2}$\\')).toBe('\\^\\(a\\|b\\)\\*\\?\\[x\\]\\{2\\}\\$\\\\');
	});
});
