// Waits until the change queue is drained (and refreshes owed by segment saves are served): writers outside Directus (seed, import) queue their clients, and the
// running instance scores, tags and re-qualifies them in the background. (vi.waitFor: usable in hooks too.)
import { vi } from 'vitest';
import type { TestDirectus } from './directus.ts';

export async function queueSettled(d: TestDirectus, timeout = 120_000): Promise<void> {
	await vi.waitFor(
		async () => {
			const queue = (await d.http('GET', '/segmentation/status')).body?.data?.queue;
			if (!queue || queue.pending !== 0 || queue.pending_refreshes || queue.busy) throw new Error(`the change queue is not drained: ${JSON.stringify(queue)}`);
		},
		{ timeout, interval: 200 },
	);
}
