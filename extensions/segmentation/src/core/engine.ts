// The behaviour engine's semantics on in-memory arrays: the reference the SQL store is property-tested against.
// Times are epoch milliseconds, money is integer cents (exact ties, no float drift).
import { levelsOf, type EngineSettings, type SegmentRule } from './engine-settings.ts';

export const DAY_MS = 86_400_000;

export interface StatusValues { won: string; lost: string; open: string; uninterested: string }
/**
 * A deal as the table holds it. NaN stands for a value that is not a number: a text amount ("abc", "NaN" — SQLite
 * keeps any text in a numeric column; PostgreSQL's numeric holds NaN) or a text date that is not an ISO-8601 date
 * (SQLite keeps any text in a datetime column; an ISO date in text is read as UTC and given here as its time).
 */
export interface DealRow { client: number | null; status: string | null; amountCents: number | null; createdMs: number | null; closedMs: number | null }
export interface ClientRow { id: number; difficult: boolean }

/**
 * Why a deal is left out, checked in this order (a deal counts once, under the first that applies): no client; a
 * client that doesn't exist; a status none of the four; then a won deal's amount (null, negative or not a number;
 * above `max_deal_amount`) and closed date (none; text that is no date; after as_of); another deal's created date
 * (text that is no date; after as_of).
 */
export const SKIP_REASONS = ['no_client', 'unknown_client', 'unknown_status', 'bad_amount', 'amount_over_max', 'no_date', 'bad_date', 'future_date'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];
export type Skipped = Record<SkipReason, number>;
export const noSkips = (): Skipped => Object.fromEntries(SKIP_REASONS.map((reason) => [reason, 0])) as Skipped;

/** What a full run fixes and incremental runs reuse. Monetary cut-offs are in cents (sum) or cents per deal (average). */
export interface Cutoffs {
	levels: number;
	recency: number[];
	frequency: number[];
	monetary: number[];
	/** Monetary above this is VIP (null: nobody scored). */
	vip: number | null;
	/** The base's median purchase cycle in ms (null: no repeat buyers). */
	baseCycleMs: number | null;
}

export type LifecycleStage = 'lead' | 'in_selection' | 'refused' | 'uninterested' | 'one_time' | 'returning' | 'regular';

export interface ClientScores {
	frequency: number | null;
	/** The M value in cents: sum, or average per purchase. */
	monetaryCents: number | null;
	r: number | null;
	f: number | null;
	m: number | null;
	code: string | null;
	segment: string | null;
	firstMs: number | null;
	lastMs: number | null;
	avgOrderCents: number | null;
	cycleMs: number | null;
	nextDueMs: number | null;
	sleeping: boolean | null;
	stage: LifecycleStage;
	tier: 'difficult' | 'vip' | 'regular' | null;
	trend: 'declining' | 'rising' | 'steady' | null;
}

/** Per-client facts aggregated from valid deals: the same aggregates the SQL computes. */
export interface ClientFacts {
	frequency: number;
	sumCents: number;
	firstMs: number | null;
	lastMs: number | null;
	recentCents: number;
	previousCents: number;
	/** Median gap between consecutive purchases, ms (null below 2 purchases). */
	cycleMs: number | null;
	freshOpen: boolean;
	staleOpen: boolean;
	lost: boolean;
	uninterested: boolean;
}

/** 1-based positions of the n−1 cut-offs among N sorted values: smallest v with count(≤ v) ≥ k/n · N. */
export function cutoffPositions(count: number, levels: number): number[] {
	const positions: number[] = [];
	for (let k = 1; k < levels; k++) positions.push(Math.max(1, Math.ceil((k * count) / levels)));
	return positions;
}

/** 1-based position of the VIP cut-off: monetary strictly above the value at this position is the top X %. */
export function vipPosition(count: number, topPercent: number): number {
	return Math.max(1, Math.ceil(((100 - topPercent) * count) / 100 - 1e-9));
}

export function cutoffsOf(sortedValues: number[], levels: number): number[] {
	if (sortedValues.length === 0) return [];
	return cutoffPositions(sortedValues.length, levels).map((p) => sortedValues[p - 1]!);
}

export const scoreUp = (value: number, cutoffs: number[]) => 1 + cutoffs.filter((c) => c < value).length;
export const scoreRecency = (days: number, cutoffs: number[], levels: number) => levels - cutoffs.filter((c) => c < days).length;
export const recencyDays = (asOfMs: number, lastMs: number) => Math.floor((asOfMs - lastMs) / DAY_MS);
export const fmOf = (f: number, m: number) => Math.floor((f + m + 1) / 2);

