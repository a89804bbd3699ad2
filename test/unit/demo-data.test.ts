import { describe, expect, it } from 'vitest';
import { generateCatalog, generateClients } from '../../extensions/segmentation/src/core/demo-data.ts';
import { collectionBudgetProblem } from '../../extensions/segmentation/src/core/collection-budget.ts';
import { Random } from '../../extensions/segmentation/src/core/random.ts';

const asOf = new Date('2026-01-01T00:00:00Z');
const opts = (seed: number) => ({ seed, asOf, catalog: generateCatalog(seed), firstClientId: 1, firstDealId: 1, firstItemId: 1 });

describe('demo data', () => {
	it('is the same for the same seed whatever the batch size, and differs for another seed', () => {
		const whole = generateClients(0, 300, opts(5));
		const first = generateClients(0, 120, opts(5));
		const rest = generateClients(120, 300, { ...opts(5), firstClientId: 121, firstDealId: first.deals.length + 1, firstItemId: first.items.length + 1 });
		expect([...first.clients, ...rest.clients]).toEqual(whole.clients);
		expect([...first.deals, ...rest.deals]).toEqual(whole.deals);
		expect([...first.items, ...rest.items]).toEqual(whole.items);
		expect(generateClients(0, 300, opts(6)).clients).not.toEqual(whole.clients);
	});

	it('keeps every date inside the history and closes every non-open deal', () => {
		const { deals, clients } = generateClients(0, 500, opts(9));
		for (const d of deals) {
			expect(d.createdAt.getTime()).toBeLessThanOrEqual(asOf.getTime());
			if (d.status === 'open') expect(d.closedAt).toBeNull();
			else expect(d.closedAt!.getTime()).toBeGreaterThanOrEqual(d.createdAt.getTime());
			if (d.status === 'open') expect(asOf.getTime() - d.createdAt.getTime()).toBeLessThan(90 * 86_400_000);
		}
		expect(clients.some((c) => !c.consent)).toBe(true);
	});

	it('gives won deals items that add up to the amount', () => {
		const { deals, items } = generateClients(0, 200, opts(3));
		const byDeal = new Map<number, number>();
		for (const i of items) byDeal.set(i.dealId, (byDeal.get(i.dealId) ?? 0) + Math.round(i.price * 100) * i.quantity);
		for (const d of deals.filter((x) => x.status === 'won')) expect(byDeal.get(d.id)).toBe(Math.round(d.amount * 100));
		for (const d of deals.filter((x) => x.status !== 'won')) expect(byDeal.has(d.id)).toBe(false);
	});

	it('draws uniform floats and integers in range', () => {
		const r = new Random(1);
		let sum = 0;
		for (let k = 0; k < 10_000; k++) {
			const x = r.float();
			expect(x >= 0 && x < 1).toBe(true);
			sum += x;
			const n = r.int(3, 5);
			expect(n >= 3 && n <= 5).toBe(true);
		}
		expect(sum / 10_000).toBeGreaterThan(0.48);
		expect(sum / 10_000).toBeLessThan(0.52);
	});
});

describe('collection budget', () => {
	it('fits when there is room or a licence, and otherwise names limit, need and remedies', () => {
		expect(collectionBudgetProblem({ active: 19, toRegister: ['a', 'b', 'c', 'd', 'e', 'f'], limit: 25 })).toBeNull();
		expect(collectionBudgetProblem({ active: 24, toRegister: ['a', 'b'], limit: null })).toBeNull();
		expect(collectionBudgetProblem({ active: 30, toRegister: [], limit: 25 })).toBeNull();
		const problem = collectionBudgetProblem({ active: 22, toRegister: ['clients', 'deals', 'x', 'y', 'z', 'w'], limit: 25 });
		expect(problem).toMatch(/needs 6 new collection\(s\) \(clients, deals, x, y, z, w\)/);
		expect(problem).toMatch(/22 of the 25 collections .* \(3 free\)/);
		expect(problem).toMatch(/archiving or deleting 3 collection/);
		expect(problem).toMatch(/licence/);
	});
});
