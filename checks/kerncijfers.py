"""Contract and expectations for CBS Kerncijfers wijken en buurten replies.

Splits the rows of a saved table into accepted values (long: area x variable) and
quarantined rows with their reasons; a reply that cannot be used at all is rejected whole."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from checks.report import InputRejected, Problem, ValidationReport
from sources.config import AREA_CODE
from sources.errors import UnreadableInput
from sources.statline import (
    SavedTable,
    key_stem,
    read_saved_table,
    read_single_reply,
)

SOURCE = "cbs_kerncijfers"
AREA_KEY = "WijkenEnBuurten"
LEVEL_BY_PREFIX = {"NL": "land", "GM": "gemeente", "WK": "wijk", "BU": "buurt"}
LEVEL_BY_SOORTREGIO = {"land": "land", "gemeente": "gemeente", "wijk": "wijk", "buurt": "buurt"}
# Keys of a TypedDataSet row that are not figures.
NON_TOPIC_STEMS = {
    "ID",
    AREA_KEY,
    "Gemeentenaam",
    "SoortRegio",
    "Codering",
    "IndelingswijzigingWijkenEnBuurten",
}


@dataclass
class KerncijfersSplit:
    table_id: str
    year: int | None
    values: pd.DataFrame  # area_code, stem, key, value
    variables: pd.DataFrame  # stem, key, title, unit, datatype
    areas: pd.DataFrame  # area_code, area_level, area_name, gemeente_name, change_flag
    quarantine: pd.DataFrame  # file, line, area_code, reason
    rows_read: int
    rows_accepted: int
    rows_out_of_scope: int  # other gemeenten' areas, or exact repeats from overlapping queries
    area_files: dict[str, str] = field(default_factory=dict)  # accepted area -> its reply file

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantine)


def level_of(code: str) -> str | None:
    return LEVEL_BY_PREFIX.get(code[:2])


def _topics(table: SavedTable) -> dict[str, dict]:
    """Figure keys with their DataProperties; inferred from the rows when none were saved."""
    topics = {
        p["Key"]: p
        for p in table.data_properties
        if p.get("odata.type") == "Cbs.OData.Topic" and p.get("Key")
    }
    if topics or not table.rows:
        return topics
    keys = {k for row in table.rows for k in row}
    return {k: {"Key": k} for k in sorted(keys) if key_stem(k) not in NON_TOPIC_STEMS}


def _bad_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Per cell: True where a figure is present but not a finite number."""
    bad = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            bad[col] = ~np.isfinite(s.to_numpy(dtype=float)) & s.notna().to_numpy()
        else:  # mixed or text: look at each cell
            bad[col] = [
                v is not None
                and not (isinstance(v, float) and math.isnan(v))
                and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v))
                for v in s
            ]
    return bad


