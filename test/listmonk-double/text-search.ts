// listmonk's name search for lists and campaigns: `TO_TSVECTOR(x) @@ TO_TSQUERY('%q%') OR x ILIKE '%q%'` where
// whitespace in q became `&`. We approximate the full-text half by whole-word matching (case-insensitive, with a
// plural `s` folded) and keep the ILIKE half exact.

const words = (s: string): string[] => s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');
const stem = (w: string): string => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w);

/** The ILIKE pattern `%q%` (with `&` for whitespace) as a case-insensitive RegExp. */
function ilike(query: string): RegExp {
	const pattern = `%${query.replace(/\s+/g, '&')}%`;
	let re = '';
	for (const c of pattern) re += c === '%' ? '[\\s\\S]*' : c === '_' ? '[\\s\\S]' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	return new RegExp(`^${re}$`, 'i');
}

/** Whether `text` matches the search `query` the way the lists/campaigns queries do. */
export function textSearchMatches(text: string, query: string, opts: { ilike: boolean } = { ilike: true }): boolean {
	const wanted = words(query).map(stem);
	const have = new Set(words(text).map(stem));
	if (wanted.length > 0 && wanted.every((w) => have.has(w))) return true;
	return opts.ilike && ilike(query).test(text);
}
