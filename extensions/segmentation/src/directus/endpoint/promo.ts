// /segmentation/promo-codes/*: personal promo codes issued on request. Issuing creates promo codes (create on
// promo_codes) for clients named or found in a segment (read on the client collection, and on segments for one).
import type { Router } from 'express';
import { PROMO_NAMES, SEGMENT_NAMES } from '../../core/base-names.ts';
import { need } from '../access.ts';
import type { DirectusContext } from '../context.ts';
import type { PromoService } from '../promo/promo-service.ts';
import { requireMapping } from '../settings.ts';
import type { AccountableRequest, Route } from './route.ts';

export function mountPromoRoutes(router: Router, ctx: DirectusContext, promo: PromoService, route: Route): void {
	const issueNeeds = async (req: AccountableRequest) => {
		const body = (req.body ?? {}) as { segment_id?: unknown };
		return [...need('create', PROMO_NAMES.codes), ...need('read', (await requireMapping(ctx)).client_collection), ...(body.segment_id !== undefined ? need('read', SEGMENT_NAMES.segments) : [])];
	};
	router.post(
		'/promo-codes/issue',
		route(issueNeeds, async (req) => ({ data: await promo.issue(req.body, `user ${req.accountability?.user ?? 'unknown'}`) })),
	);
}
