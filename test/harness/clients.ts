// A client made through Directus's REST API (consenting to email), with won deals closed some days ago: what the
// hooks and the change queue see when a salesperson enters them.
import { expect } from 'vitest';
import type { TestDirectus } from './directus.ts';

const DAY = 86_400_000;

/** `deals`: [amount, days ago] of each won deal. Returns the client's id. */
export async function makeClientWithDeals(d: TestDirectus, name: string, deals: ReadonlyArray<readonly [number, number]>): Promise<number> {
	const res = await d.http('POST', '/items/clients', { name, email: `${name.toLowerCase().replace(/\W+/g, '.')}@example.com`, email_consent: true });
	expect(res.status, JSON.stringify(res.body)).toBe(200);
	const id = res.body.data.id as number;
	for (const [amount, daysAgo] of deals) {
		const deal = await d.http('POST', '/items/deals', { client: id, status: 'won', amount, closed_at: new Date(Date.now() - daysAgo * DAY).toISOString() });
		expect(deal.status, JSON.stringify(deal.body)).toBe(200);
	}
	return id;
}
