// /segmentation/sequences/:id/*: launch a promo sequence (update on sequences, create on segments — it makes the list
// segment), cancel it (update on both), and its campaigns' stats (read on sequences).
import type { Router } from 'express';
import { z } from 'zod';
import { SEGMENT_NAMES, SEQUENCE_NAMES } from '../../core/base-names.ts';
import { need } from '../access.ts';
import type { DirectusContext } from '../context.ts';
import { NotFoundSequenceError, SequenceLaunchError } from '../errors.ts';
import { SequenceProblem, type SequenceService } from '../sequences/sequence-service.ts';
import { ListmonkError } from '../../listmonk/errors.ts';
import { parse, type AccountableRequest, type Route } from './route.ts';

const idParam = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });

export function mountSequenceRoutes(router: Router, ctx: DirectusContext, sequences: SequenceService, route: Route): void {
	const S = SEQUENCE_NAMES.sequences;
	const existing = async (req: AccountableRequest) => {
		const { id } = parse(idParam, req.params, 'id');
		if (!(await ctx.database(S).where({ id }).first('id'))) throw new NotFoundSequenceError({ id: String(id) });
		return id;
	};
	// a problem the marketer can fix (a step in the past, no list yet, Listmonk refusing) is a 409 naming it
	const explained = async <T>(work: () => Promise<T>): Promise<T> => {
		try {
			return await work();
		} catch (error) {
			if (error instanceof SequenceProblem) throw new SequenceLaunchError({ reason: error.message });
			// Listmonk said no (a template, a permission): the reason is the marketer's to fix; launch again resumes
			if (error instanceof ListmonkError) throw new SequenceLaunchError({ reason: `Listmonk refused: ${error.message} (launch again to resume)` });
			throw error;
		}
	};

	router.post(
		'/sequences/:id/launch',
		route([...need('update', S), ...need('create', SEGMENT_NAMES.segments)], async (req) => {
			const id = await existing(req);
			parse(z.object({}).strict(), req.body ?? {}, 'body');
			return { data: await explained(() => sequences.launch(id)) };
		}),
	);

	router.post(
		'/sequences/:id/cancel',
		route([...need('update', S), ...need('update', SEGMENT_NAMES.segments)], async (req) => {
			const id = await existing(req);
			parse(z.object({}).strict(), req.body ?? {}, 'body');
			return { data: await explained(() => sequences.cancel(id)) };
		}),
	);

	router.get(
		'/sequences/:id/status',
		route([...need('read', S)], async (req) => {
			const id = await existing(req);
			return { data: await sequences.status(id) };
		}),
	);
}
