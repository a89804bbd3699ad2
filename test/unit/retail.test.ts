import { describe, expect, it } from 'vitest';
import { normaliseCustomerId, parseInvoiceDate, parseRetailCsv, readRetailCsv, retailCategory } from '../../extensions/segmentation/src/core/retail.ts';

const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
const NOW = new Date('2026-12-01T00:00:00Z');
/** A good line for invoice `no` of customer `customer`. */
const good = (no: number | string, customer = 100, description = 'MUG') => `${no},A,${description},1,2011-01-02 10:00:00,2.5,${customer}.0,UK`;

describe('retail CSV', () => {
	it('parses quoted fields with commas, doubled quotes, a field over two lines, CRLF and a byte-order mark', () => {
		const csv = `\uFEFF${HEADER}\r\n${good(1, 100, '"MUG, RED"')}\r\n${good(2, 100, '"say ""hi"""')}\r\n${good(3, 100, '"TWO\r\nLINES"')}\r\n${good(4)}\r\n`;
		const r = parseRetailCsv(csv, { now: NOW });
		expect(r.invoices.map((i) => i.lines[0]!.description)).toEqual(['MUG, RED', 'say "hi"', 'TWO\nLINES', 'MUG']);
		expect(r.skippedLines).toEqual([]);
		expect(r.rows).toBe(5);
	});

	it('reads both date formats as UTC, refuses impossible dates, reads customer ids as integer strings', () => {
		expect(parseInvoiceDate('2011-10-06 16:20:00')?.toISOString()).toBe('2011-10-06T16:20:00.000Z');
		expect(parseInvoiceDate('12/1/2010 8:26')?.toISOString()).toBe('2010-12-01T08:26:00.000Z');
		expect(parseInvoiceDate('yesterday')).toBeNull();
		expect(parseInvoiceDate('2011-02-30 10:00:00')).toBeNull();
		expect(parseInvoiceDate('13/1/2010 8:26')).toBeNull();
		expect(normaliseCustomerId('12923.0')).toBe('12923');
		expect(normaliseCustomerId('')).toBeNull();
		expect(normaliseCustomerId('abc')).toBeNull();
	});

	it('makes one deal per invoice with the amount in cents, and counts what it skips and why', () => {
		const csv = [
			HEADER,
			'1001,A,"MUG, RED",3,2011-01-02 10:00:00,0.1,100.0,UK', // 0.30
			'1001,B,CANDLE,1,2011-01-02 10:00:00,0.2,100.0,UK', // + 0.20 = 0.50 (float-safe)
			'1002,A,MUG,1,2011-01-03 10:00:00,2.5,,UK', // guest
			'C1003,A,MUG,-1,2011-01-04 10:00:00,2.5,100.0,UK', // cancellation
			'1004,A,MUG,1,2011-01-05 10:00:00,0,200.0,UK', // zero total
			'1005,A,MUG,x,2011-01-05 10:00:00,1,200.0,UK', // unreadable quantity
		].join('\n');
		const r = parseRetailCsv(csv, { now: NOW });
		expect(r.invoices).toHaveLength(1);
		expect(r.invoices[0]).toMatchObject({ invoiceNo: '1001', customerId: '100', amount: 0.5 });
		expect(r.invoices[0]!.lines).toHaveLength(2);
		expect(r.skippedRows).toMatchObject({ no_customer: 1, cancellation: 1, non_positive_total: 1, bad_value: 1 });
		expect(r.skippedInvoices).toMatchObject({ no_customer: 1, cancellation: 1, non_positive_total: 1, bad_value: 1 });
		expect(r.skippedLines.map((s) => [s.line, s.reason])).toEqual([[4, 'no_customer'], [5, 'cancellation'], [6, 'non_positive_total'], [7, 'bad_value']]);
	});

	it('an unterminated quote costs its own line, named with its number; every line after it is still read', () => {
		// (the hand-written parser read everything after the quote as one field: "Read 3 rows", 6 lines never mentioned)
		const csv = [HEADER, good(1), '1002,A,"MUG,1,2011-01-02 10:00:00,2.5,101.0,UK', good(3), good(4), good(5), good(6), good(7), good(8)].join('\n');
		const r = parseRetailCsv(csv, { now: NOW });
		expect(r.rows).toBe(8);
		expect(r.invoices.map((i) => i.invoiceNo)).toEqual(['1', '3', '4', '5', '6', '7', '8']);
		expect(r.skippedLines).toEqual([{ line: 3, reason: 'unreadable', detail: expect.stringMatching(/unterminated quote/) }]);
		// a stray quote inside a field, and a quote closed too early, likewise
		const stray = parseRetailCsv([HEADER, good(1, 100, 'MU"G'), good(2, 100, '"MUG"S'), good(3)].join('\n'), { now: NOW });
		expect(stray.invoices.map((i) => i.invoiceNo)).toEqual(['3']);
		expect(stray.skippedLines.map((s) => [s.line, s.reason, s.detail])).toEqual([
			[2, 'unreadable', 'a quote inside an unquoted field'],
			[3, 'unreadable', 'text right after a closing quote'],
		]);
	});

	it('garbage lines and a non-numeric CustomerID are reported as what they are, not as guest checkouts', () => {
		const csv = [HEADER, good(1), 'this is not a CSV row', '', '1002,A,MUG,1,2011-01-02 10:00:00,2.5,abc,UK', '1003,A,MUG,1,2011-01-02 10:00:00,2.5,,UK', good(4)].join('\n');
		const r = parseRetailCsv(csv, { now: NOW });
		expect(r.invoices.map((i) => i.invoiceNo)).toEqual(['1', '4']);
		expect(r.skippedLines).toEqual([
			{ line: 3, reason: 'unreadable', detail: 'expected 8 fields, found 1' },
			{ line: 4, reason: 'unreadable', detail: 'empty line' },
			{ line: 5, reason: 'bad_customer', detail: 'CustomerID "abc" is not a whole number' },
			{ line: 6, reason: 'no_customer', detail: 'no CustomerID (guest checkout)' },
		]);
		expect(r.skippedRows.no_customer).toBe(1);
	});

	it('refuses invoice dates in the future and amounts beyond the sane range, saying so', () => {
		const csv = [
			HEADER,
			good(1),
			'1002,A,MUG,1,2099-01-02 10:00:00,2.5,101.0,UK', // a 2099 invoice
			'1003,A,MUG,1,2011-01-02 10:00:00,1e19,102.0,UK', // 1e19
			'1003,B,CANDLE,1,2011-01-02 10:00:00,2.5,102.0,UK', // the rest of that invoice goes with it
			'1004,A,MUG,99999999999,2011-01-02 10:00:00,0.01,103.0,UK', // a quantity no integer column holds
			'1005,A,MUG,1.5,2011-01-02 10:00:00,2.5,104.0,UK', // half a mug
		].join('\n');
		const r = parseRetailCsv(csv, { now: NOW });
		expect(r.invoices.map((i) => i.invoiceNo)).toEqual(['1']);
		expect(r.skippedLines.map((s) => [s.line, s.reason])).toEqual([[3, 'future_date'], [4, 'absurd_amount'], [5, 'absurd_amount'], [6, 'absurd_amount'], [7, 'bad_value']]);
		expect(r.skippedLines[0]!.detail).toMatch(/2099-01-02 10:00:00 is in the future/);
		expect(r.skippedLines[1]!.detail).toBe('invoice 1003: 1 × 1e19 is beyond the sane range of ±1,000,000,000,000');
		expect(r.skippedLines[2]!.detail).toBe('invoice 1003: line 4: 1 × 1e19 is beyond the sane range of ±1,000,000,000,000');
		expect(r.skippedInvoices).toMatchObject({ future_date: 1, absurd_amount: 2, bad_value: 1 });
		// "the future" is the import's now: the same invoice is fine once its day has come
		expect(parseRetailCsv([HEADER, '1002,A,MUG,1,2099-01-02 10:00:00,2.5,101.0,UK'].join('\n'), { now: new Date('2099-02-01') }).invoices).toHaveLength(1);
	});

	it('reads a stream of lines batch by batch with the same result as the whole text, across batch boundaries', async () => {
		const lines = [HEADER];
		for (let n = 1; lines.length < 3500; n++) {
			if (n === 999) lines.push(`${n},A,"BROKEN,1,2011-01-02 10:00:00,2.5,100.0,UK`); // near the end of the first batch
			else if (n === 1100) lines.push(`${n},A,"TWO`, `LINES",1,2011-01-02 10:00:00,2.5,100.0,UK`);
			else if (n === 2000) lines.push(`${n},A,"NEVER CLOSED,1,2011-01-02 10:00:00,2.5,100.0,UK`);
			else lines.push(good(n, 100 + (n % 7)));
		}
		async function* stream() {
			for (const line of lines) yield line;
		}
		const fromStream = await readRetailCsv(stream(), { now: NOW });
		const fromText = parseRetailCsv(lines.join('\n'), { now: NOW });
		expect(fromStream).toEqual(fromText);
		expect(fromStream.rows).toBe(lines.length - 1);
		expect(fromStream.skippedLines.map((s) => s.line)).toEqual([lines.indexOf(lines.find((l) => l.startsWith('999,'))!) + 1, lines.indexOf(lines.find((l) => l.startsWith('2000,'))!) + 1]);
		expect(fromStream.invoices.find((i) => i.invoiceNo === '1100')!.lines[0]!.description).toBe('TWO\nLINES');
		expect(fromStream.invoices).toHaveLength(lines.length - 1 - 2 - 1); // the two broken lines; the two-line record
	});

	it('refuses a file without the expected columns, naming them, and a file with no header', () => {
		expect(() => parseRetailCsv('a,b\n1,2')).toThrow(/lacks column\(s\) InvoiceNo, StockCode/);
		expect(() => parseRetailCsv('\n\n')).toThrow(/no header line/);
	});

	it('derives a category from the description', () => {
		expect(retailCategory('CHILDRENS CUTLERY SPACEBOY')).toBe('Kids');
		expect(retailCategory('SET OF 3 CAKE TINS')).toBe('Kitchen');
		expect(retailCategory('SOMETHING ELSE')).toBe('Gifts');
	});
});
