// The store's SQL builder: values only ever as bindings next to their text, identifiers and integers checked.
import { describe, expect, it } from 'vitest';
import { andClients, ident, inClients, ints, join, sql } from '../../extensions/segmentation/src/store/queries/sql.ts';

describe('sql builder', () => {
	it('binds every value where it is written and splices fragments with their bindings', () => {
		const evil = `x'); DROP TABLE clients; --`;
		const inner = sql`${ident('status')} = ${evil}`;
		const q = sql`SELECT ${ident('id')} FROM ${ident('deals')} WHERE ${inner} AND ${ident('amount')} > ${10} AND closed_at IS ${null}`;
		expect(q.text).toBe('SELECT "id" FROM "deals" WHERE "status" = ? AND "amount" > ? AND closed_at IS ?');
		expect(q.bindings).toEqual([evil, 10, null]);
		expect(join([sql`a = ${1}`, sql`b = ${2}`], ' OR ')).toEqual(sql`a = ${1} OR b = ${2}`);
	});

	it('refuses undefined values, bad identifiers and non-integers inlined', () => {
		expect(() => sql`x = ${undefined}`).toThrow(/undefined value/);
		expect(() => ident('name"; DROP')).toThrow(/Refusing identifier/);
		expect(() => ints([1, 2.5])).toThrow(/Bad id/);
		expect(() => ints([Number.NaN])).toThrow(/Bad id/);
	});

	it('restricts to a batch, a range or nothing', () => {
		const col = sql`c.${ident('id')}`;
		expect(inClients(col, { ids: [3, 1] }).text).toBe('c."id" IN (3,1)');
		expect(inClients(col, { ids: [] }).text).toBe('1 = 0');
		expect(inClients(col, { range: [1, 25000] }).text).toBe('c."id" BETWEEN 1 AND 25000');
		expect(inClients(col, null).text).toBe('1 = 1');
		expect(andClients(col, null).text).toBe('');
		expect(andClients(col, { ids: [7] }).text).toBe(' AND c."id" IN (7)');
	});
});
