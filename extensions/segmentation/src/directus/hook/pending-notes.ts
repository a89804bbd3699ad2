// What a filter hook noted inside a saving transaction, kept for the action that follows the commit. Keyed by the
// save's keys, so concurrent saves don't mix; a save that never commits never reaches its action, so notes older
// than a minute are dropped and none pile up on a long-running server.
const MAX_AGE_MS = 60_000;

export class PendingNotes<T> {
	private readonly notes = new Map<string, { value: T; at: number }>();

	put(key: string, value: T): void {
		const now = Date.now();
		for (const [k, entry] of this.notes) if (now - entry.at > MAX_AGE_MS) this.notes.delete(k);
		this.notes.set(key, { value, at: now });
	}

	/** The note for this key (removed), or undefined. */
	take(key: string): T | undefined {
		const entry = this.notes.get(key);
		this.notes.delete(key);
		return entry?.value;
	}
}
