// Automations in the database, set-based: who qualifies today (one INSERT … SELECT per automation, unique per episode:
// the sleep's last purchase, or the refused deal's close), a code for each in the same transaction that records it (or
// a tag, with the client queued for re-qualifying), and the sends' states as Listmonk answers.
import type { Knex } from 'knex';
import { AUTOMATION_NAMES, PROMO_NAMES, SEGMENT_NAMES } from '../core/base-names.ts';
import type { AutomationAction, AutomationAnchor, AutomationChannel, AutomationTrigger, SendState } from '../core/automation.ts';
import { enqueueClients } from './change-queue.ts';
import type { DiscountType } from '../core/promo-code.ts';
import type { Mapping } from '../core/mapping.ts';
import { dialectOf } from './dialects/index.ts';
import { pushTo } from './listmonk-sync.ts';
import { issuePersonalCodes } from './promo-codes.ts';
import { ident, join, run, sql, type Sql } from './queries/sql.ts';
import { rows } from './restriction.ts';
import { AUTOMATION_SENDS_TABLE } from './tables.ts';
import { updateByCase } from './update-by-case.ts';

export const DAY_MS = 86_400_000;
/** Clients per issuing transaction. */
const ISSUE_ROUND = 5000;
/** A refused deal older than the delay plus this is history (an existing base's old refusals start nothing). */
export const REFUSED_LOOKBACK_DAYS = 30;
/** Email statuses that mean "don't write to this person" (Listmonk's opt-outs pulled back by the sync). */
const OPTED_OUT = ['unsubscribed', 'blocklisted', 'refused'];

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export interface Automation {
	id: number;
	name: string;
	isActive: boolean;
	segment: number | null;
	anchor: AutomationAnchor;
	delayDays: number;
	discountType: DiscountType;
	discountValue: number;
	validDays: number;
	cooldownDays: number;
	txTemplateId: number | null;
	messenger: string;
	subject: string | null;
	trigger: AutomationTrigger;
	lossReason: string | null;
	action: AutomationAction;
	tag: number | null;
	channel: AutomationChannel;
}

export async function readAutomations(knex: Knex, only: number | null): Promise<Automation[]> {
	const q = knex(AUTOMATION_NAMES.automations).orderBy('id').select('*');
	if (only !== null) q.where({ id: only });
	return (await q).map((r: Record<string, unknown>) => ({
		id: Number(r['id']),
		name: String(r['name']),
		isActive: r['is_active'] === true || r['is_active'] === 1,
		segment: num(r['segment']),
		anchor: r['anchor'] === 'last_purchase' ? 'last_purchase' : 'next_purchase_due',
		delayDays: Number(r['delay_days'] ?? 0),
		discountType: r['discount_type'] === 'amount' ? 'amount' : 'percent',
		discountValue: Number(r['discount_value'] ?? 0),
		validDays: Number(r['valid_days'] ?? 14),
		cooldownDays: Number(r['cooldown_days'] ?? 0),
		txTemplateId: num(r['tx_template_id']),
		messenger: (r['messenger'] as string | null) || 'email',
		subject: (r['subject'] as string | null) || null,
		trigger: r['trigger'] === 'refused' ? 'refused' : 'sleeping',
		lossReason: (r['loss_reason'] as string | null) ?? null,
		action: r['action'] === 'message' || r['action'] === 'tag' ? r['action'] : 'promo',
		tag: num(r['tag']),
		channel: r['channel'] === 'client' ? 'client' : 'fixed',
	}));
}

/** The clients who qualify today and have no send for this episode or within the cooldown (a sub-query). A message
 *  needs consent, an address and no opt-out; a tag does not (the sync asks for consent before any list). */
