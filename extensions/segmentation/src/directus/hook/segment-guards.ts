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
import type { SegmentService } from '../segments/segment-service.ts';
import { PendingNotes } from './pending-notes.ts';

type Payload = Record<string, unknown>;
const N = SEGMENT_NAMES;
const RULE_KEYS = ['rule', 'kind', 'is_active'];

/** A save owes a refresh when the segment then has a rule to follow: active dynamic, or a new static one (filled
 *  from its rule once). */
function refreshOwed(saved: Payload | null, payload: Payload): boolean {
	const after = { ...(saved ?? {}), ...payload };
	const rule = after['rule'];
	if (rule === null || rule === undefined || rule === '') return false;
	const active = after['is_active'] === true || after['is_active'] === 1;
	return (after['kind'] ?? 'dynamic') === 'dynamic' ? active : saved === null;
}

export class SegmentGuards {
	private readonly membersBefore = new PendingNotes<Array<{ segment: number; client: number }>>();

	private readonly ctx: DirectusContext;
	private readonly segments: SegmentService;
	private readonly mapping: MappingCache;
	/** Wakes the change pipeline, which serves the refreshes saves owe. */
	private readonly wake: () => void;

	constructor(ctx: DirectusContext, segments: SegmentService, mapping: MappingCache, wake: () => void) {
		this.ctx = ctx;
		this.segments = segments;
		this.mapping = mapping;
		this.wake = wake;
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
				else {
					const costly = await this.segments.costProblem(parsed.rule, mapping, knex);
					if (costly) errors.add(costly);
				}
			}
		}
		if (errors.size) throw new InvalidSegmentError({ errors: [...errors] });
		if (RULE_KEYS.some((key) => key in clean)) {
			// what the segment selects may have changed: a fresh start (no old failure), and a refresh owed if it has
			// a rule to follow — written with the save, served after the commit by the pipeline (even after a crash)
			clean['refresh_error'] = null;
			if (savedRows.some((saved) => refreshOwed(saved ?? null, clean))) clean['refresh_requested_at'] = new Date().toISOString();
		}
		return clean;
	}

	/** After a segment save: this instance re-reads active rules; a refresh the save owes is served by the pipeline. */
	afterSegmentSaved(event: 'create' | 'update' | 'delete', payload: Payload | undefined): void {
		this.segments.forget();
		if (event !== 'delete' && payload && RULE_KEYS.some((key) => key in payload)) this.wake();
	}

	/** segment_members update: a membership is a pair; moving it would bypass the events, counts and kind checks. */
	checkMemberUpdate(payload: Payload): void {
		const moved = ['segment', 'client'].filter((key) => key in payload);
		if (moved.length) {
			throw new InvalidSegmentError({ errors: [`members: ${moved.join(' and ')} of a membership can't be changed; remove the member and add the client to the segment it belongs to`] });
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

	/** segment_members delete: hand-picked members only; the pairs are noted for their events after the commit. */
	async noteMembers(keys: unknown[], knex: Knex): Promise<void> {
		const rows: Array<{ segment: number; client: number; kind: string }> = await knex(`${N.members} as m`)
			.join(`${N.segments} as s`, 's.id', 'm.segment')
			.whereIn('m.id', keys as number[])
			.select('m.segment', 'm.client', 's.kind');
		if (rows.some((r) => r.kind === 'dynamic')) {
			throw new InvalidSegmentError({ errors: ['members: a dynamic segment’s members follow its rule; make the segment static to remove members by hand'] });
		}
		this.membersBefore.put(JSON.stringify(keys), rows.map((r) => ({ segment: Number(r.segment), client: Number(r.client) })));
	}

	/** After hand-picked members were added or removed: their events and the segments' counts. */
	async afterMembers(event: 'create' | 'delete', keys: unknown[]): Promise<number[]> {
		let rows: Array<{ segment: number; client: number }>;
		if (event === 'delete') {
			rows = this.membersBefore.take(JSON.stringify(keys)) ?? [];
		} else {
			rows = (await this.ctx.database(N.members).whereIn('id', keys as number[]).select('segment', 'client')).map((r: Payload) => ({ segment: Number(r['segment']), client: Number(r['client']) }));
		}
		await recordMembershipChanges(this.ctx.database, rows, event === 'create' ? 'entered' : 'left', Date.now(), 'manual');
		return rows.map((r) => r.client);
	}

	/** Clients about to be deleted leave their segments (the junction cascades): their exits, in the same transaction. */
	async beforeClientsDeleted(keys: unknown[], knex: Knex): Promise<void> {
		const clients = keys.map(Number).filter((k) => Number.isSafeInteger(k));
		await recordMembershipChanges(knex, await membershipsOf(knex, clients), 'left', Date.now(), 'deleted');
	}
}
