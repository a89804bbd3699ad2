// Step 2: the codes on the batch's won deals are judged — redeemed, or flagged on the deal with why not — in the
// batch's transaction, so a code is used once however many saves race (a client's changes are one batch at a time).
import { judgeDealCodes } from '../../../store/promo-codes.ts';
import type { PipelineStep } from '../step.ts';

export const promoCodesStep: PipelineStep = {
	name: 'promo-codes',
	async prepare(scope) {
		return async (batch) => {
			await judgeDealCodes(batch.trx, scope.mapping, batch.clientIds, batch.asOfMs);
		};
	},
};
