// The marketer's view: /segmentation/analytics/* (the RFM grid, the overview, campaign results) and a segment's
// breakdown (/segmentation/segments/:id/breakdown). Thin: validate with zod, aggregate in the store (set-based SQL,
// core/analytics.ts shapes), answer JSON. The figures count every client (and every member of a segment), so they need
// read on every item (needWhole): on the clients, with the fields each figure is made of, and for a segment's figures
// on the segments (and its members, for the breakdown). A segment viewer who may not see the clients, a caller whose
// read is limited by an item filter, or one whose field list leaves out e.g. rfm_r gets a 403 saying why: showing
// them the whole base's figures would show more than their permission (and there is no per-caller version of them).
import type { Request, Router } from 'express';
import { z } from 'zod';
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import { compareCampaigns, type CampaignComparison, type CampaignFigures } from '../../core/analytics.ts';
import { ListmonkError } from '../../listmonk/errors.ts';
import { ANALYTICS_FIELDS, ANALYTICS_COLUMNS } from '../../store/queries/analytics.ts';
import type { AnalyticsFigures } from '../analytics/analytics-figures.ts';
import { needWhole, type Requirement } from '../access.ts';
import type { DirectusContext } from '../context.ts';
import { NotFoundSegmentError } from '../errors.ts';
import { requireMapping } from '../settings.ts';
import type { SyncRunner } from '../sync/sync-runner.ts';
import { parse, type Route } from './route.ts';

const { segments: SEGMENTS, members: MEMBERS } = SEGMENT_NAMES;
const segmentId = z.coerce.number().int().positive().max(2_147_483_647);
/** `fresh=true`: count now, not from the last snapshot (the pages' Recount). */
const figuresQuery = z.object({ fresh: z.enum(['true', 'false']).optional() }).strict();
const idParam = z.object({ id: segmentId });
const campaignsQuery = z.object({ segment: segmentId }).strict();

/** Campaign results are Listmonk's figures: kept this long per segment (a page reload does not ask again). */
export const CAMPAIGN_CACHE_MS = 60_000;
/** One try, briefly: an unreachable Listmonk makes a notice on the page, not a long wait. */
const LISTMONK_CALL = { timeoutMs: 10_000, retries: 1 };
/** Campaigns that sent (or are sending) mail. */
const SENT_STATUSES = ['running', 'paused', 'cancelled', 'finished'] as const;

export interface CampaignResults extends CampaignComparison {
	segment: number;
	list_id: number | null;
	/** Why there are no figures (Listmonk not configured, unreachable, refusing): the page shows it as a notice. */
	listmonk_error: string | null;
	fetched_at: string;
}

