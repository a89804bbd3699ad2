// The automations job (SEGMENTATION_AUTOMATIONS_CRON, default 09:00 UTC; "off" switches it off): every active
// wake-up automation, once per cluster. Another instance already running them (by hand) makes it a skipped run.
import type { AutomationRunner } from '../automations/automation-runner.ts';
import type { DirectusContext } from '../context.ts';
import type { Job } from './scheduler.ts';

export const DEFAULT_AUTOMATIONS_CRON = '0 9 * * *';

export function automationsJob(ctx: DirectusContext, runner: AutomationRunner): Job {
	return {
		name: 'automations',
		async cron() {
			const given = String(ctx.env['SEGMENTATION_AUTOMATIONS_CRON'] ?? '').trim();
			if (given.toLowerCase() === 'off') return null;
			return given || DEFAULT_AUTOMATIONS_CRON;
		},
		async run() {
			const results = await runner.run(null, Date.now());
			return results === null ? 'skipped' : 'succeeded';
		},
	};
}
