// /segmentation/segments/*: refreshes, enter/exit events, size history, lead sources, the library, rule checks.
// Thin: validate the request with zod, call the segment runtime or the store, answer JSON.
// Each route states what it reads and changes (access.ts asks Directus's permissions); member ids need read on the
// members and the clients; the lead sources (a segment against the whole base) need read on every item of them
// (needWhole: no item filter, the lead source field given), else a 403 saying why.
import type { Request, Router } from 'express';
import { z } from 'zod';
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import { listActiveSegments, listEvents, listDailyMoves, listSnapshots } from '../../store/segments.ts';
import { need, needWhole, type Need, type Requirement } from '../access.ts';
import type { AnalyticsFigures } from '../analytics/analytics-figures.ts';
import type { DirectusContext } from '../context.ts';
import { InvalidRequestError, InvalidSegmentError, NotFoundSegmentError, SegmentsBusyHttpError } from '../errors.ts';
import { seedSegmentLibrary, seedTagTemplates } from '../install/segment-library.ts';
import { SegmentsBusyError, type SegmentService } from '../segments/segment-service.ts';
import { requireMapping } from '../settings.ts';
import { assertAsOfAllowed, parse, type Route } from './route.ts';

const { segments: SEGMENTS, members: MEMBERS, clientTags: CLIENT_TAGS, tags: TAGS } = SEGMENT_NAMES;
/** A refresh changes the members (entries and exits) and the segments (counts, refresh time). */
export const SEGMENT_REFRESH_WRITES: Need[] = [...need('update', SEGMENTS), ...need('create', MEMBERS), ...need('delete', MEMBERS)];
/** A refresh of every segment first drops expired auto tags. */
const REFRESH_ALL_WRITES: Need[] = [...SEGMENT_REFRESH_WRITES, ...need('delete', CLIENT_TAGS)];
const READ_SEGMENTS: Need[] = need('read', SEGMENTS);

