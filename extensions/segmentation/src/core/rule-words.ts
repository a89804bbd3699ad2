// A segment rule (a Directus filter) in words a marketer reads: "RFM cell equals BCC and Lifecycle stage is one of
// regular, returning". Pure; field names come through `label` (the App's field names in the user's language).

export type Language = 'en' | 'ru';

const OPERATORS: Record<string, { en: string; ru: string }> = {
	_eq: { en: 'equals', ru: 'равно' },
	_neq: { en: 'does not equal', ru: 'не равно' },
	_lt: { en: 'is less than', ru: 'меньше' },
	_lte: { en: 'is at most', ru: 'не больше' },
	_gt: { en: 'is more than', ru: 'больше' },
	_gte: { en: 'is at least', ru: 'не меньше' },
	_in: { en: 'is one of', ru: 'одно из' },
	_nin: { en: 'is none of', ru: 'ни одно из' },
	_between: { en: 'is between', ru: 'между' },
	_nbetween: { en: 'is not between', ru: 'не между' },
	_null: { en: 'is empty', ru: 'пусто' },
	_nnull: { en: 'is set', ru: 'заполнено' },
	_empty: { en: 'is empty', ru: 'пусто' },
	_nempty: { en: 'is not empty', ru: 'не пусто' },
	_contains: { en: 'contains', ru: 'содержит' },
	_ncontains: { en: 'does not contain', ru: 'не содержит' },
	_icontains: { en: 'contains', ru: 'содержит' },
	_starts_with: { en: 'starts with', ru: 'начинается с' },
	_istarts_with: { en: 'starts with', ru: 'начинается с' },
	_nstarts_with: { en: 'does not start with', ru: 'не начинается с' },
	_nistarts_with: { en: 'does not start with', ru: 'не начинается с' },
	_ends_with: { en: 'ends with', ru: 'заканчивается на' },
	_iends_with: { en: 'ends with', ru: 'заканчивается на' },
	_nends_with: { en: 'does not end with', ru: 'не заканчивается на' },
	_niends_with: { en: 'does not end with', ru: 'не заканчивается на' },
};
const WORDS = {
	and: { en: 'and', ru: 'и' },
	or: { en: 'or', ru: 'или' },
	some: { en: 'has some where', ru: 'есть хотя бы одна, где' },
	none: { en: 'has none where', ru: 'нет ни одной, где' },
	everyone: { en: 'every client', ru: 'все клиенты' },
};

function value(v: unknown): string {
	if (Array.isArray(v)) return v.map(value).join(', ');
	if (typeof v === 'string') return v.replace(/^\$NOW\(([^)]*)\)$/, 'now $1').replace(/^\$NOW$/, 'now');
	return JSON.stringify(v);
}

/** The rule in words; `label(path)` names a field (path: the fields from the client collection down to it). */
export function ruleInWords(rule: unknown, lang: Language, label: (path: string[]) => string = (p) => p.at(-1) ?? ''): string {
	const walk = (node: unknown, path: string[]): string[] => {
		if (!node || typeof node !== 'object' || Array.isArray(node)) return [];
		const parts: string[] = [];
		for (const [key, inner] of Object.entries(node as Record<string, unknown>)) {
			if (key === '_and' || key === '_or') {
				const items = (Array.isArray(inner) ? inner : []).map((x) => walk(x, path).join(` ${WORDS.and[lang]} `)).filter(Boolean);
				if (items.length) parts.push(items.length > 1 ? `(${items.join(` ${WORDS[key === '_and' ? 'and' : 'or'][lang]} `)})` : items[0]!);
			} else if (key === '_some' || key === '_none') {
				const body = walk(inner, path).join(` ${WORDS.and[lang]} `);
				parts.push(`${label(path)} ${WORDS[key === '_some' ? 'some' : 'none'][lang]} ${body}`);
			} else if (key in OPERATORS) {
				const op = OPERATORS[key]![lang];
				parts.push(['_null', '_nnull', '_empty', '_nempty'].includes(key) ? `${label(path)} ${op}` : `${label(path)} ${op} ${value(inner)}`);
			} else {
				parts.push(...walk(inner, [...path, key]));
			}
		}
		return parts;
	};
	const parts = walk(rule, []);
	const text = parts.join(` ${WORDS.and[lang]} `);
	// an outer group needs no brackets
	return text ? text.replace(/^\((.*)\)$/, '$1') : WORDS.everyone[lang];
}
