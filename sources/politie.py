"""Police: registered crime per buurt per month (StatLine table 47022NED on CBS's third-party
host), fetched and read with the project's StatLine client.

This module only says what to ask for and how a saved reply's rows look: paging, retries,
saving and reading of replies are `sources.statline`'s. Rows come back as delivered (padding
stripped, nothing else decided); which rows count is the contract's job (`checks.politie`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from sources.config import AREA_CODE
from sources.statline import (
    Query,
    Resolved,
    SavedTable,
    StatLineClient,
    StatLineReadError,
    diagnose_replies,
    key_stem,
    pad_code,
    parse_reply,
    read_saved_table,
    read_single_reply,
    reply_rows_sql,
    resolve_table,
    strip_sql,
)

SOURCE = "politie"
POLICE_TABLE = "47022NED"  # Geregistreerde misdrijven; wijk en buurt, per maand
CRIME_KEY = "SoortMisdrijf"
AREA_KEY = "WijkenEnBuurten"
PERIOD_KEY = "Perioden"
COUNT_STEM = "GeregistreerdeMisdrijven"
# SoortMisdrijf keys are right-padded like area keys, but to 6 characters ("1.1.1 ").
CRIME_KEY_WIDTH = 6
ROW_COLUMNS = ["file", "line", "crime_code", "area_code", "period", "count"]  # PoliceTable.rows


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
    """One saved police table (a snapshot folder, or one saved TypedDataSet reply): its
    metadata and dimensions parsed, its figure pages checked against the manifest but not
    parsed. The rows are read column-wise by DuckDB (`load_police_rows`), never as one
    Python object per row: a national table has tens of millions."""

    saved: SavedTable
    count_key: str | None  # e.g. GeregistreerdeMisdrijven_1 (the suffix may vary)
    crime_titles: dict[str, str | None] | None  # code -> title; None: no SoortMisdrijf saved

    @property
    def table_id(self) -> str:
        return self.saved.table_id

    @property
    def pages(self) -> list[Path]:
        return self.saved.figure_pages

    @property
    def rows(self) -> pd.DataFrame:
        """Every row as delivered (ROW_COLUMNS; codes stripped, `count` as delivered): for
        looking at a small table. The contract (`checks.politie`) reads in SQL instead."""
        con = duckdb.connect()
        try:
            load_police_rows(con, self)
            frame = con.execute(
                "SELECT $files[page + 1] AS file, line, crime_code, area_code, period, count "
                "FROM police_read ORDER BY page, line",
                {"files": [str(p) for p in self.pages]},
            ).df()
        finally:
            con.close()
        frame["count"] = [None if pd.isna(c) else json.loads(c) for c in frame["count"]]
        return frame.astype(
            {"file": "string", "line": "int64", "crime_code": "string", "area_code": "string",
             "period": "string", "count": object}
        )  # fmt: skip


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
    """Read a snapshot folder (or one saved TypedDataSet reply file) of the police table:
    every reply checked against the manifest, the metadata and dimensions parsed, the figure
    pages left to `load_police_rows`.

    Raises StatLineReadError (an UnreadableInput) naming the file when a reply is not usable
    or no count column is found."""
    path = Path(path)
    if path.is_dir():
        saved = read_saved_table(path, table_id, figures=False)
    elif path.is_file():
        saved = read_single_reply(path, table_id, figures=False)
    else:
        raise StatLineReadError(path, "no such file or folder")
    count_key = _count_key(saved)
    crimes = dimension_rows(saved, CRIME_KEY)
    has_crimes = any(f.entity_set == CRIME_KEY for f in saved.files)
    titles = {_strip(d.get("Key")): d.get("Title") for d in crimes} if has_crimes else None
    return PoliceTable(saved, count_key, titles)


def _first_row_keys(pages: list[Path]) -> tuple[Path | None, list[str]]:
    """The first figure page with a row, and that row's keys (DuckDB reads one row)."""
    con = duckdb.connect()
    try:
        for page in pages:
            keys = con.execute(
                "SELECT json_keys(content, '$.value[0]') FROM read_text($p)", {"p": str(page)}
            ).fetchone()
            if keys and keys[0]:
                return page, list(keys[0])
    except duckdb.Error:
        parse_reply(page, page.read_bytes())  # names the file and what is wrong with it
        raise
    finally:
        con.close()
    return None, []