function qualifyingQuery(knex: Knex, m: Mapping, a: Automation, nowMs: number): Sql {
	const d = dialectOf(knex);
	const c = { clients: ident(m.client_collection), consent: ident(m.client_consent_field), email: ident(m.client_email_field) };
	const reachable =
		a.action === 'tag'
			? sql``
			: sql` AND c.${c.consent} = ${true} AND c.${c.email} IS NOT NULL AND c.${c.email} <> ''
			AND (c.listmonk_email_status IS NULL OR c.listmonk_email_status NOT IN (${OPTED_OUT[0]}, ${OPTED_OUT[1]}, ${OPTED_OUT[2]}))`;
	const notYet = (episode: Sql) => sql`NOT EXISTS (SELECT 1 FROM ${ident(AUTOMATION_SENDS_TABLE)} s WHERE s.automation_id = ${a.id} AND s.client_id = c.id
				AND (s.episode = ${episode} OR s.created_at > ${nowMs - a.cooldownDays * DAY_MS}))`;
	if (a.trigger === 'refused') {
		if (!m.deal_loss_reason_field) throw new Error('the mapping has no loss reason field (deal_loss_reason_field): a refused-deal follow-up has nothing to read');
		const deal = { table: ident(m.deal_collection), client: ident(m.deal_client_field), status: ident(m.deal_status_field), reason: ident(m.deal_loss_reason_field), closed: ident(m.deal_closed_field) };
		const closedMs = d.ms(sql`dl.${deal.closed}`);
		const due = nowMs - a.delayDays * DAY_MS;
		// the latest refusal over this reason per client, the delay past it, and no purchase since
		const inSegment = a.segment === null ? sql`` : sql` AND EXISTS (SELECT 1 FROM ${ident(SEGMENT_NAMES.members)} sm WHERE sm.segment = ${a.segment} AND sm.client = c.id)`;
		return sql`SELECT c.id AS client_id, r.episode AS episode
			FROM (SELECT dl.${deal.client} AS client_id, MAX(${closedMs}) AS episode FROM ${deal.table} dl
				WHERE dl.${deal.status} = ${m.deal_status_lost} AND dl.${deal.reason} = ${a.lossReason ?? ''} AND dl.${deal.closed} IS NOT NULL AND dl.${deal.client} IS NOT NULL
				GROUP BY dl.${deal.client}) r
			JOIN ${c.clients} c ON c.id = r.client_id
			WHERE r.episode <= ${due} AND r.episode > ${due - REFUSED_LOOKBACK_DAYS * DAY_MS}
				AND (c.last_purchase_at IS NULL OR ${d.ms(sql`c.last_purchase_at`)} < r.episode)${reachable}${inSegment}
				AND ${notYet(sql`r.episode`)}`;
	}
	const anchor = d.ms(sql`c.${ident(a.anchor === 'last_purchase' ? 'last_purchase_at' : 'next_purchase_due_at')}`);
	const episode = sql`COALESCE(${d.ms(sql`c.last_purchase_at`)}, 0)`;
	return sql`SELECT c.id AS client_id, ${episode} AS episode
		FROM ${ident(SEGMENT_NAMES.members)} sm JOIN ${c.clients} c ON c.id = sm.client
		WHERE sm.segment = ${a.segment ?? 0}${reachable}
			AND ${anchor} IS NOT NULL AND ${anchor} + ${a.delayDays * DAY_MS} <= ${nowMs}
			AND ${notYet(episode)}`;
}

/** Records a pending send for each client who qualifies now; returns how many were added. */
export async function recordQualifying(knex: Knex, m: Mapping, a: Automation, nowMs: number): Promise<number> {
	const before = await countSends(knex, a.id);
	await run(
		knex,
		sql`INSERT INTO ${ident(AUTOMATION_SENDS_TABLE)} (automation_id, client_id, episode, state, channel, attempts, created_at)
		SELECT ${a.id}, q.client_id, q.episode, 'pending', ${a.messenger}, 0, ${nowMs} FROM (${qualifyingQuery(knex, m, a, nowMs)}) q WHERE q.client_id IS NOT NULL
		ON CONFLICT (automation_id, client_id, episode) DO NOTHING`,
	);
	return (await countSends(knex, a.id)) - before;
}

async function countSends(knex: Knex, automationId: number): Promise<number> {
	return Number((await knex(AUTOMATION_SENDS_TABLE).where({ automation_id: automationId }).count({ n: '*' }).first())?.['n'] ?? 0);
}

/** Who would qualify now (a dry run): the first `limit` with name and address, and how many in all. */
export async function previewQualifying(knex: Knex, m: Mapping, a: Automation, nowMs: number, limit: number): Promise<{ total: number; clients: Array<{ client_id: number; name: string | null; email: string }> }> {
	const name = m.client_name_field ? sql`c.${ident(m.client_name_field)}` : sql`NULL`;
	const total = Number(rows(await run(knex, sql`SELECT COUNT(*) AS n FROM (${qualifyingQuery(knex, m, a, nowMs)}) q`))[0]?.['n'] ?? 0);
	const found = rows(
		await run(knex, sql`SELECT q.client_id AS client_id, ${name} AS name, c.${ident(m.client_email_field)} AS email FROM (${qualifyingQuery(knex, m, a, nowMs)}) q JOIN ${ident(m.client_collection)} c ON c.id = q.client_id ORDER BY q.client_id LIMIT ${limit}`),
	);
	return { total, clients: found.map((r) => ({ client_id: Number(r['client_id']), name: (r['name'] as string | null) ?? null, email: String(r['email']) })) };
}

