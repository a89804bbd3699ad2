// SQL text and its bindings kept together. In the `sql` template every interpolated value becomes a `?` with its
// binding right there; only fragments (Sql) are spliced as text: identifiers (ident(), BaseTables — checked by q()),
// inlined integer lists (ints()) and other queries. Nothing else can reach the SQL text (`new Sql` is used for
// compileRule's output only, whose identifiers went through q() and whose values are bindings).
import type { Knex } from 'knex';
import { idList, q, type ClientRestriction } from '../restriction.ts';

export class Sql {
	readonly text: string;
	readonly bindings: readonly unknown[];
	constructor(text: string, bindings: readonly unknown[] = []) {
		this.text = text;
		this.bindings = bindings;
	}
}

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
	let text = strings[0]!;
	const bindings: unknown[] = [];
	values.forEach((value, i) => {
		if (value instanceof Sql) {
			text += value.text;
			bindings.push(...value.bindings);
		} else {
			if (value === undefined) throw new Error(`sql: undefined value after ${JSON.stringify(text.slice(-60))}`);
			text += '?';
			bindings.push(value);
		}
		text += strings[i + 1]!;
	});
	return new Sql(text, bindings);
}

export const EMPTY = new Sql('');

/** A checked, quoted identifier. */
export function ident(name: string): Sql {
	return new Sql(q(name));
}

/** Integers inlined (large id lists would hit parameter limits as bindings); each is checked. */
export function ints(values: readonly number[]): Sql {
	return new Sql(idList([...values]));
}

export function join(parts: readonly Sql[], separator: string): Sql {
	return new Sql(parts.map((p) => p.text).join(separator), parts.flatMap((p) => p.bindings));
}

/** As a knex raw value (for a query builder's update). */
export function raw(knex: Knex, query: Sql): Knex.Raw {
	return knex.raw(query.text, query.bindings as Knex.RawBinding[]);
}

export function run(knex: Knex, query: Sql): Promise<unknown> {
	return knex.raw(query.text, query.bindings as Knex.RawBinding[]) as unknown as Promise<unknown>;
}

/** `<column>` within the clients: a checked id list or range (a true condition for the whole base). */
export function inClients(column: Sql, only: ClientRestriction): Sql {
	if (!only) return sql`1 = 1`;
	if ('ids' in only) return only.ids.length ? sql`${column} IN (${ints(only.ids)})` : sql`1 = 0`;
	return sql`${column} BETWEEN ${ints([Math.trunc(only.range[0])])} AND ${ints([Math.trunc(only.range[1])])}`;
}

/** ` AND <column> within the clients`, or nothing for the whole base. */
export function andClients(column: Sql, only: ClientRestriction): Sql {
	return only ? sql` AND ${inClients(column, only)}` : EMPTY;
}
