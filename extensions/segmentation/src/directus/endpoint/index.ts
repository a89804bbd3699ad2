// Endpoint entry: /segmentation/*. Thin handlers: check access, call core and store, answer JSON.
import { defineEndpoint } from '@directus/extensions-sdk';
import type { Request, Response, NextFunction, Router } from 'express';
import { SETTINGS_COLLECTION } from '../../core/base-names.ts';
import { checkMapping, mappingFromRow } from '../../core/mapping.ts';
import { assertSegmentationAccess, type Accountability } from '../access.ts';
import type { DirectusContext } from '../context.ts';
import { readCheckedMapping } from '../settings.ts';
import { installState } from '../state.ts';
import { SCHEMA_VERSION } from '../install/install.ts';
import { countBase } from '../../store/base-counts.ts';

type Handler = (req: Request & { accountability?: Accountability }, res: Response) => Promise<unknown>;

export default defineEndpoint({
	id: 'segmentation',
	handler: (router: Router, endpointContext) => {
		const ctx = endpointContext as unknown as DirectusContext;
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
				const mapping = installState.report ? await readCheckedMapping(ctx) : null;
				return {
					data: {
						installed: installState.report !== null,
						schema_version: installState.report?.schemaVersion ?? null,
						expected_schema_version: SCHEMA_VERSION,
						install_error: installState.error,
						mapping: mapping ? (mapping.ok ? { ok: true, errors: [], ...mapping.mapping } : { ok: false, errors: mapping.errors }) : null,
						counts: mapping?.ok ? await countBase(ctx.database, mapping.mapping) : null,
					},
				};
			}),
		);

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
