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

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from checks.report import Problem, ValidationReport
from sources.config import AREA_CODE
from sources.errors import UnreadableInput
from sources.politie import (
    AREA_KEY,
    CRIME_KEY,
    PERIOD_KEY,
    PoliceTable,
    load_police_rows,
    read_politie,
)

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


def _quoted(text: str) -> str:
    """SQL: a text as Python's repr shows it in a reason ('x', or "x" when it holds a ')."""
    return (
        f"CASE WHEN contains({text}, chr(39)) AND NOT contains({text}, chr(34)) "
        f"THEN chr(34) || {text} || chr(34) ELSE chr(39) || {text} || chr(39) END"
    )


# The rules of the module docstring, per row, in SQL over `police_read` (sources.politie):
# each rule gives its reason or NULL. `$known`: the SoortMisdrijf codes (NULL: not checked);
# `$names`: the page file names, for the repeat's "al in <file> rij <line>".
_JUDGE = f"""
    CREATE OR REPLACE TEMP TABLE police_judged AS
    WITH r AS (
        SELECT page, line, area_code, crime_code, period, count, area_ok,
               json_type(count) AS count_type,
               CASE WHEN json_type(count) IN ('UBIGINT', 'BIGINT', 'DOUBLE')
                    THEN CAST(count AS DOUBLE) END AS n,
               regexp_extract(period, $period_re, ['year', 'kind', 'num']) AS pp
        FROM police_read WHERE NOT out_of_scope),
    p AS (
        SELECT *, pp.kind AS kind, TRY_CAST(pp.year AS BIGINT) AS year,
               TRY_CAST(pp.num AS BIGINT) AS num,
               coalesce(pp.kind = 'MM' AND TRY_CAST(pp.num AS BIGINT) BETWEEN 1 AND 12, false)
                   AS is_month,
               coalesce(pp.kind = 'JJ' AND TRY_CAST(pp.num AS BIGINT) = 0, false) AS is_year
        FROM r),
    reasons AS (
        SELECT *,
            CASE WHEN NOT area_ok THEN CASE WHEN area_code IS NULL THEN 'gebiedscode ontbreekt'
                 ELSE 'onbekende gebiedscode ' || {_quoted("area_code")} END END AS r_area,
            CASE WHEN $known IS NULL THEN NULL
                 WHEN crime_code IS NULL THEN 'soort misdrijf ontbreekt'
                 WHEN NOT list_contains($known, crime_code)
                 THEN 'onbekende soort misdrijf ' || {_quoted("crime_code")}
                      || ' (niet in {CRIME_KEY})' END AS r_crime,
            CASE WHEN is_month OR is_year THEN NULL
                 WHEN period IS NULL THEN 'periode ontbreekt'
                 WHEN kind <> '' AND kind NOT IN ('MM', 'JJ')
                 THEN 'periodesoort ' || kind || ' (' || {_quoted("period")}
                      || ') niet gebruikt: alleen MM en JJ'
                 ELSE 'onleesbare periode ' || {_quoted("period")} END AS r_period,
            CASE WHEN count_type IS NULL OR count_type = 'NULL' OR isnan(n) THEN NULL
                 WHEN count_type = 'BOOLEAN'
                 THEN 'aantal ' || CASE WHEN count = 'true' THEN 'True' ELSE 'False' END
                      || ' is geen getal'
                 WHEN count_type = 'VARCHAR'
                 THEN 'aantal ' || {_quoted("(count ->> '$')")} || ' is geen getal'
                 WHEN n IS NULL THEN 'aantal ' || CAST(count AS VARCHAR) || ' is geen getal'
                 WHEN isinf(n) THEN 'aantal ' || CASE WHEN n > 0 THEN 'inf' ELSE '-inf' END
                      || ' is geen getal'
                 WHEN n < 0 THEN 'negatief aantal (' || CAST(count AS VARCHAR) || ')' END
                AS r_count
        FROM p),
    flagged AS (
        SELECT *,
               r_area IS NULL AND r_crime IS NULL AND r_period IS NULL AND r_count IS NULL
                   AS good,
               CASE WHEN NOT isnan(n) THEN n END AS value
        FROM reasons),
    firsts AS (
        SELECT page, line,
               first_value(page) OVER w AS first_page, first_value(line) OVER w AS first_line,
               first_value(value) OVER w AS first_value
        FROM flagged WHERE good
        WINDOW w AS (PARTITION BY area_code, period, crime_code ORDER BY page, line)),
    repeats AS (
        SELECT f.*, x.first_page, x.first_line,
               coalesce((x.first_page, x.first_line) <> (f.page, f.line), false) AS repeat,
               coalesce(x.first_page <> f.page AND x.first_value IS NOT DISTINCT FROM f.value,
                        false) AS same_elsewhere
        FROM flagged f LEFT JOIN firsts x USING (page, line))
    SELECT * EXCLUDE (same_elsewhere),
           repeat AND same_elsewhere AS overlap,
           CASE WHEN repeat AND NOT same_elsewhere
                THEN 'dubbele rij voor gebied x periode x soort misdrijf (al in '
                     || $names[first_page + 1] || ' rij ' || first_line || ')' END AS r_dup
    FROM repeats"""

