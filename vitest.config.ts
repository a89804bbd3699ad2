import { defineConfig } from 'vitest/config';
import { DirectusStartsFirst } from './test/harness/sequencer.ts';

export default defineConfig({
	// file durations (vitest runs the slowest first) kept per database: a suite skipped on SQLite is long on PostgreSQL
	cacheDir: `node_modules/.vite/${process.env['TEST_DB'] === 'pg' ? 'pg' : 'sqlite'}`,
	test: {
		sequence: { sequencer: DirectusStartsFirst },
		projects: [
			{
				test: {
					name: 'unit',
					include: ['extensions/segmentation/src/**/*.test.ts', 'test/unit/**/*.test.ts'],
					testTimeout: 30_000,
				},
			},
			{
				test: {
					name: 'integration',
					include: ['test/integration/**/*.test.ts'],
					globalSetup: ['test/harness/global-setup.ts'],
					testTimeout: 180_000,
					hookTimeout: 300_000,
					// each file starts its own Directus (CPU-bound): on 2 cores, 3 workers measured slower than 2 (SQLite
					// 210–219 s vs 158–172 s) and starved the longest file into its timeout
					maxWorkers: 2,
				},
			},
			{
				test: {
					name: 'browser',
					include: ['test/browser/**/*.test.ts'],
					globalSetup: ['test/harness/global-setup.ts'],
					// one suite: building the installed template would cost a Directus start more than it saves
					env: { HARNESS_INSTALLED_TEMPLATE: 'false' },
					testTimeout: 300_000,
					hookTimeout: 300_000,
				},
			},
		],
	},
});
