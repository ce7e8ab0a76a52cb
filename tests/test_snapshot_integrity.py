"""Issue 15.2: a saved snapshot is what was received. Every read checks each saved reply
against the sha256 its manifest recorded at fetch time; a snapshot that fails is refused
(naming the file), the build falls back to the previous intact snapshot with a warning, or
stops when there is none, and a refused snapshot never shows up as revised figures."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import _failure_messages, run_build
from sources.politie import read_politie
from sources.statline import (
    SnapshotIntegrityError,
    StatLineClient,
    kerncijfers_queries,
    read_saved_table,
    read_single_reply,
    resolve_table,
    saved_modified,
)
from tests.conftest import DEMO_LANDING, demo_workspace
from tests.statline_server import FakeStatLine, StatLineServer
from tests.tablemaker import make_table

TABLE = "85618NED"  # the demo's 2023 Kerncijfers
PAGE = "TypedDataSet_gemeente_p002.json"


def halve_values(page: Path) -> int:
    """Drop the second half of a saved page's rows; still valid JSON. Returns rows kept."""
    doc = json.loads(page.read_bytes())
    doc["value"] = doc["value"][: len(doc["value"]) // 2]
    page.write_text(json.dumps(doc), encoding="utf-8")
    return len(doc["value"])


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def demo_snapshot(tmp_path: Path, source: str, table: str) -> Path:
    original = next((DEMO_LANDING / source / table).iterdir())
    copy = tmp_path / table / original.name
    shutil.copytree(original, copy)
    return copy


def test_a_halved_page_is_refused_naming_the_file(tmp_path):
    snapshot = demo_snapshot(tmp_path, "cbs_kerncijfers", TABLE)
    assert len(read_saved_table(snapshot).rows) == 69  # 68 of GM1916 + NL00, as received
    kept = halve_values(snapshot / PAGE)
    assert kept > 0
    json.loads((snapshot / PAGE).read_text("utf-8"))  # still valid JSON
    with pytest.raises(SnapshotIntegrityError, match=rf"{PAGE}: not the reply as received"):
        read_saved_table(snapshot)
    with pytest.raises(SnapshotIntegrityError, match="sha256 differs from the one in manifest"):
        read_single_reply(snapshot / PAGE)
    # A file the manifest lists but that is gone.
    (snapshot / PAGE).unlink()
    with pytest.raises(SnapshotIntegrityError, match=rf"{PAGE}: cannot read the file"):
        read_saved_table(snapshot)


def test_the_police_reader_checks_too(tmp_path):
    snapshot = demo_snapshot(tmp_path, "politie", "47022NED")
    halve_values(snapshot / "TypedDataSet_gemeente_p003.json")
    with pytest.raises(SnapshotIntegrityError, match=r"TypedDataSet_gemeente_p003\.json"):
        read_politie(snapshot)


def test_resolve_falls_back_to_the_previous_intact_snapshot_or_fails(tmp_path):
    newest = demo_snapshot(tmp_path, "cbs_kerncijfers", TABLE)
    older = newest.with_name("20240101T000000Z")
    shutil.copytree(newest, older)
    halve_values(newest / PAGE)
    queries = kerncijfers_queries("GM1916")

    resolved = resolve_table(None, tmp_path, TABLE, queries)
    assert resolved.snapshot == older
    assert str(newest / PAGE) in resolved.warning
    assert "used the older saved reply of 20240101T000000Z" in resolved.warning

    # A snapshot without its manifest is not complete either.
    (older / "manifest.json").unlink()
    with pytest.raises(SnapshotIntegrityError, match=rf"{PAGE}: .*no intact older snapshot"):
        resolve_table(None, tmp_path, TABLE, queries)


def test_online_a_refused_snapshot_is_fetched_again_even_when_cbs_has_no_new_version(tmp_path):
    damaged = demo_snapshot(tmp_path, "cbs_kerncijfers", TABLE)
    halve_values(damaged / PAGE)
    served = make_table(
        TABLE, 2023, [{"code": "GM1916", "values": {"AantalInwoners": 77123}}], ["AantalInwoners"]
    )
    served["TableInfos"][0]["Modified"] = saved_modified(damaged)  # the version saved
    with StatLineServer(FakeStatLine({TABLE: served})) as server:
        client = StatLineClient(base_url=server.base_url, retries=0, sleep=lambda s: None)
        resolved = resolve_table(
            client,
            tmp_path,
            TABLE,
            kerncijfers_queries("GM1916"),
            now=datetime(2026, 1, 2, tzinfo=UTC),
        )
    assert resolved.fetched and resolved.snapshot.name == "20260102T000000Z"
    assert str(damaged / PAGE) in resolved.warning and "fetched the table again" in resolved.warning
    rows = read_saved_table(resolved.snapshot).rows
    assert [(r["WijkenEnBuurten"], r["AantalInwoners_5"]) for r in rows] == [("GM1916    ", 77123)]


def _meta_change_rows(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT count(*) FROM meta_change").fetchone()[0]


def _last_run(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cur = con.execute("SELECT * FROM meta_run ORDER BY finished_at DESC LIMIT 1")
        cols = [d[0] for d in cur.description]
        return dict(zip(cols, cur.fetchone(), strict=True))


def _figures(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT indicator_id, area_code, period_year, value FROM fact_indicator ORDER BY ALL"
        ).fetchall()


def test_a_tampered_snapshot_is_never_published_as_revisions(tmp_path):
    cfg = demo_workspace(tmp_path, cbs_only=True)
    warehouse = tmp_path / "out" / "warehouse.duckdb"
    assert run_build(cfg, offline=True, show_progress=False).success
    figures = _figures(warehouse)
    assert _meta_change_rows(warehouse) == 0

    # A newer snapshot of the 2023 table whose second page lost half its rows after saving;
    # the older, intact one is still there.
    folder = tmp_path / "landing" / "cbs_kerncijfers" / TABLE
    intact = next(folder.iterdir())
    newer = folder / "20260101T000000Z"
    shutil.copytree(intact, newer)
    halve_values(newer / PAGE)

    result = run_build(cfg, offline=True, show_progress=False)
    assert result.success, _failure_messages(result)
    run = _last_run(warehouse)
    refusal = [w for w in run["warnings"] if str(newer / PAGE) in w]
    assert refusal and f"used the older saved reply of {intact.name}" in refusal[0]
    assert _meta_change_rows(warehouse) == 0  # nothing "revised" from the halved page
    assert json.loads(run["changes"]) == {}
    assert _figures(warehouse) == figures

    # Without the intact one: the build stops, naming the file; nothing is published.
    shutil.rmtree(intact)
    before = sha(warehouse)
    result = run_build(cfg, offline=True, show_progress=False)
    assert not result.success
    messages = " ".join(_failure_messages(result))
    assert str(newer / PAGE) in messages and "not the reply as received" in messages
    assert sha(warehouse) == before
