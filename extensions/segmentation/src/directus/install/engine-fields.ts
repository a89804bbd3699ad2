// Schema version 2: the behaviour engine's fields on the mapped client collection (read-only, grouped on the client
// card, each with a note a marketer understands) and its settings on the settings singleton.
import { DEFAULT_ENGINE_SETTINGS } from '../../core/engine-settings.ts';
import { t, type FieldSpec } from './blueprint.ts';

export const BEHAVIOUR_GROUP = 'behaviour';

const field = (name: string, type: string, en: string, ru: string, note: string, meta: Record<string, unknown> = {}, schema: Record<string, unknown> = {}): FieldSpec => ({
	field: name,
	type,
	meta: { readonly: true, group: BEHAVIOUR_GROUP, width: 'half', translations: t(en, ru), note, interface: 'input', ...meta },
	schema,
});
const when = (name: string, en: string, ru: string, note: string): FieldSpec =>
	field(name, 'timestamp', en, ru, note, { interface: 'datetime', display: 'datetime', display_options: { relative: true } });
const label = (name: string, en: string, ru: string, note: string, choices: Array<[string, string, string]>): FieldSpec =>
	field(name, 'string', en, ru, note, {
		interface: 'select-dropdown',
		options: { choices: choices.map(([value, text]) => ({ value, text })) },
		display: 'labels',
		display_options: { choices: choices.map(([value, text, background]) => ({ value, text, background, foreground: '#FFFFFF' })) },
	});

/** The engine's client fields, in card order. */
export function engineClientFields(): FieldSpec[] {
	return [
		{
			field: BEHAVIOUR_GROUP,
			type: 'alias',
			meta: {
				interface: 'group-detail',
				special: ['alias', 'no-data', 'group'],
				options: { start: 'open', headerIcon: 'insights' },
				width: 'full',
				translations: t('Behaviour (computed)', 'Поведение (вычисляется)'),
				note: 'Computed from won deals by the segmentation engine; read-only.',
			},
		},
		field('rfm_code', 'string', 'RFM cell', 'Ячейка RFM', 'Recency, frequency, money: A = low … C = high (or 1…5). CCC bought recently, often and a lot.', { display: 'formatted-value', display_options: { font: 'monospace', bold: true } }),
		field('rfm_segment', 'string', 'RFM segment', 'Сегмент RFM', 'Named group for this RFM cell (Champions, At risk, …); the names are editable in the settings.'),
		field('rfm_r', 'integer', 'R score', 'Оценка R', 'Recency score: higher = bought more recently than most clients.'),
		field('rfm_f', 'integer', 'F score', 'Оценка F', 'Frequency score: higher = more purchases than most clients.'),
		field('rfm_m', 'integer', 'M score', 'Оценка M', 'Monetary score: higher = spent more than most clients.'),
		field('rfm_frequency', 'integer', 'Purchases', 'Покупок', 'Number of won deals.'),
		field('rfm_monetary', 'decimal', 'Monetary value', 'Денежная ценность', 'Total spent on won deals (or the average check, as set in the settings).', { display: 'formatted-value', display_options: { format: true } }, { numeric_precision: 14, numeric_scale: 2 }),
		field('avg_order_value', 'decimal', 'Average check', 'Средний чек', 'Average amount of a won deal.', { display: 'formatted-value', display_options: { format: true } }, { numeric_precision: 14, numeric_scale: 2 }),
		when('first_purchase_at', 'First purchase', 'Первая покупка', 'When the first deal was won.'),
		when('last_purchase_at', 'Last purchase', 'Последняя покупка', 'When the last deal was won; shown as “N days ago”.'),
		field('purchase_cycle_days', 'float', 'Purchase cycle, days', 'Цикл покупки, дней', 'Usual days between purchases (median); one-time buyers get the base-wide cycle.', { display: 'formatted-value', display_options: { format: true } }),
		when('next_purchase_due_at', 'Next purchase due', 'Ожидаемая покупка', 'Last purchase + purchase cycle.'),
		field('is_sleeping', 'boolean', 'Sleeping', 'Спящий', 'Missed a repurchase cycle: more than one cycle has passed since the last purchase.', { interface: 'boolean', display: 'boolean', special: ['cast-boolean'] }, { is_nullable: true, default_value: null }),
		label('lifecycle_stage', 'Lifecycle stage', 'Стадия', 'Where the client stands: lead, in selection, refused, uninterested, one-time, returning, regular.', [
			['lead', 'Lead', '#A2B5CD'], ['in_selection', 'In selection', '#3399FF'], ['refused', 'Refused', '#E35169'], ['uninterested', 'Uninterested', '#A2B5CD'],
			['one_time', 'One-time', '#FFA439'], ['returning', 'Returning', '#2ECDA7'], ['regular', 'Regular', '#00C897'],
		]),
		when('lifecycle_changed_at', 'Stage since', 'Стадия с', 'When the lifecycle stage last changed.'),
		label('value_tier', 'Value tier', 'Ценность', 'VIP = top spenders; difficult = flagged by hand; regular = other buyers.', [
			['vip', 'VIP', '#9C27B0'], ['regular', 'Regular', '#2ECDA7'], ['difficult', 'Difficult', '#E35169'],
		]),
		label('spend_trend', 'Spend trend', 'Динамика трат', 'Spend in the last period vs the one before: declining / rising by 30 % or more, else steady.', [
			['declining', 'Declining', '#E35169'], ['steady', 'Steady', '#A2B5CD'], ['rising', 'Rising', '#2ECDA7'],
		]),
		when('rfm_computed_at', 'Computed', 'Вычислено', 'When these values last changed.'),
	];
}

