// The Flow operations' option parsing: values typed in the Flow editor or rendered from templates, and the sentence
// each bad one fails with (what the Flow's log shows).
import { describe, expect, it } from 'vitest';
import { listMembershipOptions } from './list-membership-api.ts';
import { clientIds, parseOptions, positiveId } from './options.ts';
import { recomputeClientOptions } from './recompute-client-api.ts';
import { sendTxOptions } from './send-tx-api.ts';

const failure = (run: () => unknown) => {
	try {
		run();
	} catch (error) {
		return (error as Error).message;
	}
	throw new Error('expected a failure');
};

describe('Flow operation options', () => {
	it('reads one client id or a list of them, as a template may render it', () => {
		for (const [given, ids] of [
			[12, [12]],
			['12', [12]],
			[' 3, 1 ,3 ', [3, 1]],
			['1 2;3', [1, 2, 3]],
			['[4, "5"]', [4, 5]],
			[[6, '7', 6], [6, 7]],
		] as const) {
			expect(parseOptions(clientIds, given)).toEqual(ids);
		}
		expect(failure(() => parseOptions(clientIds, ''))).toBe('options: is required: a client id or a list of them');
		expect(failure(() => parseOptions(clientIds, 'nobody'))).toBe('0: "nobody" is not a number');
		expect(failure(() => parseOptions(clientIds, [1, -2]))).toBe('1: must be more than 0');
		expect(failure(() => parseOptions(clientIds, '[1,'))).toBe('options: "[1," is not a client id or a list of them');
		expect(failure(() => parseOptions(clientIds, { id: 1 }))).toBe('options: {"id":1} is not a client id or a list of them');
		expect(failure(() => parseOptions(clientIds, Array.from({ length: 10_001 }, (_, i) => i + 1)))).toBe('options: at most 10,000 clients at once');
	});

	it('reads ids typed as text and says what is wrong with a bad one', () => {
		expect(parseOptions(positiveId, ' 42 ')).toBe(42);
		expect(failure(() => parseOptions(positiveId, '0'))).toBe('options: must be more than 0');
		expect(failure(() => parseOptions(positiveId, '4.5'))).toBe('options: must be a whole number');
	});

	it('reads the transactional message: messenger email by default, data as an object or its JSON', () => {
		expect(parseOptions(sendTxOptions, { client: '7', template_id: 3, subject: '  ', data: '{"order": "A-1"}' })).toEqual({ client: 7, template_id: 3, messenger: 'email', subject: undefined, data: { order: 'A-1' } });
		expect(parseOptions(sendTxOptions, { client: 7, template_id: '3', messenger: 'sms', data: { a: 1 } })).toMatchObject({ messenger: 'sms', data: { a: 1 } });
		expect(failure(() => parseOptions(sendTxOptions, { client: 7, template_id: 3, data: '[1]' }))).toBe('data: must be a JSON object, e.g. {"order": "A-1001"}');
		expect(failure(() => parseOptions(sendTxOptions, { template_id: 'x' }))).toBe('client: is required; template_id: "x" is not a number');
	});

	it('reads a membership change (add by default) and a recompute (60 s by default)', () => {
		expect(parseOptions(listMembershipOptions, { clients: '1,2', list_id: '9' })).toEqual({ clients: [1, 2], list_id: 9, action: 'add' });
		expect(parseOptions(listMembershipOptions, { clients: 1, list_id: 9, action: ' Remove ' })).toMatchObject({ action: 'remove' });
		expect(failure(() => parseOptions(listMembershipOptions, { clients: 1, list_id: 9, action: 'subscribe' }))).toBe('action: "subscribe" is not an action: use add or remove');
		expect(parseOptions(recomputeClientOptions, { clients: '5' })).toEqual({ clients: [5], timeout_seconds: 60 });
		expect(failure(() => parseOptions(recomputeClientOptions, { clients: 5, timeout_seconds: '900' }))).toBe('timeout_seconds: at most 600 seconds');
	});
});