/**
 * A personal code for every pending send, each round in one transaction with the sends it fills: a crash leaves
 * either both (the send is `issued`: it will be sent with that code) or neither (pending: issued next time) — never
 * a second code for one episode.
 */
export async function issuePendingCodes(knex: Knex, a: Automation, nowMs: number): Promise<number> {
	if (a.action !== 'promo') return 0;
	let issued = 0;
	for (let round = 0; round < 10_000; round++) {
		const done = await knex.transaction(async (trx) => {
			const pending = await lockPending(trx, a.id);
			if (!pending.length) return 0;
			const codes = await issuePersonalCodes(trx, { clientIds: pending.map((p) => Number(p.client_id)), discountType: a.discountType, discountValue: a.discountValue, validFromMs: null, validUntilMs: nowMs + a.validDays * DAY_MS, issuedBy: `automation ${a.id}: ${a.name}`.slice(0, 200), atMs: nowMs });
			const byClient = new Map(codes.map((c) => [c.clientId, c]));
			await updateByCase(
				trx,
				AUTOMATION_SENDS_TABLE,
				'id',
				{ promo_code_id: 'INTEGER', code: 'TEXT' },
				pending.map((p) => ({ id: Number(p.id), values: { promo_code_id: byClient.get(Number(p.client_id))!.codeId, code: byClient.get(Number(p.client_id))!.code } })),
				{ state: 'issued' },
			);
			return pending.length;
		});
		issued += done;
		if (done < ISSUE_ROUND) break;
	}
	return issued;
}

/**
 * A round of pending sends, locked until the transaction ends: another instance that took the lease over meanwhile (a
 * stalled heartbeat) skips them instead of issuing a second code. SQLite has one writer at a time: its transaction
 * is the lock.
 */
async function lockPending(trx: Knex, automationId: number): Promise<Array<{ id: number; client_id: number }>> {
	const q = trx(AUTOMATION_SENDS_TABLE).where({ automation_id: automationId, state: 'pending' }).orderBy('id').limit(ISSUE_ROUND).select('id', 'client_id');
	return dialectOf(trx).pg ? q.forUpdate().skipLocked() : q;
}

/**
 * Marks these issued sends `sending` — only those still issued — and returns the ones it marked: the only ones this
 * run may hand to Listmonk. Two runs racing (a lease taken over) can't both mark, so can't both send.
 */
export async function claimForSending(knex: Knex, sendIds: readonly number[]): Promise<Set<number>> {
	if (!sendIds.length) return new Set();
	if (dialectOf(knex).pg) {
		const marked = rows(await run(knex, sql`UPDATE ${ident(AUTOMATION_SENDS_TABLE)} SET state = 'sending', reason = NULL WHERE id IN (${join(sendIds.map((id) => sql`${id}`), ', ')}) AND state = 'issued' RETURNING id`));
		return new Set(marked.map((r) => Number(r['id'])));
	}
	return knex.transaction(async (trx) => {
		const still = (await trx(AUTOMATION_SENDS_TABLE).whereIn('id', sendIds).andWhere({ state: 'issued' }).select('id')).map((r) => Number(r.id));
		if (still.length) await trx(AUTOMATION_SENDS_TABLE).whereIn('id', still).update({ state: 'sending', reason: null });
		return new Set(still);
	});
}

/** A message without a code: pending sends are ready to go as they are. */
export async function readyPendingMessages(knex: Knex, a: Automation): Promise<number> {
	if (a.action !== 'message') return 0;
	return Number(await knex(AUTOMATION_SENDS_TABLE).where({ automation_id: a.id, state: 'pending' }).update({ state: 'issued' }));
}

/**
 * The tag action: each pending client gets the tag (as if set by hand: it stays until removed) and is queued for
 * re-qualifying — all in one transaction per round, so the segment on the tag (and its Listmonk list) takes them in.
 */
