// Promo sequences: launch (a list segment of the target's members who have not redeemed the code, its Listmonk list
// through the sync, one scheduled campaign per step), cancel (the pending campaigns unscheduled or cancelled), and
// the stats (each campaign's status, sent, views, clicks; the redeemers dropped). A launch resumes where it stopped:
// each step's campaign is recorded as soon as Listmonk made it, and one made but not recorded (a crash in between)
// is found again by its tags, never made twice.
import { PROMO_NAMES, SEGMENT_NAMES, SEQUENCE_NAMES } from '../../core/base-names.ts';
import type { Mapping } from '../../core/mapping.ts';
import { parseRule } from '../../core/rule.ts';
import { launchProblems, readSteps, sequenceListRule, stepTags, withCode, type StepCampaign } from '../../core/sequence.ts';
import type { ListmonkClient } from '../../listmonk/client.ts';
import type { ListmonkCampaign } from '../../listmonk/schemas.ts';
import { dialectOf } from '../../store/dialects/index.ts';
import { REDEMPTIONS_TABLE } from '../../store/tables.ts';
import type { DirectusContext } from '../context.ts';
import type { MappingCache } from '../mapping-cache.ts';
import type { SegmentService } from '../segments/segment-service.ts';
import type { SyncRunner } from '../sync/sync-runner.ts';

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Why a sequence can't be launched (or cancelled) now: said to the caller as a 409 with this reason. */
export class SequenceProblem extends Error {}

export interface SequenceStatus {
	id: number;
	name: string;
	status: string;
	list_segment: number | null;
	listmonk_list_id: number | null;
	list_members: number;
	dropped_redeemers: number;
	campaigns: StepCampaign[];
	listmonk_error: string | null;
}

export class SequenceService {
	private readonly ctx: DirectusContext;
	private readonly mapping: MappingCache;
	private readonly segments: SegmentService;
	private readonly sync: SyncRunner;

	constructor(ctx: DirectusContext, mapping: MappingCache, segments: SegmentService, sync: SyncRunner) {
		this.ctx = ctx;
		this.mapping = mapping;
		this.segments = segments;
		this.sync = sync;
	}

	private client(): ListmonkClient {
		const client = this.sync.listmonkClient;
		if (!client) throw new SequenceProblem('Listmonk is not configured: set LISTMONK_URL, LISTMONK_API_USER and LISTMONK_API_TOKEN');
		return client;
	}

	private async row(id: number): Promise<Row | null> {
		return ((await this.ctx.database(SEQUENCE_NAMES.sequences).where({ id }).first()) as Row | undefined) ?? null;
	}

	private async update(id: number, values: Row): Promise<void> {
		await this.ctx.database(SEQUENCE_NAMES.sequences).where({ id }).update(values);
	}

	/** Launches (or resumes launching) a sequence; the status after. */
	async launch(id: number, nowMs = Date.now()): Promise<SequenceStatus | null> {
		const seq = await this.row(id);
		if (!seq) return null;
		if (seq['status'] === 'cancelled') throw new SequenceProblem('it was cancelled (make a new one)');
		if (seq['status'] === 'scheduled') return this.status(id);
		try {
			return await this.launchSteps(id, seq, nowMs);
		} catch (error) {
			await this.update(id, { last_error: (error instanceof Error ? error.message : String(error)).slice(0, 2000) }).catch(() => undefined);
			throw error;
		}
	}

