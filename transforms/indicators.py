"""CBS figures across years -> indicator facts per area x year, as the catalogue says.

Figures are matched across years by key stem (older stems mapped onto their successors);
the arithmetic runs in DuckDB (`sql/cbs_indicator_facts.sql`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from checks.kerncijfers import KerncijfersSplit
from transforms.catalogue import Indicator, term_frame

SQL_DIR = Path(__file__).with_name("sql")

# Stems that CBS renamed over the years, mapped onto the name the catalogue uses.
STEM_SUCCESSORS = {
    "HuishoudensMetLaagInkomen": "HuishoudensMetEenLaagInkomen",
    "PersonenMetEenWWBUitkeringTotaal": "PersonenPerSoortUitkeringBijstand",
}


def sql_file(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


def combine_years(splits: Sequence[KerncijfersSplit]) -> dict[str, pd.DataFrame]:
    """Stack the accepted figures of every year into long frames keyed by period_year."""
    values, present, areas, variables = [], [], [], []
    for s in splits:
        v = s.values.assign(period_year=s.year, table_id=s.table_id)
        v["stem"] = v["stem"].replace(STEM_SUCCESSORS)
        values.append(v)
        var = s.variables.assign(period_year=s.year, table_id=s.table_id)
        var["stem"] = var["stem"].replace(STEM_SUCCESSORS)
        variables.append(var)
        present.append(var[["period_year", "stem"]].drop_duplicates())
        areas.append(s.areas.assign(period_year=s.year, table_id=s.table_id))

    def stack(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    return {
        "values": stack(values, ["area_code", "stem", "key", "value", "period_year", "table_id"]),
        "present": stack(present, ["period_year", "stem"]),
        "areas": stack(areas, ["area_code", "area_level", "area_name", "period_year", "table_id"]),
        "variables": stack(variables, ["stem", "key", "title", "unit", "datatype", "period_year"]),
    }


def cbs_indicator_facts(
    combined: dict[str, pd.DataFrame],
    own_members: pd.DataFrame,
    catalogue: Sequence[Indicator],
) -> pa.Table:
    """One row per CBS indicator x area x year: value, numerator, denominator, suppression."""
    con = duckdb.connect()
    try:
        con.register(
            "cbs_values", combined["values"][["period_year", "area_code", "stem", "value"]]
        )
        con.register("cbs_present", combined["present"])
        con.register("cbs_areas", combined["areas"][["period_year", "area_code"]])
        con.register("indicator_terms", term_frame(tuple(catalogue)))
        members = own_members[["area_code", "member_code"]].astype(str)
        con.register("own_members", members)
        return con.sql(sql_file("cbs_indicator_facts.sql")).to_arrow_table()
    finally:
        con.close()
