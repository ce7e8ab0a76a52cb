"""Contract and expectations for the police table (registered crime per area, kind and month).

`split_politie` splits the rows of a saved table into accepted counts (long: area x crime
kind x period) and quarantined rows, each with file, line, column and reason. Rules, per row:
- the area code is malformed -> quarantined; another gemeente's area -> out of scope (not
  read, not quarantined: a filtered query should not have returned it);
- the crime code is not in the table's SoortMisdrijf dimension -> quarantined;
- the period is not `YYYYMMnn` (month 01-12) or `YYYYJJ00` (year) -> quarantined; other period
  kinds of StatLine (`KW` quarters ...) are quarantined with their own reason;
- the count is negative or not a number -> quarantined; `null` is accepted as NA: not
  published, never zero;
- a repeat of an earlier row's area x period x crime code -> the later one quarantined.
Always rows_read = rows_accepted + rows_quarantined (out of scope counted apart)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from checks.report import Problem, ValidationReport
from sources.config import AREA_CODE
from sources.errors import UnreadableInput
from sources.politie import AREA_KEY, CRIME_KEY, PERIOD_KEY, PoliceTable, read_politie

SOURCE = "politie"
PERIOD = re.compile(r"^(?P<year>\d{4})(?P<kind>[A-Z]{2})(?P<num>\d{2})$")
PERIOD_OK = r"^\d{4}(?:MM(?:0[1-9]|1[0-2])|JJ00)$"
CRIME_CODE_SHAPE = r"^\d+(?:\.\d+)*$"  # used by the suite when the dimension is not at hand
ACCEPTED_COLUMNS = ["area_code", "code", "period", "year", "month", "count", "file", "line"]
QUARANTINE_COLUMNS = ["file", "line", "column", "area_code", "reason"]


@dataclass
class PolitieSplit:
    table_id: str
    accepted: pd.DataFrame  # ACCEPTED_COLUMNS; month 0 = a year row (JJ00); count Float64
    quarantine: pd.DataFrame  # QUARANTINE_COLUMNS
    crime_titles: pd.DataFrame  # code, title (empty when no SoortMisdrijf reply was saved)
    codes_checked: bool  # False: no SoortMisdrijf dimension, crime codes were not checked
    rows_read: int
    rows_accepted: int
    rows_out_of_scope: int  # other gemeenten's areas

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantine)

    @property
    def known_codes(self) -> list[str] | None:
        return list(self.crime_titles["code"]) if self.codes_checked else None


def _count_cell(value: object) -> tuple[float | None, str | None]:
    """(count, problem): None/NaN is 'not published' and no problem."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None, f"aantal {value!r} is geen getal"
    if value < 0:
        return None, f"negatief aantal ({value})"
    return float(value), None