export function monetaryValue(facts: Pick<ClientFacts, 'sumCents' | 'frequency'>, basis: EngineSettings['rfm_monetary_basis']): number {
	return basis === 'sum' ? facts.sumCents : facts.sumCents / facts.frequency;
}

export function codeOf(r: number, f: number, m: number, scheme: EngineSettings['rfm_scheme']): string {
	const letter = (s: number) => 'ABC'[s - 1] ?? '?';
	return scheme === 'abc' ? `${letter(r)}${letter(f)}${letter(m)}` : `${r}${f}${m}`;
}

export function segmentOf(r: number, f: number, m: number, rules: SegmentRule[] | undefined): string | null {
	const fm = fmOf(f, m);
	return rules?.find((rule) => r >= rule.r[0] && r <= rule.r[1] && fm >= rule.fm[0] && fm <= rule.fm[1])?.name ?? null;
}

/** The median of numbers (mean of the two middle ones for an even count). */
export function median(values: number[]): number | null {
	if (values.length === 0) return null;
	const s = [...values].sort((a, b) => a - b);
	const mid = s.length >> 1;
	return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Why a deal is left out (SKIP_REASONS), or null when it counts. `clients`: the ids that exist (omitted: all do). */
export function skipReason(d: DealRow, status: StatusValues, s: EngineSettings, asOfMs: number, clients?: ReadonlySet<number>): SkipReason | null {
	if (d.client === null) return 'no_client';
	if (clients && !clients.has(d.client)) return 'unknown_client';
	if (d.status === null || ![status.won, status.lost, status.open, status.uninterested].includes(d.status)) return 'unknown_status';
	if (d.status === status.won) {
		// the SQL compares the stored amount with the maximum; cents are that amount rounded (equal for 2 decimals)
		if (d.amountCents === null || Number.isNaN(d.amountCents) || d.amountCents < 0) return 'bad_amount';
		if (d.amountCents > s.max_deal_amount * 100) return 'amount_over_max';
		if (d.closedMs === null) return 'no_date';
		if (Number.isNaN(d.closedMs)) return 'bad_date';
		return d.closedMs > asOfMs ? 'future_date' : null;
	}
	if (d.createdMs !== null && Number.isNaN(d.createdMs)) return 'bad_date';
	return d.createdMs !== null && d.createdMs > asOfMs ? 'future_date' : null;
}

/** Classifies deals as the SQL does and aggregates the facts per client. `clients`: the ids that exist (omitted: all do). */
export function aggregateFacts(deals: DealRow[], status: StatusValues, s: EngineSettings, asOfMs: number, clients?: ReadonlySet<number>): { facts: Map<number, ClientFacts>; skipped: Skipped } {
	const skipped = noSkips();
	const byClient = new Map<number, { times: number[]; sum: number; recent: number; previous: number; freshOpen: boolean; staleOpen: boolean; lost: boolean; uninterested: boolean }>();
	const period = s.trend_period_days * DAY_MS;
	const refusedMs = s.refused_after_days * DAY_MS;
	for (const d of deals) {
		const reason = skipReason(d, status, s, asOfMs, clients);
		if (reason !== null) {
			skipped[reason]++;
			continue;
		}
		const client = d.client!;
		const entry = byClient.get(client) ?? { times: [], sum: 0, recent: 0, previous: 0, freshOpen: false, staleOpen: false, lost: false, uninterested: false };
		if (d.status === status.won) {
			const closedMs = d.closedMs!;
			const cents = d.amountCents!;
			entry.times.push(closedMs);
			entry.sum += cents;
			if (closedMs > asOfMs - period) entry.recent += cents;
			else if (closedMs > asOfMs - 2 * period) entry.previous += cents;
		} else if (d.status === status.open) {
			if (d.createdMs !== null && d.createdMs > asOfMs - refusedMs) entry.freshOpen = true;
			else entry.staleOpen = true;
		} else if (d.status === status.lost) entry.lost = true;
		else entry.uninterested = true;
		byClient.set(client, entry);
	}
	const facts = new Map<number, ClientFacts>();
	for (const [client, e] of byClient) {
		const times = e.times.sort((a, b) => a - b);
		const gaps = times.slice(1).map((t, i) => t - times[i]!);
		facts.set(client, {
			frequency: times.length,
			sumCents: e.sum,
			firstMs: times[0] ?? null,
			lastMs: times.at(-1) ?? null,
			recentCents: e.recent,
			previousCents: e.previous,
			cycleMs: median(gaps),
			freshOpen: e.freshOpen,
			staleOpen: e.staleOpen,
			lost: e.lost,
			uninterested: e.uninterested,
		});
	}
	return { facts, skipped };
}

/** Cut-offs over the scored clients (≥ 1 purchase) of a base; thresholds come from the settings instead. */
export function computeCutoffs(facts: Iterable<ClientFacts>, s: EngineSettings, asOfMs: number): Cutoffs {
	const levels = levelsOf(s);
	const scored = [...facts].filter((f) => f.frequency > 0);
	const recency = scored.map((f) => recencyDays(asOfMs, f.lastMs!)).sort((a, b) => a - b);
	const frequency = scored.map((f) => f.frequency).sort((a, b) => a - b);
	const monetary = scored.map((f) => monetaryValue(f, s.rfm_monetary_basis)).sort((a, b) => a - b);
	const cycles = scored.map((f) => f.cycleMs).filter((c): c is number => c !== null);
	const vip = monetary.length ? monetary[vipPosition(monetary.length, s.vip_top_percent) - 1]! : null;
	const baseCycleMs = s.default_cycle_days !== null ? s.default_cycle_days * DAY_MS : median(cycles);
	if (s.rfm_scheme === 'thresholds') {
		const t = s.rfm_thresholds;
		return { levels, recency: t.recency, frequency: t.frequency, monetary: t.monetary.map((v) => v * 100), vip, baseCycleMs };
	}
	return { levels, recency: cutoffsOf(recency, levels), frequency: cutoffsOf(frequency, levels), monetary: cutoffsOf(monetary, levels), vip, baseCycleMs };
}

/** Scores of one client from its facts (undefined: no deals at all) and the fixed cut-offs. */
export function scoreClient(facts: ClientFacts | undefined, difficult: boolean, cut: Cutoffs, s: EngineSettings, asOfMs: number): ClientScores {
	const tier = difficult ? 'difficult' : null;
	if (!facts || facts.frequency === 0) {
		const stage: LifecycleStage = !facts ? 'lead' : facts.freshOpen ? 'in_selection' : facts.lost || facts.staleOpen ? 'refused' : facts.uninterested ? 'uninterested' : 'lead';
		return {
			frequency: null, monetaryCents: null, r: null, f: null, m: null, code: null, segment: null, firstMs: null, lastMs: null, avgOrderCents: null,
			cycleMs: null, nextDueMs: null, sleeping: null, stage, tier, trend: null,
		};
	}
	const monetary = monetaryValue(facts, s.rfm_monetary_basis);
	const r = scoreRecency(recencyDays(asOfMs, facts.lastMs!), cut.recency, cut.levels);
	const f = scoreUp(facts.frequency, cut.frequency);
	const m = scoreUp(monetary, cut.monetary);
	const cycleMs = facts.cycleMs ?? cut.baseCycleMs;
	const sleeping = cycleMs === null ? false : asOfMs - facts.lastMs! > cycleMs * s.sleeping_factor;
	const stage: LifecycleStage = facts.frequency === 1 ? 'one_time' : facts.frequency >= s.regular_min_purchases && !sleeping ? 'regular' : 'returning';
	const pct = s.trend_change_percent;
	const trend =
		facts.previousCents > 0 && facts.recentCents * 100 <= facts.previousCents * (100 - pct)
			? 'declining'
			: facts.recentCents > 0 && facts.recentCents * 100 >= facts.previousCents * (100 + pct)
				? 'rising'
				: 'steady';
	return {
		frequency: facts.frequency,
		monetaryCents: monetary,
		r,
		f,
		m,
		code: codeOf(r, f, m, s.rfm_scheme),
		segment: segmentOf(r, f, m, s.rfm_segment_maps[String(cut.levels)]),
		firstMs: facts.firstMs,
		lastMs: facts.lastMs,
		avgOrderCents: facts.sumCents / facts.frequency,
		cycleMs,
		nextDueMs: cycleMs === null ? null : facts.lastMs! + Math.floor(cycleMs),
		sleeping,
		stage,
		tier: tier ?? (cut.vip !== null && monetary > cut.vip ? 'vip' : 'regular'),
		trend,
	};
}

/** The whole base: the reference for a full recompute. */
export function computeBase(clients: ClientRow[], deals: DealRow[], status: StatusValues, s: EngineSettings, asOfMs: number) {
	const { facts, skipped } = aggregateFacts(deals, status, s, asOfMs, new Set(clients.map((c) => c.id)));
	const cutoffs = computeCutoffs(facts.values(), s, asOfMs);
	const scores = new Map(clients.map((c) => [c.id, scoreClient(facts.get(c.id), c.difficult, cutoffs, s, asOfMs)]));
	return { scores, cutoffs, skipped };
}
