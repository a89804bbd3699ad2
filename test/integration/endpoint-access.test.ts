// Every /segmentation/* endpoint × every kind of caller: anonymous, a user with no policy, a user who may only read the
// settings, a user who may read segments and members but not the clients, a Marketer and an admin. Reading needs read
// permission on what is shown, changing needs the matching write permission — as Directus's own permissions decide —
// and a run "as of" far from today is an admin's act. A failed recompute answers a short message and its run id; the
// SQL goes to the server log only.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootDirectus, login, type HttpResult, type TestDirectus } from '../harness/directus.ts';
import { queueSettled } from '../harness/queue.ts';
import { startListmonkDouble, type ListmonkDouble } from '../listmonk-double/index.ts';

type Principal = 'anonymous' | 'no policy' | 'settings reader' | 'segment viewer' | 'marketer' | 'admin';
const PRINCIPALS: Principal[] = ['anonymous', 'no policy', 'settings reader', 'segment viewer', 'marketer', 'admin'];

interface Endpoint {
	method: 'GET' | 'POST';
	path: (segment: number) => string;
	/** A body, or one made from the segment's id. */
	body?: unknown;
	/** Who gets a 2xx; everyone else gets 403. */
	allowed: Principal[];
}

const EVERYONE_WITH_ACCESS: Principal[] = ['marketer', 'admin'];
/** An automation and a promo sequence made in beforeAll (their routes take their ids). */
let automation = 0;
let sequence = 0;
/** A client made in beforeAll (the client card's profile route takes its id). */
let client = 0;
const ENDPOINTS: Endpoint[] = [
	{ method: 'GET', path: () => '/segmentation/status', allowed: ['settings reader', 'segment viewer', 'marketer', 'admin'] },
	{ method: 'GET', path: () => '/segmentation/runs', allowed: ['settings reader', 'segment viewer', 'marketer', 'admin'] },
	{ method: 'POST', path: () => '/segmentation/recompute', body: {}, allowed: EVERYONE_WITH_ACCESS },
	{ method: 'GET', path: () => '/segmentation/segments', allowed: ['segment viewer', 'marketer', 'admin'] },
	{ method: 'POST', path: () => '/segmentation/segments/refresh', body: {}, allowed: EVERYONE_WITH_ACCESS },
	{ method: 'POST', path: () => '/segmentation/segments/library', body: {}, allowed: EVERYONE_WITH_ACCESS },
	{ method: 'POST', path: () => '/segmentation/segments/rule/check', body: { rule: { email_consent: { _eq: true } } }, allowed: ['segment viewer', 'marketer', 'admin'] },
	{ method: 'POST', path: (id) => `/segmentation/segments/${id}/refresh`, body: {}, allowed: EVERYONE_WITH_ACCESS },
	// member ids: read on the segments, their members and the clients
	{ method: 'GET', path: (id) => `/segmentation/segments/${id}/events`, allowed: EVERYONE_WITH_ACCESS },
	{ method: 'GET', path: (id) => `/segmentation/segments/${id}/history`, allowed: ['segment viewer', 'marketer', 'admin'] },
	{ method: 'GET', path: (id) => `/segmentation/segments/${id}/lead-sources`, allowed: EVERYONE_WITH_ACCESS },
	// the Listmonk sync: its state is read on the segments; a reconcile changes them (and their lists)
	{ method: 'GET', path: () => '/segmentation/sync/status', allowed: ['segment viewer', 'marketer', 'admin'] },
	{ method: 'POST', path: () => '/segmentation/sync', body: {}, allowed: EVERYONE_WITH_ACCESS },
	{ method: 'POST', path: (id) => `/segmentation/segments/${id}/sync`, body: {}, allowed: EVERYONE_WITH_ACCESS },
	// failed items name clients: read on the client collection too
	{ method: 'GET', path: () => '/segmentation/sync/failures', allowed: EVERYONE_WITH_ACCESS },
	// issuing codes creates promo codes for the segment's members
	{ method: 'POST', path: () => '/segmentation/promo-codes/issue', body: (id: number) => ({ segment_id: id, discount_value: 10, valid_days: 7 }), allowed: EVERYONE_WITH_ACCESS },
	// an automation run writes its result and issues codes; its preview and log name clients
	{ method: 'POST', path: () => `/segmentation/automations/${automation}/run`, body: {}, allowed: EVERYONE_WITH_ACCESS },
	{ method: 'GET', path: () => `/segmentation/automations/${automation}/preview`, allowed: EVERYONE_WITH_ACCESS },
	{ method: 'GET', path: () => `/segmentation/automations/${automation}/log`, allowed: EVERYONE_WITH_ACCESS },
	// a sequence's launch makes its list segment, a cancel switches it off; its status reads the sequence
	{ method: 'POST', path: () => `/segmentation/sequences/${sequence}/launch`, body: {}, allowed: EVERYONE_WITH_ACCESS },
	{ method: 'GET', path: () => `/segmentation/sequences/${sequence}/status`, allowed: EVERYONE_WITH_ACCESS },
	{ method: 'POST', path: () => `/segmentation/sequences/${sequence}/cancel`, body: {}, allowed: EVERYONE_WITH_ACCESS },
	// the client card's profile: read on the clients (segments and tags are left out when they may not be read)
	{ method: 'GET', path: () => `/segmentation/clients/${client}/profile`, allowed: EVERYONE_WITH_ACCESS },
	// the marketer's view: aggregates of the clients (read on the clients), a segment's also read on the segments
	{ method: 'GET', path: () => '/segmentation/analytics/rfm-grid', allowed: EVERYONE_WITH_ACCESS },
	{ method: 'GET', path: () => '/segmentation/analytics/overview', allowed: EVERYONE_WITH_ACCESS },
	{ method: 'GET', path: (id) => `/segmentation/segments/${id}/breakdown`, allowed: EVERYONE_WITH_ACCESS },
	{ method: 'GET', path: (id) => `/segmentation/analytics/campaigns?segment=${id}`, allowed: EVERYONE_WITH_ACCESS },
	// the mapping is schema: only admins change it, so only they probe it
	{ method: 'POST', path: () => '/segmentation/mapping/check', body: { deal_status_won: 'won' }, allowed: ['admin'] },
];

