// Runs the automations (wake-up and refused-deal follow-ups): every day (the scheduler's "automations" job) and on
// demand, once per cluster (lease "automations"). Per automation: who qualifies is recorded set-based; then, in the
// same transaction as that, a personal code is issued for each (or a tag set); then each gets one Listmonk
// transactional message, on the automation's messenger or the client's own. Exactly one code and at most one message
// per episode, across crashes and retries: a send is marked `sending` before Listmonk is called, and one a crash left
// there is never repeated. One failing automation never stops the others.
import { chooseMessenger, DEFAULT_TARGET_TEMPLATE, leadSourceMessengerMap, wakeUpTxData } from '../../core/automation.ts';
import { SETTINGS_COLLECTION } from '../../core/base-names.ts';
import type { Mapping } from '../../core/mapping.ts';
import { ListmonkError } from '../../listmonk/errors.ts';
import type { ListmonkClient } from '../../listmonk/client.ts';
import {
	abandonInterrupted, claimForSending, issuedSends, issuePendingCodes, previewQualifying, readAutomations, readyPendingMessages, recordAutomationRun, recordQualifying, segmentOfTemplate, setSendStates, skipReason, tagPendingClients,
	type Automation, type SendToMake,
} from '../../store/automations.ts';
import { LeaseBusyError, type HeldLease, type Leases } from '../../store/lease.ts';
import type { DirectusContext } from '../context.ts';
import { clearDataCache } from '../data-cache.ts';
import type { MappingCache } from '../mapping-cache.ts';

export const AUTOMATIONS_LEASE = 'automations';
/** Short (renewed while a run goes on): an instance that died mid-run holds the others up for at most this long. */
const AUTOMATIONS_LEASE_TTL_MS = 15_000;
/** Sends handed to Listmonk at once (each is one transactional request: the code differs per client). */
const SEND_CONCURRENCY = 8;
/** Sends read per round. */
const SEND_ROUND = 500;
/** A send Listmonk refused this many times (a missing template, say) is given up. */
const MAX_ATTEMPTS = 5;

export interface AutomationRunResult {
	automation: number;
	name: string;
	qualified: number;
	codes_issued: number;
	/** The tag action: clients tagged (and queued to join the tag's segment). */
	tagged: number;
	sent: number;
	skipped: number;
	failed: number;
	/** Refused by Listmonk before sending (e.g. the template is missing): tried again next run. */
	waiting: number;
	interrupted: number;
	error: string | null;
}

export class AutomationRunner {
	private readonly ctx: DirectusContext;
	private readonly leases: Leases;
	private readonly mapping: MappingCache;
	private readonly listmonk: () => ListmonkClient | null;

	constructor(ctx: DirectusContext, leases: Leases, mapping: MappingCache, listmonk: () => ListmonkClient | null) {
		this.ctx = ctx;
		this.leases = leases;
		this.mapping = mapping;
		this.listmonk = listmonk;
	}

	/** Every active automation (only: that one, even inactive — a run by hand); null when another instance runs. */
	async run(only: number | null, nowMs = Date.now()): Promise<AutomationRunResult[] | null> {
		try {
			return await this.leases.run(AUTOMATIONS_LEASE, { waitMs: only === null ? 0 : 30_000, ttlMs: AUTOMATIONS_LEASE_TTL_MS }, async (lease) => {
				const m = await this.mapping.current();
				if (!m) throw new Error('the segmentation mapping is not set up yet');
				const automations = (await readAutomations(this.ctx.database, only)).filter((a) => only !== null || a.isActive);
				const results: AutomationRunResult[] = [];
				for (const a of automations) {
					// another instance took the lease over (this one stalled): it carries on, this one stops
					if (lease.lost) break;
					results.push(await this.runOne(m, a, nowMs, lease));
				}
				await clearDataCache(this.ctx);
				return results;
			});
		} catch (error) {
			if (error instanceof LeaseBusyError) return null;
			throw error;
		}
	}