	private async launchSteps(id: number, seq: Row, nowMs: number): Promise<SequenceStatus | null> {
		const knex = this.ctx.database;
		const m = await this.mapping.current();
		if (!m) throw new SequenceProblem('the segmentation mapping is not set up yet');
		const client = this.client();
		const steps = readSteps(seq['steps']);
		if (!steps.ok) throw new SequenceProblem(steps.errors.join('; '));
		const code = await knex(PROMO_NAMES.codes).where({ id: num(seq['promo_code']) ?? 0 }).first('id', 'code', 'kind');
		if (!code) throw new SequenceProblem('promo_code: choose the shared promo code the steps announce');
		if (code.kind !== 'shared') throw new SequenceProblem(`promo_code: ${String(code.code)} is a personal code; a sequence announces a shared one`);
		const recorded: StepCampaign[] = parseCampaigns(seq['campaigns']);
		// steps already made may have gone out: only the ones still to make must lie in the future
		const toMake = steps.steps.map((step, index) => ({ step, index })).filter(({ index }) => !recorded.some((c) => c.step === index + 1));
		const problems = launchProblems(toMake.map((s) => s.step), nowMs).map((p) => p.replace(/^steps\.(\d+)/, (_, i) => `steps.${toMake[Number(i)]!.index}`));
		if (problems.length) throw new SequenceProblem(problems.join('; '));

		let listSegment = num(seq['list_segment']);
		if (listSegment === null) {
			listSegment = await this.makeListSegment(m, seq, Number(code.id));
			await this.update(id, { list_segment: listSegment, status: 'launching', last_error: null });
		}
		// filled now; another refresh holding the lease leaves it to the pipeline (the flag set at creation)
		await this.segments.refresh([listSegment], `sequence ${id} launch`).catch((error: unknown) => this.ctx.logger.warn(`[segmentation] sequence ${id}: its list segment waits for the next refresh (${error instanceof Error ? error.message : String(error)})`));
		// the sync makes the segment's list (and adds its members) under its lease
		await this.sync.reconcile([listSegment]);
		const segment = await knex(SEGMENT_NAMES.segments).where({ id: listSegment }).first('listmonk_list_id', 'listmonk_sync_error');
		const listId = num(segment?.listmonk_list_id);
		if (listId === null) throw new SequenceProblem(`its Listmonk list is not made yet${segment?.listmonk_sync_error ? `: ${String(segment.listmonk_sync_error)}` : ''} (launch again to resume)`);
		await this.update(id, { listmonk_list_id: listId });

		const name = String(seq['name']);
		for (const { step, index } of toMake) {
			const tags = stepTags(id, index);
			let campaign: ListmonkCampaign | undefined = (await client.campaigns.withTags(tags))[0];
			if (!campaign) {
				campaign = await client.campaigns.create({
					name: `${name} — ${step.name}`.slice(0, 2000),
					subject: withCode(step.subject, String(code.code)),
					lists: [listId],
					content_type: 'richtext',
					...(step.body?.trim() ? { body: withCode(step.body, String(code.code)) } : {}),
					...(step.template_id ? { template_id: step.template_id } : {}),
					send_at: new Date(step.send_at).toISOString(),
					tags,
				});
			}
			recorded.push({ step: index + 1, name: step.name, campaign_id: campaign.id, send_at: new Date(step.send_at).toISOString(), status: campaign.status, sent: campaign.sent, views: campaign.views, clicks: campaign.clicks });
			await this.update(id, { campaigns: JSON.stringify(recorded.sort((a, b) => a.step - b.step)) });
		}
		// scheduled last: a draft found again after a crash is scheduled here too
		for (const c of recorded) {
			if (c.status !== 'draft') continue;
			await client.campaigns.setStatus(c.campaign_id, 'scheduled');
			c.status = 'scheduled';
		}
		await this.update(id, { campaigns: JSON.stringify(recorded), status: 'scheduled', launched_at: dialectOf(knex).pg ? new Date(nowMs) : nowMs, last_error: null });
		return this.status(id);
	}

	/** The list segment: the target's rule and "no won deal redeemed this code", synced to Listmonk. */
	private async makeListSegment(m: Mapping, seq: Row, codeId: number): Promise<number> {
		const knex = this.ctx.database;
		const target = await knex(SEGMENT_NAMES.segments).where({ id: num(seq['segment']) ?? 0 }).first('id', 'name', 'kind', 'rule');
		if (!target) throw new SequenceProblem('segment: choose the target segment');
		if (target.kind !== 'dynamic') throw new SequenceProblem(`segment: “${String(target.name)}” is a static segment; a sequence needs a dynamic one (its rule is the list’s)`);
		const rule = typeof target.rule === 'string' ? JSON.parse(target.rule) : target.rule;
		const schema = await this.ctx.getSchema();
		const relation = schema.relations.find((r) => r.collection === m.deal_collection && r.field === m.deal_client_field);
		const dealsAlias = relation?.meta?.one_field;
		if (!dealsAlias) throw new SequenceProblem(`the client collection has no alias for its deals (the reverse of ${m.deal_collection}.${m.deal_client_field}): add one in the data model`);
		const listRule = sequenceListRule(rule ?? {}, dealsAlias, PROMO_NAMES.dealRedeemedCode, codeId);
		const parsed = parseRule(listRule, schema, m.client_collection);
		if (!parsed.ok) throw new SequenceProblem(`the list’s rule does not fit the schema: ${parsed.errors.join('; ')}`);
		const items = new this.ctx.services.ItemsService(SEGMENT_NAMES.segments, { schema, knex });
		const name = `Sequence: ${String(seq['name'])}`.slice(0, 200);
		return Number(
			await items.createOne(
				{ name, description: `Members of “${String(target.name)}” who have not redeemed the sequence’s code; made by the promo sequence ${String(seq['id'])}.`, rule: listRule, kind: 'dynamic', is_active: true, listmonk_sync: true, listmonk_on_leave: 'remove', refresh_requested_at: new Date().toISOString() },
				{ emitEvents: false },
			),
		);
	}

