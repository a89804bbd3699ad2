// Time as Postgres hands it to listmonk: microsecond precision, rendered RFC3339 with a numeric offset.
// The clock never repeats a value, so "updated_at moved" is observable even for changes in the same millisecond.

let lastMicros = 0;

/** Microseconds since the epoch, strictly increasing across calls. */
export function nowMicros(): number {
	const wall = Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000);
	lastMicros = wall > lastMicros ? wall : lastMicros + 1;
	return lastMicros;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2020-02-10T23:07:16.199433+01:00` in the machine's time zone (the server's session time zone). */
export function formatTimestamp(micros: number): string {
	const date = new Date(Math.floor(micros / 1000));
	const offsetMinutes = -date.getTimezoneOffset();
	const local = new Date(date.getTime() + offsetMinutes * 60_000);
	const sign = offsetMinutes < 0 ? '-' : '+';
	const abs = Math.abs(offsetMinutes);
	const fraction = pad(((micros % 1_000_000) + 1_000_000) % 1_000_000, 6);
	return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${fraction}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Parses the timestamps Postgres accepts in a comparison (date, date-time, optional fraction and offset) to µs. */
export function parseTimestamp(text: string): number | null {
	const m = TIMESTAMP.exec(text.trim());
	if (!m) return null;
	const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
	let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
	if (Number.isNaN(ms)) return null;
	if (zone && zone.toUpperCase() !== 'Z') {
		const sign = zone.startsWith('-') ? -1 : 1;
		const digits = zone.slice(1).replace(':', '');
		ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0')) * 60_000;
	} else if (!zone) {
		// no offset: the server's local time zone
		ms += new Date(ms).getTimezoneOffset() * 60_000;
	}
	return ms * 1000 + Number(frac.padEnd(6, '0').slice(0, 6));
}
