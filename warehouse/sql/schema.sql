-- The analysts' contract: tables and views of the published warehouse, each with a comment.
-- Only what may be shown: protected facts, dimensions, catalogue, targets, run and input
-- metadata, check results, quarantine reasons and CBS's own public figures (schema cbs).
-- Person-level rows and unprotected counts live in the restricted store (restricted.sql).
CREATE SCHEMA cbs;

CREATE TABLE meta_config (
    run_id VARCHAR NOT NULL,
    gemeente VARCHAR NOT NULL,
    gemeente_name VARCHAR,
    baseline_year INTEGER NOT NULL,
    reference_year INTEGER,
    years INTEGER[] NOT NULL,
    min_count INTEGER NOT NULL,
    protection_interval INTEGER,
    config_path VARCHAR,
    synthetic BOOLEAN NOT NULL
);
COMMENT ON TABLE meta_config IS 'De run (run_id) die dit warehouse bouwde en de instellingen waarmee: gemeente, jaren, basisjaar (nulmeting), drempel voor kleine aantallen, en of het synthetische demodata zijn.';

CREATE TABLE dim_area (
    area_code VARCHAR PRIMARY KEY,
    area_name VARCHAR NOT NULL,
    area_level VARCHAR NOT NULL CHECK (area_level IN ('land', 'gemeente', 'programme', 'focus', 'wijk', 'buurt')),
    parent_code VARCHAR,
    gemeente_code VARCHAR,
    geo_year INTEGER,
    first_year INTEGER,
    last_year INTEGER,
    has_statistics BOOLEAN NOT NULL,
    has_boundary BOOLEAN NOT NULL,
    members VARCHAR,
    synthetic BOOLEAN NOT NULL,
    geometry_wkb BLOB,
    geometry_crs VARCHAR
);
COMMENT ON TABLE dim_area IS 'Alle gebieden: Nederland (NL00), de gemeente (GM), wijken (WK), buurten (BU), het programmagebied (programme) en de focusgebieden (focus) onder hun eigen code. geo_year = het jaar van de indeling/grens; members = de CBS-gebieden waaruit een eigen gebied is opgebouwd; geometry_wkb = grens als WKB in geometry_crs (RD New); synthetic = demodata.';
COMMENT ON COLUMN dim_area.area_level IS 'land | gemeente | programme | focus | wijk | buurt';
COMMENT ON COLUMN dim_area.synthetic IS 'TRUE: synthetische demodata, geen echte cijfers of grenzen.';

CREATE TABLE dim_indicator (
    indicator_id VARCHAR PRIMARY KEY,
    theme VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    definition VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    numerator VARCHAR,
    denominator VARCHAR,
    source VARCHAR NOT NULL,
    direction VARCHAR NOT NULL,
    period_type VARCHAR NOT NULL,
    disclosure_rule VARCHAR NOT NULL,
    formula VARCHAR NOT NULL,
    disclosure VARCHAR NOT NULL,
    cbs_variables VARCHAR,
    sort_order INTEGER NOT NULL,
    available BOOLEAN NOT NULL
);
COMMENT ON TABLE dim_indicator IS 'De indicatorencatalogus: naam, definitie, eenheid, teller en noemer, bron, richting (hoger/lager is beter), periodetype en onthullingsregel (disclosure: welke onthullingscontrole geldt: kleine aantallen, geen of enquete). available = er zijn cijfers voor in dit warehouse.';

CREATE TABLE dim_target (
    indicator_id VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    change_pct DOUBLE NOT NULL,
    by_year INTEGER NOT NULL
);
COMMENT ON TABLE dim_target IS 'Doelen uit de configuratie: indicator, gebied, gewenste verandering in procenten ten opzichte van het basisjaar, en het jaar waarin dat bereikt moet zijn.';

