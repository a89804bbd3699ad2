// The marketer's view on a fresh base without Listmonk (every page says what is missing, none shows an error), a run
// followed live on the System page, then a seeded base switched to quintiles: the overview draws the 5 × 5 grid with
// the API's and the database's counts. Its own Directus; the tests run in order (each builds on the one before).
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../harness/config.ts';
import { bootDirectus, type TestDirectus } from '../harness/directus.ts';
import { runScript } from '../harness/scripts.ts';
import { queueSettled } from '../harness/queue.ts';
import { haveChromium, launchChromium, logIn, readHeatmap, SHOTS } from './app.ts';

const NOT_CONFIGURED = 'Listmonk not configured — set LISTMONK_URL, LISTMONK_API_USER and LISTMONK_API_TOKEN';

interface GridCell { r: number; f: number; clients: number }
interface Grid { scheme: string; levels: number; scored_clients: number; cells: GridCell[] }

describe.skipIf(!haveChromium)('the marketer’s view: empty base, live runs, quintiles (Chromium)', () => {
	let d: TestDirectus;
	let browser: Browser;
	let page: Page;
	let segmentId: number;
	const pageErrors: string[] = [];
	/** Danger notices on the page: an empty base or a missing Listmonk is a state, never an error. */
	const errorNotices = () => page.locator('.v-notice.danger').count();

	beforeAll(async () => {
		// no LISTMONK_* variables: Listmonk is not configured
		d = await bootDirectus();
		// the install (which puts the module in the module bar) finishes after Directus answers: a settings write racing
		// it loses the module from the bar. The status has a queue once the install is done.
		await queueSettled(d);
		expect((await d.http('PATCH', '/settings', { project_owner: ADMIN_EMAIL, project_usage: 'personal' })).status).toBe(200);
		browser = await launchChromium();
		page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
		page.on('pageerror', (error) => pageErrors.push(error.message));
		page.on('console', (message) => void (message.type() === 'error' && pageErrors.push(message.text())));
	});
	afterEach(async (context) => {
		// a failure leaves a picture of the page and what the browser complained about
		if (context.task.result?.state !== 'fail') return;
		await page.screenshot({ path: join(SHOTS, `failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => undefined);
		console.error(`browser errors: ${JSON.stringify(pageErrors.slice(-20), null, 1)}`);
	});
	afterAll(async () => {
		await browser?.close();
		await d?.stop();
	});

	it('shows an empty base as a state on every page, and Listmonk as not configured', async () => {
		expect(Number((await d.knex('clients').count({ n: '*' }))[0]!.n)).toBe(0);
		await logIn(page, d.url, ADMIN_EMAIL, ADMIN_PASSWORD);

		await page.goto(`${d.url}/admin/segmentation`);
		const empty = page.locator('[data-test="empty-base"]');
		await empty.waitFor({ timeout: 60_000 });
		expect(await empty.innerText()).toContain('No deals yet — import them with npm run import:retail, or seed demo data with npm run seed');
		expect(await errorNotices()).toBe(0);
		await page.screenshot({ path: join(SHOTS, 'empty-overview.png'), fullPage: true });

		// the Segments page: no active segment yet (the library's templates are off), and Listmonk not configured
		const active = (await d.http('GET', '/segmentation/segments')).body.data as unknown[];
		await page.goto(`${d.url}/admin/segmentation/segments`);
		await page.locator('.listmonk-not-configured').waitFor({ timeout: 60_000 });
		expect(await page.locator('.listmonk-not-configured').innerText()).toContain(NOT_CONFIGURED);
		if (active.length === 0) await page.locator('[data-test="no-segments"]').waitFor({ timeout: 60_000 });
		else await page.locator('table.segment-list tbody tr').first().waitFor({ timeout: 60_000 });
		expect(await errorNotices()).toBe(0);
		await page.screenshot({ path: join(SHOTS, 'empty-segments.png'), fullPage: true });

		// a segment on the empty base: no members, nobody entered or left, no campaign results (Listmonk not configured)
		const made = await d.http('POST', '/items/segments', { name: 'Buyers on an empty base', kind: 'dynamic', is_active: true, rule: { rfm_frequency: { _gte: 1 } } });
		expect(made.status, JSON.stringify(made.body)).toBe(200);
		segmentId = made.body.data.id;
		await page.goto(`${d.url}/admin/segmentation/segments/${segmentId}`);
		await page.locator('[data-test="no-members"]').waitFor({ timeout: 60_000 });
		await page.getByText('Nobody has entered or left yet.').waitFor({ timeout: 60_000 });
		const campaigns = page.locator('.listmonk-not-configured');
		await campaigns.waitFor({ timeout: 60_000 });
		expect(await campaigns.innerText()).toContain(NOT_CONFIGURED);
		expect(await page.locator('table.members-table').count()).toBe(0);
		expect(await errorNotices()).toBe(0);
		await page.screenshot({ path: join(SHOTS, 'empty-segment-page.png'), fullPage: true });

		// the System page says the same about Listmonk
		await page.goto(`${d.url}/admin/segmentation/system`);
		await page.locator('.listmonk-not-configured').waitFor({ timeout: 60_000 });
		expect(await page.locator('.listmonk-not-configured').innerText()).toContain(NOT_CONFIGURED);
		expect(await page.locator('a[href="/admin/segmentation/segments"]', { hasText: 'are on the Segments page' }).count()).toBe(1);
		expect(await errorNotices()).toBe(0);
		await page.screenshot({ path: join(SHOTS, 'empty-system.png'), fullPage: true });
	});

	it('follows a running run on the System page until it finishes, without a reload', async () => {
		// a run as another instance records it while it works (the table is the cluster's record of runs)
		const started = Date.now() - 4_000;
		const [row] = await d.knex('segmentation_runs').insert({ kind: 'full', trigger: 'schedule', status: 'running', instance: 'elsewhere', started_at: started, as_of: started }).returning('id');
		const runId = Number(typeof row === 'object' ? (row as { id: number }).id : row);
		try {
			await page.goto(`${d.url}/admin/segmentation/system`);
			const run = page.locator(`table.runs tr[data-run="${runId}"]`);
			await run.waitFor({ timeout: 60_000 });
			expect(await run.getAttribute('class')).toContain('run-running');
			await page.locator('[data-test="runs-live"]').waitFor({ timeout: 30_000 });
			// its duration counts up while it runs
			const first = await run.locator('td.duration').innerText();
			await expect.poll(() => run.locator('td.duration').innerText(), { timeout: 30_000 }).not.toBe(first);
			await page.screenshot({ path: join(SHOTS, 'runs-live-running.png'), fullPage: true });

			await d.knex('segmentation_runs').where({ id: runId }).update({ status: 'succeeded', finished_at: Date.now(), duration_ms: 4321, clients_scored: 0, clients_total: 0, rows_changed: 0, skipped_total: 0 });
			await expect.poll(() => run.getAttribute('class'), { timeout: 30_000 }).toContain('run-succeeded');
			expect(await run.locator('td.duration').innerText()).toBe('4.3 s');
			expect(await page.locator('[data-test="runs-live"]').count()).toBe(0);
			await page.screenshot({ path: join(SHOTS, 'runs-live-finished.png'), fullPage: true });
		} finally {
			await d.knex('segmentation_runs').where({ id: runId, status: 'running' }).update({ status: 'failed', finished_at: Date.now(), error: 'test run' });
		}
	});

	it('draws the quintile grid (5 × 5) with the counts of the API and of the database after the scheme changes', async () => {
		const seeded = await runScript(d, 'seed.ts', ['--clients', '120', '--seed', '5']);
		expect(seeded.code, seeded.stderr).toBe(0);
		await queueSettled(d);

		// saving the scheme queues a whole-base pass: every client is rescored on five levels without anyone asking
		const settings = await d.http('PATCH', '/items/segmentation_settings', { rfm_scheme: 'quintile' });
		expect(settings.status, JSON.stringify(settings.body)).toBe(200);
		await queueSettled(d, 180_000);
		expect((await d.knex('clients').whereNotNull('rfm_r').max({ m: 'rfm_r' }))[0]!.m).toBe(5);
		let grid: Grid;
		grid = (await d.http('GET', '/segmentation/analytics/rfm-grid')).body.data as Grid;
		expect(grid.scheme).toBe('quintile');
		expect(grid.scored_clients).toBeGreaterThan(0);

		// the API's cells are the database's rfm_r / rfm_f groups
		const counted: Array<Record<string, unknown>> = await d.knex('clients').whereNotNull('rfm_r').groupBy('rfm_r', 'rfm_f').select('rfm_r', 'rfm_f').count({ n: '*' });
		const inDb = new Map(counted.map((row) => [`${row.rfm_r}/${row.rfm_f}`, Number(row.n)]));
		const apiCount = (r: number, f: number) => grid!.cells.find((c) => c.r === r && c.f === f)?.clients ?? 0;
		for (let r = 1; r <= 5; r++) for (let f = 1; f <= 5; f++) expect(apiCount(r, f), `cell ${r}/${f}`).toBe(inDb.get(`${r}/${f}`) ?? 0);
		expect([...inDb.values()].reduce((a, b) => a + b, 0)).toBe(grid.scored_clients);

		// the overview, reloaded, draws 25 cells with those counts
		await page.goto(`${d.url}/admin/segmentation`);
		await page.getByText('RFM grid', { exact: true }).first().waitFor({ timeout: 60_000 });
		await expect.poll(async () => (await readHeatmap(page)).cells.length, { timeout: 60_000 }).toBe(25);
		const drawn = await readHeatmap(page);
		const keys = new Set(drawn.cells.map((c) => `${c.r}/${c.f}`));
		expect(keys.size).toBe(25);
		for (const cell of drawn.cells) expect(cell.value, `drawn cell ${cell.r}/${cell.f}`).toBe(apiCount(cell.r, cell.f));
		// the numbers printed in the cells: the same 25 counts
		const expectedLabels = drawn.cells.map((c) => new Intl.NumberFormat('en-US').format(apiCount(c.r, c.f))).sort();
		expect([...drawn.labels].sort()).toEqual(expectedLabels);
		expect(await errorNotices()).toBe(0);
		await page.locator('.rfm-grid-chart').scrollIntoViewIfNeeded();
		await page.screenshot({ path: join(SHOTS, 'quintile-grid.png'), fullPage: true });

		// the segment made on the empty base now has members: its page lists the first of them
		const members = Number((await d.knex('segment_members').where({ segment: segmentId }).count({ n: '*' }))[0]!.n);
		expect(members).toBeGreaterThan(0);
		await page.goto(`${d.url}/admin/segmentation/segments/${segmentId}`);
		await page.locator('table.members-table').waitFor({ timeout: 60_000 });
		await expect.poll(() => page.locator('table.members-table tbody tr').count(), { timeout: 60_000 }).toBe(Math.min(members, 25));
		await page.screenshot({ path: join(SHOTS, 'quintile-segment-page.png'), fullPage: true });
	});
});
