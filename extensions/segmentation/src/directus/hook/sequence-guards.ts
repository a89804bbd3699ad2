// Promo sequence saves, checked before they are stored: what the launch writes dropped (a save can't set it), the
// name and steps checked (400 naming each problem), and a launched sequence's segment, code and steps kept as sent.
import type { Knex } from 'knex';
import { SEQUENCE_NAMES } from '../../core/base-names.ts';
import { checkSequencePayload, COMPUTED_SEQUENCE_FIELDS } from '../../core/sequence.ts';
import { InvalidSequenceError } from '../errors.ts';

type Payload = Record<string, unknown>;

export async function checkSequenceSave(payload: Payload, keys: unknown[] | null, trx: Knex): Promise<Payload> {
	const clean: Payload = Object.fromEntries(Object.entries(payload).filter(([key]) => !(COMPUTED_SEQUENCE_FIELDS as readonly string[]).includes(key)));
	const savedRows: Array<Payload | null> = keys?.length ? await trx(SEQUENCE_NAMES.sequences).whereIn('id', keys as number[]).select('*') : [null];
	const errors = new Set<string>();
	for (const saved of savedRows) for (const e of checkSequencePayload(clean, saved)) errors.add(e);
	if (errors.size) throw new InvalidSequenceError({ errors: [...errors] });
	return clean;
}
