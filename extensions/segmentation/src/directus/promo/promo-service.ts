// Issuing personal promo codes on request (the endpoint, the Flow operation; automations later): who gets one — these
// clients, or every member of a segment — checked and bounded, then issued set-based in one transaction.
import { z } from 'zod';
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import { formatIssues } from '../../core/mapping.ts';
import { DISCOUNT_TYPES } from '../../core/promo-code.ts';
import { issuePersonalCodes, type IssuedCode } from '../../store/promo-codes.ts';
import type { DirectusContext } from '../context.ts';
import { clearDataCache } from '../data-cache.ts';
import { InvalidRequestError, NotFoundSegmentError } from '../errors.ts';
import type { MappingCache } from '../mapping-cache.ts';

/** Codes per request: a bigger base is issued by an automation, in its own runs. */
export const MAX_CODES_PER_REQUEST = 100_000;
const DAY_MS = 86_400_000;

const moment = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO date or date-time, e.g. 2026-12-31');

export const issueRequestSchema = z
	.object({
		client_ids: z.array(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)).min(1, 'must name at least one client').max(MAX_CODES_PER_REQUEST, `must name at most ${MAX_CODES_PER_REQUEST.toLocaleString('en')} clients`).optional(),
		segment_id: z.number().int().positive().max(2_147_483_647).optional(),
		discount_type: z.enum(DISCOUNT_TYPES, { error: 'must be "percent" or "amount"' }).default('percent'),
		discount_value: z.number({ error: 'must be a number' }).positive('must be more than 0').max(1_000_000_000, 'is too large'),
		valid_from: moment.optional(),
		valid_until: moment.optional(),
		valid_days: z.number().int().min(1, 'must be at least 1').max(3650, 'must be at most 3650 (ten years)').optional(),
		issued_by: z.string().trim().min(1).max(200).optional(),
	})
	.strict()
	.superRefine((v, ctx) => {
		if ((v.client_ids === undefined) === (v.segment_id === undefined)) ctx.addIssue({ code: 'custom', path: ['client_ids'], message: 'give either client_ids or segment_id' });
		if (v.valid_until !== undefined && v.valid_days !== undefined) ctx.addIssue({ code: 'custom', path: ['valid_days'], message: 'give either valid_until or valid_days' });
		if (v.discount_type === 'percent' && v.discount_value > 100) ctx.addIssue({ code: 'custom', path: ['discount_value'], message: 'a percent discount is at most 100' });
		const from = v.valid_from ? Date.parse(v.valid_from) : null;
		if (from !== null && v.valid_until && Date.parse(v.valid_until) < from) ctx.addIssue({ code: 'custom', path: ['valid_until'], message: 'must not be before valid_from' });
	});
export type IssueRequestBody = z.input<typeof issueRequestSchema>;

export interface IssueResult {
	issued: number;
	/** The first 1,000 codes (all of them for a request of that many or fewer). */
	codes: Array<{ client_id: number; promo_code_id: number; code: string }>;
	valid_until: string | null;
}

export class PromoService {
	private readonly ctx: DirectusContext;
	private readonly mapping: MappingCache;

	constructor(ctx: DirectusContext, mapping: MappingCache) {
		this.ctx = ctx;
		this.mapping = mapping;
	}

	/** Parses a request body (400 naming each problem). */
	parse(body: unknown): z.output<typeof issueRequestSchema> {
		const parsed = issueRequestSchema.safeParse(body ?? {});
		if (!parsed.success) throw new InvalidRequestError({ errors: formatIssues(parsed.error) });
		return parsed.data;
	}

	async issue(body: unknown, issuedBy: string, nowMs = Date.now()): Promise<IssueResult> {
		const req = this.parse(body);
		const m = await this.mapping.current();
		if (!m) throw new InvalidRequestError({ errors: ['the segmentation mapping is not set up yet'] });
		const knex = this.ctx.database;
		let clientIds: number[];
		if (req.segment_id !== undefined) {
			if (!(await knex(SEGMENT_NAMES.segments).where({ id: req.segment_id }).first('id'))) throw new NotFoundSegmentError({ id: String(req.segment_id) });
			const count = Number((await knex(SEGMENT_NAMES.members).where({ segment: req.segment_id }).count({ n: '*' }).first())?.['n'] ?? 0);
			if (count > MAX_CODES_PER_REQUEST) throw new InvalidRequestError({ errors: [`segment_id: the segment has ${count.toLocaleString('en')} members, more than ${MAX_CODES_PER_REQUEST.toLocaleString('en')} codes per request`] });
			clientIds = (await knex(SEGMENT_NAMES.members).where({ segment: req.segment_id }).orderBy('client').select('client')).map((r) => Number(r.client));
		} else {
			const wanted = [...new Set(req.client_ids!)];
			const found = new Set<number>();
			for (let i = 0; i < wanted.length; i += 5000) for (const r of await knex(m.client_collection).whereIn('id', wanted.slice(i, i + 5000)).select('id')) found.add(Number(r.id));
			const unknown = wanted.filter((id) => !found.has(id));
			if (unknown.length) throw new InvalidRequestError({ errors: [`client_ids: no such client${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ''}`] });
			clientIds = wanted;
		}
		const validFromMs = req.valid_from ? Date.parse(req.valid_from) : null;
		const validUntilMs = req.valid_until ? Date.parse(req.valid_until) : req.valid_days !== undefined ? (validFromMs ?? nowMs) + req.valid_days * DAY_MS : null;
		const issued: IssuedCode[] = clientIds.length
			? await knex.transaction((trx) => issuePersonalCodes(trx, { clientIds, discountType: req.discount_type, discountValue: req.discount_value, validFromMs, validUntilMs, issuedBy: req.issued_by ?? issuedBy, atMs: nowMs }))
			: [];
		await clearDataCache(this.ctx);
		if (issued.length) this.ctx.logger.info(`[segmentation] issued ${issued.length} personal promo code(s) (${req.issued_by ?? issuedBy})`);
		return {
			issued: issued.length,
			codes: issued.slice(0, 1000).map((c) => ({ client_id: c.clientId, promo_code_id: c.codeId, code: c.code })),
			valid_until: validUntilMs === null ? null : new Date(validUntilMs).toISOString(),
		};
	}
}