	/** Who would get a code today, without issuing or sending anything. */
	async preview(id: number, nowMs = Date.now()): Promise<{ total: number; clients: Array<{ client_id: number; name: string | null; email: string }>; automation: Automation } | null> {
		const m = await this.mapping.current();
		const [a] = await readAutomations(this.ctx.database, id);
		if (!m || !a) return null;
		const target = await this.target(a);
		if (target === null && a.trigger === 'sleeping') return { total: 0, clients: [], automation: a };
		return { ...(await previewQualifying(this.ctx.database, m, { ...a, segment: target }, nowMs, 1000)), automation: a };
	}

	/** The segment watched: a wake-up automation's default is the library's "Falling asleep"; a refused-deal
	 *  follow-up without one watches the whole base. */
	private async target(a: Automation): Promise<number | null> {
		if (a.trigger === 'refused') return a.segment;
		return a.segment ?? (await segmentOfTemplate(this.ctx.database, DEFAULT_TARGET_TEMPLATE));
	}

	private async runOne(m: Mapping, given: Automation, nowMs: number, lease: HeldLease): Promise<AutomationRunResult> {
		const knex = this.ctx.database;
		const result: AutomationRunResult = { automation: given.id, name: given.name, qualified: 0, codes_issued: 0, tagged: 0, sent: 0, skipped: 0, failed: 0, waiting: 0, interrupted: 0, error: null };
		try {
			const segment = await this.target(given);
			if (segment === null && given.trigger === 'sleeping') throw new Error('no target segment (and the library’s “Falling asleep” segment is gone)');
			const a = { ...given, segment };
			if (a.action === 'tag') {
				// no message: Listmonk hears of it through the tag's segment, synced like any other
				if (a.tag === null) throw new Error('no tag is set for the tag action');
				result.qualified = await recordQualifying(knex, m, a, nowMs);
				result.tagged = await tagPendingClients(knex, a, nowMs);
			} else {
				const client = this.listmonk();
				if (!client) throw new Error('Listmonk not configured: set LISTMONK_URL, LISTMONK_API_USER and LISTMONK_API_TOKEN');
				if (a.txTemplateId === null) throw new Error('no Listmonk transactional template is set (tx_template_id)');
				result.interrupted = await abandonInterrupted(knex, a.id);
				result.qualified = await recordQualifying(knex, m, a, nowMs);
				result.codes_issued = await issuePendingCodes(knex, a, nowMs);
				await readyPendingMessages(knex, a);
				await this.sendIssued(m, a, client, result, nowMs, lease);
			}
		} catch (error) {
			result.error = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
			this.ctx.logger.warn(`[segmentation] automation ${given.id} (${given.name}): ${result.error}`);
		}
		const summary = result.error
			? `Failed: ${result.error}`
			: `${result.qualified} qualified, ${given.action === 'tag' ? `${result.tagged} tagged` : `${result.codes_issued} codes issued`}, ${result.sent} sent, ${result.skipped} skipped, ${result.failed} failed${result.waiting ? `, ${result.waiting} waiting for the next run` : ''}${result.interrupted ? `, ${result.interrupted} interrupted earlier (not resent)` : ''}`;
		await recordAutomationRun(knex, given.id, nowMs, summary).catch(() => undefined);
		if (result.sent || result.tagged || result.failed || result.error) this.ctx.logger.info(`[segmentation] automation ${given.id} (${given.name}): ${summary}`);
		return result;
	}

