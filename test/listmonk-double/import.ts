// /api/import/subscribers: listmonk's single-slot bulk importer (internal/subimporter). One import at a time, states
// none → importing → finished | failed (and stopping), rows committed in batches of 10,000 (`imported` moves in
// those steps, then the final count), a plain-text log of skipped rows.
import { parse } from 'csv-parse/sync';
import type { App } from './app.ts';
import { MANAGE } from './auth.ts';
import { validateSubscriberFields } from './email.ts';
import { ApiError, badRequest, permissionDeniedFor, serverError } from './errors.ts';
import { parseGoJson, toPlain, unmarshalStruct, type GoStruct } from './go-json.ts';
import { formValue, mediaType, type Ctx } from './http-io.ts';
import type { Store } from './state.ts';
import { readZip, ZipError } from './zip.ts';

const COMMIT_BATCH = 10_000;
const SESSION_OPT: GoStruct = {
	name: 'SessionOpt',
	fields: { filename: 'string', mode: 'string', subscription_status: 'string', overwrite: 'bool', overwrite_userinfo: 'bool', overwrite_subscription_status: 'bool', delim: 'string', lists: 'ints' },
};
const KNOWN_HEADERS = ['email', 'name', 'attributes'];

interface ImportStatus {
	name: string;
	total: number;
	imported: number;
	status: 'none' | 'importing' | 'stopping' | 'finished' | 'failed';
}

interface SessionOptions {
	mode: 'subscribe' | 'blocklist';
	subscriptionStatus: string;
	overwriteUserInfo: boolean;
	overwriteSubscriptionStatus: boolean;
	delim: string;
	listIds: number[];
}

