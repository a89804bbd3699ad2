// The secrets a test Directus was given (the Listmonk API token) must never come back out: not in a response, not in
// its log, not in a row of ours. Every suite's instance is watched, so a full test run checks every response and
// log line of the instances that had one.
import type { Knex } from 'knex';

/** Environment variables whose values are secrets. */
const SECRET_VARIABLES = ['LISTMONK_API_TOKEN'];

/** The secret values in an environment (empty ones are not secrets). */
export function secretsOf(env: Record<string, string | undefined>): string[] {
	return SECRET_VARIABLES.map((k) => env[k] ?? '').filter((v) => v.length >= 8);
}

/** Throws when the text carries one of the secrets, naming where (never the secret itself). */
export function assertNoSecret(where: string, text: string, secrets: Iterable<string>): void {
	for (const secret of secrets) {
		if (text.includes(secret)) throw new Error(`a secret (the value of ${SECRET_VARIABLES.join(' / ')}) leaked into ${where}`);
	}
}

/** Our tables and fields that keep text from Listmonk or from errors: none may hold a secret. */
const TEXT_COLUMNS: Array<[string, string]> = [
	['segmentation_sync_runs', 'error'],
	['segmentation_runs', 'error'],
	['segmentation_jobs', 'last_error'],
	['segmentation_listmonk_subscribers', 'last_error'],
	['segments', 'listmonk_sync_error'],
];

export async function assertNoSecretStored(knex: Knex, secrets: readonly string[]): Promise<void> {
	if (!secrets.length) return;
	for (const [table, column] of TEXT_COLUMNS) {
		if (!(await knex.schema.hasColumn(table, column).catch(() => false))) continue;
		for (const secret of secrets) {
			const found = await knex(table).where(column, 'like', `%${secret}%`).first(column);
			if (found) throw new Error(`a secret (the value of ${SECRET_VARIABLES.join(' / ')}) is stored in ${table}.${column}`);
		}
	}
}
