// Flow operation "Send Listmonk transactional message" (API side): one tx message to one client, by its Listmonk
// subscriber (or its address). Listmonk's tx ignores blocklisting and opt-outs (CONTRACT §6, §9.14), so we refuse a
// client without consent or who opted out — as the sync last saw it and as Listmonk says now. $last gets what was
// sent; a refusal or a Listmonk error fails the operation with why.
import { defineOperationApi } from '@directus/extensions-sdk';
import { z } from 'zod';
import { normaliseEmail } from '../../core/subscriber.ts';
import type { ListmonkClient } from '../../listmonk/client.ts';
import { ListmonkError } from '../../listmonk/errors.ts';
import type { ListmonkSubscriber } from '../../listmonk/schemas.ts';
import type { TxSend } from '../../listmonk/tx.ts';
import { clientContacts, optOutReason } from '../../store/flow-operations.ts';
import type { DirectusContext } from '../context.ts';
import { segmentationFor } from '../segmentation.ts';
import { requireMapping } from '../settings.ts';
import { assertMayReadClients, listmonkFailure, listmonkOf, missingClients, optionalText, parseOptions, positiveId } from './options.ts';

const txData = z.preprocess(
	(v) => {
		if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return undefined;
		if (typeof v !== 'string') return v;
		try {
			return JSON.parse(v) as unknown;
		} catch {
			return v; // reported below
		}
	},
	z.record(z.string(), z.unknown(), { error: 'must be a JSON object, e.g. {"order": "A-1001"}' }).optional(),
);

export const sendTxOptions = z.object({
	client: positiveId,
	template_id: positiveId,
	messenger: z.preprocess((v) => (v === undefined || v === null || v === '' ? 'email' : v), z.string({ error: 'must be a messenger name, e.g. email' }).trim().min(1).max(200)),
	subject: optionalText,
	data: txData,
});

export type SendTxOptions = z.input<typeof sendTxOptions>;

export interface SendTxResult {
	sent: true;
	client: number;
	/** The Listmonk subscriber it went to (null: sent to the address, Listmonk has no subscriber for it). */
	subscriber_id: number | null;
	template_id: number;
	messenger: string;
	subject: string | null;
}

export default defineOperationApi<SendTxOptions>({
	id: 'segmentation-send-tx',
	handler: async (options, operationContext): Promise<SendTxResult> => {
		const ctx = operationContext as unknown as DirectusContext;
		const o = parseOptions(sendTxOptions, options);
		const listmonk = listmonkOf(segmentationFor(ctx));
		const m = await requireMapping(ctx);
		await assertMayReadClients(ctx, operationContext, m);
		const found = await clientContacts(ctx.database, m, [o.client]);
		const missing = missingClients([o.client], found);
		if (missing) throw missing;
		const client = found[0]!;
		const refusal = optOutReason(client, m);
		if (refusal) throw new Error(`client ${client.id}: ${refusal}; no message sent`);
		const email = normaliseEmail(client.email);
		// the sync pulls opt-outs back every minute or so: ask Listmonk now too
		const subscriber = await currentSubscriber(listmonk, client.subscriberId, email);
		if (subscriber?.status === 'blocklisted') throw new Error(`client ${client.id}: opted out in Listmonk (blocklisted); no message sent`);
		if (subscriber && subscriber.lists.length > 0 && subscriber.lists.every((l) => l.subscription_status === 'unsubscribed')) {
			throw new Error(`client ${client.id}: opted out in Listmonk (unsubscribed from every list); no message sent`);
		}
		if (!subscriber && !email) throw new Error(`client ${client.id} has no valid email address and no Listmonk subscriber; no message sent`);
		const recipient = subscriber ? { subscriber_ids: [subscriber.id] } : { subscriber_emails: [email!], subscriber_mode: 'fallback' as const };
		const message = { template_id: o.template_id, ...recipient, messenger: o.messenger, ...(o.subject ? { subject: o.subject } : {}), ...(o.data ? { data: o.data } : {}) } as TxSend;
		try {
			await listmonk.tx.send(message);
		} catch (error) {
			// a timeout or a dropped answer may have been sent: the Flow must not simply be run again
			const maybe = error instanceof ListmonkError && error.maybeSent && (error.kind === 'timeout' || error.kind === 'network' || error.kind === 'server');
			const failure = listmonkFailure('send the transactional message', error);
			if (maybe) failure.message += ' — it may have been sent all the same';
			throw failure;
		}
		return { sent: true, client: client.id, subscriber_id: subscriber?.id ?? null, template_id: o.template_id, messenger: o.messenger, subject: o.subject ?? null };
	},
});

/** The client's subscriber as Listmonk has it now: by the id the sync recorded, else by address; null when none. */
async function currentSubscriber(listmonk: ListmonkClient, subscriberId: number | null, email: string | null): Promise<ListmonkSubscriber | null> {
	try {
		if (subscriberId !== null) {
			try {
				return await listmonk.subscribers.get(subscriberId);
			} catch (error) {
				if (!(error instanceof ListmonkError && error.kind === 'not_found')) throw error;
			}
		}
		return email ? await listmonk.subscribers.findByEmail(email) : null;
	} catch (error) {
		throw listmonkFailure('look the subscriber up', error);
	}
}
