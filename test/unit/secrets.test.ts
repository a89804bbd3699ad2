import { describe, expect, it } from 'vitest';
import { assertNoSecret, secretsOf } from '../harness/secrets.ts';

describe('the test harness secret guard', () => {
	it('takes the Listmonk token from an environment, ignoring empty or trivially short values', () => {
		expect(secretsOf({ LISTMONK_API_TOKEN: 'lm-token-123456', LISTMONK_API_USER: 'someone' })).toEqual(['lm-token-123456']);
		expect(secretsOf({ LISTMONK_API_TOKEN: '' })).toEqual([]);
		expect(secretsOf({})).toEqual([]);
	});

	it('throws when a text carries a secret, without repeating the secret', () => {
		expect(() => assertNoSecret('a response', '{"error":"token lm-token-123456 refused"}', ['lm-token-123456'])).toThrow(/leaked into a response/);
		const thrown = (() => {
			try {
				assertNoSecret('a response', 'lm-token-123456', ['lm-token-123456']);
				return null;
			} catch (error) {
				return error as Error;
			}
		})();
		expect(thrown?.message).toMatch(/leaked into a response/);
		expect(thrown?.message).not.toContain('lm-token-123456');
		expect(() => assertNoSecret('a log', 'all fine', ['lm-token-123456'])).not.toThrow();
	});
});
