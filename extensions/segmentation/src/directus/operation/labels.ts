// English and Russian labels for the Flow operations (App side). Directus translates an operation only through its
// own `$t:` keys (custom translations live in directus_translations, which the extension does not write), and an
// option form's `meta.translations` is ignored: v-form shows `field.name`. What it does do: on every change of the
// App's language it re-reads the operations (a deep clone, so getters run) after setting <html lang>, and it calls
// an `options` or `overview` function each time it shows them. So names are getters and forms are functions,
// both picking the language from <html lang>.

export interface Text {
	en: string;
	ru: string;
}

/** The App's language is Russian (ru, ru-RU): read from <html lang>, which Directus sets with its locale. */
export function isRussian(): boolean {
	return typeof document !== 'undefined' && /^ru(?:-|$)/i.test(document.documentElement?.lang ?? '');
}

export function tr(text: Text): string {
	return isRussian() ? text.ru : text.en;
}

/** A choice of a select-dropdown with its text in the App's language. */
export function choice(value: string, text: Text): { value: string; text: string } {
	return { value, text: tr(text) };
}

/** The note Directus puts under options that accept Flow data (templates). */
export const TEMPLATE_NOTE: Text = {
	en: 'A value, or a template such as {{$trigger.body.client}}.',
	ru: 'Значение или шаблон, например {{$trigger.body.client}}.',
};
