"""Indicators from the municipality's own deliveries (uitkeringen, verzuim, leerplichtigen,
incidenten), computed from rows that `transforms.geocode.place` put in buurten.

The output has the shape of the CBS facts (`sql/cbs_indicator_facts.sql`) plus `partial`:
indicator_id, area_code, period_year, value, numerator, denominator, suppressed,
suppression_reason, is_estimate, partial. Areas: every buurt and wijk of the gemeente, the
gemeente and the own areas (never the Netherlands: municipal data has no national figure).
Small numbers are NOT suppressed here (disclosure control is a later step); the only reasons
set here are "geen bron dit jaar", "bron geheim" (a secret CBS denominator) and
"niet te berekenen (noemer 0)".

The arithmetic runs in DuckDB: `sql/municipal_units.sql` (what is counted, one buurt per
unit), `sql/municipal_periods.sql` (which periods have a delivery, which are partial) and
`sql/municipal_indicator_facts.sql` (areas, zeros, denominators, rates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from checks.deliveries import DECLARATIONS
from checks.deliveries.spec import LATEST_DELIVERY_PER_KEY
from sources.rowfiles import ParquetRows, rows_connection
from transforms.catalogue import load_catalogue
from transforms.facts import FACT_COLUMNS

SQL_DIR = Path(__file__).with_name("sql")

# The codes the indicators count (indicators.md); bound as SQL parameters.
CODES: dict[str, object] = {
    "bijstand_regeling": "PW",  # algemene bijstand under the Participatiewet
    "langdurig_jaren": 3,  # langdurig: began on or before 31 December of year - 3
    "reden_werk": "WERK",
    "geen_melding": ["VSV"],  # an early school leaver is not an absence report
    "absoluut": "ABSOLUUT",
    "vsv": "VSV",
    "overlast": [
        "JEUGDOVERLAST",
        "BURENOVERLAST",
        "DRUGSOVERLAST",
        "VERWARD_GEDRAG",
        "OVERLAST_OVERIG",
    ],
    "jeugdoverlast": ["JEUGDOVERLAST"],
    "afval": ["AFVAL_NAAST_CONTAINER", "ZWERFAFVAL", "GROFVUIL"],
    "ongedierte": ["ONGEDIERTE_RATTEN", "ONGEDIERTE_OVERIG"],
    "geannuleerd": "GEANNULEERD",  # a cancelled report is not counted
    "afgehandeld": "AFGEHANDELD",
    "afhandeltermijn_dagen": 14,
}

# measure -> (source, period rule); see sql/municipal_periods.sql for the rules.
MEASURES: dict[str, tuple[str, str]] = {
    "bijstand_personen": ("uitkeringen", "december"),
    "bijstand_langdurig": ("uitkeringen", "december"),
    "bijstand_instroom": ("uitkeringen", "months"),
    "bijstand_uitstroom_werk": ("uitkeringen", "months"),
    "verzuim_meldingen": ("verzuim", "schoolyear"),
    "absoluut_verzuim": ("verzuim", "schoolyear"),
    "vsv": ("verzuim", "schoolyear"),
    "overlast_incidenten": ("incidenten", "months"),
    "jeugdoverlast": ("incidenten", "months"),
    "meldingen_afval": ("meldingen", "months"),
    "meldingen_ongedierte": ("meldingen", "months"),
    "meldingen_geteld": ("meldingen", "months"),
    "meldingen_binnen_termijn": ("meldingen", "months"),
    "doorlooptijd": ("meldingen", "months"),  # the days to resolution of each resolved report
}


@dataclass(frozen=True)
class MunicipalIndicator:
    id: str  # the catalogue id
    measure: str  # the numerator (a MEASURES key)
    den_kind: str = "none"  # none | measure | cbs | leerplichtigen
    den_measure: str | None = None  # den_kind 'measure'
    den_stems: tuple[str, ...] = ()  # den_kind 'cbs'
    scale: float = 1.0
    statistic: str = "count"  # count | median (of the units' values)

    @property
    def sources(self) -> tuple[str, ...]:
        """The delivery sources its numerator and denominator come from."""
        out = [MEASURES[self.measure][0]]
        if self.den_kind == "measure" and self.den_measure:
            out.append(MEASURES[self.den_measure][0])
        elif self.den_kind == "leerplichtigen":
            out.append("leerplichtigen")
        return tuple(dict.fromkeys(out))


def _from_catalogue(entry) -> MunicipalIndicator:
    if entry.measure not in MEASURES:
        raise ValueError(
            f"{entry.id}: unknown measure {entry.measure!r}; known: {sorted(MEASURES)}"
        )
    if entry.denominator_vars:
        return MunicipalIndicator(
            entry.id,
            entry.measure,
            "cbs",
            den_stems=entry.denominator_vars,
            scale=entry.scale,
            statistic=entry.statistic,
        )
    if entry.denominator_measure == "leerplichtigen":
        return MunicipalIndicator(entry.id, entry.measure, "leerplichtigen", scale=entry.scale)
    if entry.denominator_measure:
        if entry.denominator_measure not in MEASURES:
            raise ValueError(
                f"{entry.id}: unknown denominator_measure {entry.denominator_measure!r}"
            )
        return MunicipalIndicator(
            entry.id, entry.measure, "measure", entry.denominator_measure, scale=entry.scale
        )
    return MunicipalIndicator(entry.id, entry.measure, scale=entry.scale, statistic=entry.statistic)


# From the catalogue (`formula = "municipal"`): a new indicator over an existing measure (say,
# inflow per 1,000 inhabitants aged 15-64) is a catalogue entry, not new code.
def indicators_from_catalogue(catalogue) -> tuple[MunicipalIndicator, ...]:
    return tuple(_from_catalogue(i) for i in catalogue if i.formula == "municipal")


INDICATORS: tuple[MunicipalIndicator, ...] = indicators_from_catalogue(load_catalogue())

# The columns of the inputs that are not delivery sources, with the dtype used when absent.
INPUT_COLUMNS: dict[str, dict[str, str]] = {
    "cbs_denominators": {
        "period_year": "int64",
        "area_code": "string",
        "stem": "string",
        "value": "Float64",
    },
    "deliveries": {"source": "string", "period": "string"},
    "buurten": {"geo_year": "int64", "buurt_code": "string", "wijk_code": "string"},
    "own_members": {"area_code": "string", "member_code": "string"},
}
# Column type of a declaration -> the dtype of a delivery source's registered frame.
_DTYPES = {
    "integer": "Int64",
    "number": "Float64",
    "date": "datetime64[us]",
    "datetime": "datetime64[us]",
}
_PLACED = {"buurt_code": "string", "wijk_code": "string"}


def source_columns(source: str) -> dict[str, str]:
    """The columns (and dtypes) a delivery source's rows have when the SQL reads them: the
    declaration's accepted columns, and for placed rows the buurt and wijk."""
    d = DECLARATIONS[source]
    out = {"file": "string", "line": "Int64", "period": "string"}
    out.update({x.name: _DTYPES.get(x.type, "string") for x in d.derived})
    out.update({c.accepted: _DTYPES.get(c.type, "string") for c in d.columns})
    if d.placement:
        out.update(_PLACED)
    return out