CREATE TABLE fact_indicator (
    indicator_id VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    period_year INTEGER NOT NULL,
    period_label VARCHAR NOT NULL,
    value DOUBLE,
    numerator DOUBLE,
    denominator DOUBLE,
    suppressed BOOLEAN NOT NULL,
    suppression_reason VARCHAR,
    is_estimate BOOLEAN NOT NULL,
    partial BOOLEAN NOT NULL,
    synthetic BOOLEAN NOT NULL,
    input_versions VARCHAR[] NOT NULL,
    run_id VARCHAR NOT NULL,
    estimate_method VARCHAR,
    series_break BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (indicator_id, area_code, period_year)
);
COMMENT ON TABLE fact_indicator IS 'Een rij per indicator x gebied x periode: waarde, teller, noemer, of de cel is onderdrukt en waarom (bron geheim, geen bron dit jaar, kleine aantallen), of het een schatting is (eigen gebied op basis van een CBS-gemiddelde of -percentage), de invoerversies en de run.';

COMMENT ON COLUMN fact_indicator.value IS 'De waarde in de eenheid van dim_indicator.unit; NULL als de cel onderdrukt is.';
COMMENT ON COLUMN fact_indicator.numerator IS 'Teller (aantal); bij een eigen gebied de som over de delen.';
COMMENT ON COLUMN fact_indicator.denominator IS 'Noemer (aantal), of bij een gewogen CBS-gemiddelde/percentage het gewicht (inwoners, huishoudens, woningen).';
COMMENT ON COLUMN fact_indicator.suppression_reason IS 'Waarom de cel leeg is: bron geheim (CBS publiceert het niet), geen bron dit jaar (variabele of gebied ontbreekt in de tabel van dat jaar), kleine aantallen, niet te berekenen (noemer 0).';
COMMENT ON COLUMN fact_indicator.is_estimate IS 'TRUE: een CBS-gemiddelde of -percentage voor een eigen gebied, gewogen over de delen; een schatting.';
COMMENT ON COLUMN fact_indicator.partial IS 'TRUE: de periode is niet compleet (bijv. maanden ontbreken); nooit vergeleken met het basisjaar.';
COMMENT ON COLUMN fact_indicator.estimate_method IS 'Herberekend naar de gebiedsindeling van het referentiejaar (meta_config.reference_year) omdat de grens veranderde: adressen (verdeeld naar adressen uit de postcode-huisnummertabellen van beide jaren) of oppervlakte (naar overlappende oppervlakte). NULL: het cijfer zoals gepubliceerd. Zie area_change en fact_indicator_as_published.';
COMMENT ON COLUMN fact_indicator.series_break IS 'TRUE: trendbreuk. Het cijfer hoort bij het gebied zoals het dat jaar was en dat kon niet naar de indeling van het referentiejaar worden omgerekend (geen grenzen van dat jaar); nooit vergeleken met een ander jaar.';
COMMENT ON COLUMN fact_indicator.input_versions IS 'De invoerversies waaruit de cel komt, bijv. 85618NED@2025-03-31T02:00:00.';

CREATE TABLE meta_run (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status VARCHAR NOT NULL,
    offline BOOLEAN NOT NULL,
    config_path VARCHAR,
    areas INTEGER,
    years INTEGER[],
    indicators INTEGER,
    fact_rows INTEGER,
    rows_read BIGINT,
    rows_quarantined BIGINT,
    warnings VARCHAR[],
    steps JSON,
    recomputed VARCHAR[],
    changes JSON,
    failed_checks VARCHAR[],
    message VARCHAR,
    input_fingerprint JSON
);
COMMENT ON TABLE meta_run IS 'Elke run (geslaagd of mislukt) tot en met deze: wanneer, status, wat er gelezen en in quarantaine gezet is, welke assets opnieuw berekend zijn (recomputed), wat er veranderde (changes), welke controles faalden (failed_checks), waarschuwingen (bijv. CBS onbereikbaar: opgeslagen antwoorden gebruikt), de duur per stap, en de versies van alle invoer (input_fingerprint).';

