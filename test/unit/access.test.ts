// The endpoints' permission check (directus/access.ts) against stand-ins for Directus's services: what each answer of
// Directus's permission code becomes — allowed, a 403 naming what is missing, or (a database that did not answer) a
// 503, never a 403. The real services are exercised by test/integration/endpoint-access.test.ts.
import { ForbiddenError } from '@directus/errors';
import { describe, expect, it } from 'vitest';
import { assertAccess, isUnrestrictedFilter, need, needWhole, readableFields, unavailable, wholeReadLimits, type Accountability } from '../../extensions/segmentation/src/directus/access.ts';
import type { DirectusContext } from '../../extensions/segmentation/src/directus/context.ts';
import { assertAsOfAllowed } from '../../extensions/segmentation/src/directus/endpoint/route.ts';

type Outcome = 'allow' | 'forbid' | Error;
interface Answers { read?: Outcome; create?: Outcome | 'validation'; update?: boolean | Error; delete?: boolean | Error }

/** A context whose services answer as told per collection, recording what was asked. */
function fakeContext(answers: Record<string, Answers>) {
	const asked: string[] = [];
	const schema = { collections: Object.fromEntries(Object.keys(answers).map((c) => [c, { primary: 'id', fields: {} }])), relations: [] };
	const outcome = (o: Outcome | undefined) => {
		if (o instanceof Error) throw o;
		if (o !== 'allow') throw new ForbiddenError();
	};
	class ItemsService {
		private readonly collection: string;
		constructor(collection: string, options: { accountability: Accountability }) {
			if (!options.accountability) throw new Error('the check must pass the accountability');
			this.collection = collection;
		}
		async readByQuery() {
			asked.push(`read ${this.collection}`);
			outcome(answers[this.collection]?.read);
			return [];
		}
		async createOne(_payload: object, opts: { emitEvents?: boolean; preMutationError?: Error }) {
			asked.push(`create ${this.collection}`);
			expect(opts.emitEvents).toBe(false);
			const a = answers[this.collection]?.create;
			if (a === 'validation') throw [Object.assign(new Error('required'), { name: 'DirectusError', code: 'FAILED_VALIDATION' })];
			outcome(a);
			throw opts.preMutationError;
		}
	}
	class PermissionsService {
		async getItemPermissions(collection: string) {
			asked.push(`permissions ${collection}`);
			const a = answers[collection] ?? {};
			for (const v of [a.update, a.delete]) if (v instanceof Error) throw v;
			return { update: { access: a.update === true }, delete: { access: a.delete === true }, share: { access: false } };
		}
	}
	const ctx = {
		services: { ItemsService, PermissionsService },
		database: {},
		getSchema: async () => schema,
		env: {},
		logger: { info() {}, warn() {}, error() {}, debug() {} },
	} as unknown as DirectusContext;
	return { ctx, asked };
}

const marketer: Accountability = { user: 'u1', role: null, admin: false };
const status = (error: unknown) => (error as { status?: number }).status;
const message = (error: unknown) => (error as Error).message;

async function failure(run: Promise<unknown>): Promise<unknown> {
	try {
		await run;
	} catch (error) {
		return error;
	}
	throw new Error('expected the check to refuse');
}

