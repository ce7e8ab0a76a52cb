-- The CBS "Buurt, wijk en gemeente <jaar> voor postcode huisnummer" table as a lookup:
-- one row per year x postcode x huisnummer. Input (registered relation):
--   pc6(year, postcode, huisnummer, buurt_code, wijk_code)   accepted pc6_buurt rows
-- An address listed twice in a year with different buurten keeps the lowest buurt code, so the
-- lookup is deterministic whatever the order of the delivered file.
SELECT CAST(year AS BIGINT) AS year,
       postcode,
       CAST(huisnummer AS BIGINT) AS huisnummer,
       min(buurt_code) AS buurt_code,
       arg_min(wijk_code, buurt_code) AS wijk_code
FROM pc6
WHERE year IS NOT NULL AND postcode IS NOT NULL AND huisnummer IS NOT NULL
  AND buurt_code IS NOT NULL
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
