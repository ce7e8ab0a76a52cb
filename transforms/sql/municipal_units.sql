-- What each municipal indicator counts, one row per counted unit (person, pupil, report,
-- incident) per measure and period year, placed in exactly one buurt. Inputs (registered):
--   uitkeringen(period, file, line, client_id, regeling, ingangsdatum, einddatum, reden_einde,
--               buurt_code, wijk_code)                       placed rows of the current files
--   verzuim(period, file, line, schooljaar_start, melding_id, leerling_id, soort_verzuim,
--           buurt_code, wijk_code)
--   incidenten(period, file, line, incident_id, datum, categorie, buurt_code, wijk_code)
--   meldingen(period, file, line, melding_id, datum_melding, categorie, status,
--             datum_afgehandeld, buurt_code, wijk_code)   one row per melding_id already (the
--             latest delivery holding it: transforms/municipal.py latest_per_key)
-- Parameters: $bijstand_regeling, $langdurig_jaren, $reden_werk, $geen_melding (list),
--   $absoluut, $vsv, $overlast (list), $jeugdoverlast (list), $afval (list), $ongedierte
--   (list), $geannuleerd, $afgehandeld, $afhandeltermijn_dagen.
-- unit_value: what a `median` indicator takes the median of (doorlooptijd: days), else NULL.
-- A unit seen in several rows of a period (a person with two benefits, in two monthly
-- deliveries, or after a move) is placed by the row of its latest delivery period, ties by
-- the lowest line: so wijk, gemeente and own areas are sums of distinct units over buurten.
WITH uit AS (
    SELECT *,
           CAST(substr(period, 1, 4) AS INTEGER) AS py,
           CAST(substr(period, 6, 2) AS INTEGER) AS pm
    FROM uitkeringen
    WHERE regeling = $bijstand_regeling
),
running AS (  -- benefits running on 31 December, from the December delivery of that year
    SELECT py AS period_year, client_id AS unit_id, period, file, line, buurt_code, wijk_code,
           -- a person with several running benefits counts from the earliest start
           min(ingangsdatum) OVER (PARTITION BY py, client_id) AS first_start
    FROM uit
    WHERE pm = 12
      AND ingangsdatum <= make_date(py, 12, 31)
      AND (einddatum IS NULL OR einddatum >= make_date(py, 12, 31))
),
candidates AS (
    SELECT 'bijstand_personen' AS measure, period_year, unit_id, period, file, line,
           buurt_code, wijk_code
    FROM running
    UNION ALL
    SELECT 'bijstand_langdurig', period_year, unit_id, period, file, line, buurt_code, wijk_code
    FROM running
    WHERE first_start <= make_date(period_year - $langdurig_jaren, 12, 31)
    UNION ALL
    SELECT 'bijstand_instroom', py, client_id, period, file, line, buurt_code, wijk_code
    FROM uit
    WHERE year(ingangsdatum) = py
    UNION ALL
    SELECT 'bijstand_uitstroom_werk', py, client_id, period, file, line, buurt_code, wijk_code
    FROM uit
    WHERE year(einddatum) = py AND reden_einde = $reden_werk
    UNION ALL
    SELECT 'verzuim_meldingen', schooljaar_start, melding_id, period, file, line,
           buurt_code, wijk_code
    FROM verzuim
    WHERE NOT list_contains($geen_melding, soort_verzuim)
    UNION ALL
    SELECT 'absoluut_verzuim', schooljaar_start, leerling_id, period, file, line,
           buurt_code, wijk_code
    FROM verzuim
    WHERE soort_verzuim = $absoluut
    UNION ALL
    SELECT 'vsv', schooljaar_start, leerling_id, period, file, line, buurt_code, wijk_code
    FROM verzuim
    WHERE soort_verzuim = $vsv
    UNION ALL
    SELECT 'overlast_incidenten', year(datum), incident_id, period, file, line,
           buurt_code, wijk_code
    FROM incidenten
    WHERE list_contains($overlast, categorie)
    UNION ALL
    SELECT 'jeugdoverlast', year(datum), incident_id, period, file, line, buurt_code, wijk_code
    FROM incidenten
    WHERE list_contains($jeugdoverlast, categorie)
),
person_units AS (
    SELECT measure, CAST(period_year AS INTEGER) AS period_year, unit_id, buurt_code, wijk_code,
           CAST(NULL AS DOUBLE) AS unit_value
    FROM candidates
    QUALIFY row_number() OVER (
        PARTITION BY measure, period_year, unit_id
        ORDER BY period DESC, line, file
    ) = 1
),
reports AS (  -- reports about the public space, cancelled ones not counted
    SELECT melding_id AS unit_id, CAST(year(datum_melding) AS INTEGER) AS period_year,
           categorie, status, buurt_code, wijk_code,
           date_diff('day', CAST(datum_melding AS DATE), CAST(datum_afgehandeld AS DATE))
               AS days
    FROM meldingen
    WHERE status <> $geannuleerd
),
report_units AS (
    SELECT 'meldingen_afval' AS measure, period_year, unit_id, buurt_code, wijk_code,
           CAST(NULL AS DOUBLE) AS unit_value
    FROM reports WHERE list_contains($afval, categorie)
    UNION ALL
    SELECT 'meldingen_ongedierte', period_year, unit_id, buurt_code, wijk_code, NULL
    FROM reports WHERE list_contains($ongedierte, categorie)
    UNION ALL
    SELECT 'meldingen_geteld', period_year, unit_id, buurt_code, wijk_code, NULL
    FROM reports
    UNION ALL
    SELECT 'meldingen_binnen_termijn', period_year, unit_id, buurt_code, wijk_code, NULL
    FROM reports WHERE status = $afgehandeld AND days <= $afhandeltermijn_dagen
    UNION ALL
    SELECT 'doorlooptijd', period_year, unit_id, buurt_code, wijk_code, days
    FROM reports WHERE status = $afgehandeld
)
SELECT * FROM person_units
UNION ALL
SELECT * FROM report_units
