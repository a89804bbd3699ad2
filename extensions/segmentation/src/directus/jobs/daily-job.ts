// The daily job (settings: recompute_cron, default 03:00 UTC): the full pass — recompute, auto tags, every active
// segment refreshed, snapshots. A recompute already running elsewhere (started by hand) makes it a skipped run.
import { SETTINGS_COLLECTION } from '../../core/base-names.ts';
import { RecomputeBusyError, recordSkippedRun } from '../../store/recompute.ts';
import type { DirectusContext } from '../context.ts';
import type { FullPass } from '../scoring/full-pass.ts';
import type { Job } from './scheduler.ts';

export function dailyJob(ctx: DirectusContext, fullPass: FullPass, instance: string): Job {
	return {
		name: 'daily',
		async cron() {
			const row = await ctx.database(SETTINGS_COLLECTION).first('recompute_cron').catch(() => null);
			return row?.recompute_cron ? String(row.recompute_cron) : null;
		},
		async run() {
			const now = Date.now();
			try {
				await fullPass.run('schedule', now);
				return 'succeeded';
			} catch (error) {
				if (!(error instanceof RecomputeBusyError)) throw error;
				await recordSkippedRun(ctx.database, 'schedule', instance, now);
				return 'skipped';
			}
		},
	};
}
