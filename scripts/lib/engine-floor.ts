// The benchmark's floor: ONE hand-written SQL statement per database that computes the same scores as the engine
// (default settings: A/B/C, monetary = sum, VIP top 10 %, 180-day trend, 60-day refusal, regular from 4) and
// writes them to every client — no stage table, no batching, no change detection. Default names only.
import type { Knex } from 'knex';

const DAY = 86_400_000;

function pgFloor(): string {
	return `
WITH won AS (
	SELECT client AS c, closed_at AS t, CAST(ROUND(amount * 100) AS BIGINT) AS cents
	FROM deals WHERE client IS NOT NULL AND status = 'won' AND amount >= 0 AND closed_at IS NOT NULL AND closed_at <= :asof
), gaps AS (
	SELECT c, t, cents, EXTRACT(EPOCH FROM t - LAG(t) OVER (PARTITION BY c ORDER BY t)) * 1000 AS gap FROM won
), f AS (
	SELECT c, COUNT(*) AS freq, SUM(cents) AS m, MIN(t) AS first, MAX(t) AS last,
		COALESCE(SUM(cents) FILTER (WHERE t > :recent), 0) AS recent,
		COALESCE(SUM(cents) FILTER (WHERE t > :prev AND t <= :recent), 0) AS previous,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS cyc
	FROM gaps GROUP BY c
), k AS (
	SELECT percentile_disc(ARRAY[1/3.0, 2/3.0]) WITHIN GROUP (ORDER BY FLOOR(EXTRACT(EPOCH FROM (:asof - last)) / 86400)) AS rc,
		percentile_disc(ARRAY[1/3.0, 2/3.0]) WITHIN GROUP (ORDER BY freq) AS fc,
		percentile_disc(ARRAY[1/3.0, 2/3.0]) WITHIN GROUP (ORDER BY m) AS mc,
		percentile_disc(0.9) WITHIN GROUP (ORDER BY m) AS vip,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY cyc) AS base_cyc
	FROM f
), o AS (
	SELECT client AS c, BOOL_OR(status = 'open' AND created_at > :fresh) AS fresh_open,
		BOOL_OR(status = 'lost' OR (status = 'open' AND (created_at IS NULL OR created_at <= :fresh))) AS refused,
		BOOL_OR(status = 'uninterested') AS unint
	FROM deals WHERE client IS NOT NULL AND status IN ('open', 'lost', 'uninterested') AND (created_at IS NULL OR created_at <= :asof) GROUP BY client
), s AS (
	SELECT cl.id, f.freq, f.m, f.first, f.last, f.recent, f.previous, o.fresh_open, o.refused, o.unint, cl.difficult, k.vip,
		COALESCE(f.cyc, k.base_cyc) AS cycle,
		3 - (CASE WHEN FLOOR(EXTRACT(EPOCH FROM (:asof - f.last)) / 86400) > k.rc[1] THEN 1 ELSE 0 END + CASE WHEN FLOOR(EXTRACT(EPOCH FROM (:asof - f.last)) / 86400) > k.rc[2] THEN 1 ELSE 0 END) AS r,
		1 + (CASE WHEN f.freq > k.fc[1] THEN 1 ELSE 0 END + CASE WHEN f.freq > k.fc[2] THEN 1 ELSE 0 END) AS ff,
		1 + (CASE WHEN f.m > k.mc[1] THEN 1 ELSE 0 END + CASE WHEN f.m > k.mc[2] THEN 1 ELSE 0 END) AS mm
	FROM clients cl CROSS JOIN k LEFT JOIN f ON f.c = cl.id LEFT JOIN o ON o.c = cl.id
), x AS (
	SELECT s.*, CASE WHEN s.freq IS NULL THEN NULL WHEN s.cycle IS NULL THEN FALSE ELSE EXTRACT(EPOCH FROM (:asof - s.last)) * 1000 > s.cycle END AS sleeping FROM s
)
UPDATE clients SET
	rfm_frequency = x.freq,
	rfm_monetary = x.m / 100.0,
	rfm_r = CASE WHEN x.freq IS NOT NULL THEN x.r END,
	rfm_f = CASE WHEN x.freq IS NOT NULL THEN x.ff END,
	rfm_m = CASE WHEN x.freq IS NOT NULL THEN x.mm END,
	rfm_code = CASE WHEN x.freq IS NOT NULL THEN (CASE x.r WHEN 1 THEN 'A' WHEN 2 THEN 'B' ELSE 'C' END) || (CASE x.ff WHEN 1 THEN 'A' WHEN 2 THEN 'B' ELSE 'C' END) || (CASE x.mm WHEN 1 THEN 'A' WHEN 2 THEN 'B' ELSE 'C' END) END,
	rfm_segment = CASE WHEN x.freq IS NULL THEN NULL
		WHEN x.r = 3 AND (x.ff + x.mm + 1) / 2 = 3 THEN 'Champions' WHEN x.r >= 2 AND (x.ff + x.mm + 1) / 2 >= 2 THEN 'Loyal'
		WHEN x.r = 3 THEN 'New' WHEN x.r = 2 THEN 'Need attention' WHEN (x.ff + x.mm + 1) / 2 = 3 THEN 'Can''t lose them'
		WHEN (x.ff + x.mm + 1) / 2 = 2 THEN 'At risk' ELSE 'Lost' END,
	first_purchase_at = x.first,
	last_purchase_at = x.last,
	avg_order_value = ROUND(CAST(x.m AS NUMERIC) / x.freq) / 100,
	purchase_cycle_days = CASE WHEN x.freq IS NOT NULL THEN x.cycle / ${DAY}.0 END,
	next_purchase_due_at = CASE WHEN x.freq IS NOT NULL THEN x.last + make_interval(secs => x.cycle / 1000) END,
	is_sleeping = x.sleeping,
	lifecycle_stage = CASE WHEN x.freq IS NULL THEN (CASE WHEN x.fresh_open THEN 'in_selection' WHEN x.refused THEN 'refused' WHEN x.unint THEN 'uninterested' ELSE 'lead' END)
		WHEN x.freq = 1 THEN 'one_time' WHEN x.freq >= 4 AND NOT x.sleeping THEN 'regular' ELSE 'returning' END,
	value_tier = CASE WHEN x.difficult THEN 'difficult' WHEN x.freq IS NULL THEN NULL WHEN x.m > x.vip THEN 'vip' ELSE 'regular' END,
	spend_trend = CASE WHEN x.freq IS NULL THEN NULL WHEN x.previous > 0 AND x.recent * 100 <= x.previous * 70 THEN 'declining' WHEN x.recent > 0 AND x.recent * 100 >= x.previous * 130 THEN 'rising' ELSE 'steady' END,
	rfm_computed_at = :asof
FROM x WHERE clients.id = x.id`;
}

