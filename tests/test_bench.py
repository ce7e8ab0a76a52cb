"""The end-to-end benchmark harness (scripts/bench_e2e.py) in its tiny mode: one real build of
a generated large city, the floor and the pandas version, the JSON and Markdown reports."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import bench_e2e  # noqa: E402


def test_tiny_benchmark_reports_and_floor_equals_warehouse(tmp_path):
    # The harness itself stops when the floor or the pandas version differ from the warehouse
    # for any published value of the subset (bench_e2e.compare).
    results = bench_e2e.main(
        ["--tiny", "--scales", "large_city", "--work", str(tmp_path), "--out-dir", str(tmp_path)]
    )
    doc = json.loads((tmp_path / "BENCHMARKS.json").read_text())
    city = doc["large_city"]
    for key in ("build_s", "floor_s", "pandas_s", "export_s", "import_s", "rerun_s",
                "peak_rss_mb"):  # fmt: skip
        assert key in city
    assert city["export_s"] is None  # the tiny mode exports the demo only
    assert city["build_s"] > city["import_s"] > 0
    assert city["peak_rss_mb"] > 50
    assert city["values_compared"] == results["large_city"]["values_compared"] > 100
    assert doc["_machine"]["cores"] >= 1
    md = (tmp_path / "BENCHMARKS.md").read_text()
    assert "| large_city |" in md and "build <= 3x floor" in md
    missed = [line for line in md.splitlines() if "| NO (missed" in line]
    assert missed, md  # a tiny build cannot be within 3x of its floor
    # scale | target | measured | met | why missed: the last cell says why
    reasons = [[c.strip() for c in line.strip().strip("|").split("|")][4] for line in missed]
    assert all(len(r) > 20 for r in reasons), missed
    # --render writes the same report again from the JSON alone.
    (tmp_path / "BENCHMARKS.md").unlink()
    bench_e2e.main(["--render", "--out-dir", str(tmp_path)])
    assert (tmp_path / "BENCHMARKS.md").read_text() == md

    # Worked out here from the delivery itself: persons with a PW benefit running on
    # 31 December 2023 in the December file, in the whole gemeente.
    landing = tmp_path / "large_city" / "landing"
    peil = dt.date(2023, 12, 31)
    clients = set()
    with open(landing / "uitkeringen" / "uitkeringen_2023-12.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter=";"):
            ended = row["einddatum"] and dt.date.fromisoformat(row["einddatum"]) < peil
            if row["regeling"] == "PW" and not ended:
                clients.add(row["client_id"])
    con = duckdb.connect(str(tmp_path / "large_city" / "warehouse.duckdb"), read_only=True)
    value = con.execute(
        "SELECT value FROM fact_indicator WHERE indicator_id = 'werk.bijstand_personen' "
        "AND area_code = 'GM1916' AND period_year = 2023"
    ).fetchone()[0]
    con.close()
    assert value == len(clients) > 0
