"""One build at a time per warehouse, what dead builds leave is removed, the run log has room
for its records on a full disk, and faults read as one line naming the file and the cause."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sources.errors import BuildFault, UnreadableInput, describe_fault
from warehouse.housekeeping import (
    build_lock,
    lock_path,
    remove_leftovers,
    staged_file,
)
from warehouse.runlog import append_run_log, run_log_path, start_run_log

REPO = Path(__file__).resolve().parents[1]


def dead_pid() -> int:
    """The PID of a process that has run and is gone."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_second_build_is_refused_with_the_holder_named(tmp_path):
    target = tmp_path / "warehouse.duckdb"
    with build_lock(target):
        assert lock_path(target).read_text().strip() == str(os.getpid())
        # The same process may take it again (the CLI, then its in-process warehouse asset).
        with build_lock(target):
            pass
        other = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; "
                "from warehouse.housekeeping import build_lock, BuildLocked\n"
                "try:\n"
                f"    with build_lock(Path({str(target)!r})): sys.exit(0)\n"
                "except BuildLocked as e:\n"
                "    print(e); sys.exit(7)",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        assert other.returncode == 7, other.stderr
        assert f"another build (process {os.getpid()})" in other.stdout
    assert not lock_path(target).exists()
    with build_lock(target):  # free again
        pass


def test_a_lock_of_a_killed_build_does_not_block(tmp_path):
    target = tmp_path / "warehouse.duckdb"
    # A build killed while holding the lock leaves the file; the kernel dropped the lock.
    code = (
        "import os, signal; from pathlib import Path; from warehouse.housekeeping import build_lock\n"
        f"with build_lock(Path({str(target)!r})): os.kill(os.getpid(), signal.SIGKILL)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO)
    assert lock_path(target).exists()
    with build_lock(target):
        pass


def test_leftovers_of_dead_builds_go_those_of_live_ones_stay(tmp_path):
    dead, alive = dead_pid(), os.getpid()
    cache = tmp_path / ".warehouse.duckdb.cache"
    cache.mkdir()
    restricted = tmp_path / "restricted"
    restricted.mkdir()
    rows = cache / "rows" / "uitkeringen"  # sources.rowfiles: person rows in Parquet
    rows.mkdir(parents=True)
    run = "0b6e5c1e-4f7a-4d57-9a57-3f1e8f0c2a11"
    leftovers = [
        tmp_path / f".warehouse.duckdb.tmp-{dead}-{run}",
        tmp_path / f".warehouse.duckdb.tmp-{dead}-{run}.wal",
        tmp_path / f".warehouse.duckdb.previous-{dead}-{run}",
        cache / f".uitkeringen_files.pickle.{dead}.tmp",
        restricted / f".restricted.duckdb.tmp-{dead}-{run}.wal",
        rows / f".uitkeringen_2024-12.csv.0123.GM1916.parquet.{dead}.tmp",
    ]
    spill = tmp_path / f".warehouse.duckdb.tmp-{dead}-{run}.tmp"
    spill.mkdir()
    (spill / "duckdb_temp_block").write_bytes(b"x")
    kept = [
        tmp_path / "warehouse.duckdb",
        tmp_path / "warehouse.duckdb.runs.jsonl",
        tmp_path / f".warehouse.duckdb.tmp-{alive}-{run}",  # this very process
        cache / "uitkeringen_files.pickle",
        cache / f".uitkeringen_files.pickle.{alive}.tmp",
        restricted / "restricted.duckdb",
        rows / "uitkeringen_2024-12.csv.0123.GM1916.parquet",
        rows / f".uitkeringen_2024-12.csv.0123.GM1916.parquet.{alive}.tmp",
    ]
    for p in leftovers + kept:
        p.write_bytes(b"x" * 10)
    removed = remove_leftovers([tmp_path, cache, restricted, rows, tmp_path / "missing"])
    assert sorted(removed) == sorted([*leftovers, spill])
    assert all(p.exists() for p in kept)
    assert not any(p.exists() for p in [*leftovers, spill])


def test_a_failed_staged_write_leaves_no_file_and_no_wal(tmp_path):
    import duckdb

    staging = tmp_path / ".warehouse.duckdb.tmp-1-run"
    with pytest.raises(RuntimeError), staged_file(staging):
        con = duckdb.connect(str(staging))
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
        Path(str(staging) + ".wal").write_bytes(b"wal")  # as DuckDB leaves one when killed
        con.close()
        raise RuntimeError("the write failed")
    assert sorted(tmp_path.iterdir()) == []


def test_run_log_records_are_written_on_a_full_disk(tmp_path):
    """With a file-size limit below what the build writes, the started record and the failure
    record still land (they are small and written before the big writes)."""
    target = tmp_path / "warehouse.duckdb"
    code = f"""
import resource, signal, sys
from pathlib import Path
from warehouse.runlog import start_run_log, append_run_log
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
target = Path({str(target)!r})
start_run_log(target, {{"run_id": "r1"}})
try:
    with open(target.with_name("big.bin"), "wb") as f:
        f.write(b"x" * 100_000)
except OSError as exc:
    append_run_log(target, {{"run_id": "r1", "status": "failed", "message": str(exc)}})
"""
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
    records = [json.loads(x) for x in run_log_path(target).read_text().splitlines()]
    assert [r["status"] for r in records] == ["started", "failed"]
    assert "File too large" in records[1]["message"]


def test_start_record_then_final_record(tmp_path):
    target = tmp_path / "w.duckdb"
    start_run_log(target, {"run_id": "a"})
    append_run_log(target, {"run_id": "a", "status": "failed", "message": "m"})
    lines = run_log_path(target).read_text().splitlines()
    assert [json.loads(x)["status"] for x in lines] == ["started", "failed"]
    assert run_log_path(target).stat().st_size == sum(len(x) + 1 for x in lines)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            OSError(errno.ENOSPC, "No space left on device", "/data/w.duckdb"),
            "/data/w.duckdb: disk full (no space left on the device)",
        ),
        (
            PermissionError(errno.EACCES, "Permission denied", "/landing/uitkeringen"),
            "/landing/uitkeringen: permission denied",
        ),
        (
            FileNotFoundError(errno.ENOENT, "No such file or directory", "/x.csv"),
            "/x.csv: no such file or folder",
        ),
        (
            UnreadableInput("/l/u_2024-12.xlsx", "cannot open as XLSX"),
            "/l/u_2024-12.xlsx: cannot open as XLSX",
        ),
        (BuildFault("/c/a.pickle: disk full"), "/c/a.pickle: disk full"),
        (KeyError("[Content_Types].xml"), "KeyError: '[Content_Types].xml'"),
    ],
)
def test_fault_messages(exc, expected):
    assert describe_fault(exc) == expected
