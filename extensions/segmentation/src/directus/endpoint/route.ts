// What every /segmentation/* route shares: the request with Directus's accountability, the route wrapper's type (what
// a route needs, then its handler), and the rule for runs "as of" another time.
import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import type { Accountability, Requirement } from '../access.ts';
import { AdminOnlyError, InvalidRequestError } from '../errors.ts';

export type AccountableRequest = Request & { accountability?: Accountability };
export type Handler = (req: AccountableRequest, res: Response) => Promise<unknown>;
/** What a route needs: fixed, or decided from the request (e.g. the mapped client collection). */
export type RouteRequirement = Requirement | ((req: AccountableRequest) => Promise<Requirement>);
export type Route = (requirement: RouteRequirement, handler: Handler) => (req: Request, res: Response, next: NextFunction) => Promise<void>;

/** How far from now a non-admin may set `as_of`: a recompute or refresh as of another day rewrites every score or
 *  membership as of then (a 1990 run once cleared every client's scores). */
export const AS_OF_TOLERANCE_MS = 24 * 60 * 60 * 1000;

export function assertAsOfAllowed(accountability: Accountability | null | undefined, raw: string | undefined, asOfMs: number, nowMs = Date.now()): void {
	if (raw === undefined || accountability?.admin === true) return;
	if (Math.abs(asOfMs - nowMs) > AS_OF_TOLERANCE_MS) {
		throw new AdminOnlyError({ reason: `run as of ${raw}, more than a day away from now (leave as_of out to run as of now)` });
	}
}

/** A request part checked with zod: the data, or a 400 naming each problem (`where`: the part, for a root issue). */
export function parse<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
	const result = schema.safeParse(input ?? {});
	if (!result.success) throw new InvalidRequestError({ errors: result.error.issues.map((i) => `${i.path.join('.') || where}: ${i.message}`) });
	return result.data;
}
