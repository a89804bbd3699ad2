// The slice of Directus's extension context the adapters use. Hooks, endpoints and operations all receive it.
import type { Knex } from 'knex';
import type { SchemaOverview } from '@directus/types';

export type { SchemaOverview };

/** Directus's service classes; typed loosely because @directus/types declares them as generic constructors. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ServiceClass = new (...args: any[]) => any;

type ServiceName = 'AccessService' | 'ItemsService' | 'CollectionsService' | 'FieldsService' | 'RelationsService' | 'PoliciesService' | 'PermissionsService' | 'SettingsService' | 'UtilsService';

export interface DirectusContext {
	services: Record<ServiceName, ServiceClass>;
	database: Knex;
	getSchema: (options?: { database?: Knex }) => Promise<SchemaOverview>;
	env: Record<string, unknown>;
	logger: { info: (...a: unknown[]) => void; warn: (...a: unknown[]) => void; error: (...a: unknown[]) => void; debug: (...a: unknown[]) => void };
}
