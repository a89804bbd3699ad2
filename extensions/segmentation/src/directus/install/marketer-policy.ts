// The Marketer policy: App access, read on the client base, read + write on the settings, full control of tags,
// client tags, segments, (static) members, promo codes and automations. (Core tier refuses field-limited permissions, so the client
// card's tag editor, an update of the client, needs a policy that may update clients; marketers tag through Client
// tags.)
// Plain collection permissions only: Directus 12's Core tier ignores item-level permission rules.
// The installer never widens a policy beyond the client base (the five mapped collections) and the extension's own
// collections: a mapping naming a system collection is refused before (core/mapping.ts), and this is checked again
// here, so no path grants anything on `directus_*`.
import { AUTOMATION_NAMES, PROMO_NAMES, SEGMENT_NAMES, SEQUENCE_NAMES, SETTINGS_COLLECTION } from '../../core/base-names.ts';
import { reservedCollectionReason, type Mapping } from '../../core/mapping.ts';
import { readMeta, writeMeta } from '../../store/tables.ts';
import type { DirectusContext } from '../context.ts';

export const MARKETER_POLICY_NAME = 'Marketer';

type Action = 'create' | 'read' | 'update' | 'delete';

/** The collections the installer may grant on: the mapped client base and the extension's own collections. */
export function grantableCollections(m: Mapping): string[] {
	const base = [m.client_collection, m.deal_collection, m.item_collection, m.product_collection, m.category_collection].filter((c) => reservedCollectionReason(c) === null);
	return [...base, SETTINGS_COLLECTION, SEGMENT_NAMES.tags, SEGMENT_NAMES.clientTags, SEGMENT_NAMES.segments, SEGMENT_NAMES.members, PROMO_NAMES.codes, AUTOMATION_NAMES.automations, SEQUENCE_NAMES.sequences];
}

/** Refuses a grant outside the client base and our own collections, and any on a Directus system collection. */
export function assertGrantsWithinClientBase(m: Mapping, grants: ReadonlyArray<{ collection: string }>): void {
	const allowed = grantableCollections(m);
	const outside = [...new Set(grants.map((g) => g.collection).filter((c) => c.toLowerCase().startsWith('directus_') || !allowed.includes(c)))];
	if (outside.length) throw new Error(`The Marketer policy may only be granted the client base and the segmentation collections, not ${outside.map((c) => `"${c}"`).join(', ')}`);
}

export function marketerPermissions(m: Mapping): Array<{ collection: string; action: Action }> {
	const readOnly = [m.client_collection, m.deal_collection, m.item_collection, m.product_collection, m.category_collection];
	const readWrite = [SETTINGS_COLLECTION];
	const owned = [SEGMENT_NAMES.tags, SEGMENT_NAMES.clientTags, SEGMENT_NAMES.segments, SEGMENT_NAMES.members, PROMO_NAMES.codes, AUTOMATION_NAMES.automations, SEQUENCE_NAMES.sequences];
	return [
		...readOnly.map((collection) => ({ collection, action: 'read' as const })),
		...readWrite.flatMap((collection) => (['create', 'read', 'update'] as const).map((action) => ({ collection, action }))),
		...owned.flatMap((collection) => (['create', 'read', 'update', 'delete'] as const).map((action) => ({ collection, action }))),
	];
}

/** Creates the policy once (its id is remembered; a marketer may rename it) and adds any missing permission. */
export async function ensureMarketerPolicy(ctx: DirectusContext, mapping: Mapping): Promise<string> {
	const knex = ctx.database;
	let policyId = await readMeta(knex, 'marketer_policy_id');
	if (!policyId || !(await knex('directus_policies').where({ id: policyId }).first('id'))) {
		const policies = new ctx.services.PoliciesService({ schema: await ctx.getSchema(), knex });
		policyId = String(
			await policies.createOne({
				name: MARKETER_POLICY_NAME,
				icon: 'campaign',
				description: 'Segmentation: reads the client base, edits segments and segmentation settings',
				app_access: true,
				admin_access: false,
				enforce_tfa: false,
			}),
		);
		await writeMeta(knex, 'marketer_policy_id', policyId);
	}
	const existing: Array<{ collection: string; action: string }> = await knex('directus_permissions').where({ policy: policyId }).select('collection', 'action');
	const wanted = marketerPermissions(mapping);
	assertGrantsWithinClientBase(mapping, wanted);
	const missing = wanted.filter((p) => !existing.some((e) => e.collection === p.collection && e.action === p.action));
	// never granted by this installer (an admin may have added them on purpose): named, not removed
	const system = [...new Set(existing.filter((e) => String(e.collection).toLowerCase().startsWith('directus_')).map((e) => `${e.action} ${e.collection}`))];
	if (system.length) ctx.logger.warn(`[segmentation] the Marketer policy has permissions on Directus system collections (${system.join(', ')}): the extension never grants these; remove them unless an administrator added them on purpose`);
	if (missing.length) {
		const permissions = new ctx.services.PermissionsService({ schema: await ctx.getSchema(), knex });
		await permissions.createMany(missing.map((p) => ({ policy: policyId, ...p, fields: ['*'], permissions: {}, validation: {} })));
	}
	return policyId;
}