const setting = (name: string, type: string, en: string, ru: string, note: string, meta: Record<string, unknown> = {}, schema: Record<string, unknown> = {}): FieldSpec => ({
	field: name,
	type,
	meta: { interface: 'input', width: 'half', translations: t(en, ru), note, ...meta },
	schema,
});

export function engineSettingsFields(): FieldSpec[] {
	return [
		{
			field: 'engine_divider',
			type: 'alias',
			meta: { interface: 'presentation-divider', special: ['alias', 'no-data'], options: { title: 'Behaviour engine', icon: 'insights' }, width: 'full' },
		},
		setting('rfm_scheme', 'string', 'RFM scheme', 'Схема RFM', 'abc: 27 cells AAA…CCC; quintile: scores 1–5 with named segments; thresholds: your own boundaries.', {
			interface: 'select-dropdown',
			options: { choices: [{ text: 'A/B/C (27 cells)', value: 'abc' }, { text: 'Quintiles 1–5', value: 'quintile' }, { text: 'My thresholds', value: 'thresholds' }] },
		}),
		setting('rfm_monetary_basis', 'string', 'Monetary = ', 'Денежная ценность = ', 'Total spent, or the average check.', {
			interface: 'select-dropdown',
			options: { choices: [{ text: 'Total spent', value: 'sum' }, { text: 'Average check', value: 'average' }] },
		}),
		setting('rfm_thresholds', 'json', 'Thresholds', 'Границы', 'For the thresholds scheme: upper bounds per level, e.g. {"recency":[30,90],"frequency":[2,5],"monetary":[100,500]}.', { interface: 'input-code', options: { language: 'JSON' }, width: 'full' }),
		setting('rfm_segment_maps', 'json', 'Named segments', 'Именованные сегменты', 'Per number of levels: rules {name, r:[min,max], fm:[min,max]}; the first match names the client.', { interface: 'input-code', options: { language: 'JSON' }, width: 'full' }),
		setting('default_cycle_days', 'float', 'Default purchase cycle, days', 'Цикл по умолчанию, дней', 'For one-time buyers; empty = the median cycle of the base.'),
		setting('sleeping_factor', 'float', 'Sleeping after × cycles', 'Спящий после × циклов', 'Sleeping = more than this many cycles since the last purchase.'),
		setting('refused_after_days', 'integer', 'Open deal lost after, days', 'Открытая сделка потеряна через, дней', 'An open deal untouched this long counts as refused.'),
		setting('regular_min_purchases', 'integer', 'Regular from N purchases', 'Постоянный от N покупок', 'Repeat buyers with at least this many purchases who are not sleeping.'),
		setting('vip_top_percent', 'float', 'VIP = top %', 'VIP = верхние %', 'Clients whose monetary value is in this top share.'),
		setting('trend_period_days', 'integer', 'Trend period, days', 'Период динамики, дней', 'Spend in the last period vs the one before.'),
		setting('trend_change_percent', 'float', 'Trend change, %', 'Изменение динамики, %', 'Declining / rising when spend changed by at least this much.'),
		setting('recompute_cron', 'string', 'Daily recompute (cron, UTC)', 'Ежедневный пересчёт (cron, UTC)', 'Five-field cron, e.g. "0 3 * * *"; empty = no schedule.'),
	];
}

/** Values the settings row starts with (JSON columns as objects: Directus serialises them). */
export function engineSettingsDefaults(): Record<string, unknown> {
	return { ...DEFAULT_ENGINE_SETTINGS };
}