CREATE TABLE meta_change (
    run_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    table_id VARCHAR,
    period_year INTEGER,
    area_code VARCHAR,
    stem VARCHAR,
    old_value DOUBLE,
    new_value DOUBLE
);
COMMENT ON TABLE meta_change IS 'Cijfers die een bron herzag: per run, tabel, jaar, gebied en variabele de oude en de nieuwe waarde (bijv. een herziene CBS-tabel met een nieuwe Modified).';

CREATE TABLE meta_input (
    run_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    input_id VARCHAR NOT NULL,
    path VARCHAR,
    period_year INTEGER,
    table_id VARCHAR,
    modified VARCHAR,
    fetched_at VARCHAR,
    sha256 VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_accepted BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    rows_out_of_scope BIGINT NOT NULL,
    synthetic BOOLEAN NOT NULL,
    status VARCHAR NOT NULL,
    checks VARCHAR,
    CHECK (rows_read = rows_accepted + rows_quarantined)
);
COMMENT ON TABLE meta_input IS 'Elk invoerbestand en elke CBS-tabelversie die een run las: pad, sha256, CBS Modified, rijen gelezen = geaccepteerd + quarantaine (rijen van andere gemeenten apart geteld), en de uitkomst van de controles.';

CREATE TABLE meta_check (
    run_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    input_id VARCHAR,
    expectation VARCHAR NOT NULL,
    column_name VARCHAR,
    success BOOLEAN NOT NULL,
    unexpected_count BIGINT,
    sample VARCHAR
);
COMMENT ON TABLE meta_check IS 'Uitkomsten van de Great Expectations-controles per bron en invoer, per run (run_id). Een run die een bron niet opnieuw inlas (niets veranderd) controleert die niet opnieuw: de laatste uitkomst van een bron staat bij de laatste run die haar controleerde.';

CREATE TABLE meta_area_coverage (
    geo_year INTEGER NOT NULL,
    area_code VARCHAR NOT NULL,
    area_level VARCHAR,
    in_statistics BOOLEAN NOT NULL,
    has_boundary BOOLEAN NOT NULL
);
COMMENT ON TABLE meta_area_coverage IS 'Gebieden met cijfers maar zonder grens, of met een grens maar zonder cijfers, per jaar. Ze blijven in het warehouse; dit is de melding.';

CREATE TABLE quarantine_cbs_kerncijfers (
    run_id VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    line INTEGER,
    area_code VARCHAR,
    reason VARCHAR NOT NULL
);
COMMENT ON TABLE quarantine_cbs_kerncijfers IS 'Rijen uit CBS-antwoorden die niet door het contract kwamen (onbekende of dubbele gebiedscode, geen getal), met bestand, rijnummer en reden.';

CREATE TABLE quarantine_cbs_kaart (
    run_id VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    line INTEGER,
    area_code VARCHAR,
    reason VARCHAR NOT NULL
);
COMMENT ON TABLE quarantine_cbs_kaart IS 'Rijen uit wijk- en buurtkaartbestanden die niet door het contract kwamen, met bestand, rijnummer en reden.';

CREATE TABLE quarantine_politie (
    run_id VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    line INTEGER,
    area_code VARCHAR,
    reason VARCHAR NOT NULL
);
COMMENT ON TABLE quarantine_politie IS 'Rijen uit de politietabel (geregistreerde misdrijven per wijk en buurt per maand) die niet door het contract kwamen, met bestand, rijnummer en reden.';

-- quarantine_<source> of every municipal delivery source is made from its declaration
-- (checks/deliveries/ddl.py quarantine_ddl) and run after this file.

CREATE TABLE cbs.kerncijfers (
    period_year INTEGER NOT NULL,
    table_id VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    stem VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    value DOUBLE
);
COMMENT ON TABLE cbs.kerncijfers IS 'Alle geaccepteerde CBS-cijfers, lang: jaar, tabel, gebied, variabele (stam zonder jaarnummer en de volledige sleutel), waarde (NULL = geheim bij CBS).';

CREATE TABLE cbs.variables (
    period_year INTEGER NOT NULL,
    table_id VARCHAR NOT NULL,
    stem VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    title VARCHAR,
    unit VARCHAR,
    datatype VARCHAR
);
COMMENT ON TABLE cbs.variables IS 'De variabelen van elke CBS-tabel (uit DataProperties): stam, sleutel van dat jaar, titel, eenheid.';