	private async sendIssued(m: Mapping, a: Automation, client: ListmonkClient, result: AutomationRunResult, nowMs: number, lease: HeldLease): Promise<void> {
		const knex = this.ctx.database;
		const channel = await this.channelFor(a, client);
		for (let round = 0; round < 10_000; round++) {
			const batch = await issuedSends(knex, m, a.id, SEND_ROUND);
			if (!batch.length) return;
			const skips = batch.map((s) => ({ s, reason: skipReason(s) })).filter((x) => x.reason !== null);
			await setSendStates(knex, skips.map((x) => ({ sendId: x.s.sendId, state: 'skipped' as const, reason: x.reason })), nowMs);
			result.skipped += skips.length;
			const ready = batch.filter((s) => skipReason(s) === null);
			let refusedBeforeSending = 0;
			for (let i = 0; i < ready.length; i += SEND_CONCURRENCY) {
				if (lease.lost) return;
				// marked right before Listmonk is called, and only what is still issued (a run that took the lease over
				// may have marked some): a crash from here on never sends these twice, and the rest of the batch stays
				// issued for the next run
				const claimed = await claimForSending(knex, ready.slice(i, i + SEND_CONCURRENCY).map((s) => s.sendId));
				const group = ready.slice(i, i + SEND_CONCURRENCY).filter((s) => claimed.has(s.sendId));
				const outcomes = await Promise.all(group.map((s) => this.sendOne(client, a, s, channel(s.leadSource))));
				await setSendStates(knex, outcomes, Date.now());
				for (const o of outcomes) {
					if (o.state === 'sent') result.sent++;
					else if (o.state === 'issued') {
						result.waiting++;
						refusedBeforeSending++;
					} else result.failed++;
				}
			}
			// Listmonk refused before sending (a missing template, a permission): the rest wait for the next run
			if (refusedBeforeSending > 0 || batch.length < SEND_ROUND) return;
		}
	}

	/** Each client's messenger: fixed, or their lead source's — checked against what Listmonk has configured (read
	 *  once per run; email when Listmonk won't say). */
	private async channelFor(a: Automation, client: ListmonkClient): Promise<(leadSource: string | null) => { messenger: string; note: string }> {
		if (a.channel === 'fixed') return () => chooseMessenger('fixed', a.messenger, null, new Map(), new Set());
		const row = (await this.ctx.database(SETTINGS_COLLECTION).first('lead_source_messengers').catch(() => null)) as { lead_source_messengers?: unknown } | null | undefined;
		const map = leadSourceMessengerMap(row?.lead_source_messengers ?? null);
		const configured = await client.messengers().catch((error: unknown) => {
			this.ctx.logger.warn(`[segmentation] automation ${a.id}: could not read Listmonk's messengers (${error instanceof Error ? error.message : String(error)}); using email`);
			return new Set(['email']);
		});
		return (leadSource) => chooseMessenger('client', a.messenger, leadSource, map, configured);
	}

	private async sendOne(
		client: ListmonkClient,
		a: Automation,
		s: SendToMake,
		via: { messenger: string; note: string },
	): Promise<{ sendId: number; state: 'sent' | 'issued' | 'failed'; reason: string | null; channel: string }> {
		const data = wakeUpTxData({ code: s.code, discountType: s.discountType, discountValue: s.discountValue, validUntilMs: s.validUntilMs, clientName: s.name, rfmCode: s.rfmCode, rfmSegment: s.rfmSegment, lifecycleStage: s.lifecycleStage, lastPurchaseMs: s.currentEpisode || null, ...(a.trigger === 'refused' ? { lossReason: a.lossReason } : {}) });
		const recipient = s.subscriberId !== null ? { subscriber_ids: [s.subscriberId] } : { subscriber_emails: [s.email!], subscriber_mode: 'fallback' as const };
		const channel = via.messenger;
		try {
			await client.tx.send({ template_id: a.txTemplateId!, ...recipient, data, messenger: via.messenger, ...(a.subject ? { subject: a.subject } : {}) } as Parameters<ListmonkClient['tx']['send']>[0]);
			return { sendId: s.sendId, state: 'sent', reason: via.note, channel };
		} catch (error) {
			const message = error instanceof Error ? error.message : String(error);
			// refused before anything was queued: safe to try again (up to a point)
			if (error instanceof ListmonkError && ['auth', 'permission', 'not_found', 'bad_request', 'conflict'].includes(error.kind)) {
				return s.attempts + 1 >= MAX_ATTEMPTS ? { sendId: s.sendId, state: 'failed', reason: `Listmonk refused it ${MAX_ATTEMPTS} times: ${message}`, channel } : { sendId: s.sendId, state: 'issued', reason: `Listmonk refused it (tried again next run): ${message}`, channel };
			}
			// a timeout, a dropped connection, a 5xx: it may have been sent — never repeated
			return { sendId: s.sendId, state: 'failed', reason: `may have been sent, so not repeated: ${message}`, channel };
		}
	}
}
