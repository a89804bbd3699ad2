// What the sync needs of Listmonk, in its own words: the worker is written against this, the typed client
// implements it (client-port.ts). Every call here is idempotent or made safe to repeat by its caller, and none can
// re-subscribe anyone: there is no "add with a status" here, on purpose (CONTRACT §4.8, §9.3).

export type SubscriptionStatus = 'unconfirmed' | 'confirmed' | 'unsubscribed';

export interface RemoteSubscriber {
	id: number;
	/** Lower-cased by Listmonk. */
	email: string;
	status: 'enabled' | 'disabled' | 'blocklisted';
	attribs: Record<string, unknown>;
	lists: Array<{ id: number; subscription_status: SubscriptionStatus }>;
}

export interface NewSubscriberRow {
	email: string;
	name: string;
	attribs: Record<string, unknown>;
}

export interface ImportOutcome {
	status: 'finished' | 'failed';
	imported: number;
	total: number;
	/** Listmonk's import log (skipped rows and why). */
	log: string;
}

export interface ListmonkPort {
	/** The id of a list carrying all these tags, or null. */
	findListByTags(tags: string[]): Promise<number | null>;
	createList(list: { name: string; description: string; tags: string[] }): Promise<number>;
	/** false when Listmonk has no such list (or the API user can't see it). */
	listExists(id: number): Promise<boolean>;
	/** Every subscriber of a list (optionally only those with this membership status), in few requests. */
	listMembers(listId: number, status?: SubscriptionStatus): Promise<RemoteSubscriber[]>;
	/** Subscribers with these addresses (lower-case), those Listmonk has. */
	subscribersByEmail(emails: string[]): Promise<RemoteSubscriber[]>;
	/** Every blocklisted subscriber. */
	blocklisted(): Promise<RemoteSubscriber[]>;
	/** Bulk membership, without a status: `add` leaves an existing membership as it is (an opt-out stays). */
	membership(action: 'add' | 'remove' | 'unsubscribe', subscriberIds: number[], listIds: number[]): Promise<void>;
	/** Subscribers with these ids, those Listmonk has. */
	subscribersByIds(ids: number[]): Promise<RemoteSubscriber[]>;
	/** Creates the subscribers Listmonk doesn't have and adds them to the lists; existing ones keep their
	 *  memberships, and their name and attribs unless `replaceUserInfo` (then both are replaced whole: send the
	 *  attribs merged already). Waits for the import to end. */
	importSubscribers(rows: NewSubscriberRow[], listIds: number[], options?: { replaceUserInfo?: boolean }): Promise<ImportOutcome>;
	/** Writes what we own on a subscriber: address, name, our attribs key (others' keys survive); sends no opt-in. */
	updateSubscriber(id: number, fields: { email: string; name: string; attribs: Record<string, unknown> }): Promise<void>;
	/** Requests made so far (for the run record and the benchmark). */
	requestCount(): number;
}
