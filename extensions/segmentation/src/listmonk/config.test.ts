// LISTMONK_* from an env record: not configured, half configured (named), invalid (named, never the token), and a
// config whose token no serialisation shows.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { listAdminUrl, ListmonkConfigError, publicListmonkUrl, readListmonkConfig } from './config.ts';

const TOKEN = 'tok-3f9a1c7e5b2d4f6a8c0e';
const full = { LISTMONK_URL: 'http://listmonk.local:9000', LISTMONK_API_USER: 'sync', LISTMONK_API_TOKEN: TOKEN };

describe('readListmonkConfig', () => {
	it('is null when none of the three is set (empty or blank counts as unset)', () => {
		expect(readListmonkConfig({})).toBeNull();
		expect(readListmonkConfig({ LISTMONK_URL: '', LISTMONK_API_USER: '  ', OTHER: 'x' })).toBeNull();
	});

	it('reads a full configuration, without a trailing slash or /api', () => {
		expect(readListmonkConfig(full)).toEqual({ url: 'http://listmonk.local:9000', user: 'sync' });
		expect(readListmonkConfig(full)?.token).toBe(TOKEN);
		expect(readListmonkConfig({ ...full, LISTMONK_URL: 'https://example.com/listmonk/api/' })?.url).toBe('https://example.com/listmonk');
	});

	it('names the missing variables when only some are set', () => {
		expect(() => readListmonkConfig({ LISTMONK_URL: full.LISTMONK_URL, LISTMONK_API_USER: 'sync' })).toThrow(/LISTMONK_API_TOKEN is not set/);
		expect(() => readListmonkConfig({ LISTMONK_API_TOKEN: TOKEN })).toThrow(/LISTMONK_URL, LISTMONK_API_USER are not set/);
		expect(() => readListmonkConfig({ LISTMONK_API_TOKEN: TOKEN })).toThrow(ListmonkConfigError);
	});

	it('refuses a URL that is not http(s), and a user with a colon, without echoing the token', () => {
		for (const env of [
			{ ...full, LISTMONK_URL: 'ftp://listmonk.local' },
			{ ...full, LISTMONK_URL: 'listmonk.local:9000/x' },
			{ ...full, LISTMONK_URL: 'http://listmonk.local/?a=1' },
			{ ...full, LISTMONK_API_USER: 'sync:x' },
		]) {
			let error: unknown;
			try {
				readListmonkConfig(env);
			} catch (e) {
				error = e;
			}
			expect(error).toBeInstanceOf(ListmonkConfigError);
			expect(String((error as Error).message)).toMatch(/LISTMONK_URL|LISTMONK_API_USER/);
			expect(String((error as Error).message)).not.toContain(TOKEN);
		}
	});

	it('keeps the token out of JSON, inspect, keys and spreads', () => {
		const config = readListmonkConfig(full)!;
		expect(JSON.stringify(config)).not.toContain(TOKEN);
		expect(inspect(config)).not.toContain(TOKEN);
		expect(Object.keys(config)).toEqual(['url', 'user']);
		expect(JSON.stringify({ ...config })).not.toContain(TOKEN);
	});

	it('links to a list under the address browsers use: LISTMONK_PUBLIC_URL when it is a web address, else the API one', () => {
		const config = readListmonkConfig(full)!;
		expect(publicListmonkUrl({ ...full, LISTMONK_PUBLIC_URL: 'https://lists.example.com/' }, config)).toBe('https://lists.example.com');
		expect(publicListmonkUrl({ ...full, LISTMONK_PUBLIC_URL: 'javascript:alert(1)' }, config)).toBe(config.url);
		expect(publicListmonkUrl(full, config)).toBe(config.url);
		expect(listAdminUrl('https://lists.example.com/', 12)).toBe('https://lists.example.com/admin/subscribers/lists/12');
	});
});
