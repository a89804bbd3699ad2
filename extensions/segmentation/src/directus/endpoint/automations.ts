// /segmentation/automations/:id/*: an automation run on demand (update on automations — it writes the run's result —
// and create on promo codes and client tags, which it may issue), who would qualify today without issuing anything, and its log of who got what
// (both read the automation and the clients).
import type { Router } from 'express';
import { z } from 'zod';
import { AUTOMATION_NAMES, PROMO_NAMES, SEGMENT_NAMES } from '../../core/base-names.ts';
import { listSends } from '../../store/automations.ts';
import { need } from '../access.ts';
import type { AutomationRunner } from '../automations/automation-runner.ts';
import type { DirectusContext } from '../context.ts';
import { AutomationsBusyHttpError, NotFoundAutomationError } from '../errors.ts';
import { requireMapping } from '../settings.ts';
import { parse, type AccountableRequest, type Route } from './route.ts';

const idParam = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });
const logQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50), offset: z.coerce.number().int().min(0).max(10_000_000).default(0) }).strict();

export function mountAutomationRoutes(router: Router, ctx: DirectusContext, runner: AutomationRunner, route: Route): void {
	const A = AUTOMATION_NAMES.automations;
	const readWithClients = async () => [...need('read', A), ...need('read', (await requireMapping(ctx)).client_collection)];
	const existing = async (req: AccountableRequest) => {
		const { id } = parse(idParam, req.params, 'id');
		if (!(await ctx.database(A).where({ id }).first('id'))) throw new NotFoundAutomationError({ id: String(id) });
		return id;
	};

	router.post(
		'/automations/:id/run',
		route([...need('update', A), ...need('create', PROMO_NAMES.codes), ...need('create', SEGMENT_NAMES.clientTags)], async (req) => {
			const id = await existing(req);
			parse(z.object({}).strict(), req.body, 'body');
			const results = await runner.run(id);
			if (!results) throw new AutomationsBusyHttpError();
			return { data: results[0] };
		}),
	);

	router.get(
		'/automations/:id/preview',
		route(readWithClients, async (req) => {
			const preview = await runner.preview(await existing(req));
			return { data: { total: preview?.total ?? 0, clients: preview?.clients ?? [] } };
		}),
	);

	router.get(
		'/automations/:id/log',
		route(readWithClients, async (req) => {
			const id = await existing(req);
			const page = parse(logQuery, req.query, 'query');
			const { total, items } = await listSends(ctx.database, await requireMapping(ctx), id, page);
			return { data: items, meta: { total, ...page } };
		}),
	);
}
