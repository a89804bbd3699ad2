// Step 5: the Listmonk sync owes the batch's clients a look (their memberships, consent, address or attributes may
// have changed). Only a mark, written in the batch's transaction — so it commits with the batch or not at all, and
// survives a crash; the sync worker calls Listmonk after the commit, outside the save's path.
import type { SyncRunner } from '../../sync/sync-runner.ts';
import type { PipelineStep } from '../step.ts';

export function listmonkStep(sync: SyncRunner): PipelineStep {
	return {
		name: 'listmonk',
		async prepare() {
			return (batch) => sync.markInBatch(batch.trx, batch.clientIds, batch.asOfMs);
		},
		afterCommit: () => sync.wake('change'),
	};
}
