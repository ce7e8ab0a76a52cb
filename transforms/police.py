"""Police counts per month -> yearly safety indicators per area (`veiligheid.*`), in DuckDB.

Which crime codes an indicator adds up, over which CBS denominator, is data: the catalogue's
`formula = "police"` entries (`POLICE_INDICATORS`, registered as the relation `police_terms`). The rules (indicators.md):
- a year is summed from its months; fewer than twelve month rows per code -> the figure is
  kept but `partial`; a month published as NULL -> 'bron geheim';
- year rows (JJ00) never fill gaps: they are only compared with the twelve months (warnings);
- CBS areas use their own police count and their own CBS denominator; own areas sum both over
  their members; no denominator -> 'geen bron dit jaar', 0 -> 'niet te berekenen (noemer 0)'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from transforms.catalogue import load_catalogue

SQL_DIR = Path(__file__).with_name("sql")


@dataclass(frozen=True)
class PoliceIndicator:
    id: str
    codes: tuple[str, ...]  # SoortMisdrijf codes whose counts are added up
    denominator: str  # CBS Kerncijfers key stem of the same year
    scale: float = 1000.0


# From the catalogue (`formula = "police"`): a new police indicator of this shape is a
# catalogue entry, not new code.
POLICE_INDICATORS: tuple[PoliceIndicator, ...] = tuple(
    PoliceIndicator(i.id, i.crime_codes, i.denominator_vars[0], i.scale)
    for i in load_catalogue()
    if i.formula == "police"
)


def police_terms(indicators: Sequence[PoliceIndicator] = POLICE_INDICATORS) -> pd.DataFrame:
    """indicator_id, code, denominator_stem, scale: one row per crime code of an indicator."""
    return pd.DataFrame(
        [(i.id, c, i.denominator, float(i.scale)) for i in indicators for c in i.codes],
        columns=["indicator_id", "code", "denominator_stem", "scale"],
    )


def police_codes(indicators: Sequence[PoliceIndicator] = POLICE_INDICATORS) -> list[str]:
    """The crime codes to ask the police table for (`sources.politie.politie_queries`)."""
    return sorted({c for i in indicators for c in i.codes})


def police_denominators(
    cbs_values: pd.DataFrame, indicators: Sequence[PoliceIndicator] = POLICE_INDICATORS
) -> pd.DataFrame:
    """The CBS figures the indicators divide by, from `combine_years(...)["values"]`
    (period_year, area_code, stem, value): period_year, area_code, stem, value."""
    stems = {i.denominator for i in indicators}
    cols = ["period_year", "area_code", "stem", "value"]
    return cbs_values.loc[cbs_values["stem"].isin(stems), cols].reset_index(drop=True)


@dataclass
class PoliceFacts:
    facts: pa.Table  # FACT_COLUMNS
    year_mismatches: pd.DataFrame  # area_code, code, year, year_count, month_sum
    warnings: list[str] = field(default_factory=list)


def _sql(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


def police_indicator_facts(
    accepted: pd.DataFrame,
    cbs_denominators: pd.DataFrame,
    own_members: pd.DataFrame,
    years: Iterable[int],
    indicators: Sequence[PoliceIndicator] = POLICE_INDICATORS,
) -> PoliceFacts:
    """One row per police indicator x area x configured year (areas: those the police table
    has that year, plus every own area), and the year-row cross-check.

    `accepted`: `checks.politie.split_politie(...).accepted` (area_code, code, year, month,
    count; month 0 = a JJ00 row). `cbs_denominators`: period_year, area_code, stem, value.
    `own_members`: area_code, member_code (buurt or wijk codes)."""
    years = sorted(set(years))
    rows = pa.Table.from_pandas(
        accepted[["area_code", "code", "year", "month", "count"]].astype(
            {"area_code": str, "code": str, "year": "int64", "month": "int64", "count": "Float64"}
        ),
        preserve_index=False,
    )
    dens = pa.Table.from_pandas(
        cbs_denominators[["period_year", "area_code", "stem", "value"]].astype(
            {"period_year": "int64", "area_code": str, "stem": str, "value": "Float64"}
        ),
        preserve_index=False,
    )
    con = duckdb.connect()
    try:
        con.register("police_months", rows)
        con.register("police_rows", rows)
        con.register("police_terms", police_terms(indicators))
        con.register("cbs_denominators", dens)
        con.register("own_members", own_members[["area_code", "member_code"]].astype(str))
        con.register("years", pd.DataFrame({"period_year": pd.Series(years, dtype="int64")}))
        facts = con.sql(_sql("police_indicator_facts.sql")).to_arrow_table()
        mismatches = con.sql(_sql("police_year_check.sql")).df()
        months = con.execute(
            "SELECT y.period_year, count(DISTINCT m.month) FROM years y "
            "LEFT JOIN police_rows m ON m.year = y.period_year AND m.month BETWEEN 1 AND 12 "
            "GROUP BY ALL ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    warnings = []
    for year, n in months:
        if n == 0:
            warnings.append(f"{year}: the police table has no months of this year")
        elif n < 12:
            warnings.append(f"{year}: the police table has {n} of 12 months; figures are partial")
    for m in mismatches.itertuples():
        warnings.append(
            f"{m.year} {m.area_code} {m.code}: year row (JJ00) {m.year_count:g} differs from "
            f"the sum of its 12 months {m.month_sum:g}"
        )
    return PoliceFacts(facts=facts, year_mismatches=mismatches, warnings=warnings)
