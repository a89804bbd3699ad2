// The UCI "Online Retail" data set as deals: one invoice = one won deal closed at its InvoiceDate (UTC), its lines
// as items. Pure: takes the file's lines (from a stream or a string), returns invoices plus every line it skipped,
// with the line number and the reason. Fields are parsed by csv-parse; see CsvLineReader for how a broken quote
// costs one line instead of the rest of the file.
import { parse as parseCsvText } from 'csv-parse/sync';

export interface RetailLine { stockCode: string; description: string; quantity: number; unitPrice: number }
export interface RetailInvoice {
	invoiceNo: string;
	/** CustomerID as an integer string, e.g. "12923". */
	customerId: string;
	country: string;
	closedAt: Date;
	/** Sum of quantity × unit price, rounded to cents. */
	amount: number;
	lines: RetailLine[];
}
export type SkipReason =
	| 'unreadable' // not a CSV row of this file: an unterminated or stray quote, a wrong number of fields, an empty line
	| 'no_customer' // empty CustomerID: a guest checkout
	| 'bad_customer' // a CustomerID that is not a whole number
	| 'bad_value' // no InvoiceNo, or a Quantity / UnitPrice / InvoiceDate that can't be read
	| 'cancellation' // InvoiceNo C…
	| 'future_date'
	| 'non_positive_total' // the whole invoice
	| 'absurd_amount'; // the whole invoice
export const SKIP_REASONS: Record<SkipReason, string> = {
	unreadable: 'unreadable line',
	no_customer: 'no CustomerID (guest checkout)',
	bad_customer: 'CustomerID is not a whole number',
	bad_value: 'unreadable value',
	cancellation: 'cancellation invoice (C…)',
	future_date: 'invoice date in the future',
	non_positive_total: 'invoice total not positive',
	absurd_amount: 'amount beyond the sane range',
};
export interface SkippedLine { line: number; reason: SkipReason; detail: string }
export interface RetailParseResult {
	invoices: RetailInvoice[];
	/** Lines, and invoices, left out, by reason. */
	skippedRows: Record<SkipReason, number>;
	skippedInvoices: Record<SkipReason, number>;
	/** Every line left out, in file order (line 1 is the header). */
	skippedLines: SkippedLine[];
	/** Lines after the header. */
	rows: number;
}
export interface RetailParseOptions {
	/** Invoices after this are refused (default: now), as the engine refuses purchases after its as-of time. */
	now?: Date;
	/** Largest accepted invoice total and line amount (default 1e12), the engine's sane range for deal amounts. */
	maxAmount?: number;
}

export const RETAIL_COLUMNS = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'] as const;
/** Deal amounts beyond this are refused: they can only be data errors, and would overflow the engine's sums. */
export const MAX_DEAL_AMOUNT = 1e12;
/** deal_items.quantity is a 32-bit integer column on both databases. */
const MAX_QUANTITY = 2_147_483_647;

// ── CSV records ───────────────────────────────────────────────────────────────────────────────────────────────────

/** A quoted field may span lines (RFC 4180), but not more than this many: past it, the quote is taken as unterminated. */
const MAX_RECORD_LINES = 100;
/** Records handed to csv-parse at once: one call per record would be ~10× slower. */
const BATCH_RECORDS = 1000;

interface Candidate { start: number; end: number; unclosed: boolean }
/** `line` is the number of the record's first line; `span` how many lines it takes (a quoted field may hold newlines). */
export interface CsvSink { record(line: number, fields: string[], span: number): void; skip(line: number, detail: string): void }

/**
 * Cuts physical lines into records and parses them with csv-parse. csv-parse alone, streaming, reads an unclosed
 * quote as one field running to the end of the file (everything after it is lost, with one error): here a record
 * is the lines up to where the quotes balance, and a record that csv-parse refuses, or that has a wrong number of
 * fields, costs only its first line — reading resumes on the next line, so every other line is still read.
 * The first record (the header) sets the number of fields.
 */
export class CsvLineReader {
	private lines: string[] = [];
	/** Line number of lines[0]. */
	private first = 1;
	private fields: number | null = null;
	private readonly sink: CsvSink;

	constructor(sink: CsvSink) {
		this.sink = sink;
	}

	push(text: string): void {
		this.lines.push(this.first === 1 && this.lines.length === 0 ? text.replace(/^\uFEFF/, '') : text);
		if (this.lines.length >= BATCH_RECORDS + MAX_RECORD_LINES) this.drain(false);
	}

	end(): void {
		this.drain(true);
	}

