-- CBS-based indicator facts for every area x year: CBS areas as published, own areas
-- (programme, focus) summed from their member areas. Inputs (registered relations):
--   cbs_values(period_year, area_code, stem, value)  accepted figures, NULL = suppressed by CBS
--   cbs_present(period_year, stem)                  variables the year's table has at all
--   cbs_areas(period_year, area_code)               areas the year's table has
--   indicator_terms(indicator_id, formula, scale, role, stem)   role: num | den | val | w
--   own_members(area_code, member_code)             own areas and their CBS parts
WITH term_values AS (
    SELECT t.indicator_id, t.role, a.period_year, a.area_code,
           sum(v.value) AS total,
           count(v.value) = count(*) AS known,
           bool_and(p.stem IS NOT NULL) AS present
    FROM indicator_terms t
    CROSS JOIN cbs_areas a
    LEFT JOIN cbs_present p ON p.period_year = a.period_year AND p.stem = t.stem
    LEFT JOIN cbs_values v
           ON v.period_year = a.period_year AND v.area_code = a.area_code AND v.stem = t.stem
    GROUP BY ALL
),
cell AS (  -- one row per indicator x CBS area x year, roles side by side
    SELECT indicator_id, period_year, area_code,
           max(total) FILTER (WHERE role = 'num') AS num,
           bool_and(known) FILTER (WHERE role = 'num') AS num_known,
           bool_and(present) FILTER (WHERE role = 'num') AS num_present,
           max(total) FILTER (WHERE role = 'den') AS den,
           bool_and(known) FILTER (WHERE role = 'den') AS den_known,
           bool_and(present) FILTER (WHERE role = 'den') AS den_present,
           max(total) FILTER (WHERE role = 'val') AS val,
           bool_and(known) FILTER (WHERE role = 'val') AS val_known,
           bool_and(present) FILTER (WHERE role = 'val') AS val_present,
           max(total) FILTER (WHERE role = 'w') AS w,
           bool_and(known) FILTER (WHERE role = 'w') AS w_known,
           bool_and(present) FILTER (WHERE role = 'w') AS w_present
    FROM term_values
    GROUP BY ALL
),
own_cell AS (  -- own areas: numerators and denominators summed over the members
    SELECT c.indicator_id, c.period_year, m.area_code,
           sum(c.num) AS num, bool_and(c.num_known) AS num_known, bool_and(c.num_present) AS num_present,
           sum(c.den) AS den, bool_and(c.den_known) AS den_known, bool_and(c.den_present) AS den_present,
           -- a weighted CBS figure: sum(value x weight) / sum(weight)
           sum(c.val * c.w) AS val_w, sum(c.w) AS w,
           bool_and(c.val_known AND c.w_known) AS val_known,
           bool_and(c.val_present AND c.w_present) AS val_present
    FROM own_members m
    JOIN cell c ON c.area_code = m.member_code
    GROUP BY ALL
),
own_members_per_year AS (  -- per own area and year: are all its members in the year's table?
    SELECT m.area_code, y.period_year,
           count(*) AS n_members, count(a.area_code) AS found
    FROM own_members m
    CROSS JOIN (SELECT DISTINCT period_year FROM cbs_areas) y
    LEFT JOIN cbs_areas a ON a.area_code = m.member_code AND a.period_year = y.period_year
    GROUP BY ALL
),
facts AS (
    SELECT c.indicator_id, c.area_code, c.period_year, t.formula, t.scale, FALSE AS is_own,
           c.num, c.den, c.val, c.w,
           coalesce(c.num_known, TRUE) AND coalesce(c.den_known, TRUE)
               AND (t.formula <> 'weighted' OR c.val_known) AS known,
           coalesce(c.num_present, TRUE) AND coalesce(c.den_present, TRUE)
               AND (t.formula <> 'weighted' OR c.val_present) AS present,
           TRUE AS complete
    FROM cell c
    JOIN (SELECT DISTINCT indicator_id, formula, scale FROM indicator_terms) t USING (indicator_id)
    UNION ALL
    SELECT t.indicator_id, oy.area_code, oy.period_year, t.formula, t.scale, TRUE AS is_own,
           o.num, o.den,
           CASE WHEN o.w > 0 THEN o.val_w / o.w END AS val, o.w,
           coalesce(o.num_known, TRUE) AND coalesce(o.den_known, TRUE)
               AND (t.formula <> 'weighted' OR o.val_known) AS known,
           coalesce(o.num_present, TRUE) AND coalesce(o.den_present, TRUE)
               AND (t.formula <> 'weighted' OR o.val_present) AS present,
           oy.found = oy.n_members AS complete
    FROM own_members_per_year oy
    CROSS JOIN (SELECT DISTINCT indicator_id, formula, scale FROM indicator_terms) t
    LEFT JOIN own_cell o
           ON o.area_code = oy.area_code AND o.period_year = oy.period_year
          AND o.indicator_id = t.indicator_id
)
SELECT indicator_id, area_code, period_year,
       CASE WHEN NOT ok THEN NULL
            WHEN formula = 'count' THEN num
            WHEN formula = 'ratio' THEN CASE WHEN den > 0 THEN num / den * scale END
            WHEN formula = 'weighted' THEN val
       END AS value,
       CASE WHEN ok AND formula IN ('count', 'ratio') THEN num END AS numerator,
       CASE WHEN ok AND formula = 'ratio' THEN den
            WHEN ok AND formula = 'weighted' THEN w END AS denominator,
       NOT ok OR (formula = 'ratio' AND NOT den > 0) AS suppressed,
       CASE WHEN NOT complete OR NOT present THEN 'geen bron dit jaar'
            WHEN NOT known THEN 'bron geheim'
            WHEN formula = 'ratio' AND NOT den > 0 THEN 'niet te berekenen (noemer 0)'
       END AS suppression_reason,
       is_own AND formula = 'weighted' AS is_estimate
FROM (SELECT *, coalesce(complete AND present AND known, FALSE) AS ok FROM facts)
ORDER BY indicator_id, area_code, period_year