export async function tagPendingClients(knex: Knex, a: Automation, nowMs: number): Promise<number> {
	if (a.action !== 'tag' || a.tag === null) return 0;
	const d = dialectOf(knex);
	let tagged = 0;
	for (let round = 0; round < 10_000; round++) {
		const done = await knex.transaction(async (trx) => {
			const pending = await lockPending(trx, a.id);
			if (!pending.length) return 0;
			const ids = pending.map((p) => Number(p.id));
			await run(
				trx,
				sql`INSERT INTO ${ident(SEGMENT_NAMES.clientTags)} (client, tag, source, added_at)
				SELECT s.client_id, ${a.tag}, 'manual', ${d.instant(nowMs)} FROM ${ident(AUTOMATION_SENDS_TABLE)} s
				WHERE s.id IN (${join(ids.map((id) => sql`${id}`), ', ')}) AND EXISTS (SELECT 1 FROM ${ident(SEGMENT_NAMES.tags)} t WHERE t.id = ${a.tag})
				ON CONFLICT DO NOTHING`,
			);
			await enqueueClients(trx, pending.map((p) => Number(p.client_id)), nowMs);
			await trx(AUTOMATION_SENDS_TABLE).whereIn('id', ids).update({ state: 'sent', sent_at: nowMs, channel: 'tag', reason: `tagged (tag ${a.tag})` });
			return pending.length;
		});
		tagged += done;
		if (done < ISSUE_ROUND) break;
	}
	return tagged;
}

export interface SendToMake {
	sendId: number;
	clientId: number;
	episode: number;
	code: string | null;
	attempts: number;
	leadSource: string | null;
	/** What the client is now (a purchase since, a withdrawn consent, an opt-out: the send is skipped). */
	currentEpisode: number;
	consent: boolean;
	email: string | null;
	emailStatus: string | null;
	subscriberId: number | null;
	name: string | null;
	rfmCode: string | null;
	rfmSegment: string | null;
	lifecycleStage: string | null;
	validUntilMs: number | null;
	discountType: string;
	discountValue: number;
}

/** The issued sends of an automation, with what their clients are now. */
export async function issuedSends(knex: Knex, m: Mapping, automationId: number, limit: number): Promise<SendToMake[]> {
	const d = dialectOf(knex);
	const c = { clients: ident(m.client_collection), consent: ident(m.client_consent_field), email: ident(m.client_email_field) };
	const name = m.client_name_field ? sql`c.${ident(m.client_name_field)}` : sql`NULL`;
	const leadSource = m.client_lead_source_field ? sql`c.${ident(m.client_lead_source_field)}` : sql`NULL`;
	const found = rows(
		await run(
			knex,
			sql`SELECT s.id AS send_id, ${leadSource} AS lead_source, s.client_id AS client_id, s.episode AS episode, s.code AS code, s.attempts AS attempts,
				COALESCE(${d.ms(sql`c.last_purchase_at`)}, 0) AS current_episode, c.${c.consent} AS consent, c.${c.email} AS email,
				c.listmonk_email_status AS email_status, c.listmonk_subscriber_id AS subscriber_id, ${name} AS name, c.rfm_code AS rfm_code,
				c.rfm_segment AS rfm_segment, c.lifecycle_stage AS lifecycle_stage, ${d.ms(sql`p.valid_until`)} AS valid_until_ms,
				p.discount_type AS discount_type, p.discount_value AS discount_value
			FROM ${ident(AUTOMATION_SENDS_TABLE)} s
			LEFT JOIN ${c.clients} c ON c.id = s.client_id
			LEFT JOIN ${ident(PROMO_NAMES.codes)} p ON p.id = s.promo_code_id
			WHERE s.automation_id = ${automationId} AND s.state = 'issued'
			ORDER BY s.id LIMIT ${limit}`,
		),
	);
	return found.map((r) => ({
		sendId: Number(r['send_id']),
		clientId: Number(r['client_id']),
		episode: Number(r['episode']),
		code: (r['code'] as string | null) ?? null,
		attempts: Number(r['attempts'] ?? 0),
		leadSource: (r['lead_source'] as string | null) ?? null,
		currentEpisode: Number(r['current_episode'] ?? 0),
		consent: r['consent'] === true || r['consent'] === 1,
		email: (r['email'] as string | null) ?? null,
		emailStatus: (r['email_status'] as string | null) ?? null,
		subscriberId: num(r['subscriber_id']),
		name: (r['name'] as string | null) ?? null,
		rfmCode: (r['rfm_code'] as string | null) ?? null,
		rfmSegment: (r['rfm_segment'] as string | null) ?? null,
		lifecycleStage: (r['lifecycle_stage'] as string | null) ?? null,
		validUntilMs: num(r['valid_until_ms']),
		discountType: String(r['discount_type'] ?? 'percent'),
		discountValue: Number(r['discount_value'] ?? 0),
	}));
}

