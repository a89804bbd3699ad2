// Row- and field-level permissions on the marketer's-view endpoints, through a real Directus that enforces item filters
// and field lists on permissions (as a licensed Directus 12 does; the test process is told it is entitled, see
// harness/licensed-permissions.mjs). A caller whose read on the clients is limited by an item filter gets the profile
// of a client inside the filter (200) and a 404 for one outside (as for a missing client); a profile leaves out (null)
// a client field the caller's field list leaves out. The aggregates over the whole base (RFM grid, overview, a
// segment's breakdown, lead sources, campaigns) answer 403 saying why, to a caller limited by an item filter and to one
// whose field list leaves out a field they are made of (rfm_r), while a Marketer still gets them. A filter on the
// segments leaves the profile's segments part out (null) and refuses the segment figures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LICENSED_PERMISSIONS_NODE_OPTIONS } from '../harness/config.ts';
import { bootDirectus, login, type HttpResult, type TestDirectus } from '../harness/directus.ts';
import { makeClientWithDeals } from '../harness/clients.ts';
import { queueSettled } from '../harness/queue.ts';

const PASSWORD = 'row-permissions-password-1';
const message = (res: HttpResult) => String((res.body as any)?.errors?.[0]?.message ?? '');

describe('row-level permissions on the marketer view', () => {
	let d: TestDirectus;
	let mine: number;
	let theirs: number;
	let segment: number;
	const tokens: Record<'filtered' | 'noRfmR' | 'segmentsFiltered' | 'marketer', string> = { filtered: '', noRfmR: '', segmentsFiltered: '', marketer: '' };

	beforeAll(async () => {
		d = await bootDirectus({ env: { NODE_OPTIONS: LICENSED_PERMISSIONS_NODE_OPTIONS, SEGMENTATION_AUTOMATIONS_CRON: 'off' } });
		await queueSettled(d);
		const make = (name: string, deals: Array<[number, number]>) => makeClientWithDeals(d, name, deals);
		mine = await make('Mine North', [[120, 40], [300, 10]]);
		theirs = await make('Theirs South', [[900, 5]]);
		const made = await d.http('POST', '/items/segments', { name: 'Consenting (rows)', kind: 'dynamic', is_active: true, rule: { email_consent: { _eq: true } } });
		expect(made.status, JSON.stringify(made.body)).toBe(200);
		segment = made.body.data.id;
		await queueSettled(d);

		const clientFields = ((await d.http('GET', '/fields/clients')).body.data as Array<{ field: string; type: string }>)
			.filter((f) => f.type !== 'alias')
			.map((f) => f.field);
		expect(clientFields).toContain('rfm_r');
		type Perm = { collection: string; permissions?: unknown; fields?: string[] };
		const OTHERS = ['segmentation_settings', 'segments', 'segment_members', 'tags', 'client_tags'];
		const policy = async (name: string, perms: Perm[]) => {
			const permissions = perms.map((p) => ({ action: 'read', fields: ['*'], permissions: null, ...p }));
			const res = await d.http('POST', '/policies', { name, app_access: false, admin_access: false, permissions });
			expect(res.status, JSON.stringify(res.body)).toBe(200);
			return res.body.data.id as string;
		};
		const user = async (email: string, policies: string[]) => {
			const res = await d.http('POST', '/users', { email, password: PASSWORD, policies: policies.map((p) => ({ policy: p })) });
			expect(res.status, JSON.stringify(res.body)).toBe(200);
			return login(d, email, PASSWORD);
		};
		const others = OTHERS.map((collection) => ({ collection }));
		tokens.filtered = await user('north@example.com', [await policy('Rows: northern clients', [{ collection: 'clients', permissions: { name: { _starts_with: 'Mine' } } }, ...others])]);
		tokens.noRfmR = await user('no-rfm-r@example.com', [await policy('Rows: clients without rfm_r', [{ collection: 'clients', fields: clientFields.filter((f) => f !== 'rfm_r') }, ...others])]);
		tokens.segmentsFiltered = await user('some-segments@example.com', [
			await policy('Rows: some segments', [{ collection: 'clients' }, ...others.filter((o) => o.collection !== 'segments'), { collection: 'segments', permissions: { name: { _eq: 'nothing of the kind' } } }]),
		]);
		const marketerPolicy = (await d.http('GET', '/policies?filter[name][_eq]=Marketer&fields=id')).body.data[0].id as string;
		tokens.marketer = await user('rows-marketer@example.com', [marketerPolicy]);
	});
	afterAll(async () => {
		await d?.stop();
	});

	it('runs on a Directus that enforces the item filter (its own REST API shows the filtered user only their clients)', async () => {
		const res = await d.http('GET', '/items/clients?fields=id&limit=-1', undefined, tokens.filtered);
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		expect(res.body.data.map((r: { id: number }) => Number(r.id))).toEqual([mine]);
	});

	it('gives the profile of a client inside the item filter, and a 404 (as for a missing client) for one outside it', async () => {
		const inside = await d.http('GET', `/segmentation/clients/${mine}/profile`, undefined, tokens.filtered);
		expect(inside.status, JSON.stringify(inside.body)).toBe(200);
		expect(inside.body.data.client.id).toBe(mine);
		const outside = await d.http('GET', `/segmentation/clients/${theirs}/profile`, undefined, tokens.filtered);
		expect(outside.status, JSON.stringify(outside.body)).toBe(404);
		const missing = await d.http('GET', `/segmentation/clients/${theirs + 1000}/profile`, undefined, tokens.filtered);
		expect(missing.status).toBe(404);
		// the same answer for both: nothing says the client outside the filter exists
		expect(message(outside)).toBe(message(missing).replace(String(theirs + 1000), String(theirs)));
		// a Marketer and an admin read every client
		expect((await d.http('GET', `/segmentation/clients/${theirs}/profile`, undefined, tokens.marketer)).status).toBe(200);
		expect((await d.http('GET', `/segmentation/clients/${theirs}/profile`)).status).toBe(200);
	});

	it('leaves a client field the caller may not read out of the profile (null), as Directus would', async () => {
		const res = await d.http('GET', `/segmentation/clients/${mine}/profile`, undefined, tokens.noRfmR);
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		expect(res.body.data.rfm.r).toBeNull();
		const full = await d.http('GET', `/segmentation/clients/${mine}/profile`, undefined, tokens.marketer);
		expect(full.body.data.rfm.r).not.toBeNull();
		expect(res.body.data.rfm.f).toBe(full.body.data.rfm.f);
		expect(res.body.data.client).toEqual(full.body.data.client);
	});

	it('leaves the segments part of the profile out when the segments may be read only in part', async () => {
		const res = await d.http('GET', `/segmentation/clients/${mine}/profile`, undefined, tokens.segmentsFiltered);
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		expect(res.body.data.segments).toBeNull();
		expect(res.body.data.tags).not.toBeNull();
		const marketer = await d.http('GET', `/segmentation/clients/${mine}/profile`, undefined, tokens.marketer);
		expect(marketer.body.data.segments.map((s: { id: number }) => s.id)).toContain(segment);
	});

	const AGGREGATES = () => [
		'/segmentation/analytics/rfm-grid',
		'/segmentation/analytics/overview',
		`/segmentation/segments/${segment}/breakdown`,
		`/segmentation/segments/${segment}/lead-sources`,
		`/segmentation/analytics/campaigns?segment=${segment}`,
	];

	it('refuses the figures over the whole base to a caller whose read on the clients has an item filter, saying why', async () => {
		for (const path of AGGREGATES()) {
			const res = await d.http('GET', path, undefined, tokens.filtered);
			expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(403);
			expect(message(res), path).toMatch(/whole client base/);
			expect(message(res), path).toMatch(/read permission on "clients" is limited to some of its items/);
		}
	});

	it('refuses them to a caller whose read on the clients leaves out a field they are made of (rfm_r)', async () => {
		const res = await d.http('GET', '/segmentation/analytics/rfm-grid', undefined, tokens.noRfmR);
		expect(res.status, JSON.stringify(res.body)).toBe(403);
		expect(message(res)).toMatch(/read permission on "clients" does not include the field.* rfm_r/);
	});

	it("refuses a segment's figures to a caller whose read on the segments has an item filter", async () => {
		const res = await d.http('GET', `/segmentation/segments/${segment}/breakdown`, undefined, tokens.segmentsFiltered);
		expect(res.status, JSON.stringify(res.body)).toBe(403);
		expect(message(res)).toMatch(/read permission on "segments" is limited to some of its items/);
		// the base's own figures need nothing of the segments
		expect((await d.http('GET', '/segmentation/analytics/rfm-grid', undefined, tokens.segmentsFiltered)).status).toBe(200);
	});

	it('still answers them to a Marketer (unfiltered read) and to an admin', async () => {
		for (const path of AGGREGATES()) {
			for (const token of [tokens.marketer, undefined]) {
				const res = await d.http('GET', path, undefined, token);
				expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
			}
		}
	});
});
