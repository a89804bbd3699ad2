import { describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING } from '../../../core/mapping.ts';
import { MIGRATIONS } from './index.ts';
import { applyInOrder, latestVersion, migrationOrderProblems, pendingMigrations } from './migration.ts';

const list = (...versions: number[]) => versions.map((version) => ({ version, name: `m${version}` }));

describe('schema migrations', () => {
	it('ships an ordered list: 1 to 14, thirteen collections on a new base', () => {
		expect(migrationOrderProblems(MIGRATIONS)).toEqual([]);
		expect(MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
		expect(latestVersion(MIGRATIONS)).toBe(14);
		const names = MIGRATIONS.flatMap((m) => m.collections(DEFAULT_MAPPING).map((c) => c.collection));
		expect(names).toHaveLength(13);
		expect(new Set(names).size).toBe(13);
		expect(MIGRATIONS[10]!.collections(DEFAULT_MAPPING).map((c) => c.collection)).toEqual(['promo_sequences']);
		expect(MIGRATIONS[7]!.collections(DEFAULT_MAPPING).map((c) => c.collection)).toEqual(['promo_codes']);
		expect(MIGRATIONS[8]!.collections(DEFAULT_MAPPING).map((c) => c.collection)).toEqual(['automations']);
		expect(MIGRATIONS[1]!.collections(DEFAULT_MAPPING)).toEqual([]);
		expect(MIGRATIONS[3]!.collections(DEFAULT_MAPPING)).toEqual([]);
		expect(MIGRATIONS[4]!.collections(DEFAULT_MAPPING)).toEqual([]);
	});

	it('leaves only the migrations after the applied version, in order', () => {
		const all = list(1, 2, 3);
		expect(pendingMigrations(all, 0).map((m) => m.version)).toEqual([1, 2, 3]);
		expect(pendingMigrations(all, 1).map((m) => m.version)).toEqual([2, 3]);
		expect(pendingMigrations(all, 3)).toEqual([]);
		// a base installed by a newer release: nothing to do (never re-run, never downgrade)
		expect(pendingMigrations(all, 7)).toEqual([]);
		expect(pendingMigrations(list(1, 5, 9), 4).map((m) => m.version)).toEqual([5, 9]);
	});

	it('refuses repeated, decreasing or non-integer versions', () => {
		expect(migrationOrderProblems(list(1, 2, 4))).toEqual([]);
		expect(migrationOrderProblems(list(1, 2, 2))).toHaveLength(1);
		expect(migrationOrderProblems(list(2, 1))).toHaveLength(1);
		expect(migrationOrderProblems(list(0, 1))).toHaveLength(1);
		expect(migrationOrderProblems(list(1, 1.5))).toHaveLength(1);
		expect(latestVersion([])).toBe(0);
	});

	it('records each version right after it succeeds; a failure stops there and a restart resumes at it', async () => {
		const all = list(1, 2, 3);
		let stored = 0;
		const ran: number[] = [];
		let failing = 3;
		const apply = async (m: { version: number }) => {
			ran.push(m.version);
			if (m.version === failing) throw new Error(`crash in ${m.version}`);
			return [`c${m.version}`];
		};
		const record = async (version: number) => {
			stored = version;
		};

		await expect(applyInOrder(pendingMigrations(all, stored), apply, record)).rejects.toThrow('crash in 3');
		expect(ran).toEqual([1, 2, 3]);
		expect(stored).toBe(2);

		failing = 0;
		ran.length = 0;
		expect(await applyInOrder(pendingMigrations(all, stored), apply, record)).toEqual(['c3']);
		expect(ran).toEqual([3]);
		expect(stored).toBe(3);

		ran.length = 0;
		expect(await applyInOrder(pendingMigrations(all, stored), apply, record)).toEqual([]);
		expect(ran).toEqual([]);
	});

	it('stops before a migration when the guard throws (the lease was lost)', async () => {
		const recorded: number[] = [];
		const ran: number[] = [];
		const guard = (m: { version: number }) => {
			if (m.version === 2) throw new Error('lease lost');
		};
		await expect(
			applyInOrder(list(1, 2, 3), async (m) => (ran.push(m.version), []), async (v) => void recorded.push(v), guard),
		).rejects.toThrow('lease lost');
		expect(ran).toEqual([1]);
		expect(recorded).toEqual([1]);
	});
});