CREATE TABLE cbs.kaart_nulls (
    geo_year INTEGER NOT NULL,
    file VARCHAR NOT NULL,
    layer VARCHAR,
    line INTEGER NOT NULL,
    area_code VARCHAR,
    column_name VARCHAR NOT NULL,
    marker DOUBLE NOT NULL,
    reason VARCHAR NOT NULL
);
COMMENT ON TABLE cbs.kaart_nulls IS 'Elke markerwaarde uit een wijk- en buurtkaartbestand (-99999999, -99997, ...) die als NULL is gelezen, met kolom en reden (geheim, niet aanwezig, later gepubliceerd).';

CREATE TABLE cbs.politie (
    period_year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    period VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    count DOUBLE,
    file VARCHAR,
    line INTEGER
);
COMMENT ON TABLE cbs.politie IS 'Geregistreerde misdrijven per gebied, maand (month 0 = jaarcijfer) en soort misdrijf zoals de politie ze via CBS publiceert; count NULL = niet gepubliceerd (geen nul).';

CREATE TABLE cbs.politie_codes (
    code VARCHAR NOT NULL,
    title VARCHAR
);
COMMENT ON TABLE cbs.politie_codes IS 'De soorten misdrijf (SoortMisdrijf) van de politietabel met hun titel.';

CREATE VIEW indicators AS
SELECT f.indicator_id, i.theme, i.name, i.unit,
       f.area_code, a.area_name, a.area_level, a.parent_code,
       f.period_year, f.period_label,
       f.value, f.numerator, f.denominator,
       f.suppressed, f.suppression_reason, f.is_estimate, f.partial,
       f.synthetic OR a.synthetic AS synthetic,
       i.direction, i.source,
       c.baseline_year,
       b.value AS baseline_value,
       -- A partial period is never compared: it would look like a change that is not there.
       -- Nor is a figure across a series break (an area that may have been another place).
       CASE WHEN NOT f.suppressed AND NOT b.suppressed AND NOT f.partial
                 AND NOT f.series_break AND NOT b.series_break
            THEN f.value - b.value END AS change_since_baseline,
       CASE WHEN NOT f.suppressed AND NOT b.suppressed AND NOT f.partial AND b.value <> 0
                 AND NOT f.series_break AND NOT b.series_break
            THEN 100 * (f.value - b.value) / b.value END AS change_pct_since_baseline,
       f.estimate_method, f.series_break,
       f.run_id
FROM fact_indicator f
JOIN dim_indicator i USING (indicator_id)
JOIN dim_area a USING (area_code)
CROSS JOIN meta_config c
LEFT JOIN fact_indicator b
       ON b.indicator_id = f.indicator_id AND b.area_code = f.area_code
      AND b.period_year = c.baseline_year AND NOT b.partial;
COMMENT ON VIEW indicators IS 'Ingang voor analisten: een rij per indicator x gebied x jaar met naam, eenheid, gebied, waarde, teller, noemer, onderdrukking en reden, schatting (estimate_method: herberekend naar de indeling van het referentiejaar), synthetisch, en de verandering ten opzichte van het basisjaar (baseline_year); geen verandering over een trendbreuk (series_break).';

CREATE VIEW indicator_targets AS
WITH latest AS (
    SELECT indicator_id, area_code, max(period_year) AS latest_year
    FROM fact_indicator WHERE NOT suppressed AND NOT partial AND NOT series_break
    GROUP BY ALL
)
SELECT t.indicator_id, t.area_code, t.change_pct AS target_change_pct, t.by_year,
       c.baseline_year,
       b.value AS baseline_value,
       b.value * (1 + t.change_pct / 100) AS target_value,
       l.latest_year,
       f.value AS latest_value,
       b.value + (b.value * t.change_pct / 100)
           * (l.latest_year - c.baseline_year) / (t.by_year - c.baseline_year) AS path_value,
       CASE WHEN f.value IS NULL OR b.value IS NULL THEN NULL
            WHEN t.change_pct < 0 THEN f.value <= b.value + (b.value * t.change_pct / 100)
                 * (l.latest_year - c.baseline_year) / (t.by_year - c.baseline_year)
            ELSE f.value >= b.value + (b.value * t.change_pct / 100)
                 * (l.latest_year - c.baseline_year) / (t.by_year - c.baseline_year)
       END AS on_track,
       CASE WHEN b.value IS NULL THEN 'geen waarde in het basisjaar (of trendbreuk)'
            WHEN f.value IS NULL THEN 'geen recente waarde' END AS note
