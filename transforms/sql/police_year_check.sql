-- Year rows (JJ00) of the police table, checked against the sum of their twelve months. Year
-- rows never fill gaps; they only show where the table disagrees with itself. Inputs:
--   police_rows(area_code, code, year, month, count)   accepted rows, month 0 = a JJ00 row
--   years(period_year)                                 the configured years
-- Compared only where all twelve months are present and published.
WITH month_sums AS (
    SELECT area_code, code, year,
           count(*) AS n_months, count(count) AS n_published, sum(count) AS month_sum
    FROM police_rows
    WHERE month BETWEEN 1 AND 12
    GROUP BY ALL
)
SELECT r.area_code, r.code, r.year,
       r.count AS year_count, s.month_sum
FROM police_rows r
JOIN years y ON y.period_year = r.year
JOIN month_sums s USING (area_code, code, year)
WHERE r.month = 0
  AND s.n_months = 12 AND s.n_published = 12
  AND r.count IS NOT NULL AND r.count <> s.month_sum
ORDER BY r.area_code, r.code, r.year
