"""Write a complete warehouse into a new file, then publish it with one atomic rename.

A reader never sees half a build: the published file is replaced only by `os.replace` of a
finished, closed file, and a failed build leaves the last good warehouse where it was."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from checks.deliveries.ddl import quarantine_ddl
from warehouse.housekeeping import pid_alive

SCHEMA_SQL = Path(__file__).with_name("sql") / "schema.sql"
AREAS_SQL = Path(__file__).with_name("sql") / "areas.sql"  # areas per year, area changes
POOLED_SQL = Path(__file__).with_name("sql") / "pooled.sql"  # three-year figures (issue 12)
# Our staging and history-copy files, and what DuckDB keeps beside them (.wal, a .tmp folder).
_STAGING = re.compile(
    r"^\.(?P<name>.+)\.(?:tmp|previous)-(?P<pid>\d+)-(?P<run>[0-9a-f-]+)(?:\.wal|\.tmp)?$"
)


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
    cbs: dict[str, pd.DataFrame] = field(default_factory=dict)  # CBS's public figures, schema cbs
    quarantine: dict[str, pd.DataFrame] = field(default_factory=dict)  # source -> rows
    published: dict[str, pd.DataFrame] = field(default_factory=dict)  # more published tables


def staging_path(target: Path, run_id: str) -> Path:
    return target.with_name(f".{target.name}.tmp-{os.getpid()}-{run_id}")


def remove_stale_staging(target: Path) -> list[Path]:
    """Delete staging files left by builds that died (their process is gone)."""
    removed = []
    if not target.parent.is_dir():
        return removed
    for p in target.parent.iterdir():
        m = _STAGING.match(p.name)
        if not m or not m["name"].startswith(target.name):
            continue
        if int(m["pid"]) != os.getpid() and not pid_alive(int(m["pid"])):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
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


def write_warehouse(
    path: Path,
    content: WarehouseContent,
    previous: Path | None = None,
    earlier_runs: list[dict] | None = None,
) -> list[dict]:
    """Create a new warehouse file at `path` with `content`; return the revised figures.

    Run, input and change history is carried over from `previous` (the published
    warehouse); `earlier_runs` (failed runs from the run log) are added to meta_run. Figures
    of a table that `previous` held too and that now differ are recorded in meta_change."""
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    try:
        con.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
        con.execute(quarantine_ddl())
        con.execute(AREAS_SQL.read_text(encoding="utf-8"))
        con.execute(POOLED_SQL.read_text(encoding="utf-8"))
        _insert(
            con, "meta_config", pd.DataFrame([{"run_id": content.run["run_id"], **content.config}])
        )
        _insert(con, "dim_area", content.dim_area)
        _insert(con, "dim_indicator", content.dim_indicator)
        _insert(con, "dim_target", content.dim_target)
        _insert(con, "fact_indicator", content.facts)
        _insert(con, "meta_area_coverage", content.coverage)
        for name, frame in content.cbs.items():
            _insert(con, f"cbs.{name}", frame)
        for source, frame in content.quarantine.items():
            _insert(con, f"quarantine_{source}", frame)
        for name, frame in content.published.items():
            _insert(con, name, frame)
        changes: list[dict] = []
        run = dict(content.run)
        if previous is not None and previous.exists():
            changes, problem = _carry_history(con, previous, content.run["run_id"])
            if problem:
                run["warnings"] = [*(run.get("warnings") or []), problem]
        known = {r[0] for r in con.execute("SELECT run_id FROM meta_run").fetchall()}
        _insert(
            con,
            "meta_run",
            pd.DataFrame([r for r in earlier_runs or [] if r["run_id"] not in known]),
        )
        _insert(con, "meta_input", content.meta_input)
        _insert(con, "meta_check", content.meta_check)
        run["changes"] = json.dumps(summarise_changes(changes))
        _insert(con, "meta_run", pd.DataFrame([run]))
        con.execute("CHECKPOINT")
        return changes
    finally:
        con.close()


def summarise_changes(changes: list[dict], examples: int = 5) -> dict:
    """Per table: how many figures were revised, with a few examples."""
    out: dict[str, dict] = {}
    for c in changes:
        t = out.setdefault(
            c["table_id"], {"period_year": c["period_year"], "figures": 0, "examples": []}
        )
        t["figures"] += 1
        if len(t["examples"]) < examples:
            t["examples"].append(
                f"{c['area_code']} {c['stem']}: {c['old_value']} -> {c['new_value']}"
            )
    return out


_CHANGED_FIGURES = """
INSERT INTO meta_change
SELECT ?, 'cbs_kerncijfers', coalesce(n.table_id, o.table_id), coalesce(n.period_year, o.period_year),
       coalesce(n.area_code, o.area_code), coalesce(n.stem, o.stem), o.value, n.value
FROM cbs.kerncijfers n
FULL JOIN previous.cbs.kerncijfers o
       ON o.table_id = n.table_id AND o.area_code = n.area_code AND o.stem = n.stem
WHERE n.value IS DISTINCT FROM o.value
  AND coalesce(n.table_id, o.table_id) IN (SELECT table_id FROM cbs.kerncijfers)
  AND coalesce(n.table_id, o.table_id) IN (SELECT table_id FROM previous.cbs.kerncijfers)
"""


def _carry_history(
    con: duckdb.DuckDBPyConnection, previous: Path, run_id: str
) -> tuple[list[dict], str | None]:
    # Read a copy, not the published file: no lock on it is needed or taken, so a
    # read-write connection an analyst left open cannot stop the history from carrying over.
    copy = previous.with_name(f".{previous.name}.previous-{os.getpid()}-{run_id}")
    try:
        shutil.copyfile(previous, copy)
        con.execute("ATTACH ? AS previous (READ_ONLY)", [str(copy)])
    except (OSError, duckdb.Error) as exc:
        copy.unlink(missing_ok=True)
        return [], f"{previous}: run history could not be read and starts again here ({exc})"
    try:
        for table in ("meta_run", "meta_input", "meta_change", "meta_check"):
            with contextlib.suppress(duckdb.Error):  # an older schema: that history starts again
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM previous.{table}")
        try:
            con.execute(_CHANGED_FIGURES, [run_id])
        except duckdb.Error:
            return [], None
        rows = con.execute(
            "SELECT table_id, period_year, area_code, stem, old_value, new_value FROM meta_change "
            "WHERE run_id = ? ORDER BY table_id, area_code, stem",
            [run_id],
        ).fetchall()
        cols = ["table_id", "period_year", "area_code", "stem", "old_value", "new_value"]
        return [dict(zip(cols, r, strict=True)) for r in rows], None
    finally:
        con.execute("DETACH previous")
        copy.unlink(missing_ok=True)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def publish_warehouse(staging: Path, target: Path) -> None:
    """Make `staging` the published warehouse in one atomic step."""
    fsync_file(staging)
    os.replace(staging, target)
    fsync_dir(target.parent)


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """How analysts (and `wijkmonitor info`) open the published warehouse."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no published warehouse yet (run `wijkmonitor build`)")
    return duckdb.connect(str(path), read_only=True)
