// Step 3: re-qualify the changed clients against every active dynamic segment (their scores and tags are current
// now): who entered, who left, each with its event, in the batch's transaction.
import { requalify } from '../../../store/segments.ts';
import type { SegmentService } from '../../segments/segment-service.ts';
import type { PipelineStep } from '../step.ts';

export function requalifyStep(segments: SegmentService): PipelineStep {
	return {
		name: 'requalify',
		async prepare(scope) {
			const active = await segments.activeRules(scope.mapping);
			return async (batch) => {
				const compiled = segments.compile(active.segments, batch.asOfMs);
				await requalify({ knex: batch.trx, mapping: scope.mapping, atMs: batch.asOfMs, cause: 'change' }, compiled, { ids: batch.clientIds });
			};
		},
	};
}
