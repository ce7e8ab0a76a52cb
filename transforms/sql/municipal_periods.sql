-- Which periods each measure has figures for, and whether they are partial. Inputs:
--   deliveries(source, period)          current delivery files ('2023-12', '2022-2023')
--   measures(measure, source, period_rule)
--       'december'   only years with a December delivery (a snapshot on 31 December)
--       'months'     every year with a delivery; partial unless all 12 months are in
--       'schoolyear' every school year delivered (period_year = the year it starts)
--   units(measure, period_year, ...)    what was counted (a year with units but no delivery of
--                                       its own, e.g. an incident dated in December reported
--                                       in January's file, is kept as a partial year)
WITH source_years AS (
    SELECT source,
           CAST(substr(period, 1, 4) AS INTEGER) AS period_year,
           count(DISTINCT period) FILTER (WHERE length(period) = 7) AS months,
           bool_or(length(period) = 7 AND substr(period, 6, 2) = '12') AS has_december
    FROM deliveries
    GROUP BY ALL
),
measure_years AS (
    SELECT m.measure, m.period_rule, y.period_year, y.months, y.has_december
    FROM measures m
    JOIN source_years y ON y.source = m.source
    UNION ALL
    SELECT DISTINCT m.measure, m.period_rule, u.period_year, 0, FALSE
    FROM units u
    JOIN measures m ON m.measure = u.measure
    WHERE NOT EXISTS (
        SELECT 1 FROM source_years y WHERE y.source = m.source AND y.period_year = u.period_year
    )
)
SELECT measure, period_year,
       period_rule = 'months' AND months < 12 AS partial
FROM measure_years
WHERE period_rule <> 'december' OR has_december
