// The behaviour engine's settings (kept in the settings singleton next to the mapping), validated with zod, and
// the default named-segment maps (editable data: marketers may rename or reorder the rules).
import { z } from 'zod';

export const SCHEMES = ['abc', 'quintile', 'thresholds'] as const;
export type Scheme = (typeof SCHEMES)[number];

/** The largest maximum deal amount a setting may choose: 10^15 cents per deal, so a client's sum of cents stays
 *  exact in a double (the core) and within a 64-bit integer (the SQL) up to ~9,000 such deals. */
export const MAX_DEAL_AMOUNT_LIMIT = 1e13;

const boundaries = z.array(z.number().finite().nonnegative()).min(1).max(9);
const range = z.tuple([z.number().int().min(1).max(10), z.number().int().min(1).max(10)]);
export const segmentRuleSchema = z.object({ name: z.string().trim().min(1).max(64), r: range, fm: range });
export type SegmentRule = z.infer<typeof segmentRuleSchema>;

export const engineSettingsSchema = z
	.object({
		rfm_scheme: z.enum(SCHEMES),
		rfm_monetary_basis: z.enum(['sum', 'average']),
		rfm_thresholds: z
			.object({ recency: boundaries, frequency: boundaries, monetary: boundaries })
			.refine((t) => t.recency.length === t.frequency.length && t.frequency.length === t.monetary.length, {
				message: 'recency, frequency and monetary need the same number of boundaries',
			})
			.refine((t) => [t.recency, t.frequency, t.monetary].every((b) => b.every((v, i) => i === 0 || v > b[i - 1]!)), {
				message: 'boundaries must increase, e.g. recency [30, 90]',
			}),
		rfm_segment_maps: z.record(z.string().regex(/^\d+$/), z.array(segmentRuleSchema).max(100)),
		default_cycle_days: z.number().positive().max(36500).nullable(),
		sleeping_factor: z.number().positive().max(100),
		refused_after_days: z.number().int().positive().max(36500),
		regular_min_purchases: z.number().int().min(2).max(1000),
		vip_top_percent: z.number().gt(0).lt(100),
		trend_period_days: z.number().int().positive().max(3650),
		trend_change_percent: z.number().gt(0).lt(100),
		// a won deal above it is bad data (skipped and counted): no sum of a client's deals can overflow then
		max_deal_amount: z.number().positive().max(MAX_DEAL_AMOUNT_LIMIT),
		recompute_cron: z.string().trim().max(100),
	})
	.strict();

export type EngineSettings = z.infer<typeof engineSettingsSchema>;
export const ENGINE_SETTING_KEYS = Object.keys(engineSettingsSchema.shape) as Array<keyof EngineSettings>;

export const QUINTILE_SEGMENT_MAP: SegmentRule[] = [
	{ name: 'Champions', r: [4, 5], fm: [4, 5] },
	{ name: 'Loyal', r: [3, 5], fm: [3, 5] },
	{ name: "Can't lose them", r: [1, 1], fm: [4, 5] },
	{ name: 'At risk', r: [1, 2], fm: [3, 5] },
	{ name: 'Potential loyalist', r: [4, 5], fm: [2, 2] },
	{ name: 'New', r: [5, 5], fm: [1, 1] },
	{ name: 'Promising', r: [4, 4], fm: [1, 1] },
	{ name: 'Need attention', r: [3, 3], fm: [2, 2] },
	{ name: 'About to sleep', r: [3, 3], fm: [1, 1] },
	{ name: 'Hibernating', r: [2, 2], fm: [1, 2] },
	{ name: 'Lost', r: [1, 1], fm: [1, 2] },
];

export const THREE_LEVEL_SEGMENT_MAP: SegmentRule[] = [
	{ name: 'Champions', r: [3, 3], fm: [3, 3] },
	{ name: 'Loyal', r: [2, 3], fm: [2, 3] },
	{ name: 'New', r: [3, 3], fm: [1, 1] },
	{ name: 'Need attention', r: [2, 2], fm: [1, 1] },
	{ name: "Can't lose them", r: [1, 1], fm: [3, 3] },
	{ name: 'At risk', r: [1, 1], fm: [2, 2] },
	{ name: 'Lost', r: [1, 1], fm: [1, 1] },
];

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
	rfm_scheme: 'abc',
	rfm_monetary_basis: 'sum',
	rfm_thresholds: { recency: [30, 90], frequency: [2, 5], monetary: [100, 500] },
	rfm_segment_maps: { '3': THREE_LEVEL_SEGMENT_MAP, '5': QUINTILE_SEGMENT_MAP },
	default_cycle_days: null,
	sleeping_factor: 1,
	refused_after_days: 60,
	regular_min_purchases: 4,
	vip_top_percent: 10,
	trend_period_days: 180,
	trend_change_percent: 30,
	max_deal_amount: 1e12,
	recompute_cron: '0 3 * * *',
};

/** Score levels of a scheme: 3 (A/B/C), 5 (quintiles), or one more than the marketer's boundaries. */
export function levelsOf(s: Pick<EngineSettings, 'rfm_scheme' | 'rfm_thresholds'>): number {
	if (s.rfm_scheme === 'abc') return 3;
	if (s.rfm_scheme === 'quintile') return 5;
	return s.rfm_thresholds.recency.length + 1;
}

/** Settings from a settings row: stored values over the defaults; JSON columns may arrive as text. */
export function engineSettingsFromRow(row: Record<string, unknown>): { ok: true; settings: EngineSettings } | { ok: false; errors: string[] } {
	const merged: Record<string, unknown> = { ...DEFAULT_ENGINE_SETTINGS };
	for (const key of ENGINE_SETTING_KEYS) {
		let value = row[key];
		if (value === undefined || value === null) {
			if (key === 'default_cycle_days' && value === null) merged[key] = null;
			continue;
		}
		if (typeof value === 'string' && (key === 'rfm_thresholds' || key === 'rfm_segment_maps')) {
			try {
				value = JSON.parse(value);
			} catch {
				return { ok: false, errors: [`${key}: not valid JSON`] };
			}
		}
		if (typeof value === 'string' && /^(default_cycle_days|sleeping_factor|refused_after_days|regular_min_purchases|vip_top_percent|trend_period_days|trend_change_percent|max_deal_amount)$/.test(key)) value = Number(value);
		merged[key] = value;
	}
	const parsed = engineSettingsSchema.safeParse(merged);
	if (parsed.success) return { ok: true, settings: parsed.data };
	return { ok: false, errors: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
}
