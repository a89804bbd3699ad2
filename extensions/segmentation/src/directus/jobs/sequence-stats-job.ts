// The sequence stats job (every hour, at minute 23): each scheduled promo sequence's campaign stats from Listmonk
// written back on the sequence, once per cluster. Nothing to do without Listmonk or without a scheduled sequence.
import type { SequenceService } from '../sequences/sequence-service.ts';
import type { Job } from './scheduler.ts';

export const SEQUENCE_STATS_CRON = '23 * * * *';

export function sequenceStatsJob(sequences: SequenceService): Job {
	return {
		name: 'sequence-stats',
		async cron() {
			return SEQUENCE_STATS_CRON;
		},
		async run() {
			return (await sequences.refreshAll()) > 0 ? 'succeeded' : 'skipped';
		},
	};
}
