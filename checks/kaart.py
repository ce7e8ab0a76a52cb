"""The contract of the wijk- en buurtkaart (source "cbs_kaart"): which rows are accepted, which
are quarantined and why, and the Great Expectations suite every accepted layer must meet.

Row rules (`split_kaart`), each quarantining the row with its reason:
- the area code is missing;
- the area code is malformed (not NL00, GM9999, WK9999XX or BU9999XXXX; the characters after
  the gemeente digits may be letters, e.g. WK0363AD, BU0363AD03);
- the area code is of another level than the layer (a WK code in a buurt layer);
- the area code repeats another row's. The first row keeps the code, except that a land row
  wins over a water row (WATER = JA): the gemeente tables of the kaart repeat a gemeente's code
  for its water part, and those rows are quarantined, whatever their order.

Marker values were already turned into NULL by the reader; each one is reported here as a
Problem of severity "null".
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from checks.gx import run_suite
from checks.report import Problem, ValidationReport
from sources.config import AREA_CODE, GEMEENTE_CODE
from sources.kaart import KaartLayer, KaartReadError, read_kaart_file, read_kaart_folder

SOURCE = "cbs_kaart"

LEVEL_PREFIX: dict[str, str] = {"gemeente": "GM", "wijk": "WK", "buurt": "BU"}
COUNT_COLUMNS: tuple[str, ...] = ("aantal_inwoners", "aantal_huishoudens", "woningvoorraad")
PERCENTAGE_PREFIX = "percentage_"


def kaart_expectations(level: str, columns: Iterable[str] | None = None) -> list:
    """The GX expectations for one layer of `level`.

    Always: area_code not null, well-formed and unique (per `geo_year` when the frame stacks
    several years); gemeente_code well-formed; every row of
    the layer's level. With `columns` (the frame's columns): the counts in COUNT_COLUMNS >= 0
    and every `percentage_*` column between 0 and 100, for those present. Fresh objects on
    every call (GX will not add one expectation object to two suites)."""
    import great_expectations.expectations as gxe  # heavy: only when a suite runs

    if level not in LEVEL_PREFIX:
        raise ValueError(f"unknown kaart level {level!r}; expected one of {list(LEVEL_PREFIX)}")
    present = list(columns) if columns is not None else []
    expectations: list = [
        gxe.ExpectColumnValuesToNotBeNull(column="area_code"),
        gxe.ExpectColumnValuesToMatchRegex(column="area_code", regex=AREA_CODE.pattern),
        (
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["geo_year", "area_code"])
            if "geo_year" in present
            else gxe.ExpectColumnValuesToBeUnique(column="area_code")
        ),
        gxe.ExpectColumnValuesToMatchRegex(column="gemeente_code", regex=GEMEENTE_CODE.pattern),
        gxe.ExpectColumnValuesToBeInSet(column="level", value_set=[level]),
    ]
    expectations += [
        gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0)
        for c in COUNT_COLUMNS
        if c in present
    ]
    expectations += [
        gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=100)
        for c in present
        if c.startswith(PERCENTAGE_PREFIX)
    ]
    return expectations


def split_kaart(layer: KaartLayer) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(accepted rows, quarantined rows) of one layer.

    The accepted frame keeps the layer frame's type, columns and index (index = line - 1).
    The quarantine frame has `line` (1-based data row), `area_code` and `reason`."""
    frame = layer.frame
    prefix = LEVEL_PREFIX[layer.level]
    codes = frame["area_code"].tolist()
    water = frame["water"].tolist() if "water" in frame.columns else [None] * len(frame)
    reasons: dict[int, str] = {}
    by_code: dict[str, list[int]] = {}
    for pos, code in enumerate(codes):
        if not isinstance(code, str) or not code.strip():
            reasons[pos] = "area code missing (geen gebiedscode)"
        elif not AREA_CODE.match(code):
            reasons[pos] = (
                f"malformed area code {code!r}: expected GM + 4 digits, WK + 4 digits + 2 "
                "characters or BU + 4 digits + 4 characters"
            )
        elif not code.startswith(prefix):
            reasons[pos] = f"area code {code} is not a {layer.level} code ({prefix}...)"
        else:
            by_code.setdefault(code, []).append(pos)
    for code, positions in by_code.items():
        if len(positions) < 2:
            continue
        keeper = next((p for p in positions if water[p] is not True), positions[0])
        for pos in positions:
            if pos == keeper:
                continue
            where = "earlier" if keeper < pos else "later"
            reason = f"duplicate area code {code}: the same code is on {where} line {keeper + 1}"
            if water[pos] is True and water[keeper] is not True:
                reason += " (this row is the water part, WATER = JA)"
            reasons[pos] = reason
    bad = sorted(reasons)
    quarantined = pd.DataFrame(
        {
            "line": pd.Series([p + 1 for p in bad], dtype="int64"),
            "area_code": pd.Series(
                [codes[p] if isinstance(codes[p], str) else None for p in bad], dtype="str"
            ),
            "reason": pd.Series([reasons[p] for p in bad], dtype="str"),
        }
    )
    keep = [p for p in range(len(frame)) if p not in reasons]
    return frame.iloc[keep], quarantined


