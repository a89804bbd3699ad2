// Deterministic demo data: a catalogue with categories of different interest lifetimes and a client base with
// many one-time buyers and a loyal head. Pure: the same seed, index and as-of date give the same rows anywhere.
import { Random } from './random.ts';

export const LEAD_SOURCES = [
	{ value: 'website_form', en: 'Website form', ru: 'Форма на сайте' },
	{ value: 'telegram_bot', en: 'Telegram bot', ru: 'Telegram-бот' },
	{ value: 'vk_group', en: 'VK group', ru: 'Группа ВКонтакте' },
	{ value: 'phone', en: 'Phone', ru: 'Телефон' },
	{ value: 'referral', en: 'Referral', ru: 'Рекомендация' },
	{ value: 'marketplace', en: 'Marketplace', ru: 'Маркетплейс' },
	{ value: 'other', en: 'Other', ru: 'Другое' },
] as const;

export const LOSS_REASONS = [
	{ value: 'price', en: 'Price', ru: 'Цена' },
	{ value: 'assortment', en: 'Assortment', ru: 'Ассортимент' },
	{ value: 'other', en: 'Other', ru: 'Другое' },
] as const;

export type DealStatus = 'open' | 'won' | 'lost' | 'uninterested';

export interface DemoCategory { id: number; name: string; interestDays: number | null }
export interface DemoProduct { id: number; name: string; sku: string; categoryId: number; price: number }
export interface DemoClient {
	id: number; name: string; email: string; phone: string; consent: boolean; leadSource: string; difficult: boolean; createdAt: Date;
}
export interface DemoDeal {
	id: number; clientId: number; status: DealStatus; amount: number; createdAt: Date; closedAt: Date | null;
	leadSource: string; promoCode: string | null; lossReason: string | null; note: string | null;
}
export interface DemoItem { id: number; dealId: number; productId: number; quantity: number; price: number }
export interface Catalog { categories: DemoCategory[]; products: DemoProduct[] }
export interface ClientBatch { clients: DemoClient[]; deals: DemoDeal[]; items: DemoItem[] }

const DAY_MS = 86_400_000;
const HISTORY_DAYS = 3 * 365;

// name, interest lifetime in days (null: never fades), price range, product nouns
const CATEGORY_SPECS: Array<[string, number | null, number, number, string[]]> = [
	['Kids', 1460, 15, 400, ['pram', 'car seat', 'cot', 'high chair', 'toy set', 'play mat', 'baby monitor']],
	['Kitchen furniture', 120, 150, 2500, ['kitchen cabinet', 'worktop', 'dining table', 'bar stool', 'pantry unit']],
	['Garden', 365, 10, 600, ['lawn mower', 'hose reel', 'planter', 'garden bench', 'pruning shears']],
	['Electronics', 730, 30, 1500, ['headphones', 'tablet', 'smart speaker', 'e-reader', 'action camera']],
	['Books', 90, 5, 60, ['novel', 'cookbook', 'atlas', 'biography', 'puzzle book']],
	['Clothing', 180, 10, 250, ['jacket', 'sweater', 'scarf', 'rain coat', 'sneakers']],
	['Beauty', 60, 5, 120, ['face cream', 'perfume', 'hair dryer', 'lip balm set', 'shampoo']],
	['Sports', 365, 10, 900, ['yoga mat', 'bicycle', 'tennis racket', 'dumbbells', 'running shoes']],
	['Home decor', 180, 8, 400, ['table lamp', 'cushion', 'wall clock', 'vase', 'rug']],
	['Pets', null, 5, 200, ['dog bed', 'cat tree', 'pet carrier', 'aquarium', 'leash']],
];
const ADJECTIVES = ['Classic', 'Compact', 'Deluxe', 'Eco', 'Premium', 'Basic', 'Nordic', 'Urban'];
const FIRST_NAMES = [
	'Anna', 'Ivan', 'Maria', 'Dmitry', 'Olga', 'Sergey', 'Elena', 'Alexei', 'Natalia', 'Pavel', 'Emma', 'James',
	'Olivia', 'Liam', 'Sophia', 'Noah', 'Irina', 'Mikhail', 'Tatiana', 'Andrei', 'Grace', 'Oscar', 'Mia', 'Leo',
];
const LAST_NAMES = [
	'Ivanova', 'Petrov', 'Smirnova', 'Kuznetsov', 'Popova', 'Sokolov', 'Lebedeva', 'Novikov', 'Morozova', 'Volkov',
	'Smith', 'Jones', 'Taylor', 'Brown', 'Wilson', 'Evans', 'Thomas', 'Roberts', 'Walker', 'Wright',
];
/** The shared campaign codes demo deals carry (the seed also creates them as promo codes, so they redeem). */
export const DEMO_SHARED_CODES = [
	{ code: 'WELCOME10', percent: 10 },
	{ code: 'SPRING15', percent: 15 },
	{ code: 'SUMMER20', percent: 20 },
	{ code: 'BLACKFRIDAY', percent: 25 },
	{ code: 'LOYAL5', percent: 5 },
] as const;
const PROMO_CODES = DEMO_SHARED_CODES.map((c) => c.code);
const NOTES = ['Asked for delivery on a weekend', 'Wants an invoice for a company', 'Called twice before deciding', 'Compared with a competitor'];
const LEAD_WEIGHTS: Array<readonly [string, number]> = [
	['website_form', 34], ['telegram_bot', 14], ['vk_group', 12], ['phone', 14], ['referral', 10], ['marketplace', 12], ['other', 4],
];

