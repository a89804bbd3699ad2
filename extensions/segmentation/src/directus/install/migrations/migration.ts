// One schema migration and the rules for running a list of them. `segmentation_meta.schema_version` holds the
// version of the last migration that finished; a start applies the later ones in order, recording each as soon as
// it succeeds, so a crash between two migrations resumes at the next one (and every step checks before it creates,
// so a crash inside one is repaired by running it again).
import type { Mapping } from '../../../core/mapping.ts';
import type { DirectusContext } from '../../context.ts';
import type { CollectionSpec } from '../blueprint.ts';

export interface Migration {
	/** Positive integer, strictly increasing along the list; stored as the schema version once `up` succeeded. */
	version: number;
	name: string;
	/** Collections it would register (those already present are skipped): the Core-tier budget check adds them up. */
	collections(mapping: Mapping): CollectionSpec[];
	/** Applies it idempotently; returns the collections it registered. */
	up(ctx: DirectusContext, mapping: Mapping): Promise<string[]>;
}

/** Problems with a migration list's order (a gap is fine; a repeat or a step back would skip or rerun work). */
export function migrationOrderProblems(list: readonly Pick<Migration, 'version' | 'name'>[]): string[] {
	const problems: string[] = [];
	list.forEach((m, i) => {
		if (!Number.isSafeInteger(m.version) || m.version < 1) problems.push(`${m.name}: version ${m.version} is not a positive integer`);
		const previous = list[i - 1];
		if (previous && m.version <= previous.version) problems.push(`${m.name}: version ${m.version} does not follow ${previous.name} (${previous.version})`);
	});
	return problems;
}

/** The migrations a base at schema version `applied` still needs, in list order. */
export function pendingMigrations<M extends Pick<Migration, 'version'>>(list: readonly M[], applied: number): M[] {
	return list.filter((m) => m.version > applied);
}

/** The schema version a list brings a base to (0 for an empty list). */
export function latestVersion(list: readonly Pick<Migration, 'version'>[]): number {
	return list.at(-1)?.version ?? 0;
}

/**
 * Runs pending migrations one after the other, recording each version right after it succeeded; stops at the
 * first failure (that one and the rest run again on the next start). `beforeEach` may throw to stop early.
 * Returns the collections registered, in order.
 */
export async function applyInOrder<M extends Pick<Migration, 'version'>>(
	pending: readonly M[],
	apply: (migration: M) => Promise<string[]>,
	recordVersion: (version: number) => Promise<void>,
	beforeEach: (migration: M) => void = () => undefined,
): Promise<string[]> {
	const registered: string[] = [];
	for (const migration of pending) {
		beforeEach(migration);
		registered.push(...(await apply(migration)));
		await recordVersion(migration.version);
	}
	return registered;
}
