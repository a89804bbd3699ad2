// The scheduled recompute: each instance ticks every minute; the first to claim the minute (a compare-and-set
// on a bookkeeping row) runs it, the others see the claim and stay idle. A run still going holds the lock:
// a claim that finds it busy records a skipped run.
import { SETTINGS_COLLECTION } from '../../core/base-names.ts';
import { cronMatches, parseCron } from '../../core/cron.ts';
import { RecomputeBusyError, recordSkippedRun } from '../../store/recompute.ts';
import { META_TABLE } from '../../store/tables.ts';
import type { DirectusContext } from '../context.ts';
import type { EngineRuntime } from './runtime.ts';
import { INSTANCE_ID } from '../state.ts';

const CLAIM_KEY = 'schedule_claim';

async function claimMinute(ctx: DirectusContext, minute: string): Promise<boolean> {
	const knex = ctx.database;
	await knex(META_TABLE).insert({ key: CLAIM_KEY, value: '', updated_at: Date.now() }).onConflict('key').ignore();
	const updated = await knex(META_TABLE).where({ key: CLAIM_KEY }).andWhere('value', '<', minute).update({ value: minute, updated_at: Date.now() });
	return Number(updated) > 0;
}

export async function scheduledTick(ctx: DirectusContext, engine: EngineRuntime, now = new Date()): Promise<void> {
	const row = await ctx.database(SETTINGS_COLLECTION).first('recompute_cron').catch(() => null);
	const expr = String(row?.recompute_cron ?? '').trim();
	if (!expr) return;
	let matches: boolean;
	try {
		matches = cronMatches(parseCron(expr), now);
	} catch (error) {
		ctx.logger.warn(`[segmentation] recompute_cron ignored: ${(error as Error).message}`);
		return;
	}
	if (!matches) return;
	if (!(await claimMinute(ctx, now.toISOString().slice(0, 16)))) return;
	try {
		await engine.recompute('schedule', now.getTime());
	} catch (error) {
		if (error instanceof RecomputeBusyError) await recordSkippedRun(ctx.database, 'schedule', INSTANCE_ID, now.getTime());
		else throw error;
	}
}
