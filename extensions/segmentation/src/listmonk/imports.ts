// Listmonk's CSV import (CONTRACT §5): one import at a time per server, asynchronous, upserting in subscribe mode,
// sending no opt-in mail. `run` is the whole round trip: wait for a running import, start ours, poll until it ends.
import { setTimeout as sleep } from 'node:timers/promises';
import { ListmonkError } from './errors.ts';
import type { ImportParams } from './overlay.ts';
import { importStatusSchema, textSchema, type ImportState } from './schemas.ts';
import type { CallOptions, Transport } from './transport.ts';

export interface ImportResult {
	status: ImportState;
	/** Listmonk's plain-text log: skipped rows and why. */
	log: string;
}

export interface RunImportOptions {
	/** Called with every status polled while our import runs. */
	onProgress?: (status: ImportState) => void;
	/** Aborting stops waiting and asks Listmonk to stop our import if it has started. */
	signal?: AbortSignal;
	/** First poll delay; grows ×1.5 up to maxPollMs. Defaults 250 ms and 2 s (Listmonk commits every 10,000 rows). */
	pollMs?: number;
	maxPollMs?: number;
	/** 'when-skipped': read the log only when rows were skipped or the import failed (one request less). Default 'always'. */
	log?: 'always' | 'when-skipped';
	/** How long to wait for someone else's import to finish before giving up. Default 10 minutes. */
	waitForRunningMs?: number;
}

const BUSY = new Set<ImportState['status']>(['importing', 'stopping']);
const DONE = new Set<ImportState['status']>(['finished', 'failed']);

export class ImportsApi {
	readonly #http: Transport;

	constructor(http: Transport) {
		this.#http = http;
	}

	/**
	 * Starts an import of `csv` (header row with `email`, optional `name` and `attributes` (a JSON object)). The
	 * file is sent as `<name>.csv`: any other name is read as a ZIP. Not repeated once it may have reached Listmonk
	 * (a repeat would meet "already running", ours or not).
	 */
	start(csv: string, params: ImportParams, options?: CallOptions & { filename?: string }): Promise<ImportState> {
		const filename = csvName(options?.filename ?? 'subscribers.csv');
		const body = { params: JSON.stringify(params), file: new Blob([csv], { type: 'text/csv' }) };
		return this.#http.call(
			'POST /import/subscribers',
			importStatusSchema,
			(init) =>
				this.#http.api.POST('/import/subscribers', {
					...init,
					body,
					bodySerializer: (upload) => {
						const form = new FormData();
						form.set('params', upload.params);
						form.set('file', upload.file, filename);
						return form;
					},
				}),
			{ ...options, retry: 'unsafe' },
		);
	}

	status(options?: CallOptions): Promise<ImportState> {
		return this.#http.call('GET /import/subscribers', importStatusSchema, (init) => this.#http.api.GET('/import/subscribers', init), options);
	}

	logs(options?: CallOptions): Promise<string> {
		return this.#http.call('GET /import/subscribers/logs', textSchema, (init) => this.#http.api.GET('/import/subscribers/logs', init), options);
	}

	/** Stops a running import (it ends `finished`), or resets a finished one's state to `none`. */
	stop(options?: CallOptions): Promise<ImportState> {
		return this.#http.call('DELETE /import/subscribers', importStatusSchema, (init) => this.#http.api.DELETE('/import/subscribers', init), options);
	}

	/** Waits for a running import to end, starts ours, polls it with backoff until `finished` or `failed`. */
	async run(csv: string, params: ImportParams, options: RunImportOptions = {}): Promise<ImportResult> {
		const { signal, onProgress } = options;
		const call = { signal };
		const waitUntil = Date.now() + (options.waitForRunningMs ?? 600_000);
		const poll = backoff(options.pollMs ?? 250, options.maxPollMs ?? 2_000);

		let status: ImportState;
		for (;;) {
			try {
				// started at once (the common case: one request); "already running" → wait for that import, then again
				status = await this.start(csv, params, call);
				break;
			} catch (error) {
				if (!(error instanceof ListmonkError && error.status === 400 && /already running/i.test(error.listmonkMessage ?? ''))) throw error;
			}
			let current = await this.status(call);
			while (BUSY.has(current.status)) {
				if (Date.now() > waitUntil) throw new Error(`Another Listmonk import (${current.name}) is still running; try again later`);
				await sleep(poll(), undefined, { signal });
				current = await this.status(call);
			}
		}

		const next = backoff(options.pollMs ?? 250, options.maxPollMs ?? 2_000);
		try {
			while (!DONE.has(status.status)) {
				await sleep(next(), undefined, { signal });
				status = await this.status(call);
				onProgress?.(status);
			}
		} catch (error) {
			if (signal?.aborted) await this.stop().catch(() => undefined); // best effort: the caller no longer wants it
			throw error;
		}
		// the log says which rows were skipped and why: read when some were (or the import failed), or when asked
		const skipped = status.status === 'failed' || status.imported < status.total;
		return { status, log: skipped || options.log !== 'when-skipped' ? await this.logs(call) : '' };
	}
}

function csvName(name: string): string {
	return name.toLowerCase().endsWith('.csv') ? name : `${name}.csv`;
}

/** Delays growing ×1.5 from `first` up to `max`. */
function backoff(first: number, max: number): () => number {
	let delay = first;
	return () => {
		const current = delay;
		delay = Math.min(max, Math.round(delay * 1.5));
		return current;
	};
}
