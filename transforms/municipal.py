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

from transforms.catalogue import load_catalogue

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
}


@dataclass(frozen=True)
class MunicipalIndicator:
    id: str  # the catalogue id
    measure: str  # the numerator (a MEASURES key)
    den_kind: str = "none"  # none | measure | cbs | leerplichtigen
    den_measure: str | None = None  # den_kind 'measure'
    den_stems: tuple[str, ...] = ()  # den_kind 'cbs'
    scale: float = 1.0


def _from_catalogue(entry) -> MunicipalIndicator:
    if entry.measure not in MEASURES:
        raise ValueError(
            f"{entry.id}: unknown measure {entry.measure!r}; known: {sorted(MEASURES)}"
        )
    if entry.denominator_vars:
        return MunicipalIndicator(
            entry.id, entry.measure, "cbs", den_stems=entry.denominator_vars, scale=entry.scale
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
    return MunicipalIndicator(entry.id, entry.measure, scale=entry.scale)


# From the catalogue (`formula = "municipal"`): a new indicator over an existing measure (say,
# inflow per 1,000 inhabitants aged 15-64) is a catalogue entry, not new code.
def indicators_from_catalogue(catalogue) -> tuple[MunicipalIndicator, ...]:
    return tuple(_from_catalogue(i) for i in catalogue if i.formula == "municipal")


INDICATORS: tuple[MunicipalIndicator, ...] = indicators_from_catalogue(load_catalogue())

# The columns each input needs, with the dtype used when the input is absent.
_PLACED = {"buurt_code": "string", "wijk_code": "string"}
_ROW = {"period": "string", "file": "string", "line": "int64"}
INPUT_COLUMNS: dict[str, dict[str, str]] = {
    "uitkeringen": {
        **_ROW,
        "client_id": "string",
        "regeling": "string",
        "ingangsdatum": "datetime64[us]",
        "einddatum": "datetime64[us]",
        "reden_einde": "string",
        **_PLACED,
    },
    "verzuim": {
        **_ROW,
        "schooljaar_start": "Int64",
        "melding_id": "string",
        "leerling_id": "string",
        "soort_verzuim": "string",
        **_PLACED,
    },
    "incidenten": {
        **_ROW,
        "incident_id": "string",
        "datum": "datetime64[us]",
        "categorie": "string",
        **_PLACED,
    },
    "leerplichtigen": {"schooljaar_start": "Int64", "gebied_code": "string", "aantal": "Int64"},
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


def sql_file(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


def municipal_indicator_facts(
    *,
    gemeente: str,
    buurten: pd.DataFrame,
    own_members: pd.DataFrame,
    deliveries: pd.DataFrame,
    uitkeringen: pd.DataFrame | None = None,
    verzuim: pd.DataFrame | None = None,
    leerplichtigen: pd.DataFrame | None = None,
    incidenten: pd.DataFrame | None = None,
    cbs_denominators: pd.DataFrame | None = None,
    indicators: Sequence[MunicipalIndicator] | None = None,
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
    - uitkeringen, verzuim, incidenten: placed rows (`geocode.Placement.placed`) of the
      current files; leerplichtigen: accepted rows; cbs_denominators: period_year, area_code,
      stem, value as published (NULL = secret).
    """
    frames = {
        "uitkeringen": uitkeringen,
        "verzuim": verzuim,
        "incidenten": incidenten,
        "leerplichtigen": leerplichtigen,
        "cbs_denominators": cbs_denominators,
        "deliveries": deliveries,
        "buurten": buurten,
        "own_members": own_members,
    }
    con = duckdb.connect()
    try:
        for name, frame in frames.items():
            con.register(name, _input(name, frame))
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


def _params(sql: str, values: Mapping[str, object]) -> dict[str, object]:
    """Only the parameters the statement names (DuckDB refuses unused ones)."""
    return {k: v for k, v in values.items() if f"${k}" in sql}


def _measure_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [(m, s, r) for m, (s, r) in MEASURES.items()], columns=["measure", "source", "period_rule"]
    )


def _indicator_frame(indicators: Sequence[MunicipalIndicator]) -> pd.DataFrame:
    return pd.DataFrame(
        [(i.id, i.measure, i.den_kind, i.den_measure, float(i.scale)) for i in indicators],
        columns=["indicator_id", "measure", "den_kind", "den_measure", "scale"],
    ).astype({"den_measure": "string"})


def _stem_frame(indicators: Sequence[MunicipalIndicator]) -> pd.DataFrame:
    return pd.DataFrame(
        [(i.id, s) for i in indicators for s in i.den_stems], columns=["indicator_id", "stem"]
    )
