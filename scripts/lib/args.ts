// Command-line flags for our scripts, on node:util parseArgs with `strict`: every option is declared, so a typo
// (`--clientz 5`), a flag without its value or a stray argument stops the script before it writes anything —
// the hand-written parser this replaces took any `--name` and seeded 1,000 default clients on a typo.
import { parseArgs as nodeParseArgs, type ParseArgsOptionsConfig } from 'node:util';

export type Flags = Record<string, string | boolean | undefined>;
export type OptionSpec = ParseArgsOptionsConfig;

/** A wrong command line: the script prints it with its usage and exits 2, having written nothing. */
export class UsageError extends Error {}

/** Strictly parses `argv` against the declared options (`--help`/`-h` is always declared). */
export function parseArgs(argv: string[], options: OptionSpec, opts: { positionals?: number } = {}): { flags: Flags; positional: string[] } {
	const maxPositionals = opts.positionals ?? 0;
	const declared: OptionSpec = { help: { type: 'boolean', short: 'h' }, ...options };
	let parsed: { values: Flags; positionals: string[] };
	try {
		parsed = nodeParseArgs({ args: argv, options: declared, strict: true, allowPositionals: true }) as { values: Flags; positionals: string[] };
	} catch (error) {
		throw new UsageError(describeParseError(error as Error & { code?: string }, argv, declared));
	}
	if (parsed.positionals.length > maxPositionals) {
		const extra = parsed.positionals[maxPositionals]!;
		throw new UsageError(maxPositionals === 0 ? `unexpected argument "${extra}" (this script takes only --flags)` : `unexpected argument "${extra}" (at most ${maxPositionals} expected)`);
	}
	return { flags: parsed.values, positional: parsed.positionals };
}

/** node's messages name the internals ("To specify a positional argument starting with a '-' …"): say it plainly. */
function describeParseError(error: Error & { code?: string }, argv: string[], options: OptionSpec): string {
	const known = Object.keys(options);
	if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
		const flag = /'(-{1,2}[^'\s]+)'/.exec(error.message)?.[1] ?? argv.find((a) => a.startsWith('-')) ?? '';
		const name = flag.replace(/^-+/, '').split('=')[0]!;
		const near = closest(name, known);
		return `unknown option ${flag}${near ? ` (did you mean --${near}?)` : ''}; known options: ${known.map((k) => `--${k}`).join(', ')}`;
	}
	if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
		const name = /--([\w-]+)/.exec(error.message)?.[1];
		if (name && options[name]?.type === 'boolean') return `--${name} takes no value`;
		if (name) return `--${name} needs a value`;
	}
	return error.message;
}

function closest(name: string, candidates: string[]): string | null {
	let best: string | null = null;
	let bestDistance = Infinity;
	for (const c of candidates) {
		const d = editDistance(name, c);
		if (d < bestDistance) [best, bestDistance] = [c, d];
	}
	return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
	let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
	for (let i = 1; i <= a.length; i++) {
		const row = [i];
		for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
		prev = row;
	}
	return prev[b.length]!;
}

/**
 * The scripts' entry: parses and validates the command line (`read` turns flags into settings with intFlag & co);
 * on a wrong command line prints `<script>: <problem>` and the usage and exits 2; `--help` prints the usage, exits 0.
 */
export function cli<T>(script: string, usage: string, options: OptionSpec, read: (args: { flags: Flags; positional: string[] }) => T, opts: { positionals?: number; argv?: string[] } = {}): T {
	try {
		const args = parseArgs(opts.argv ?? process.argv.slice(2), options, opts);
		if (args.flags['help']) {
			console.log(usage);
			process.exit(0);
		}
		return read(args);
	} catch (error) {
		if (!(error instanceof UsageError)) throw error;
		console.error(`${script}: ${error.message}\n${usage}`);
		process.exit(2);
	}
}

export function intFlag(flags: Flags, name: string, fallback: number, min = 0): number {
	const value = flags[name];
	if (value === undefined) return fallback;
	const n = Number(value);
	if (typeof value !== 'string' || value.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${value}"`);
	return n;
}

/** A comma-separated list of integers, e.g. `--clients 100000,1000000`. */
export function intListFlag(flags: Flags, name: string, fallback: number[], min = 0): number[] {
	const value = flags[name];
	if (value === undefined) return fallback;
	return String(value).split(',').map((part) => intFlag({ [name]: part }, name, 0, min));
}

/** A comma-separated list of allowed words, e.g. `--db pg,sqlite`. */
export function listFlag<C extends string>(flags: Flags, name: string, fallback: C[], allowed: readonly C[]): C[] {
	const value = flags[name];
	if (value === undefined) return fallback;
	const parts = String(value).split(',').map((p) => p.trim());
	const wrong = parts.filter((p) => !(allowed as readonly string[]).includes(p));
	if (wrong.length || parts.length === 0) throw new UsageError(`--${name} takes ${allowed.join(' and/or ')} (comma-separated), got "${value}"`);
	return parts as C[];
}

/** One of a few words, e.g. `--db sqlite|pg`. */
export function choiceFlag<C extends string>(flags: Flags, name: string, fallback: C, allowed: readonly C[]): C {
	const value = flags[name];
	if (value === undefined) return fallback;
	if (!(allowed as readonly string[]).includes(String(value))) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
	return value as C;
}

/** A date `YYYY-MM-DD` as midnight UTC. */
export function dateFlag(flags: Flags, name: string, fallback: () => Date): Date {
	const value = flags[name];
	if (value === undefined) return fallback();
	const date = /^\d{4}-\d{2}-\d{2}$/.test(String(value)) ? new Date(`${value}T00:00:00Z`) : new Date(NaN);
	if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) throw new UsageError(`--${name} must be a date like 2026-01-31, got "${value}"`);
	return date;
}
