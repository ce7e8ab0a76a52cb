"""What must not leak from a build and its exports (issue 10 parts 4 and 5), on one real build:

- a delivered value in a quarantined row (a name and BSN typed in a code column) reaches no
  table of the published warehouse: reasons name the column and the rule;
- deliveries past `[privacy] retention_years` are removed from the landing folder, named in
  the run's warnings, and their rows are gone; CBS data and the pc6 crosswalk stay;
- a text that Excel would run as a formula (an area name from StatLine, a focus area name in
  the config) is written as inert text in the CSVs and the workbook, and escaped in the HTML.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import date

import duckdb
import openpyxl
import pytest

from pipelines.cli import run_build
from pipelines.validation import validate_delivery
from pipelines.versions import ASSET_NAMES, cache_dir, plan_build
from sources.config import load_config
from tests.conftest import DEMO_LANDING, demo_workspace, write_demo_config
from tests.deliveries import row, write_delivery
from tests.statline_server import record_as_received
from warehouse.export import export_all

SECRET = "JAN JANSEN BSN 123456782"
# Leaked pieces to look for: a reason that quoted the value, even cut short, has these.
PIECES = ("JANSEN", "123456782")
STATLINE_NAME = '=HYPERLINK("http://x","y")'  # the gemeente's name in every Kerncijfers reply
FOCUS_NAMES = ("@SUM(1+1) Prinsenhof", "-2+3 <b>Heuvel</b>")
# Kept: periods ending in or after KEEP_FROM; removed: OLD (ended before it).
KEEP_FROM = 2022
RETENTION = date.today().year - KEEP_FROM


def _bad_deliveries(landing):
    """In every municipal source, SECRET in each column a rule checks (one bad row each),
    beside a good row."""
    bad = {
        "uitkeringen": ("uitkeringen_2023-12.csv", "client_id", ["geboortejaar", "regeling",
                        "ingangsdatum", "einddatum", "reden_einde", "postcode", "x"]),
        "verzuim": ("verzuim_2022-2023.csv", "melding_id", ["geboortedatum", "meldingsdatum",
                    "soort_verzuim", "postcode", "huisnummer"]),
        "leerplichtigen": ("leerplichtigen_2022-2023.csv", None, ["gebied_code", "aantal"]),
        "incidenten": ("incidenten_2023-05.csv", "incident_id", ["datum", "categorie",
                       "buurtcode", "x"]),
        "pc6_buurt": ("pc6hnr20230801_gwb.csv", None, ["PC6", "Huisnummer", "Buurt2023",
                      "Wijk2023", "Gemeente2023"]),
    }  # fmt: skip
    expected = {}
    for source, (name, key, columns) in bad.items():
        records = [row(source)]
        for i, column in enumerate(columns):
            cells = {column: SECRET}
            if key:
                cells[key] = f"K{i}"
            if source == "leerplichtigen" and column == "aantal":
                cells["gebied_code"] = "BU19160202"
            if source == "pc6_buurt":
                cells["Huisnummer"] = SECRET if column == "Huisnummer" else str(100 + i)
            records.append(row(source, **cells))
        write_delivery(landing / source, name, source, records)
        # the column names as read (pc6: lower case, without the year)
        expected[source] = {re.sub(r"[0-9]{4}$", "", c.lower()) for c in columns}
    return expected


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("leaks")
    demo_workspace(folder, cbs_only=True)
    landing = folder / "landing"
    # The gemeente's name as StatLine gives it, in the reply of every year.
    for reply in landing.glob("cbs_kerncijfers/*/*/WijkenEnBuurten_gemeente_p*.json"):
        body = json.loads(reply.read_text(encoding="utf-8"))
        for item in body["value"]:
            if item["Key"].strip() == "GM1916":
                item["Title"] = STATLINE_NAME
        reply.write_text(json.dumps(body), encoding="utf-8")
        record_as_received(reply)  # as if StatLine served the name so
    bad = _bad_deliveries(landing)
    # Past retention: an uitkeringen month and a school year ending in KEEP_FROM - 1; an old
    # pc6 crosswalk (CBS data, no persons) stays whatever its age.
    # (An address the 2019 crosswalk places: these rows would reach raw.* if read.)
    at = {"postcode": "2261AM", "huisnummer": "3"}
    old_month = f"uitkeringen_{KEEP_FROM - 1}-06.csv"
    old_benefit = row("uitkeringen", client_id="OLD0", **at)
    write_delivery(landing / "uitkeringen", old_month, "uitkeringen", [old_benefit])
    old_year = f"verzuim_{KEEP_FROM - 2}-{KEEP_FROM - 1}.csv"
    old_report = row("verzuim", meldingsdatum=f"{KEEP_FROM - 2}-10-03", melding_id="OLD1", **at)
    write_delivery(landing / "verzuim", old_year, "verzuim", [old_report])
    kept_year = f"verzuim_{KEEP_FROM - 1}-{KEEP_FROM}.csv"
    kept_report = row("verzuim", meldingsdatum=f"{KEEP_FROM - 1}-10-03", melding_id="KEPT1", **at)
    write_delivery(landing / "verzuim", kept_year, "verzuim", [kept_report])
    old_pc6 = "pc6hnr20190801_gwb.csv"
    shutil.copyfile(DEMO_LANDING / "pc6_buurt" / old_pc6, landing / "pc6_buurt" / old_pc6)
    cfg = write_demo_config(
        folder,
        **{
            'name = "Prinsenhof hoogbouw"': f'name = "{FOCUS_NAMES[0]}"',
            'name = "De Heuvel Noord"': f'name = "{FOCUS_NAMES[1]}"',
            "retention_years = 0": f"retention_years = {RETENTION}",
        },
    )
    assert load_config(cfg).privacy.retention_years == RETENTION
    result = run_build(cfg, offline=True, show_progress=False)
    assert result.success
    return {
        "cfg": cfg,
        "landing": landing,
        "warehouse": folder / "out" / "warehouse.duckdb",
        "bad": bad,
        "removed": [landing / "uitkeringen" / old_month, landing / "verzuim" / old_year],
        "kept": [landing / "verzuim" / kept_year, landing / "pc6_buurt" / old_pc6],
    }


def _text_cells(con):
    """(table, column, text) of every text cell of every table in the file."""
    out = []
    columns = con.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND data_type IN ('VARCHAR', 'VARCHAR[]')"
    ).fetchall()
    for schema, table, column in columns:
        for (v,) in con.execute(
            f'SELECT CAST("{column}" AS VARCHAR) FROM "{schema}"."{table}" '
            f'WHERE "{column}" IS NOT NULL'
        ).fetchall():
            out.append((f"{schema}.{table}", column, v))
    return out


def test_no_quarantined_value_reaches_the_published_warehouse(built):
    with duckdb.connect(str(built["warehouse"]), read_only=True) as con:
        leaked = [c for c in _text_cells(con) if any(p in c[2] for p in PIECES)]
        assert leaked == []
        for source, columns in built["bad"].items():
            named = {
                c
                for (c,) in con.execute(
                    f"SELECT column_name FROM quarantine_{source} WHERE file LIKE '%2023%'"
                ).fetchall()
            }
            # every bad row is there, named by its column; the table has no value column
            assert columns <= named, (source, named)
            cols = [c[0] for c in con.execute(f"DESCRIBE quarantine_{source}").fetchall()]
            assert "value" not in cols
        (verzuim,) = con.execute(
            "SELECT reason FROM quarantine_verzuim WHERE column_name = 'soort_verzuim'"
        ).fetchone()
        assert verzuim == "onbekende soort_verzuim (niet in de codelijst)"


def test_validate_shows_the_operator_the_value_of_the_file_they_own(built):
    path = built["landing"] / "verzuim" / "verzuim_2022-2023.csv"
    report = validate_delivery(path, "verzuim", load_config(built["cfg"]))
    problem = next(p for p in report.problems if p.column == "soort_verzuim")
    assert problem.reason == "onbekende soort_verzuim (niet in de codelijst)"
    assert problem.value == f"'{SECRET}'"


def test_deliveries_past_retention_are_removed_named_and_their_rows_gone(built):
    for path in built["removed"]:
        assert not path.exists()
    for path in built["kept"]:
        assert path.exists()
    assert list(built["landing"].glob("cbs_kerncijfers/*/*/manifest.json"))
    with duckdb.connect(str(built["warehouse"]), read_only=True) as con:
        (warnings,) = con.execute(
            "SELECT warnings FROM meta_run ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        for path in built["removed"]:
            assert any(
                w.startswith(f"{path}: removed by [privacy] retention_years = {RETENTION}")
                for w in warnings
            ), warnings
        paths = {p for (p,) in con.execute("SELECT path FROM meta_input").fetchall()}
        assert not {str(p) for p in built["removed"]} & paths
        assert str(built["kept"][0]) in paths
    store = load_config(built["cfg"]).paths.restricted_store
    with duckdb.connect(str(store), read_only=True) as con:
        ids = {m for (m,) in con.execute("SELECT melding_id FROM raw.verzuim").fetchall()}
        assert "KEPT1" in ids and "OLD1" not in ids
        clients = {c for (c,) in con.execute("SELECT client_id FROM raw.uitkeringen").fetchall()}
        assert "OLD0" not in clients


def test_an_unchanged_landing_is_rebuilt_when_a_delivery_passes_retention(built):
    # The build itself plans from the landing's versions: with nothing new it would not run
    # the delivery assets, so a file that has just passed retention makes them run.
    config = load_config(built["cfg"])
    cache = cache_dir(config.paths)
    cached = {n for n in ASSET_NAMES if (cache / f"{n}.pickle").exists()}
    now = plan_build(config, None, set(ASSET_NAMES), cached)
    assert now.nothing_to_do, now.reason
    # Next year the school year ending in KEEP_FROM (verzuim_<KEEP_FROM - 1>-<KEEP_FROM>) is
    # past retention; every other delivery ends later.
    next_year = plan_build(
        config, None, set(ASSET_NAMES), cached, today=date(date.today().year + 1, 1, 1)
    )
    assert next_year.sources == ["verzuim_files"]


@pytest.fixture(scope="module")
def exported(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    files = export_all(built["warehouse"], out, formats=["xlsx", "csv", "html"])
    return {p.suffix: p for p in files if p.suffix != ".csv"} | {
        "csv": [p for p in files if p.suffix == ".csv"]
    }


def test_formula_like_names_are_inert_text_in_the_csvs(exported):
    names = {STATLINE_NAME, *FOCUS_NAMES}
    assert len(exported["csv"]) == 2
    for path in exported["csv"]:
        text = path.read_text(encoding="utf-8-sig")
        sep = ";" if "_en" not in path.name else ","
        rows = list(csv.reader(text.splitlines(), delimiter=sep))
        cells = [c for r in rows[1:] for c in r]
        for name in names:
            assert f"'{name}" in cells, (path.name, name)
        # no cell starts like a formula, except a negative number
        for c in cells:
            if c[:1] in ("=", "+", "@", "\t", "\r"):
                pytest.fail(f"{path.name}: formula-like cell {c!r}")
            if c.startswith("-"):
                float(c.replace(",", "."))  # a number, or this raises


def test_formula_like_names_are_inert_text_in_the_workbook(exported):
    wb = openpyxl.load_workbook(exported[".xlsx"])
    seen = set()
    for ws in wb.worksheets:
        for r in ws.iter_rows():
            for cell in r:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
                    seen |= {n for n in (STATLINE_NAME, *FOCUS_NAMES) if n in cell.value}
                    if cell.value.startswith("'"):
                        assert cell.value[1:2] in ("=", "+", "-", "@", "\t", "\r")
    # the gemeente and both focus areas head the theme sheets' columns
    assert seen == {STATLINE_NAME, *FOCUS_NAMES}
    header = [c.value for c in wb["Werk"][3]]
    assert f"'{STATLINE_NAME}" in header and f"'{FOCUS_NAMES[0]}" in header


def test_names_are_escaped_in_the_html_report(exported):
    html = exported[".html"].read_text(encoding="utf-8")
    assert "<b>Heuvel</b>" not in html
    assert "-2+3 &lt;b&gt;Heuvel&lt;/b&gt;" in html
    assert "=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)" in html
