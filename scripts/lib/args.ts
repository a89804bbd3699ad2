// Tiny flag parser for our scripts: --name value, --flag, and positional arguments.
export function parseArgs(argv: string[]): { flags: Record<string, string>; positional: string[] } {
	const flags: Record<string, string> = {};
	const positional: string[] = [];
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i]!;
		if (arg.startsWith('--')) {
			const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
			if (inline !== undefined) flags[name] = inline;
			else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) flags[name] = argv[++i]!;
			else flags[name] = 'true';
		} else positional.push(arg);
	}
	return { flags, positional };
}

export function intFlag(flags: Record<string, string>, name: string, fallback: number, min = 0): number {
	if (flags[name] === undefined) return fallback;
	const n = Number(flags[name]);
	if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${flags[name]}"`);
	return n;
}
