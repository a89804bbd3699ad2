import { describe, expect, it } from 'vitest';
import { normaliseCustomerId, parseCsv, parseInvoiceDate, parseRetailCsv, retailCategory } from '../../extensions/segmentation/src/core/retail.ts';

const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';

describe('retail CSV', () => {
	it('parses quoted fields with commas, doubled quotes and CRLF', () => {
		expect(parseCsv('a,"b, c","say ""hi"""\r\n1,2,3\n')).toEqual([['a', 'b, c', 'say "hi"'], ['1', '2', '3']]);
	});

	it('reads both date formats as UTC and customer ids as integer strings', () => {
		expect(parseInvoiceDate('2011-10-06 16:20:00')?.toISOString()).toBe('2011-10-06T16:20:00.000Z');
		expect(parseInvoiceDate('12/1/2010 8:26')?.toISOString()).toBe('2010-12-01T08:26:00.000Z');
		expect(parseInvoiceDate('yesterday')).toBeNull();
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
			'1005,A,MUG,x,2011-01-05 10:00:00,1,200.0,UK', // malformed
		].join('\n');
		const r = parseRetailCsv(csv);
		expect(r.invoices).toHaveLength(1);
		expect(r.invoices[0]).toMatchObject({ invoiceNo: '1001', customerId: '100', amount: 0.5 });
		expect(r.invoices[0]!.lines).toHaveLength(2);
		expect(r.skippedRows).toEqual({ no_customer: 1, cancellation: 1, non_positive_total: 1, malformed_row: 1 });
		expect(r.skippedInvoices).toEqual({ no_customer: 1, cancellation: 1, non_positive_total: 1, malformed_row: 1 });
	});

	it('refuses a file without the expected columns, naming them', () => {
		expect(() => parseRetailCsv('a,b\n1,2')).toThrow(/lacks column\(s\) InvoiceNo, StockCode/);
	});

	it('derives a category from the description', () => {
		expect(retailCategory('CHILDRENS CUTLERY SPACEBOY')).toBe('Kids');
		expect(retailCategory('SET OF 3 CAKE TINS')).toBe('Kitchen');
		expect(retailCategory('SOMETHING ELSE')).toBe('Gifts');
	});
});