FROM dim_target t
CROSS JOIN meta_config c
LEFT JOIN fact_indicator b
       ON b.indicator_id = t.indicator_id AND b.area_code = t.area_code
      AND b.period_year = c.baseline_year AND NOT b.suppressed AND NOT b.series_break
LEFT JOIN latest l ON l.indicator_id = t.indicator_id AND l.area_code = t.area_code
LEFT JOIN fact_indicator f
       ON f.indicator_id = t.indicator_id AND f.area_code = t.area_code
      AND f.period_year = l.latest_year;
COMMENT ON VIEW indicator_targets IS 'Doelen en voortgang: waarde in het basisjaar, doelwaarde, laatste waarde, de waarde op de rechte lijn van basisjaar naar doeljaar (path_value) en of het gebied op koers ligt (on_track).';

-- =============================================================================================
-- BEGIN assessment (issue 12 "The council's answer"): is an area doing better than in the
-- baseline year? Method per indicator in dim_indicator.assessment_method (filled from the
-- catalogue: transforms/catalogue.py assessment_method); the method is in README.md, "Better or worse? The assessment".
-- =============================================================================================
ALTER TABLE dim_indicator ADD COLUMN assessment_method VARCHAR;
COMMENT ON COLUMN dim_indicator.assessment_method IS 'Hoe indicator_assessment de onzekerheid van de verandering bepaalt: rate_ratio = aantallen en cijfers per 1 000 uit aantallen (Poisson: 95%-interval van de log-rate-ratio, variantie 1/x1 + 1/x0, x = tellers); proportie = percentage met bekende teller en noemer (verschil van proporties, variantie p1(1-p1)/n1 + p0(1-p0)/n0); geen_interval = CBS-gemiddelde of -percentage zonder aantallen (alleen de verandering zelf telt).';

