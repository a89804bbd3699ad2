// Endpoint entry: /segmentation/*. Thin handlers: check access, call core and store, answer JSON.
import { defineEndpoint } from '@directus/extensions-sdk';
import type { Request, Response, NextFunction, Router } from 'express';
import { SETTINGS_COLLECTION } from '../../core/base-names.ts';
import { checkMapping, mappingFromRow } from '../../core/mapping.ts';
import { assertSegmentationAccess, type Accountability } from '../access.ts';
import type { DirectusContext } from '../context.ts';
import { readCheckedMapping } from '../settings.ts';
import { SCHEMA_VERSION } from '../install/install.ts';
import { countBase } from '../../store/base-counts.ts';
import { listRuns, RecomputeBusyError } from '../../store/recompute.ts';
import { segmentationFor } from '../segmentation.ts';
import { mountSegmentRoutes } from './segments.ts';
import { InvalidRequestError, RecomputeBusyHttpError } from '../errors.ts';
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

type Handler = (req: Request & { accountability?: Accountability }, res: Response) => Promise<unknown>;

export default defineEndpoint({
	id: 'segmentation',
	handler: (router: Router, endpointContext) => {
		const ctx = endpointContext as unknown as DirectusContext;
		const root = segmentationFor(ctx);
		/** Every route: access first (endpoints are public otherwise), errors to Directus's handler. */
		const route = (handler: Handler) => async (req: Request, res: Response, next: NextFunction) => {
			try {
				const r = req as Request & { accountability?: Accountability };
				await assertSegmentationAccess(ctx, r.accountability);
				const body = await handler(r, res);
				if (!res.headersSent) res.json(body);
			} catch (error) {
				next(error);
			}
		};

		router.get(
			'/status',
			route(async () => {
				const { report, error } = root.installStatus;
				const mapping = report ? await readCheckedMapping(ctx) : null;
				return {
					data: {
						installed: report !== null,
						schema_version: report?.schemaVersion ?? null,
						expected_schema_version: SCHEMA_VERSION,
						install_error: error,
						mapping: mapping ? (mapping.ok ? { ok: true, errors: [], ...mapping.mapping } : { ok: false, errors: mapping.errors }) : null,
						counts: mapping?.ok ? await countBase(ctx.database, mapping.mapping) : null,
						// the cluster's change queue, and whether this instance is draining it
						queue: report ? await root.pipeline.stats() : null,
					},
				};
			}),
		);

		// Full recompute now (once per cluster: 409 while another runs). Body: { as_of?: ISO date } for reproducible runs.
		router.post(
			'/recompute',
			route(async (req) => {
				const body = recomputeBody.safeParse(req.body ?? {});
				if (!body.success) throw new InvalidRequestError({ errors: body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`) });
				const asOfMs = body.data.as_of ? new Date(body.data.as_of).getTime() : Date.now();
				try {
					return { data: await root.fullPass.run('endpoint', asOfMs) };
				} catch (error) {
					if (error instanceof RecomputeBusyError) throw new RecomputeBusyHttpError();
					throw error;
				}
			}),
		);

		router.get(
			'/runs',
			route(async (req) => {
				const query = runsQuery.safeParse(req.query);
				if (!query.success) throw new InvalidRequestError({ errors: query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
				return { data: await listRuns(ctx.database, query.data.limit, query.data.offset) };
			}),
		);

		mountSegmentRoutes(router, ctx, root.segments, route);

		// Checks a proposed mapping against the live schema without saving it.
		router.post(
			'/mapping/check',
			route(async (req) => {
				const saved = (await ctx.database(SETTINGS_COLLECTION).first()) ?? {};
				const proposed = typeof req.body === 'object' && req.body !== null ? req.body : {};
				const result = checkMapping({ ...mappingFromRow(saved), ...proposed }, await ctx.getSchema());
				return { data: result.ok ? { ok: true, errors: [] } : result };
			}),
		);
	},
});
