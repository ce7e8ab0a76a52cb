-- The restricted store: person-level rows as accepted from the municipal deliveries (with
-- the buurt each was placed in), the unprotected values of cells that disclosure control hid,
-- and the unprotected indicator overview. Its own DuckDB file in an owner-only folder
-- ([paths] restricted); never opened by `export` or `info`, never copied into the published
-- warehouse. Tables without DDL here (e.g. the disclosure audit) are created from their frames.
CREATE SCHEMA raw;

CREATE TABLE raw.meta_store (
    run_id VARCHAR NOT NULL,
    written_at TIMESTAMPTZ NOT NULL,
    published_warehouse VARCHAR NOT NULL
);
COMMENT ON TABLE raw.meta_store IS 'BEPERKT: de run die deze beperkte opslag schreef; hoort bij het gepubliceerde warehouse met dezelfde meta_config.run_id.';

-- raw.<source> of every municipal delivery source is made from its declaration
-- (checks/deliveries/ddl.py restricted_ddl) and run after this file.

CREATE TABLE raw.fact_indicator_restricted (
    indicator_id VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    period_year INTEGER NOT NULL,
    value DOUBLE,
    numerator DOUBLE,
    denominator DOUBLE,
    suppression_reason VARCHAR,
    disclosure_kind VARCHAR
);
COMMENT ON TABLE raw.fact_indicator_restricted IS 'BEPERKT: de onbeschermde waarden van cellen die de onthullingscontrole in fact_indicator heeft onderdrukt, met de soort (disclosure_kind): primair (kleine aantallen), secundair (anders terug te rekenen of te nauw in te sluiten) of complement (het complement van een aandeel is klein). Gepubliceerd staat voor alle drie dezelfde reden: kleine aantallen. Nooit exporteren.';

CREATE TABLE raw.disclosure_audit (
    count_label VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    period_year INTEGER NOT NULL,
    value DOUBLE,
    lower DOUBLE,
    upper DOUBLE,
    width DOUBLE,
    safe BOOLEAN NOT NULL,
    disclosure_kind VARCHAR
);
COMMENT ON TABLE raw.disclosure_audit IS 'BEPERKT: de intervalcontrole per verborgen cel (aantal x gebied x jaar): de echte waarde en het kleinste en grootste getal dat een lezer uit alle gepubliceerde cellen, de optelrelaties (buurten -> wijk -> gemeente, leden -> eigen gebieden) en niet-negativiteit kan afleiden; safe = de breedte is minstens protection_interval. Zo ziet een beoordelaar waarom elke secundaire cel verborgen is.';
