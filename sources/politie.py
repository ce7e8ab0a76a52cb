"""Police: registered crime per buurt per month (StatLine table 47022NED on CBS's third-party
host), fetched and read with the project's StatLine client.

This module only says what to ask for and how a saved reply's rows look: paging, retries,
saving and reading of replies are `sources.statline`'s. Rows come back as delivered (padding
stripped, nothing else decided); which rows count is the contract's job (`checks.politie`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from sources.statline import (
    Query,
    Resolved,
    SavedTable,
    StatLineClient,
    StatLineReadError,
    key_stem,
    pad_code,
    read_saved_table,
    read_single_reply,
    resolve_table,
)

SOURCE = "politie"
POLICE_TABLE = "47022NED"  # Geregistreerde misdrijven; wijk en buurt, per maand
CRIME_KEY = "SoortMisdrijf"
AREA_KEY = "WijkenEnBuurten"
PERIOD_KEY = "Perioden"
COUNT_STEM = "GeregistreerdeMisdrijven"
# SoortMisdrijf keys are right-padded like area keys, but to 6 characters ("1.1.1 ").
CRIME_KEY_WIDTH = 6
ROW_COLUMNS = ["file", "line", "crime_code", "area_code", "period", "count"]


def pad_crime_code(code: str) -> str:
    return code.strip().ljust(CRIME_KEY_WIDTH)


def politie_queries(gemeente: str, codes: Iterable[str]) -> list[Query]:
    """What the police table is asked for: metadata, the three dimensions (crime kinds in full,
    so unknown codes can be told apart; the gemeente's areas and NL00; periods), and the
    figures of the gemeente's areas and of the Netherlands, only for `codes`."""
    digits = gemeente[2:]
    wanted = sorted({c.strip() for c in codes})
    if not wanted:
        raise ValueError("politie_queries needs at least one crime code")
    kinds = " or ".join(f"{CRIME_KEY} eq '{pad_crime_code(c)}'" for c in wanted)
    return [
        Query("TableInfos"),
        Query("DataProperties"),
        Query(CRIME_KEY),
        Query(AREA_KEY, "gemeente", f"substring(Key,2,4) eq '{digits}'"),
        Query(AREA_KEY, "land", f"Key eq '{pad_code('NL00')}'"),
        Query(PERIOD_KEY),
        Query("TypedDataSet", "gemeente", f"substring({AREA_KEY},2,4) eq '{digits}' and ({kinds})"),
        Query("TypedDataSet", "land", f"{AREA_KEY} eq '{pad_code('NL00')}' and ({kinds})"),
    ]


def resolve_politie(
    client: StatLineClient | None,
    landing: Path,
    gemeente: str,
    codes: Iterable[str],
    table_id: str = POLICE_TABLE,
    now: datetime | None = None,
) -> Resolved:
    """The police snapshot to build from, under `<landing>/politie/<table>/`: fetched when CBS
    has a newer version (the client's base URL is the third-party host's API root,
    `cbs.dataderden_url`; the dimensions and figures, far more than the API's 10,000 cells,
    come from its bulk feed), else the newest intact saved one. `client=None` is offline."""
    return resolve_table(
        client, landing / SOURCE, table_id, politie_queries(gemeente, codes), now=now
    )


@dataclass
class PoliceTable:
    """One saved police table (a snapshot folder, or one saved TypedDataSet reply)."""

    saved: SavedTable
    count_key: str | None  # e.g. GeregistreerdeMisdrijven_1 (the suffix may vary)
    crime_titles: dict[str, str | None] | None  # code -> title; None: no SoortMisdrijf saved
    rows: pd.DataFrame  # ROW_COLUMNS; codes stripped, `count` as delivered (object)

    @property
    def table_id(self) -> str:
        return self.saved.table_id


def dimension_rows(table: SavedTable, entity_set: str) -> list[dict]:
    """The rows of one dimension. `SavedTable.dimension` holds every dimension reply's rows
    one after the other, in file order; `files` says how many came from each reply."""
    out: list[dict] = []
    pos = 0
    for f in table.files:
        if f.entity_set in ("TableInfos", "DataProperties", "TypedDataSet"):
            continue
        if f.entity_set == entity_set:
            out.extend(table.dimension[pos : pos + f.rows])
        pos += f.rows
    return out


def read_politie(path: Path | str, table_id: str | None = None) -> PoliceTable:
    """Read a snapshot folder (or one saved TypedDataSet reply file) of the police table.

    Raises StatLineReadError (an UnreadableInput) naming the file when a reply is not usable,
    no count column is found, or a row lacks a key the others have."""
    path = Path(path)
    if path.is_dir():
        saved = read_saved_table(path, table_id)
    elif path.is_file():
        saved = read_single_reply(path, table_id)
    else:
        raise StatLineReadError(path, "no such file or folder")
    count_key = _count_key(saved)
    crimes = dimension_rows(saved, CRIME_KEY)
    has_crimes = any(f.entity_set == CRIME_KEY for f in saved.files)
    titles = {_strip(d.get("Key")): d.get("Title") for d in crimes} if has_crimes else None
    return PoliceTable(saved, count_key, titles, _row_frame(saved, count_key))


def _count_key(saved: SavedTable) -> str | None:
    """The figure key with stem GeregistreerdeMisdrijven: from DataProperties, else the rows."""
    keys = {
        p["Key"]
        for p in saved.data_properties
        if p.get("odata.type") == "Cbs.OData.Topic" and isinstance(p.get("Key"), str)
    }
    if not keys:
        keys = {k for row in saved.rows[:1] for k in row}
    found = sorted(k for k in keys if key_stem(k) == COUNT_STEM)
    where = saved.row_files[0][0] if saved.row_files else saved.snapshot
    if len(found) > 1:
        raise StatLineReadError(
            where, f"more than one count column with stem {COUNT_STEM}: {found}"
        )
    if not found:
        if not saved.rows:
            return None
        raise StatLineReadError(
            where, f"no count column with stem '{COUNT_STEM}' (keys: {sorted(keys)})"
        )
    return found[0]


def _strip(value: object) -> str | None:
    if value is None:
        return None
    return value.strip() if isinstance(value, str) else str(value)


def _row_frame(saved: SavedTable, count_key: str | None) -> pd.DataFrame:
    required = (CRIME_KEY, AREA_KEY, PERIOD_KEY, count_key)
    records = []
    for row, (path, line) in zip(saved.rows, saved.row_files, strict=True):
        missing = [k for k in required if k not in row]
        if missing:
            raise StatLineReadError(path, f"row {line}: required key(s) missing: {missing}")
        records.append(
            (
                str(path),
                line,
                _strip(row[CRIME_KEY]),
                _strip(row[AREA_KEY]),
                _strip(row[PERIOD_KEY]),
                row[count_key],
            )
        )
    frame = pd.DataFrame.from_records(records, columns=ROW_COLUMNS)
    frame = frame.astype(
        {
            "file": "string",
            "line": "int64",
            "crime_code": "string",
            "area_code": "string",
            "period": "string",
            "count": object,
        }
    )
    return frame