/** Why a send must not go out now (null: it may). */
export function skipReason(s: SendToMake): string | null {
	if (s.email === null) return 'the client is gone or has no address';
	// the episode is the sleep's last purchase or the refusal's close: any purchase after it ends it
	if (s.currentEpisode > s.episode) return 'bought again before the message went out';
	if (!s.consent) return 'email consent withdrawn';
	if (s.emailStatus !== null && OPTED_OUT.includes(s.emailStatus)) return `opted out in Listmonk (${s.emailStatus})`;
	return null;
}

/** Sets the sends' state (and why, and the channel used); a failure counts an attempt. */
export async function setSendStates(knex: Knex, list: ReadonlyArray<{ sendId: number; state: SendState; reason?: string | null; channel?: string }>, nowMs: number): Promise<void> {
	const byState = new Map<SendState, Array<{ sendId: number; reason?: string | null; channel?: string }>>();
	for (const s of list) pushTo(byState, s.state, s);
	for (const [state, group] of byState) {
		const withChannel = group.some((g) => g.channel !== undefined);
		await updateByCase(knex, AUTOMATION_SENDS_TABLE, 'id', withChannel ? { reason: 'TEXT', channel: 'TEXT' } : { reason: 'TEXT' }, group.map((g) => ({ id: g.sendId, values: { reason: g.reason ? g.reason.slice(0, 2000) : null, ...(withChannel ? { channel: g.channel ?? null } : {}) } })), {
			state,
			...(state === 'sent' ? { sent_at: nowMs } : {}),
		});
		if (state === 'failed' || state === 'issued') await knex(AUTOMATION_SENDS_TABLE).whereIn('id', group.map((g) => g.sendId)).increment('attempts', 1);
	}
}

/** Sends a crash left `sending`: Listmonk may have sent them, so they are never sent again (at most one message). */
export async function abandonInterrupted(knex: Knex, automationId: number): Promise<number> {
	return Number(
		await knex(AUTOMATION_SENDS_TABLE)
			.where({ automation_id: automationId, state: 'sending' })
			.update({ state: 'failed', reason: 'interrupted while handing the message to Listmonk: it may have been sent, so it is not sent again (check Listmonk’s log)' }),
	);
}

/** The automation's log: who got what, when, how it ended; latest first. */
export async function listSends(knex: Knex, m: Mapping, automationId: number, page: { limit: number; offset: number }): Promise<{ total: number; items: Array<Record<string, unknown>> }> {
	const name = m.client_name_field ? sql`c.${ident(m.client_name_field)}` : sql`NULL`;
	const items = rows(
		await run(
			knex,
			sql`SELECT s.id AS id, s.client_id AS client_id, ${name} AS name, s.state AS state, s.code AS code, s.channel AS channel, s.reason AS reason,
				s.attempts AS attempts, s.created_at AS created_at, s.sent_at AS sent_at
			FROM ${ident(AUTOMATION_SENDS_TABLE)} s LEFT JOIN ${ident(m.client_collection)} c ON c.id = s.client_id
			WHERE s.automation_id = ${automationId} ORDER BY s.id DESC LIMIT ${page.limit} OFFSET ${page.offset}`,
		),
	);
	const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(Number(v)).toISOString());
	return {
		total: await countSends(knex, automationId),
		items: items.map((r) => ({ ...r, id: Number(r['id']), client_id: Number(r['client_id']), attempts: Number(r['attempts'] ?? 0), created_at: iso(r['created_at']), sent_at: iso(r['sent_at']) })),
	};
}

/** The run's outcome on the automation (read-only fields). */
export async function recordAutomationRun(knex: Knex, automationId: number, nowMs: number, summary: string): Promise<void> {
	await knex(AUTOMATION_NAMES.automations).where({ id: automationId }).update({ last_run_at: dialectOf(knex).pg ? new Date(nowMs) : nowMs, last_run_summary: summary.slice(0, 4000) });
}

/** The library's segment a new automation targets by default. */
export async function segmentOfTemplate(knex: Knex, templateKey: string): Promise<number | null> {
	return num((await knex(SEGMENT_NAMES.segments).where({ template_key: templateKey }).first('id'))?.id);
}

