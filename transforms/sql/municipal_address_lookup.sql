-- Address -> buurt through the postcode-huisnummer table of the year chosen for each row.
-- Inputs (registered relations):
--   addresses(row_id, cw_year, postcode, huisnummer)            rows that carry an address
--   crosswalk(year, postcode, huisnummer, buurt_code, wijk_code)
-- One row per address row; buurt_code NULL when the table does not list the address. Should
-- the table list it twice, the lowest buurt code wins (deterministic).
SELECT a.row_id,
       min(c.buurt_code) AS buurt_code,
       arg_min(c.wijk_code, c.buurt_code) AS wijk_code
FROM addresses a
LEFT JOIN crosswalk c
       ON c.year = a.cw_year AND c.postcode = a.postcode AND c.huisnummer = a.huisnummer
GROUP BY a.row_id
