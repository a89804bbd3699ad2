// The client card panel's strings in English and Russian; the user's language picks one (fallback English). Numbers
// and dates are formatted with the user's locale (Intl), not here.

/** What each letter of an A/B/C cell says (A = low … C = high); English as in the segment library's descriptions. */
export const LETTER_WORDS = {
	en: { R: ['long ago', 'a while ago', 'recently'], F: ['rarely', 'sometimes', 'often'], M: ['little', 'moderately', 'a lot'] },
	ru: { R: ['давно', 'какое-то время назад', 'недавно'], F: ['редко', 'иногда', 'часто'], M: ['мало', 'умеренно', 'много'] },
} as const;

export const messages = {
	en: {
		title: 'Client profile',
		loading: 'Loading the profile…',
		loadFailed: 'Could not load the profile',
		newItem: 'The profile appears once the client is saved.',
		noPermission: 'You may not read this client’s profile.',
		notFound: 'This client no longer exists.',
		rfmCell: 'RFM cell',
		notScored: 'No purchase yet: no RFM cell.',
		/** An A/B/C cell in words: {r}, {f}, {m} are the letters' meanings. */
		cellWords: 'bought {r}, {f}, {m}',
		recency: 'Recency',
		frequency: 'Frequency',
		monetary: 'Monetary',
		levelOf: '{level} of {levels}',
		levelsHint: 'higher = more recent, more often, more spent',
		namedSegment: 'Named segment',
		lifecycle: 'Lifecycle stage',
		since: 'since {date}',
		valueTier: 'Value tier',
		spendTrend: 'Spend trend',
		purchases: 'Purchases',
		spent: 'Monetary value',
		averageCheck: 'Average check',
		lastPurchase: 'Last purchase',
		nextPurchase: 'Next purchase due',
		dueIn: 'in {days} days',
		dueToday: 'today',
		overdue: '{days} days overdue',
		cycle: 'usual cycle {days} days',
		sleeping: 'Sleeping',
		sleepingHint: 'missed a repurchase cycle',
		awake: 'Not sleeping',
		segments: 'Segments',
		noSegments: 'Not in any segment.',
		segmentsHidden: 'Not shown: you may not read the segments.',
		inactive: 'inactive',
		enteredAt: 'since {date}',
		tags: 'Interest tags',
		noTags: 'No interest tags.',
		tagsHidden: 'Not shown: you may not read the tags.',
		expires: 'until {date}',
		expired: 'expired {date}',
		noExpiry: 'no expiry',
		byHand: 'by hand',
		fromPurchases: 'from purchases',
		listmonk: 'Listmonk',
		notSynced: 'Not synced yet',
		subscriber: 'subscriber #{id}',
		consent: 'Email consent',
		noConsent: 'No email consent',
		computedAt: 'Computed {date}',
		rawFields: 'The raw computed values stay below, for filtering.',
	},
	ru: {
		title: 'Профиль клиента',
		loading: 'Загружаем профиль…',
		loadFailed: 'Не удалось загрузить профиль',
		newItem: 'Профиль появится, когда клиент будет сохранён.',
		noPermission: 'У вас нет прав на просмотр профиля этого клиента.',
		notFound: 'Этого клиента больше нет.',
		rfmCell: 'Ячейка RFM',
		notScored: 'Покупок ещё не было: ячейки RFM нет.',
		cellWords: 'последняя покупка {r}, покупает {f}, тратит {m}',
		recency: 'Давность',
		frequency: 'Частота',
		monetary: 'Деньги',
		levelOf: '{level} из {levels}',
		levelsHint: 'больше = недавнее, чаще, больше потрачено',
		namedSegment: 'Сегмент RFM',
		lifecycle: 'Стадия',
		since: 'с {date}',
		valueTier: 'Ценность',
		spendTrend: 'Динамика трат',
		purchases: 'Покупок',
		spent: 'Денежная ценность',
		averageCheck: 'Средний чек',
		lastPurchase: 'Последняя покупка',
		nextPurchase: 'Ожидаемая покупка',
		dueIn: 'через {days} дн.',
		dueToday: 'сегодня',
		overdue: 'просрочена на {days} дн.',
		cycle: 'обычный цикл {days} дн.',
		sleeping: 'Спящий',
		sleepingHint: 'пропустил цикл покупки',
		awake: 'Не спящий',
		segments: 'Сегменты',
		noSegments: 'Ни в одном сегменте.',
		segmentsHidden: 'Не показаны: у вас нет прав на чтение сегментов.',
		inactive: 'выключен',
		enteredAt: 'с {date}',
		tags: 'Теги интересов',
		noTags: 'Тегов интересов нет.',
		tagsHidden: 'Не показаны: у вас нет прав на чтение тегов.',
		expires: 'до {date}',
		expired: 'истёк {date}',
		noExpiry: 'бессрочно',
		byHand: 'вручную',
		fromPurchases: 'из покупок',
		listmonk: 'Listmonk',
		notSynced: 'Ещё не синхронизирован',
		subscriber: 'подписчик №{id}',
		consent: 'Согласие на рассылку',
		noConsent: 'Нет согласия на рассылку',
		computedAt: 'Вычислено {date}',
		rawFields: 'Исходные вычисленные значения — ниже: по ним можно фильтровать.',
	},
} as const;