def _count_key(saved: SavedTable) -> str | None:
    """The figure key with stem GeregistreerdeMisdrijven: from DataProperties, else the first
    row."""
    keys = {
        p["Key"]
        for p in saved.data_properties
        if p.get("odata.type") == "Cbs.OData.Topic" and isinstance(p.get("Key"), str)
    }
    pages = saved.figure_pages
    where = pages[0] if pages else saved.snapshot
    if not keys:
        first, row_keys = _first_row_keys(pages)
        keys, where = set(row_keys), first or where
        if first is None:
            return None  # no rows at all
    found = sorted(k for k in keys if key_stem(k) == COUNT_STEM)
    if len(found) > 1:
        raise StatLineReadError(
            where, f"more than one count column with stem {COUNT_STEM}: {found}"
        )
    if not found:
        if _first_row_keys(pages)[0] is None:
            return None
        raise StatLineReadError(
            where, f"no count column with stem '{COUNT_STEM}' (keys: {sorted(keys)})"
        )
    return found[0]


def _strip(value: object) -> str | None:
    if value is None:
        return None
    return value.strip() if isinstance(value, str) else str(value)


def load_police_rows(
    con: duckdb.DuckDBPyConnection, table: PoliceTable, gemeente: str | None = None
) -> tuple[int, int]:
    """Read the figure pages of `table` into the temporary table `police_read` of `con`
    (DuckDB reading the files in parallel; no Python object per row) and return (rows in
    the pages, rows out of scope).

    `police_read`: page (0-based, into `table.pages`), line (1-based within its page),
    crime_code, area_code, period (text, padding stripped), count (the cell as JSON),
    area_ok (a well-formed area code), out_of_scope. With `gemeente`, the rows of another
    gemeente's well-formed area codes are only counted: `police_read` keeps the first row of
    each page for them (flagged out_of_scope), so that every page's row count survives.
    StatLineReadError (naming the file) when a page is not a usable reply or a row lacks one
    of the keys."""
    pages = table.pages
    keys = [CRIME_KEY, AREA_KEY, PERIOD_KEY, table.count_key or COUNT_STEM]
    if gemeente:
        out_of_scope = "area_ok AND NOT (area_code = 'NL00' OR substr(area_code, 3, 4) = $digits)"
        params = {"digits": gemeente[2:]}
    else:
        out_of_scope, params = "false", {}
    rows = reply_rows_sql(dict(zip(keys, ["VARCHAR", "VARCHAR", "VARCHAR", "JSON"], strict=True)))
    sql = f"""
        CREATE OR REPLACE TEMP TABLE police_read AS
        WITH cells AS (
            SELECT page, line, n_rows, k0, {strip_sql("k1")} AS area_code, k2, k3 FROM ({rows})),
        judged AS (
            SELECT *, coalesce(regexp_full_match(area_code, $area_re), false) AS area_ok
            FROM cells),
        scoped AS (SELECT *, coalesce({out_of_scope}, false) AS out_of_scope FROM judged)
        SELECT page, line, n_rows, {strip_sql("k0")} AS crime_code, area_code,
               {strip_sql("k2")} AS period, k3 AS count, area_ok, out_of_scope
        FROM scoped WHERE NOT out_of_scope OR line = 1"""
    try:
        con.execute(sql, {"pages": [str(p) for p in pages], "area_re": AREA_CODE.pattern, **params})
    except duckdb.Error as exc:
        diagnose_replies(pages, keys)  # raises naming the page and what is wrong with it
        raise StatLineReadError(table.saved.snapshot, f"the replies cannot be read: {exc}") from exc
    read = dict(
        con.execute("SELECT page, any_value(n_rows) FROM police_read GROUP BY page").fetchall()
    )
    total = sum(read.values())
    kept = con.execute("SELECT count(*) FROM police_read WHERE NOT out_of_scope").fetchone()[0]
    return total, total - kept
