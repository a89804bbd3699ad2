// What the browser tests share: Chromium, the screenshots' folder, logging into the App, and reading the RFM grid's
// numbers off the overview's ApexCharts heatmap.
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../../scripts/lib/env.ts';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const SHOTS = resolve(ROOT, 'test-results/screenshots');
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env['CI']) throw new Error(`Chromium not found at ${CHROMIUM}: .ci/run installs it with apt-get install chromium`);

export async function launchChromium(): Promise<Browser> {
	mkdirSync(SHOTS, { recursive: true });
	return chromium.launch({
		executablePath: CHROMIUM,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
}

/** Logs into the App at `url` and waits until it has left the login page. */
export async function logIn(page: Page, url: string, email: string, password: string): Promise<void> {
	await page.goto(`${url}/admin/login`);
	await page.waitForSelector('input[type="email"]', { timeout: 120_000 });
	await page.fill('input[type="email"]', email);
	await page.fill('input[type="password"]', password);
	await page.click('button[type="submit"]');
	await page.waitForURL((u) => !u.pathname.endsWith('/login'), { timeout: 120_000 });
}

export interface DrawnCell { r: number; f: number; value: number }

/**
 * The RFM grid as the heatmap draws it: one rect per cell, its series (attribute i) the recency level − 1 (ApexCharts
 * draws the first series at the bottom), its point (j) the frequency level − 1, its value (val) the metric shown.
 * Also the cells' printed labels (the numbers a marketer reads), in no particular order.
 */
export async function readHeatmap(page: Page, root = '.rfm-grid-chart'): Promise<{ cells: DrawnCell[]; labels: string[] }> {
	const chart = page.locator(root).first();
	await chart.locator('rect.apexcharts-heatmap-rect').first().waitFor({ timeout: 60_000 });
	const cells = await chart.locator('rect.apexcharts-heatmap-rect').evaluateAll((rects) =>
		rects.map((rect) => ({ r: Number(rect.getAttribute('i')) + 1, f: Number(rect.getAttribute('j')) + 1, value: Number(rect.getAttribute('val')) })),
	);
	const labels = (await chart.locator('.apexcharts-datalabels text, .apexcharts-data-labels text').allTextContents()).map((s) => s.trim()).filter(Boolean);
	return { cells, labels };
}