def validate_kaart(path: Path | str) -> ValidationReport:
    """Read and check one kaart file (or every kaart file of a folder) against the contract."""
    path = Path(path)
    try:
        layers = read_kaart_folder(path) if path.is_dir() else read_kaart_file(path)
    except KaartReadError as exc:
        return ValidationReport.rejected(SOURCE, exc)
    report = ValidationReport(source=SOURCE, path=str(path))
    several = len(layers) > 1
    for layer in layers:
        # With more than one layer a row number alone is ambiguous: say which layer.
        label = f"{_label(layer, path)}: " if several else ""
        report.rows_read += layer.rows_read
        report.problems += [Problem(n.row, n.column, label + n.reason, "null") for n in layer.nulls]
        accepted, quarantined = split_kaart(layer)
        report.rows_accepted += len(accepted)
        report.rows_quarantined += len(quarantined)
        report.problems += [
            Problem(int(q.line), "area_code", label + q.reason, "quarantined")
            for q in quarantined.itertuples(index=False)
        ]
        report.problems += _suite_problems(layer, accepted, label)
    return report


def _label(layer: KaartLayer, root: Path) -> str:
    name = layer.path.name if layer.path != root else ""
    return ":".join(part for part in (name, layer.layer or "") if part) or layer.path.name


def _suite_problems(layer: KaartLayer, accepted: pd.DataFrame, label: str) -> list[Problem]:
    """GX on the accepted rows: a failure there is not explained by quarantine -> a warning."""
    if accepted.empty:
        return []
    frame = pd.DataFrame(accepted)
    if isinstance(accepted, gpd.GeoDataFrame):
        frame = pd.DataFrame(accepted.drop(columns=accepted.geometry.name))
    try:
        outcome = run_suite(
            f"{SOURCE}_{layer.level}", frame, kaart_expectations(layer.level, frame.columns)
        )
    except Exception as exc:  # a broken suite must not hide the rest of the report
        return [Problem(None, None, f"{label}GX suite could not run: {exc}", "warning")]
    return [
        Problem(
            None,
            o.column,
            f"{label}{o.expectation} failed for {o.unexpected_count} rows, e.g. {o.sample[:3]}",
            "warning",
        )
        for o in outcome.failed
    ]


def kaart_suites(layers_by_year: dict[int, list[KaartLayer]]) -> list:
    """One GX suite per level over the accepted rows of every year (stacked with `geo_year`):
    a few suites instead of one per file keeps the check fast."""
    by_level: dict[str, list[pd.DataFrame]] = {}
    where: dict[str, list[str]] = {}
    for year, layers in layers_by_year.items():
        for layer in layers:
            frame = layer.frame
            if isinstance(frame, gpd.GeoDataFrame):
                frame = frame.drop(columns=frame.geometry.name)
            if len(frame):
                by_level.setdefault(layer.level, []).append(
                    pd.DataFrame(frame).assign(geo_year=year)
                )
                label = f"{layer.path}" + (f" (layer {layer.layer})" if layer.layer else "")
                where.setdefault(layer.level, []).extend([label] * len(frame))
    outcomes = []
    for level, frames in by_level.items():
        stacked = pd.concat(frames, ignore_index=True)
        outcomes.append(
            run_suite(
                f"{SOURCE}_{level}",
                stacked,
                kaart_expectations(level, stacked.columns),
                where[level],
            )
        )
    return outcomes
