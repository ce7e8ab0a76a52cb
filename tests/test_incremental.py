"""Monthly runs without fear: unchanged inputs do nothing, a new file recomputes only its
dependants, CBS revisions and outages are handled and recorded, readers are never disturbed,
and a build killed at any moment leaves the published warehouse whole."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from tests.conftest import demo_workspace
from tests.statline_server import FakeStatLine, StatLineServer
from tests.tablemaker import make_table
from tests.test_build_online import AREAS, STEMS, _config

REPO = Path(__file__).resolve().parents[1]


def cli_build(cfg: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "build", "--config", str(cfg), *extra],
        capture_output=True, text=True, timeout=600, cwd=REPO,
    )  # fmt: skip


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def last_run(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cur = con.execute("SELECT * FROM meta_run ORDER BY finished_at DESC LIMIT 1")
        cols = [d[0] for d in cur.description]
        return dict(zip(cols, cur.fetchone(), strict=True))


def test_unchanged_inputs_recompute_nothing_then_a_new_kaart_recomputes_its_dependants(tmp_path):
    cfg = demo_workspace(tmp_path, cbs_only=True)
    kaart_2024 = tmp_path / "landing" / "cbs_kaart" / "2024"
    held_back = tmp_path / "held_back"
    shutil.move(kaart_2024, held_back)
    warehouse = tmp_path / "out" / "warehouse.duckdb"

    t0 = time.monotonic()
    first = cli_build(cfg, "--offline")
    first_seconds = time.monotonic() - t0
    assert first.returncode == 0, first.stderr
    before = sha(warehouse)

    t0 = time.monotonic()
    second = cli_build(cfg, "--offline")
    second_seconds = time.monotonic() - t0
    assert second.returncode == 0, second.stderr
    assert "nothing changed" in second.stderr
    assert second_seconds <= first_seconds / 5, (first_seconds, second_seconds)
    assert sha(warehouse) == before

    shutil.move(held_back, kaart_2024)  # the 2024 kaart is delivered
    third = cli_build(cfg, "--offline")
    assert third.returncode == 0, third.stderr
    run = last_run(warehouse)
    assert sorted(run["recomputed"]) == [
        "area_changes",
        "area_model",
        "cbs_indicator_facts_table",
        "cbs_kaart_checked",
        "cbs_kaart_layers",
        "municipal_indicator_facts_table",
        "police_indicator_facts_table",
        "protected_indicator_facts",
        "published_warehouse",
    ]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        years = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT period_year FROM meta_input WHERE source = 'cbs_kaart' AND run_id = ?",
                [run["run_id"]],
            ).fetchall()
        }
        assert 2024 in years
        assert con.execute("SELECT count(*) FROM meta_run").fetchone()[0] == 2


def _revised(areas: list[dict], code: str, stem: str, new: float) -> list[dict]:
    out = json.loads(json.dumps(areas))
    next(a for a in out if a["code"] == code)["values"][stem] = new
    return out


def test_cbs_revision_is_picked_up_and_named_and_an_outage_falls_back(tmp_path):
    table = make_table("99999NED", 2023, AREAS, STEMS, first_suffix=7)
    fake = FakeStatLine({"99999NED": table}, page_size=4)
    with StatLineServer(fake) as server:
        cfg = _config(tmp_path, server.base_url)
        warehouse = tmp_path / "out" / "warehouse.duckdb"
        assert cli_build(cfg).returncode == 0

        # CBS revises the table: a new Modified and one changed figure.
        revised = make_table(
            "99999NED",
            2023,
            _revised(AREAS, "WK191602", "AantalInwoners", 5650),
            STEMS,
            first_suffix=7,
        )
        revised["TableInfos"][0]["Modified"] = "2026-01-15T02:00:00"
        fake.tables["99999NED"] = revised
        proc = cli_build(cfg)
        assert proc.returncode == 0, proc.stderr
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert (
                con.execute(
                    "SELECT value FROM indicators WHERE indicator_id = 'context.inwoners' AND area_code = 'WK191602'"
                ).fetchone()[0]
                == 5650
            )
            changes = con.execute(
                "SELECT area_code, stem, old_value, new_value FROM meta_change"
            ).fetchall()
            assert changes == [("WK191602", "AantalInwoners", 5600.0, 5650.0)]
            mods = con.execute(
                "SELECT modified FROM meta_input WHERE source = 'cbs_kerncijfers' ORDER BY modified"
            ).fetchall()
            assert [m[0] for m in mods] == ["2025-03-01T02:00:00", "2026-01-15T02:00:00"]
        changes = json.loads(last_run(warehouse)["changes"])
        assert changes["99999NED"]["figures"] == 1
        assert "WK191602 AantalInwoners: 5600.0 -> 5650.0" in changes["99999NED"]["examples"]

        # Now CBS is down in each of the ways a host can be down.
        for fault in ("503", "reset", "cut"):
            fake.faults[:] = [fault] * 200
            proc = cli_build(cfg)
            assert proc.returncode == 0, proc.stderr
            run = last_run(warehouse)
            assert any("CBS not reachable for 99999NED" in w for w in run["warnings"]), run[
                "warnings"
            ]
            assert "CBS not reachable" in proc.stderr
            with duckdb.connect(str(warehouse), read_only=True) as con:
                assert (
                    con.execute(
                        "SELECT value FROM indicators WHERE indicator_id = 'context.inwoners' AND area_code = 'WK191602'"
                    ).fetchone()[0]
                    == 5650
                )


def test_readers_and_kill_9_never_see_a_broken_warehouse(tmp_path):
    cfg = demo_workspace(tmp_path, cbs_only=True)
    warehouse = tmp_path / "out" / "warehouse.duckdb"
    assert cli_build(cfg, "--offline").returncode == 0

    # An analyst keeps a read-only connection open across a whole build.
    reader = duckdb.connect(str(warehouse), read_only=True)
    query = "SELECT count(*), sum(value), max(run_id) FROM fact_indicator"
    seen_before = reader.execute(query).fetchone()
    build = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "build", "--config", str(cfg), "--offline", "--full"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    while build.poll() is None:
        assert reader.execute(query).fetchone() == seen_before
        time.sleep(0.2)
    assert build.returncode == 0, build.stderr.read()
    assert reader.execute(query).fetchone() == seen_before  # the old file until reconnect
    reader.close()
    with duckdb.connect(str(warehouse), read_only=True) as fresh:
        assert fresh.execute(query).fetchone()[2] != seen_before[2]

    # An analyst who opened the file read-write (and so locks it) does not cost the history.
    with duckdb.connect(str(warehouse)) as careless:
        runs_before = careless.execute("SELECT count(*) FROM meta_run").fetchone()[0]
        assert cli_build(cfg, "--offline", "--full").returncode == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meta_run").fetchone()[0] == runs_before + 1
        warnings = con.execute(
            "SELECT warnings FROM meta_run ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()[0]
        assert not [w for w in warnings if "history" in w], warnings

    # Builds killed at random moments, one after another.
    rng = random.Random(1916)
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "build", "--config", str(cfg), "--offline", "--full"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(rng.uniform(0.5, 8))  # a CBS-only build takes ~8-10 s: kill it while it runs
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM fact_indicator").fetchone()[0] == 4752
    final = cli_build(cfg, "--offline", "--full")
    assert final.returncode == 0, final.stderr
    left = [
        p.name for p in warehouse.parent.iterdir() if ".tmp-" in p.name or ".previous-" in p.name
    ]
    assert left == []
