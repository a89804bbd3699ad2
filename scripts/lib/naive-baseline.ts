// Benchmark only: the naive way of scoring, measured from outside Directus — per client, GET its deals over the
// REST API, aggregate and score them with the extension's own core functions against the last full run's cut-offs,
// PATCH the client. Run on a sample so `npm run bench:engine` can extrapolate what set-based SQL saves. Nothing of
// it ships in the bundle.
import type { Knex } from 'knex';
import { SETTINGS_COLLECTION } from '../../extensions/segmentation/src/core/base-names.ts';
import { aggregateFacts, scoreClient, type Cutoffs, type DealRow } from '../../extensions/segmentation/src/core/engine.ts';
import { engineSettingsFromRow } from '../../extensions/segmentation/src/core/engine-settings.ts';
import { readMappingFromDatabase } from '../../extensions/segmentation/src/store/live-schema.ts';
import { RUNS_TABLE } from '../../extensions/segmentation/src/store/tables.ts';
import { benchHttp } from './bench.ts';

export interface NaiveBaselineOptions {
	/** Directus's base URL and an admin token. */
	url: string;
	token: string;
	/** The same database, for the setup reads (mapping, settings, cut-offs, the sample's ids): not timed. */
	knex: Knex;
	/** How many clients (the lowest ids). */
	sample: number;
	asOfMs?: number;
}

/** Cut-offs of the last successful full run that scored anyone (what the engine's incremental path reuses). */
async function lastRunCutoffs(knex: Knex): Promise<Cutoffs> {
	const row = await knex(RUNS_TABLE).where({ status: 'succeeded' }).andWhere('clients_scored', '>', 0).orderBy('id', 'desc').first('cutoffs');
	if (!row?.cutoffs) throw new Error('run a full recompute first (the naive way reuses its cut-offs)');
	return (typeof row.cutoffs === 'string' ? JSON.parse(row.cutoffs) : row.cutoffs) as Cutoffs;
}

const timeOf = (value: unknown): number | null => (value ? Date.parse(String(value)) : null);

/** Scores `sample` clients one by one over HTTP; returns how many and the wall time of the per-client loop. */
export async function naiveBaseline(o: NaiveBaselineOptions): Promise<{ clients: number; ms: number }> {
	const m = await readMappingFromDatabase(o.knex);
	const settings = engineSettingsFromRow((await o.knex(SETTINGS_COLLECTION).first()) ?? {});
	if (!settings.ok) throw new Error(`invalid engine settings: ${settings.errors.join('; ')}`);
	const s = settings.settings;
	const cutoffs = await lastRunCutoffs(o.knex);
	const asOfMs = o.asOfMs ?? Date.now();
	const status = { won: m.deal_status_won, lost: m.deal_status_lost, open: m.deal_status_open, uninterested: m.deal_status_uninterested };
	const dealFields = [m.deal_status_field, m.deal_amount_field, m.deal_created_field, m.deal_closed_field].join(',');
	const difficultField = m.client_difficult_field;
	const sample = await o.knex(m.client_collection).orderBy('id').limit(o.sample).select(difficultField ? ['id', difficultField] : ['id']);
	const http = (method: string, path: string, body?: unknown) => benchHttp(o.token, o.url, method, path, body);

	const started = performance.now();
	for (const client of sample) {
		const id = Number(client.id);
		const query = new URLSearchParams({ [`filter[${m.deal_client_field}][_eq]`]: String(id), limit: '-1', fields: dealFields });
		const rows = (await http('GET', `/items/${m.deal_collection}?${query}`)).data as Array<Record<string, unknown>>;
		const deals: DealRow[] = rows.map((r) => ({
			client: id,
			status: (r[m.deal_status_field] as string | null) ?? null,
			// decimals arrive as strings over REST
			amountCents: r[m.deal_amount_field] === null || r[m.deal_amount_field] === undefined ? null : Math.round(Number(r[m.deal_amount_field]) * 100),
			createdMs: timeOf(r[m.deal_created_field]),
			closedMs: timeOf(r[m.deal_closed_field]),
		}));
		const { facts } = aggregateFacts(deals, status, s, asOfMs);
		const difficult = difficultField ? Boolean(client[difficultField]) : false;
		const scores = scoreClient(facts.get(id), difficult, cutoffs, s, asOfMs);
		// fields=id: the PATCH answers with the client's id only, not the whole row (and its relations) read back
		await http('PATCH', `/items/${m.client_collection}/${id}?fields=id`, {
			rfm_frequency: scores.frequency,
			rfm_r: scores.r,
			rfm_f: scores.f,
			rfm_m: scores.m,
			rfm_code: scores.code,
			lifecycle_stage: scores.stage,
			value_tier: scores.tier,
			spend_trend: scores.trend,
		});
	}
	return { clients: sample.length, ms: performance.now() - started };
}
