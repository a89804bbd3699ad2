// Step 1: the changed clients' behaviour fields, from their deals, against the last full run's cut-offs.
import { rescoreClients } from '../../../store/scores.ts';
import type { PipelineStep } from '../step.ts';

export const rescoreStep: PipelineStep = {
	name: 'rescore',
	async prepare(scope) {
		return async (batch) => {
			await rescoreClients({ knex: batch.trx, mapping: scope.mapping, settings: scope.settings, asOfMs: batch.asOfMs }, scope.cutoffs, batch.clientIds);
		};
	},
};
