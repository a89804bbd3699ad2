// Browser smoke test: log into the real App, open Clients and see seeded rows, open the Segmentation module.
// Screenshots go to test-results/screenshots (git-ignored).
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/env.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../harness/config.ts';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { runScript } from '../harness/scripts.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = resolve(ROOT, 'test-results/screenshots');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env['CI']) throw new Error(`Chromium not found at ${CHROMIUM}: .ci/run installs it with apt-get install chromium`);

describe.skipIf(!haveChromium)('App smoke test (Chromium)', () => {
	let d: TestDirectus;
	let browser: Browser;
	let page: Page;

	beforeAll(async () => {
		mkdirSync(SHOTS, { recursive: true });
		d = await bootDirectus();
		const seeded = await runScript(d, 'seed.ts', ['--clients', '150', '--seed', '3']);
		expect(seeded.code, seeded.stderr).toBe(0);
		// a new project greets its admin with licence and owner dialogs that cover the App
		expect((await d.http('PATCH', '/settings', { project_owner: ADMIN_EMAIL, project_usage: 'personal' })).status).toBe(200);
		browser = await chromium.launch({
			executablePath: CHROMIUM,
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
		});
		page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
	});
	afterAll(async () => {
		await browser?.close();
		await d?.stop();
	});

	it('logs in, opens Clients and shows seeded rows', async () => {
		await page.goto(`${d.url}/admin/login`);
		await page.waitForSelector('input[type="email"]', { timeout: 120_000 });
		await page.fill('input[type="email"]', ADMIN_EMAIL);
		await page.fill('input[type="password"]', ADMIN_PASSWORD);
		await page.click('button[type="submit"]');
		await page.waitForURL((u) => !u.pathname.endsWith('/login'), { timeout: 120_000 });

		const first = await d.knex('clients').orderBy('id').first('name', 'email');
		await page.goto(`${d.url}/admin/content/clients`);
		await page.getByText(first.email).first().waitFor({ timeout: 120_000 });
		await page.screenshot({ path: join(SHOTS, 'clients.png') });
		expect(await page.getByText(first.email).count()).toBeGreaterThan(0);
	});

	it('opens the Segmentation module from the module bar and shows the base counts', async () => {
		await page.goto(`${d.url}/admin/content`);
		await page.locator('a[href="/admin/segmentation"]').first().click({ timeout: 60_000 });
		await page.waitForURL((u) => u.pathname.endsWith('/admin/segmentation'));
		await page.getByText('Client base mapping').waitFor({ timeout: 60_000 });
		await page.getByText('The mapping matches the live schema').waitFor({ timeout: 60_000 });
		await page.getByText('150', { exact: true }).first().waitFor({ timeout: 60_000 });
		// the mapping table: each role next to the collection or field that plays it
		await page.getByText('Deal closed at (purchase time)').waitFor({ timeout: 60_000 });
		expect(await page.locator('table.mapping code', { hasText: 'closed_at' }).count()).toBe(1);
		// recompute from the module: the run appears in the table
		await page.getByRole('button', { name: 'Recompute now' }).click();
		await page.getByText(/Recomputed: /).waitFor({ timeout: 120_000 });
		expect(await page.locator('table.runs tbody tr').count()).toBeGreaterThanOrEqual(1);
		await page.screenshot({ path: join(SHOTS, 'segmentation-module.png'), fullPage: true });
	});

	it('shows the computed behaviour on a client card', async () => {
		const scored = await d.knex('clients').whereNotNull('rfm_code').first('id', 'rfm_code');
		await page.goto(`${d.url}/admin/content/clients/${scored.id}`);
		await page.getByText('Behaviour (computed)').waitFor({ timeout: 60_000 });
		await page.getByText('RFM cell').first().waitFor({ timeout: 60_000 });
		// read-only inputs hold the values (an input's value is not page text)
		await page.waitForFunction((code) => [...document.querySelectorAll('input')].some((i) => i.value === code), scored.rfm_code, { timeout: 60_000 });
		await page.getByText('Behaviour (computed)').scrollIntoViewIfNeeded();
		await page.screenshot({ path: join(SHOTS, 'client-card.png') });
	});
});
