// Listmonk campaigns (CONTRACT §7): created as drafts, then scheduled through the status endpoint (creating with
// `send_at` does not schedule). A create is never retried once it may have reached Listmonk: a sequence finds its
// campaigns again by their tags instead (a crash between "created" and "recorded" must not make a second one).
import type { CampaignSearch, CampaignStatus, NewCampaign } from './overlay.ts';
import { z } from 'zod';
import { booleanSchema, campaignSchema, pageSchema, type ListmonkCampaign } from './schemas.ts';
import type { CallOptions, Transport } from './transport.ts';

const campaignPage = pageSchema(campaignSchema);
/** A campaign with its lists and dates (campaign results: which were sent to a list, and when). */
const campaignWithListsSchema = campaignSchema.extend({
	lists: z.array(z.object({ id: z.number().int().nullable(), name: z.string() })).nullish().transform((v) => v ?? []),
	started_at: z.string().nullish().transform((v) => v ?? null),
	created_at: z.string().nullish().transform((v) => v ?? null),
});
export type ListmonkCampaignWithLists = z.output<typeof campaignWithListsSchema>;
const campaignWithListsPage = pageSchema(campaignWithListsSchema);

export class CampaignsApi {
	readonly #http: Transport;

	constructor(http: Transport) {
		this.#http = http;
	}

	/** Every campaign carrying all these tags (bodies left out). */
	async withTags(tags: string[], options?: CallOptions): Promise<ListmonkCampaign[]> {
		const search: CampaignSearch = { tag: tags, per_page: 'all', no_body: true };
		return (await this.#http.call('GET /campaigns', campaignPage, (init) => this.#http.api.GET('/campaigns', { ...init, params: { query: search } }), options)).results;
	}

	/** Every campaign in these statuses, with its lists and dates (bodies left out). */
	async withStatus(status: CampaignStatus[], options?: CallOptions): Promise<ListmonkCampaignWithLists[]> {
		const search: CampaignSearch = { status, per_page: 'all', no_body: true };
		return (await this.#http.call('GET /campaigns', campaignWithListsPage, (init) => this.#http.api.GET('/campaigns', { ...init, params: { query: search } }), options)).results;
	}

	get(id: number, options?: CallOptions): Promise<ListmonkCampaign> {
		return this.#http.call('GET /campaigns/{id}', campaignSchema, (init) => this.#http.api.GET('/campaigns/{id}', { ...init, params: { path: { id }, query: { no_body: true } } }), options);
	}

	create(campaign: NewCampaign, options?: CallOptions): Promise<ListmonkCampaign> {
		return this.#http.call('POST /campaigns', campaignSchema, (init) => this.#http.api.POST('/campaigns', { ...init, body: campaign }), { ...options, retry: 'unsafe' });
	}

	/** The answer echoes `running` for what is stored as `scheduled` (§7): read the campaign again for the truth. */
	setStatus(id: number, status: CampaignStatus, options?: CallOptions): Promise<ListmonkCampaign> {
		return this.#http.call('PUT /campaigns/{id}/status', campaignSchema, (init) => this.#http.api.PUT('/campaigns/{id}/status', { ...init, params: { path: { id } }, body: { status } }), options);
	}

	/** Works in any status; a missing campaign is a 400 (not idempotent). */
	delete(id: number, options?: CallOptions): Promise<boolean> {
		return this.#http.call('DELETE /campaigns/{id}', booleanSchema, (init) => this.#http.api.DELETE('/campaigns/{id}', { ...init, params: { path: { id } } }), options);
	}
}
