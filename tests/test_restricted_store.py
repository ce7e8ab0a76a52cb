"""Issue 10, parts 1-2: person-level data never reaches the file analysts open.

The published warehouse holds only what may be shown; the person-level rows, the unprotected
figures and the cache of asset outputs live in the restricted store, an owner-only folder of
its own. The expected values (client ids, column names, file modes) are read from the
delivery files and the config here, not from the code under test."""

from __future__ import annotations

import csv
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from pipelines.cli import app
from sources.config import ConfigError, load_config
from tests.conftest import write_demo_config
from warehouse.stores import open_restricted, reconcile_stores

# Columns that would hold a person's data in the delivery contracts (sources.md, section 4).
PERSON_COLUMNS = {
    "client_id", "huishouden_id", "leerling_id", "melding_id", "incident_id", "geboortejaar",
    "geboortedatum", "postcode", "huisnummer", "huisletter", "huisnummertoevoeging", "x", "y",
    "lat", "lon", "brin",
}  # fmt: skip


def _delivered_values(landing: Path, source: str, column: str) -> set[str]:
    """Every value of `column` in the delivery files of `source`, read with csv/openpyxl."""
    values: set[str] = set()
    for path in sorted((landing / source).iterdir()):
        if path.suffix.lower() == ".csv":
            raw = path.read_bytes()
            text = raw.decode("utf-8-sig") if raw[:3] == b"\xef\xbb\xbf" else None
            if text is None:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    text = raw.decode("cp1252")
            delimiter = ";" if text.split("\n", 1)[0].count(";") else ","
            rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
        elif path.suffix.lower() == ".xlsx":
            rows = [
                ["" if v is None else str(v) for v in r]
                for r in load_workbook(path, read_only=True).active.iter_rows(values_only=True)
            ]
        else:
            continue
        header = [h.strip().lower() for h in rows[0]]
        if column in header:
            i = header.index(column)
            values |= {r[i].strip() for r in rows[1:] if len(r) > i and r[i].strip()}
    return values


def test_published_warehouse_has_no_person_columns_and_no_raw_schema(demo_build):
    _, warehouse = demo_build
    with duckdb.connect(str(warehouse), read_only=True) as con:
        schemas = {r[0] for r in con.execute("SELECT schema_name FROM duckdb_tables()").fetchall()}
        assert "raw" not in schemas
        views = {r[0] for r in con.execute("SELECT schema_name FROM duckdb_views() WHERE NOT internal").fetchall()}  # fmt: skip
        assert "raw" not in views
        columns = con.execute(
            "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
            "WHERE database_name = current_database()"
        ).fetchall()
    leaked = [c for c in columns if c[2].lower() in PERSON_COLUMNS]
    assert leaked == []


def test_no_client_id_of_the_deliveries_is_in_the_bytes_of_the_published_file(demo_build):
    cfg, warehouse = demo_build
    landing = cfg.parent / "landing"
    ids = _delivered_values(landing, "uitkeringen", "client_id")
    ids |= _delivered_values(landing, "verzuim", "leerling_id")
    assert len(ids) > 1000  # the demo delivers thousands of pseudonyms
    assert found_in(warehouse.read_bytes(), ids) == set()
    # ... while the restricted store does hold them: the test looks in the right place.
    store = warehouse.parent / "restricted" / "restricted.duckdb"
    assert found_in(store.read_bytes(), ids)


def found_in(data: bytes, ids: set[str]) -> set[str]:
    """The pseudonyms (a letter and digits, e.g. C101509) that occur anywhere in `data`.
    Every occurrence starts a run of a capital and digits that the regex finds, so the
    prefixes of those runs are all candidates: one pass instead of a scan per pseudonym."""
    assert all(re.fullmatch(r"[A-Z][0-9]{4,}", i) for i in ids)
    lengths = {len(i) for i in ids}
    runs = {m.group().decode() for m in re.finditer(rb"[A-Z][0-9]{4,}", data)}
    return {r[:n] for r in runs for n in lengths} & ids


def test_found_in_sees_a_pseudonym_inside_other_bytes():
    ids = {"C101509", "L2342195"}
    assert found_in(b"\x00\x01XC1015099\xff", ids) == {"C101509"}
    assert found_in(b"C10150 L2342195", ids) == {"L2342195"}
    assert found_in(b"C10150", ids) == set()


