import { describe, expect, it } from 'vitest';
import { cronMatches, parseCron } from '../../extensions/segmentation/src/core/cron.ts';

describe('cron', () => {
	it('matches daily, stepped, ranged and listed expressions in UTC', () => {
		const at = new Date('2026-03-02T03:00:00Z'); // a Monday
		expect(cronMatches(parseCron('0 3 * * *'), at)).toBe(true);
		expect(cronMatches(parseCron('0 3 * * *'), new Date('2026-03-02T03:01:00Z'))).toBe(false);
		expect(cronMatches(parseCron('*/15 * * * *'), new Date('2026-03-02T10:45:00Z'))).toBe(true);
		expect(cronMatches(parseCron('*/15 * * * *'), new Date('2026-03-02T10:46:00Z'))).toBe(false);
		expect(cronMatches(parseCron('0 1-4 * * 1-5'), at)).toBe(true);
		expect(cronMatches(parseCron('0 3 * * 0,6'), at)).toBe(false);
		expect(cronMatches(parseCron('0 3 * * 7'), new Date('2026-03-01T03:00:00Z'))).toBe(true); // 7 = Sunday
	});

	it('names the bad field', () => {
		expect(() => parseCron('0 3 * *')).toThrow(/5 fields/);
		expect(() => parseCron('61 3 * * *')).toThrow(/minute "61"/);
		expect(() => parseCron('0 x * * *')).toThrow(/hour "x"/);
	});
});
