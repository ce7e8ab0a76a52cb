"""Nothing lost, nothing cryptic (CLI level): a shrinking re-delivery keeps the earlier
figures, a full disk or a damaged file ends in one line and a run record, and what killed
builds leave behind is gone after the next build of any kind."""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from tests.conftest import demo_workspace
from warehouse.housekeeping import build_lock

REPO = Path(__file__).resolve().parents[1]
LEFTOVER = re.compile(r"(\.tmp-\d+-|\.previous-\d+-|\.pickle\.\d+\.tmp$|\.wal$|\.lock$)")


def cli_build(cfg: Path, *extra: str, preexec_fn=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "build", "--config", str(cfg), *extra],
        capture_output=True, text=True, timeout=900, cwd=REPO, preexec_fn=preexec_fn,
    )  # fmt: skip


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if LEFTOVER.search(p.name))


def run_records(warehouse: Path) -> list[dict]:
    log = warehouse.with_name(warehouse.name + ".runs.jsonl")
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def copy_workspace(demo_build, dest: Path, with_output: bool = True) -> tuple[Path, Path]:
    cfg, warehouse = demo_build
    ignore = None if with_output else shutil.ignore_patterns("out")
    shutil.copytree(cfg.parent, dest, ignore=ignore)
    return dest / cfg.name, dest / "out" / warehouse.name


def gemeente_figure(warehouse: Path, indicator: str, year: int) -> float | None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            "SELECT value FROM fact_indicator WHERE area_code = 'GM1916' AND indicator_id = ? "
            "AND period_year = ?",
            [indicator, year],
        ).fetchone()
    return row[0] if row else None


def one_failure_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    (line,) = [ln for ln in stderr.splitlines() if ln.startswith("build failed:")]
    return line


def test_header_only_redelivery_keeps_the_earlier_figures(demo_build, tmp_path):
    cfg, warehouse = copy_workspace(demo_build, tmp_path / "ws")
    folder = cfg.parent / "landing" / "uitkeringen"
    december = folder / "uitkeringen_2024-12.csv"
    header = december.read_text(encoding="utf-8").splitlines()[0]
    clients_in_december = len(december.read_text(encoding="utf-8").splitlines()) - 1
    before = gemeente_figure(warehouse, "werk.bijstand_personen", 2024)
    assert before is not None and before > 0
    v2 = folder / "uitkeringen_2024-12_v2.csv"
    v2.write_text(header + "\n", encoding="utf-8")

    result = cli_build(cfg, "--offline")
    assert result.returncode == 0, result.stderr
    assert f"{v2}: not used, uitkeringen_2024-12.csv is kept" in result.stderr
    assert "check uitkeringen_redeliveries_complete failed" in result.stderr
    assert gemeente_figure(warehouse, "werk.bijstand_personen", 2024) == before
    with duckdb.connect(str(warehouse), read_only=True) as con:
        checks = con.execute(
            "SELECT input_id, success, sample FROM meta_check "
            "WHERE expectation = 'herlevering_niet_kleiner'"
        ).fetchall()
        refused = con.execute("SELECT input_id FROM meta_input WHERE status = 'refused'").fetchall()
    ((input_id, success, sample),) = checks
    assert (input_id, success) == ("uitkeringen_2024-12_v2.csv", False)
    sample = json.loads(sample)
    assert (sample["niet_gebruikt"], sample["behouden"]) == (str(v2), str(december))
    assert (sample["rijen"], sample["rijen_behouden"]) == (0, clients_in_december)
    assert len(refused) == 1 and refused[0][0].startswith("uitkeringen_2024-12_v2.csv")
    # The run itself is in the Dagster instance (the run log keeps failures only); the
    # published run record says why the file was not taken.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (warnings,) = con.execute(
            "SELECT warnings FROM meta_run ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()
    assert any(w.startswith(f"{v2}: not used") for w in warnings), warnings
    # ... and the check page of the source says it failed.
    page = (warehouse.parent / "checks" / "uitkeringen.html").read_text(encoding="utf-8")
    assert "herlevering_niet_kleiner" in page and "FAILED" in page