	private drain(final: boolean): void {
		for (;;) {
			const batch: Candidate[] = [];
			let pos = 0;
			while (batch.length < BATCH_RECORDS && pos < this.lines.length) {
				const candidate = this.candidateAt(pos, final);
				if (!candidate) break; // a quote still open at the end of what we have: wait for more lines
				batch.push(candidate);
				pos = candidate.end;
			}
			if (!batch.length) return;
			const consumed = this.emit(batch);
			this.lines.splice(0, consumed);
			this.first += consumed;
			if (!final && this.lines.length < BATCH_RECORDS + MAX_RECORD_LINES) return;
		}
	}

	/** The record starting at lines[pos]: lines are added while an odd number of quotes is open. */
	private candidateAt(pos: number, final: boolean): Candidate | null {
		let open = quotes(this.lines[pos]!) % 2 === 1;
		let end = pos + 1;
		while (open) {
			if (end - pos >= MAX_RECORD_LINES) return { start: pos, end, unclosed: true };
			if (end >= this.lines.length) return final ? { start: pos, end, unclosed: true } : null;
			if (quotes(this.lines[end]!) % 2 === 1) open = false;
			end++;
		}
		return { start: pos, end, unclosed: false };
	}

	/** Emits the batch in order; returns how many lines it used up (less than all when a record has to be re-cut). */
	private emit(batch: Candidate[]): number {
		const texts = batch.map((c) => this.lines.slice(c.start, c.end).join('\n'));
		let parsed: string[][] | null = null;
		const parseable = texts.filter((text, k) => !batch[k]!.unclosed && text.trim() !== '');
		try {
			const records = parseCsvText(parseable.join('\n'), { relax_column_count: true });
			if (records.length === parseable.length) parsed = records;
		} catch {
			// a bad record somewhere in the batch: read them one by one below
		}
		let next = 0;
		for (const [k, c] of batch.entries()) {
			const line = this.first + c.start;
			const multiline = c.end - c.start > 1;
			if (texts[k]!.trim() === '') {
				this.sink.skip(line, 'empty line');
				continue;
			}
			let fields: string[] | null = null;
			let problem: string | null = null;
			if (c.unclosed) problem = 'unclosed';
			else if (parsed) fields = parsed[next++]!;
			else {
				try {
					const records = parseCsvText(texts[k]!, { relax_column_count: true });
					if (records.length === 1) fields = records[0]!;
					else problem = 'unclosed';
				} catch (error) {
					problem = csvProblem(error as Error & { code?: string });
				}
			}
			if (fields && this.fields !== null && fields.length !== this.fields) problem = multiline ? 'unclosed' : `expected ${this.fields} fields, found ${fields.length}`;
			if (problem && multiline) {
				// the record ran over its first line because of a quote that never closed: only that line is lost,
				// the lines after it are cut into records again
				this.sink.skip(line, lineProblem(this.lines[c.start]!));
				return c.start + 1;
			}
			if (problem) {
				this.sink.skip(line, problem === 'unclosed' ? lineProblem(this.lines[c.start]!) : problem);
				continue;
			}
			this.fields ??= fields!.length;
			this.sink.record(line, fields!, c.end - c.start);
		}
		return batch[batch.length - 1]!.end;
	}
}

function quotes(text: string): number {
	let n = 0;
	for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) n++;
	return n;
}

const UNTERMINATED = 'unterminated quote: a quoted field opened on this line is never closed';

/** What is wrong with a line read alone: a stray quote inside a field, else the quote it opens never closes. */
function lineProblem(text: string): string {
	try {
		parseCsvText(text, { relax_column_count: true });
	} catch (error) {
		const problem = csvProblem(error as Error & { code?: string });
		if (problem !== 'unclosed') return problem;
	}
	return UNTERMINATED;
}

function csvProblem(error: Error & { code?: string }): string {
	switch (error.code) {
		case 'CSV_QUOTE_NOT_CLOSED':
			return 'unclosed';
		case 'INVALID_OPENING_QUOTE':
		case 'CSV_INVALID_OPENING_QUOTE':
			return 'a quote inside an unquoted field';
		case 'CSV_INVALID_CLOSING_QUOTE':
			return 'text right after a closing quote';
		default:
			return error.message;
	}
}

// ── Values ────────────────────────────────────────────────────────────────────────────────────────────────────────

/** "12/1/2010 8:26" or ISO "2010-12-01 08:26:00" → a UTC date; null when unreadable or not a calendar date. */
export function parseInvoiceDate(value: string): Date | null {
	const v = value.trim();
	let parts: number[] | null = null;
	let m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(v);
	if (m) parts = [+m[3]!, +m[1]!, +m[2]!, +m[4]!, +m[5]!, +(m[6] ?? 0)];
	m ??= /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?/.exec(v);
	if (m && !parts) parts = [+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0)];
	if (!parts) return null;
	const [y, mo, d, h, mi, s] = parts as [number, number, number, number, number, number];
	const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
	// Date.UTC rolls 2011-02-31 over into March: refuse what is not a real date and time
	if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
	return date;
}