CREATE VIEW indicator_assessment AS
WITH usable AS (
    -- Cells that can be compared: a value, not suppressed, a complete period.
    SELECT indicator_id, area_code, period_year, period_label, value, numerator, denominator
    FROM fact_indicator
    WHERE NOT suppressed AND NOT partial AND value IS NOT NULL
),
breaks AS (
    -- Series breaks (a boundary change that could not be restated): never compared across.
    SELECT indicator_id, area_code, period_year FROM fact_indicator WHERE series_break
),
series AS (
    -- Every indicator x area with facts, and its latest usable year after the baseline.
    SELECT f.indicator_id, f.area_code,
           max(u.period_year) FILTER (WHERE u.period_year > c.baseline_year) AS latest_year
    FROM (SELECT DISTINCT indicator_id, area_code FROM fact_indicator) f
    CROSS JOIN meta_config c
    LEFT JOIN usable u USING (indicator_id, area_code)
    GROUP BY ALL
),
pairs AS (
    SELECT s.indicator_id, s.area_code, c.baseline_year, s.latest_year, l.period_label AS latest_label,
           b.value AS v0, b.numerator AS x0, b.denominator AS n0,
           l.value AS v1, l.numerator AS x1, l.denominator AS n1,
           g0.value AS g0, g1.value AS g1,
           i.direction, i.assessment_method,
           EXISTS (SELECT 1 FROM breaks k
                   WHERE k.indicator_id = s.indicator_id AND k.area_code = s.area_code
                     AND k.period_year >= c.baseline_year
                     AND k.period_year <= s.latest_year) AS has_break,
           bf.indicator_id IS NOT NULL AS baseline_has_row
    FROM series s
    JOIN dim_indicator i USING (indicator_id)
    CROSS JOIN meta_config c
    LEFT JOIN usable b
           ON b.indicator_id = s.indicator_id AND b.area_code = s.area_code
          AND b.period_year = c.baseline_year
    LEFT JOIN fact_indicator bf
           ON bf.indicator_id = s.indicator_id AND bf.area_code = s.area_code
          AND bf.period_year = c.baseline_year
    LEFT JOIN usable l
           ON l.indicator_id = s.indicator_id AND l.area_code = s.area_code
          AND l.period_year = s.latest_year
    LEFT JOIN usable g0
           ON g0.indicator_id = s.indicator_id AND g0.area_code = c.gemeente
          AND g0.period_year = c.baseline_year
    LEFT JOIN usable g1
           ON g1.indicator_id = s.indicator_id AND g1.area_code = c.gemeente
          AND g1.period_year = s.latest_year
),
chosen AS (
    -- The method actually used for the row: the catalogue's, unless the counts it needs are
    -- missing (then only the change itself counts).
    SELECT *,
           CASE WHEN v0 IS NULL OR v1 IS NULL THEN NULL
                WHEN assessment_method = 'rate_ratio' AND x0 IS NOT NULL AND x1 IS NOT NULL
                     THEN 'rate_ratio'
                WHEN assessment_method = 'proportie' AND x0 IS NOT NULL AND x1 IS NOT NULL
                     AND n0 > 0 AND n1 > 0 THEN 'proportie'
                ELSE 'geen_interval' END AS method,
           -- A rate ratio needs events in both years (ln 0 and 1/0 are undefined).
           assessment_method = 'rate_ratio' AND (x0 <= 0 OR x1 <= 0 OR v0 <= 0 OR v1 <= 0)
               AS zero_count
    FROM pairs
),
bounds AS (
    SELECT *,
           CASE WHEN method = 'rate_ratio' AND NOT zero_count THEN
                    v0 * (exp(ln(v1 / v0) - 1.96 * sqrt(1 / x1 + 1 / x0)) - 1)
                WHEN method = 'proportie' THEN
                    (v1 - v0) - 1.96 * 100 * sqrt((x1 / n1) * (1 - x1 / n1) / n1
                                                 + (x0 / n0) * (1 - x0 / n0) / n0)
           END AS change_low,
           CASE WHEN method = 'rate_ratio' AND NOT zero_count THEN
                    v0 * (exp(ln(v1 / v0) + 1.96 * sqrt(1 / x1 + 1 / x0)) - 1)
                WHEN method = 'proportie' THEN
                    (v1 - v0) + 1.96 * 100 * sqrt((x1 / n1) * (1 - x1 / n1) / n1
                                                 + (x0 / n0) * (1 - x0 / n0) / n0)
           END AS change_high,
           CASE direction WHEN 'hoger is beter' THEN 1 WHEN 'lager is beter' THEN -1 END AS good
    FROM chosen
)
SELECT x.indicator_id, i.theme, i.name, i.unit, x.direction,
       x.area_code, a.area_name, a.area_level,
       x.baseline_year, x.v0 AS baseline_value,
       x.latest_year, x.latest_label, x.v1 AS latest_value,
       x.v1 - x.v0 AS change,
       CASE WHEN x.v0 <> 0 THEN 100 * (x.v1 - x.v0) / x.v0 END AS change_pct,
       x.change_low, x.change_high,
       x.method,
       CASE WHEN x.v0 IS NULL OR x.v1 IS NULL OR x.has_break OR x.zero_count
                THEN 'te weinig gegevens'
            WHEN x.good IS NULL THEN 'geen oordeel (neutraal)'
            -- Without an interval (geen_interval) the change itself is judged.
            WHEN x.good * coalesce(x.change_low, x.v1 - x.v0) > 0
             AND x.good * coalesce(x.change_high, x.v1 - x.v0) > 0 THEN 'beter'
            WHEN x.good * coalesce(x.change_low, x.v1 - x.v0) < 0
             AND x.good * coalesce(x.change_high, x.v1 - x.v0) < 0 THEN 'slechter'
            ELSE 'geen duidelijke verandering'
       END AS verdict,
       CASE WHEN x.v0 IS NULL AND NOT x.baseline_has_row THEN 'geen cijfer in het basisjaar'
            WHEN x.v0 IS NULL THEN 'basisjaar onderdrukt of onvolledig'
            WHEN x.latest_year IS NULL THEN 'geen cijfer na het basisjaar'
            WHEN x.has_break THEN 'reeksbreuk tussen basisjaar en laatste jaar'
            WHEN x.zero_count THEN 'teller 0 in het basisjaar of het laatste jaar: geen interval'
            WHEN x.method = 'geen_interval' THEN 'geen aantallen: alleen de verandering beoordeeld'
       END AS note,
       x.g1 - x.g0 AS gemeente_change,
       (x.v1 - x.v0) - (x.g1 - x.g0) AS change_vs_gemeente,
       CASE WHEN x.v0 <> 0 AND x.g0 <> 0
            THEN 100 * (x.v1 - x.v0) / x.v0 - 100 * (x.g1 - x.g0) / x.g0 END
           AS change_pct_vs_gemeente
