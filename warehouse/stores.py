"""The two stores of a build: the published warehouse analysts open, and the restricted store.

DuckDB has no users or grants, so the separation is the file system's (design.md, "Data
zones on disk"). The restricted store is its own DuckDB file in an owner-only folder
(`[paths] restricted`, folder 0700, files 0600): the person-level rows of the deliveries with
the buurt each was placed in, the unprotected values of the cells disclosure control hid, the
audit of that control, and `raw.indicators_unprotected`. The published warehouse is written
fresh for every build from the public tables alone (warehouse.build), so no page of it ever
held a person-level row.

Both are written as staging files and published by renames. The restricted store goes first,
the published file second; the restricted file it replaced is kept (as a hard link) until the
published rename is done. A build killed between the two renames leaves that link behind, and
the next build puts the older restricted store back (`reconcile_stores`), so the two stores
always belong to the same run (`meta_config.run_id` = `raw.meta_store.run_id`)."""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from checks.deliveries.ddl import restricted_ddl
from sources.rowfiles import ParquetRows
from warehouse.build import fsync_dir, fsync_file
from warehouse.housekeeping import pid_alive

SQL = Path(__file__).with_name("sql")
RESTRICTED_SQL = SQL / "restricted.sql"
UNPROTECTED_SQL = SQL / "restricted_unprotected.sql"
# Tables of the restricted store made from their frames (no DDL): what an analyst with clearance
# reads about them (constants, so written into the statement; DuckDB binds no COMMENT text).
FRAME_TABLE_COMMENTS = {
    "meta_check": "BEPERKT: de uitkomsten van de Great Expectations-controles van deze run, met "
    "de voorbeelden van afwijkende waarden (bij gemeentelijke leveringen mogelijk "
    "persoonsgegevens; het gepubliceerde warehouse heeft ze zonder voorbeelden).",
    "quarantine_values": "BEPERKT: de afgekeurde rijen van de gemeentelijke leveringen met de "
    "afwijkende waarde (value) bij bron, bestand, regel, kolom en reden; het gepubliceerde "
    "warehouse noemt alleen de kolom en de regel.",
}
_DEFAULT_COMMENT = "BEPERKT: alleen voor wie toestemming heeft; nooit exporteren."
_PREVIOUS = re.compile(r"^\.(?P<name>.+)\.previous-(?P<pid>\d+)-(?P<run>[0-9a-f-]+)$")


@dataclass
class RestrictedContent:
    """What one build keeps in the restricted store: table name (schema raw) -> rows."""

    run_id: str
    tables: dict[str, pd.DataFrame | pa.Table | ParquetRows] = field(default_factory=dict)


def private_dir(path: Path, root: Path | None = None) -> Path:
    """Create `path` owner-only (0700), and every folder between `root` and it, whatever the
    umask; `root` itself included."""
    path.mkdir(parents=True, exist_ok=True)
    for folder in (path, *path.parents):
        if root is not None and not folder.is_relative_to(root):
            break
        folder.chmod(0o700)
        if root is None or folder == root:
            break
    return path


