// Cron expressions of the settings (five fields, UTC), on cron-parser — the library Directus itself schedules with —
// so day-of-month and day-of-week follow standard cron (either matches when both are restricted).
import { CronExpressionParser } from 'cron-parser';

const FIELD_NAMES = ['minute', 'hour', 'day of month', 'month', 'day of week'];

/** Validates an expression; throws an Error naming the bad field. */
export function parseCron(expr: string): void {
	const fields = expr.trim().split(/\s+/);
	if (fields.length !== 5) throw new Error(`cron "${expr}" must have 5 fields (minute hour day month weekday), it has ${fields.length}`);
	fields.forEach((field, i) => {
		// each field alone (the others "*"), so the message can say which one is wrong
		const alone = FIELD_NAMES.map((_, j) => (j === i ? field : '*')).join(' ');
		try {
			CronExpressionParser.parse(alone, { tz: 'UTC' });
		} catch (error) {
			throw new Error(`cron ${FIELD_NAMES[i]} "${field}" is not valid: ${(error as Error).message}`);
		}
	});
	CronExpressionParser.parse(expr, { tz: 'UTC' });
}

/** The latest time at or before `now` the expression was due (whole minutes, UTC). */
export function latestDue(expr: string, now: Date): Date {
	parseCron(expr);
	// from the start of the next minute, the previous occurrence is the latest one at or before this minute
	const nextMinute = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000);
	return CronExpressionParser.parse(expr, { tz: 'UTC', currentDate: nextMinute }).prev().toDate();
}
