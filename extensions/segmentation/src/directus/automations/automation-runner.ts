// Runs the wake-up automations: every day (the scheduler's "automations" job) and on demand, once per cluster (lease
// "automations"). Per automation: who qualifies is recorded set-based, a personal code is issued for each in the same
// transaction, then each gets one Listmonk transactional message with the code. Exactly one code and at most one
// message per sleep episode, across crashes and retries: a send is marked `sending` before Listmonk is called, and
// one a crash left there is never repeated. One failing automation never stops the others.
import { DEFAULT_TARGET_TEMPLATE, wakeUpTxData } from '../../core/automation.ts';
import type { Mapping } from '../../core/mapping.ts';
import { ListmonkError } from '../../listmonk/errors.ts';
import type { ListmonkClient } from '../../listmonk/client.ts';
import {
	abandonInterrupted, issuedSends, issuePendingCodes, previewQualifying, readAutomations, recordAutomationRun, recordQualifying, segmentOfTemplate, setSendStates, skipReason,
	type Automation, type SendToMake,
} from '../../store/automations.ts';
import { LeaseBusyError, type Leases } from '../../store/lease.ts';
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
			return await this.leases.run(AUTOMATIONS_LEASE, { waitMs: only === null ? 0 : 30_000, ttlMs: AUTOMATIONS_LEASE_TTL_MS }, async () => {
				const m = await this.mapping.current();
				if (!m) throw new Error('the segmentation mapping is not set up yet');
				const automations = (await readAutomations(this.ctx.database, only)).filter((a) => only !== null || a.isActive);
				const results: AutomationRunResult[] = [];
				for (const a of automations) results.push(await this.runOne(m, a, nowMs));
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
		if (target === null) return { total: 0, clients: [], automation: a };
		return { ...(await previewQualifying(this.ctx.database, m, { ...a, segment: target }, nowMs, 1000)), automation: a };
	}

	private async target(a: Automation): Promise<number | null> {
		return a.segment ?? (await segmentOfTemplate(this.ctx.database, DEFAULT_TARGET_TEMPLATE));
	}

	private async runOne(m: Mapping, given: Automation, nowMs: number): Promise<AutomationRunResult> {
		const knex = this.ctx.database;
		const result: AutomationRunResult = { automation: given.id, name: given.name, qualified: 0, codes_issued: 0, sent: 0, skipped: 0, failed: 0, waiting: 0, interrupted: 0, error: null };
		try {
			const client = this.listmonk();
			if (!client) throw new Error('Listmonk not configured: set LISTMONK_URL, LISTMONK_API_USER and LISTMONK_API_TOKEN');
			if (given.txTemplateId === null) throw new Error('no Listmonk transactional template is set (tx_template_id)');
			const segment = await this.target(given);
			if (segment === null) throw new Error('no target segment (and the library’s “Falling asleep” segment is gone)');
			const a = { ...given, segment };
			result.interrupted = await abandonInterrupted(knex, a.id);
			result.qualified = await recordQualifying(knex, m, a, nowMs);
			result.codes_issued = await issuePendingCodes(knex, a, nowMs);
			await this.sendIssued(m, a, client, result, nowMs);
		} catch (error) {
			result.error = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
			this.ctx.logger.warn(`[segmentation] automation ${given.id} (${given.name}): ${result.error}`);
		}
		const summary = result.error
			? `Failed: ${result.error}`
			: `${result.qualified} qualified, ${result.codes_issued} codes issued, ${result.sent} sent, ${result.skipped} skipped, ${result.failed} failed${result.waiting ? `, ${result.waiting} waiting for the next run` : ''}${result.interrupted ? `, ${result.interrupted} interrupted earlier (not resent)` : ''}`;
		await recordAutomationRun(knex, given.id, nowMs, summary).catch(() => undefined);
		if (result.sent || result.failed || result.error) this.ctx.logger.info(`[segmentation] automation ${given.id} (${given.name}): ${summary}`);
		return result;
	}

	private async sendIssued(m: Mapping, a: Automation, client: ListmonkClient, result: AutomationRunResult, nowMs: number): Promise<void> {
		const knex = this.ctx.database;
		for (let round = 0; round < 10_000; round++) {
			const batch = await issuedSends(knex, m, a.id, SEND_ROUND);
			if (!batch.length) return;
			const skips = batch.map((s) => ({ s, reason: skipReason(s) })).filter((x) => x.reason !== null);
			await setSendStates(knex, skips.map((x) => ({ sendId: x.s.sendId, state: 'skipped' as const, reason: x.reason })), nowMs);
			result.skipped += skips.length;
			const ready = batch.filter((s) => skipReason(s) === null);
			let refusedBeforeSending = 0;
			for (let i = 0; i < ready.length; i += SEND_CONCURRENCY) {
				const group = ready.slice(i, i + SEND_CONCURRENCY);
				// marked right before Listmonk is called: a crash from here on never sends these twice (and leaves the
				// rest of the batch issued, to be sent by the next run)
				await setSendStates(knex, group.map((s) => ({ sendId: s.sendId, state: 'sending' as const })), nowMs);
				const outcomes = await Promise.all(group.map((s) => this.sendOne(client, a, s)));
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

	private async sendOne(client: ListmonkClient, a: Automation, s: SendToMake): Promise<{ sendId: number; state: 'sent' | 'issued' | 'failed'; reason: string | null }> {
		const data = wakeUpTxData({ code: s.code, discountType: s.discountType, discountValue: s.discountValue, validUntilMs: s.validUntilMs, clientName: s.name, rfmCode: s.rfmCode, rfmSegment: s.rfmSegment, lifecycleStage: s.lifecycleStage, lastPurchaseMs: s.currentEpisode || null });
		const recipient = s.subscriberId !== null ? { subscriber_ids: [s.subscriberId] } : { subscriber_emails: [s.email!], subscriber_mode: 'fallback' as const };
		try {
			await client.tx.send({ template_id: a.txTemplateId!, ...recipient, data, messenger: a.messenger, ...(a.subject ? { subject: a.subject } : {}) } as Parameters<ListmonkClient['tx']['send']>[0]);
			return { sendId: s.sendId, state: 'sent', reason: `via ${a.messenger}` };
		} catch (error) {
			const message = error instanceof Error ? error.message : String(error);
			// refused before anything was queued: safe to try again (up to a point)
			if (error instanceof ListmonkError && ['auth', 'permission', 'not_found', 'bad_request', 'conflict'].includes(error.kind)) {
				return s.attempts + 1 >= MAX_ATTEMPTS ? { sendId: s.sendId, state: 'failed', reason: `Listmonk refused it ${MAX_ATTEMPTS} times: ${message}` } : { sendId: s.sendId, state: 'issued', reason: `Listmonk refused it (tried again next run): ${message}` };
			}
			// a timeout, a dropped connection, a 5xx: it may have been sent — never repeated
			return { sendId: s.sendId, state: 'failed', reason: `may have been sent, so not repeated: ${message}` };
		}
	}
}
