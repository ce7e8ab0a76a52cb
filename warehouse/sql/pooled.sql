-- Issue 12: three-year figures for small municipal counts in focus and programme areas
-- (transforms/pooling.py), under the same disclosure control as the single years.
CREATE TABLE fact_indicator_pooled (
    indicator_id VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    window_start INTEGER NOT NULL,
    window_end INTEGER NOT NULL,
    period_label VARCHAR NOT NULL,
    value DOUBLE,
    suppressed BOOLEAN NOT NULL,
    suppression_reason VARCHAR,
    synthetic BOOLEAN NOT NULL,
    run_id VARCHAR NOT NULL,
    PRIMARY KEY (indicator_id, area_code, window_end),
    CHECK (window_end = window_start + 2)
);
COMMENT ON TABLE fact_indicator_pooled IS 'Drie jaar samen: voor aantallen uit gemeentelijke persoonsgegevens (kleine aantallen) in focus- en programmagebieden de som van drie opeenvolgende jaren, waar een los jaar onderdrukt is of te onzeker (het 95%-betrouwbaarheidsinterval van het aantal is breder dan het aantal zelf). Het driejaarscijfer valt onder dezelfde onthullingscontrole als de losse jaren: het driejaarscijfer min de gepubliceerde losse jaren mag een onderdrukt jaar niet verraden of nauw benaderen; anders is het driejaarscijfer (of een andere cel) onderdrukt.';
COMMENT ON COLUMN fact_indicator_pooled.window_start IS 'Eerste jaar (of eerste schooljaar: het jaar waarin het begint) van de drie.';
COMMENT ON COLUMN fact_indicator_pooled.window_end IS 'Laatste jaar van de drie; met indicator_id en area_code de sleutel van de rij.';
COMMENT ON COLUMN fact_indicator_pooled.period_label IS 'De drie jaren als label: 2021–2023, of bij schooljaren 2021/2022–2023/2024.';
COMMENT ON COLUMN fact_indicator_pooled.value IS 'Het aantal over de drie jaren samen (de som van de losse jaren); NULL als het onderdrukt is.';
COMMENT ON COLUMN fact_indicator_pooled.suppression_reason IS 'Waarom het cijfer leeg is: kleine aantallen (onder de drempel, of weggelaten zodat een onderdrukt los jaar niet terug te rekenen of nauw te benaderen is).';
