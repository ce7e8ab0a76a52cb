-- Municipal figures are built from buurten: a restated wijk is the sum of its restated
-- reference buurten, not a restatement of its own with other weights. Otherwise the wijk and
-- its buurten would not add up, and disclosure control (which audits exactly those sums)
-- could not hold them together. Inputs: harmonised(...) the output of harmonise_facts.sql,
-- kinds(indicator_id, kind, scale, municipal).
WITH targets AS (
    SELECT h.indicator_id, h.area_code, h.period_year
    FROM harmonised h
    JOIN kinds k USING (indicator_id)
    WHERE k.municipal AND h.area_code LIKE 'WK%' AND h.estimate_method IS NOT NULL
      AND k.kind IN ('count', 'ratio')  -- a median is not a sum of its buurten
),
sums AS (
    SELECT t.indicator_id, t.area_code, t.period_year,
           count(b.area_code) AS n_parts,
           bool_or(b.suppressed) AS any_suppressed,
           sum(b.numerator) AS num, sum(b.denominator) AS den, sum(b.value) AS val
    FROM targets t
    JOIN harmonised b
      ON b.indicator_id = t.indicator_id AND b.period_year = t.period_year
     AND b.area_code LIKE 'BU%' AND 'WK' || substr(b.area_code, 3, 6) = t.area_code
    GROUP BY ALL
)
SELECT h.* REPLACE (
           CASE WHEN s.n_parts IS NULL OR s.any_suppressed THEN h.value
                WHEN k.kind = 'count' THEN s.val
                WHEN s.den > 0 THEN s.num / s.den * k.scale END AS value,
           CASE WHEN s.n_parts IS NULL OR s.any_suppressed THEN h.numerator
                WHEN k.kind = 'count' THEN coalesce(s.num, s.val) ELSE s.num END AS numerator,
           CASE WHEN s.n_parts IS NULL OR s.any_suppressed OR k.kind = 'count' THEN h.denominator
                ELSE s.den END AS denominator
       )
FROM harmonised h
JOIN kinds k USING (indicator_id)
LEFT JOIN sums s USING (indicator_id, area_code, period_year)
ORDER BY indicator_id, area_code, period_year