@contextlib.contextmanager
def _owner_only_files():
    """Files created meanwhile (DuckDB's database and WAL) are born 0600, not world-readable
    for the moment before a chmod; the folder is 0700 besides."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def restricted_staging(store: Path, run_id: str) -> Path:
    return store.with_name(f".{store.name}.tmp-{os.getpid()}-{run_id}")


def write_restricted_store(
    path: Path, content: RestrictedContent, published: Path, published_for_readers: Path
) -> None:
    """Write a new restricted store at `path` (a staging file in the restricted folder).

    `published` is the finished (staging) published warehouse of the same build: the
    unprotected overview joins its facts and dimensions with the hidden values."""
    private_dir(path.parent)
    path.unlink(missing_ok=True)
    with _owner_only_files():
        _write_restricted(path, content, published, published_for_readers)
    path.chmod(0o600)


def _write_restricted(
    path: Path, content: RestrictedContent, published: Path, published_for_readers: Path
) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(RESTRICTED_SQL.read_text(encoding="utf-8"))
        con.execute(restricted_ddl())
        known = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'"
            ).fetchall()
        }
        for name, frame in content.tables.items():
            if frame is None or len(frame.columns) == 0:
                continue  # nothing of this kind in this build (e.g. no deliveries)
            if name in known and len(frame) == 0:
                continue
            if isinstance(frame, ParquetRows):  # a large delivery's rows, read as they go
                con.execute(f"CREATE TEMP VIEW incoming AS {frame.sql()}")
            else:
                con.register("incoming", frame)
            try:
                if name in known:
                    con.execute(f"INSERT INTO raw.{name} BY NAME SELECT * FROM incoming")
                else:
                    con.execute(f"CREATE TABLE raw.{name} AS SELECT * FROM incoming")
                    comment = FRAME_TABLE_COMMENTS.get(name, _DEFAULT_COMMENT)
                    con.execute(f"COMMENT ON TABLE raw.{name} IS '{comment}'")
            finally:
                if isinstance(frame, ParquetRows):
                    con.execute("DROP VIEW incoming")
                else:
                    con.unregister("incoming")
        con.execute("ATTACH ? AS pub (READ_ONLY)", [str(published)])
        try:
            con.execute(UNPROTECTED_SQL.read_text(encoding="utf-8"))
        finally:
            con.execute("DETACH pub")
        con.execute(
            "INSERT INTO raw.meta_store VALUES (?, ?, ?)",
            [content.run_id, datetime.now(UTC), str(published_for_readers)],
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()


def publish_stores(
    published_staging: Path,
    target: Path,
    restricted_staging_path: Path,
    restricted_store: Path,
    run_id: str,
    published_mode: int,
) -> None:
    """Make both staging files live: the restricted store first, the published file second.

    Until the published rename is done the replaced restricted store stays as a hard link,
    so that a crash in between can be rolled back by `reconcile_stores`."""
    fsync_file(restricted_staging_path)
    published_staging.chmod(published_mode)
    fsync_file(published_staging)
    keep = restricted_store.with_name(f".{restricted_store.name}.previous-{os.getpid()}-{run_id}")
    if restricted_store.exists():
        keep.unlink(missing_ok=True)
        os.link(restricted_store, keep)
    os.replace(restricted_staging_path, restricted_store)
    fsync_dir(restricted_store.parent)
    os.replace(published_staging, target)
    fsync_dir(target.parent)
    keep.unlink(missing_ok=True)
    fsync_dir(restricted_store.parent)


def _run_of(path: Path, query: str) -> str | None:
    """The run id a store says it belongs to (None when it cannot tell)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute(query).fetchone()
        return row[0] if row else None
    except duckdb.Error:
        return None
    finally:
        con.close()


def published_run_id(target: Path) -> str | None:
    return _run_of(target, "SELECT run_id FROM meta_config") if target.exists() else None


def restricted_run_id(store: Path) -> str | None:
    return _run_of(store, "SELECT run_id FROM raw.meta_store") if store.exists() else None


def reconcile_stores(target: Path, restricted_store: Path) -> list[str]:
    """After a build that died between the two renames: put back the restricted store that
    belongs to the published warehouse, and drop what such a build left. Returns what it did."""
    done: list[str] = []
    folder = restricted_store.parent
    if not folder.is_dir():
        return done
    for p in sorted(folder.iterdir()):
        m = _PREVIOUS.match(p.name)
        if not m or m["name"] != restricted_store.name or int(m["pid"]) == os.getpid():
            continue
        if pid_alive(int(m["pid"])):
            continue
        published = published_run_id(target)
        if (
            published is not None
            and restricted_run_id(restricted_store) != published
            and restricted_run_id(p) == published
        ):
            os.replace(p, restricted_store)
            done.append(
                f"{restricted_store}: put back the restricted store of run {published} "
                "(a build died between publishing the two stores)"
            )
            continue
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    return done


def open_restricted(store: Path, published: Path | None = None) -> duckdb.DuckDBPyConnection:
    """How an analyst with clearance opens the restricted store: read-only, and only when it
    belongs to the same build as the published warehouse (if that is given)."""
    if not store.exists():
        raise FileNotFoundError(f"{store}: no restricted store (run `wijkmonitor build`)")
    con = duckdb.connect(str(store), read_only=True)
    if published is not None and published.exists():
        mine = con.execute("SELECT run_id FROM raw.meta_store").fetchone()
        theirs = published_run_id(published)
        if mine is None or mine[0] != theirs:
            con.close()
            raise RuntimeError(
                f"{store} belongs to run {mine[0] if mine else '?'}, the published warehouse "
                f"{published} to run {theirs}: a build is being published; open it again"
            )
    return con
