import { describe, expect, it } from 'vitest';
import { latestDue, parseCron } from '../../extensions/segmentation/src/core/cron.ts';

const due = (expr: string, now: string) => latestDue(expr, new Date(now)).toISOString();

describe('cron', () => {
	it('finds the latest due time at or before now, in UTC', () => {
		expect(due('0 3 * * *', '2026-03-02T03:00:00.400Z')).toBe('2026-03-02T03:00:00.000Z'); // due this very minute
		expect(due('0 3 * * *', '2026-03-02T02:59:59Z')).toBe('2026-03-01T03:00:00.000Z');
		expect(due('0 3 * * *', '2026-03-02T09:30:00Z')).toBe('2026-03-02T03:00:00.000Z'); // a missed run is still due
		expect(due('*/15 * * * *', '2026-03-02T10:46:00Z')).toBe('2026-03-02T10:45:00.000Z');
		expect(due('0 1-4 * * 1-5', '2026-03-02T03:10:00Z')).toBe('2026-03-02T03:00:00.000Z'); // Monday
		expect(due('0 3 * * 0,6', '2026-03-02T03:00:00Z')).toBe('2026-03-01T03:00:00.000Z'); // last Sunday
		expect(due('0 3 * * 7', '2026-03-01T04:00:00Z')).toBe('2026-03-01T03:00:00.000Z'); // 7 = Sunday
	});

	it('accepts day-of-month or day-of-week when both are restricted, as standard cron does', () => {
		// the 1st of the month or any Monday: Monday 9 March comes after Sunday 1 March
		expect(due('0 3 1 * 1', '2026-03-10T00:00:00Z')).toBe('2026-03-09T03:00:00.000Z');
		expect(due('0 3 1 * 1', '2026-03-02T00:00:00Z')).toBe('2026-03-01T03:00:00.000Z');
	});

	it('says what is wrong', () => {
		expect(() => parseCron('0 3 * *')).toThrow(/5 fields/);
		expect(() => parseCron('0 0 3 * * *')).toThrow(/5 fields/);
		expect(() => parseCron('61 3 * * *')).toThrow(/minute "61"/);
		expect(() => parseCron('0 x * * *')).toThrow(/hour "x"/);
	});
});
