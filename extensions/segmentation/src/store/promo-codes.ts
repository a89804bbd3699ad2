// Promo codes in the database, set-based: issuing thousands of personal codes in a few statements (unique across
// instances through the code_key index), and judging the codes on won deals — a batch's clients in the change
// pipeline, or the whole base after a full pass — with the outcome written on the deal and the code.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { PROMO_NAMES } from '../core/base-names.ts';
import type { Mapping } from '../core/mapping.ts';
import { codeFromBytes, codeKey, judgeRedemptions, type DealWithCode, type DiscountType, type PromoCodeFacts, type PromoKind } from '../core/promo-code.ts';
import { bulkInsert } from './bulk-insert.ts';
import { dialectOf, isPostgres } from './dialects/index.ts';
import { ident, ints, join, run, sql, type Sql } from './queries/sql.ts';
import { rows } from './restriction.ts';
import { readMeta, REDEMPTIONS_TABLE } from './tables.ts';

/** segmentation_meta key: when promo codes were installed (unknown codes on deals won before are history). */
export const PROMO_INSTALLED_META = 'promo_codes_installed_at';
import { updateByCase } from './update-by-case.ts';

/** Deals judged per round (a batch's clients have few; the whole base goes round by round). */
const JUDGE_ROUND = 5000;
/** Codes per INSERT (PostgreSQL: one unnest statement; SQLite: chunked under its parameter limit inside). */
const ISSUE_CHUNK = 5000;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export interface IssueRequest {
	clientIds: readonly number[];
	discountType: DiscountType;
	discountValue: number;
	validFromMs: number | null;
	validUntilMs: number | null;
	/** Who issued them: an automation's name, a Flow, a user. */
	issuedBy: string;
	atMs?: number;
}

export interface IssuedCode {
	clientId: number;
	codeId: number;
	code: string;
}

/** Fresh readable codes, none repeated within the call. */
export function freshCodes(n: number): string[] {
	const out = new Set<string>();
	while (out.size < n) {
		const code = codeFromBytes(randomBytes(24));
		if (code) out.add(code);
	}
	return [...out];
}

/**
 * One personal code per client, in a few statements. A code another writer inserted first (the unique code_key
 * index refuses the chunk) is drawn again: a chunk is retried inside a savepoint, so the caller's transaction stays
 * usable. Runs in the given knex or transaction.
 */
export async function issuePersonalCodes(knex: Knex, req: IssueRequest): Promise<IssuedCode[]> {
	const clients = [...new Set(req.clientIds)].filter((id) => Number.isSafeInteger(id));
	const at = new Date(req.atMs ?? Date.now());
	const date = (ms: number | null) => (ms === null ? null : new Date(ms));
	const columns = [
		{ name: 'code', pg: 'text' as const },
		{ name: 'code_key', pg: 'text' as const },
		{ name: 'kind', pg: 'text' as const },
		{ name: 'client', pg: 'bigint' as const },
		{ name: 'discount_type', pg: 'text' as const },
		{ name: 'discount_value', pg: 'numeric' as const },
		{ name: 'valid_from', pg: 'timestamptz' as const },
		{ name: 'valid_until', pg: 'timestamptz' as const },
		{ name: 'issued_at', pg: 'timestamptz' as const },
		{ name: 'issued_by', pg: 'text' as const },
		{ name: 'redemptions', pg: 'integer' as const },
	];
	const issued: IssuedCode[] = [];
	for (let i = 0; i < clients.length; i += ISSUE_CHUNK) {
		const part = clients.slice(i, i + ISSUE_CHUNK);
		for (let attempt = 1; ; attempt++) {
			const codes = freshCodes(part.length);
			try {
				await knex.transaction(async (trx) => {
					await bulkInsert(trx, PROMO_NAMES.codes, columns, part.map((clientId, k) => [codes[k], codeKey(codes[k]), 'personal' satisfies PromoKind, clientId, req.discountType, req.discountValue, date(req.validFromMs), date(req.validUntilMs), at, req.issuedBy.slice(0, 200), 0]));
				});
			} catch (error) {
				if (attempt < 5 && isUniqueViolation(error)) continue; // ~59 bits a code: practically never, but never a duplicate
				throw error;
			}
			const keys = codes.map((c) => codeKey(c)!);
			const found = new Map((await knex(PROMO_NAMES.codes).whereIn('code_key', keys).select('id', 'code_key')).map((r) => [String(r.code_key), Number(r.id)]));
			part.forEach((clientId, k) => issued.push({ clientId, codeId: found.get(keys[k]!)!, code: codes[k]! }));
			break;
		}
	}
	return issued;
}