def split_politie(table: PoliceTable, gemeente: str | None = None) -> PolitieSplit:
    """Apply the contract; `gemeente` (GM1916) limits the scope to its areas and NL00."""
    rows = table.rows
    count_col = table.count_key or "GeregistreerdeMisdrijven"
    area = rows["area_code"]
    area_ok = area.str.match(AREA_CODE.pattern).fillna(False).astype(bool)
    if gemeente:
        in_scope = (area == "NL00") | (area.str[2:6] == gemeente[2:])
        out_of_scope = area_ok & ~in_scope.fillna(False).astype(bool)
    else:
        out_of_scope = pd.Series(False, index=rows.index)
    r = rows[~out_of_scope.to_numpy()].reset_index(drop=True)
    area_ok = area_ok[~out_of_scope.to_numpy()].reset_index(drop=True)

    n = len(r)
    reasons: list[list[str]] = [[] for _ in range(n)]
    columns: list[list[str]] = [[] for _ in range(n)]

    def flag(i: int, column: str, text: str) -> None:
        reasons[i].append(text)
        columns[i].append(column)

    for i, (code, ok) in enumerate(zip(r["area_code"].astype(object), area_ok, strict=True)):
        if not ok:
            text = "gebiedscode ontbreekt" if pd.isna(code) else f"onbekende gebiedscode {code!r}"
            flag(i, AREA_KEY, text)
    titles = table.crime_titles
    if titles is not None:
        for i, code in enumerate(r["crime_code"].astype(object)):
            if pd.isna(code):
                flag(i, CRIME_KEY, "soort misdrijf ontbreekt")
            elif code not in titles:
                flag(i, CRIME_KEY, f"onbekende soort misdrijf {code!r} (niet in {CRIME_KEY})")
    parts = r["period"].str.extract(PERIOD)
    year = pd.to_numeric(parts["year"], errors="coerce")
    num = pd.to_numeric(parts["num"], errors="coerce")
    is_month = ((parts["kind"] == "MM") & num.between(1, 12)).fillna(False).astype(bool)
    is_year = ((parts["kind"] == "JJ") & (num == 0)).fillna(False).astype(bool)
    for i, (raw, kind, usable) in enumerate(
        zip(
            r["period"].astype(object),
            parts["kind"].astype(object),
            is_month | is_year,
            strict=True,
        )
    ):
        if usable:
            continue
        if pd.isna(raw):
            flag(i, PERIOD_KEY, "periode ontbreekt")
        elif isinstance(kind, str) and kind not in ("MM", "JJ"):
            flag(i, PERIOD_KEY, f"periodesoort {kind} ({raw!r}) niet gebruikt: alleen MM en JJ")
        else:
            flag(i, PERIOD_KEY, f"onleesbare periode {raw!r}")
    counts = [_count_cell(v) for v in r["count"]]
    for i, (_, problem) in enumerate(counts):
        if problem:
            flag(i, count_col, problem)

    # Repeats among the otherwise good rows: the first keeps its place, later ones go. The
    # same figure in another reply is the overlap of two queries (a server that ignores
    # $filter answers the gemeente and the national query alike): not counted twice, and
    # counted out of scope like another gemeente's row. A repeat within one reply, or with
    # another figure, is quarantined.
    good = r.loc[np.array([not x for x in reasons], dtype=bool)]
    key = ["area_code", "period", "crime_code"]
    overlap = np.zeros(n, dtype=bool)
    seen: dict[tuple, int] = {}  # key -> row of its first occurrence
    for i in good.index[good.duplicated(key, keep=False).to_numpy()]:
        k = tuple(good.loc[i, key])
        j = seen.setdefault(k, i)
        if j == i:
            continue
        if r.at[j, "file"] != r.at[i, "file"] and counts[i][0] == counts[j][0]:
            overlap[i] = True
            continue
        where = f"{Path(r.at[j, 'file']).name} rij {r.at[j, 'line']}"
        flag(
            i,
            f"{AREA_KEY}, {PERIOD_KEY}, {CRIME_KEY}",
            f"dubbele rij voor gebied x periode x soort misdrijf (al in {where})",
        )
    reason = pd.Series(["; ".join(x) or None for x in reasons], dtype=object)
    column = pd.Series([", ".join(x) or None for x in columns], dtype=object)

    bad = reason.notna().to_numpy()
    quarantine = pd.DataFrame(
        {
            "file": r["file"][bad].astype(str).to_numpy(),
            "line": r["line"][bad].astype("int64").to_numpy(),
            "column": column[bad].astype(str).to_numpy(),
            "area_code": r["area_code"][bad].astype(object).to_numpy(),
            "reason": reason[bad].astype(str).to_numpy(),
        },
        columns=QUARANTINE_COLUMNS,
    )
    ok = ~bad & ~overlap
    accepted = pd.DataFrame(
        {
            "area_code": r["area_code"][ok].astype(str).to_numpy(),
            "code": r["crime_code"][ok].astype(str).to_numpy(),
            "period": r["period"][ok].astype(str).to_numpy(),
            "year": year[ok].astype("int64").to_numpy(),
            "month": num[ok].where(is_month[ok], 0).astype("int64").to_numpy(),
            "count": pd.array(
                [c for (c, _), keep in zip(counts, ok, strict=True) if keep], dtype="Float64"
            ),
            "file": r["file"][ok].astype(str).to_numpy(),
            "line": r["line"][ok].astype("int64").to_numpy(),
        },
        columns=ACCEPTED_COLUMNS,
    ).astype({"area_code": "str", "code": "str", "period": "str", "file": "str"})
    crime_titles = pd.DataFrame(
        sorted((titles or {}).items(), key=lambda kv: kv[0] or ""), columns=["code", "title"]
    )
    return PolitieSplit(
        table_id=table.table_id,
        accepted=accepted,
        quarantine=quarantine,
        crime_titles=crime_titles,
        codes_checked=titles is not None,
        rows_read=len(r) - int(overlap.sum()),
        rows_accepted=int(ok.sum()),
        rows_out_of_scope=int(out_of_scope.sum()) + int(overlap.sum()),
    )


