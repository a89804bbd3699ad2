// Step 3: the changed clients' interest tags from the categories of their won deals (added, expiry moved, dropped).
import { syncAutoTags } from '../../../store/tags.ts';
import type { SegmentService } from '../../segments/segment-service.ts';
import type { PipelineStep } from '../step.ts';

export function autoTagsStep(segments: SegmentService): PipelineStep {
	return {
		name: 'auto-tags',
		async prepare(scope) {
			const categoryHasName = segments.categoryHasName(scope.mapping, scope.schema);
			return async (batch) => {
				await syncAutoTags({ knex: batch.trx, mapping: scope.mapping, asOfMs: batch.asOfMs }, { ids: batch.clientIds }, { categoryHasName });
			};
		},
	};
}
