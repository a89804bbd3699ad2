// v13: the client profile panel on the client card — an alias field (no column) shown with the bundle's
// `segmentation-client-profile` interface: the RFM cell explained, named segment, lifecycle stage, value tier, next
// purchase, segments, interest tags and Listmonk status, read-only. It goes near the top of the form: right after
// the client's name and email (the mapped fields; on a base without them, first), ahead of the "Behaviour
// (computed)" group whose raw values stay below for filtering. Registers no collection.
import type { Knex } from 'knex';
import type { Mapping } from '../../../core/mapping.ts';
import { t, type FieldSpec } from '../blueprint.ts';
import { createField } from '../schema-steps.ts';
import type { Migration } from './migration.ts';

export const CLIENT_PROFILE_FIELD = 'client_profile';
export const CLIENT_PROFILE_INTERFACE = 'segmentation-client-profile';

export function clientProfileField(sort: number): FieldSpec {
	return {
		field: CLIENT_PROFILE_FIELD,
		type: 'alias',
		meta: {
			interface: CLIENT_PROFILE_INTERFACE,
			special: ['alias', 'no-data'],
			readonly: true,
			width: 'full',
			sort,
			translations: t('Client profile', 'Профиль клиента'),
			note: 'Read-only: what the segmentation knows about this client.',
		},
		schema: null,
	};
}

/**
 * The form position right after the mapped name and email fields among the top-level fields (1 when neither is
 * there), with every top-level field from that position on moved one down to make room.
 */
async function makeRoomAfterIdentity(knex: Knex, m: Mapping): Promise<number> {
	const topLevel: Array<{ field: string; sort: number | null }> = await knex('directus_fields').where({ collection: m.client_collection }).whereNull('group').select('field', 'sort');
	const identity = topLevel.filter((f) => f.field === m.client_name_field || f.field === m.client_email_field).map((f) => Number(f.sort ?? 0));
	const position = (identity.length ? Math.max(...identity) : 0) + 1;
	await knex('directus_fields').where({ collection: m.client_collection }).whereNull('group').where('sort', '>=', position).increment('sort', 1);
	return position;
}

export const clientProfileFieldMigration: Migration = {
	version: 13,
	name: 'client-profile-field',
	collections: () => [],
	async up(ctx, mapping) {
		const schema = await ctx.getSchema();
		if (schema.collections[mapping.client_collection]?.fields[CLIENT_PROFILE_FIELD]) return [];
		await createField(ctx, mapping.client_collection, clientProfileField(await makeRoomAfterIdentity(ctx.database, mapping)));
		return [];
	},
};
