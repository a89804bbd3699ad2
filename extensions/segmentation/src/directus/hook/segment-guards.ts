// Saves of segments, members and client tags through Directus (App, REST, Flows): validated before they are stored,
// followed up after the commit. A segment's rule must fit the live schema; a dynamic segment's members follow its
// rule (picking by hand is for static ones); hand-picked members get their events; a changed rule refreshes.
import type { Knex } from 'knex';
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import { checkSegmentPayload, COMPUTED_SEGMENT_FIELDS } from '../../core/segment-payload.ts';
import { parseRule } from '../../core/rule.ts';
import { membershipsOf, recordMembershipChanges } from '../../store/segments.ts';
import type { DirectusContext } from '../context.ts';
import { InvalidSegmentError } from '../errors.ts';
import type { MappingCache } from '../mapping-cache.ts';
import { SegmentsBusyError, type SegmentService } from '../segments/segment-service.ts';
import { PendingNotes } from './pending-notes.ts';

type Payload = Record<string, unknown>;
const N = SEGMENT_NAMES;
const RULE_KEYS = ['rule', 'kind', 'is_active'];

export class SegmentGuards {
	private readonly membersBefore = new PendingNotes<Array<{ segment: number; client: number }>>();

	private readonly ctx: DirectusContext;
	private readonly segments: SegmentService;
	private readonly mapping: MappingCache;

	constructor(ctx: DirectusContext, segments: SegmentService, mapping: MappingCache) {
		this.ctx = ctx;
		this.segments = segments;
		this.mapping = mapping;
	}

	/** segments create/update: computed fields dropped, fields and rule checked (400 naming each problem). */
	async checkSegment(payload: Payload, keys: unknown[] | null, knex: Knex): Promise<Payload> {
		const clean = Object.fromEntries(Object.entries(payload).filter(([key]) => !(COMPUTED_SEGMENT_FIELDS as readonly string[]).includes(key)));
		const savedRows: Payload[] = keys?.length ? await knex(N.segments).whereIn('id', keys as number[]).select('*') : [null as unknown as Payload];
		const errors = new Set<string>();
		for (const saved of savedRows) for (const e of checkSegmentPayload(clean, saved ?? null)) errors.add(e);
		if ('rule' in clean && clean['rule'] !== null && clean['rule'] !== '') {
			const mapping = await this.mapping.current(knex);
			if (mapping) {
				const parsed = parseRule(clean['rule'], await this.ctx.getSchema({ database: knex }), mapping.client_collection);
				if (!parsed.ok) for (const e of parsed.errors) errors.add(e);
			}
		}
		if (errors.size) throw new InvalidSegmentError({ errors: [...errors] });
		return clean;
	}

	/** After a segment save: this instance re-reads active rules; a new or changed active rule refreshes it. */
	afterSegmentSaved(event: 'create' | 'update' | 'delete', keys: unknown[], payload: Payload | undefined): void {
		this.segments.forget();
		if (event === 'delete' || !payload || !RULE_KEYS.some((key) => key in payload)) return;
		void this.refreshSoon(keys.map(Number), event);
	}

	private async refreshSoon(ids: number[], event: 'create' | 'update'): Promise<void> {
		const rows: Payload[] = await this.ctx.database(N.segments).whereIn('id', ids).select('id', 'kind', 'is_active', 'rule');
		// active dynamic: follows the new rule now; a new static one with a rule is filled from it once
		const due = rows.filter((r) => r['rule'] !== null && (r['kind'] === 'dynamic' ? Boolean(r['is_active']) : event === 'create')).map((r) => Number(r['id']));
		if (!due.length) return;
		try {
			// a refresh running elsewhere (the daily job, another save) is waited for, up to a minute
			await this.segments.refresh(due, 'rule', Date.now(), 60_000);
		} catch (error) {
			if (error instanceof SegmentsBusyError) this.ctx.logger.warn(`[segmentation] segment(s) ${due.join(', ')} not refreshed after a save: the cluster stayed busy; the next refresh catches up`);
			else this.ctx.logger.error(`[segmentation] refreshing segment(s) ${due.join(', ')} after a save failed: ${(error as Error).message}`);
		}
	}

	/** segment_members create: only static segments take hand-picked members; entered_at is the save time. */
	async checkMemberCreate(payload: Payload, knex: Knex): Promise<Payload> {
		const segment = await knex(N.segments).where({ id: payload['segment'] as number }).first('kind');
		if (segment?.kind === 'dynamic') {
			throw new InvalidSegmentError({ errors: ['members: a dynamic segment’s members follow its rule; make the segment static to pick members by hand'] });
		}
		return { ...payload, entered_at: new Date().toISOString() };
	}

	/** segment_members delete (and update, which may move a row): note the pairs inside the transaction. */
	async noteMembers(keys: unknown[], knex: Knex, forbidDynamic: boolean): Promise<void> {
		const rows: Array<{ segment: number; client: number; kind: string }> = await knex(`${N.members} as m`)
			.join(`${N.segments} as s`, 's.id', 'm.segment')
			.whereIn('m.id', keys as number[])
			.select('m.segment', 'm.client', 's.kind');
		if (forbidDynamic && rows.some((r) => r.kind === 'dynamic')) {
			throw new InvalidSegmentError({ errors: ['members: a dynamic segment’s members follow its rule; make the segment static to remove members by hand'] });
		}
		this.membersBefore.put(JSON.stringify(keys), rows.map((r) => ({ segment: Number(r.segment), client: Number(r.client) })));
	}

	/** After hand-picked members were added or removed: their events and the segments' counts. */
	async afterMembers(event: 'create' | 'delete', keys: unknown[]): Promise<void> {
		let rows: Array<{ segment: number; client: number }>;
		if (event === 'delete') {
			rows = this.membersBefore.take(JSON.stringify(keys)) ?? [];
		} else {
			rows = (await this.ctx.database(N.members).whereIn('id', keys as number[]).select('segment', 'client')).map((r: Payload) => ({ segment: Number(r['segment']), client: Number(r['client']) }));
		}
		await recordMembershipChanges(this.ctx.database, rows, event === 'create' ? 'entered' : 'left', Date.now(), 'manual');
	}

	/** Clients about to be deleted leave their segments (the junction cascades): their exits, in the same transaction. */
	async beforeClientsDeleted(keys: unknown[], knex: Knex): Promise<void> {
		const clients = keys.map(Number).filter((k) => Number.isSafeInteger(k));
		await recordMembershipChanges(knex, await membershipsOf(knex, clients), 'left', Date.now(), 'deleted');
	}
}
