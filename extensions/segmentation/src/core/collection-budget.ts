// Directus 12 without a licence (Core tier) allows 25 registered, active, non-system collections; creating one
// more fails half-way through an install. We check the whole budget first and refuse with a message that says why.

export const CORE_TIER_COLLECTION_LIMIT = 25;

export interface CollectionBudget {
	/** Registered, active, non-system collections with a table, as Directus counts them. */
	active: number;
	/** The collections this install would register. */
	toRegister: string[];
	/** null when a licence is active: its limits are Directus's business, not ours. */
	limit: number | null;
}

/** null when the install fits, else a message naming the limit, what we need and the ways out. */
export function collectionBudgetProblem(budget: CollectionBudget): string | null {
	const { active, toRegister, limit } = budget;
	if (limit === null || toRegister.length === 0 || active + toRegister.length <= limit) return null;
	const free = Math.max(0, limit - active);
	return (
		`Segmentation needs ${toRegister.length} new collection(s) (${toRegister.join(', ')}) but this Directus instance ` +
		`already has ${active} of the ${limit} collections its Core tier allows (${free} free). Nothing was installed. ` +
		`Free room by archiving or deleting ${toRegister.length - free} collection(s) you no longer use (set their status to ` +
		`inactive in Settings → Data Model), or add a Directus licence (the free Open Innovation Grant lifts the limit for ` +
		`small organisations), then restart Directus.`
	);
}
