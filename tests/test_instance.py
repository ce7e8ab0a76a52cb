"""One Dagster instance for every build: beside the warehouse unless DAGSTER_HOME says
otherwise, never two builds at once, and failed runs of the instance reach meta_run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterRun, DagsterRunStatus

from pipelines.cli import run_build
from pipelines.instance import (
    HOST_TAG,
    PID_TAG,
    BuildInProgress,
    open_instance,
    refuse_if_building,
)
from tests.conftest import demo_workspace

REPO = Path(__file__).resolve().parents[1]


def _in_progress_run(instance, tags: dict[str, str]) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(
        DagsterRun(
            job_name="monthly_build", run_id=run_id, status=DagsterRunStatus.STARTED, tags=tags
        )
    )
    return run_id


def test_a_build_is_refused_while_another_is_in_progress_and_a_dead_one_is_failed(tmp_path):
    cfg = demo_workspace(tmp_path, cbs_only=True)
    warehouse = tmp_path / "out" / "warehouse.duckdb"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        with open_instance(warehouse) as instance:
            assert Path(instance.root_directory) == tmp_path / "out" / ".dagster_home"
            busy = _in_progress_run(
                instance, {PID_TAG: str(other.pid), HOST_TAG: socket.gethostname()}
            )
        env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
        proc = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "build", "--config", str(cfg), "--offline"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 75, proc.stderr
        assert "another build is in progress" in proc.stderr and busy in proc.stderr
        assert not warehouse.exists()
    finally:
        other.kill()
        other.wait()
    with open_instance(warehouse) as instance:
        # Its process is gone now: the run is failed and holds nothing up.
        refuse_if_building(instance)
        assert instance.get_run_by_id(busy).status == DagsterRunStatus.FAILURE
        # A run of the daemon (no CLI process tag) is never second-guessed.
        daemon = _in_progress_run(instance, {})
        with pytest.raises(BuildInProgress, match=daemon):
            refuse_if_building(instance)


def test_a_failed_run_of_the_instance_is_in_meta_run_of_the_next_published_warehouse(tmp_path):
    cfg = demo_workspace(tmp_path, cbs_only=True)
    page = next(
        (tmp_path / "landing" / "cbs_kerncijfers" / "85618NED").glob(
            "*/TypedDataSet_gemeente_p002.json"
        )
    )
    good = page.read_bytes()
    page.write_bytes(good[:500])
    failed = run_build(cfg, offline=True, show_progress=False)
    assert not failed.success
    page.write_bytes(good)
    assert run_build(cfg, offline=True, show_progress=False).success
    warehouse = tmp_path / "out" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT run_id, status, message FROM meta_run ORDER BY finished_at"
        ).fetchall()
    assert [(r[0], r[1]) for r in rows[:1]] == [(failed.run_id, "failed")]
    assert str(page) in rows[0][2] and "cbs_kerncijfers_tables" in rows[0][2]
    assert [r[1] for r in rows[1:]] == ["success"]
    assert not (tmp_path / "out" / "warehouse.duckdb.runs.jsonl").exists()


def test_the_event_log_keeps_few_connections_open_and_writes_dagsters_own_files(tmp_path):
    """The instance's event log (pipelines.dagster_storage) keeps an open connection to the
    index and the newest runs only, without a sync per commit, and what it writes is read
    back by Dagster's own SQLite event log (what the webserver of an older dagster.yaml,
    or `dagster instance migrate`, opens)."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    from pipelines.dagster_storage import OPEN_DATABASES, EventLogStorage

    warehouse = tmp_path / "warehouse.duckdb"
    runs = []
    with open_instance(warehouse) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, EventLogStorage)
        for i in range(OPEN_DATABASES + 2):
            run_id = _in_progress_run(instance, {})
            instance.report_engine_event(f"event {i}", instance.get_run_by_id(run_id))
            runs.append(run_id)
        # 6 runs written, each with its own database: only the last few stay open.
        assert len(storage._engines) == OPEN_DATABASES
        assert runs[0] not in storage._engines and runs[-1] in storage._engines
        with storage.run_connection(runs[-1]) as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert storage._engines == {}  # closed with the instance
    stock = SqliteEventLogStorage(str(tmp_path / ".dagster_home" / "history" / "runs"))
    for i, run_id in enumerate(runs):
        assert [e.dagster_event.message for e in stock.get_logs_for_run(run_id)] == [f"event {i}"]
