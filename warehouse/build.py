"""Write a complete warehouse into a new file, then publish it with one atomic rename.

A reader never sees half a build: the published file is replaced only by `os.replace` of a
finished, closed file, and a failed build leaves the last good warehouse where it was."""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

SCHEMA_SQL = Path(__file__).with_name("sql") / "schema.sql"
_STAGING = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d+)-(?P<run>[\w-]+)$")


@dataclass
class WarehouseContent:
    """Everything one build puts in the warehouse, as frames."""

    config: dict
    run: dict
    dim_area: pd.DataFrame
    dim_indicator: pd.DataFrame
    dim_target: pd.DataFrame
    facts: pa.Table | pd.DataFrame
    meta_input: pd.DataFrame
    meta_check: pd.DataFrame
    coverage: pd.DataFrame
    raw: dict[str, pd.DataFrame] = field(default_factory=dict)  # table name in schema raw
    quarantine: dict[str, pd.DataFrame] = field(default_factory=dict)  # source -> rows


def staging_path(target: Path, run_id: str) -> Path:
    return target.with_name(f".{target.name}.tmp-{os.getpid()}-{run_id}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_staging(target: Path) -> list[Path]:
    """Delete staging files left by builds that died (their process is gone)."""
    removed = []
    if not target.parent.is_dir():
        return removed
    for p in target.parent.iterdir():
        m = _STAGING.match(p.name)
        if not m or not m["name"].startswith(target.name):
            continue
        if int(m["pid"]) != os.getpid() and not _pid_alive(int(m["pid"])):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
            removed.append(p)
    return removed


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pa.Table | pd.DataFrame) -> None:
    if len(frame) == 0:
        return
    con.register("incoming", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
    finally:
        con.unregister("incoming")


def write_warehouse(path: Path, content: WarehouseContent, previous: Path | None = None) -> None:
    """Create a new warehouse file at `path` (which must not exist) with `content`.

    Run and input history is carried over from `previous`, the published warehouse."""
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    try:
        con.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
        _insert(con, "meta_config", pd.DataFrame([content.config]))
        _insert(con, "dim_area", content.dim_area)
        _insert(con, "dim_indicator", content.dim_indicator)
        _insert(con, "dim_target", content.dim_target)
        _insert(con, "fact_indicator", content.facts)
        _insert(con, "meta_area_coverage", content.coverage)
        for name, frame in content.raw.items():
            _insert(con, f"raw.{name}", frame)
        for source, frame in content.quarantine.items():
            _insert(con, f"quarantine_{source}", frame)
        if previous is not None and previous.exists():
            _carry_history(con, previous)
        _insert(con, "meta_input", content.meta_input)
        _insert(con, "meta_check", content.meta_check)
        _insert(con, "meta_run", pd.DataFrame([content.run]))
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _carry_history(con: duckdb.DuckDBPyConnection, previous: Path) -> None:
    try:
        con.execute("ATTACH ? AS previous (READ_ONLY)", [str(previous)])
    except duckdb.Error:
        return  # an unreadable old file has no history worth keeping
    try:
        for table in ("meta_run", "meta_input"):
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM previous.{table}")
    except duckdb.Error:
        pass  # an older schema: history starts again
    finally:
        con.execute("DETACH previous")


def publish_warehouse(staging: Path, target: Path) -> None:
    """Make `staging` the published warehouse in one atomic step."""
    with open(staging, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(staging, target)
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """How analysts (and `wijkmonitor info`) open the published warehouse."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no published warehouse yet (run `wijkmonitor build`)")
    return duckdb.connect(str(path), read_only=True)