_COLUMNS = {
    "r_area": AREA_KEY,
    "r_crime": CRIME_KEY,
    "r_period": PERIOD_KEY,
    "r_count": None,  # the count key of the table
    "r_dup": f"{AREA_KEY}, {PERIOD_KEY}, {CRIME_KEY}",
}


def split_politie(table: PoliceTable, gemeente: str | None = None) -> PolitieSplit:
    """Apply the contract; `gemeente` (GM1916) limits the scope to its areas and NL00.

    All in DuckDB over the saved pages (`load_police_rows`): only the rows in scope (a
    gemeente's share of a national table) ever leave it, as the accepted and quarantined
    frames."""
    count_col = table.count_key or "GeregistreerdeMisdrijven"
    titles = table.crime_titles
    files = [str(p) for p in table.pages]
    reasons = ", ".join(_COLUMNS)
    columns = ", ".join(
        f"CASE WHEN {r} IS NOT NULL THEN '{c or count_col}' END" for r, c in _COLUMNS.items()
    )
    con = duckdb.connect()
    try:
        _, out_of_scope = load_police_rows(con, table, gemeente)
        con.execute(
            _JUDGE,
            {
                "known": None if titles is None else [c for c in titles if c is not None],
                "names": [Path(f).name for f in files],
                "period_re": PERIOD.pattern,
            },
        )
        quarantine = con.execute(
            f"""SELECT $files[page + 1] AS file, line,
                       array_to_string(list_filter([{columns}], lambda x: x IS NOT NULL), ', ')
                           AS "column",
                       area_code,
                       array_to_string(list_filter([{reasons}], lambda x: x IS NOT NULL), '; ')
                           AS reason
                FROM police_judged WHERE NOT good OR r_dup IS NOT NULL ORDER BY page, line""",
            {"files": files},
        ).df()
        accepted = con.execute(
            """SELECT area_code, crime_code AS code, period, year,
                      CASE WHEN is_month THEN num ELSE 0 END AS month, value AS count,
                      $files[page + 1] AS file, line
               FROM police_judged WHERE good AND NOT repeat ORDER BY page, line""",
            {"files": files},
        ).df()
        in_scope, overlap = con.execute(
            "SELECT count(*), count(*) FILTER (overlap) FROM police_judged"
        ).fetchone()
    finally:
        con.close()
    quarantine = quarantine.astype(
        {"file": str, "line": "int64", "column": str, "area_code": object, "reason": str}
    )
    quarantine["area_code"] = quarantine["area_code"].where(quarantine["area_code"].notna(), None)
    accepted = accepted.astype(
        {"area_code": "str", "code": "str", "period": "str", "year": "int64", "month": "int64",
         "count": "Float64", "file": "str", "line": "int64"}
    )[ACCEPTED_COLUMNS]  # fmt: skip
    crime_titles = pd.DataFrame(
        sorted((titles or {}).items(), key=lambda kv: kv[0] or ""), columns=["code", "title"]
    )
    return PolitieSplit(
        table_id=table.table_id,
        accepted=accepted,
        quarantine=quarantine[QUARANTINE_COLUMNS],
        crime_titles=crime_titles,
        codes_checked=titles is not None,
        rows_read=in_scope - overlap,
        rows_accepted=len(accepted),
        rows_out_of_scope=out_of_scope + overlap,
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
