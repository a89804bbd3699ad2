// Promo codes: what one looks like, how a code typed on a deal is matched, and whether a won deal may redeem it.
// Pure: randomness comes in as bytes (crypto in production), time as a number.
import { z } from 'zod';
import { formatIssues } from './mapping.ts';

/** Letters and digits nobody misreads: no 0/O, 1/I/L (lower-case l never appears: codes are upper case). */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
/** 12 symbols of a 31-letter alphabet: ~59 bits, unguessable by trying, still easy to read out and type. */
export const CODE_LENGTH = 12;

/**
 * A readable code from random bytes (at least CODE_LENGTH of them): XXXX-XXXX-XXXX. Bytes of 248 or more are
 * skipped so every symbol is equally likely (256 is not a multiple of 31); null when the bytes ran out first.
 */
export function codeFromBytes(bytes: Uint8Array): string | null {
	const symbols: string[] = [];
	const limit = 256 - (256 % CODE_ALPHABET.length);
	for (const b of bytes) {
		if (b >= limit) continue;
		symbols.push(CODE_ALPHABET[b % CODE_ALPHABET.length]!);
		if (symbols.length === CODE_LENGTH) break;
	}
	if (symbols.length < CODE_LENGTH) return null;
	return [0, 4, 8].map((i) => symbols.slice(i, i + 4).join('')).join('-');
}

/** How a code is compared: upper case, letters and digits only ("abcd-efgh jkmn" matches ABCD-EFGH-JKMN; a shared
 *  code a marketer typed as "Summer 25" matches "SUMMER25"). Null for nothing usable. */
export function codeKey(input: unknown): string | null {
	if (typeof input !== 'string') return null;
	const key = input.normalize('NFKC').toUpperCase().replace(/[^\p{L}\p{N}]/gu, '');
	return key.length >= 3 && key.length <= 64 ? key : null;
}

export const PROMO_KINDS = ['personal', 'shared'] as const;
export type PromoKind = (typeof PROMO_KINDS)[number];

export const DISCOUNT_TYPES = ['percent', 'amount'] as const;
export type DiscountType = (typeof DISCOUNT_TYPES)[number];

/** What happened to the code on a won deal: redeemed, or why not (shown on the deal). */
export const REDEMPTION_OUTCOMES = ['redeemed', 'unknown', 'not_yet_valid', 'expired', 'already_used', 'not_yours'] as const;
/** Plus, kept in the bookkeeping only: a code nobody here issued, on a deal won before promo codes were installed
 *  (an existing base's history: another system's codes, neither accepted nor flagged). */
export type RedemptionOutcome = (typeof REDEMPTION_OUTCOMES)[number] | 'history';

export interface PromoCodeFacts {
	id: number;
	kind: PromoKind;
	/** Personal codes: whose. */
	clientId: number | null;
	validFromMs: number | null;
	validUntilMs: number | null;
	/** Personal codes: the deal that redeemed it. */
	redeemedDealId: number | null;
}

export interface DealWithCode {
	dealId: number;
	clientId: number;
	key: string | null;
	/** When the deal was won (its closed date), else the time it is judged. */
	atMs: number;
}

/**
 * Judges the won deals of one batch that carry a code. `usedShared`: pairs `${codeId}:${clientId}` of shared codes
 * each client already redeemed (a shared code is good once per client). `installedAtMs`: when promo codes were
 * installed — an unknown code on a deal won before is history, not a problem. Deals are taken in id order, so of two deals
 * with one personal code in a batch the first redeems it and the second is already_used.
 */