/** "12923.0" → "12923"; null when empty or not a whole number. */
export function normaliseCustomerId(value: string): string | null {
	const v = value.trim();
	if (!v) return null;
	const n = Number(v);
	return Number.isSafeInteger(n) && n > 0 ? String(n) : null;
}

// ── Invoices ──────────────────────────────────────────────────────────────────────────────────────────────────────

const zeroCounts = (): Record<SkipReason, number> => ({
	unreadable: 0, no_customer: 0, bad_customer: 0, bad_value: 0, cancellation: 0, future_date: 0, non_positive_total: 0, absurd_amount: 0,
});
type Column = (typeof RETAIL_COLUMNS)[number];
interface OpenInvoice extends RetailInvoice { cents: number; lineNumbers: number[]; absurd: { line: number; why: string } | null }

/** Groups the records of the file into invoices, deciding for every line whether it is kept, and why not. */
export class RetailAccumulator implements CsvSink {
	private index: Record<Column, number> | null = null;
	private headerSeen = false;
	private rows = 0;
	private readonly skipped: SkippedLine[] = [];
	private readonly byInvoice = new Map<string, OpenInvoice>();
	/** Invoices none of whose lines was kept so far, with the reason of their first skipped line. */
	private readonly skippedInvoiceNos = new Map<string, SkipReason>();
	private readonly nowMs: number;
	private readonly maxCents: number;

	constructor(opts: RetailParseOptions = {}) {
		this.nowMs = (opts.now ?? new Date()).getTime();
		this.maxCents = (opts.maxAmount ?? MAX_DEAL_AMOUNT) * 100;
	}

	skip(line: number, detail: string): void {
		if (!this.headerSeen) return; // blank lines before the header: nothing to import there
		this.rows++;
		this.skipped.push({ line, reason: 'unreadable', detail });
	}

	record(line: number, r: string[], span = 1): void {
		if (!this.headerSeen) return this.header(r);
		this.rows += span;
		const index = this.index!;
		const field = (c: Column) => (r[index[c]] ?? '').trim();
		const invoiceNo = field('InvoiceNo');
		const skip = (reason: SkipReason, detail: string) => {
			this.skipped.push({ line, reason, detail });
			if (invoiceNo && !this.byInvoice.has(invoiceNo) && !this.skippedInvoiceNos.has(invoiceNo)) this.skippedInvoiceNos.set(invoiceNo, reason);
		};
		// a row without a customer belongs to no client, whatever else it is
		const rawCustomer = field('CustomerID');
		if (!rawCustomer) return skip('no_customer', 'no CustomerID (guest checkout)');
		const customerId = normaliseCustomerId(rawCustomer);
		if (!customerId) return skip('bad_customer', `CustomerID "${rawCustomer}" is not a whole number`);
		if (!invoiceNo) return skip('bad_value', 'no InvoiceNo');
		if (invoiceNo.toUpperCase().startsWith('C')) return skip('cancellation', `cancellation invoice ${invoiceNo}`);
		const rawQuantity = field('Quantity');
		const rawPrice = field('UnitPrice');
		const rawDate = field('InvoiceDate');
		if (!/^[+-]?\d+(\.0*)?$/.test(rawQuantity)) return skip('bad_value', `Quantity "${rawQuantity}" is not a whole number`);
		const unitPrice = Number(rawPrice);
		if (!rawPrice || !Number.isFinite(unitPrice)) return skip('bad_value', `UnitPrice "${rawPrice}" is not a number`);
		const closedAt = parseInvoiceDate(rawDate);
		if (!closedAt) return skip('bad_value', `InvoiceDate "${rawDate}" is not a date (expected 12/1/2010 8:26 or 2010-12-01 08:26:00)`);
		if (closedAt.getTime() > this.nowMs) return skip('future_date', `InvoiceDate ${rawDate} is in the future`);

		const quantity = Number(rawQuantity);
		let invoice = this.byInvoice.get(invoiceNo);
		if (!invoice) {
			this.skippedInvoiceNos.delete(invoiceNo);
			invoice = { invoiceNo, customerId, country: field('Country'), closedAt, amount: 0, cents: 0, lines: [], lineNumbers: [], absurd: null };
			this.byInvoice.set(invoiceNo, invoice);
		}
		const cents = Math.round(quantity * unitPrice * 100);
		if (!invoice.absurd && (Math.abs(quantity) > MAX_QUANTITY || !(Math.abs(cents) <= this.maxCents))) {
			invoice.absurd = { line, why: `${rawQuantity} × ${rawPrice} is beyond the sane range of ±${(this.maxCents / 100).toLocaleString('en')}` };
		}
		invoice.cents += cents;
		invoice.lines.push({ stockCode: field('StockCode'), description: field('Description'), quantity, unitPrice });
		invoice.lineNumbers.push(line);
	}

