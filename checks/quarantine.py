"""The shape of a quarantined municipal row, and the one place where its delivered value is cut
off before the row goes anywhere analysts read.

A quarantined row of a municipal delivery carries `file`, `line`, `column` (the delivered
column(s) concerned, comma-separated, or NA for the row as a whole), `reason` (Dutch: the column
and the rule broken, never the delivered value) and `value` (the offending delivered text). The
value can be a person's name, number, address or birth date typed in the wrong column: it may
only be kept where the raw rows are kept (the restricted store), or shown to the operator who
owns the file (`wijkmonitor validate`). `public_quarantine` drops it; every quarantine frame
handed to the published warehouse goes through it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

QUARANTINE_COLUMNS = ("file", "line", "column", "reason", "value")
VALUE_COLUMN = "value"
_MAX_SHOWN = 40


def offending_values(frame: pd.DataFrame, rows: np.ndarray, columns: np.ndarray) -> pd.Series:
    """The delivered text of `columns[i]` on row `rows[i]` of `frame`, for every i.

    A column list `postcode,huisnummer` gives the values joined by `, `; a column that is NA
    (the row as a whole) or not in the frame gives NA. Per distinct column list, not per row:
    a large delivery can have a million quarantined rows."""
    rows = np.asarray(rows, dtype="int64")
    columns = np.asarray(columns, dtype=object)
    out = np.full(len(rows), None, dtype=object)
    given = ~pd.isna(columns)
    for column in pd.unique(columns[given]):
        names = [n.strip() for n in str(column).split(",")]
        names = [n for n in names if n in frame.columns]
        if not names:
            continue
        where = np.flatnonzero(given & (columns == column))
        parts = [frame[name].iloc[rows[where]].astype(object) for name in names]
        texts = [
            np.array(["" if pd.isna(v) else str(v) for v in part], dtype=object) for part in parts
        ]
        out[where] = (
            texts[0] if len(texts) == 1 else [", ".join(t) for t in zip(*texts, strict=True)]
        )
    return pd.Series(out, dtype="str")


def public_quarantine(frame: pd.DataFrame) -> pd.DataFrame:
    """The quarantine rows as the published warehouse may hold them: without `value`."""
    return frame.drop(columns=[VALUE_COLUMN], errors="ignore")


def public_quarantines(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """`public_quarantine` of every source's frame."""
    return {source: public_quarantine(frame) for source, frame in frames.items()}


def quote(value) -> str:
    """A value as the operator sees it in `wijkmonitor validate`: quoted, long ones cut."""
    text = "" if value is None or pd.isna(value) else str(value)
    return "'" + (text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…") + "'"


def problems(quarantine: pd.DataFrame) -> Iterator[tuple[int, str | None, str, str | None]]:
    """(line, column, reason, value) of every quarantined row, by line: what `validate` shows
    the operator (who owns the file, so may see the value)."""
    q = quarantine.sort_values("line", kind="stable")
    values = q[VALUE_COLUMN] if VALUE_COLUMN in q.columns else pd.Series(None, index=q.index)
    for line, column, reason, value in zip(
        q["line"], q["column"], q["reason"], values, strict=True
    ):
        yield (
            int(line),
            None if pd.isna(column) else str(column),
            str(reason),
            None if value is None or pd.isna(value) else quote(value),
        )
