// Row counts of the mapped base, one aggregate each.
import type { Knex } from 'knex';
import type { Mapping } from '../core/mapping.ts';

export async function countBase(knex: Knex, m: Mapping): Promise<{ clients: number; deals: number; won_deals: number }> {
	const [clients] = await knex(m.client_collection).count({ n: '*' });
	const [deals] = await knex(m.deal_collection).count({ n: '*' });
	const [won] = await knex(m.deal_collection).where(m.deal_status_field, m.deal_status_won).count({ n: '*' });
	return { clients: Number(clients?.n ?? 0), deals: Number(deals?.n ?? 0), won_deals: Number(won?.n ?? 0) };
}
