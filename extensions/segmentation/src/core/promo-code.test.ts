import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CODE_ALPHABET, codeFromBytes, codeKey, judgeRedemptions, type DealWithCode, type PromoCodeFacts } from './promo-code.ts';

const DAY = 86_400_000;

describe('promo codes', () => {
	it('are readable: XXXX-XXXX-XXXX of letters and digits nobody misreads', () => {
		for (let i = 0; i < 500; i++) {
			const code = codeFromBytes(randomBytes(32))!;
			expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
			expect(code).not.toMatch(/[0O1IL]/);
		}
		expect(CODE_ALPHABET).toHaveLength(31);
	});

	it('use every symbol equally: bytes that would favour some are skipped', () => {
		// 248..255 would map to the first 8 symbols a second time
		expect(codeFromBytes(new Uint8Array([248, 249, 250, 251, 252, 253, 254, 255, ...Array(12).fill(0)]))).toBe('AAAA-AAAA-AAAA');
		expect(codeFromBytes(new Uint8Array(Array(11).fill(0)))).toBeNull(); // too few bytes
		const counts = new Map<string, number>();
		for (let i = 0; i < 4000; i++) for (const c of codeFromBytes(randomBytes(32))!.replaceAll('-', '')) counts.set(c, (counts.get(c) ?? 0) + 1);
		expect(counts.size).toBe(31);
		const expected = (4000 * 12) / 31;
		for (const n of counts.values()) expect(Math.abs(n - expected) / expected).toBeLessThan(0.15);
	});

	it('are matched by a key: case, spaces and dashes do not matter; junk is no code', () => {
		expect(codeKey(' abcd-efgh jkmn ')).toBe('ABCDEFGHJKMN');
		expect(codeKey('Summer 25')).toBe('SUMMER25');
		expect(codeKey('--')).toBeNull();
		expect(codeKey(42)).toBeNull();
		expect(codeKey('x'.repeat(65))).toBeNull();
	});
});

describe('judging the codes on won deals', () => {
	const personal = (id: number, clientId: number, extra: Partial<PromoCodeFacts> = {}): PromoCodeFacts => ({ id, kind: 'personal', clientId, validFromMs: 0, validUntilMs: 100 * DAY, redeemedDealId: null, ...extra });
	const shared = (id: number, extra: Partial<PromoCodeFacts> = {}): PromoCodeFacts => ({ id, kind: 'shared', clientId: null, validFromMs: null, validUntilMs: null, redeemedDealId: null, ...extra });
	const deal = (dealId: number, clientId: number, key: string | null, atMs = 10 * DAY): DealWithCode => ({ dealId, clientId, key, atMs });

	it('redeems a valid personal code for its client, once', () => {
		const codes = new Map([['AAAA', personal(1, 7)]]);
		const verdicts = judgeRedemptions([deal(11, 7, 'AAAA'), deal(10, 7, 'AAAA')], codes, new Set());
		expect(verdicts.get(10)).toEqual({ outcome: 'redeemed', codeId: 1 });
		expect(verdicts.get(11)).toEqual({ outcome: 'already_used', codeId: 1 });
	});

	it('says why a code is not accepted', () => {
		const codes = new Map([
			['MINE', personal(1, 7)],
			['USED', personal(2, 8, { redeemedDealId: 99 })],
			['LATE', personal(3, 8, { validUntilMs: 5 * DAY })],
			['SOON', personal(4, 8, { validFromMs: 20 * DAY })],
		]);
		const verdicts = judgeRedemptions([deal(1, 8, 'MINE'), deal(2, 8, 'USED'), deal(3, 8, 'LATE'), deal(4, 8, 'SOON'), deal(5, 8, 'NOPE'), deal(6, 8, null)], codes, new Set());
		expect([...verdicts.values()].map((v) => v.outcome)).toEqual(['not_yours', 'already_used', 'expired', 'not_yet_valid', 'unknown', 'unknown']);
		// the deal that redeemed a code, judged again, keeps it
		expect(judgeRedemptions([deal(99, 8, 'USED')], codes, new Set()).get(99)!.outcome).toBe('redeemed');
	});

	it('leaves unknown codes on deals won before promo codes were installed alone (an existing base’s history)', () => {
		const codes = new Map([['SUMMER25', shared(5)]]);
		const verdicts = judgeRedemptions([deal(1, 7, 'OLDSYSTEM1', 5 * DAY), deal(2, 7, 'OLDSYSTEM1', 20 * DAY), deal(3, 8, 'SUMMER25', 5 * DAY)], codes, new Set(), 10 * DAY);
		expect([1, 2, 3].map((id) => verdicts.get(id)!.outcome)).toEqual(['history', 'unknown', 'redeemed']);
	});

	it('lets every client use a shared code once', () => {
		const codes = new Map([['SUMMER25', shared(5)]]);
		const verdicts = judgeRedemptions([deal(1, 7, 'SUMMER25'), deal(2, 8, 'SUMMER25'), deal(3, 7, 'SUMMER25'), deal(4, 9, 'SUMMER25')], codes, new Set(['5:9']));
		expect([1, 2, 3, 4].map((id) => verdicts.get(id)!.outcome)).toEqual(['redeemed', 'redeemed', 'already_used', 'already_used']);
	});
});
