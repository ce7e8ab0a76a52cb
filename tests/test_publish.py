"""Publication is atomic: a failed build leaves the published warehouse as it was, a reader
holding the old file keeps consistent data, and stale staging files are cleaned up."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines.cli import _failure_messages, run_build
from tests.conftest import demo_workspace
from tests.statline_server import record_as_received
from warehouse.build import remove_stale_staging


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_build_failing_half_way_leaves_the_published_warehouse_untouched(tmp_path):
    cfg = demo_workspace(tmp_path, cbs_only=True)
    assert run_build(cfg, offline=True, show_progress=False).success
    warehouse = tmp_path / "out" / "warehouse.duckdb"
    before = sha(warehouse)
    # Break one saved reply of one year: the build gets as far as reading it, then stops.
    page = next(
        (tmp_path / "landing" / "cbs_kerncijfers" / "85618NED").glob(
            "*/TypedDataSet_gemeente_p002.json"
        )
    )
    page.write_text(page.read_text("utf-8")[:500], encoding="utf-8")
    with duckdb.connect(str(warehouse), read_only=True) as reader:
        n_before = reader.execute("SELECT count(*) FROM fact_indicator").fetchone()[0]
        result = run_build(cfg, offline=True, show_progress=False)
        assert not result.success
        assert reader.execute("SELECT count(*) FROM fact_indicator").fetchone()[0] == n_before
    messages = " ".join(_failure_messages(result))
    assert str(page) in messages and "broken JSON" in messages
    assert sha(warehouse) == before
    assert not [p for p in warehouse.parent.iterdir() if ".tmp-" in p.name]


def test_cli_build_failure_exits_1_and_says_the_warehouse_is_unchanged(tmp_path):
    cfg = demo_workspace(tmp_path, cbs_only=True)
    (tmp_path / "landing" / "cbs_kerncijfers" / "84583NED").joinpath(
        "20250601T000000Z", "TableInfos_p001.json"
    ).write_bytes(b"\x00\x01binary")
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "build", "--config", str(cfg), "--offline"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1
    assert "TableInfos_p001.json" in proc.stderr
    assert "published warehouse was not changed" in proc.stderr
    assert not (tmp_path / "out" / "warehouse.duckdb").exists()


def test_staging_files_of_dead_builds_are_removed(tmp_path):
    target = tmp_path / "warehouse.duckdb"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".warehouse.duckdb.tmp-{dead.pid}-abc"
    stale_wal = tmp_path / f".warehouse.duckdb.tmp-{dead.pid}-abc.wal"
    stale_spill = tmp_path / f".warehouse.duckdb.tmp-{dead.pid}-abc.tmp"
    stale_copy = tmp_path / f".warehouse.duckdb.previous-{dead.pid}-abc"
    mine = tmp_path / f".warehouse.duckdb.tmp-{os.getpid()}-def"
    for p in (stale, stale_wal, stale_copy, mine):
        p.write_bytes(b"x")
    stale_spill.mkdir()
    (stale_spill / "duckdb_temp_block").write_bytes(b"x")
    assert sorted(remove_stale_staging(target)) == sorted(
        [stale, stale_wal, stale_spill, stale_copy]
    )
    assert mine.exists() and not any(
        p.exists() for p in (stale, stale_wal, stale_spill, stale_copy)
    )


def test_a_failing_expectation_blocks_publication_and_names_the_check(tmp_path):
    cfg = demo_workspace(tmp_path, cbs_only=True)
    page = next(
        (tmp_path / "landing" / "cbs_kerncijfers" / "85618NED").glob(
            "*/TypedDataSet_gemeente_p001.json"
        )
    )
    doc = json.loads(page.read_text("utf-8"))
    key = next(k for k in doc["value"][3] if k.startswith("AantalInwoners_"))
    doc["value"][3][key] = -40  # a number, so the contract lets it through; GX does not
    page.write_text(json.dumps(doc), encoding="utf-8")
    record_as_received(page)  # as if CBS served it so (an edited reply is refused otherwise)
    result = run_build(cfg, offline=True, show_progress=False)
    assert not result.success
    messages = " ".join(_failure_messages(result))
    assert "kerncijfers_expectations_met" in messages
    assert "expect_column_values_to_be_between(value)" in messages and "-40" in messages
    assert str(page) in messages  # on which file
    assert not (tmp_path / "out" / "warehouse.duckdb").exists()
