"""Finish indicator facts for the warehouse: period labels, provenance, run id, and the
indicator catalogue rows with whether the warehouse holds figures for each."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa

from transforms.catalogue import Indicator, indicator_frame

# The columns every indicator computation returns (CBS, municipal, police), before
# `finish_facts` adds the period label, provenance and run.
FACT_COLUMNS = [
    "indicator_id",
    "area_code",
    "period_year",
    "value",
    "numerator",
    "denominator",
    "suppressed",
    "suppression_reason",
    "is_estimate",
    "partial",
]
# What raw.fact_indicator_restricted keeps of a cell that disclosure control changed.
RESTRICTED_COLUMNS = [c for c in FACT_COLUMNS if c not in ("suppressed", "is_estimate", "partial")]


def period_label(period_type: str, year: int) -> str:
    """Calendar years are `2022`; school years start on 1 August and read `2022/2023`."""
    return f"{year}/{year + 1}" if period_type == "schooljaar" else str(year)


def finish_facts(
    facts: pa.Table,
    catalogue: Sequence[Indicator],
    input_versions: dict[int, list[str]],
    synthetic: bool,
    run_id: str,
) -> pd.DataFrame:
    df = facts.to_pandas()
    period_type = {i.id: i.period_type for i in catalogue}
    df["period_label"] = [
        period_label(period_type[i], int(y))
        for i, y in zip(df["indicator_id"], df["period_year"], strict=True)
    ]
    # Municipal and police facts say whether their period is complete; CBS figures always are.
    df["partial"] = df["partial"].fillna(False).astype(bool) if "partial" in df else False
    df["synthetic"] = synthetic
    if "input_versions" not in df:
        df["input_versions"] = [list(input_versions.get(int(y), [])) for y in df["period_year"]]
    df["run_id"] = run_id
    return df


def dim_indicator(catalogue: Sequence[Indicator], facts: pd.DataFrame) -> pd.DataFrame:
    frame = indicator_frame(tuple(catalogue))
    have = set(facts["indicator_id"].unique()) if len(facts) else set()
    frame["available"] = frame["indicator_id"].isin(have)
    return frame
