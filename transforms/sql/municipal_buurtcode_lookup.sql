-- A buurt code given by the supplier -> the boundary year it is checked against.
-- Inputs (registered relations):
--   coded(row_id, row_year, buurt_code)     rows placed by their own buurt code
--   known(geo_year, buurt_code, wijk_code)  buurten of the gemeente per boundary year
-- Codes that no boundary year of the gemeente knows get no row. Of the years that know the
-- code: the row's own year, else the nearest earlier, else the nearest later one.
SELECT c.row_id, k.buurt_code, k.wijk_code, k.geo_year
FROM coded c
JOIN known k ON k.buurt_code = c.buurt_code
QUALIFY row_number() OVER (
    PARTITION BY c.row_id
    ORDER BY k.geo_year > c.row_year, abs(k.geo_year - c.row_year)
) = 1
