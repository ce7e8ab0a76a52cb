"""Small numbers pooled, not lost (issue 12): three-year figures for municipal counts in the
focus and programme areas.

Where a single year of a municipal count (catalogue `disclosure = "kleine aantallen"`, formula
`municipal`, unit `aantal`) in a focus or programme area is too small to publish, or its 95%
Poisson interval is wider than the count itself (the figure says next to nothing), the sum of
three consecutive years is offered instead: `2021–2023`, or `2021/2022–2023/2024` for school
years (en dash). One window is offered per weak year: the one ending in that year; the window
ending two years later when the series does not reach back that far.

`pooled_candidates` works out those windows from the unprotected single years, before
disclosure control. The pooled figures then pass the same control as the single years
(`transforms.disclosure.protect(..., pooled=...)`): a pooled figure is below the threshold,
or pooled minus the published single years would give away (or narrow) a hidden one, and it
is hidden too, or another cell is.

Columns of a pooled frame (`POOLED_COLUMNS`): indicator_id, area_code, window_start,
window_end, period_label, value, suppressed, suppression_reason, synthetic, run_id."""

from __future__ import annotations

import pandas as pd
from scipy.stats import chi2

from transforms.facts import period_label

WINDOW = 3  # years in a pooled figure
POOL_LEVELS = ("focus", "programme")
POOLED_COLUMNS = [
    "indicator_id",
    "area_code",
    "window_start",
    "window_end",
    "period_label",
    "value",
    "suppressed",
    "suppression_reason",
    "synthetic",
    "run_id",
]


def poisson_interval(count: float, level: float = 0.95) -> tuple[float, float]:
    """The exact (Garwood) `level` confidence interval of a Poisson count."""
    alpha = 1.0 - level
    lower = 0.0 if count <= 0 else chi2.ppf(alpha / 2, 2 * count) / 2
    upper = chi2.ppf(1 - alpha / 2, 2 * (count + 1)) / 2
    return float(lower), float(upper)


def too_wide(count: float) -> bool:
    """The single year says next to nothing: its 95% Poisson interval is wider than the
    count itself (true for every count up to 15, false from 16 on)."""
    lower, upper = poisson_interval(count)
    return upper - lower > count


def window_label(period_type: str, start: int, end: int) -> str:
    """`2021–2023`; school years `2021/2022–2023/2024` (en dash)."""
    return f"{period_label(period_type, start)}–{period_label(period_type, end)}"


def pooled_indicators(indicators: pd.DataFrame) -> pd.DataFrame:
    """The catalogue rows whose counts are pooled: municipal counts under small-numbers
    disclosure control."""
    unit = indicators["unit"].astype("string").str.strip()
    keep = (
        (indicators["disclosure"] == "kleine aantallen").fillna(False)
        & (indicators["formula"] == "municipal").fillna(False)
        & (unit == "aantal").fillna(False)
    )
    return indicators[keep.astype(bool)]


def pooled_candidates(
    facts: pd.DataFrame,
    areas: pd.DataFrame,
    indicators: pd.DataFrame,
    min_count: int,
    run_id: str = "",
) -> pd.DataFrame:
    """The pooled figures to offer, from the UNPROTECTED single years in `facts`: for each
    municipal count indicator x focus/programme area x year whose count is below `min_count`
    or `too_wide`, the three-year window ending in that year (or, early in the series, the
    first window covering it) when all three years have a complete count. Value: their sum."""
    subject = pooled_indicators(indicators)
    if subject.empty:
        return pd.DataFrame(columns=POOLED_COLUMNS)
    period_type = dict(zip(subject["indicator_id"], subject["period_type"], strict=True))
    own = set(areas.loc[areas["area_level"].isin(POOL_LEVELS), "area_code"])
    rows = facts[facts["indicator_id"].isin(list(period_type)) & facts["area_code"].isin(own)]
    if "partial" in rows:  # an incomplete year never enters a sum
        rows = rows[~rows["partial"].fillna(False).astype(bool)]
    value = pd.to_numeric(rows["value"], errors="coerce")
    rows = rows.assign(value=value)[value.notna()]
    out = []
    for (indicator, area), g in rows.groupby(["indicator_id", "area_code"], sort=True):
        counts = dict(zip(g["period_year"].astype(int), g["value"].astype(float), strict=True))
        synthetic = bool(g["synthetic"].any()) if "synthetic" in g else False
        windows = set()
        for year, count in counts.items():
            if count >= min_count and not too_wide(count):
                continue
            for end in range(year, year + WINDOW):
                if all(y in counts for y in range(end - WINDOW + 1, end + 1)):
                    windows.add(end)
                    break
        for end in sorted(windows):
            start = end - WINDOW + 1
            out.append(
                {
                    "indicator_id": indicator,
                    "area_code": area,
                    "window_start": start,
                    "window_end": end,
                    "period_label": window_label(period_type[indicator], start, end),
                    "value": float(sum(counts[y] for y in range(start, end + 1))),
                    "suppressed": False,
                    "suppression_reason": None,
                    "synthetic": synthetic,
                    "run_id": run_id,
                }
            )
    frame = pd.DataFrame(out, columns=POOLED_COLUMNS)
    return frame.astype({"window_start": "int64", "window_end": "int64", "value": "float64"})


def empty_pooled() -> pd.DataFrame:
    return pd.DataFrame(columns=POOLED_COLUMNS).astype(
        {"window_start": "int64", "window_end": "int64", "value": "float64"}
    )