const isoDate = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO date or date-time, e.g. 2026-01-31 or 2026-01-31T00:00:00Z');
const refreshBody = z.object({ as_of: isoDate.optional() }).strict();
const idParam = z.object({ id: z.coerce.number().int().positive() });
const eventsQuery = z.object({
	limit: z.coerce.number().int().min(1).max(1000).default(100),
	offset: z.coerce.number().int().min(0).default(0),
	event: z.enum(['entered', 'left']).optional(),
	client: z.coerce.number().int().positive().optional(),
});
const historyQuery = z.object({ from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day, YYYY-MM-DD').optional() });
const libraryBody = z.object({ tags: z.boolean().default(false) }).strict();
const ruleCheckBody = z.object({ rule: z.unknown() });

export function mountSegmentRoutes(router: Router, ctx: DirectusContext, service: SegmentService, figures: AnalyticsFigures, route: Route): void {
	const segments = () => service;
	const existing = async (req: Request) => {
		const { id } = parse(idParam, req.params, 'id');
		const row = await ctx.database(SEGMENT_NAMES.segments).where({ id }).first('id', 'name', 'kind', 'is_active', 'member_count');
		if (!row) throw new NotFoundSegmentError({ id: String(id) });
		return row as { id: number; name: string; kind: string; is_active: boolean; member_count: number };
	};
	/** Who is in a segment: the segments, their members and the clients (the mapped collection). */
	const readMembers = async (): Promise<Requirement> => [...READ_SEGMENTS, ...need('read', MEMBERS), ...need('read', (await requireMapping(ctx)).client_collection)];
	/** Lead sources of a segment against the whole base: every segment, member and client, with the lead source field. */
	const readAllMembers = async (): Promise<Requirement> => {
		const mapping = await requireMapping(ctx);
		return [...needWhole(SEGMENTS), ...needWhole(MEMBERS), ...needWhole(mapping.client_collection, mapping.client_lead_source_field ? [mapping.client_lead_source_field] : [])];
	};
	const refreshing = async <T>(run: () => Promise<T>) => {
		try {
			return await run();
		} catch (error) {
			if (error instanceof SegmentsBusyError) throw new SegmentsBusyHttpError();
			throw error;
		}
	};

	// Active segments with counts and 30 days of daily sizes (the module's table).
	router.get(
		'/segments',
		route(READ_SEGMENTS, async () => ({ data: await listActiveSegments(ctx.database, 30, Date.now()) })),
	);

	// Re-evaluates every active dynamic segment (time-based rules: $NOW, sleeping, recency), after dropping expired
	// auto tags. Body: { as_of?: ISO date }. Once per cluster: 409 while another refresh runs.
	router.post(
		'/segments/refresh',
		route(REFRESH_ALL_WRITES, async (req) => {
			const body = parse(refreshBody, req.body, 'body');
			const asOfMs = body.as_of ? Date.parse(body.as_of) : Date.now();
			assertAsOfAllowed(req.accountability, body.as_of, asOfMs);
			return { data: await refreshing(() => segments().refresh(null, 'refresh', asOfMs)) };
		}),
	);

	// Adds the missing library templates for the current RFM scheme, and one per interest tag with { tags: true }.
	router.post(
		'/segments/library',
		route(async (req) => [...need('create', SEGMENTS), ...(libraryBody.safeParse(req.body ?? {}).data?.tags ? need('read', TAGS) : [])], async (req) => {
			const body = parse(libraryBody, req.body, 'body');
			const mapping = await requireMapping(ctx);
			const library = await seedSegmentLibrary(ctx, mapping);
			const tags = body.tags ? await seedTagTemplates(ctx, mapping) : null;
			return { data: { library, tags } };
		}),
	);

	// Checks a rule against the live schema without saving it (the App's segment form, scripts).
	router.post(
		'/segments/rule/check',
		route(READ_SEGMENTS, async (req) => {
			const body = parse(ruleCheckBody, req.body, 'body');
			const parsed = await segments().parse(body.rule);
			return { data: parsed.ok ? { ok: true, errors: [] } : { ok: false, errors: parsed.errors } };
		}),
	);

	router.post(
		'/segments/:id/refresh',
		route(SEGMENT_REFRESH_WRITES, async (req) => {
			const segment = await existing(req);
			const body = parse(refreshBody, req.body, 'body');
			const asOfMs = body.as_of ? Date.parse(body.as_of) : Date.now();
			assertAsOfAllowed(req.accountability, body.as_of, asOfMs);
			const summary = await refreshing(() => segments().refresh([segment.id], 'refresh', asOfMs));
			if (summary.skipped.length) throw new InvalidSegmentError({ errors: summary.skipped.map((s) => s.reason) });
			return { data: summary.segments[0] };
		}),
	);

	router.get(
		'/segments/:id/events',
		route(readMembers, async (req) => {
			const segment = await existing(req);
			const query = parse(eventsQuery, req.query, 'query');
			return { data: await listEvents(ctx.database, segment.id, query) };
		}),
	);

	router.get(
		'/segments/:id/history',
		route(READ_SEGMENTS, async (req) => {
			const segment = await existing(req);
			const query = parse(historyQuery, req.query, 'query');
			const from = query.from ?? new Date(Date.now() - 90 * 86_400_000).toISOString().slice(0, 10);
			return {
				data: {
					segment: segment.id,
					member_count: Number(segment.member_count ?? 0),
					snapshots: await listSnapshots(ctx.database, segment.id, query.from),
					// who entered and left per day (the segment page's bars), 90 days unless `from` says otherwise
					moves: await listDailyMoves(ctx.database, segment.id, from),
				},
			};
		}),
	);

	router.get(
		'/segments/:id/lead-sources',
		route(readAllMembers, async (req) => {
			const segment = await existing(req);
			const mapping = await requireMapping(ctx);
			if (!mapping.client_lead_source_field) throw new InvalidRequestError({ errors: ['client_lead_source_field: no lead source field is mapped in the segmentation settings'] });
			const fresh = parse(z.object({ fresh: z.enum(['true', 'false']).optional() }).strict(), req.query, 'query').fresh === 'true';
			// the segment page's figures (a big base's counted at the end of the last refresh), with when they were counted
			const { lead_sources, as_of, live } = await figures.segment(Number(segment.id), { fresh });
			return { data: { ...lead_sources!, as_of, live } };
		}),
	);
}
