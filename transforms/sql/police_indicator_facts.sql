-- Police-based indicator facts per area x year: yearly counts summed from the months, divided
-- by a CBS denominator of the same year. CBS areas (buurt, wijk, gemeente, NL00) use their own
-- published police count and their own CBS denominator; own areas (programme, focus) sum both
-- over their members. Inputs (registered relations):
--   police_months(area_code, code, year, month, count)   accepted month rows, count NULL = not published
--   police_terms(indicator_id, code, denominator_stem, scale)   which crime codes an indicator adds up
--   cbs_denominators(period_year, area_code, stem, value)        CBS figures, one row per area x year x stem
--   own_members(area_code, member_code)
--   years(period_year)                                           the configured years
-- A year counts 12 month rows per crime code; fewer -> `partial`. A present row with a NULL
-- count hides part of the sum -> 'bron geheim'. No police row at all, or no denominator row ->
-- 'geen bron dit jaar'.
WITH indicators AS (
    SELECT indicator_id,
           any_value(denominator_stem) AS denominator_stem,
           any_value(scale) AS scale,
           count(DISTINCT code) AS n_codes
    FROM police_terms
    GROUP BY indicator_id
),
months AS (
    SELECT m.* FROM police_months m JOIN years y ON y.period_year = m.year
    WHERE m.month BETWEEN 1 AND 12
),
area_years AS (  -- a CBS area counts in a year when the police table has it that year
    SELECT DISTINCT area_code, year AS period_year FROM months
),
police_cell AS (
    SELECT t.indicator_id, a.area_code, a.period_year,
           sum(m.count) AS num,
           count(m.month) AS rows_present,
           count(m.month) - count(m.count) AS rows_null
    FROM area_years a
    CROSS JOIN police_terms t
    LEFT JOIN months m
           ON m.area_code = a.area_code AND m.year = a.period_year AND m.code = t.code
    GROUP BY ALL
),
cell AS (  -- CBS areas: own police count, own denominator
    SELECT p.indicator_id, p.area_code, p.period_year, i.scale,
           p.num,
           p.rows_present > 0 AS police_present,
           p.rows_null > 0 AS secret,
           p.rows_present < 12 * i.n_codes AS partial,
           d.value AS den,
           d.area_code IS NOT NULL AS den_present,
           d.value IS NOT NULL AS den_known
    FROM police_cell p
    JOIN indicators i USING (indicator_id)
    LEFT JOIN cbs_denominators d
           ON d.period_year = p.period_year AND d.area_code = p.area_code
          AND d.stem = i.denominator_stem
),
own_cell AS (  -- own areas: numerators and denominators summed over every member
    SELECT m.area_code, y.period_year, i.indicator_id, i.scale,
           sum(c.num) AS num,
           count(c.area_code) = count(*) AND coalesce(bool_and(c.police_present), FALSE)
               AS police_present,
           coalesce(bool_or(c.secret), FALSE) AS secret,
           coalesce(bool_or(c.partial), FALSE) OR count(c.area_code) < count(*) AS partial,
           sum(c.den) AS den,
           count(c.area_code) = count(*) AND coalesce(bool_and(c.den_present), FALSE)
               AS den_present,
           coalesce(bool_and(c.den_known), FALSE) AS den_known
    FROM own_members m
    CROSS JOIN (SELECT DISTINCT period_year FROM area_years) y
    CROSS JOIN indicators i
    LEFT JOIN cell c
           ON c.area_code = m.member_code AND c.period_year = y.period_year
          AND c.indicator_id = i.indicator_id
    GROUP BY ALL
),
facts AS (
    SELECT indicator_id, area_code, period_year, scale, num, police_present, secret, partial,
           den, den_present, den_known
    FROM cell
    UNION ALL
    SELECT indicator_id, area_code, period_year, scale, num, police_present, secret, partial,
           den, den_present, den_known
    FROM own_cell
),
judged AS (
    SELECT *,
           CASE WHEN NOT police_present OR NOT den_present THEN 'geen bron dit jaar'
                WHEN secret OR NOT den_known THEN 'bron geheim'
                WHEN NOT den > 0 THEN 'niet te berekenen (noemer 0)'
           END AS suppression_reason,
           police_present AND den_present AND NOT secret AND den_known AS ok
    FROM facts
)
SELECT indicator_id, area_code, period_year,
       CASE WHEN suppression_reason IS NULL THEN num / den * scale END AS value,
       CASE WHEN ok THEN num END AS numerator,
       CASE WHEN ok THEN den END AS denominator,
       suppression_reason IS NOT NULL AS suppressed,
       suppression_reason,
       FALSE AS is_estimate,
       partial
FROM judged
ORDER BY indicator_id, area_code, period_year