def split_kerncijfers(
    table: SavedTable, gemeente: str | None = None, year: int | None = None
) -> KerncijfersSplit:
    """Apply the contract to a saved table; raise InputRejected if it is unusable whole.

    The per-row decisions (codes, scope, repeats) loop over rows; the figures are checked and
    reshaped column-wise, which keeps a national table fast."""
    topics = _topics(table)
    figure_keys = [k for k, p in topics.items() if p.get("Datatype") != "String"]
    first_keys = set(table.rows[0]) if table.rows else set()
    quarantine: list[tuple[str, int, str | None, str]] = []
    seen: dict[str, tuple[Path, int, dict]] = {}
    candidates: list[int] = []
    codes: list[str] = []
    other = 0
    for i, (row, (path, line)) in enumerate(zip(table.rows, table.row_files, strict=True)):
        if AREA_KEY not in row:
            raise InputRejected(path, f"row {line}: required key '{AREA_KEY}' is missing")
        if row.keys() != first_keys:
            missing = first_keys - set(row)
            if missing:
                raise InputRejected(
                    path, f"row {line}: keys missing that other rows have: {sorted(missing)}"
                )
        raw_code = row[AREA_KEY]
        code = raw_code.strip() if isinstance(raw_code, str) else ""
        if not AREA_CODE.match(code):
            quarantine.append(
                (str(path), line, code or None, f"onbekende gebiedscode {raw_code!r}")
            )
            continue
        if gemeente and code != "NL00" and code[2:6] != gemeente[2:]:
            other += 1
            continue
        if code in seen:
            first_path, first_line, first_row = seen[code]
            if _same_figures(row, first_row):
                other += 1  # the same row again from an overlapping query: not new data
                continue
            quarantine.append(
                (
                    str(path),
                    line,
                    code,
                    f"dubbele gebiedscode (al in {first_path.name} rij {first_line})",
                )
            )
            continue
        seen[code] = (path, line, row)
        candidates.append(i)
        codes.append(code)

    figures = pd.DataFrame.from_records(
        [table.rows[i] for i in candidates], columns=figure_keys, index=codes
    )
    bad = _bad_numbers(figures)
    bad_rows = bad.any(axis=1).to_numpy()
    for pos in np.flatnonzero(bad_rows):
        path, line = table.row_files[candidates[pos]]
        cells = [
            f"{k}={figures.iat[pos, j]!r} is geen getal"
            for j, k in enumerate(figure_keys)
            if bad.iat[pos, j]
        ]
        quarantine.append((str(path), line, codes[pos], "; ".join(cells)))
    accepted = figures[~bad_rows]
    long = accepted.astype("float64").rename_axis("area_code").reset_index()
    long = long.melt(id_vars="area_code", var_name="key", value_name="value")
    long.insert(1, "stem", long["key"].map({k: key_stem(k) for k in figure_keys}))
    values = long[["area_code", "stem", "key", "value"]]

    names = {
        str(d.get("Key", "")).strip(): d.get("Title")
        for d in table.dimension
        if isinstance(d.get("Key"), str)
    }
    areas: dict[str, tuple[str | None, str | None, str | None, str | None]] = {}
    soort_key = _key_for(first_keys, "SoortRegio")
    # CBS's own word on the area since last year: "1" unchanged, "2" new code for the same
    # area, "3" area changed ("." or absent for the land and gemeente rows).
    flag_key = _key_for(first_keys, "IndelingswijzigingWijkenEnBuurten")
    gm_key = _key_for(first_keys, "Gemeentenaam")
    for pos in np.flatnonzero(~bad_rows):
        row, code = table.rows[candidates[pos]], codes[pos]
        soort = str(row.get(soort_key, "") or "").strip().lower()
        level = LEVEL_BY_SOORTREGIO.get(soort) or level_of(code)
        gm_name = row.get(gm_key)
        gm_name = gm_name.strip() if isinstance(gm_name, str) else None
        name = names.get(code)
        name = name.strip() if isinstance(name, str) else None
        if name is None and level == "gemeente":
            name = gm_name
        if name is None and level == "land":
            name = "Nederland"
        flag = row.get(flag_key)
        flag = flag.strip() if isinstance(flag, str) else None
        areas[code] = (level, name, gm_name, flag if flag in ("1", "2", "3") else None)

    variables = pd.DataFrame(
        [
            (key_stem(k), k, p.get("Title"), p.get("Unit"), p.get("Datatype"))
            for k, p in topics.items()
        ],
        columns=["stem", "key", "title", "unit", "datatype"],
    )
    rows_read = len(table.rows) - other
    return KerncijfersSplit(
        table_id=table.table_id,
        year=year,
        values=values.reset_index(drop=True),
        variables=variables,
        areas=pd.DataFrame(
            [(c, *rest) for c, rest in areas.items()],
            columns=["area_code", "area_level", "area_name", "gemeente_name", "change_flag"],
        ),
        quarantine=pd.DataFrame(quarantine, columns=["file", "line", "area_code", "reason"]),
        rows_read=rows_read,
        rows_accepted=rows_read - len(quarantine),
        rows_out_of_scope=other,
        area_files={
            codes[pos]: str(table.row_files[candidates[pos]][0])
            for pos in np.flatnonzero(~bad_rows)
        },
    )


def _same_figures(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k != "ID"} == {k: v for k, v in b.items() if k != "ID"}


def _key_for(keys, stem: str) -> str:
    for key in keys:
        if key_stem(key) == stem:
            return key
    return stem


def kerncijfers_expectations() -> list:
    """The GX suite on the accepted long values (`period_year` added, several years stacked)."""
    import great_expectations as gx

    return [
        gx.expectations.ExpectColumnValuesToNotBeNull(column="area_code"),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="area_code", regex=AREA_CODE.pattern),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="stem"),
        gx.expectations.ExpectCompoundColumnsToBeUnique(
            column_list=["period_year", "area_code", "key"]
        ),
        # Counts and amounts in this table are never negative; a negative is a marker leaking in.
        gx.expectations.ExpectColumnValuesToBeBetween(column="value", min_value=0),
    ]


def validate_kerncijfers(path: Path | str, gemeente: str | None = None) -> ValidationReport:
    """Check a saved reply file (a TypedDataSet page) or a whole snapshot folder."""
    from checks.gx import run_suite

    path = Path(path)
    try:
        if path.is_dir():
            table = read_saved_table(path)
        else:
            if not path.exists():
                raise InputRejected(path, "file not found")
            table = read_single_reply(path)
            if table.rows and AREA_KEY not in set().union(*table.rows):
                raise InputRejected(path, f"required key '{AREA_KEY}' is missing from every row")
        split = split_kerncijfers(table, gemeente)
    except UnreadableInput as exc:
        return ValidationReport.rejected(SOURCE, exc)
    report = ValidationReport.counted(
        SOURCE,
        path,
        split.rows_read,
        split.rows_accepted,
        (
            (int(q.line), AREA_KEY, f"{Path(q.file).name}: {q.reason}")
            for q in split.quarantine.itertuples()
        ),
    )
    if not split.values.empty:
        outcome = run_suite(SOURCE, split.values.assign(period_year=0), kerncijfers_expectations())
        for o in outcome.failed:
            report.problems.append(
                Problem(
                    None, o.column, f"expectation {o.expectation} failed: {o.sample}", "warning"
                )
            )
    return report


def kerncijfers_suite(splits: dict[int, KerncijfersSplit]):
    """The GX suite over the accepted figures of every year at once."""
    from checks.gx import run_suite

    used = {year: s for year, s in splits.items() if len(s.values)}
    if not used:
        return []
    stacked = pd.concat(
        [s.values.assign(period_year=year) for year, s in used.items()], ignore_index=True
    )
    where = [f for s in used.values() for f in s.values["area_code"].map(s.area_files)]
    return [run_suite(SOURCE, stacked, kerncijfers_expectations(), where)]
