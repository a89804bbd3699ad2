// Automation saves, checked before they are stored: the run's results dropped (the extension writes them), the fields
// checked (400 naming each problem), and a new wake-up automation without a segment aimed at the library's "Falling
// asleep".
import type { Knex } from 'knex';
import { AUTOMATION_NAMES } from '../../core/base-names.ts';
import { checkAutomationPayload, COMPUTED_AUTOMATION_FIELDS, DEFAULT_TARGET_TEMPLATE } from '../../core/automation.ts';
import { segmentOfTemplate } from '../../store/automations.ts';
import { InvalidAutomationError } from '../errors.ts';

type Payload = Record<string, unknown>;

export async function checkAutomationSave(payload: Payload, keys: unknown[] | null, trx: Knex): Promise<Payload> {
	const clean: Payload = Object.fromEntries(Object.entries(payload).filter(([key]) => !(COMPUTED_AUTOMATION_FIELDS as readonly string[]).includes(key)));
	// a refused-deal follow-up without a segment watches the whole base
	if (keys === null && (clean['segment'] === undefined || clean['segment'] === null) && (clean['trigger'] ?? 'sleeping') === 'sleeping') {
		const target = await segmentOfTemplate(trx, DEFAULT_TARGET_TEMPLATE);
		if (target !== null) clean['segment'] = target;
	}
	const savedRows: Array<Payload | null> = keys?.length ? await trx(AUTOMATION_NAMES.automations).whereIn('id', keys as number[]).select('*') : [null];
	const errors = new Set<string>();
	for (const saved of savedRows) for (const e of checkAutomationPayload(clean, saved)) errors.add(e);
	if (errors.size) throw new InvalidAutomationError({ errors: [...errors] });
	return clean;
}
