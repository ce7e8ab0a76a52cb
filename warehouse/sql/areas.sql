-- Areas per year and boundary changes (transforms/area_changes.py). Run after schema.sql.
-- fact_indicator holds every series on the reference year's areas (meta_config.reference_year);
-- fact_indicator_as_published the CBS and police figures of each year on that year's own areas.

CREATE TABLE dim_area_year (
    area_code VARCHAR NOT NULL,
    geo_year INTEGER NOT NULL,
    area_name VARCHAR NOT NULL,
    area_level VARCHAR,
    parent_code VARCHAR,
    cbs_change_flag VARCHAR,
    has_statistics BOOLEAN NOT NULL,
    has_boundary BOOLEAN NOT NULL,
    geometry_wkb BLOB,
    geometry_crs VARCHAR,
    PRIMARY KEY (area_code, geo_year)
);
COMMENT ON TABLE dim_area_year IS 'Een gebied is een code IN EEN JAAR: elke CBS-wijk en -buurt zoals de statistiek en de kaart van dat jaar hem kennen, met naam, bovenliggend gebied, grens (WKB, RD New) en de eigen melding van CBS (cbs_change_flag: 1 ongewijzigd, 2 nieuwe code zelfde gebied, 3 gebied gewijzigd). dim_area toont alleen de indeling van het referentiejaar.';

CREATE TABLE area_change (
    from_year INTEGER NOT NULL,
    to_year INTEGER NOT NULL,
    area_level VARCHAR NOT NULL,
    from_code VARCHAR,
    to_code VARCHAR,
    change_type VARCHAR NOT NULL CHECK (change_type IN ('grens gewijzigd', 'gesplitst', 'samengevoegd', 'code gewijzigd', 'nieuw', 'vervallen')),
    share_of_from DOUBLE,
    share_of_to DOUBLE,
    method VARCHAR,
    cbs_change_flag VARCHAR
);
COMMENT ON TABLE area_change IS 'Wat er tussen twee opeenvolgende jaren met grenzen aan de gebiedsindeling veranderde: gesplitst, samengevoegd, grens gewijzigd, code gewijzigd, nieuw (from_code leeg) of vervallen (to_code leeg). share_of_from = deel van het oude gebied dat naar het nieuwe ging, share_of_to = deel van het nieuwe gebied dat uit het oude kwam; method = adressen (zelfde adres in de postcode-huisnummertabellen van beide jaren) of oppervlakte (overlap van de grenzen). Grensverschillen onder 3% (generalisatie van de kaart) tellen niet; een gebied met >= 97% overlap beide kanten op is ongewijzigd en staat hier niet.';

CREATE TABLE fact_indicator_as_published (
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
    PRIMARY KEY (indicator_id, area_code, period_year)
);
COMMENT ON TABLE fact_indicator_as_published IS 'De CBS- en politiecijfers zoals gepubliceerd: elk jaar op de gebieden van dat jaar (koppel met dim_area_year op area_code en geo_year = period_year), zonder omrekening naar het referentiejaar. Gemeentelijke cijfers staan alleen in fact_indicator.';
