// Transactional mail (CONTRACT §6). 200 means queued, not delivered; a 400 can come after the known recipients were
// already sent (unknown ones in `default` mode), so a send is never repeated once it may have reached Listmonk.
import type { TxMessage } from './overlay.ts';
import { booleanSchema } from './schemas.ts';
import type { CallOptions, Transport } from './transport.ts';

/** Exactly one of the recipient lists; ids only in `default` mode. Tx ignores blocklisting and list membership. */
export type TxSend = Omit<TxMessage, 'subscriber_emails' | 'subscriber_ids'> &
	({ subscriber_emails: string[]; subscriber_ids?: never } | { subscriber_ids: number[]; subscriber_emails?: never; subscriber_mode?: 'default' });

export class TxApi {
	readonly #http: Transport;

	constructor(http: Transport) {
		this.#http = http;
	}

	send(message: TxSend, options?: CallOptions): Promise<boolean> {
		return this.#http.call('POST /tx', booleanSchema, (init) => this.#http.api.POST('/tx', { ...init, body: message }), { ...options, retry: 'unsafe' });
	}
}