type Row = { email: string; name: string; attribs: Record<string, unknown> | null };

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export class Importer {
	private state: ImportStatus = { name: '', total: 0, imported: 0, status: 'none' };
	private log: string[] | null = [];
	private stopRequested = false;
	/** bumped by reset() so a running import of a wiped double stops writing */
	private generation = 0;
	/** ends the current per-row pause early (a stop, a reset or the double closing) */
	private wake: (() => void) | null = null;
	private readonly store: Store;
	private readonly rowDelayMs: number;

	constructor(store: Store, rowDelayMs: number) {
		this.store = store;
		this.rowDelayMs = rowDelayMs;
	}

	stats(): ImportStatus {
		return { name: this.state.name, total: this.state.total, imported: this.state.imported, status: this.state.status };
	}

	logs(): string {
		return (this.log ?? []).join('');
	}

	/** Importer.Stop: a running import is asked to stop; otherwise the state is cleared. */
	stop(): ImportStatus {
		if (this.state.status !== 'importing') {
			this.state = { name: '', total: 0, imported: 0, status: 'none' };
			this.log = null;
		} else {
			this.stopRequested = true;
			this.state.status = 'stopping';
			this.wake?.();
		}
		return this.stats();
	}

	/** The double's reset: forget everything, abandon a running import. */
	reset(): void {
		this.generation++;
		this.wake?.();
		this.state = { name: '', total: 0, imported: 0, status: 'none' };
		this.log = [];
		this.stopRequested = false;
	}

	get isImporting(): boolean {
		return this.state.status === 'importing';
	}

	/** Go's log.Logger with Ldate|Ltime|Lmicroseconds|Lshortfile. */
	private write(line: number, message: string): void {
		const now = new Date();
		const stamp = `${now.getFullYear()}/${pad(now.getMonth() + 1)}/${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}000`;
		(this.log ??= []).push(`${stamp} importer.go:${line}: ${message}\n`);
	}

	/** NewSession: claims the slot or fails while an import is importing or stopping. */
	begin(filename: string): void {
		if (this.state.status === 'importing' || this.state.status === 'stopping') throw serverError('Error starting import: an import is already running');
		this.state = { name: filename, total: 0, imported: 0, status: 'importing' };
		this.log = [];
		this.stopRequested = false;
		this.write(198, `processing '${filename}'`);
	}

	/** ExtractZIP: the first .csv in the archive, or a 500 (and a failed import). */
	extractZip(file: Buffer): Buffer {
		try {
			let csv: Buffer | null = null;
			for (const entry of readZip(file)) {
				const base = entry.name.split('/').filter((p) => p !== '').pop() ?? entry.name;
				if (entry.isDir) {
					this.write(387, `skipping directory '${base}'`);
					continue;
				}
				if (!base.toLowerCase().endsWith('.csv')) {
					this.write(393, `skipping non .csv file '${base}'`);
					continue;
				}
				this.write(400, `extracting '${base}'`);
				const data = entry.read();
				this.write(420, `extracted '${base}'`);
				if (!csv) csv = data;
				else break;
			}
			if (!csv) {
				this.write(431, 'no CSV files found in the ZIP');
				throw new ZipError('no CSV files found in the ZIP');
			}
			return csv;
		} catch (error) {
			this.state.status = 'failed';
			const message = error instanceof ZipError ? error.message : 'zip: not a valid zip file';
			throw serverError(`Error processing ZIP file: ${message}`);
		}
	}

	/** LoadCSV + Start in one loop: rows are validated in order and committed every 10,000 and at the end. */
	async run(csv: Buffer, fileLabel: string, opts: SessionOptions): Promise<void> {
		const generation = this.generation;
		const alive = (): boolean => generation === this.generation;
		await new Promise((r) => setImmediate(r));
		if (!alive()) return;

		const text = csv.toString('utf8');
		const lineCount = (text.match(/\n/g)?.length ?? 0) + (text.length > 0 && !text.endsWith('\n') ? 1 : 0);
		if (lineCount === 0) return this.fail();
		this.state.total = lineCount - 1;

		let parseError: { line: number; message: string } | null = null;
		let records: { record: string[]; info: { lines: number } }[];
		try {
			records = parse(text, {
				delimiter: opts.delim,
				relax_column_count: true,
				skip_empty_lines: true,
				info: true,
				skip_records_with_error: true,
				on_skip: (err) => {
					parseError ??= { line: (err as { lines?: number } | undefined)?.lines ?? 0, message: err?.message ?? 'parse error' };
					return undefined;
				},
			}) as unknown as { record: string[]; info: { lines: number } }[];
		} catch (error) {
			this.write(295, `error reading header from '${fileLabel}': '${(error as Error).message}'`);
			return this.fail();
		}
		const failedAt = (parseError as { line: number; message: string } | null)?.line ?? Infinity;
		const [header, ...rows] = records;
		if (!header || header.info.lines >= failedAt) {
			this.write(295, `error reading header from '${fileLabel}': 'EOF'`);
			return this.fail();
		}
		const columns = new Map<string, number>();
		header.record.forEach((h, i) => {
			// headers are trimmed and stripped of non-ASCII (a BOM)
			const clean = h.trim().replace(/[^\x00-\x7f]/g, '');
			if (!KNOWN_HEADERS.includes(clean)) this.write(572, `ignoring unknown header '${clean}'`);
			else columns.set(clean, i);
		});
		if (!columns.has('email')) {
			this.write(304, `'email' column not found in '${fileLabel}'`);
			return this.fail();
		}

		let batch: Row[] = [];
		let total = 0;
		let stopped = false;
		let n = 0;
		for (const { record, info } of rows) {
			n++;
			if (this.rowDelayMs > 0) await this.pause();
			else if (n % 1000 === 0) await new Promise((r) => setImmediate(r));
			if (!alive()) return;
			if (this.stopRequested) {
				this.write(320, 'stop request received');
				stopped = true;
				break;
			}
			if (info.lines >= failedAt) break;
			// csv-parse reports the line a record ends on; Go reports the line it starts on
			const startLine = info.lines - record.reduce((lines, field) => lines + (field.match(/\n/g)?.length ?? 0), 0);
			if (record.length !== header.record.length) {
				this.write(331, `skipping line ${n}. record on line ${startLine}: wrong number of fields`);
				continue;
			}
			let fields: { email: string; name: string };
			try {
				fields = validateSubscriberFields(record[columns.get('email')!]!, columns.has('name') ? record[columns.get('name')!]! : '');
			} catch (error) {
				this.write(364, `skipping line ${n}: ${(error as ApiError).message}: [${record.join(' ')}]`);
				continue;
			}
			let attribs: Record<string, unknown> | null = null;
			const rawAttribs = columns.has('attributes') ? record[columns.get('attributes')!]! : '';
			if (rawAttribs !== '') {
				const parsed = parseGoJson(Buffer.from(rawAttribs), 'unmarshal');
				if (!parsed.ok) this.write(376, `skipping invalid attributes JSON on line ${n} for '${fields.email}': ${parsed.failure.kind === 'syntax' ? parsed.failure.text : 'unexpected end of JSON input'}`);
				else if (parsed.node.kind !== 'object' && parsed.node.kind !== 'null') this.write(376, `skipping invalid attributes JSON on line ${n} for '${fields.email}': json: cannot unmarshal ${parsed.node.kind === 'bool' ? 'bool' : parsed.node.kind} into Go value of type models.JSON`);
				else attribs = toPlain(parsed.node) as Record<string, unknown> | null;
			}
			batch.push({ ...fields, attribs });
			total++;
			if (batch.length === COMMIT_BATCH) {
				if (!this.commit(batch, opts)) return this.fail();
				batch = [];
				this.write(262, `imported ${total}`);
			}
		}
		if (!stopped && failedAt !== Infinity) {
			// a CSV error ends LoadCSV without closing the queue: the open batch is never committed
			this.write(343, `error reading CSV '${(parseError as { line: number; message: string } | null)?.message}'`);
			return this.fail();
		}
		if (!this.commit(batch, opts)) return this.fail();
		this.state.status = 'finished';
		this.write(285, 'imported finished');
		this.store.touchLists(opts.listIds);
	}

	/** The configured per-row pause; a stop or reset cuts it short. */
	private pause(): Promise<void> {
		return new Promise((resolve) => {
			const timer = setTimeout(done, this.rowDelayMs);
			const self = this;
			function done(): void {
				clearTimeout(timer);
				if (self.wake === done) self.wake = null;
				resolve();
			}
			this.wake = done;
		});
	}

	/** One transaction: a row that fails (a list id that does not exist) rolls the batch back and ends the import. */
	private commit(batch: Row[], opts: SessionOptions): boolean {
		const missing = opts.mode === 'subscribe' && batch.length > 0 ? opts.listIds.find((id) => !this.store.lists.has(id)) : undefined;
		if (missing !== undefined) {
			this.write(240, `error executing insert: pq: insert or update on table "subscriber_lists" violates foreign key constraint "subscriber_lists_list_id_fkey"`);
			this.write(280, 'error committing to DB: sql: transaction has already been committed or rolled back');
			return false;
		}
		for (const row of batch) {
			if (opts.mode === 'subscribe') this.store.importUpsert(row, opts);
			else this.store.importBlocklist(row);
		}
		this.state.imported += batch.length;
		return true;
	}

	private fail(): void {
		this.state.status = 'failed';
	}
}

