-- Survey indicators: the values as the research bureau delivered them, for every area code in
-- the file (own areas included: a survey result cannot be summed from buurten). Inputs:
--   enquete(file, line, period, jaar, gebied_code, vraag, waarde, n_respondenten, ondergrens,
--           bovengrens)                  accepted rows of the current files (one per year)
--   deliveries(source, period)           the current delivery files
--   indicators(indicator_id, measure)    the catalogue's `delivered` indicators of enquete:
--                                        measure = the `vraag` that gives it
--   years(period_year)                   the configured years (may be empty)
-- Parameter: $min_respondenten (checks/deliveries/enquete.py).
-- Survey rules (sources.md): fewer respondents than the minimum is not published ('te weinig
-- respondenten'); a year between two surveys without one is 'niet gemeten' (a row without a
-- value, never zero); the bureau's interval is kept where it was given (ci_low, ci_high, only
-- for published values).
WITH surveyed AS (
    SELECT DISTINCT CAST(period AS INTEGER) AS period_year
    FROM deliveries
    WHERE source = 'enquete'
),
results AS (
    SELECT i.indicator_id, e.gebied_code AS area_code, CAST(e.jaar AS INTEGER) AS period_year,
           e.waarde, e.n_respondenten, e.ondergrens, e.bovengrens,
           e.n_respondenten < $min_respondenten AS too_few
    FROM enquete e
    JOIN indicators i ON i.measure = e.vraag
),
span AS (  -- the years from the first to the last survey, and every configured year
    SELECT unnest(generate_series(min(period_year), max(period_year))) AS period_year
    FROM surveyed
    UNION
    SELECT period_year FROM years
),
not_measured AS (
    SELECT r.indicator_id, r.area_code, s.period_year
    FROM (SELECT DISTINCT indicator_id, area_code FROM results) r
    CROSS JOIN span s
    WHERE s.period_year NOT IN (SELECT period_year FROM surveyed)
)
SELECT indicator_id, area_code, CAST(period_year AS BIGINT) AS period_year,
       CASE WHEN NOT too_few THEN waarde END AS value,
       CAST(NULL AS DOUBLE) AS numerator,
       CAST(NULL AS DOUBLE) AS denominator,
       too_few AS suppressed,
       CASE WHEN too_few THEN 'te weinig respondenten' END AS suppression_reason,
       FALSE AS is_estimate,
       FALSE AS partial,
       CASE WHEN NOT too_few THEN ondergrens END AS ci_low,
       CASE WHEN NOT too_few THEN bovengrens END AS ci_high
FROM results
UNION ALL
SELECT indicator_id, area_code, CAST(period_year AS BIGINT), NULL, NULL, NULL, TRUE,
       'niet gemeten', FALSE, FALSE, NULL, NULL
FROM not_measured
ORDER BY indicator_id, area_code, period_year