def politie_expectations(known_codes: Iterable[str] | None = None) -> list:
    """The GX suite on accepted rows: codes known, periods parse, counts >= 0, no repeats."""
    import great_expectations as gx

    codes = (
        gx.expectations.ExpectColumnValuesToBeInSet(column="code", value_set=sorted(known_codes))
        if known_codes is not None
        else gx.expectations.ExpectColumnValuesToMatchRegex(column="code", regex=CRIME_CODE_SHAPE)
    )
    return [
        gx.expectations.ExpectColumnValuesToNotBeNull(column="area_code"),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="area_code", regex=AREA_CODE.pattern),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="code"),
        codes,
        gx.expectations.ExpectColumnValuesToMatchRegex(column="period", regex=PERIOD_OK),
        gx.expectations.ExpectColumnValuesToBeBetween(column="month", min_value=0, max_value=12),
        # NULL (not published) is allowed; GX leaves nulls out of this one.
        gx.expectations.ExpectColumnValuesToBeBetween(column="count", min_value=0),
        gx.expectations.ExpectCompoundColumnsToBeUnique(
            column_list=["area_code", "period", "code"]
        ),
    ]


def politie_suite(accepted: pd.DataFrame, known_codes: Iterable[str] | None = None):
    """Run the suite on accepted rows (`split.accepted`); `known_codes` from the SoortMisdrijf
    dimension (`split.known_codes`), else codes are only checked for their shape."""
    from checks.gx import run_suite

    frame = accepted[["area_code", "code", "period", "year", "month", "count"]].copy()
    # GX compares plain floats; NA (not published) becomes NaN, which it skips as null.
    frame["count"] = frame["count"].astype("float64")
    where = [Path(f).name for f in accepted["file"]] if "file" in accepted else None
    return run_suite(SOURCE, frame, politie_expectations(known_codes), where)


def validate_politie(path: Path | str, gemeente: str | None = None) -> ValidationReport:
    """`wijkmonitor validate --source politie PATH`: a snapshot folder or one saved reply."""
    path = Path(path)
    try:
        split = split_politie(read_politie(path), gemeente)
    except UnreadableInput as exc:
        return ValidationReport.rejected(SOURCE, exc)
    report = ValidationReport.counted(
        SOURCE,
        path,
        split.rows_read,
        split.rows_accepted,
        (
            (int(q.line), q.column, f"{Path(q.file).name}: {q.reason}")
            for q in split.quarantine.itertuples()
        ),
    )
    if not split.codes_checked:
        report.problems.append(
            Problem(
                None,
                CRIME_KEY,
                f"geen dimensie {CRIME_KEY} bewaard: soorten misdrijf niet gecontroleerd",
                "warning",
            )
        )
    if len(split.accepted):
        outcome = politie_suite(split.accepted, split.known_codes)
        for o in outcome.failed:
            report.problems.append(
                Problem(
                    None, o.column, f"expectation {o.expectation} failed: {o.sample}", "warning"
                )
            )
    return report
