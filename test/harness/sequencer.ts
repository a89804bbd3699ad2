// File order. With two workers, a long file started last becomes the run's tail. Vitest runs the slowest files
// first once it has their durations cached; before that (a fresh clone, CI) it would go by file size. Our files'
// cost is their Directus starts, so without durations the files that start Directus most go first.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const STARTS = /bootDirectus\(|\.restart\(|npmStart\(/g;

function directusStarts(file: string): number {
	try {
		return readFileSync(file, 'utf8').match(STARTS)?.length ?? 0;
	} catch {
		return 0;
	}
}

export class DirectusStartsFirst extends BaseSequencer {
	override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
		const sorted = await super.sort(files);
		const cached = (spec: TestSpecification) => this.ctx.cache.getFileTestResults(`${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`);
		if (sorted.every(cached)) return sorted;
		const starts = new Map(sorted.map((spec) => [spec, directusStarts(spec.moduleId)]));
		// stable: projects stay apart (their order from the base sort), ties keep the base order
		return sorted
			.map((spec, index) => ({ spec, index }))
			.sort((a, b) => (a.spec.project.name === b.spec.project.name ? starts.get(b.spec)! - starts.get(a.spec)! || a.index - b.index : a.index - b.index))
			.map(({ spec }) => spec);
	}
}
