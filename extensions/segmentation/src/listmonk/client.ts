// The typed Listmonk API client the sync talks through. Built once per configuration; holds no credential in a
// field (the token lives in the transport's closure), so logging or serialising it shows only the URL and user.
import type { ListmonkConfig } from './config.ts';
import { ListmonkError } from './errors.ts';
import { ImportsApi } from './imports.ts';
import { ListsApi } from './lists.ts';
import { booleanSchema, profileSchema, serverConfigSchema, type ListmonkProfile } from './schemas.ts';
import { SubscribersApi } from './subscribers.ts';
import { Transport, type CallOptions, type TransportOptions } from './transport.ts';
import { TxApi } from './tx.ts';
import { CampaignsApi } from './campaigns.ts';
import { supportsPatch } from './version.ts';

export type ListmonkClientOptions = TransportOptions;

export class ListmonkClient {
	readonly url: string;
	readonly user: string;
	readonly lists: ListsApi;
	readonly subscribers: SubscribersApi;
	readonly imports: ImportsApi;
	readonly tx: TxApi;
	readonly campaigns: CampaignsApi;
	readonly #http: Transport;
	/** The server's version, read once (a failed read is tried again next time). */
	#version: Promise<string | null> | null = null;
	/** Learnt from a 405 when the version was unknown. */
	#patchMissing = false;

	constructor(config: ListmonkConfig, options: ListmonkClientOptions = {}) {
		this.url = config.url;
		this.user = config.user;
		this.#http = new Transport(config, options);
		this.lists = new ListsApi(this.#http);
		this.subscribers = new SubscribersApi(this.#http, {
			supported: async (call) => (this.#patchMissing ? false : supportsPatch(await this.version(call))),
			learnMissing: () => {
				this.#patchMissing = true;
			},
		});
		this.imports = new ImportsApi(this.#http);
		this.tx = new TxApi(this.#http);
		this.campaigns = new CampaignsApi(this.#http);
	}

	/** GET /api/health: needs valid credentials but no permission, so it is the credentials probe. */
	health(options?: CallOptions): Promise<boolean> {
		return this.#http.call('GET /health', booleanSchema, (init) => this.#http.api.GET('/health', init), options);
	}

	/** The API user: its role's permissions (`user_role.permissions`) and per-list role (`list_role`). */
	profile(options?: CallOptions): Promise<ListmonkProfile> {
		return this.#http.call('GET /profile', profileSchema, (init) => this.#http.api.GET('/profile', init), options);
	}

	/** Listmonk's version from GET /api/config (`v6.2.0`); null when it does not say, or refuses to (4xx). Cached. */
	version(options?: CallOptions): Promise<string | null> {
		if (!this.#version) {
			const read = this.#http
				.call('GET /config', serverConfigSchema, (init) => this.#http.api.GET('/config', init), options)
				.then(
					(config) => config.version?.trim() || null,
					(error: unknown) => {
						if (error instanceof ListmonkError && (error.kind === 'bad_request' || error.kind === 'not_found' || error.kind === 'permission')) return null;
						throw error;
					},
				);
			this.#version = read;
			read.catch(() => {
				if (this.#version === read) this.#version = null;
			});
		}
		return this.#version;
	}

	/** The messengers Listmonk has configured (GET /api/config `messengers`: email plus the enabled postback
	 *  messengers such as telegram); read each time (an admin may enable one at any moment). */
	async messengers(options?: CallOptions): Promise<Set<string>> {
		const config = await this.#http.call('GET /config', serverConfigSchema, (init) => this.#http.api.GET('/config', init), options);
		return new Set(['email', ...(config.messengers ?? [])]);
	}

	/** Whether subscriber updates go by PATCH (v6.1+); null while the version is unknown (PATCH is tried first). */
	async patchSupported(options?: CallOptions): Promise<boolean | null> {
		return this.#patchMissing ? false : supportsPatch(await this.version(options));
	}

	toJSON() {
		return { url: this.url, user: this.user };
	}
}
