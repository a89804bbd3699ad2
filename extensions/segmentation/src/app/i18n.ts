// Interface strings in English and Russian; the App's language picks one (fallback English).
export const messages = {
	en: {
		title: 'Segmentation',
		status: 'Status',
		installed: 'Installed',
		notInstalled: 'Not installed',
		schemaVersion: 'Schema version',
		mapping: 'Client base mapping',
		mappingOk: 'The mapping matches the live schema',
		mappingBad: 'The mapping does not match the live schema',
		clients: 'Clients',
		deals: 'Deals',
		wonDeals: 'Won deals',
		openSettings: 'Edit settings',
		loading: 'Loading…',
		loadFailed: 'Could not load the status',
		role: 'Role',
		collection: 'Collection / field / value',
		notSet: 'not used',
		engine: 'Behaviour engine',
		recomputeNow: 'Recompute now',
		recomputing: 'Recomputing every client…',
		lastRuns: 'Recent runs',
		started: 'Started',
		trigger: 'Trigger',
		runStatus: 'Status',
		scored: 'Scored',
		changed: 'Changed',
		skippedDeals: 'Skipped deals',
		duration: 'Duration',
		noRuns: 'No run yet: the first one starts with Directus or on the first deal change.',
		recomputeDone: 'Recomputed',
		busy: 'Another recompute is running; try again in a moment.',
	},
	ru: {
		title: 'Сегментация',
		status: 'Состояние',
		installed: 'Установлено',
		notInstalled: 'Не установлено',
		schemaVersion: 'Версия схемы',
		mapping: 'Соответствие клиентской базы',
		mappingOk: 'Соответствие совпадает с текущей схемой',
		mappingBad: 'Соответствие не совпадает с текущей схемой',
		clients: 'Клиенты',
		deals: 'Сделки',
		wonDeals: 'Выигранные сделки',
		openSettings: 'Изменить настройки',
		loading: 'Загрузка…',
		loadFailed: 'Не удалось загрузить состояние',
		role: 'Роль',
		collection: 'Коллекция / поле / значение',
		notSet: 'не используется',
		engine: 'Расчёт поведения',
		recomputeNow: 'Пересчитать сейчас',
		recomputing: 'Пересчитываем всех клиентов…',
		lastRuns: 'Последние запуски',
		started: 'Начало',
		trigger: 'Запуск',
		runStatus: 'Статус',
		scored: 'Оценено',
		changed: 'Изменено',
		skippedDeals: 'Пропущено сделок',
		duration: 'Длительность',
		noRuns: 'Запусков ещё не было: первый начнётся со стартом Directus или при первом изменении сделки.',
		recomputeDone: 'Пересчитано',
		busy: 'Уже идёт другой пересчёт; повторите чуть позже.',
	},
} as const;


export { ROLE_LABELS as roleLabels } from '../core/mapping-labels';

export type MessageKey = keyof (typeof messages)['en'];

export function languageOf(language: string | null | undefined): 'en' | 'ru' {
	return (language ?? '').toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

export function translator(language: string | null | undefined) {
	const lang = languageOf(language);
	return (key: MessageKey) => messages[lang][key];
}