export function generateCatalog(seed: number): Catalog {
	const rng = new Random(seed ^ 0x5eed);
	const categories: DemoCategory[] = [];
	const products: DemoProduct[] = [];
	CATEGORY_SPECS.forEach(([name, interestDays, minPrice, maxPrice, nouns], c) => {
		const categoryId = c + 1;
		categories.push({ id: categoryId, name, interestDays });
		for (const noun of nouns) {
			for (const adjective of [rng.pick(ADJECTIVES), rng.pick(ADJECTIVES)]) {
				const id = products.length + 1;
				const price = Math.round((minPrice + rng.float() * (maxPrice - minPrice)) * 100) / 100;
				products.push({ id, name: `${adjective} ${noun}`, sku: `DEMO-${String(id).padStart(5, '0')}`, categoryId, price });
			}
		}
	});
	return { categories, products };
}

export interface GenerateOptions {
	seed: number;
	asOf: Date;
	catalog: Catalog;
	/** First id of each kind: the batch continues where the base ends. */
	firstClientId: number;
	firstDealId: number;
	firstItemId: number;
}

/** Generates clients [from, to) of the base for this seed: each client draws from its own stream. */
export function generateClients(from: number, to: number, opts: GenerateOptions): ClientBatch {
	const batch: ClientBatch = { clients: [], deals: [], items: [] };
	let dealId = opts.firstDealId;
	let itemId = opts.firstItemId;
	const asOfMs = opts.asOf.getTime();
	for (let index = from; index < to; index++) {
		const rng = new Random(Math.imul(opts.seed, 0x2c1b3c6d) ^ (index * 0x297a2d39));
		const id = opts.firstClientId + index - from;
		const first = rng.pick(FIRST_NAMES);
		const last = rng.pick(LAST_NAMES);
		const createdAt = new Date(asOfMs - Math.floor(rng.float() * HISTORY_DAYS * DAY_MS) - 7 * DAY_MS);
		const leadSource = rng.weighted(LEAD_WEIGHTS);
		batch.clients.push({
			id,
			name: `${first} ${last}`,
			email: `${first}.${last}.${index + 1}@example.com`.toLowerCase(),
			phone: `+7 9${rng.int(10, 99)} ${rng.int(100, 999)}-${rng.int(10, 99)}-${rng.int(10, 99)}`,
			consent: rng.chance(0.85),
			leadSource,
			difficult: rng.chance(0.02),
			createdAt,
		});

		// heavy tail: ~5 % leads without deals, ~40 % a single deal, the rest log-normal (mean ≈ 16, capped)
		const kind = rng.float();
		const dealCount = kind < 0.05 ? 0 : kind < 0.45 ? 1 : Math.min(400, 2 + Math.floor(rng.logNormal(2.35, 1.0)));
		const span = asOfMs - createdAt.getTime();
		const activeUntil = rng.chance(0.4) ? createdAt.getTime() + rng.float() * span : asOfMs;
		const spendScale = rng.logNormal(0, 0.5);
		const times: number[] = [];
		for (let d = 0; d < dealCount; d++) times.push(createdAt.getTime() + rng.float() * (activeUntil - createdAt.getTime()));
		times.sort((a, b) => a - b);

		for (const t of times) {
			const ageDays = (asOfMs - t) / DAY_MS;
			const status: DealStatus =
				ageDays < 90 && rng.chance(0.3)
					? 'open'
					: rng.weighted<DealStatus>([['won', 80], ['lost', 13], ['uninterested', 7]]);
			const lines = rng.weighted([[1, 55], [2, 30], [3, 15]] as const);
			let amountCents = 0;
			const dealItems: DemoItem[] = [];
			for (let l = 0; l < lines; l++) {
				const product = rng.pick(opts.catalog.products);
				const quantity = rng.chance(0.8) ? 1 : rng.int(2, 4);
				const price = Math.round(product.price * (0.9 + rng.float() * 0.2) * spendScale * 100) / 100;
				amountCents += Math.round(price * 100) * quantity;
				if (status === 'won') dealItems.push({ id: itemId++, dealId, productId: product.id, quantity, price });
			}
			const createdMs = Math.floor(t);
			const closedAt = status === 'open' ? null : new Date(Math.min(asOfMs, createdMs + rng.int(0, 14) * DAY_MS + rng.int(0, DAY_MS - 1)));
			batch.deals.push({
				id: dealId,
				clientId: id,
				status,
				amount: amountCents / 100,
				createdAt: new Date(createdMs),
				closedAt,
				leadSource: rng.chance(0.8) ? leadSource : rng.weighted(LEAD_WEIGHTS),
				promoCode: rng.chance(0.12) ? rng.pick(PROMO_CODES) : null,
				lossReason: status === 'lost' ? rng.weighted([['price', 50], ['assortment', 30], ['other', 20]] as const) : null,
				note: rng.chance(0.05) ? rng.pick(NOTES) : null,
			});
			batch.items.push(...dealItems);
			dealId++;
		}
	}
	return batch;
}