function isUniqueViolation(error: unknown): boolean {
	const e = error as { code?: string; message?: string };
	return e?.code === '23505' || /UNIQUE constraint failed/i.test(e?.message ?? '');
}

/** Shared codes (a campaign's) that don't exist yet, by key; the others are left as they are. */
export async function ensureSharedCodes(knex: Knex, codes: ReadonlyArray<{ code: string; percent: number }>, issuedBy: string): Promise<number> {
	if (!(await knex.schema.hasTable(PROMO_NAMES.codes))) return 0;
	let made = 0;
	for (const c of codes) {
		const key = codeKey(c.code);
		if (!key || (await knex(PROMO_NAMES.codes).where({ code_key: key }).first('id'))) continue;
		await knex(PROMO_NAMES.codes).insert({ code: c.code, code_key: key, kind: 'shared', discount_type: 'percent', discount_value: c.percent, issued_at: isPostgres(knex) ? new Date() : Date.now(), issued_by: issuedBy, redemptions: 0 });
		made++;
	}
	return made;
}

// ── judging the codes on won deals ──

interface DealNames {
	deals: Sql;
	client: Sql;
	status: Sql;
	closed: Sql;
	code: Sql;
	codeStatus: Sql;
}

const dealNames = (m: Mapping): DealNames => ({
	deals: ident(m.deal_collection),
	client: ident(m.deal_client_field),
	status: ident(m.deal_status_field),
	closed: ident(m.deal_closed_field),
	code: ident(PROMO_NAMES.dealCode),
	codeStatus: ident(PROMO_NAMES.dealCodeStatus),
});

export interface JudgeCounts {
	judged: number;
	redeemed: number;
	refused: number;
	released: number;
	/** Deals are left for another round (after maxRounds): go on after lastDealId. */
	more: boolean;
	lastDealId: number;
	/** Codes whose redemptions changed (recounted unless `recount: false`). */
	touchedCodes: number[];
}

/**
 * Judges the codes on won deals not judged yet (or whose code changed since), of these clients or of everyone: the
 * outcome goes on the deal (promo_code_status) and in the redemptions table, a personal code records the deal that
 * redeemed it, every touched code its redemption count. Redemptions whose deal lost its code or its win are
 * released. Runs in the given knex or transaction (the change batch's). `maxRounds`: stop after that many rounds of
 * 5,000 deals (`more` says whether some are left); `release: false` skips looking for stale redemptions.
 */
