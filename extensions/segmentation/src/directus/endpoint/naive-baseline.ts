// Benchmark only (SEGMENTATION_BENCH=true): the naive Directus way of scoring — per client, read its deals with
// ItemsService and update the client with ItemsService — on a sample, so `npm run bench:engine` can show what
// set-based SQL saves. Never mounted in normal operation.
import type { Router } from 'express';
import { aggregateFacts, scoreClient } from '../../core/engine.ts';
import { latestCutoffs } from '../../store/recompute.ts';
import type { DirectusContext } from '../context.ts';
import { engineRuntime } from '../engine/runtime.ts';

export function mountNaiveBaseline(router: Router, ctx: DirectusContext, guard: (req: unknown) => Promise<void>): void {
	router.post('/bench/naive', async (req, res, next) => {
		try {
			await guard(req);
			const sample = Math.min(Number((req.body as { sample?: number })?.sample ?? 10_000), 100_000);
			const scope = await engineRuntime(ctx).scope(Date.now());
			const cut = await latestCutoffs(ctx.database);
			if (!cut) throw new Error('run a full recompute first (the naive way reuses its cut-offs)');
			const m = scope.mapping;
			const schema = await ctx.getSchema();
			const deals = new ctx.services.ItemsService(m.deal_collection, { schema, knex: ctx.database });
			const clients = new ctx.services.ItemsService(m.client_collection, { schema, knex: ctx.database });
			const ids = (await ctx.database(m.client_collection).orderBy('id').limit(sample).select('id')).map((r) => Number(r.id));
			const started = Date.now();
			for (const id of ids) {
				const rows = await deals.readByQuery({ filter: { [m.deal_client_field]: { _eq: id } }, fields: [m.deal_status_field, m.deal_amount_field, m.deal_created_field, m.deal_closed_field], limit: -1 });
				const { facts } = aggregateFacts(
					rows.map((r: Record<string, unknown>) => ({
						client: id,
						status: r[m.deal_status_field] as string,
						amountCents: r[m.deal_amount_field] === null ? null : Math.round(Number(r[m.deal_amount_field]) * 100),
						createdMs: r[m.deal_created_field] ? Date.parse(String(r[m.deal_created_field])) : null,
						closedMs: r[m.deal_closed_field] ? Date.parse(String(r[m.deal_closed_field])) : null,
					})),
					{ won: m.deal_status_won, lost: m.deal_status_lost, open: m.deal_status_open, uninterested: m.deal_status_uninterested },
					scope.settings,
					scope.asOfMs,
				);
				const s = scoreClient(facts.get(id), false, cut.cutoffs, scope.settings, scope.asOfMs);
				await clients.updateOne(id, { rfm_frequency: s.frequency, rfm_r: s.r, rfm_f: s.f, rfm_m: s.m, rfm_code: s.code, lifecycle_stage: s.stage, value_tier: s.tier, spend_trend: s.trend }, { emitEvents: false });
			}
			res.json({ data: { clients: ids.length, ms: Date.now() - started } });
		} catch (error) {
			next(error);
		}
	});
}
