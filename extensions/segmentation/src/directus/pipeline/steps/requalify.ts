// Step 4: re-qualify the changed clients against every active dynamic segment (their scores and tags are current
// now): who entered, who left, each with its event, in the batch's transaction. The segments share statements
// (cheaper than one per segment), grouped so that no statement carries too many bound values. A batch's first try
// writes straight into its transaction (no savepoints: fewer round trips on every save's path); if it fails, the
// batch is retried with each group in a savepoint, a failing group segment by segment, and a segment that fails
// alone is paused with its reason — one bad segment never holds back the others or the batch for long.
import { requalify, type CompiledSegment, type MembershipScope } from '../../../store/segments.ts';
import type { SegmentRow, SegmentService } from '../../segments/segment-service.ts';
import type { ChangeBatch, PipelineStep } from '../step.ts';

/** Bound values per statement: well under SQLite's 32,766 and PostgreSQL's 65,535 (the batch's ids are inlined). */
export const MAX_BINDINGS_PER_STATEMENT = 8000;

/** Consecutive groups whose bindings add up to at most `max` (a segment bigger than that is a group of its own). */
export function groupByBindings(segments: readonly CompiledSegment[], max = MAX_BINDINGS_PER_STATEMENT): CompiledSegment[][] {
	const groups: CompiledSegment[][] = [];
	let current: CompiledSegment[] = [];
	let size = 0;
	for (const segment of segments) {
		const n = segment.where.bindings.length;
		if (current.length && size + n > max) {
			groups.push(current);
			current = [];
			size = 0;
		}
		current.push(segment);
		size += n;
	}
	if (current.length) groups.push(current);
	return groups;
}

export function requalifyStep(segments: SegmentService): PipelineStep<SegmentRow[]> {
	return {
		name: 'requalify',
		read: (trx) => segments.readActiveRows(trx),
		async prepare(scope, rows) {
			const active = await segments.activeRules(rows, scope.mapping, scope.schema, scope.trx);
			return async (batch) => {
				const compiled = segments.compile(active.segments, batch.asOfMs);
				// the statements' time budget is the batch's (set when it started)
				const membership: MembershipScope = { knex: batch.trx, mapping: scope.mapping, atMs: batch.asOfMs, cause: 'change' };
				if (batch.attempts === 0) {
					for (const group of groupByBindings(compiled)) await requalify({ ...membership, savepoint: false }, group, { ids: batch.clientIds });
					return;
				}
				for (const group of groupByBindings(compiled)) {
					try {
						// requalify runs in a savepoint of the batch: a failure leaves the batch usable
						await requalify(membership, group, { ids: batch.clientIds });
					} catch (error) {
						if (group.length === 1) await segments.markFailed(group[0]!.id, null, error, batch.trx);
						else await oneByOne(segments, membership, group, batch);
					}
				}
			};
		},
	};
}

async function oneByOne(segments: SegmentService, membership: MembershipScope, group: CompiledSegment[], batch: ChangeBatch): Promise<void> {
	for (const segment of group) {
		try {
			await requalify(membership, [segment], { ids: batch.clientIds });
		} catch (error) {
			await segments.markFailed(segment.id, null, error, batch.trx);
		}
	}
}