/** Value labels of the engine's and the sync's fields (as the field choices say them in English). */
export const VALUE_LABELS: Record<'lifecycle' | 'tier' | 'trend' | 'email', Record<string, { en: string; ru: string; color: string }>> = {
	lifecycle: {
		lead: { en: 'Lead', ru: 'Лид', color: '#A2B5CD' },
		in_selection: { en: 'In selection', ru: 'Выбирает', color: '#3399FF' },
		refused: { en: 'Refused', ru: 'Отказался', color: '#E35169' },
		uninterested: { en: 'Uninterested', ru: 'Не заинтересован', color: '#A2B5CD' },
		one_time: { en: 'One-time', ru: 'Разовый', color: '#FFA439' },
		returning: { en: 'Returning', ru: 'Вернувшийся', color: '#2ECDA7' },
		regular: { en: 'Regular', ru: 'Постоянный', color: '#00C897' },
	},
	tier: {
		vip: { en: 'VIP', ru: 'VIP', color: '#9C27B0' },
		regular: { en: 'Regular', ru: 'Обычный', color: '#2ECDA7' },
		difficult: { en: 'Difficult', ru: 'Сложный', color: '#E35169' },
	},
	trend: {
		declining: { en: 'Declining', ru: 'Снижается', color: '#E35169' },
		steady: { en: 'Steady', ru: 'Стабильно', color: '#A2B5CD' },
		rising: { en: 'Rising', ru: 'Растёт', color: '#2ECDA7' },
	},
	email: {
		subscribed: { en: 'Subscribed', ru: 'Подписан', color: '#2ECDA7' },
		partly_unsubscribed: { en: 'Unsubscribed from some lists', ru: 'Отписан от части списков', color: '#FFA439' },
		unsubscribed: { en: 'Unsubscribed', ru: 'Отписан', color: '#A2B5CD' },
		blocklisted: { en: 'Blocklisted', ru: 'В чёрном списке', color: '#E35169' },
		refused: { en: 'Address refused', ru: 'Адрес отклонён', color: '#E35169' },
	},
};

export type Lang = 'en' | 'ru';
export type MessageKey = keyof (typeof messages)['en'];

export function languageOf(language: string | null | undefined): Lang {
	return (language ?? '').toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

/** A message with its {placeholders} filled in. */
export function translator(lang: Lang) {
	return (key: MessageKey, values: Record<string, string | number> = {}) => messages[lang][key].replace(/\{(\w+)\}/g, (all, name: string) => (name in values ? String(values[name]) : all));
}

/** An A/B/C cell in words ("bought a while ago, often, a lot"), or null for another code. */
export function cellInWords(code: string | null, lang: Lang): string | null {
	if (!code || !/^[ABC]{3}$/.test(code)) return null;
	const words = LETTER_WORDS[lang];
	const index = (letter: string) => 'ABC'.indexOf(letter);
	return translator(lang)('cellWords', { r: words.R[index(code[0]!)]!, f: words.F[index(code[1]!)]!, m: words.M[index(code[2]!)]! });
}

/** A field value's label in the user's language (the raw value when unknown). */
export function valueLabel(kind: keyof typeof VALUE_LABELS, value: string | null, lang: Lang): { text: string; color: string } | null {
	if (value === null || value === '') return null;
	const known = VALUE_LABELS[kind][value];
	return known ? { text: known[lang], color: known.color } : { text: value, color: '#A2B5CD' };
}
