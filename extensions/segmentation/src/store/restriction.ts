// Which clients a set-based statement covers: the whole base, a list of ids (a change batch), or an id range (a
// chunk of a full pass on SQLite). Every per-client path is the whole-base path restricted by one of these.
import type { Knex } from 'knex';
import { IDENTIFIER, type Mapping } from '../core/mapping.ts';

export type ClientRestriction = { ids: number[] } | { range: [number, number] } | null;

/** Quotes an identifier that already passed the mapping or schema check (checked again: nothing else reaches SQL). */
export function q(name: string): string {
	if (!IDENTIFIER.test(name)) throw new Error(`Refusing identifier ${JSON.stringify(name)} in SQL`);
	return `"${name}"`;
}

/** ids are integers we produced or validated; inlined so large batches don't hit parameter limits. */
export function idList(ids: number[]): string {
	return ids
		.map((id) => {
			if (!Number.isSafeInteger(id)) throw new Error(`Bad id ${id}: only integers are inlined into SQL`);
			return String(id);
		})
		.join(',');
}

/** ` AND <column> …` for a restriction ('' for the whole base); column is already-quoted SQL. */
export function andRestricted(column: string, only: ClientRestriction): string {
	if (!only) return '';
	if ('ids' in only) return only.ids.length ? ` AND ${column} IN (${idList(only.ids)})` : ' AND 1 = 0';
	return ` AND ${column} BETWEEN ${Math.trunc(only.range[0])} AND ${Math.trunc(only.range[1])}`;
}

/** Result rows of knex.raw on either database. */
export function rows(result: unknown): Record<string, unknown>[] {
	return (Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows) ?? [];
}

/**
 * Runs `step` over every client: once with null (the whole base in one statement) when `size` is null, else once
 * per consecutive client-id range of at most `size` ids. Returns the client count when it cut ranges (null when it
 * did not: counting a million clients per segment refresh is not free).
 */
export async function forEachClientRange(
	knex: Knex,
	m: Mapping,
	size: number | null,
	step: (only: ClientRestriction) => Promise<void>,
	onProgress?: (done: number, total: number) => void,
): Promise<number | null> {
	if (size === null) {
		await step(null);
		return null;
	}
	const { ranges, count } = await clientIdRanges(knex, m, size);
	for (const [start, end] of ranges) {
		await step({ range: [start, end] });
		onProgress?.(end - ranges[0]![0] + 1, ranges.at(-1)![1] - ranges[0]![0] + 1);
	}
	return count;
}

async function clientBounds(knex: Knex, m: Mapping): Promise<{ lo: number; hi: number; count: number }> {
	const [bounds] = rows(await knex.raw(`SELECT MIN(${q('id')}) AS lo, MAX(${q('id')}) AS hi, COUNT(*) AS n FROM ${q(m.client_collection)}`));
	return { lo: Math.trunc(Number(bounds?.['lo'] ?? 0)), hi: Math.trunc(Number(bounds?.['hi'] ?? -1)), count: Number(bounds?.['n'] ?? 0) };
}

/** The client id space cut into consecutive ranges of at most `size` ids (integer ids: the bounds are inlined). */
export async function clientIdRanges(knex: Knex, m: Mapping, size: number): Promise<{ ranges: Array<[number, number]>; count: number }> {
	const { lo, hi, count } = await clientBounds(knex, m);
	const ranges: Array<[number, number]> = [];
	for (let start = lo; start <= hi; start += size) ranges.push([start, Math.min(hi, start + size - 1)]);
	return { ranges, count };
}
