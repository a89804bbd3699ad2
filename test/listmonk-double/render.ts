// A small stand-in for Go's text/template as tx templates use it: `{{ .Tx.Data.key }}`, `{{ .Subscriber.Name }}`,
// `{{ .Subscriber.Attribs.key }}`, trim markers `{{-`/`-}}`. Other actions render empty. Parse errors read like Go's.

export class TemplateError extends Error {}

/** Checks that every action is closed, as template.Parse would. */
export function compileTemplate(source: string, name: string): void {
	let line = 1;
	let i = 0;
	while (i < source.length) {
		const open = source.indexOf('{{', i);
		if (open < 0) return;
		line += (source.slice(i, open).match(/\n/g) ?? []).length;
		const close = source.indexOf('}}', open + 2);
		if (close < 0) throw new TemplateError(`template: ${name}:${line}: unclosed action`);
		line += (source.slice(open, close).match(/\n/g) ?? []).length;
		i = close + 2;
	}
}

function lookup(root: Record<string, unknown>, path: string[]): unknown {
	let v: unknown = root;
	for (const key of path) {
		if (v === null || typeof v !== 'object') return undefined;
		v = (v as Record<string, unknown>)[key];
	}
	return v;
}

/** Renders field actions against `data`; missing values print like Go's `<no value>` for maps, '' otherwise. */
export function renderTemplate(source: string, data: Record<string, unknown>, escapeHtml: boolean): string {
	return source.replace(/(\s*)\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}(\s*)/g, (_m, before: string, trimLeft: string, action: string, trimRight: string, after: string) => {
		let out = '';
		const field = /^\.([A-Za-z_][\w.]*)$/.exec(action.trim());
		if (field) {
			const value = lookup(data, field[1]!.split('.'));
			const text = value === undefined ? '<no value>' : value === null ? '<nil>' : typeof value === 'object' ? JSON.stringify(value) : String(value);
			out = escapeHtml ? text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;') : text;
		}
		return (trimLeft ? '' : before) + out + (trimRight ? '' : after);
	});
}
