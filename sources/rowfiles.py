"""Person-level rows of a large delivery kept in Parquet files instead of memory.

A build checks, places and stores a municipal delivery of millions of rows without holding it
whole (issue 15: a 300 MB delivery within 2 GB): the accepted rows of each file
(`checks.municipal.split_delivery`) and the placed rows of each source
(`pipelines.assets_municipal`) are written here piece by piece, and read back in batches, by
DuckDB (`ParquetRows.sql`) or, when small, as one frame. The asset outputs that Dagster
pickles carry only the paths.

The files live in the restricted cache (`<restricted>/cache/rows/`, folders 0700) and are
created owner-only (0600): they hold what the landing folder holds. They are written under a
temporary name (`rows_tmp`, removed by housekeeping when a build died) and renamed into place.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

BATCH_ROWS = 500_000  # rows of a large delivery worked on at a time
ROWS_DIR = "rows"  # under the restricted cache
# What DuckDB may hold of rows read from these files before it spills to disk (beside them).
MEMORY_LIMIT = "500MB"


def rows_tmp(path: Path) -> Path:
    """Where `path` is written before it is renamed into place."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas()


def read_rows(paths: Path | Sequence[Path], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows written by `RowWriter` (one file or several, stacked) as the frame they were."""
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    tables = [pq.read_table(p, columns=list(columns) if columns else None) for p in paths]
    return _frame(pa.concat_tables(tables) if len(tables) > 1 else tables[0])


def row_batches(path: Path, rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
    """The rows of one file, at most `rows` at a time, in the order they were written."""
    for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
        yield _frame(pa.Table.from_batches([batch]))


def row_count(path: Path) -> int:
    return pq.ParquetFile(path).metadata.num_rows


def empty_frame(path: Path) -> pd.DataFrame:
    """No rows, the columns and dtypes of the file."""
    return _frame(pq.ParquetFile(path).schema_arrow.empty_table())


class RowWriter:
    """A Parquet file written frame by frame under a temporary name, created owner-only
    (0600). Every frame gets the columns and types of the first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = rows_tmp(path)
        self.writer: pq.ParquetWriter | None = None
        self.schema: pa.Schema | None = None
        self.file = None
        self.rows = 0

    def add(self, frame: pd.DataFrame) -> None:
        self.add_table(pa.Table.from_pandas(frame, preserve_index=False))

    def add_table(self, table: pa.Table) -> None:
        if self.writer is None:
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self.file = os.fdopen(fd, "wb")
            self.schema = table.schema
            self.writer = pq.ParquetWriter(self.file, table.schema)
        elif table.schema != self.schema:
            table = table.cast(self.schema)
        self.writer.write_table(table, row_group_size=BATCH_ROWS)
        self.rows += table.num_rows

    def finish(self) -> Path:
        """Close the file (at least one frame was added, if only an empty one) and put it in
        place."""
        assert self.writer is not None, f"{self.path}: nothing written"
        self.writer.close()
        self.file.close()
        self.writer = None
        os.replace(self.tmp, self.path)
        return self.path

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.file.close()
            self.writer = None
        self.tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class ParquetRows:
    """Rows in Parquet files (stacked), optionally only some of their columns: what an asset
    passes on instead of a frame of millions of rows."""

    paths: tuple[Path, ...]
    select: tuple[str, ...] | None = None

    @property
    def columns(self) -> list[str]:
        names = pq.ParquetFile(self.paths[0]).schema_arrow.names if self.paths else []
        return list(self.select) if self.select is not None else names

    def __len__(self) -> int:
        return sum(row_count(p) for p in self.paths)

    def frame(self) -> pd.DataFrame:
        return read_rows(self.paths, self.select)

    def sql(self) -> str:
        """A SELECT of these rows for DuckDB (read as it goes, not loaded first)."""
        files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in self.paths)
        cols = ", ".join(f'"{c}"' for c in self.select) if self.select is not None else "*"
        return f"SELECT {cols} FROM read_parquet([{files}])"


def rows_connection(rows) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for SQL over `rows` (frames or ParquetRows). When some are in
    Parquet files (a large delivery), DuckDB keeps within `MEMORY_LIMIT` and spills what it
    must to a folder beside those files: in the owner-only restricted cache, as they are."""
    files = [p for r in rows if isinstance(r, ParquetRows) for p in r.paths]
    if not files:
        return duckdb.connect()
    spill = files[0].parent / ".duckdb-spill"
    return duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": str(spill)})