def test_validate_says_0_rows_for_a_header_only_file(tmp_path):
    cfg = demo_workspace(tmp_path, cbs_only=True)
    december = REPO / "demo" / "landing" / "uitkeringen" / "uitkeringen_2024-12.csv"
    path = tmp_path / "uitkeringen_2024-12_v2.csv"
    path.write_text(december.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "validate", str(path), "--source", "uitkeringen",
         "--config", str(cfg)],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "accepted with warnings" in result.stdout
    assert "0 rows" in result.stdout


def _mount_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


def test_full_disk_one_line_record_kept_warehouse_no_temp_files(demo_build, tmp_path):
    cfg, warehouse = copy_workspace(demo_build, tmp_path / "ws", with_output=False)
    out = warehouse.parent
    if not _mount_tmpfs(out, "20m"):
        pytest.skip("cannot mount a tmpfs here (needs root); see the RLIMIT_FSIZE test instead")
    try:
        shutil.copyfile(demo_build[1], warehouse)  # the published warehouse, 9 MB
        published = sha(warehouse)
        result = cli_build(cfg, "--offline", "--full")
        assert result.returncode == 1, result.stdout + result.stderr
        line = one_failure_line(result.stderr)
        assert "disk full (no space left on the device)" in line and str(out) in line
        assert sha(warehouse) == published
        assert leftovers(out) == []
        last = run_records(warehouse)[-1]
        assert last["status"] == "failed" and "disk full" in last["message"]
        # With enough room the same build goes through.
        subprocess.run(["mount", "-o", "remount,size=400m", str(out)], check=True)
        again = cli_build(cfg, "--offline", "--full")
        assert again.returncode == 0, again.stderr
        assert sha(warehouse) != published
        assert leftovers(out) == []
    finally:
        subprocess.run(["umount", str(out)])


def _file_size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_file_size_limit_ends_in_one_line_and_a_run_record(tmp_path):
    """ENOSPC without a mount: a file-size limit makes the big writes fail (EFBIG)."""
    cfg = demo_workspace(tmp_path, cbs_only=True)
    warehouse = tmp_path / "out" / "warehouse.duckdb"
    # 1 MB: smaller than the first kaart output (1.15 MB) and than the write-ahead log of
    # Dagster's run storage by the end of the run; whichever write hits the limit first is
    # named, with the folder it is in.
    result = cli_build(cfg, "--offline", preexec_fn=_file_size_limit(1_000_000))
    assert result.returncode == 1, result.stdout + result.stderr
    line = one_failure_line(result.stderr)
    assert "file too large" in line and str(tmp_path / "out") in line
    assert not warehouse.exists()
    assert leftovers(tmp_path / "out") == []
    records = run_records(warehouse)
    assert [r["status"] for r in records] == ["started", "failed"]
    assert "file too large" in records[-1]["message"]


def test_corrupt_xlsx_is_named_and_a_second_build_is_refused(tmp_path):
    cfg = demo_workspace(tmp_path, cbs_only=True)
    warehouse = tmp_path / "out" / "warehouse.duckdb"
    bad = tmp_path / "landing" / "uitkeringen" / "uitkeringen_2024-12.xlsx"
    bad.parent.mkdir()
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")

    with build_lock(warehouse):
        locked = cli_build(cfg, "--offline")
    assert locked.returncode == 3
    assert f"another build (process {os.getpid()}) is running" in locked.stderr

    result = cli_build(cfg, "--offline")
    assert result.returncode == 1
    line = one_failure_line(result.stderr)
    assert f"{bad}: cannot open as XLSX" in line
    assert f"{bad}: cannot open as XLSX" in run_records(warehouse)[-1]["message"]


def test_after_kill_9_the_next_build_that_changes_nothing_cleans_up(tmp_path):
    cfg = demo_workspace(tmp_path, cbs_only=True)
    out = tmp_path / "out"
    assert cli_build(cfg, "--offline").returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "build", "--config", str(cfg), "--offline", "--full"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if [p for p in leftovers(out) if not p.endswith(".lock")]:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = [p for p in leftovers(out) if not p.endswith(".lock")]
    assert left, "the build was killed before it wrote a temporary file"
    again = cli_build(cfg, "--offline")
    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stderr
    assert leftovers(out) == []
