// The whole base at once: a full recompute, then (scores changed everywhere) every client's auto tags, the promo codes
// on won deals nobody judged yet, and a refresh of every active segment with today's snapshots. What the daily job, POST /segmentation/recompute, the Flow
// operation, the first start and a whole-base request in the change queue run.
import type { RunRecord } from '../../store/recompute.ts';
import type { DirectusContext } from '../context.ts';
import { SegmentsBusyError, type RefreshSummary, type SegmentService } from '../segments/segment-service.ts';
import type { Scoring } from './scoring.ts';

export type FullPassResult = RunRecord & { segments: RefreshSummary | { skipped: string } };

export class FullPass {
	private readonly ctx: DirectusContext;
	private readonly scoring: Scoring;
	private readonly segments: SegmentService;

	constructor(ctx: DirectusContext, scoring: Scoring, segments: SegmentService) {
		this.ctx = ctx;
		this.scoring = scoring;
		this.segments = segments;
	}

	/** RecomputeBusyError when another instance is recomputing; a busy refresh is reported, not thrown. */
	async run(trigger: string, asOfMs = Date.now()): Promise<FullPassResult> {
		const run = await this.scoring.recompute(trigger, asOfMs);
		// deals written around the queue (a seed, an import, a restore) come with a whole-base request or the first
		// start; the daily run finds none (every save is judged in its batch) and skips the scan
		if (trigger !== 'schedule') await this.scoring.judgeUnjudgedCodes(asOfMs);
		let segments: RefreshSummary | { skipped: string };
		try {
			segments = await this.segments.refresh(null, trigger === 'schedule' ? 'schedule' : 'refresh', asOfMs, 120_000);
			this.ctx.logger.info(`[segmentation] refreshed ${segments.segments.length} segments after the recompute in ${segments.duration_ms} ms`);
		} catch (error) {
			if (!(error instanceof SegmentsBusyError)) throw error;
			segments = { skipped: error.message };
		}
		return { ...run, segments };
	}
}
