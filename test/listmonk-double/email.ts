// listmonk's e-mail rules (utils.SanitizeEmail + importer.ValidateFields): trimmed, lower-cased, a bare RFC 5322
// addr-spec (no display name, no <...>, no quoted local part), ≤1000 bytes on create/import; the name defaults to the
// local part with dots as spaces, title-cased.
import { badRequest } from './errors.ts';

// Go's net/mail atext: printable ASCII except specials, and any non-ASCII rune
const ATEXT = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~\\u0080-\\uffff]";
const DOT_ATOM = `${ATEXT}+(?:\\.${ATEXT}+)*`;
const BARE_ADDRESS = new RegExp(`^${DOT_ATOM}@${DOT_ATOM}$`);

/** The canonical address, or 400 `Invalid email.` */
export function sanitizeEmail(raw: string): string {
	const email = raw.trim().toLowerCase();
	if (!BARE_ADDRESS.test(email)) throw badRequest('Invalid email.');
	return email;
}

/** importer.ValidateFields: length, address, and a name derived from the address when empty. */
export function validateSubscriberFields(rawEmail: string, rawName: string): { email: string; name: string } {
	if (Buffer.byteLength(rawEmail, 'utf8') > 1000) throw badRequest('Invalid email.');
	const email = sanitizeEmail(rawEmail);
	const name = rawName.trim();
	return { email, name: name === '' ? nameFromEmail(email) : name };
}

/** `john.doe@x` → `John Doe` (x/text cases.Title per whitespace-separated part). */
export function nameFromEmail(email: string): string {
	const local = email.split('@')[0]!.toLowerCase();
	return local
		.replace(/\./g, ' ')
		.split(/\s+/)
		.filter((p) => p !== '')
		.map((p) => p.replace(/(^|[^\p{L}\p{N}_'’])(\p{L})/gu, (_m, before: string, letter: string) => before + letter.toUpperCase()))
		.join(' ');
}
