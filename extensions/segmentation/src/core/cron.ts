// A five-field cron matcher (minute hour day-of-month month day-of-week, UTC): numbers, *, lists, ranges, steps.
// The scheduler ticks every minute and asks whether the marketer's expression matches, so a changed setting takes
// effect without a restart.

const FIELDS = [
	{ name: 'minute', min: 0, max: 59 },
	{ name: 'hour', min: 0, max: 23 },
	{ name: 'day of month', min: 1, max: 31 },
	{ name: 'month', min: 1, max: 12 },
	{ name: 'day of week', min: 0, max: 7 },
] as const;

export type CronSpec = Array<Set<number>>;

/** Parses an expression; throws an Error naming the bad field. */
export function parseCron(expr: string): CronSpec {
	const parts = expr.trim().split(/\s+/);
	if (parts.length !== 5) throw new Error(`cron "${expr}" must have 5 fields (minute hour day month weekday), it has ${parts.length}`);
	return parts.map((part, i) => {
		const { name, min, max } = FIELDS[i]!;
		const values = new Set<number>();
		for (const item of part.split(',')) {
			const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
			if (!m) throw new Error(`cron ${name} "${item}" is not a number, range, list or step`);
			const from = m[1] === '*' ? min : Number(m[2]);
			const to = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : from;
			const step = m[4] !== undefined ? Number(m[4]) : 1;
			if (from < min || to > max || from > to || step < 1) throw new Error(`cron ${name} "${item}" is outside ${min}-${max}`);
			for (let v = from; v <= to; v += step) values.add(i === 4 && v === 7 ? 0 : v);
		}
		return values;
	});
}

export function cronMatches(spec: CronSpec, at: Date): boolean {
	const [minute, hour, dom, month, dow] = spec as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
	return (
		minute.has(at.getUTCMinutes()) && hour.has(at.getUTCHours()) && dom.has(at.getUTCDate()) && month.has(at.getUTCMonth() + 1) && dow.has(at.getUTCDay())
	);
}