def test_restricted_files_are_owner_only_and_the_published_file_group_readable(demo_build):
    _, warehouse = demo_build
    folder = warehouse.parent / "restricted"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.name == "restricted.duckdb" for p in files)
    assert any(p.suffix == ".pickle" for p in files)  # the cache of asset outputs
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*") if p.is_dir()} == {0o700}
    assert stat.S_IMODE(warehouse.stat().st_mode) == 0o640  # [paths] published_mode default


def test_restricted_store_holds_the_unprotected_values_of_the_same_run(demo_build):
    _, warehouse = demo_build
    store = warehouse.parent / "restricted" / "restricted.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as pub:
        (run_id,) = pub.execute("SELECT run_id FROM meta_config").fetchone()
        hidden = pub.execute(
            "SELECT count(*) FROM fact_indicator WHERE suppression_reason LIKE 'kleine aantallen%'"
        ).fetchone()[0]
        rows = pub.execute("SELECT count(*) FROM fact_indicator").fetchone()[0]
    with open_restricted(store, warehouse) as con:
        assert con.execute("SELECT run_id FROM raw.meta_store").fetchone()[0] == run_id
        assert con.execute("SELECT count(*) FROM raw.indicators_unprotected").fetchone()[0] == rows
        revealed = con.execute(
            "SELECT count(*) FROM raw.indicators_unprotected WHERE hidden_by_disclosure_control"
        ).fetchone()[0]
        assert revealed == hidden > 0
        assert con.execute("SELECT count(*) FROM raw.uitkeringen").fetchone()[0] > 0


def test_info_and_export_work_with_the_restricted_store_deleted(demo_build, tmp_path):
    cfg, warehouse = demo_build
    folder = tmp_path / "ws"
    (folder / "out").mkdir(parents=True)
    shutil.copyfile(warehouse, folder / "out" / "warehouse.duckdb")
    copy = write_demo_config(folder)
    assert not (folder / "out" / "restricted").exists()
    runner = CliRunner()
    info = runner.invoke(app, ["info", "--config", str(copy)])
    assert info.exit_code == 0, info.output
    assert "areas per level" in info.output
    done = runner.invoke(
        app, ["export", "--config", str(copy), "--out", str(tmp_path / "x"), "--format", "csv"]
    )
    assert done.exit_code == 0, done.output
    assert list((tmp_path / "x").glob("*.csv"))
    assert not (folder / "out" / "restricted").exists()  # nothing recreated it either


def _store(path: Path, ddl: str, run_id: str) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(ddl)
        con.execute("INSERT INTO " + ddl.split()[2] + " SELECT ?", [run_id])


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True)  # fmt: skip
    return int(proc.stdout)


def test_a_build_killed_between_the_two_renames_is_rolled_back(tmp_path):
    target = tmp_path / "warehouse.duckdb"
    folder = tmp_path / "restricted"
    folder.mkdir()
    store = folder / "restricted.duckdb"
    # Run r1 published both stores; run r2 replaced the restricted store (keeping r1's as a
    # hard link) and died before the published rename.
    _store(target, "CREATE TABLE meta_config (run_id VARCHAR)", "r1")
    _store(store, "CREATE TABLE meta_store (run_id VARCHAR)", "r1")
    with duckdb.connect(str(store)) as con:
        con.execute("CREATE SCHEMA raw; CREATE TABLE raw.meta_store AS SELECT * FROM meta_store")
    kept = folder / f".restricted.duckdb.previous-{_dead_pid()}-2"
    os.link(store, kept)
    store.unlink()
    with duckdb.connect(str(store)) as con:
        con.execute("CREATE SCHEMA raw; CREATE TABLE raw.meta_store AS SELECT 'r2' AS run_id")
    with pytest.raises(RuntimeError, match="a build is being published"):
        open_restricted(store, target)

    done = reconcile_stores(target, store)

    assert len(done) == 1 and "put back" in done[0]
    assert not kept.exists()
    with open_restricted(store, target) as con:
        assert con.execute("SELECT run_id FROM raw.meta_store").fetchone()[0] == "r1"