describe('endpoint access', () => {
	let d: TestDirectus;
	let lm: ListmonkDouble;
	let segment: number;
	const tokens = new Map<Principal, string | null | undefined>();
	/** A request as a principal; a 409 (another refresh or recompute is running) is waited out: it says nothing about access. */
	const call = async (who: Principal, method: string, path: string, body?: unknown): Promise<HttpResult> => {
		let res!: HttpResult;
		await vi.waitFor(
			async () => {
				res = await d.http(method, path, body, tokens.get(who));
				if (res.status === 409) throw new Error(`${method} ${path} as ${who}: busy (409)`);
			},
			{ timeout: 120_000, interval: 250 },
		);
		return res;
	};
	const message = (res: HttpResult) => String((res.body as any)?.errors?.[0]?.message ?? '');

	beforeAll(async () => {
		lm = await startListmonkDouble({ users: [{ username: 'access-sync', token: 'access-sync-token', permissions: 'super' }] });
		d = await bootDirectus({ env: { LISTMONK_URL: lm.url, LISTMONK_API_USER: 'access-sync', LISTMONK_API_TOKEN: 'access-sync-token' } });
		const policy = async (name: string, permissions: Array<{ collection: string; action: string }>) => {
			const res = await d.http('POST', '/policies', { name, app_access: false, admin_access: false, permissions: permissions.map((p) => ({ ...p, fields: ['*'] })) });
			expect(res.status, JSON.stringify(res.body)).toBe(200);
			return res.body.data.id as string;
		};
		const user = async (email: string, policies: string[]) => {
			const res = await d.http('POST', '/users', { email, password: 'access-password-1', policies: policies.map((p) => ({ policy: p })) });
			expect(res.status, JSON.stringify(res.body)).toBe(200);
			return login(d, email, 'access-password-1');
		};
		const marketerPolicy = (await d.http('GET', '/policies?filter[name][_eq]=Marketer&fields=id')).body.data[0].id as string;
		const settingsReader = await policy('Settings reader', [{ collection: 'segmentation_settings', action: 'read' }]);
		const segmentViewer = await policy('Segment viewer', ['segmentation_settings', 'segments', 'segment_members'].map((collection) => ({ collection, action: 'read' })));
		tokens.set('anonymous', null);
		tokens.set('admin', undefined); // the harness's admin token
		tokens.set('no policy', await user('nobody@example.com', []));
		tokens.set('settings reader', await user('reader@example.com', [settingsReader]));
		tokens.set('segment viewer', await user('viewer@example.com', [segmentViewer]));
		tokens.set('marketer', await user('marketer@example.com', [marketerPolicy]));
		// the first start's whole-base pass, then an active segment for the routes that take an id
		await queueSettled(d);
		const created = await d.http('POST', '/items/segments', { name: 'Consenting', kind: 'dynamic', is_active: true, rule: { email_consent: { _eq: true } }, listmonk_sync: true });
		expect(created.status, JSON.stringify(created.body)).toBe(200);
		segment = created.body.data.id;
		const made = await d.http('POST', '/items/automations', { name: 'Access check', segment, anchor: 'last_purchase', delay_days: 30, discount_value: 5, tx_template_id: 3 });
		expect(made.status, JSON.stringify(made.body)).toBe(200);
		automation = made.body.data.id;
		const code = await d.http('POST', '/items/promo_codes', { code: 'ACCESS-10', kind: 'shared', discount_type: 'percent', discount_value: 10 });
		expect(code.status, JSON.stringify(code.body)).toBe(200);
		const steps = [{ name: 'Announcement', send_at: new Date(Date.now() + 86_400_000).toISOString(), subject: 'Hello', body: '<p>Hi</p>' }];
		const seq = await d.http('POST', '/items/promo_sequences', { name: 'Access check', segment, promo_code: code.body.data.id, steps });
		expect(seq.status, JSON.stringify(seq.body)).toBe(200);
		sequence = seq.body.data.id;
		client = (await d.http('POST', '/items/clients', { name: 'Access Client', email: 'access.client@example.com' })).body.data.id;
		await queueSettled(d);
	});
	afterAll(async () => {
		await d?.stop();
		await lm?.close();
	});

	for (const endpoint of ENDPOINTS) {
		const label = `${endpoint.method} ${endpoint.path(0).replace(/\/0\//, '/:id/')}`;
		it(`${label}: ${endpoint.allowed.join(', ')}; 403 for everyone else`, async () => {
			for (const who of PRINCIPALS) {
				const res = await call(who, endpoint.method, endpoint.path(segment), typeof endpoint.body === 'function' ? (endpoint.body as (id: number) => unknown)(segment) : endpoint.body);
				if (endpoint.allowed.includes(who)) {
					expect(res.status, `${label} as ${who}: ${JSON.stringify(res.body)}`).toBe(200);
					continue;
				}
				expect(res.status, `${label} as ${who}: ${JSON.stringify(res.body)}`).toBe(403);
				if (who === 'anonymous') expect(message(res)).toMatch(/You need admin access or the Marketer policy/);
				else if (label.includes('mapping/check')) expect(message(res)).toMatch(/Only an administrator may check a client base mapping/);
				else expect(message(res), `${label} as ${who}`).toMatch(/this needs permission to (read|create|update|delete) "/);
			}
		});
	}

	it('names the permission that is missing: member ids need read on the clients too', async () => {
		const res = await call('segment viewer', 'GET', `/segmentation/segments/${segment}/events`);
		expect(res.status).toBe(403);
		expect(message(res)).toMatch(/this needs permission to read "clients"\.$/);
		const recompute = await call('settings reader', 'POST', '/segmentation/recompute', {});
		expect(message(recompute)).toMatch(/update "segmentation_settings", create "client_tags", delete "client_tags", update "segments", create "segment_members", delete "segment_members"/);
	});

	it('leaves state alone when it refuses: no run recorded, no segment created', async () => {
		const runs = Number((await d.knex('segmentation_runs').count({ n: '*' }))[0]!.n);
		const template = await d.knex('segments').whereNotNull('template_key').orderBy('id', 'desc').first('id');
		await d.knex('segments').where({ id: template.id }).delete();
		const segments = Number((await d.knex('segments').count({ n: '*' }))[0]!.n);
		const codes = Number((await d.knex('promo_codes').count({ n: '*' }))[0]!.n);
		for (const who of ['no policy', 'settings reader', 'segment viewer'] as const) {
			expect((await call(who, 'POST', '/segmentation/recompute', { as_of: '1990-01-01' })).status).toBe(403);
			expect((await call(who, 'POST', '/segmentation/segments/library', {})).status).toBe(403);
			expect((await call(who, 'POST', '/segmentation/promo-codes/issue', { segment_id: segment, discount_value: 50 })).status).toBe(403);
		}
		expect(Number((await d.knex('promo_codes').count({ n: '*' }))[0]!.n)).toBe(codes);
		expect(Number((await d.knex('segmentation_runs').count({ n: '*' }))[0]!.n)).toBe(runs);
		expect(Number((await d.knex('segments').count({ n: '*' }))[0]!.n)).toBe(segments);
		// a Marketer may re-create the missing template
		const library = await call('marketer', 'POST', '/segmentation/segments/library', {});
		expect(library.status).toBe(200);
		expect(library.body.data.library.created).toHaveLength(1);
	});

	it('lets only an admin run as of a date more than a day away from now', async () => {
		for (const path of ['/segmentation/recompute', '/segmentation/segments/refresh', `/segmentation/segments/${segment}/refresh`]) {
			for (const asOf of ['1990-01-01', new Date(Date.now() + 3 * 86_400_000).toISOString()]) {
				const res = await call('marketer', 'POST', path, { as_of: asOf });
				expect(res.status, `${path} ${asOf}: ${JSON.stringify(res.body)}`).toBe(403);
				expect(message(res)).toMatch(/^Only an administrator may run as of .+, more than a day away from now/);
			}
			// today is anyone's with the permissions
			expect((await call('marketer', 'POST', path, { as_of: new Date().toISOString() })).status, path).toBe(200);
		}
		const admin = await call('admin', 'POST', '/segmentation/recompute', { as_of: '1990-01-01' });
		expect(admin.status, JSON.stringify(admin.body)).toBe(200);
		expect(admin.body.data.as_of).toBe('1990-01-01T00:00:00.000Z');
		expect((await call('admin', 'POST', '/segmentation/recompute', {})).status).toBe(200);
	});

	describe('a failed recompute', () => {
		it('answers a short message with the run id, keeps the SQL out of the runs, and logs it', async () => {
			// a run recorded before errors were kept short: its SQL is hidden from non-admins
			const [old] = await d.knex('segmentation_runs').insert({ kind: 'full', trigger: 'old', status: 'failed', started_at: Date.now() - 60_000, finished_at: Date.now() - 59_000, as_of: Date.now(), error: 'create table "segmentation_score_stage" as select "d"."client" from "deals" as "d" - SQLITE_ERROR: no such column: d.amount' }).returning('id');
			const oldId = Number(typeof old === 'object' ? (old as { id: number }).id : old);

			// the engine's SQL fails: a mapped column dropped behind Directus's back (its schema cache still has it)
			await d.knex.raw('ALTER TABLE deals DROP COLUMN amount');
			for (const who of ['marketer', 'admin'] as const) {
				const res = await call(who, 'POST', '/segmentation/recompute', {});
				expect(res.status, JSON.stringify(res.body)).toBe(500);
				const error = (res.body as any).errors[0];
				expect(error.extensions.code).toBe('SEGMENTATION_RUN_FAILED');
				const run = Number(error.extensions.run);
				expect(run).toBeGreaterThan(0);
				expect(error.message).toBe(`Recompute failed (run ${run}); see the server log.`);
				expect(JSON.stringify(res.body)).not.toMatch(/select|amount|deals/i);
				const stored = await d.knex('segmentation_runs').where({ id: run }).first('status', 'error');
				expect(stored).toEqual({ status: 'failed', error: `recompute failed (run ${run}); see the server log` });
			}
			const failed = (await d.knex('segmentation_runs').where({ status: 'failed' }).whereNot({ trigger: 'old' }).select('id')).map((r) => Number(r.id));
			// the server log has the whole error, statement and all
			await vi.waitFor(() => {
				const log = d.log();
				for (const id of failed) expect(log).toContain(`recompute failed (run ${id}): `);
				expect(log).toMatch(/no such column|column \S*amount\S* does not exist/i);
				expect(log).toMatch(/select[\s\S]{1,4000}from/i);
			});

			const marketerRuns = (await call('marketer', 'GET', '/segmentation/runs?limit=20')).body.data as Array<{ id: number; error: string | null }>;
			for (const run of marketerRuns) expect(run.error ?? '', `run ${run.id}`).not.toMatch(/select|from "deals"|no such column/i);
			expect(marketerRuns.find((r) => r.id === oldId)?.error).toBe(`recompute failed (run ${oldId}); see the server log`);
			const adminRuns = (await call('admin', 'GET', '/segmentation/runs?limit=20')).body.data as Array<{ id: number; error: string | null }>;
			expect(adminRuns.find((r) => r.id === oldId)?.error).toMatch(/no such column: d\.amount/);
		});
	});
});
