// Promo code saves, checked before they are stored: computed fields dropped, the fields checked (400 naming each
// problem), the match key kept next to the code, a code drawn when a create brings none, and a code already taken
// (in any letter case or spacing) refused by name rather than by the unique index's message.
import type { Knex } from 'knex';
import { PROMO_NAMES } from '../../core/base-names.ts';
import { checkPromoPayload, codeKey, COMPUTED_PROMO_FIELDS } from '../../core/promo-code.ts';
import { freshCodes } from '../../store/promo-codes.ts';
import { InvalidPromoCodeError } from '../errors.ts';

type Payload = Record<string, unknown>;

export async function checkPromoCodeSave(payload: Payload, keys: unknown[] | null, trx: Knex, user: string | null): Promise<Payload> {
	const clean: Payload = Object.fromEntries(Object.entries(payload).filter(([key]) => !(COMPUTED_PROMO_FIELDS as readonly string[]).includes(key)));
	const creating = keys === null;
	if (creating && (clean['code'] === undefined || clean['code'] === null || clean['code'] === '')) clean['code'] = freshCodes(1)[0];
	const savedRows: Array<Payload | null> = keys?.length ? await trx(PROMO_NAMES.codes).whereIn('id', keys as number[]).select('*') : [null];
	const errors = new Set<string>();
	for (const saved of savedRows) for (const e of checkPromoPayload(clean, saved)) errors.add(e);
	if ('code' in clean) {
		const key = codeKey(clean['code']);
		if (key === null) errors.add('code: use 3 to 64 letters and digits (spaces and dashes are ignored)');
		else if (keys && keys.length > 1) errors.add('code: one code can’t be given to several promo codes at once');
		else {
			const taken = await trx(PROMO_NAMES.codes).where({ code_key: key }).whereNotIn('id', (keys ?? []) as number[]).first('id');
			if (taken) errors.add(`code: “${String(clean['code']).trim()}” already exists (promo code ${taken.id})`);
			clean['code'] = String(clean['code']).trim().toUpperCase();
			clean['code_key'] = key;
		}
	}
	if (errors.size) throw new InvalidPromoCodeError({ errors: [...errors] });
	if (creating && !clean['issued_by']) clean['issued_by'] = user ? `user ${user}` : 'API';
	return clean;
}
