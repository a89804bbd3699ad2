// Change batches re-qualify many segments per statement: grouped so that no statement carries more bound values
// than the databases take (SQLite 32,766, PostgreSQL 65,535), in order, none lost or repeated.
import { describe, expect, it } from 'vitest';
import { groupByBindings, MAX_BINDINGS_PER_STATEMENT } from '../../extensions/segmentation/src/directus/pipeline/steps/requalify.ts';
import type { CompiledSegment } from '../../extensions/segmentation/src/store/segments.ts';

const segment = (id: number, bindings: number): CompiledSegment => ({ id, where: { sql: 'x', bindings: Array.from({ length: bindings }, () => 0) } }) as unknown as CompiledSegment;

describe('groupByBindings', () => {
	it('keeps small segments together and splits before a group would go over', () => {
		const groups = groupByBindings([segment(1, 3), segment(2, 4), segment(3, 5), segment(4, 1)], 8);
		expect(groups.map((g) => g.map((s) => s.id))).toEqual([[1, 2], [3, 4]]);
	});

	it('puts a segment bigger than the limit in a group of its own', () => {
		const groups = groupByBindings([segment(1, 2), segment(2, 20), segment(3, 2)], 8);
		expect(groups.map((g) => g.map((s) => s.id))).toEqual([[1], [2], [3]]);
	});

	it('two rules of 500 conditions each and thirty small ones stay under the default limit per statement', () => {
		const list = [segment(1, 500), segment(2, 500), ...Array.from({ length: 30 }, (_, i) => segment(10 + i, 6))];
		const groups = groupByBindings(list);
		expect(groups.flat().map((s) => s.id)).toEqual(list.map((s) => s.id));
		for (const g of groups) expect(g.reduce((n, s) => n + s.where.bindings.length, 0)).toBeLessThanOrEqual(MAX_BINDINGS_PER_STATEMENT);
		expect(groupByBindings(Array.from({ length: 40 }, (_, i) => segment(i, 500))).length).toBe(3);
	});
});