export function judgeRedemptions(deals: readonly DealWithCode[], codes: ReadonlyMap<string, PromoCodeFacts>, usedShared: ReadonlySet<string>, installedAtMs: number | null = null): Map<number, { outcome: RedemptionOutcome; codeId: number | null }> {
	const out = new Map<number, { outcome: RedemptionOutcome; codeId: number | null }>();
	const personalTaken = new Map<number, number>();
	const sharedTaken = new Set(usedShared);
	for (const deal of [...deals].sort((a, b) => a.dealId - b.dealId)) {
		const code = deal.key === null ? undefined : codes.get(deal.key);
		if (!code) {
			out.set(deal.dealId, { outcome: installedAtMs !== null && deal.atMs < installedAtMs ? 'history' : 'unknown', codeId: null });
			continue;
		}
		const verdict = ((): RedemptionOutcome => {
			if (code.kind === 'personal' && code.clientId !== deal.clientId) return 'not_yours';
			if (code.validFromMs !== null && deal.atMs < code.validFromMs) return 'not_yet_valid';
			if (code.validUntilMs !== null && deal.atMs > code.validUntilMs) return 'expired';
			if (code.kind === 'personal') {
				const holder = personalTaken.get(code.id) ?? code.redeemedDealId;
				return holder !== null && holder !== deal.dealId ? 'already_used' : 'redeemed';
			}
			return sharedTaken.has(`${code.id}:${deal.clientId}`) ? 'already_used' : 'redeemed';
		})();
		if (verdict === 'redeemed') {
			if (code.kind === 'personal') personalTaken.set(code.id, deal.dealId);
			else sharedTaken.add(`${code.id}:${deal.clientId}`);
		}
		out.set(deal.dealId, { outcome: verdict, codeId: code.id });
	}
	return out;
}

// ── what a promo code save may contain ──

const moment = z.union([z.string(), z.number(), z.date()]).nullable();

const promoPayloadSchema = z
	.object({
		code: z.string({ error: 'must be text' }).max(64, 'must be at most 64 characters').nullable(),
		kind: z.enum(PROMO_KINDS, { error: 'must be "personal" or "shared"' }),
		client: z.union([z.number().int().positive(), z.string().regex(/^\d+$/), z.object({}).passthrough()], { error: 'must be a client id' }).nullable(),
		discount_type: z.enum(DISCOUNT_TYPES, { error: 'must be "percent" or "amount"' }),
		discount_value: z.coerce.number({ error: 'must be a number' }).finite('must be a number'),
		valid_from: moment,
		valid_until: moment,
		issued_by: z.string().max(200, 'must be at most 200 characters').nullable(),
	})
	.partial();

/** Fields the extension keeps: a save can't set them (they are dropped from the payload). */
export const COMPUTED_PROMO_FIELDS = ['code_key', 'redeemed_at', 'redeemed_deal', 'redemptions'] as const;

const msOf = (v: unknown): number | null => {
	if (v === null || v === undefined || v === '') return null;
	const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(String(v));
	return Number.isFinite(ms) ? ms : null;
};

/** Problems with a promo code save (`saved`: the row before an update, null for a create), each naming its field. */
export function checkPromoPayload(payload: Record<string, unknown>, saved: Record<string, unknown> | null): string[] {
	const known = Object.fromEntries(Object.entries(payload).filter(([key]) => key in promoPayloadSchema.shape));
	const parsed = promoPayloadSchema.safeParse(known);
	const errors = parsed.success ? [] : formatIssues(parsed.error);
	const after = { ...(saved ?? {}), ...payload };
	if ('code' in payload && payload['code'] !== null && payload['code'] !== '' && codeKey(payload['code']) === null) errors.push('code: use 3 to 64 letters and digits (spaces and dashes are ignored)');
	if ((after['kind'] ?? 'personal') === 'personal' && (after['client'] === null || after['client'] === undefined)) errors.push('client: a personal code belongs to one client (or make it shared)');
	const value = Number(after['discount_value'] ?? 0);
	const type = after['discount_type'] ?? 'percent';
	if (type === 'percent' && !(value > 0 && value <= 100)) errors.push('discount_value: a percent discount is more than 0 and at most 100');
	if (type === 'amount' && !(value > 0)) errors.push('discount_value: an amount discount is more than 0');
	const from = msOf(after['valid_from']);
	const until = msOf(after['valid_until']);
	if (from !== null && until !== null && until < from) errors.push('valid_until: must not be before valid_from');
	return errors;
}
