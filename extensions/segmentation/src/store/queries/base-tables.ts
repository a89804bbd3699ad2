// The tables and columns the set-based SQL reads, resolved once from a checked mapping as quoted identifiers
// (q() checks each again), plus the status values (bound, never spliced).
import { SEGMENT_NAMES } from '../../core/base-names.ts';
import type { Mapping } from '../../core/mapping.ts';
import { EVENTS_TABLE, STAGE_TABLE } from '../tables.ts';
import { ident, type Sql } from './sql.ts';

export interface BaseTables {
	clients: { table: Sql; id: Sql; difficult: Sql | null };
	deals: { table: Sql; id: Sql; client: Sql; status: Sql; amount: Sql; created: Sql; closed: Sql };
	items: { table: Sql; deal: Sql; product: Sql };
	products: { table: Sql; id: Sql; category: Sql };
	categories: { table: Sql; id: Sql; name: Sql; interestDays: Sql };
	tags: { table: Sql; id: Sql; name: Sql; category: Sql };
	clientTags: { table: Sql; client: Sql; tag: Sql; source: Sql; addedAt: Sql; expiresAt: Sql; deal: Sql };
	segments: { table: Sql; id: Sql; memberCount: Sql };
	members: { table: Sql; id: Sql; segment: Sql; client: Sql; enteredAt: Sql };
	events: Sql;
	stage: Sql;
	status: { won: string; lost: string; open: string; uninterested: string };
}

const cache = new WeakMap<Mapping, BaseTables>();

export function baseTables(m: Mapping): BaseTables {
	let t = cache.get(m);
	if (t) return t;
	const N = SEGMENT_NAMES;
	t = {
		clients: { table: ident(m.client_collection), id: ident('id'), difficult: m.client_difficult_field ? ident(m.client_difficult_field) : null },
		deals: {
			table: ident(m.deal_collection), id: ident('id'), client: ident(m.deal_client_field), status: ident(m.deal_status_field),
			amount: ident(m.deal_amount_field), created: ident(m.deal_created_field), closed: ident(m.deal_closed_field),
		},
		items: { table: ident(m.item_collection), deal: ident(m.item_deal_field), product: ident(m.item_product_field) },
		products: { table: ident(m.product_collection), id: ident('id'), category: ident(m.product_category_field) },
		categories: { table: ident(m.category_collection), id: ident('id'), name: ident('name'), interestDays: ident(m.category_interest_days_field) },
		tags: { table: ident(N.tags), id: ident('id'), name: ident('name'), category: ident('category') },
		clientTags: {
			table: ident(N.clientTags), client: ident('client'), tag: ident('tag'), source: ident('source'),
			addedAt: ident('added_at'), expiresAt: ident('expires_at'), deal: ident('deal'),
		},
		segments: { table: ident(N.segments), id: ident('id'), memberCount: ident('member_count') },
		members: { table: ident(N.members), id: ident('id'), segment: ident('segment'), client: ident('client'), enteredAt: ident('entered_at') },
		events: ident(EVENTS_TABLE),
		stage: ident(STAGE_TABLE),
		status: { won: m.deal_status_won, lost: m.deal_status_lost, open: m.deal_status_open, uninterested: m.deal_status_uninterested },
	};
	cache.set(m, t);
	return t;
}
