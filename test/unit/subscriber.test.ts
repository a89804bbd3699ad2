// What a client becomes in Listmonk: the address as Listmonk takes it, the attributes we own, the change hash, and
// the CSV our imports send (read back with csv-parse, as Listmonk's importer reads it).
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { crmAttributes, normaliseEmail, ownedStateHash, subscriberName, type ClientFacts } from '../../extensions/segmentation/src/core/subscriber.ts';
import { importCsv } from '../../extensions/segmentation/src/listmonk/sync/client-port.ts';

const facts = (over: Partial<ClientFacts> = {}): ClientFacts => ({
	id: 7,
	name: 'Ann Lee',
	email: 'Ann.Lee@Example.com',
	rfm_code: 'CBA',
	rfm_r: 3,
	rfm_f: 2,
	rfm_m: 1,
	rfm_segment: 'Promising',
	lifecycle_stage: 'returning',
	value_tier: 'regular',
	spend_trend: 'steady',
	last_purchase_at: Date.UTC(2026, 10, 3, 15, 30),
	next_purchase_due_at: null,
	lead_source: 'referral',
	tags: ['tea', 'books', 'tea'],
	...over,
});

describe('normaliseEmail', () => {
	it('trims and lower-cases like Listmonk', () => {
		expect(normaliseEmail('  Ann.Lee@Example.COM ')).toBe('ann.lee@example.com');
		expect(normaliseEmail('a@b')).toBe('a@b'); // Listmonk accepts an address without a top-level domain
		expect(normaliseEmail("o'brien+tag@x.io")).toBe("o'brien+tag@x.io");
	});

	it('refuses what Listmonk refuses', () => {
		for (const bad of ['', '   ', 'no-at-sign', '@x.com', 'a@', 'Ann <ann@x.com>', 'a b@x.com', 'a@@x.com', 'a..b@x.com', '.a@x.com', `${'a'.repeat(995)}@x.com`, null, 42]) {
			expect(normaliseEmail(bad), String(bad)).toBeNull();
		}
	});
});

describe('crmAttributes', () => {
	it('carries the behaviour under stable names, dates as days, interests sorted and unique', () => {
		expect(crmAttributes(facts())).toEqual({
			client_id: 7,
			rfm_code: 'CBA',
			rfm_r: 3,
			rfm_f: 2,
			rfm_m: 1,
			rfm_segment: 'Promising',
			lifecycle_stage: 'returning',
			value_tier: 'regular',
			spend_trend: 'steady',
			interests: ['books', 'tea'],
			last_purchase: '2026-11-03',
			next_purchase_due: null,
			lead_source: 'referral',
		});
	});

	it('hashes what we own: the same facts in another order hash alike, any change hashes differently', () => {
		const a = crmAttributes(facts());
		const b = crmAttributes(facts({ tags: ['books', 'tea'] }));
		expect(ownedStateHash('ann.lee@example.com', 'Ann Lee', a)).toBe(ownedStateHash('ann.lee@example.com', 'Ann Lee', b));
		expect(ownedStateHash('ann.lee@example.com', 'Ann Lee', a)).not.toBe(ownedStateHash('ann.lee@example.com', 'Ann Lee', crmAttributes(facts({ rfm_r: 2 }))));
		expect(ownedStateHash('ann.lee@example.com', 'Ann Lee', a)).not.toBe(ownedStateHash('ann@example.com', 'Ann Lee', a));
		expect(ownedStateHash('ann.lee@example.com', 'Ann Lee', a)).not.toBe(ownedStateHash('ann.lee@example.com', 'Ann', a));
	});
});

describe('subscriberName', () => {
	it('is the client’s name, or derived from the address as Listmonk does', () => {
		expect(subscriberName({ name: ' Ann Lee ', email: 'x@y' })).toBe('Ann Lee');
		expect(subscriberName({ name: null, email: 'john.doe@example.com' })).toBe('John Doe');
		expect(subscriberName({ name: '', email: 'solo@example.com' })).toBe('Solo');
	});
});

describe('importCsv', () => {
	it('writes a header and one quoted row per subscriber that a CSV reader reads back exactly', () => {
		const rows = [
			{ email: 'a@x.com', name: 'Lee, "Ann"', attribs: { crm: { client_id: 1, interests: ['a,b'] } } },
			{ email: "o'b@x.com", name: 'Line\nbreak', attribs: {} },
		];
		const read = parse(importCsv(rows), { columns: true }) as Array<Record<string, string>>;
		expect(read).toEqual([
			{ email: 'a@x.com', name: 'Lee, "Ann"', attributes: JSON.stringify({ crm: { client_id: 1, interests: ['a,b'] } }) },
			{ email: "o'b@x.com", name: 'Line\nbreak', attributes: '{}' },
		]);
	});
});