function sqliteFloor(): string {
	return `
WITH won AS (
	SELECT client AS c, closed_at AS t, CAST(ROUND(amount * 100) AS INTEGER) AS cents
	FROM deals WHERE client IS NOT NULL AND status = 'won' AND amount >= 0 AND closed_at IS NOT NULL AND closed_at <= :asof
), gaps AS (
	SELECT c, t - LAG(t) OVER (PARTITION BY c ORDER BY t) AS gap FROM won
), gr AS (
	SELECT c, gap, ROW_NUMBER() OVER (PARTITION BY c ORDER BY gap) AS rn, COUNT(*) OVER (PARTITION BY c) AS n FROM gaps WHERE gap IS NOT NULL
), cyc AS (
	SELECT c, AVG(gap) AS cyc FROM gr WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2 GROUP BY c
), f AS (
	SELECT won.c, COUNT(*) AS freq, SUM(cents) AS m, MIN(t) AS first, MAX(t) AS last,
		COALESCE(SUM(cents) FILTER (WHERE t > :recent), 0) AS recent,
		COALESCE(SUM(cents) FILTER (WHERE t > :prev AND t <= :recent), 0) AS previous
	FROM won GROUP BY won.c
), ranked AS (
	SELECT f.*, cyc.cyc, CAST((:asof - last) / ${DAY} AS INTEGER) AS rec,
		ROW_NUMBER() OVER (ORDER BY freq) AS rf, ROW_NUMBER() OVER (ORDER BY m) AS rm, ROW_NUMBER() OVER (ORDER BY CAST((:asof - last) / ${DAY} AS INTEGER)) AS rr,
		COUNT(*) OVER () AS n
	FROM f LEFT JOIN cyc ON cyc.c = f.c
), cr AS (
	SELECT cyc, ROW_NUMBER() OVER (ORDER BY cyc) AS rn, COUNT(*) OVER () AS n FROM ranked WHERE cyc IS NOT NULL
), k AS (
	SELECT MAX(CASE WHEN rr = (n + 2) / 3 THEN rec END) AS r1, MAX(CASE WHEN rr = (2 * n + 2) / 3 THEN rec END) AS r2,
		MAX(CASE WHEN rf = (n + 2) / 3 THEN freq END) AS f1, MAX(CASE WHEN rf = (2 * n + 2) / 3 THEN freq END) AS f2,
		MAX(CASE WHEN rm = (n + 2) / 3 THEN m END) AS m1, MAX(CASE WHEN rm = (2 * n + 2) / 3 THEN m END) AS m2,
		MAX(CASE WHEN rm = (9 * n + 9) / 10 THEN m END) AS vip,
		(SELECT AVG(cyc) FROM cr WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2) AS base_cyc
	FROM ranked
), o AS (
	SELECT client AS c, MAX(status = 'open' AND created_at > :fresh) AS fresh_open,
		MAX(status = 'lost' OR (status = 'open' AND (created_at IS NULL OR created_at <= :fresh))) AS refused,
		MAX(status = 'uninterested') AS unint
	FROM deals WHERE client IS NOT NULL AND status IN ('open', 'lost', 'uninterested') AND (created_at IS NULL OR created_at <= :asof) GROUP BY client
), s AS (
	SELECT cl.id, r.freq, r.m, r.first, r.last, r.recent, r.previous, o.fresh_open, o.refused, o.unint, cl.difficult, k.vip,
		COALESCE(r.cyc, k.base_cyc) AS cycle,
		3 - ((r.rec > k.r1) + (r.rec > k.r2)) AS rr, 1 + ((r.freq > k.f1) + (r.freq > k.f2)) AS ff, 1 + ((r.m > k.m1) + (r.m > k.m2)) AS mm
	FROM clients cl CROSS JOIN k LEFT JOIN ranked r ON r.c = cl.id LEFT JOIN o ON o.c = cl.id
), x AS (
	SELECT s.*, CASE WHEN s.freq IS NULL THEN NULL WHEN s.cycle IS NULL THEN 0 ELSE (:asof - s.last) > s.cycle END AS sleeping FROM s
)
UPDATE clients SET
	rfm_frequency = x.freq,
	rfm_monetary = x.m / 100.0,
	rfm_r = CASE WHEN x.freq IS NOT NULL THEN x.rr END,
	rfm_f = CASE WHEN x.freq IS NOT NULL THEN x.ff END,
	rfm_m = CASE WHEN x.freq IS NOT NULL THEN x.mm END,
	rfm_code = CASE WHEN x.freq IS NOT NULL THEN substr('ABC', x.rr, 1) || substr('ABC', x.ff, 1) || substr('ABC', x.mm, 1) END,
	rfm_segment = CASE WHEN x.freq IS NULL THEN NULL
		WHEN x.rr = 3 AND (x.ff + x.mm + 1) / 2 = 3 THEN 'Champions' WHEN x.rr >= 2 AND (x.ff + x.mm + 1) / 2 >= 2 THEN 'Loyal'
		WHEN x.rr = 3 THEN 'New' WHEN x.rr = 2 THEN 'Need attention' WHEN (x.ff + x.mm + 1) / 2 = 3 THEN 'Can''t lose them'
		WHEN (x.ff + x.mm + 1) / 2 = 2 THEN 'At risk' ELSE 'Lost' END,
	first_purchase_at = x.first,
	last_purchase_at = x.last,
	avg_order_value = ROUND(x.m * 1.0 / x.freq) / 100.0,
	purchase_cycle_days = CASE WHEN x.freq IS NOT NULL THEN x.cycle / ${DAY}.0 END,
	next_purchase_due_at = CASE WHEN x.freq IS NOT NULL THEN x.last + CAST(x.cycle AS INTEGER) END,
	is_sleeping = x.sleeping,
	lifecycle_stage = CASE WHEN x.freq IS NULL THEN (CASE WHEN x.fresh_open THEN 'in_selection' WHEN x.refused THEN 'refused' WHEN x.unint THEN 'uninterested' ELSE 'lead' END)
		WHEN x.freq = 1 THEN 'one_time' WHEN x.freq >= 4 AND NOT x.sleeping THEN 'regular' ELSE 'returning' END,
	value_tier = CASE WHEN x.difficult THEN 'difficult' WHEN x.freq IS NULL THEN NULL WHEN x.m > x.vip THEN 'vip' ELSE 'regular' END,
	spend_trend = CASE WHEN x.freq IS NULL THEN NULL WHEN x.previous > 0 AND x.recent * 100 <= x.previous * 70 THEN 'declining' WHEN x.recent > 0 AND x.recent * 100 >= x.previous * 130 THEN 'rising' ELSE 'steady' END,
	rfm_computed_at = :asof
FROM x WHERE clients.id = x.id`;
}

export async function runFloor(knex: Knex, asOfMs: number): Promise<void> {
	const pg = knex.client.config.client === 'pg';
	const t = (ms: number) => (pg ? new Date(ms).toISOString() : ms);
	const bindings = { asof: t(asOfMs), recent: t(asOfMs - 180 * DAY), prev: t(asOfMs - 360 * DAY), fresh: t(asOfMs - 60 * DAY) };
	let sql = pg ? pgFloor() : sqliteFloor();
	if (pg) sql = sql.replace(/:(asof|recent|prev|fresh)\b/g, 'CAST(:$1 AS TIMESTAMPTZ)');
	await knex.raw(sql, bindings);
}