export async function judgeDealCodes(
	knex: Knex,
	m: Mapping,
	clientIds: readonly number[] | null,
	asOfMs: number,
	opts: { maxRounds?: number; release?: boolean; afterDealId?: number; recount?: boolean } = {},
): Promise<JudgeCounts> {
	const counts: JudgeCounts = { judged: 0, redeemed: 0, refused: 0, released: 0, more: false, lastDealId: opts.afterDealId ?? 0, touchedCodes: [] };
	const touched = new Set<number>();
	if (clientIds && !clientIds.length) return counts;
	if (opts.release !== false) {
		const stale = await releaseStale(knex, m, clientIds);
		counts.released = stale.released;
		for (const id of stale.codes) touched.add(id);
	}
	const n = dealNames(m);
	const d = dialectOf(knex);
	const only = clientIds ? sql` AND d.${n.client} IN (${ints(clientIds)})` : sql``;
	let installedAt: number | null | undefined;
	for (let round = 0; round < (opts.maxRounds ?? 10_000); round++) {
		const candidates = rows(
			await run(
				knex,
				sql`SELECT d.id AS deal_id, d.${n.client} AS client_id, d.${n.code} AS code_text, ${d.ms(sql`d.${n.closed}`)} AS closed_ms, r.deal_id AS judged_before
				FROM ${n.deals} d LEFT JOIN ${ident(REDEMPTIONS_TABLE)} r ON r.deal_id = d.id
				WHERE d.${n.status} = ${m.deal_status_won} AND d.${n.code} IS NOT NULL AND d.${n.code} <> '' AND d.${n.client} IS NOT NULL${only}
					AND (r.deal_id IS NULL OR r.code_text <> d.${n.code}) AND d.id > ${counts.lastDealId}
				ORDER BY d.id LIMIT ${JUDGE_ROUND}`,
			),
		);
		if (!candidates.length) break;
		const deals: DealWithCode[] = candidates.map((r) => ({ dealId: Number(r['deal_id']), clientId: Number(r['client_id']), key: codeKey(r['code_text']), atMs: num(r['closed_ms']) ?? asOfMs }));
		// a deal judged before with another code gives that code back first (it may take it again below)
		const rejudged = candidates.filter((r) => r['judged_before'] !== null && r['judged_before'] !== undefined).map((r) => Number(r['deal_id']));
		const released = await releaseCodesOf(knex, rejudged);
		const keys = [...new Set(deals.map((x) => x.key).filter((k): k is string => k !== null))];
		const codes = await codesByKey(knex, keys);
		const sharedIds = [...codes.values()].filter((c) => c.kind === 'shared').map((c) => c.id);
		const usedShared = new Set<string>();
		if (sharedIds.length) {
			const dealIds = deals.map((x) => x.dealId);
			const used = await knex(REDEMPTIONS_TABLE).where({ outcome: 'redeemed' }).whereIn('code_id', sharedIds).whereIn('client_id', [...new Set(deals.map((x) => x.clientId))]).whereNotIn('deal_id', dealIds).select('code_id', 'client_id');
			for (const u of used) usedShared.add(`${Number(u.code_id)}:${Number(u.client_id)}`);
		}
		// read only when a code is unknown (the common batch has none)
		if (installedAt === undefined && deals.some((x) => x.key === null || !codes.has(x.key))) installedAt = num(await readMeta(knex, PROMO_INSTALLED_META));
		const verdicts = judgeRedemptions(deals, codes, usedShared, installedAt ?? null);
		const textOf = new Map(candidates.map((r) => [Number(r['deal_id']), String(r['code_text'])]));
		const judged = deals.map((x) => ({ deal_id: x.dealId, client_id: x.clientId, code_id: verdicts.get(x.dealId)!.codeId, code_text: textOf.get(x.dealId)!, outcome: verdicts.get(x.dealId)!.outcome, judged_at: asOfMs }));
		const chunk = isPostgres(knex) ? 2000 : 150;
		for (let i = 0; i < judged.length; i += chunk) await knex(REDEMPTIONS_TABLE).insert(judged.slice(i, i + chunk)).onConflict('deal_id').merge();
		const personalIds = new Set([...codes.values()].filter((c) => c.kind === 'personal').map((c) => c.id));
		const personalWins = judged.filter((j) => j.outcome === 'redeemed' && j.code_id !== null && personalIds.has(j.code_id));
		await updateByCase(knex, PROMO_NAMES.codes, 'id', { redeemed_deal: 'INTEGER' }, personalWins.map((w) => ({ id: w.code_id!, values: { redeemed_deal: w.deal_id } })), { redeemed_at: d.pg ? new Date(asOfMs) : asOfMs });
		await updateByCase(
			knex,
			m.deal_collection,
			'id',
			{ [PROMO_NAMES.dealCodeStatus]: 'TEXT', [PROMO_NAMES.dealRedeemedCode]: 'INTEGER' },
			judged.map((j) => ({ id: j.deal_id, values: { [PROMO_NAMES.dealCodeStatus]: j.outcome === 'history' ? null : j.outcome, [PROMO_NAMES.dealRedeemedCode]: j.outcome === 'redeemed' ? j.code_id : null } })),
		);
		for (const id of [...judged.map((j) => j.code_id), ...released]) if (id !== null) touched.add(id);
		counts.lastDealId = deals.reduce((max, x) => Math.max(max, x.dealId), counts.lastDealId);
		counts.judged += judged.length;
		counts.redeemed += judged.filter((j) => j.outcome === 'redeemed').length;
		counts.refused += judged.filter((j) => j.outcome !== 'redeemed' && j.outcome !== 'history').length;
		counts.more = candidates.length === JUDGE_ROUND;
		if (!counts.more) break;
	}
	counts.touchedCodes = [...touched];
	if (opts.recount !== false) await recountRedemptions(knex, counts.touchedCodes);
	return counts;
}

async function codesByKey(knex: Knex, keys: readonly string[]): Promise<Map<string, PromoCodeFacts>> {
	const out = new Map<string, PromoCodeFacts>();
	if (!keys.length) return out;
	const d = dialectOf(knex);
	for (let i = 0; i < keys.length; i += 1000) {
		const found = rows(
			await run(
				knex,
				sql`SELECT id, code_key, kind, client, ${d.ms(sql`valid_from`)} AS valid_from_ms, ${d.ms(sql`valid_until`)} AS valid_until_ms, redeemed_deal
				FROM ${ident(PROMO_NAMES.codes)} WHERE code_key IN (${join(keys.slice(i, i + 1000).map((k) => sql`${k}`), ', ')})`,
			),
		);
		for (const r of found) {
			out.set(String(r['code_key']), { id: Number(r['id']), kind: r['kind'] === 'shared' ? 'shared' : 'personal', clientId: num(r['client']), validFromMs: num(r['valid_from_ms']), validUntilMs: num(r['valid_until_ms']), redeemedDealId: num(r['redeemed_deal']) });
		}
	}
	return out;
}