	/** Cancels a sequence: its scheduled campaigns go back to drafts (never sent), running or paused ones are
	 *  cancelled, finished ones stay. The list segment stops syncing. */
	async cancel(id: number): Promise<SequenceStatus | null> {
		const seq = await this.row(id);
		if (!seq) return null;
		const recorded = parseCampaigns(seq['campaigns']);
		if (recorded.length) {
			const client = this.client();
			for (const c of recorded) {
				const now = await client.campaigns.get(c.campaign_id).catch(() => null);
				if (!now) continue;
				if (now.status === 'scheduled') await client.campaigns.setStatus(c.campaign_id, 'draft');
				else if (now.status === 'running' || now.status === 'paused') await client.campaigns.setStatus(c.campaign_id, 'cancelled');
				c.status = now.status === 'finished' || now.status === 'cancelled' ? now.status : 'cancelled';
			}
		}
		const listSegment = num(seq['list_segment']);
		if (listSegment !== null) await this.ctx.database(SEGMENT_NAMES.segments).where({ id: listSegment }).update({ listmonk_sync: false, is_active: false });
		await this.update(id, { status: 'cancelled', campaigns: JSON.stringify(recorded), last_error: null });
		return this.status(id);
	}

	/** Each step's campaign as Listmonk has it now (written back on the sequence), the list's size, the dropped. */
	async status(id: number, nowMs = Date.now()): Promise<SequenceStatus | null> {
		const knex = this.ctx.database;
		const seq = await this.row(id);
		if (!seq) return null;
		const campaigns = parseCampaigns(seq['campaigns']);
		let listmonkError: string | null = null;
		const client = this.sync.listmonkClient;
		if (campaigns.length && client) {
			try {
				for (const c of campaigns) {
					const now = await client.campaigns.get(c.campaign_id);
					Object.assign(c, { status: seq['status'] === 'cancelled' && now.status === 'draft' ? 'cancelled' : now.status, sent: now.sent, views: now.views, clicks: now.clicks });
				}
			} catch (error) {
				listmonkError = error instanceof Error ? error.message : String(error);
			}
		}
		const listSegment = num(seq['list_segment']);
		const members = listSegment === null ? 0 : Number((await knex(SEGMENT_NAMES.members).where({ segment: listSegment }).count({ n: '*' }).first())?.['n'] ?? 0);
		const dropped = await this.droppedRedeemers(seq);
		await this.update(id, { campaigns: JSON.stringify(campaigns), dropped_redeemers: dropped, ...(listmonkError ? {} : { stats_at: dialectOf(knex).pg ? new Date(nowMs) : nowMs }) });
		return {
			id,
			name: String(seq['name']),
			status: String(seq['status']),
			list_segment: listSegment,
			listmonk_list_id: num(seq['listmonk_list_id']),
			list_members: members,
			dropped_redeemers: dropped,
			campaigns,
			listmonk_error: listmonkError,
		};
	}

	/** Members of the target segment who redeemed the code since the launch (they left the list for it). */
	private async droppedRedeemers(seq: Row): Promise<number> {
		const codeId = num(seq['promo_code']);
		const target = num(seq['segment']);
		if (codeId === null || target === null || seq['launched_at'] === null || seq['launched_at'] === undefined) return 0;
		const launchedMs = seq['launched_at'] instanceof Date ? seq['launched_at'].getTime() : typeof seq['launched_at'] === 'number' ? seq['launched_at'] : Date.parse(String(seq['launched_at']));
		const row = await this.ctx
			.database(`${REDEMPTIONS_TABLE} as r`)
			.join(`${SEGMENT_NAMES.members} as sm`, function () {
				this.on('sm.client', '=', 'r.client_id').andOnVal('sm.segment', '=', target);
			})
			.where('r.code_id', codeId)
			.andWhere('r.outcome', 'redeemed')
			.andWhere('r.judged_at', '>=', launchedMs)
			.countDistinct({ n: 'r.client_id' })
			.first();
		return Number(row?.['n'] ?? 0);
	}

	/** Every scheduled sequence's stats (the hourly job). */
	async refreshAll(): Promise<number> {
		const ids = (await this.ctx.database(SEQUENCE_NAMES.sequences).where({ status: 'scheduled' }).select('id')).map((r) => Number(r.id));
		for (const id of ids) await this.status(id);
		return ids.length;
	}
}

function parseCampaigns(value: unknown): StepCampaign[] {
	try {
		const parsed = typeof value === 'string' ? JSON.parse(value) : value;
		return Array.isArray(parsed) ? (parsed as StepCampaign[]) : [];
	} catch {
		return [];
	}
}
