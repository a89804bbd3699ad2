// Endpoint entry: /segmentation/*. Thin handlers: check access, call core and store, answer JSON.
// Every route states what it reads and what it changes; access.ts asks Directus's own permissions (admins pass).
import { defineEndpoint } from '@directus/extensions-sdk';
import type { Router } from 'express';
import { SEGMENT_NAMES, SETTINGS_COLLECTION } from '../../core/base-names.ts';
import { checkMapping, mappingFromRow } from '../../core/mapping.ts';
import { assertAccess, isAdmin, need, type Requirement } from '../access.ts';
import type { DirectusContext } from '../context.ts';
import { readCheckedMapping } from '../settings.ts';
import { SCHEMA_VERSION } from '../install/install.ts';
import { countBase } from '../../store/base-counts.ts';
import { listRuns, RecomputeBusyError, RecomputeFailedError, runFailedMessage, type RunRecord } from '../../store/recompute.ts';
import { segmentationFor } from '../segmentation.ts';
import { mountSegmentRoutes, SEGMENT_REFRESH_WRITES } from './segments.ts';
import { mountSyncRoutes } from './sync.ts';
import { mountPromoRoutes } from './promo.ts';
import { mountAutomationRoutes } from './automations.ts';
import { mountSequenceRoutes } from './sequences.ts';
import { mountAnalyticsRoutes } from './analytics.ts';
import { mountClientProfileRoutes } from './client-profile.ts';
import { assertAsOfAllowed, type AccountableRequest, type Route } from './route.ts';
import { InvalidRequestError, RecomputeBusyHttpError, RecomputeFailedHttpError } from '../errors.ts';
import { z } from 'zod';

const recomputeBody = z
	.object({
		as_of: z
			.string()
			.refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO date or date-time, e.g. 2011-12-10 or 2011-12-10T00:00:00Z')
			.optional(),
	})
	.strict();
const runsQuery = z.object({
	limit: z.coerce.number().int().min(1).max(500).default(50),
	offset: z.coerce.number().int().min(0).default(0),
});

const READ_SETTINGS = need('read', SETTINGS_COLLECTION);
/** A full pass rewrites the engine's fields (governed by the engine settings), every client's auto tags and every
 *  active segment's members and counts. */
const RECOMPUTE_WRITES: Requirement = [...need('update', SETTINGS_COLLECTION), ...need('create', SEGMENT_NAMES.clientTags), ...need('delete', SEGMENT_NAMES.clientTags), ...SEGMENT_REFRESH_WRITES];

/** A statement's text inside an error message (knex puts the SQL before the database's own message). */
const looksLikeSql = (message: string) => /\b(select\b[\s\S]*\bfrom|insert\s+into|update\s+\S+\s+set|delete\s+from|(create|alter|drop)\s+(temp\w*\s+)?(table|index))\b/i.test(message);

/** A run as a non-admin sees it: runs recorded before errors were kept short may hold a failed statement's SQL. */
function publicRun(run: RunRecord, admin: boolean): RunRecord {
	if (admin || !run.error || !looksLikeSql(run.error)) return run;
	return { ...run, error: runFailedMessage(run.id) };
}

export default defineEndpoint({
	id: 'segmentation',
	handler: (router: Router, endpointContext) => {
		const ctx = endpointContext as unknown as DirectusContext;
		const root = segmentationFor(ctx);
		/** Every route: access first (endpoints are public otherwise), errors to Directus's handler. */
		const route: Route = (requirement, handler) => async (req, res, next) => {
			try {
				const r = req as AccountableRequest;
				await assertAccess(ctx, r.accountability, typeof requirement === 'function' ? () => requirement(r) : requirement);
				const body = await handler(r, res);
				if (!res.headersSent) res.json(body);
			} catch (error) {
				next(error);
			}
		};

		router.get(
			'/status',
			route(READ_SETTINGS, async (req) => {
				const { report, error } = root.installStatus;
				const mapping = report ? await readCheckedMapping(ctx) : null;
				return {
					data: {
						installed: report !== null,
						schema_version: report?.schemaVersion ?? null,
						expected_schema_version: SCHEMA_VERSION,
						install_error: error && !isAdmin(req.accountability) && looksLikeSql(error) ? 'the install failed; see the server log' : error,
						mapping: mapping ? (mapping.ok ? { ok: true, errors: [], ...mapping.mapping } : { ok: false, errors: mapping.errors }) : null,
						counts: mapping?.ok ? await countBase(ctx.database, mapping.mapping) : null,
						// the cluster's change queue, and whether this instance is draining it
						queue: report ? await root.pipeline.stats() : null,
					},
				};
			}),
		);

		// Full recompute now (once per cluster: 409 while another runs). Body: { as_of?: ISO date } for reproducible runs;
		// an as_of more than a day away from now rewrites every score as of another time: admins only.
		router.post(
			'/recompute',
			route(RECOMPUTE_WRITES, async (req) => {
				const body = recomputeBody.safeParse(req.body ?? {});
				if (!body.success) throw new InvalidRequestError({ errors: body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`) });
				const asOfMs = body.data.as_of ? new Date(body.data.as_of).getTime() : Date.now();
				assertAsOfAllowed(req.accountability, body.data.as_of, asOfMs);
				try {
					return { data: await root.fullPass.run('endpoint', asOfMs) };
				} catch (error) {
					if (error instanceof RecomputeBusyError) throw new RecomputeBusyHttpError();
					if (error instanceof RecomputeFailedError) {
						// the whole error (a failed statement's SQL included) goes to the server log, not to the caller
						ctx.logger.error(error.cause ?? error, `[segmentation] ${error.message}`);
						throw new RecomputeFailedHttpError({ run: error.runId });
					}
					throw error;
				}
			}),
		);

		router.get(
			'/runs',
			route(READ_SETTINGS, async (req) => {
				const query = runsQuery.safeParse(req.query);
				if (!query.success) throw new InvalidRequestError({ errors: query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
				const admin = isAdmin(req.accountability);
				return { data: (await listRuns(ctx.database, query.data.limit, query.data.offset)).map((run) => publicRun(run, admin)) };
			}),
		);

		mountSegmentRoutes(router, ctx, root.segments, root.figures, route);
		mountSyncRoutes(router, ctx, root.sync, route);
		mountPromoRoutes(router, ctx, root.promo, route);
		mountAutomationRoutes(router, ctx, root.automations, route);
		mountSequenceRoutes(router, ctx, root.sequences, route);
		mountAnalyticsRoutes(router, ctx, root.sync, root.figures, route);
		mountClientProfileRoutes(router, ctx, route);

		// Checks a proposed mapping against the live schema without saving it. The mapping is schema: only admins change
		// it (the settings hook), so only they probe it (the answer tells which collections and fields exist).
		router.post(
			'/mapping/check',
			route({ adminOnly: 'check a client base mapping (the mapping is changed by administrators only)' }, async (req) => {
				const saved = (await ctx.database(SETTINGS_COLLECTION).first()) ?? {};
				const proposed = typeof req.body === 'object' && req.body !== null ? req.body : {};
				const result = checkMapping({ ...mappingFromRow(saved), ...proposed }, await ctx.getSchema());
				return { data: result.ok ? { ok: true, errors: [] } : result };
			}),
		);
	},
});
