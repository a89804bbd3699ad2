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
import { queueSettled } from '../harness/queue.ts';
import { startListmonkDouble, type ListmonkDouble } from '../listmonk-double/index.ts';
import { cellInWords } from '../../extensions/segmentation/src/app/client-profile/i18n.ts';
import { rfmSegmentName } from '../../extensions/segmentation/src/app/i18n.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = resolve(ROOT, 'test-results/screenshots');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env['CI']) throw new Error(`Chromium not found at ${CHROMIUM}: .ci/run installs it with apt-get install chromium`);

describe.skipIf(!haveChromium)('App smoke test (Chromium)', () => {
	let d: TestDirectus;
	let lm: ListmonkDouble;
	let browser: Browser;
	let page: Page;

	beforeAll(async () => {
		mkdirSync(SHOTS, { recursive: true });
		lm = await startListmonkDouble({ users: [{ username: 'smoke-sync', token: 'smoke-sync-token', permissions: 'super' }] });
		d = await bootDirectus({ env: { LISTMONK_URL: lm.url, LISTMONK_API_USER: 'smoke-sync', LISTMONK_API_TOKEN: 'smoke-sync-token' } });
		const seeded = await runScript(d, 'seed.ts', ['--clients', '150', '--seed', '3']);
		expect(seeded.code, seeded.stderr).toBe(0);
		await queueSettled(d);
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
		await lm?.close();
	});

	it('logs in, opens Clients and shows seeded rows', async () => {
		await page.goto(`${d.url}/admin/login`);
		await page.waitForSelector('input[type="email"]', { timeout: 120_000 });
		await page.fill('input[type="email"]', ADMIN_EMAIL);
		await page.fill('input[type="password"]', ADMIN_PASSWORD);
		await page.click('button[type="submit"]');
		await page.waitForURL((u) => !u.pathname.endsWith('/login'), { timeout: 120_000 });

		// the list opens sorted by name (the extension's default view of the client list)
		const first = await d.knex('clients').orderBy('name').first('name', 'email');
		await page.goto(`${d.url}/admin/content/clients`);
		await page.getByText(first.email).first().waitFor({ timeout: 120_000 });
		await page.screenshot({ path: join(SHOTS, 'clients.png') });
		expect(await page.getByText(first.email).count()).toBeGreaterThan(0);
	});

	it('opens the Segmentation module from the module bar and shows the base counts', async () => {
		await page.goto(`${d.url}/admin/content`);
		await page.locator('a[href="/admin/segmentation"]').first().click({ timeout: 60_000 });
		await page.waitForURL((u) => u.pathname.endsWith('/admin/segmentation'));
		// the module opens on the overview; the engine, Listmonk and the mapping are under System
		await page.getByText('RFM grid', { exact: true }).first().waitFor({ timeout: 60_000 });
		await page.locator('a[href="/admin/segmentation/system"]').first().click({ timeout: 60_000 });
		await page.waitForURL((u) => u.pathname.endsWith('/admin/segmentation/system'));
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

	it('shows the Listmonk sync per segment in the module and syncs on demand', async () => {
		const res = await d.http('POST', '/items/segments', { name: 'Consenting buyers', kind: 'dynamic', is_active: true, rule: { rfm_frequency: { _gte: 1 } }, listmonk_sync: true });
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		await expect.poll(async () => (await d.knex('segments').where({ id: res.body.data.id }).first('listmonk_synced_at'))?.listmonk_synced_at ?? null, { timeout: 120_000 }).not.toBeNull();
		// a buyer whose address Listmonk would refuse: listed under "Failed items" with why, linked to the client
		const bad = (await d.http('POST', '/items/clients', { name: 'Unreachable Buyer', email: 'no-at-sign', email_consent: true })).body.data.id as number;
		expect((await d.http('POST', '/items/deals', { client: bad, status: 'won', amount: 99, closed_at: new Date().toISOString() })).status).toBe(200);
		await expect.poll(async () => ((await d.http('GET', '/segmentation/sync/failures')).body.data as Array<{ client_id: number }>).some((f) => f.client_id === bad), { timeout: 120_000 }).toBe(true);
		await page.goto(`${d.url}/admin/segmentation/system`);
		const failed = page.locator('table.failures tr', { hasText: 'Unreachable Buyer' });
		await failed.waitFor({ timeout: 60_000 });
		expect(await failed.innerText()).toContain('not an address Listmonk accepts');
		expect(await failed.locator(`a[href$="/content/clients/${bad}"]`).count()).toBe(1);
		await failed.scrollIntoViewIfNeeded();
		await page.screenshot({ path: join(SHOTS, 'listmonk-failed-items.png') });
		const row = page.locator('table.segments tr', { hasText: 'Consenting buyers' }).filter({ has: page.locator('a[href*="/admin/subscribers/lists/"]') });
		await row.waitFor({ timeout: 60_000 });
		await page.getByRole('button', { name: 'Sync now' }).click();
		await page.getByText(/Synced: /).waitFor({ timeout: 120_000 });
		await page.getByText('Listmonk', { exact: true }).first().scrollIntoViewIfNeeded();
		await page.screenshot({ path: join(SHOTS, 'listmonk-sync.png'), fullPage: true });
		// the list's members in Listmonk = the subscribed count the module shows
		const listId = Number((await d.knex('segments').where({ id: res.body.data.id }).first('listmonk_list_id')).listmonk_list_id);
		const inList = lm.subscribers().filter((s) => s.lists.some((l) => l.id === listId && l.subscription_status !== 'unsubscribed')).length;
		expect(inList).toBeGreaterThan(0);
		await expect.poll(() => row.locator('td').nth(3).innerText(), { timeout: 30_000 }).toBe(new Intl.NumberFormat('en-US').format(inList));
		// the segment form: the sync's switch, list and state
		await page.goto(`${d.url}/admin/content/segments/${res.body.data.id}`);
		await page.getByText('Sync to Listmonk').first().waitFor({ timeout: 60_000 });
		await page.getByText('Sync to Listmonk').first().scrollIntoViewIfNeeded();
		await page.locator(`a[href="${lm.url}/admin/subscribers/lists/${listId}"]`, { hasText: 'Open in Listmonk' }).waitFor({ timeout: 30_000 });
		await page.screenshot({ path: join(SHOTS, 'segment-listmonk-fields.png'), fullPage: true });
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

	it('builds a segment rule in the App\'s filter builder, saves it and shows the member count', async () => {
		// the most common RFM cell of the seeded base: the rule every marketer starts with
		const [top]: Array<Record<string, unknown>> = await d.knex('clients').whereNotNull('rfm_code').groupBy('rfm_code').select('rfm_code').count({ n: '*' }).orderBy('n', 'desc').limit(1);
		const expected = Number(top!['n']);
		await page.goto(`${d.url}/admin/content/segments/+`);
		await page.getByText('Add Filter').click({ timeout: 60_000 });
		await page.fill('input[placeholder="Search"]', 'RFM cell');
		await page.getByText('RFM cell', { exact: true }).last().click();
		// the builder proposes "Contains" for text: switch to "Equals" and type the cell
		await page.locator('.system-filter .comparator button').first().click();
		await page.getByText('Equals', { exact: true }).first().click();
		await page.locator('.system-filter input[placeholder="--"]').first().fill(String(top!['rfm_code']));
		await page.locator('.field').filter({ hasText: 'Name' }).locator('input').first().fill('Top cell from the App');
		// the "Active" switch (the Listmonk group has switches of its own)
		await page.locator('.field').filter({ hasText: 'Active' }).getByText('Enabled', { exact: true }).first().click();
		await page.screenshot({ path: join(SHOTS, 'segment-rule-builder.png'), fullPage: true });
		await page.getByRole('button', { name: 'Save', exact: true }).click();

		// the rule the App wrote is stored as a Directus filter, and the segment fills right after the save
		let saved: any = null;
		await expect.poll(async () => (saved = await d.knex('segments').where({ name: 'Top cell from the App' }).first('id', 'rule')), { timeout: 60_000, message: 'the segment was saved' }).toBeTruthy();
		const rule = typeof saved.rule === 'string' ? JSON.parse(saved.rule) : saved.rule;
		expect(JSON.stringify(rule)).toContain(`"_eq":"${top!['rfm_code']}"`);
		await page.goto(`${d.url}/admin/content/segments/${saved.id}`);
		const name = page.locator('.field').filter({ hasText: 'Name' }).locator('input').first();
		const members = page.locator('.field').filter({ hasText: 'Members' }).locator('input').first();
		// the count is written right after the save: reload until the form shows it. While the item loads the form
		// shows the field defaults (0 members), so a value counts only once the segment's own name is in the form.
		await expect
			.poll(async () => {
				await expect.poll(() => name.inputValue().catch(() => ''), { timeout: 60_000 }).toBe('Top cell from the App');
				const shown = await members.inputValue();
				if (shown !== String(expected)) await page.reload();
				return shown;
			}, { timeout: 120_000, interval: 200 })
			.toBe(String(expected));
		expect(Number((await d.knex('segment_members').where({ segment: saved.id }).count({ n: '*' }))[0]!.n)).toBe(expected);
		await page.screenshot({ path: join(SHOTS, 'segment-saved.png'), fullPage: true });
	});

	it('previews and runs an automation from the module, shows its log, and launches a promo sequence', async () => {
		const segment = (await d.knex('segments').where({ name: 'Consenting buyers' }).first('id')).id as number;
		const made = await d.http('POST', '/items/automations', { name: 'Smoke wake-up', is_active: true, segment, anchor: 'last_purchase', delay_days: 0, discount_value: 10, valid_days: 14, cooldown_days: 90, tx_template_id: 3 });
		expect(made.status, JSON.stringify(made.body)).toBe(200);
		const expected = (await d.http('GET', `/segmentation/automations/${made.body.data.id}/preview`)).body.data.total as number;
		expect(expected).toBeGreaterThan(0);
		const code = await d.http('POST', '/items/promo_codes', { code: 'SMOKE-SALE', kind: 'shared', discount_type: 'percent', discount_value: 15 });
		const steps = [{ name: 'Announcement', send_at: new Date(Date.now() + 86_400_000).toISOString(), subject: 'Sale: %PROMO_CODE%', body: '<p>Use %PROMO_CODE%</p>' }];
		expect((await d.http('POST', '/items/promo_sequences', { name: 'Smoke sequence', segment, promo_code: code.body.data.id, steps })).status).toBe(200);

		await page.goto(`${d.url}/admin/segmentation/system`);
		const row = page.locator('table.automations tr', { hasText: 'Smoke wake-up' });
		await row.waitFor({ timeout: 60_000 });
		await row.getByRole('button', { name: 'Who today?' }).click();
		await page.getByText(`${new Intl.NumberFormat('en-US').format(expected)} client(s) would get it today`).waitFor({ timeout: 60_000 });
		await row.getByRole('button', { name: 'Run now' }).click();
		await page.getByText(new RegExp(`^${expected} qualified · ${expected} sent`)).waitFor({ timeout: 120_000 });
		await expect.poll(() => page.locator('table.sends tbody tr').count(), { timeout: 60_000 }).toBe(Math.min(expected, 50));
		expect(lm.txMails()).toHaveLength(expected);
		await page.locator('table.sends').scrollIntoViewIfNeeded();
		await page.screenshot({ path: join(SHOTS, 'automations.png'), fullPage: true });

		const sequenceRow = page.locator('table.sequences tr', { hasText: 'Smoke sequence' });
		await sequenceRow.getByRole('button', { name: 'Launch' }).click();
		await page.locator('table.campaigns tbody tr', { hasText: 'Announcement' }).waitFor({ timeout: 120_000 });
		expect(await page.locator('table.campaigns tbody tr').first().innerText()).toContain('scheduled');
		await page.locator('table.campaigns').scrollIntoViewIfNeeded();
		await page.screenshot({ path: join(SHOTS, 'promo-sequence.png'), fullPage: true });
	});

	it('shows the client profile panel on a client card: RFM cell explained, segments and tags, in English and Russian', async () => {
		// the client in the most segments (the earlier tests made "Consenting buyers" and the top RFM cell's segment)
		const [most]: Array<Record<string, unknown>> = await d.knex('segment_members').groupBy('client').select('client').count({ n: '*' }).orderBy([{ column: 'n', order: 'desc' }, { column: 'client' }]).limit(1);
		const id = Number(most!['client']);
		expect(Number(most!['n'])).toBeGreaterThanOrEqual(2);
		const tag = await d.http('POST', '/items/tags', { name: 'Smoke interest', color: '#3399FF' });
		expect(tag.status, JSON.stringify(tag.body)).toBe(200);
		expect((await d.http('POST', '/items/client_tags', { client: id, tag: tag.body.data.id, source: 'manual', expires_at: new Date(Date.now() + 60 * 86_400_000).toISOString() })).status).toBe(200);
		const profile = (await d.http('GET', `/segmentation/clients/${id}/profile`)).body.data as { rfm: { code: string; frequency: number }; segments: Array<{ name: string }>; tags: Array<{ name: string }> };
		const row = await d.knex('clients').where({ id }).first('rfm_code');
		expect(profile.rfm.code).toBe(row.rfm_code);
		const names = (await d.knex('segment_members as sm').join('segments as s', 's.id', 'sm.segment').where('sm.client', id).select('s.name')).map((r) => String(r.name));
		expect(profile.segments.map((s) => s.name).sort()).toEqual([...names].sort());

		const panel = page.locator('.client-profile');
		const open = async (heading: string) => {
			await page.goto(`${d.url}/admin/content/clients/${id}`);
			await panel.locator('[data-test="rfm-code"]', { hasText: row.rfm_code }).waitFor({ timeout: 60_000 });
			await page.getByText(heading, { exact: true }).first().waitFor({ timeout: 60_000 });
			await panel.scrollIntoViewIfNeeded();
		};
		const chips = async (kind: 'segment' | 'tag') => (await panel.locator(`[data-test="${kind}"] .chip-name`).allInnerTexts()).map((s) => s.trim()).sort();

		await open('Client profile');
		expect(await panel.locator('[data-test="rfm-words"]').innerText()).toBe(`${row.rfm_code} — ${cellInWords(row.rfm_code, 'en')}`);
		expect(await chips('segment')).toEqual([...names].sort());
		expect(await chips('tag')).toContain('Smoke interest');
		expect(await panel.innerText()).toMatch(/Segments[\s\S]*Interest tags[\s\S]*Listmonk/);
		await page.screenshot({ path: join(SHOTS, 'client-profile.png') });

		// the same card for a Russian-speaking user (the admin's language, reset afterwards: the other tests read English)
		const before = (await d.http('GET', '/users/me?fields=language')).body.data.language ?? null;
		expect((await d.http('PATCH', '/users/me', { language: 'ru-RU' })).status).toBe(200);
		try {
			await open('Профиль клиента');
			expect(await panel.locator('[data-test="rfm-words"]').innerText()).toBe(`${row.rfm_code} — ${cellInWords(row.rfm_code, 'ru')}`);
			const text = await panel.innerText();
			for (const ru of ['Сегменты', 'Теги интересов', 'Покупок', 'Ожидаемая покупка']) expect(text).toContain(ru);
			for (const en of ['Segments', 'Interest tags', 'Purchases', 'Next purchase due', 'Recency']) expect(text).not.toContain(en);
			expect(await chips('tag')).toContain('Smoke interest');
			await page.screenshot({ path: join(SHOTS, 'client-profile-ru.png') });
		} finally {
			expect((await d.http('PATCH', '/users/me', { language: before })).status).toBe(200);
		}
	});

	it('opens on the RFM grid: its counts are the database’s, and a cell opens the client list filtered to it', async () => {
		const grid = (await d.http('GET', '/segmentation/analytics/rfm-grid')).body.data as { levels: number; scored_clients: number; cells: Array<{ r: number; f: number; clients: number }> };
		const counted: Array<Record<string, unknown>> = await d.knex('clients').whereNotNull('rfm_r').groupBy('rfm_r', 'rfm_f').select('rfm_r', 'rfm_f').count({ n: '*' });
		for (const row of counted) expect(grid.cells.find((c) => c.r === Number(row.rfm_r) && c.f === Number(row.rfm_f))?.clients, `cell ${row.rfm_r}/${row.rfm_f}`).toBe(Number(row.n));
		// a cell small enough to count its rows on one page of the list
		const cell = grid.cells.filter((c) => c.clients > 0 && c.clients <= 20).sort((a, b) => b.clients - a.clients)[0]!;
		await page.goto(`${d.url}/admin/segmentation`);
		await page.getByText('RFM grid', { exact: true }).first().waitFor({ timeout: 60_000 });
		// the heatmap's series (i) are the recency levels, drawn from the bottom; its points (j) the frequency levels
		const rect = page.locator(`rect.apexcharts-heatmap-rect[i="${cell.r - 1}"][j="${cell.f - 1}"]`);
		await rect.waitFor({ timeout: 60_000 });
		// "Counted … · Recount" under the overview's figures when the API answers from a snapshot (as_of), else nothing
		const overview = (await d.http('GET', '/segmentation/analytics/overview')).body.data as { as_of?: string };
		if (overview.as_of) await page.locator('[data-test="counted-at"]', { hasText: 'Counted' }).waitFor({ timeout: 60_000 });
		else expect(await page.locator('[data-test="counted-at"]').count()).toBe(0);
		await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
		await rect.click();
		await page.waitForURL((u) => u.pathname.endsWith('/admin/content/clients'), { timeout: 60_000 });
		await expect.poll(() => page.locator('.v-table tbody tr, table tbody tr').count(), { timeout: 60_000 }).toBe(cell.clients);
		await page.screenshot({ path: join(SHOTS, 'overview-cell-clients.png') });
		// the filter stays the user's own: cleared for the next tests
		const preset = (await d.http('GET', '/presets?filter[collection][_eq]=clients&filter[bookmark][_null]=true')).body.data as Array<{ id: number }>;
		for (const p of preset) await d.http('PATCH', `/presets/${p.id}`, { filter: null });
	});

	it('shows a segment page with its lead sources against the base', async () => {
		const segment = (await d.knex('segments').where({ name: 'Consenting buyers' }).first('id')).id as number;
		await page.goto(`${d.url}/admin/segmentation/segments`);
		await page.locator(`a[href="/admin/segmentation/segments/${segment}"]`).first().click({ timeout: 60_000 });
		await page.getByText('Lead sources: this segment vs the whole base').waitFor({ timeout: 60_000 });
		await page.getByText('Campaign results').waitFor({ timeout: 60_000 });
		await page.locator('.lead-sources .apexcharts-bar-area').first().waitFor({ timeout: 60_000 });
		// the first members (up to 25) through the items API, each linked to the client card
		const members = Number((await d.knex('segment_members').where({ segment }).count({ n: '*' }))[0]!.n);
		expect(members).toBeGreaterThan(0);
		await expect.poll(() => page.locator('table.members-table tbody tr').count(), { timeout: 60_000 }).toBe(Math.min(members, 25));
		const first = await d.knex('segment_members as sm').join('clients as c', 'c.id', 'sm.client').where('sm.segment', segment).orderBy('sm.client').first('c.id', 'c.email', 'c.rfm_code');
		const firstRow = page.locator('table.members-table tbody tr').first();
		expect(await firstRow.innerText()).toContain(first.email);
		expect(await firstRow.innerText()).toContain(first.rfm_code);
		expect(await firstRow.locator(`a[href$="/content/clients/${first.id}"]`).count()).toBe(1);
		// "Counted … · Recount" when the breakdown or lead sources come from a snapshot; Recount asks them fresh
		const asOf = [(await d.http('GET', `/segmentation/segments/${segment}/breakdown`)).body.data?.as_of, (await d.http('GET', `/segmentation/segments/${segment}/lead-sources`)).body.data?.as_of].filter(Boolean);
		if (asOf.length) {
			const counted = page.locator('[data-test="counted-at"]');
			await counted.waitFor({ timeout: 60_000 });
			const fresh = page.waitForRequest((r) => /\/segmentation\/segments\/\d+\/breakdown\?fresh=true/.test(r.url()), { timeout: 60_000 });
			await counted.locator('[data-test="recount"]').click();
			await fresh;
			await counted.locator('[data-test="recount"]').waitFor({ timeout: 120_000 });
		} else expect(await page.locator('[data-test="counted-at"]').count()).toBe(0);
		await page.screenshot({ path: join(SHOTS, 'segment-page.png'), fullPage: true });
	});

	it('shows the overview to a Marketer (not an admin) in Russian, with no English left', async () => {
		const policy = (await d.http('GET', '/policies?filter[name][_eq]=Marketer&fields=id')).body.data[0].id as string;
		const made = await d.http('POST', '/users', { email: 'marketer.ru@example.com', password: 'marketer-password-1', language: 'ru-RU', policies: [{ policy }] });
		expect(made.status, JSON.stringify(made.body)).toBe(200);
		const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
		try {
			const marketer = await context.newPage();
			await marketer.goto(`${d.url}/admin/login`);
			await marketer.waitForSelector('input[type="email"]', { timeout: 120_000 });
			await marketer.fill('input[type="email"]', 'marketer.ru@example.com');
			await marketer.fill('input[type="password"]', 'marketer-password-1');
			await marketer.click('button[type="submit"]');
			await marketer.waitForURL((u) => !u.pathname.endsWith('/login'), { timeout: 120_000 });
			await marketer.goto(`${d.url}/admin/segmentation`);
			await marketer.getByText('RFM-сетка', { exact: true }).first().waitFor({ timeout: 60_000 });
			await marketer.locator('rect.apexcharts-heatmap-rect').first().waitFor({ timeout: 60_000 });
			const text = await marketer.locator('.overview').innerText();
			for (const ru of ['Клиенты', 'Выручка', 'Давность', 'Частота', 'Стадии жизненного цикла', 'Уровни ценности']) expect(text).toContain(ru);
			for (const en of ['RFM grid', 'Revenue', 'Recency', 'Frequency', 'Lifecycle stages', 'Value tiers', 'Clients']) expect(text).not.toContain(en);
			// numbers in the user's locale: Russian groups thousands with a (narrow) no-break space
			const revenue = (await d.http('GET', '/segmentation/analytics/rfm-grid')).body.data.total_revenue as number;
			expect(text).toContain(new Intl.NumberFormat('ru-RU', { maximumFractionDigits: 0 }).format(revenue));
			// the named RFM segments (the default names) in Russian, none in English
			const named = ((await d.http('GET', '/segmentation/analytics/overview')).body.data.rfm_segments as Array<{ name: string | null; clients: number }>).filter((s) => s.name && s.clients > 0).map((s) => s.name!);
			expect(named.length).toBeGreaterThan(0);
			for (const name of named) {
				expect(rfmSegmentName(name, 'ru-RU')).not.toBe(name);
				expect(text).toContain(rfmSegmentName(name, 'ru-RU'));
				expect(text).not.toContain(name);
			}
			await marketer.screenshot({ path: join(SHOTS, 'overview-ru-marketer.png'), fullPage: true });
			// the other pages too
			await marketer.goto(`${d.url}/admin/segmentation/segments`);
			await marketer.getByText('Вошли / вышли за 7 дней').first().waitFor({ timeout: 60_000 });
			expect(await marketer.locator('.segments-page').innerText()).not.toMatch(/Entered|Members|Refresh/);
		} finally {
			await context.close();
		}
	});
});
