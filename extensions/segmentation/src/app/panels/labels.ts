// Labels of the bundle's Insights panel types in English or Russian: the App's language, read from <html lang> as the
// Flow operations do (names are getters, option forms functions, so they follow a change of language).
export const isRussian = () => typeof document !== 'undefined' && /^ru(?:-|$)/i.test(document.documentElement?.lang ?? '');
export const tr = (en: string, russian: string) => (isRussian() ? russian : en);

export const segmentOption = () => ({
	field: 'segment',
	name: tr('Segment (id)', 'Сегмент (id)'),
	type: 'integer' as const,
	meta: { interface: 'input', width: 'half' as const, required: true, note: tr('The segment’s id: open it under Segments, the number in the address', 'Номер сегмента: откройте его в «Сегментах», число в адресе') },
});
