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

CREATE TABLE raw.uitkeringen (
    file VARCHAR NOT NULL,
    line INTEGER NOT NULL,
    period VARCHAR NOT NULL,
    peildatum DATE NOT NULL,
    client_id VARCHAR NOT NULL,
    huishouden_id VARCHAR,
    geboortejaar INTEGER,
    postcode VARCHAR,
    huisnummer INTEGER,
    huisletter VARCHAR,
    huisnummertoevoeging VARCHAR,
    x DOUBLE,
    y DOUBLE,
    regeling VARCHAR NOT NULL,
    ingangsdatum DATE NOT NULL,
    einddatum DATE,
    reden_einde VARCHAR,
    buurt_code VARCHAR NOT NULL,
    placed_by VARCHAR NOT NULL
);
COMMENT ON TABLE raw.uitkeringen IS 'BEPERKT (persoonsgegevens, gepseudonimiseerd): geaccepteerde rijen uit de geldende uitkeringenbestanden met de buurt waarin het adres ligt (placed_by: adres, coordinaten). Verlaat het warehouse nooit; alleen aggregaten na onthullingscontrole wel.';

CREATE TABLE raw.verzuim (
    file VARCHAR NOT NULL,
    line INTEGER NOT NULL,
    period VARCHAR NOT NULL,
    schooljaar_start INTEGER NOT NULL,
    melding_id VARCHAR NOT NULL,
    leerling_id VARCHAR NOT NULL,
    geboortedatum DATE,
    postcode VARCHAR,
    huisnummer INTEGER,
    huisletter VARCHAR,
    huisnummertoevoeging VARCHAR,
    x DOUBLE,
    y DOUBLE,
    meldingsdatum DATE NOT NULL,
    soort_verzuim VARCHAR NOT NULL,
    brin VARCHAR,
    buurt_code VARCHAR NOT NULL,
    placed_by VARCHAR NOT NULL
);
COMMENT ON TABLE raw.verzuim IS 'BEPERKT (persoonsgegevens, gepseudonimiseerd): geaccepteerde verzuimmeldingen met de buurt van het woonadres van de leerling. Verlaat het warehouse nooit.';

CREATE TABLE raw.leerplichtigen (
    file VARCHAR NOT NULL,
    line INTEGER NOT NULL,
    period VARCHAR NOT NULL,
    schooljaar_start INTEGER NOT NULL,
    gebied_code VARCHAR NOT NULL,
    aantal BIGINT NOT NULL
);
COMMENT ON TABLE raw.leerplichtigen IS 'BEPERKT: leerplichtigen per buurt of wijk op 1 oktober van het schooljaar, zoals geleverd (kleine aantallen).';

CREATE TABLE raw.incidenten (
    file VARCHAR NOT NULL,
    line INTEGER NOT NULL,
    period VARCHAR NOT NULL,
    incident_id VARCHAR NOT NULL,
    datum TIMESTAMP NOT NULL,
    categorie VARCHAR NOT NULL,
    x DOUBLE,
    y DOUBLE,
    lat DOUBLE,
    lon DOUBLE,
    buurtcode VARCHAR,
    buurt_code VARCHAR NOT NULL,
    placed_by VARCHAR NOT NULL
);
COMMENT ON TABLE raw.incidenten IS 'BEPERKT: geaccepteerde incidenten met de buurt waarin ze plaatsvonden (placed_by: coordinaten of buurtcode).';

CREATE TABLE raw.pc6_buurt (
    file VARCHAR NOT NULL,
    line INTEGER NOT NULL,
    period VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    postcode VARCHAR NOT NULL,
    huisnummer INTEGER NOT NULL,
    buurt_code VARCHAR NOT NULL,
    wijk_code VARCHAR,
    gemeente_code VARCHAR
);
COMMENT ON TABLE raw.pc6_buurt IS 'BEPERKT: de CBS-tabel postcode + huisnummer naar buurt, wijk en gemeente (alleen de adressen in de gemeente), met codes aangevuld en voorzien van voorvoegsel.';

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
