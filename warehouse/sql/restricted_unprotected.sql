-- raw.indicators_unprotected, written once per build into the restricted store from the
-- published warehouse of the same build (attached as `pub`) and the hidden values.
CREATE TABLE raw.indicators_unprotected AS
WITH f AS (
    SELECT f.indicator_id, f.area_code, f.period_year, f.period_label,
           coalesce(r.value, f.value) AS value,
           coalesce(r.numerator, f.numerator) AS numerator,
           coalesce(r.denominator, f.denominator) AS denominator,
           CASE WHEN r.indicator_id IS NULL THEN f.suppressed
                ELSE r.suppression_reason IS NOT NULL END AS suppressed,
           CASE WHEN r.indicator_id IS NULL THEN f.suppression_reason
                ELSE r.suppression_reason END AS suppression_reason,
           r.indicator_id IS NOT NULL AS hidden_by_disclosure_control, r.disclosure_kind,
           f.is_estimate, f.partial, f.synthetic, f.run_id
    FROM pub.fact_indicator f
    LEFT JOIN raw.fact_indicator_restricted r USING (indicator_id, area_code, period_year)
)
SELECT f.indicator_id, i.theme, i.name, i.unit, f.area_code, a.area_name, a.area_level,
       a.parent_code, f.period_year, f.period_label, f.value, f.numerator, f.denominator,
       f.suppressed, f.suppression_reason, f.hidden_by_disclosure_control, f.disclosure_kind,
       f.is_estimate,
       f.partial, f.synthetic OR a.synthetic AS synthetic, i.source, f.run_id
FROM f
JOIN pub.dim_indicator i USING (indicator_id)
JOIN pub.dim_area a USING (area_code);
COMMENT ON TABLE raw.indicators_unprotected IS 'BEPERKT: het indicators-overzicht zonder onthullingscontrole: ook de verborgen cellen met hun echte waarde (hidden_by_disclosure_control = TRUE) en waarom (disclosure_kind: primair, secundair, complement). Alleen voor analisten met toestemming; nooit exporteren.';
