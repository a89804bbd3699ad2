import { describe, expect, it } from 'vitest';
import { parseVersion, supportsPatch, versionAtLeast } from './version.ts';

describe('Listmonk versions', () => {
	it('parses what /api/config reports', () => {
		expect(parseVersion('v6.2.0')).toEqual([6, 2, 0]);
		expect(parseVersion('v5.1.0-rc1')).toEqual([5, 1, 0]);
		expect(parseVersion('v6.2.0-3-g911e0b7')).toEqual([6, 2, 0]);
		expect(parseVersion('6.1')).toEqual([6, 1, 0]);
		expect(parseVersion('nightly')).toBeNull();
		expect(parseVersion(null)).toBeNull();
	});

	it('compares component by component', () => {
		expect(versionAtLeast([6, 1, 0], [6, 1, 0])).toBe(true);
		expect(versionAtLeast([10, 0, 0], [6, 1, 0])).toBe(true);
		expect(versionAtLeast([6, 0, 9], [6, 1, 0])).toBe(false);
	});

	it('has PATCH for subscribers from v6.1, unknown without a version', () => {
		expect(supportsPatch('v6.2.0')).toBe(true);
		expect(supportsPatch('v6.1.0')).toBe(true);
		expect(supportsPatch('v6.0.0')).toBe(false);
		expect(supportsPatch('v4.1.0')).toBe(false);
		expect(supportsPatch(null)).toBeNull();
	});
});