export function mountAnalyticsRoutes(router: Router, ctx: DirectusContext, sync: SyncRunner, figures: AnalyticsFigures, route: Route): void {
	const clientsCollection = async () => (await requireMapping(ctx)).client_collection;
	/** Every client, with the fields the figures are made of. */
	const readAllClients = (fields: readonly string[]) => async (): Promise<Requirement> => needWhole(await clientsCollection(), fields);
	const readGrid = readAllClients(ANALYTICS_COLUMNS.grid);
	const readOverview = readAllClients(ANALYTICS_COLUMNS.overview);
	// campaign results are Listmonk's figures for the segment's list: every segment and every client (no field of theirs)
	const readSegmentClients = async (): Promise<Requirement> => [...needWhole(SEGMENTS), ...needWhole(await clientsCollection())];
	const readMembers = async (): Promise<Requirement> => {
		const mapping = await requireMapping(ctx);
		const fields = [ANALYTICS_FIELDS.stage, ANALYTICS_FIELDS.tier, ANALYTICS_FIELDS.monetary, ANALYTICS_FIELDS.frequency, ...(mapping.client_lead_source_field ? [mapping.client_lead_source_field] : [])];
		return [...needWhole(SEGMENTS), ...needWhole(MEMBERS), ...needWhole(mapping.client_collection, fields)];
	};
	const existing = async (id: number) => {
		const row = await ctx.database(SEGMENTS).where({ id }).first('id', 'name', 'kind', 'is_active', 'member_count', 'listmonk_list_id');
		if (!row) throw new NotFoundSegmentError({ id: String(id) });
		return row as { id: number; name: string; kind: string; is_active: boolean | number; member_count: number | null; listmonk_list_id: number | null };
	};

	// Recency × frequency of the scored clients (every cell, zeros included), each cell split by M, with its filter;
	// with when they were counted (a big base's come from the end of the last refresh: analytics-figures.ts).
	router.get(
		'/analytics/rfm-grid',
		route(readGrid, async (req) => {
			const query = parse(figuresQuery, req.query, 'query');
			return { data: await figures.grid({ fresh: query.fresh === 'true' }) };
		}),
	);

	// Named segments, lifecycle stages (funnel order) and sleeping, value tiers, and the totals; with when they were
	// counted (a big base's come from the end of the last refresh: analytics-figures.ts).
	router.get(
		'/analytics/overview',
		route(readOverview, async (req) => {
			const query = parse(figuresQuery, req.query, 'query');
			return { data: await figures.overview({ fresh: query.fresh === 'true' }) };
		}),
	);

	// A segment's members by lifecycle stage and value tier, and their lead sources next to the whole base's.
	router.get(
		'/segments/:id/breakdown',
		route(readMembers, async (req: Request) => {
			const { id } = parse(idParam, req.params, 'id');
			const query = parse(figuresQuery, req.query, 'query');
			const segment = await existing(id);
			// lead_sources is null when the base has no lead source field mapped
			const counted = await figures.segment(Number(segment.id), { fresh: query.fresh === 'true' });
			return { data: { segment: { id: Number(segment.id), name: segment.name, kind: segment.kind, is_active: Boolean(segment.is_active) }, ...counted } };
		}),
	);

	// Listmonk's figures for the campaigns sent to the segment's list, against those sent to other lists in the same
	// days. Cached per segment; Listmonk missing or failing is a notice in the answer, never an error.
	const cache = new Map<string, { at: number; value: Promise<CampaignResults> }>();
	const campaignResults = async (segment: number, listId: number | null): Promise<CampaignResults> => {
		const empty = (listmonk_error: string | null): CampaignResults => ({ segment, list_id: listId, listmonk_error, fetched_at: new Date().toISOString(), ...compareCampaigns([], listId ?? 0) });
		const client = sync.listmonkClient;
		if (!client) return empty(sync.availability.configured ? 'Listmonk is not configured' : sync.availability.reason);
		if (listId === null) return empty(null); // not synced to a list yet: nothing was sent to it
		const key = `${segment}:${listId}`;
		const now = Date.now();
		const hit = cache.get(key);
		if (hit && now - hit.at < CAMPAIGN_CACHE_MS) return hit.value;
		const value = (async (): Promise<CampaignResults> => {
			try {
				const campaigns = await client.campaigns.withStatus([...SENT_STATUSES], LISTMONK_CALL);
				const figures: CampaignFigures[] = campaigns.map((c) => ({
					id: c.id, name: c.name, status: c.status, at: c.started_at ?? c.created_at, sent: c.sent, views: c.views, clicks: c.clicks,
					lists: c.lists.map((l) => l.id).filter((l): l is number => l !== null),
				}));
				return { segment, list_id: listId, listmonk_error: null, fetched_at: new Date().toISOString(), ...compareCampaigns(figures, listId) };
			} catch (error) {
				// a failure is not kept: the next request asks again
				cache.delete(key);
				// the ListmonkError's message names the operation and what Listmonk said, never the token or the query
				if (error instanceof ListmonkError) return empty(error.message);
				ctx.logger.warn(`[segmentation] campaign results of segment ${segment}: ${(error as Error).message}`);
				return empty('Listmonk could not be read; see the server log');
			}
		})();
		cache.set(key, { at: now, value });
		for (const [k, v] of cache) if (now - v.at >= CAMPAIGN_CACHE_MS) cache.delete(k);
		return value;
	};

	router.get(
		'/analytics/campaigns',
		route(readSegmentClients, async (req) => {
			const query = parse(campaignsQuery, req.query, 'query');
			const segment = await existing(query.segment);
			const listId = segment.listmonk_list_id === null || segment.listmonk_list_id === undefined ? null : Number(segment.listmonk_list_id);
			return { data: await campaignResults(Number(segment.id), listId) };
		}),
	);
}