	private header(r: string[]): void {
		this.headerSeen = true;
		const header = r.map((h) => h.trim());
		const index = Object.fromEntries(RETAIL_COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<Column, number>;
		const missing = RETAIL_COLUMNS.filter((c) => index[c] < 0);
		if (missing.length) throw new Error(`The CSV lacks column(s) ${missing.join(', ')}; expected ${RETAIL_COLUMNS.join(', ')}`);
		this.index = index;
	}

	result(): RetailParseResult {
		if (!this.headerSeen) throw new Error(`The file has no header line: expected a CSV starting with ${RETAIL_COLUMNS.join(',')}`);
		const skippedRows = zeroCounts();
		const skippedInvoices = zeroCounts();
		for (const reason of this.skippedInvoiceNos.values()) skippedInvoices[reason]++;
		const invoices: RetailInvoice[] = [];
		for (const { cents, lineNumbers, absurd, ...invoice } of this.byInvoice.values()) {
			let reason: SkipReason | null = null;
			let detail = (_line: number) => '';
			if (absurd) {
				reason = 'absurd_amount';
				detail = (line) => `invoice ${invoice.invoiceNo}: ${line === absurd.line ? '' : `line ${absurd.line}: `}${absurd.why}`;
			} else if (!(cents <= this.maxCents)) {
				reason = 'absurd_amount';
				detail = () => `invoice ${invoice.invoiceNo}: total ${(cents / 100).toLocaleString('en')} is beyond the sane range of ${(this.maxCents / 100).toLocaleString('en')}`;
			} else if (cents <= 0) {
				reason = 'non_positive_total';
				detail = () => `invoice ${invoice.invoiceNo}: total ${(cents / 100).toFixed(2)} is not positive`;
			}
			if (reason) {
				skippedInvoices[reason]++;
				for (const line of lineNumbers) this.skipped.push({ line, reason, detail: detail(line) });
				continue;
			}
			invoices.push({ ...invoice, amount: cents / 100 });
		}
		this.skipped.sort((a, b) => a.line - b.line);
		for (const s of this.skipped) skippedRows[s.reason]++;
		return { invoices, skippedRows, skippedInvoices, skippedLines: this.skipped, rows: this.rows };
	}
}

/** Reads the file's lines (e.g. node:readline over a read stream: the file is never held whole). */
export async function readRetailCsv(lines: AsyncIterable<string> | Iterable<string>, opts: RetailParseOptions = {}): Promise<RetailParseResult> {
	const accumulator = new RetailAccumulator(opts);
	const reader = new CsvLineReader(accumulator);
	for await (const line of lines) reader.push(line);
	reader.end();
	return accumulator.result();
}

/** The same, from the whole text (tests). */
export function parseRetailCsv(text: string, opts: RetailParseOptions = {}): RetailParseResult {
	const accumulator = new RetailAccumulator(opts);
	const reader = new CsvLineReader(accumulator);
	const lines = text.split(/\r\n|\n|\r/);
	if (lines[lines.length - 1] === '') lines.pop(); // the newline ending the last line starts no line (as with readline)
	for (const line of lines) reader.push(line);
	reader.end();
	return accumulator.result();
}

/** A coarse product category from the description, so retail items feed interest tags like demo ones do. */
export function retailCategory(description: string): string {
	const d = description.toUpperCase();
	const rules: Array<[RegExp, string]> = [
		[/CHRISTMAS|XMAS|ADVENT|EASTER/, 'Seasonal'],
		[/CHILD|KIDS|BABY|TOY|DOLL|SPACEBOY|DOLLY/, 'Kids'],
		[/MUG|CUP|TEA|PLATE|BOWL|CAKE|LUNCH|KITCHEN|JAR|BAKING|SPOON|TRAY/, 'Kitchen'],
		[/GARDEN|PLANT|FLOWER|BIRD/, 'Garden'],
		[/CANDLE|LIGHT|LANTERN|FRAME|CLOCK|CUSHION|VASE|HOLDER|SIGN|DECORATION/, 'Home decor'],
		[/BAG|PURSE|WALLET|UMBRELLA/, 'Bags'],
		[/CARD|WRAP|PAPER|RIBBON|NOTEBOOK|PENCIL|PEN |STICKER/, 'Stationery & gift wrap'],
	];
	for (const [re, name] of rules) if (re.test(d)) return name;
	return 'Gifts';
}
