import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
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
					// each file boots its own Directus; two at a time fits 2 cores
					maxWorkers: 2,
				},
			},
			{
				test: {
					name: 'browser',
					include: ['test/browser/**/*.test.ts'],
					globalSetup: ['test/harness/global-setup.ts'],
					testTimeout: 300_000,
					hookTimeout: 300_000,
				},
			},
		],
	},
});
