// The UCI "Online Retail" data set as deals: one invoice = one won deal closed at its InvoiceDate (UTC), its lines
// as items. Pure: takes CSV text, returns invoices plus what was skipped and why.

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
export type SkipReason = 'no_customer' | 'cancellation' | 'non_positive_total' | 'malformed_row';
export interface RetailParseResult {
	invoices: RetailInvoice[];
	/** Rows, and invoices, left out, by reason. */
	skippedRows: Record<SkipReason, number>;
	skippedInvoices: Record<SkipReason, number>;
	rows: number;
}

export const RETAIL_COLUMNS = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'] as const;

/** Splits CSV text into records (RFC 4180: quoted fields, doubled quotes, newlines inside quotes). */
export function parseCsv(text: string): string[][] {
	const records: string[][] = [];
	let field = '';
	let record: string[] = [];
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (quoted) {
			if (ch === '"') {
				if (text[i + 1] === '"') {
					field += '"';
					i++;
				} else quoted = false;
			} else field += ch;
		} else if (ch === '"') quoted = true;
		else if (ch === ',') {
			record.push(field);
			field = '';
		} else if (ch === '\n' || ch === '\r') {
			if (ch === '\r' && text[i + 1] === '\n') i++;
			record.push(field);
			field = '';
			if (record.length > 1 || record[0] !== '') records.push(record);
			record = [];
		} else field += ch;
	}
	if (field !== '' || record.length) {
		record.push(field);
		records.push(record);
	}
	return records;
}

/** "12/1/2010 8:26" or ISO "2010-12-01 08:26:00" → a UTC date; null when unreadable. */
export function parseInvoiceDate(value: string): Date | null {
	const v = value.trim();
	let m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(v);
	if (m) return new Date(Date.UTC(+m[3]!, +m[1]! - 1, +m[2]!, +m[4]!, +m[5]!, +(m[6] ?? 0)));
	m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?/.exec(v);
	if (m) return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0)));
	return null;
}

/** "12923.0" → "12923"; null when empty or not a whole number. */
export function normaliseCustomerId(value: string): string | null {
	const v = value.trim();
	if (!v) return null;
	const n = Number(v);
	return Number.isInteger(n) && n > 0 ? String(n) : null;
}

const zeroCounts = (): Record<SkipReason, number> => ({ no_customer: 0, cancellation: 0, non_positive_total: 0, malformed_row: 0 });

export function parseRetailCsv(text: string): RetailParseResult {
	const records = parseCsv(text);
	const header = records.shift() ?? [];
	const index = Object.fromEntries(RETAIL_COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<(typeof RETAIL_COLUMNS)[number], number>;
	const missing = RETAIL_COLUMNS.filter((c) => index[c] < 0);
	if (missing.length) throw new Error(`The CSV lacks column(s) ${missing.join(', ')}; expected ${RETAIL_COLUMNS.join(', ')}`);

	const skippedRows = zeroCounts();
	const skippedInvoices = zeroCounts();
	const byInvoice = new Map<string, RetailInvoice & { cents: number }>();
	const skippedInvoiceNos = new Map<string, SkipReason>();
	for (const r of records) {
		const invoiceNo = (r[index.InvoiceNo] ?? '').trim();
		const customerId = normaliseCustomerId(r[index.CustomerID] ?? '');
		let reason: SkipReason | null = null;
		// a row without a customer belongs to no client, whatever else it is
		if (!customerId) reason = 'no_customer';
		else if (invoiceNo.toUpperCase().startsWith('C')) reason = 'cancellation';
		const quantity = Number(r[index.Quantity]);
		const unitPrice = Number(r[index.UnitPrice]);
		const closedAt = parseInvoiceDate(r[index.InvoiceDate] ?? '');
		if (!reason && (!invoiceNo || !Number.isFinite(quantity) || !Number.isFinite(unitPrice) || !closedAt)) reason = 'malformed_row';
		if (reason) {
			skippedRows[reason]++;
			if (invoiceNo && !byInvoice.has(invoiceNo) && !skippedInvoiceNos.has(invoiceNo)) skippedInvoiceNos.set(invoiceNo, reason);
			continue;
		}
		let invoice = byInvoice.get(invoiceNo);
		if (!invoice) {
			skippedInvoiceNos.delete(invoiceNo);
			invoice = { invoiceNo, customerId: customerId!, country: (r[index.Country] ?? '').trim(), closedAt: closedAt!, amount: 0, cents: 0, lines: [] };
			byInvoice.set(invoiceNo, invoice);
		}
		invoice.cents += Math.round(quantity * unitPrice * 100);
		invoice.lines.push({ stockCode: (r[index.StockCode] ?? '').trim(), description: (r[index.Description] ?? '').trim(), quantity, unitPrice });
	}
	for (const reason of skippedInvoiceNos.values()) skippedInvoices[reason]++;

	const invoices: RetailInvoice[] = [];
	for (const { cents, ...invoice } of byInvoice.values()) {
		if (cents <= 0) {
			skippedInvoices.non_positive_total++;
			skippedRows.non_positive_total += invoice.lines.length;
			continue;
		}
		invoices.push({ ...invoice, amount: cents / 100 });
	}
	return { invoices, skippedRows, skippedInvoices, rows: records.length };
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
