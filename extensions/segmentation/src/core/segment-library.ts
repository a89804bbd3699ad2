// The built-in segment library: templates created inactive on first start (a marketer switches on what they need).
// Each is a Directus filter object over the client collection, built from the engine's fields and the mapping's
// names; the installer validates each against the live schema and leaves out the ones a base can't express.
import { levelsOf, type EngineSettings } from './engine-settings.ts';
import type { Mapping } from './mapping.ts';

export interface SegmentTemplate {
	/** Stable identity: a template is created once per key and never overwritten. */
	key: string;
	name: string;
	description: string;
	rule: Record<string, unknown>;
}

const LETTERS = ['A', 'B', 'C'] as const;
export const LETTER_MEANING = { R: ['long ago', 'a while ago', 'recently'], F: ['rarely', 'sometimes', 'often'], M: ['little', 'moderately', 'a lot'] };

const STAGES: Array<[string, string, string]> = [
	['lead', 'Leads', 'Clients without any deal yet.'],
	['in_selection', 'In selection', 'No purchase yet, an open deal in progress.'],
	['refused', 'Refused', 'No purchase; lost a deal, or an open deal went quiet.'],
	['uninterested', 'Uninterested', 'No purchase; only deals marked uninterested.'],
	['one_time', 'One-time buyers', 'Exactly one purchase.'],
	['returning', 'Returning', 'Bought more than once, not (yet) regular.'],
	['regular', 'Regular', 'Buys regularly and is not sleeping.'],
];

/** What the library needs from the base: the deals alias on the client (o2m) and the deal fields. */
export interface LibraryNames {
	dealsAlias: string;
	mapping: Pick<Mapping, 'deal_loss_reason_field'>;
}

export function libraryTemplates(settings: Pick<EngineSettings, 'rfm_scheme' | 'rfm_thresholds' | 'rfm_segment_maps'>, names: LibraryNames): SegmentTemplate[] {
	const templates: SegmentTemplate[] = [];
	const levels = levelsOf(settings);
	if (settings.rfm_scheme === 'abc') {
		for (const r of LETTERS) for (const f of LETTERS) for (const m of LETTERS) {
			const code = `${r}${f}${m}`;
			const [ri, fi, mi] = [LETTERS.indexOf(r), LETTERS.indexOf(f), LETTERS.indexOf(m)];
			templates.push({
				key: `rfm:${code}`,
				name: `RFM ${code}`,
				description: `Bought ${LETTER_MEANING.R[ri]}, ${LETTER_MEANING.F[fi]}, ${LETTER_MEANING.M[mi]}.`,
				rule: { rfm_code: { _eq: code } },
			});
		}
	} else {
		for (const named of settings.rfm_segment_maps[String(levels)] ?? []) {
			templates.push({ key: `rfm-segment:${named.name}`, name: named.name, description: `RFM named segment "${named.name}".`, rule: { rfm_segment: { _eq: named.name } } });
		}
	}
	for (const [stage, name, description] of STAGES) {
		templates.push({ key: `stage:${stage}`, name, description, rule: { lifecycle_stage: { _eq: stage } } });
	}
	// "falling asleep": recency in the middle band (B** with three levels), frequency at least the middle level
	const middle = Math.ceil(levels / 2);
	templates.push({
		key: 'falling-asleep',
		name: 'Falling asleep (used to buy often)',
		description: levels === 3 ? 'B** with F ≥ B: recency slipping among clients who bought often.' : 'Middle recency, frequency at or above the middle level.',
		rule: { _and: [{ rfm_r: levels === 3 ? { _eq: 2 } : { _between: [2, levels - 1] } }, { rfm_f: { _gte: middle } }] },
	});
	templates.push({ key: 'tier:vip', name: 'VIP', description: 'Top spenders (value tier VIP).', rule: { value_tier: { _eq: 'vip' } } });
	templates.push({ key: 'tier:difficult', name: 'Difficult clients', description: 'Flagged as difficult by hand.', rule: { value_tier: { _eq: 'difficult' } } });
	templates.push({
		key: 'declining-high-value',
		name: 'Declining spend among high-value clients',
		description: 'Spend fell by the trend threshold, among VIPs and the top monetary level.',
		rule: { _and: [{ spend_trend: { _eq: 'declining' } }, { _or: [{ value_tier: { _eq: 'vip' } }, { rfm_m: { _eq: levels } }] }] },
	});
	const reason = names.mapping.deal_loss_reason_field;
	if (reason) {
		for (const [value, label] of [['price', 'price'], ['assortment', 'assortment']] as const) {
			templates.push({
				key: `refused:${value}`,
				name: `Refused over ${label}`,
				description: `Refused clients who lost a deal over ${label}.`,
				// one condition under _some (Directus's own filter ignores several); only lost deals carry a loss reason
				rule: { _and: [{ lifecycle_stage: { _eq: 'refused' } }, { [names.dealsAlias]: { _some: { [reason]: { _eq: value } } } }] },
			});
		}
	}
	return templates;
}

/** A template per interest tag (created on request). */
export function tagTemplate(tag: { id: number; name: string }, clientTagsAlias: string): SegmentTemplate {
	return {
		key: `tag:${tag.id}`,
		name: `Interested in ${tag.name}`,
		description: `Clients tagged "${tag.name}" (by hand or from their purchases).`,
		rule: { [clientTagsAlias]: { _some: { tag: { _eq: tag.id } } } },
	};
}