/** Personal codes held by these deals are free again; returns the codes touched. */
async function releaseCodesOf(knex: Knex, dealIds: readonly number[]): Promise<number[]> {
	if (!dealIds.length) return [];
	const held = (await knex(PROMO_NAMES.codes).whereIn('redeemed_deal', dealIds).select('id')).map((r) => Number(r.id));
	if (held.length) await knex(PROMO_NAMES.codes).whereIn('id', held).update({ redeemed_deal: null, redeemed_at: null });
	return held;
}

/** Every deal of the base not judged yet, a transaction per round of 5,000 (a crash loses at most one round's work,
 *  which the next pass redoes). For deals written without the change queue (a seed, an import, a restore). */
export async function judgeAllDealCodes(knex: Knex, m: Mapping, asOfMs: number): Promise<{ judged: number; redeemed: number; released: number }> {
	const total = { judged: 0, redeemed: 0, released: 0 };
	const touched = new Set<number>();
	let after = 0;
	for (let round = 0; ; round++) {
		// keyset: each round starts after the last deal the previous one judged (never re-scans the judged ones)
		const r = await knex.transaction((trx) => judgeDealCodes(trx, m, null, asOfMs, { maxRounds: 1, release: round === 0, afterDealId: after, recount: false }));
		total.judged += r.judged;
		total.redeemed += r.redeemed;
		total.released += r.released;
		for (const id of r.touchedCodes) touched.add(id);
		after = r.lastDealId;
		if (!r.more) break;
	}
	// counted once at the end: a shared code of a big campaign has hundreds of thousands of redemptions
	await recountRedemptions(knex, [...touched]);
	return total;
}

/** Redemptions whose deal is gone, no longer won or carries no code: removed, their codes released. */
async function releaseStale(knex: Knex, m: Mapping, clientIds: readonly number[] | null): Promise<{ released: number; codes: number[] }> {
	const n = dealNames(m);
	const only = clientIds ? sql` AND r.client_id IN (${ints(clientIds)})` : sql``;
	const stale = rows(
		await run(
			knex,
			sql`SELECT r.deal_id AS deal_id, r.code_id AS code_id, d.id AS still_there FROM ${ident(REDEMPTIONS_TABLE)} r LEFT JOIN ${n.deals} d ON d.id = r.deal_id
			WHERE (d.id IS NULL OR d.${n.status} <> ${m.deal_status_won} OR d.${n.code} IS NULL OR d.${n.code} = '')${only}`,
		),
	);
	if (!stale.length) return { released: 0, codes: [] };
	const dealIds = stale.map((r) => Number(r['deal_id']));
	const released = await releaseCodesOf(knex, dealIds);
	for (let i = 0; i < dealIds.length; i += 1000) await knex(REDEMPTIONS_TABLE).whereIn('deal_id', dealIds.slice(i, i + 1000)).delete();
	const present = stale.filter((r) => r['still_there'] !== null && r['still_there'] !== undefined).map((r) => Number(r['deal_id']));
	for (let i = 0; i < present.length; i += 1000) await knex(m.deal_collection).whereIn('id', present.slice(i, i + 1000)).update({ [PROMO_NAMES.dealCodeStatus]: null, [PROMO_NAMES.dealRedeemedCode]: null });
	return { released: stale.length, codes: [...new Set([...released, ...stale.map((r) => num(r['code_id'])).filter((id): id is number => id !== null)])] };
}

/** Each code's count of won deals that redeemed it. */
async function recountRedemptions(knex: Knex, codeIds: readonly number[]): Promise<void> {
	for (let i = 0; i < codeIds.length; i += 1000) {
		const part = codeIds.slice(i, i + 1000);
		await run(
			knex,
			sql`UPDATE ${ident(PROMO_NAMES.codes)} SET redemptions = (SELECT COUNT(*) FROM ${ident(REDEMPTIONS_TABLE)} r WHERE r.code_id = ${ident(PROMO_NAMES.codes)}.id AND r.outcome = 'redeemed')
			WHERE id IN (${ints(part)})`,
		);
	}
}

/** Clients who redeemed this code (a sequence's list leaves them out). */
export async function redeemersOf(knex: Knex, codeId: number): Promise<number[]> {
	return (await knex(REDEMPTIONS_TABLE).where({ code_id: codeId, outcome: 'redeemed' }).distinct('client_id')).map((r) => Number(r.client_id));
}