def test_a_kept_link_of_a_finished_pair_is_only_removed(tmp_path):
    target = tmp_path / "warehouse.duckdb"
    folder = tmp_path / "restricted"
    folder.mkdir()
    store = folder / "restricted.duckdb"
    _store(target, "CREATE TABLE meta_config (run_id VARCHAR)", "r2")
    with duckdb.connect(str(store)) as con:
        con.execute("CREATE SCHEMA raw; CREATE TABLE raw.meta_store AS SELECT 'r2' AS run_id")
    kept = folder / f".restricted.duckdb.previous-{_dead_pid()}-2"
    shutil.copyfile(store, kept)
    assert reconcile_stores(target, store) == []
    assert not kept.exists()
    with open_restricted(store, target) as con:
        assert con.execute("SELECT run_id FROM raw.meta_store").fetchone()[0] == "r2"


def test_published_mode_and_restricted_folder_come_from_the_config(tmp_path):
    cfg = write_demo_config(
        tmp_path,
        **{
            'restricted = "out/restricted"': 'restricted = "secret"',
            'published_mode = "0640"': 'published_mode = "0600"',
        },
    )
    paths = load_config(cfg).paths
    assert paths.published_mode == 0o600
    assert paths.restricted == (tmp_path / "secret").resolve()
    assert paths.restricted_store == (tmp_path / "secret" / "restricted.duckdb").resolve()
    # Without the keys: a folder of its own beside the published file, and 0640.
    (tmp_path / "d").mkdir()
    default = load_config(
        write_demo_config(
            tmp_path / "d", **{'restricted = "out/restricted"': "", 'published_mode = "0640"': ""}
        )
    ).paths
    assert default.restricted == (tmp_path / "d" / "out" / "restricted").resolve()
    assert default.published_mode == 0o640


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('published_mode = "0666"', "nobody may execute it or, besides the owner, write it"),
        ('published_mode = "0755"', "nobody may execute it"),
        ('published_mode = "rw-r-----"', "octal file mode"),
        ('restricted = "out"', "must be a folder of its own"),
    ],
)
def test_unsafe_store_settings_are_refused(tmp_path, line, message):
    key = line.split(" =")[0]
    old = 'restricted = "out/restricted"' if key == "restricted" else 'published_mode = "0640"'
    cfg = write_demo_config(tmp_path, **{old: line})
    with pytest.raises(ConfigError, match=message):
        load_config(cfg)


def test_check_pages_show_every_source_and_keep_municipal_samples_restricted(demo_build):
    _, warehouse = demo_build
    index = warehouse.parent / "checks" / "index.html"
    text = index.read_text(encoding="utf-8")
    for source in ("cbs_kerncijfers", "cbs_kaart", "politie", "uitkeringen", "verzuim"):
        assert f'href="{source}.html"' in text
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expectations = con.execute(
            "SELECT count(*) FROM meta_check WHERE source = 'uitkeringen'"
        ).fetchone()[0]
    page = (warehouse.parent / "checks" / "uitkeringen.html").read_text(encoding="utf-8")
    assert page.count("<tr>") == expectations + 1  # a header row and one per expectation
    # The restricted copy is in the owner-only folder; the published one has no samples of
    # municipal deliveries (meta_check holds none), so no pseudonym of the deliveries.
    restricted = warehouse.parent / "restricted" / "checks" / "index.html"
    assert restricted.exists() and stat.S_IMODE(restricted.parent.parent.stat().st_mode) == 0o700
    ids = _delivered_values(warehouse.parent.parent / "landing", "uitkeringen", "client_id")
    assert not [i for i in ids if len(i) >= 5 and i in page]


def test_every_table_and_view_of_both_stores_says_what_it_holds(demo_build):
    _, warehouse = demo_build
    for path in (warehouse, warehouse.parent / "restricted" / "restricted.duckdb"):
        with duckdb.connect(str(path), read_only=True) as con:
            bare = con.execute(
                "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
                "WHERE comment IS NULL OR comment = '' UNION ALL "
                "SELECT schema_name || '.' || view_name FROM duckdb_views() "
                "WHERE NOT internal AND (comment IS NULL OR comment = '')"
            ).fetchall()
        assert bare == [], path