def sql_file(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


def municipal_indicator_facts(
    *,
    gemeente: str,
    buurten: pd.DataFrame,
    own_members: pd.DataFrame,
    deliveries: pd.DataFrame,
    cbs_denominators: pd.DataFrame | None = None,
    indicators: Sequence[MunicipalIndicator] | None = None,
    **sources: pd.DataFrame | None,
) -> pa.Table:
    """One row per municipal indicator x area x period (columns: FACT_COLUMNS).

    - buurten: geo_year, buurt_code, wijk_code: the buurten of the gemeente per boundary year
      (`geocode.buurt_polygons`, geometry ignored). A period year uses the buurten of its own
      boundary year (else the nearest earlier, else the nearest later), plus any buurt the
      placed rows name.
    - own_members: area_code, member_code (buurt or wijk codes).
    - deliveries: source, period: the CURRENT delivery files (one per source and period),
      including any whose rows were all quarantined: a delivered period with nothing counted
      gives zeros, a period without a delivery gives no rows.
    - sources: per delivery source (by its name), the rows of the current files: placed rows
      (`geocode.Placement.placed`) for a source with a placement, else accepted rows; a
      source not given is registered empty (its declared columns).
    - cbs_denominators: period_year, area_code, stem, value as published (NULL = secret).
    """
    unknown = sorted(set(sources) - set(DECLARATIONS))
    if unknown:
        raise ValueError(f"unknown delivery sources {unknown}; known: {list(DECLARATIONS)}")
    frames = {
        "cbs_denominators": cbs_denominators,
        "deliveries": deliveries,
        "buurten": buurten,
        "own_members": own_members,
    }
    con = rows_connection(sources.values())
    try:
        for name, frame in frames.items():
            con.register(name, _input(name, frame))
        for source in DECLARATIONS:
            _register_source(con, source, sources.get(source))
        con.register("measures", _measure_frame())
        chosen = INDICATORS if indicators is None else tuple(indicators)
        con.register("indicators", _indicator_frame(chosen))
        con.register("den_stems", _stem_frame(chosen))
        units = sql_file("municipal_units.sql")
        con.execute(f"CREATE TEMP TABLE units AS {units}", _params(units, CODES))
        con.execute(f"CREATE TEMP TABLE measure_periods AS {sql_file('municipal_periods.sql')}")
        facts = sql_file("municipal_indicator_facts.sql")
        return con.sql(facts, params={"gemeente": gemeente}).to_arrow_table()
    finally:
        con.close()


def _input(name: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    columns = INPUT_COLUMNS[name]
    if frame is None:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    missing = sorted(set(columns) - set(frame.columns))
    if missing:
        raise ValueError(f"{name}: missing columns {missing}")
    return pd.DataFrame(frame[list(columns)])


def _register_source(
    con: duckdb.DuckDBPyConnection, source: str, rows: pd.DataFrame | ParquetRows | None
) -> None:
    """The rows of `source` as the table the SQL reads under the source's name; rows in
    Parquet files (a large delivery, placed) are read by DuckDB as the query goes."""
    if isinstance(rows, ParquetRows):
        d = DECLARATIONS[source]
        columns = list(source_columns(source))
        if d.replacement != LATEST_DELIVERY_PER_KEY and set(columns) <= set(rows.columns):
            chosen = ParquetRows(rows.paths, tuple(columns))
            con.execute(f'CREATE TEMP VIEW "{source}" AS {chosen.sql()}')
            return
        rows = rows.frame()
    con.register(source, _source_input(source, rows))


def _source_input(source: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    """The declared columns of `source`: those `frame` has as they are, the others NA."""
    columns = source_columns(source)
    d = DECLARATIONS[source]
    if frame is not None and d.replacement == LATEST_DELIVERY_PER_KEY and len(frame):
        frame = latest_per_key(frame, list(d.replacement_key))
    n = 0 if frame is None else len(frame)
    index = None if frame is None else frame.index
    return pd.DataFrame(
        {
            c: frame[c]
            if frame is not None and c in frame.columns
            else pd.Series([None] * n, index=index, dtype=t)
            for c, t in columns.items()
        },
        index=index,
    )


def latest_per_key(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per key: the one of the latest delivery period (then the latest file name, then
    the first line), for sources whose later deliveries repeat a record with its new state."""
    ordered = frame.sort_values(
        ["period", "file", "line"], ascending=[False, False, True], kind="stable"
    )
    return ordered.drop_duplicates(subset=keys, keep="first").sort_index()


def _params(sql: str, values: Mapping[str, object]) -> dict[str, object]:
    """Only the parameters the statement names (DuckDB refuses unused ones)."""
    return {k: v for k, v in values.items() if f"${k}" in sql}


def _measure_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [(m, s, r) for m, (s, r) in MEASURES.items()], columns=["measure", "source", "period_rule"]
    )


def _indicator_frame(indicators: Sequence[MunicipalIndicator]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (i.id, i.measure, i.den_kind, i.den_measure, float(i.scale), i.statistic)
            for i in indicators
        ],
        columns=["indicator_id", "measure", "den_kind", "den_measure", "scale", "statistic"],
    ).astype({"den_measure": "string"})


def _stem_frame(indicators: Sequence[MunicipalIndicator]) -> pd.DataFrame:
    return pd.DataFrame(
        [(i.id, s) for i in indicators for s in i.den_stems], columns=["indicator_id", "stem"]
    )


# --------------------------------------------------------------------------- delivered values

INTERVAL_COLUMNS = ["indicator_id", "area_code", "period_year", "ci_low", "ci_high"]


@dataclass(frozen=True)
class DeliveredFacts:
    """Facts of the `delivered` indicators (values as a source delivered them, e.g. a survey)
    and the interval the supplier gave with a value, where it did."""

    facts: pd.DataFrame  # FACT_COLUMNS
    intervals: pd.DataFrame  # INTERVAL_COLUMNS


def delivered_facts(
    *,
    gemeente: str,
    own_members: pd.DataFrame,
    deliveries: pd.DataFrame,
    catalogue=None,
    years: Sequence[int] = (),
    **sources: pd.DataFrame | None,
) -> DeliveredFacts:
    """Run the facts SQL of every declared source that has one (`facts_sql`) over its rows.

    Each SQL reads its source's rows (registered under the source's name), `deliveries`
    (source, period), `own_members`, `indicators` (indicator_id, measure: the catalogue's
    `delivered` indicators of that source) and `years` (period_year: the configured years, so
    a source measured now and then can say which of them it did not measure), with
    `$gemeente` and the declaration's `facts_params` bound; it returns FACT_COLUMNS plus
    ci_low, ci_high."""
    chosen = load_catalogue() if catalogue is None else catalogue
    facts, intervals = [], []
    for source, d in DECLARATIONS.items():
        if d.facts_sql is None:
            continue
        wanted = pd.DataFrame(
            [
                (i.id, i.measure)
                for i in chosen
                if i.formula == "delivered" and i.delivery_source == source
            ],
            columns=["indicator_id", "measure"],
        )
        con = rows_connection([sources.get(source)])
        try:
            _register_source(con, source, sources.get(source))
            con.register("deliveries", _input("deliveries", deliveries))
            con.register("own_members", _input("own_members", own_members))
            con.register("indicators", wanted)
            con.register(
                "years", pd.DataFrame({"period_year": [int(y) for y in years]}, dtype="int64")
            )
            sql = sql_file(d.facts_sql)
            params = _params(sql, {"gemeente": gemeente, **d.facts_params})
            out = con.sql(sql, params=params).df()
        finally:
            con.close()
        facts.append(out[FACT_COLUMNS])
        given = out[out["ci_low"].notna() | out["ci_high"].notna()]
        intervals.append(given[INTERVAL_COLUMNS])
    return DeliveredFacts(
        facts=pd.concat(facts, ignore_index=True) if facts else pd.DataFrame(columns=FACT_COLUMNS),
        intervals=pd.concat(intervals, ignore_index=True)
        if intervals
        else pd.DataFrame(columns=INTERVAL_COLUMNS),
    )


def sources_of(catalogue=None) -> dict[str, tuple[str, ...]]:
    """indicator_id -> the delivery sources its figures come from (municipal and delivered)."""
    chosen = load_catalogue() if catalogue is None else catalogue
    out = {i.id: i.sources for i in indicators_from_catalogue(chosen)}
    out.update({i.id: (i.delivery_source,) for i in chosen if i.formula == "delivered"})
    return out
