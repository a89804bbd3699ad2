import { describe, expect, it } from 'vitest';
import { ruleInWords } from './rule-words.ts';

const labels: Record<string, string> = { rfm_code: 'RFM cell', lifecycle_stage: 'Lifecycle stage', deals: 'Deals', 'deals.loss_reason': 'Loss reason', email: 'Email' };
const label = (path: string[]) => labels[path.join('.')] ?? path.join('.');

describe('a rule in words', () => {
	it('reads conditions, groups and relations', () => {
		expect(ruleInWords({ _and: [{ rfm_code: { _eq: 'BCC' } }, { lifecycle_stage: { _in: ['regular', 'returning'] } }] }, 'en', label)).toBe('RFM cell equals BCC and Lifecycle stage is one of regular, returning');
		expect(ruleInWords({ _or: [{ rfm_code: { _eq: 'AAA' } }, { email: { _null: true } }] }, 'en', label)).toBe('RFM cell equals AAA or Email is empty');
		expect(ruleInWords({ deals: { _some: { loss_reason: { _eq: 'price' } } } }, 'en', label)).toBe('Deals has some where Loss reason equals price');
	});

	it('speaks Russian', () => {
		expect(ruleInWords({ _and: [{ rfm_code: { _eq: 'BCC' } }, { email: { _nnull: true } }] }, 'ru', label)).toBe('RFM cell равно BCC и Email заполнено');
	});

	it('says every client for an empty rule and reads $NOW', () => {
		expect(ruleInWords({}, 'en', label)).toBe('every client');
		expect(ruleInWords({ lifecycle_stage: { _gte: '$NOW(-30 days)' } }, 'en', label)).toBe('Lifecycle stage is at least now -30 days');
	});
});
