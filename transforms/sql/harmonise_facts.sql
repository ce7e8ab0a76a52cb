-- Indicator facts restated onto the reference year's areas (transforms/area_changes.py).
-- Inputs (registered relations):
--   facts(indicator_id, area_code, period_year, value, numerator, denominator, suppressed,
--         suppression_reason, is_estimate, partial, input_versions)   each year on its own areas
--   mapping(geo_year, area_level, from_code, to_code, weight, method, whole)
--                                        a boundary year's areas -> the reference areas
--   linked(area_level, geo_year)         years whose areas the mapping covers
--   breaks(period_year, area_code, series_break)   wijken/buurten of years without boundaries
--   kinds(indicator_id, kind, scale)     kind: count | ratio | weighted | not restatable |
--                                        delivered
--   own_parts(area_code, part_code)      own areas and their parts on the reference geography
-- Parameters: $reference_year, $not_restatable_reason.
-- Rules: the reference year, the gemeente and NL00 are kept as they are. A wijk or buurt of a
-- linked year goes to its reference area: a WHOLE one-to-one link copies the published row
-- exactly (only the code may change); anything else is restated: counts (numerators,
-- denominators) as sum(weight x count), rates recomputed from them, weighted CBS averages
-- weighted by weight x their base. A restated cell is an estimate with the mapping's method;
-- a missing or suppressed part suppresses it. A median or a survey result (kind 'not
-- restatable', 'delivered') cannot be restated from parts: such a cell gets no value,
-- suppressed with $not_restatable_reason, never a number made up from the old area's. Years without boundaries keep their own figures
-- on codes the reference year has, flagged series_break unless CBS vouches for the code.
-- Own areas whose parts were restated or recoded are summed again from the harmonised parts;
-- a median of such an own area is suppressed the same way; a survey result of an own area
-- stays as delivered (the bureau's own area, not a sum of ours).
WITH cbs_area AS (
    SELECT f.*,
           CASE WHEN area_code LIKE 'WK%' THEN 'wijk' WHEN area_code LIKE 'BU%' THEN 'buurt' END
               AS area_level
    FROM facts f
    WHERE area_code LIKE 'WK%' OR area_code LIKE 'BU%'
),
kept AS (  -- the reference year, and everything that is not a wijk or buurt
    SELECT f.*, f.area_code AS source_code, CAST(NULL AS VARCHAR) AS estimate_method,
           FALSE AS series_break
    FROM facts f
    WHERE f.period_year = $reference_year
       OR NOT (f.area_code LIKE 'WK%' OR f.area_code LIKE 'BU%')
),
to_sizes AS (  -- per reference area and year: how many old areas feed it, and is it a copy
    SELECT geo_year, area_level, to_code,
           count(*) AS n_parts, bool_and(whole) AND count(*) = 1 AS copy,
           CASE WHEN bool_or(method = 'oppervlakte') THEN 'oppervlakte'
                WHEN bool_or(method = 'adressen') THEN 'adressen' END AS method
    FROM mapping
    GROUP BY ALL
),
copied AS (
    SELECT f.indicator_id, m.to_code AS area_code, f.period_year, f.value, f.numerator,
           f.denominator, f.suppressed, f.suppression_reason, f.is_estimate, f.partial,
           f.input_versions, f.area_code AS source_code,
           CAST(NULL AS VARCHAR) AS estimate_method, FALSE AS series_break
    FROM cbs_area f
    JOIN mapping m
      ON m.geo_year = f.period_year AND m.area_level = f.area_level AND m.from_code = f.area_code
    JOIN to_sizes s
      ON s.geo_year = m.geo_year AND s.area_level = m.area_level AND s.to_code = m.to_code
    WHERE s.copy AND f.period_year <> $reference_year
),
parts AS (  -- every (indicator, year) x part of a restated reference area, found or not
    SELECT i.indicator_id, s.geo_year AS period_year, s.area_level, s.to_code, s.method,
           s.n_parts, m.from_code, m.weight
    FROM to_sizes s
    JOIN mapping m USING (geo_year, area_level, to_code)
    CROSS JOIN (SELECT DISTINCT indicator_id FROM facts) i
    WHERE NOT s.copy AND s.geo_year <> $reference_year
),
restated_sums AS (
    SELECT p.indicator_id, p.to_code AS area_code, p.period_year, p.method,
           count(f.indicator_id) AS n_found, any_value(p.n_parts) AS n_parts,
           bool_or(f.suppressed) AS any_suppressed,
           min(f.suppression_reason) AS reason,
           bool_or(f.partial) AS partial,
           sum(p.weight * f.numerator) AS num,
           sum(p.weight * f.denominator) AS den,
           sum(p.weight * f.denominator * f.value) AS val_w,
           sum(p.weight * f.value) AS val_count,
           list_sort(list_distinct(flatten(list(f.input_versions)))) AS input_versions
    FROM parts p
    LEFT JOIN cbs_area f
           ON f.indicator_id = p.indicator_id AND f.period_year = p.period_year
          AND f.area_code = p.from_code
    GROUP BY ALL
    HAVING count(f.indicator_id) > 0  -- an indicator without any figure that year: no row
),
restated AS (
    SELECT r.indicator_id, r.area_code, r.period_year,
           CASE WHEN ok AND k.kind IN ('count', 'ratio', 'weighted') THEN
               CASE k.kind WHEN 'count' THEN r.val_count
                           WHEN 'ratio' THEN CASE WHEN r.den > 0 THEN r.num / r.den * k.scale END
                           WHEN 'weighted' THEN CASE WHEN r.den > 0 THEN r.val_w / r.den END
               END
           END AS value,
           CASE WHEN ok AND k.kind IN ('count', 'ratio') THEN coalesce(r.num, r.val_count) END
               AS numerator,
           CASE WHEN ok AND k.kind IN ('ratio', 'weighted') THEN r.den END AS denominator,
           NOT ok OR k.kind NOT IN ('count', 'ratio', 'weighted')
               OR (k.kind <> 'count' AND NOT coalesce(r.den > 0, FALSE)) AS suppressed,
           CASE WHEN k.kind NOT IN ('count', 'ratio', 'weighted') THEN $not_restatable_reason
                WHEN r.n_found < r.n_parts THEN 'geen bron dit jaar'
                WHEN r.any_suppressed THEN r.reason
                WHEN k.kind <> 'count' AND NOT coalesce(r.den > 0, FALSE)
                    THEN 'niet te berekenen (noemer 0)'
           END AS suppression_reason,
           TRUE AS is_estimate, coalesce(r.partial, FALSE) AS partial, r.input_versions,
           CAST(NULL AS VARCHAR) AS source_code, r.method AS estimate_method,
           FALSE AS series_break
    FROM (SELECT *, n_found = n_parts AND NOT any_suppressed AS ok FROM restated_sums) r
    JOIN kinds k USING (indicator_id)
),
unlinked AS (  -- years without boundaries: own figures on codes the reference year has
    SELECT f.indicator_id, f.area_code, f.period_year, f.value, f.numerator, f.denominator,
           f.suppressed, f.suppression_reason, f.is_estimate, f.partial, f.input_versions,
           f.area_code AS source_code, CAST(NULL AS VARCHAR) AS estimate_method,
           coalesce(b.series_break, TRUE) AS series_break
    FROM cbs_area f
    LEFT JOIN breaks b USING (period_year, area_code)
    WHERE f.period_year <> $reference_year
      AND NOT EXISTS (
          SELECT 1 FROM linked l WHERE l.area_level = f.area_level AND l.geo_year = f.period_year
      )
      AND EXISTS (SELECT 1 FROM facts r WHERE r.period_year = $reference_year
                                         AND r.area_code = f.area_code)
),
cbs_harmonised AS (
    SELECT indicator_id, area_code, period_year, value, numerator, denominator, suppressed,
           suppression_reason, is_estimate, partial, input_versions, source_code,
           estimate_method, series_break
    FROM copied
    UNION ALL BY NAME SELECT * FROM restated
    UNION ALL BY NAME SELECT * FROM unlinked
),
own_touched AS (  -- own areas x year with a part that was restated, recoded or broken
    SELECT DISTINCT o.area_code, h.indicator_id, h.period_year
    FROM own_parts o
    JOIN cbs_harmonised h ON h.area_code = o.part_code
    JOIN kinds k USING (indicator_id)
    WHERE (h.estimate_method IS NOT NULL OR h.series_break
           OR h.source_code IS DISTINCT FROM h.area_code)
      AND k.kind <> 'delivered'
),
own_sums AS (
    SELECT t.area_code, t.indicator_id, t.period_year,
           count(h.area_code) AS n_found,
           (SELECT count(*) FROM own_parts p WHERE p.area_code = t.area_code) AS n_parts,
           bool_or(h.suppressed) AS any_suppressed, min(h.suppression_reason) AS reason,
           bool_or(h.partial) AS partial, bool_or(h.series_break) AS series_break,
           bool_or(h.is_estimate) AS any_estimate,
           CASE WHEN bool_or(h.estimate_method = 'oppervlakte') THEN 'oppervlakte'
                WHEN bool_or(h.estimate_method = 'adressen') THEN 'adressen' END AS method,
           sum(h.numerator) AS num, sum(h.denominator) AS den,
           sum(h.denominator * h.value) AS val_w, sum(h.value) AS val_count,
           list_sort(list_distinct(flatten(list(h.input_versions)))) AS input_versions
    FROM own_touched t
    JOIN own_parts o ON o.area_code = t.area_code
    LEFT JOIN cbs_harmonised h
           ON h.area_code = o.part_code AND h.indicator_id = t.indicator_id
          AND h.period_year = t.period_year
    GROUP BY ALL
),
own_restated AS (
    SELECT r.indicator_id, r.area_code, r.period_year,
           CASE WHEN ok AND k.kind IN ('count', 'ratio', 'weighted') THEN
               CASE k.kind WHEN 'count' THEN r.val_count
                           WHEN 'ratio' THEN CASE WHEN r.den > 0 THEN r.num / r.den * k.scale END
                           WHEN 'weighted' THEN CASE WHEN r.den > 0 THEN r.val_w / r.den END
               END
           END AS value,
           CASE WHEN ok AND k.kind IN ('count', 'ratio') THEN coalesce(r.num, r.val_count) END
               AS numerator,
           CASE WHEN ok AND k.kind IN ('ratio', 'weighted') THEN r.den END AS denominator,
           NOT ok OR k.kind NOT IN ('count', 'ratio', 'weighted')
               OR (k.kind <> 'count' AND NOT coalesce(r.den > 0, FALSE)) AS suppressed,
           CASE WHEN k.kind NOT IN ('count', 'ratio', 'weighted') THEN $not_restatable_reason
                WHEN r.n_found < r.n_parts THEN 'geen bron dit jaar'
                WHEN r.any_suppressed THEN r.reason
                WHEN k.kind <> 'count' AND NOT coalesce(r.den > 0, FALSE)
                    THEN 'niet te berekenen (noemer 0)'
           END AS suppression_reason,
           coalesce(r.any_estimate, FALSE) OR k.kind = 'weighted' AS is_estimate,
           coalesce(r.partial, FALSE) AS partial, r.input_versions,
           r.area_code AS source_code, r.method AS estimate_method,
           coalesce(r.series_break, FALSE) AS series_break
    FROM (SELECT *, n_found = n_parts AND NOT coalesce(any_suppressed, TRUE) AS ok
          FROM own_sums) r
    JOIN kinds k USING (indicator_id)
),
kept_not_touched AS (
    SELECT k.* FROM kept k
    WHERE NOT EXISTS (
        SELECT 1 FROM own_touched t
        WHERE t.area_code = k.area_code AND t.indicator_id = k.indicator_id
          AND t.period_year = k.period_year
    )
)
SELECT indicator_id, area_code, CAST(period_year AS BIGINT) AS period_year, value, numerator,
       denominator, suppressed, suppression_reason, is_estimate, partial, input_versions,
       estimate_method, series_break
FROM (
    SELECT * EXCLUDE (source_code) FROM kept_not_touched
    UNION ALL BY NAME SELECT * EXCLUDE (source_code) FROM cbs_harmonised
    UNION ALL BY NAME SELECT * EXCLUDE (source_code) FROM own_restated
)
ORDER BY indicator_id, area_code, period_year