export function registerImportRoutes(app: App, route: App['route']): void {
	const perm = ['subscribers:import'];
	const { importer } = app;

	route('GET', '/api/import/subscribers', perm, false, () => importer.stats());
	route('GET', '/api/import/subscribers/logs', perm, false, () => importer.logs());
	route('DELETE', '/api/import/subscribers', perm, false, () => importer.stop());

	route('POST', '/api/import/subscribers', perm, false, async (ctx) => {
		if (importer.isImporting) throw badRequest('An import is already running. Wait for it to finish or stop it before trying again.');
		const params = unmarshalStruct(Buffer.from(await formValue(ctx, 'params')), SESSION_OPT);
		if (!params.ok) throw badRequest(`Invalid params: ${params.error}`);
		const opt = params.values;
		const mode = typeof opt.get('mode') === 'string' ? (opt.get('mode') as string) : '';
		const listIds = ctx.caller.filterListsByPerm(MANAGE, (opt.get('lists') as number[] | null | undefined) ?? []);
		// v6.1 made lists mandatory for subscribe mode
		if (listIds.length === 0 && mode !== 'blocklist' && app.versionAtLeast(6, 1)) throw permissionDeniedFor('lists');
		if (mode !== 'subscribe' && mode !== 'blocklist') throw badRequest('Invalid mode');
		let subscriptionStatus = (opt.get('subscription_status') as string | undefined) ?? '';
		if (subscriptionStatus === '') subscriptionStatus = mode === 'subscribe' ? 'unconfirmed' : 'unsubscribed';
		if (!['unconfirmed', 'confirmed', 'unsubscribed'].includes(subscriptionStatus)) throw badRequest('Invalid subscription status');
		const delim = (opt.get('delim') as string | undefined) ?? '';
		if (Buffer.byteLength(delim) !== 1) throw badRequest('Delimiter should be a single character.');
		const file = await uploadedFile(ctx);

		const legacyOverwrite = opt.get('overwrite') === true;
		const session: SessionOptions = {
			mode,
			subscriptionStatus,
			overwriteUserInfo: legacyOverwrite || opt.get('overwrite_userinfo') === true,
			overwriteSubscriptionStatus: legacyOverwrite || opt.get('overwrite_subscription_status') === true,
			delim,
			listIds,
		};
		importer.begin(file.name);
		const stats = importer.stats();
		const csv = file.name.toLowerCase().endsWith('.csv') ? file.data : importer.extractZip(file.data);
		void importer.run(csv, file.name, session);
		return stats;
	});
}

/** c.FormFile("file"): 400 `Invalid file: ...` with Go's net/http texts. */
async function uploadedFile(ctx: Ctx): Promise<{ name: string; data: Buffer }> {
	if (mediaType(ctx.headers) !== 'multipart/form-data') throw badRequest("Invalid file: request Content-Type isn't multipart/form-data");
	const form = await ctx.form();
	const file = form?.get('file');
	if (!file || typeof file === 'string') throw badRequest('Invalid file: http: no such file');
	return { name: file.name, data: Buffer.from(await file.arrayBuffer()) };
}