FROM bounds x
JOIN dim_indicator i USING (indicator_id)
JOIN dim_area a USING (area_code);
COMMENT ON VIEW indicator_assessment IS 'Het antwoord op de vraag "gaat het beter dan in het basisjaar?": een rij per indicator x gebied met de waarde in het basisjaar, de waarde in het laatste jaar met cijfers voor dat gebied (niet onderdrukt, niet onvolledig), de verandering met een 95%-interval (change_low, change_high; methode in method, zie dim_indicator.assessment_method) en een oordeel (verdict): beter, slechter, geen duidelijke verandering (interval omvat 0), te weinig gegevens (geen basisjaar of geen recent cijfer) of geen oordeel (neutraal) bij indicatoren zonder goede richting. gemeente_change = de verandering van de gemeente over dezelfde jaren; change_vs_gemeente = verandering van het gebied min die van de gemeente; change_pct_vs_gemeente = hetzelfde in procenten van de eigen basiswaarde (voor aantallen, waar een verschil in absolute aantallen weinig zegt).';
COMMENT ON COLUMN indicator_assessment.change_low IS 'Ondergrens van het 95%-interval van de verandering (in de eenheid van de indicator). rate_ratio: basiswaarde x (exp(ln(RR) - 1,96 x wortel(1/x1 + 1/x0)) - 1); proportie: verschil - 1,96 x 100 x wortel(p1(1-p1)/n1 + p0(1-p0)/n0) in procentpunt; leeg bij geen_interval.';
COMMENT ON COLUMN indicator_assessment.change_high IS 'Bovengrens van het 95%-interval van de verandering (zie change_low).';
COMMENT ON COLUMN indicator_assessment.method IS 'De gebruikte methode voor deze rij: rate_ratio, proportie of geen_interval (geen aantallen beschikbaar: alleen de verandering telt).';
COMMENT ON COLUMN indicator_assessment.verdict IS 'beter | slechter | geen duidelijke verandering | te weinig gegevens | geen oordeel (neutraal)';
-- END assessment

-- === delivered values with the supplier's interval (checks/deliveries: facts_sql) ===========
CREATE TABLE fact_interval (
    indicator_id VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    period_year INTEGER NOT NULL,
    ci_low DOUBLE,
    ci_high DOUBLE,
    PRIMARY KEY (indicator_id, area_code, period_year)
);
COMMENT ON TABLE fact_interval IS 'Het 95%-betrouwbaarheidsinterval (ondergrens, bovengrens) dat de leverancier bij een geleverde waarde gaf, bijv. het onderzoeksbureau bij een enqueteresultaat; alleen voor gepubliceerde cellen van fact_indicator.';