describe('endpoint access check', () => {
	it('refuses anonymous callers without asking Directus, and lets admins through without asking either', async () => {
		const { ctx, asked } = fakeContext({ segments: {} });
		for (const anonymous of [null, undefined, { user: null, role: null, admin: false }]) {
			const error = await failure(assertAccess(ctx, anonymous, need('read', 'segments')));
			expect(status(error)).toBe(403);
		}
		await assertAccess(ctx, { user: 'admin', admin: true }, need('delete', 'segments'));
		await assertAccess(ctx, { user: 'admin', admin: true }, { adminOnly: 'x' });
		expect(asked).toEqual([]);
	});

	it('asks Directus per need and names every missing permission', async () => {
		const { ctx, asked } = fakeContext({
			segments: { read: 'allow', create: 'forbid', update: true },
			segment_members: { create: 'allow', delete: false },
			client_tags: { create: 'validation' },
		});
		await assertAccess(ctx, marketer, [...need('read', 'segments'), ...need('update', 'segments'), ...need('create', 'segment_members', 'client_tags')]);
		const error = await failure(assertAccess(ctx, marketer, [...need('create', 'segments'), ...need('delete', 'segment_members'), ...need('read', 'nowhere')]));
		expect(status(error)).toBe(403);
		expect(message(error)).toMatch(/permission to create "segments", delete "segment_members", read "nowhere"/);
		expect(asked).toContain('create segments');
		expect(asked).toContain('permissions segment_members');
	});

	it('refuses admin-only routes to everyone else, saying what only an admin may do', async () => {
		const { ctx } = fakeContext({});
		const error = await failure(assertAccess(ctx, marketer, { adminOnly: 'check a client base mapping' }));
		expect(status(error)).toBe(403);
		expect(message(error)).toBe('Only an administrator may check a client base mapping.');
	});

	it('turns a database that does not answer into a 503, never a 403', async () => {
		const timeouts: Error[] = [
			Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' }),
			Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' }),
			new Error('Transaction failed after 4 attempts', { cause: Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' }) }),
			Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
		];
		for (const timeout of timeouts) {
			for (const answers of [{ read: timeout }, { create: timeout }, { update: timeout }] as Answers[]) {
				const { ctx } = fakeContext({ segments: answers });
				const action = 'read' in answers ? 'read' : 'create' in answers ? 'create' : 'update';
				const error = await failure(assertAccess(ctx, marketer, need(action, 'segments')));
				expect(status(error), `${timeout.message} on ${action}`).toBe(503);
				expect(message(error)).toMatch(/The database did not answer while checking your permissions/);
			}
		}
		const slowSchema = fakeContext({});
		slowSchema.ctx.getSchema = async () => {
			throw timeouts[0];
		};
		expect(status(await failure(assertAccess(slowSchema.ctx, marketer, need('read', 'segments'))))).toBe(503);
	});

	it('lets any other failure through as it is (a 500), not as a 403', async () => {
		const broken = new Error('SQLITE_ERROR: no such table: segments');
		const { ctx } = fakeContext({ segments: { read: broken } });
		expect(await failure(assertAccess(ctx, marketer, need('read', 'segments')))).toBe(broken);
		expect(unavailable(broken)).toBeNull();
	});
});

describe('read of every item (needWhole)', () => {
	type Row = { collection: string; permissions: unknown; fields: unknown };
	/** A context whose caller may read every collection named, through these policies and permissions. */
	function wholeContext(access: Array<{ policy: { id: string; ip_access: string[] | null } }>, rows: Array<Row & { policy: string }>) {
		const asked: unknown[] = [];
		const collections = [...new Set(rows.map((r) => r.collection))];
		const schema = { collections: Object.fromEntries(collections.map((c) => [c, { primary: 'id', fields: {} }])), relations: [] };
		class ItemsService {
			async readByQuery() {
				return [];
			}
		}
		class AccessService {
			constructor(options: { accountability?: unknown }) {
				// the caller may not read directus_access: read as the system, for their own policies only
				expect(options.accountability).toBeUndefined();
			}
			async readByQuery(query: { filter: unknown }) {
				asked.push(query.filter);
				return access;
			}
		}
		class PermissionsService {
			async readByQuery(query: { filter: { _and: Array<Record<string, any>> } }) {
				const [policy, collection] = query.filter._and;
				return rows.filter((r) => policy!['policy']._in.includes(r.policy) && collection!['collection']._in.includes(r.collection)).map(({ policy: _p, ...r }) => r);
			}
		}
		const ctx = {
			services: { ItemsService, AccessService, PermissionsService },
			database: {},
			getSchema: async () => schema,
			env: {},
			logger: { info() {}, warn() {}, error() {}, debug() {} },
		} as unknown as DirectusContext;
		return { ctx, asked };
	}
	const everywhere = (id: string) => ({ policy: { id, ip_access: null } });

	it('counts only a filter that selects every item as unrestricted', () => {
		for (const f of [null, undefined, {}, { _and: [] }, { _or: [] }, { _and: [{}, { _or: [] }] }, 'null', '{}']) expect(isUnrestrictedFilter(f), JSON.stringify(f)).toBe(true);
		for (const f of [{ owner: { _eq: '$CURRENT_USER' } }, { _and: [{ region: { _eq: 'north' } }] }, { _or: [{}, { id: { _eq: 1 } }] }, { _and: [null] }, { _and: {} }, [], 'x', 5, '{"id":{"_eq":1}}'])
			expect(isUnrestrictedFilter(f), JSON.stringify(f)).toBe(false);
	});

	it('finds the read whole when an unfiltered permission gives every field needed, joining policies', () => {
		const all = { collection: 'clients', permissions: null, fields: ['*'] };
		const some = { collection: 'clients', permissions: { region: { _eq: 'north' } }, fields: ['*'] };
		expect(wholeReadLimits([all], 'clients', ['rfm_r'])).toEqual([]);
		expect(wholeReadLimits([some, all], 'clients', ['rfm_r'])).toEqual([]);
		expect(wholeReadLimits([some], 'clients', [])).toEqual(['your read permission on "clients" is limited to some of its items']);
		expect(wholeReadLimits([], 'clients', [])).toEqual(['your read permission on "clients" is limited to some of its items']);
		// fields: joined over the unfiltered permissions only (a filtered one gives them on some items)
		expect(wholeReadLimits([{ ...all, fields: 'id,rfm_r' }, { ...all, fields: ['rfm_f'] }], 'clients', ['rfm_r', 'rfm_f'])).toEqual([]);
		expect(wholeReadLimits([{ ...all, fields: ['id'] }, some], 'clients', ['rfm_r', 'rfm_f'])).toEqual(['your read permission on "clients" does not include the fields rfm_r, rfm_f']);
		expect(wholeReadLimits([{ ...all, fields: null }], 'clients', ['rfm_r'])).toEqual(['your read permission on "clients" does not include the field rfm_r']);
	});

	it('refuses figures over the whole base with a 403 saying why; passes a whole read and admins', async () => {
		const { ctx, asked } = wholeContext(
			[everywhere('p1'), everywhere('p2')],
			[
				{ policy: 'p1', collection: 'clients', permissions: { owner: { _eq: '$CURRENT_USER' } }, fields: ['*'] },
				{ policy: 'p2', collection: 'segments', permissions: {}, fields: ['*'] },
				{ policy: 'p2', collection: 'deals', permissions: null, fields: ['id', 'amount'] },
			],
		);
		const caller: Accountability = { user: 'u1', role: 'r1', roles: ['r1', 'parent'], admin: false };
		await assertAccess(ctx, caller, needWhole('segments'));
		expect(asked[0]).toEqual({ _or: [{ user: { _eq: 'u1' } }, { role: { _in: ['r1', 'parent'] } }] });
		const error = await failure(assertAccess(ctx, caller, [...needWhole('segments'), ...needWhole('clients', ['rfm_r']), ...needWhole('deals', ['amount', 'rfm_m'])]));
		expect(status(error)).toBe(403);
		expect(message(error)).toBe(
			'These figures count the whole client base, so they are shown only to roles that may read all of it: your read permission on "clients" is limited to some of its items; your read permission on "deals" does not include the field rfm_m.',
		);
		await assertAccess(ctx, { user: 'a', admin: true }, needWhole('clients', ['rfm_r']));
	});

	it('does not count a policy limited to some IP addresses towards a whole read', async () => {
		const { ctx } = wholeContext([{ policy: { id: 'office', ip_access: ['10.0.0.0/8'] } }, everywhere('p1')], [
			{ policy: 'office', collection: 'clients', permissions: null, fields: ['*'] },
			{ policy: 'p1', collection: 'clients', permissions: { region: { _eq: 'north' } }, fields: ['*'] },
		]);
		expect(status(await failure(assertAccess(ctx, marketer, needWhole('clients'))))).toBe(403);
	});

	it("gives the fields a caller may read on some item (for the profile's own SQL)", async () => {
		const { ctx } = wholeContext([everywhere('p1'), everywhere('p2')], [
			{ policy: 'p1', collection: 'clients', permissions: { region: { _eq: 'north' } }, fields: ['id', 'name'] },
			{ policy: 'p2', collection: 'clients', permissions: null, fields: 'email' },
		]);
		expect(await readableFields(ctx, marketer, 'clients')).toEqual(new Set(['id', 'name', 'email']));
		expect(await readableFields(ctx, { user: 'a', admin: true }, 'clients')).toBe('*');
	});
});

describe('as_of far from now', () => {
	const now = Date.parse('2026-06-15T12:00:00Z');
	it('is for admins only; within a day of now, or absent, anyone with the permissions may run', () => {
		expect(() => assertAsOfAllowed(marketer, '1990-01-01', Date.parse('1990-01-01'), now)).toThrow(/Only an administrator may run as of 1990-01-01, more than a day away from now/);
		expect(() => assertAsOfAllowed(marketer, '2026-06-17', Date.parse('2026-06-17'), now)).toThrow(/Only an administrator/);
		expect(() => assertAsOfAllowed(marketer, '2026-06-15', Date.parse('2026-06-15'), now)).not.toThrow();
		expect(() => assertAsOfAllowed(marketer, undefined, now, now)).not.toThrow();
		expect(() => assertAsOfAllowed({ user: 'a', admin: true }, '1990-01-01', Date.parse('1990-01-01'), now)).not.toThrow();
	});
});
