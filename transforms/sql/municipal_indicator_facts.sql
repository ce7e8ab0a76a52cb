-- Municipal indicator facts for every buurt, wijk, the gemeente and the own areas x period.
-- Inputs (registered relations):
--   units(measure, period_year, unit_id, buurt_code, wijk_code, unit_value) municipal_units.sql
--   measure_periods(measure, period_year, partial)                 municipal_periods.sql
--   indicators(indicator_id, measure, den_kind, den_measure, scale, statistic)
--       statistic: 'count' (units counted) | 'median' (the median unit_value over the area)
--       den_kind: 'none' (a count) | 'measure' (another measure, same area and period)
--                 | 'cbs' (CBS figures, den_stems) | 'leerplichtigen'
--   den_stems(indicator_id, stem)                CBS stems summed into the denominator
--   buurten(geo_year, buurt_code, wijk_code)     buurten of the gemeente per boundary year
--   own_members(area_code, member_code)          own areas and their buurten / wijken
--   cbs_denominators(period_year, area_code, stem, value)   value NULL = secret (CBS)
--   leerplichtigen(schooljaar_start, gebied_code, aantal)
-- Parameter: $gemeente.
-- Counts of an area are counts of distinct units over its buurten (each unit has one buurt);
-- an area with no units in a delivered period gets 0. Denominators of CBS areas are the
-- figures CBS published for that area; own areas sum over their members.
WITH years AS (
    SELECT DISTINCT period_year FROM measure_periods
),
geo AS (  -- the boundary year used for a period year: itself, nearest earlier, else nearest later
    SELECT y.period_year,
           coalesce(max(b.geo_year) FILTER (WHERE b.geo_year <= y.period_year),
                    min(b.geo_year)) AS geo_year
    FROM years y
    CROSS JOIN (SELECT DISTINCT geo_year FROM buurten) b
    GROUP BY y.period_year
),
year_buurten AS (  -- buurten per period year: those of the boundary year, and any with units
    SELECT period_year, buurt_code, min(wijk_code) AS wijk_code
    FROM (
        SELECT g.period_year, b.buurt_code, b.wijk_code
        FROM geo g JOIN buurten b USING (geo_year)
        UNION ALL
        SELECT DISTINCT u.period_year, u.buurt_code, u.wijk_code
        FROM units u JOIN years USING (period_year)
    )
    GROUP BY ALL
),
area_buurt AS (  -- the buurten that make up each area, per period year
    SELECT period_year, buurt_code AS area_code, 'buurt' AS level, buurt_code FROM year_buurten
    UNION
    SELECT period_year, wijk_code, 'wijk', buurt_code FROM year_buurten
    UNION
    SELECT period_year, $gemeente, 'gemeente', buurt_code FROM year_buurten
    UNION  -- a wijk member means all its buurten; a buurt listed twice still counts once
    SELECT yb.period_year, m.area_code, 'eigen', yb.buurt_code
    FROM year_buurten yb
    JOIN own_members m ON m.member_code IN (yb.buurt_code, yb.wijk_code)
),
areas AS (
    SELECT DISTINCT period_year, area_code, level FROM area_buurt
    UNION
    SELECT period_year, $gemeente, 'gemeente' FROM years
    UNION
    SELECT y.period_year, m.area_code, 'eigen'
    FROM years y CROSS JOIN (SELECT DISTINCT area_code FROM own_members) m
),
own_parts AS (  -- an own area's members; a buurt whose wijk is a member too is inside it already
    SELECT DISTINCT m.area_code, m.member_code AS part_code
    FROM own_members m
    WHERE NOT (
        m.member_code LIKE 'BU%'
        AND EXISTS (
            SELECT 1 FROM own_members w
            WHERE w.area_code = m.area_code
              AND w.member_code = 'WK' || substr(m.member_code, 3, 6)
        )
    )
),
parts AS (  -- the areas whose published figures make up each area's denominator
    SELECT DISTINCT area_code, area_code AS part_code FROM areas WHERE level <> 'eigen'
    UNION ALL
    SELECT area_code, part_code FROM own_parts
),
counted AS (
    SELECT u.measure, u.period_year, ab.area_code, count(*) AS n,
           median(u.unit_value) AS med
    FROM units u
    JOIN area_buurt ab ON ab.period_year = u.period_year AND ab.buurt_code = u.buurt_code
    GROUP BY ALL
),
measure_counts AS (  -- every measure x delivered period x area, zero where nothing was counted
    SELECT mp.measure, mp.period_year, mp.partial, a.area_code, coalesce(c.n, 0) AS n, c.med
    FROM measure_periods mp
    JOIN areas a USING (period_year)
    LEFT JOIN counted c
           ON c.measure = mp.measure AND c.period_year = mp.period_year
          AND c.area_code = a.area_code
),
cbs_den AS (  -- every required stem of every part must be there (else no source) and known
    SELECT s.indicator_id, a.period_year, a.area_code,
           count(*) AS n_expected, count(v.stem) AS n_rows, count(v.value) AS n_known,
           sum(v.value) AS den
    FROM (SELECT DISTINCT period_year, area_code FROM areas) a
    JOIN parts p ON p.area_code = a.area_code
    CROSS JOIN den_stems s
    LEFT JOIN cbs_denominators v
           ON v.period_year = a.period_year AND v.area_code = p.part_code AND v.stem = s.stem
    GROUP BY ALL
),
lp AS (
    SELECT CAST(schooljaar_start AS INTEGER) AS period_year, gebied_code, sum(aantal) AS aantal
    FROM leerplichtigen
    GROUP BY ALL
),
lp_buurt AS (  -- as given; a buurt without a row has no denominator
    SELECT yb.period_year, yb.buurt_code, yb.wijk_code, lp.aantal
    FROM year_buurten yb
    LEFT JOIN lp ON lp.period_year = yb.period_year AND lp.gebied_code = yb.buurt_code
),
lp_wijk AS (  -- the wijk's own row, else the sum of its buurten if every one has a row
    SELECT w.period_year, w.wijk_code,
           coalesce(lp.aantal, CASE WHEN w.complete THEN w.buurt_sum END) AS aantal
    FROM (
        SELECT period_year, wijk_code, sum(aantal) AS buurt_sum,
               count(aantal) = count(*) AS complete
        FROM lp_buurt
        GROUP BY ALL
    ) w
    LEFT JOIN lp ON lp.period_year = w.period_year AND lp.gebied_code = w.wijk_code
),
lp_area AS (
    SELECT period_year, buurt_code AS area_code, aantal FROM lp_buurt
    UNION ALL
    SELECT period_year, wijk_code, aantal FROM lp_wijk
    UNION ALL
    SELECT period_year, $gemeente,
           CASE WHEN count(aantal) = count(*) THEN sum(aantal) END
    FROM lp_wijk
    GROUP BY period_year
),
lp_den AS (
    SELECT a.period_year, a.area_code,
           CASE WHEN count(l.aantal) = count(*) THEN sum(l.aantal) END AS den
    FROM (SELECT DISTINCT period_year, area_code FROM areas) a
    JOIN parts p ON p.area_code = a.area_code
    LEFT JOIN lp_area l ON l.period_year = a.period_year AND l.area_code = p.part_code
    GROUP BY ALL
),
facts AS (
    SELECT i.indicator_id, mc.area_code, mc.period_year, mc.partial, i.den_kind, i.scale,
           i.statistic, CAST(mc.med AS DOUBLE) AS med,
           CAST(mc.n AS DOUBLE) AS num,
           CAST(CASE i.den_kind
                    WHEN 'measure' THEN dm.n
                    WHEN 'cbs' THEN dc.den
                    WHEN 'leerplichtigen' THEN dl.den
                END AS DOUBLE) AS den,
           CASE i.den_kind
               WHEN 'cbs' THEN
                   CASE WHEN coalesce(dc.n_rows, 0) < coalesce(dc.n_expected, 1)
                            THEN 'geen bron dit jaar'
                        WHEN dc.n_known < dc.n_rows THEN 'bron geheim'
                   END
               WHEN 'leerplichtigen' THEN
                   CASE WHEN dl.den IS NULL THEN 'geen bron dit jaar' END
           END AS den_problem
    FROM indicators i
    JOIN measure_counts mc ON mc.measure = i.measure
    LEFT JOIN measure_counts dm
           ON i.den_kind = 'measure' AND dm.measure = i.den_measure
          AND dm.period_year = mc.period_year AND dm.area_code = mc.area_code
    LEFT JOIN cbs_den dc
           ON i.den_kind = 'cbs' AND dc.indicator_id = i.indicator_id
          AND dc.period_year = mc.period_year AND dc.area_code = mc.area_code
    LEFT JOIN lp_den dl
           ON i.den_kind = 'leerplichtigen'
          AND dl.period_year = mc.period_year AND dl.area_code = mc.area_code
),
judged AS (
    SELECT *,
           den_kind <> 'none' AND den_problem IS NULL AND NOT coalesce(den > 0, FALSE)
               AS den_zero,
           statistic = 'median' AND med IS NULL AS no_median
    FROM facts
)
SELECT indicator_id, area_code, CAST(period_year AS BIGINT) AS period_year,
       CASE WHEN den_problem IS NOT NULL OR den_zero THEN NULL
            WHEN statistic = 'median' THEN med
            WHEN den_kind = 'none' THEN num
            ELSE num / den * scale
       END AS value,
       CASE WHEN den_problem IS NULL THEN num END AS numerator,
       CASE WHEN den_problem IS NULL AND den_kind <> 'none' THEN den END AS denominator,
       den_problem IS NOT NULL OR den_zero OR no_median AS suppressed,
       coalesce(den_problem,
                CASE WHEN den_zero THEN 'niet te berekenen (noemer 0)'
                     WHEN no_median THEN 'niet te berekenen (niets afgehandeld)'
                END) AS suppression_reason,
       FALSE AS is_estimate,
       partial
FROM judged
ORDER BY indicator_id, area_code, period_year
