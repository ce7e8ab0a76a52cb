"""Exports from a small warehouse with municipal counts (written by the real writer, protected
by the real disclosure control): workbook, CSV, Parquet, GeoPackage, charts, the refusal."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import write_demo_config
from openpyxl import load_workbook
from shapely.geometry import box
from typer.testing import CliRunner

from transforms.catalogue import indicator_frame, load_catalogue
from transforms.disclosure import protect, recoverable_cells, small_counts
from warehouse.build import WarehouseContent, write_warehouse
from warehouse.export import DisclosureError, export_all, load_export_data
from warehouse.export_charts import chart_figure

DAY = date(2024, 3, 1)
STEM = "testgemeente_2024-03-01"
DEMO = "_SYNTHETISCH"  # before the extension of every file from a synthetic warehouse
MIN = 10
BUURTEN = {
    "BU99990101": "WK999901",
    "BU99990102": "WK999901",
    "BU99990103": "WK999901",
    "BU99990201": "WK999902",
    "BU99990202": "WK999902",
}
# Persons with bijstand per buurt and year. 2021: F1 = 4 + 3 = 7 is small; 2023 is partial.
PERSONS = {
    2020: {
        "BU99990101": 30,
        "BU99990102": 25,
        "BU99990103": 40,
        "BU99990201": 50,
        "BU99990202": 60,
    },
    2021: {"BU99990101": 4, "BU99990102": 3, "BU99990103": 40, "BU99990201": 50, "BU99990202": 60},
    2022: {
        "BU99990101": 12,
        "BU99990102": 15,
        "BU99990103": 45,
        "BU99990201": 55,
        "BU99990202": 65,
    },
    2023: {
        "BU99990101": 12,
        "BU99990102": 15,
        "BU99990103": 45,
        "BU99990201": 55,
        "BU99990202": 65,
    },
}
INHABITANTS_15_64 = {
    "BU99990101": 1000,
    "BU99990102": 1200,
    "BU99990103": 1500,
    "BU99990201": 2000,
    "BU99990202": 2200,
}
MEMBERS = {
    "WK999901": ["BU99990101", "BU99990102", "BU99990103"],
    "WK999902": ["BU99990201", "BU99990202"],
    "GM9999": list(BUURTEN),
    "F1": ["BU99990101", "BU99990102"],
    "LN": ["BU99990101", "BU99990102", "BU99990103"],  # = WK999901, its one member wijk
}


def _areas() -> pd.DataFrame:
    rows = []
    geoms = {}
    for n, code in enumerate(BUURTEN):
        geoms[code] = box(80000 + 1000 * n, 450000, 81000 + 1000 * n, 451000)
    for total, parts in MEMBERS.items():
        geoms[total] = gpd.GeoSeries([geoms[p] for p in parts]).union_all()

    def add(code, name, level, parent, members=None):
        g = geoms.get(code)
        rows.append(
            {
                "area_code": code,
                "area_name": name,
                "area_level": level,
                "parent_code": parent,
                "gemeente_code": None if level == "land" else "GM9999",
                "geo_year": 2023,
                "first_year": 2020,
                "last_year": 2023,
                "has_statistics": True,
                "has_boundary": g is not None,
                "members": members,
                "synthetic": True,
                "geometry_wkb": None if g is None else g.wkb,
                "geometry_crs": "EPSG:28992",
            }
        )

    add("NL00", "Nederland", "land", None)
    add("GM9999", "Testgemeente", "gemeente", "NL00")
    add("WK999901", "Noord", "wijk", "GM9999")
    add("WK999902", "Zuid", "wijk", "GM9999")
    for n, (code, wijk) in enumerate(BUURTEN.items()):
        add(code, f"Buurt {n + 1}", "buurt", wijk)
    add("LN", "Programmagebied", "programme", "GM9999", "WK999901")
    add("F1", "Focus Een", "focus", "LN", "BU99990101, BU99990102")
    return pd.DataFrame(rows)


def _fact(indicator, area, year, value, numerator, denominator, partial=False, **extra) -> dict:
    return {
        "indicator_id": indicator,
        "area_code": area,
        "period_year": year,
        "period_label": str(year),
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "suppressed": False,
        "suppression_reason": None,
        "is_estimate": False,
        "partial": partial,
        "synthetic": True,
        "input_versions": ["uitkeringen@test"],
        "run_id": "run-1",
    } | extra


# A CBS percentage for the comparison areas only (so no map): F1 secret at the source in 2021,
# 2023 not published yet for anyone.
PCT_65PLUS = {
    "F1": {2020: 20.0, 2021: None, 2022: 22.0},
    "LN": {2020: 18.0, 2021: 18.5, 2022: 19.0},
    "GM9999": {2020: 19.0, 2021: 19.2, 2022: 19.6},
    "NL00": {2020: 19.5, 2021: 19.8, 2022: 20.2},
}


def pct_65plus_facts() -> list[dict]:
    rows = []
    for area, by_year in PCT_65PLUS.items():
        estimate = area in ("F1", "LN")
        for year, value in by_year.items():
            hidden = {"suppressed": True, "suppression_reason": "bron geheim"}
            rows.append(
                _fact("context.pct_65plus", area, year, value, None, None, is_estimate=estimate)
                | ({} if value is not None else hidden)
            )
        rows.append(
            _fact(
                "context.pct_65plus",
                area,
                2023,
                None,
                None,
                None,
                is_estimate=estimate,
                suppressed=True,
                suppression_reason="geen bron dit jaar",
            )
        )
    return rows


def raw_facts() -> pd.DataFrame:
    rows = []
    for year, persons in PERSONS.items():
        partial = year == 2023
        counts = dict(persons)
        inhabitants = dict(INHABITANTS_15_64)
        for total, parts in MEMBERS.items():
            counts[total] = sum(persons[p] for p in parts)
            inhabitants[total] = sum(INHABITANTS_15_64[p] for p in parts)
        for area, n in counts.items():
            rows.append(
                _fact("werk.bijstand_personen", area, year, float(n), float(n), None, partial)
            )
            rows.append(
                _fact(
                    "werk.bijstand_per_1000",
                    area,
                    year,
                    1000 * n / inhabitants[area],
                    float(n),
                    float(inhabitants[area]),
                    partial,
                )
            )
        if not partial:
            for area, n in inhabitants.items():
                rows.append(_fact("context.inwoners", area, year, 2.0 * n, 2.0 * n, None))
            rows.append(_fact("context.inwoners", "NL00", year, 17_400_000.0, 17_400_000.0, None))
    return pd.DataFrame(rows + pct_65plus_facts())


def build_test_warehouse(path: Path, protect_facts: bool = True) -> Path:
    """A warehouse of 'Testgemeente' with municipal counts, as the build would write it."""
    areas = _areas()
    catalogue = load_catalogue()
    dim_indicator = indicator_frame(catalogue)
    facts = raw_facts()
    dim_indicator["available"] = dim_indicator["indicator_id"].isin(set(facts["indicator_id"]))
    if protect_facts:
        facts = protect(facts, areas, dim_indicator, MIN).protected
    content = WarehouseContent(
        config={
            "gemeente": "GM9999",
            "gemeente_name": "Testgemeente",
            "baseline_year": 2020,
            "years": [2020, 2021, 2022, 2023],
            "min_count": MIN,
            "config_path": None,
            "synthetic": True,
        },
        run={
            "run_id": "run-1",
            "started_at": "2024-02-01T10:00:00+00:00",
            "finished_at": "2024-02-01T10:01:00+00:00",
            "status": "success",
            "offline": True,
        },
        dim_area=areas,
        dim_indicator=dim_indicator,
        dim_target=pd.DataFrame(
            [
                {
                    "indicator_id": "werk.bijstand_per_1000",
                    "area_code": "LN",
                    "change_pct": -10.0,
                    "by_year": 2026,
                }
            ]
        ),
        facts=facts,
        meta_input=pd.DataFrame(
            [
                {
                    "run_id": "run-1",
                    "source": "uitkeringen",
                    "input_id": "uitkeringen@test",
                    "path": "landing/uitkeringen/test.csv",
                    "sha256": "ab" * 32,
                    "rows_read": 10,
                    "rows_accepted": 9,
                    "rows_quarantined": 1,
                    "rows_out_of_scope": 0,
                    "synthetic": True,
                    "status": "accepted",
                }
            ]
        ),
        meta_check=pd.DataFrame(),
        coverage=pd.DataFrame(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_warehouse(path, content)
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, Path, list[Path]]:
    root = tmp_path_factory.mktemp("export")
    wh = build_test_warehouse(root / "warehouse.duckdb")
    written = export_all(
        wh, root / "out", ["xlsx", "csv", "parquet", "gpkg", "png", "docx"], day=DAY
    )
    return wh, root / "out", written


def warehouse_rows(wh: Path) -> pd.DataFrame:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(
            "SELECT * FROM indicators ORDER BY indicator_id, area_level, area_code, period_year"
        ).df()
    finally:
        con.close()


def test_the_test_warehouse_is_protected_as_worked_out_by_hand(exported):
    wh, _, _ = exported
    rows = warehouse_rows(wh)
    hidden = rows[(rows["indicator_id"] == "werk.bijstand_personen") & rows["suppressed"]]
    # 2021: buurten 4 and 3 and F1 = 7 are below 10; F1 = WK999901 - BU99990103 = 47 - 40,
    # so BU99990103 (40) is suppressed as well. Nothing else in any year.
    assert sorted(zip(hidden["area_code"], hidden["suppression_reason"], strict=True)) == [
        ("BU99990101", "kleine aantallen"),
        ("BU99990102", "kleine aantallen"),
        ("BU99990103", "kleine aantallen"),
        ("F1", "kleine aantallen"),
    ]
    assert set(hidden["period_year"]) == {2021}


def test_workbook_has_every_indicator_numeric_cells_and_marks(exported):
    _, out, _ = exported
    wb = load_workbook(out / f"indicatoren_{STEM}{DEMO}.xlsx")
    assert wb.sheetnames == [
        "Raadsvoorstel",
        "School",
        "Werk",
        "Financiën",
        "Leefomgeving",
        "Veiligheid",
        "Context",
        "Definities",
        "Bronnen en toelichting",
    ]
    themes = wb.worksheets[1:7]
    names = {n for ws in themes for (n,) in ws.iter_rows(min_row=4, max_col=1, values_only=True)}
    catalogue = load_catalogue()
    assert {i.name for i in catalogue} <= names
    defined = {v for (v,) in wb["Definities"].iter_rows(min_row=4, max_col=1, values_only=True)}
    assert {i.id for i in catalogue} == defined
    for ws in wb.worksheets:
        assert ws["A1"].value == "SYNTHETISCHE DEMODATA — geen CBS-cijfers"
        assert ws.oddHeader.center.text == "SYNTHETISCHE DEMODATA — geen CBS-cijfers"
    ws = wb["Werk"]
    header = [c.value for c in ws[3]]
    col = {name: i for i, name in enumerate(header)}
    by_year = {
        r[col["Jaar"]].value: r
        for r in ws.iter_rows(min_row=4)
        if r[0].value == "Personen met bijstand (gemeente)"
    }
    # 2020: F1 = 30 + 25 = 55, LN = WK999901 = 30 + 25 + 40 = 95, gemeente = 95 + 110 = 205.
    row = by_year[2020]
    assert [row[col[n]].value for n in ("Focus Een", "Programmagebied", "Testgemeente")] == [
        55,
        95,
        205,
    ]
    assert all(row[col[n]].data_type == "n" for n in ("Focus Een", "Programmagebied"))
    assert row[col["Focus Een"]].number_format == "#,##0"
    assert row[col["Basisjaar"]].value == "basisjaar"
    # 2021: F1 (7) is suppressed: the mark x, the reason in a comment and in the Toelichting.
    row = by_year[2021]
    assert row[col["Focus Een"]].value == "x"
    assert "kleine aantallen" in row[col["Focus Een"]].comment.text
    assert "Focus Een: onderdrukt (kleine aantallen)" in row[col["Toelichting"]].value
    # The Netherlands has no municipal count at all: '.' (not available), not 'x'.
    assert row[col["Nederland"]].value == "."
    # The CBS share of 65+ in 2023 is not published yet ('.'); F1 in 2021 is secret ('x').
    ws65 = wb["Context"]
    by_year65 = {
        r[col["Jaar"]].value: r
        for r in ws65.iter_rows(min_row=4)
        if r[0].value == "Aandeel inwoners 65 jaar en ouder"
    }
    assert [by_year65[2023][col[n]].value for n in ("Focus Een", "Nederland")] == [".", "."]
    assert "nog niet gepubliceerd" in by_year65[2023][col["Focus Een"]].comment.text
    assert by_year65[2021][col["Focus Een"]].value == "x"
    assert "onderdrukt (bron geheim)" in by_year65[2021][col["Focus Een"]].comment.text
    # 2022 against 2020 for LN: (12 + 15 + 45) - 95 = 72 - 95 = -23.
    assert by_year[2022][col["Verandering t.o.v. 2020: Programmagebied"]].value == -23
    # Every filled area cell of every theme sheet is a number or a mark, never other text.
    areas = {"Focus Een", "Programmagebied", "Testgemeente", "Nederland"}
    filled = 0
    for ws in themes:
        head = [c.value for c in ws[3]]
        numeric = [i for i, h in enumerate(head) if h in areas or h.startswith("Verandering")]
        assert len(numeric) == 8
        for r in ws.iter_rows(min_row=4):
            cells = [r[i] for i in numeric if r[i].value not in (None, "x", ".")]
            filled += len(cells)
            assert all(c.data_type == "n" for c in cells)
    assert filled > 0
    assert ws.freeze_panes == "F4"
    sources = [v for (v,) in wb["Bronnen en toelichting"].iter_rows(max_col=1, values_only=True)]
    assert "Bron: CBS, Kerncijfers wijken en buurten" in sources
    assert "Bron: Gemeente Testgemeente (uitkeringen)" in sources


def test_dutch_csv_parses_into_the_warehouse_values(exported):
    wh, out, _ = exported
    expected = warehouse_rows(wh)
    nl = pd.read_csv(
        out / f"indicatoren_{STEM}{DEMO}.csv", sep=";", decimal=",", encoding="utf-8-sig"
    )
    assert len(nl) == len(expected)
    assert nl["waarde"].dtype == np.float64
    np.testing.assert_array_equal(nl["waarde"].to_numpy(), expected["value"].to_numpy())
    # A hand-picked cell: LN bijstand per 1 000 in 2020 = 1000 * 95 / 3700 = 25.675...
    cell = nl[
        (nl["indicator"] == "werk.bijstand_per_1000")
        & (nl["gebiedscode"] == "LN")
        & (nl["jaar"] == 2020)
    ]
    assert math.isclose(cell["waarde"].iloc[0], 1000 * 95 / 3700)
    assert set(nl["synthetisch"]) == {"ja"}
    text = (out / f"indicatoren_{STEM}{DEMO}.csv").read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    en = pd.read_csv(out / f"indicatoren_{STEM}_en{DEMO}.csv")
    np.testing.assert_array_equal(en["value"].to_numpy(), expected["value"].to_numpy())


def test_parquet_round_trips_with_types(exported):
    wh, out, _ = exported
    table = pq.read_table(out / f"indicatoren_{STEM}{DEMO}.parquet")
    schema = table.schema
    assert schema.field("value").type == pa.float64()
    assert schema.field("period_year").type == pa.int32()
    assert schema.field("suppressed").type == pa.bool_()
    assert schema.field("synthetic").type == pa.bool_()
    assert schema.metadata[b"wijkmonitor.synthetic"] == b"true"
    back = table.to_pandas()
    expected = warehouse_rows(wh)
    np.testing.assert_array_equal(back["value"].to_numpy(), expected["value"].to_numpy())
    assert back["suppressed"].sum() == expected["suppressed"].sum()


def test_no_export_holds_a_municipal_count_below_the_threshold(exported):
    wh, out, _ = exported
    subject = {"werk.bijstand_personen", "werk.bijstand_per_1000"}
    for frame, ind, num in [
        (pd.read_csv(out / f"indicatoren_{STEM}_en{DEMO}.csv"), "indicator_id", "numerator"),
        (
            pq.read_table(out / f"indicatoren_{STEM}{DEMO}.parquet").to_pandas(),
            "indicator_id",
            "numerator",
        ),
        (
            pd.read_csv(
                out / f"indicatoren_{STEM}{DEMO}.csv", sep=";", decimal=",", encoding="utf-8-sig"
            ),
            "indicator",
            "teller",
        ),
    ]:
        counts = frame.loc[frame[ind].isin(subject), num].dropna()
        assert len(counts) > 0 and (counts >= MIN).all()
    wb = load_workbook(out / f"indicatoren_{STEM}{DEMO}.xlsx")
    # Columns F:I hold the four comparison areas (Focus Een, LN, gemeente, NL).
    assert [c.value for c in wb["Werk"][3][5:9]] == [
        "Focus Een",
        "Programmagebied",
        "Testgemeente",
        "Nederland",
    ]
    shown = [
        v
        for r in wb["Werk"].iter_rows(min_row=4, values_only=True)
        if r[0] == "Personen met bijstand (gemeente)"
        for v in r[5:9]
        if v not in (None, "x", ".")
    ]
    assert len(shown) > 0 and all(v >= MIN for v in shown)
    gdf = gpd.read_file(out / f"gebieden_{STEM}{DEMO}.gpkg", layer="gebieden")
    assert gdf.crs.to_epsg() == 28992
    # Latest complete year is 2022 (2023 is partial): BU99990101 = 12, F1 = 12 + 15 = 27.
    values = dict(zip(gdf["area_code"], gdf["werk_bijstand_personen"], strict=True))
    assert values["BU99990101"] == 12 and values["F1"] == 27
    assert set(gdf["werk_bijstand_personen_jaar"].dropna()) == {2022}
    assert gdf["synthetic"].all()
    data = load_export_data(wh)
    assert small_counts(data.facts, data.indicators, MIN).empty
    assert recoverable_cells(data.facts, data.areas, data.indicators).empty


def test_chart_leaves_a_gap_for_the_suppressed_year_and_a_hollow_partial_year(exported):
    wh, out, written = exported
    data = load_export_data(wh)
    fig = chart_figure(data, "werk.bijstand_personen")
    ax = fig.axes[0]
    lines = {line.get_gid(): line for line in ax.get_lines() if line.get_gid()}
    x = list(lines["F1"].get_xdata())
    y = dict(zip(x, lines["F1"].get_ydata(), strict=True))
    # F1: 55 in 2020, suppressed in 2021 (a gap, not 0), 27 in 2022, 2023 partial (off the line).
    assert y[2020] == 55 and math.isnan(y[2021]) and y[2022] == 27 and math.isnan(y[2023])
    hollow = [
        line
        for line in ax.get_lines()
        if line.get_label() == "_partial" and line.get_markerfacecolor() == "white"
    ]
    assert any(list(h.get_xdata()) == [2023] and list(h.get_ydata()) == [27] for h in hollow)
    assert ax.get_ylabel() == "aantal"
    assert any(t.get_text() == "SYNTHETISCHE DEMODATA" for t in fig.texts)
    assert any(t.get_text().startswith("Bron: Gemeente Testgemeente") for t in fig.texts)
    # A count shares no axis with the gemeente (205) or the Netherlands: only F1 and LN, and
    # the axis starts at zero.
    assert set(lines) == {"F1", "LN"}
    assert ax.get_ylim()[0] == 0
    pngs = [p for p in written if p.suffix == ".png"]
    # Charts for the 4 indicators with figures. Maps only of the rate (the two counts are not
    # mapped, the share of 65+ has no buurt figures), in the baseline year 2020 and the latest
    # complete year 2022 (2023 is partial). Every file name carries the demo marker.
    assert len([p for p in pngs if p.parent.name == "grafieken"]) == 4
    assert sorted(p.name for p in pngs if p.parent.name == "kaarten") == [
        "kaart_werk_bijstand_per_1000_2020_SYNTHETISCH.png",
        "kaart_werk_bijstand_per_1000_2022_SYNTHETISCH.png",
    ]
    assert written and all(p.stem.endswith(DEMO) for p in written)


def test_chart_has_dutch_ticks_and_the_target_path(exported):
    from warehouse.export_charts import axis_number

    wh, _, _ = exported
    data = load_export_data(wh)
    assert [axis_number(v) for v in (1250.0, 17_900_000.0, 12.5, 0.25, 0)] == [
        "1.250",
        "17.900.000",
        "12,5",
        "0,25",
        "0",
    ]
    ax = chart_figure(data, "werk.bijstand_per_1000").axes[0]
    (path,) = [line for line in ax.get_lines() if line.get_gid() == "doel:LN"]
    # LN: 1000 * 95 / 3700 = 25.68 per 1 000 in 2020; target -10% in 2026 = 23.11.
    assert list(path.get_xdata()) == [2020, 2026]
    assert path.get_ydata()[0] == pytest.approx(1000 * 95 / 3700)
    assert path.get_ydata()[1] == pytest.approx(0.9 * 1000 * 95 / 3700)
    # A rate keeps the gemeente and the Netherlands on its axis.
    gids = {line.get_gid() for line in ax.get_lines()}
    assert {"F1", "LN", "GM9999"} <= gids


def test_export_refuses_unprotected_counts_and_writes_nothing(tmp_path):
    wh = build_test_warehouse(tmp_path / "unprotected.duckdb", protect_facts=False)
    with pytest.raises(DisclosureError) as err:
        export_all(wh, tmp_path / "out", day=DAY)
    message = str(err.value)
    assert "export refused" in message and "werk.bijstand_personen BU99990101 2021" in message
    assert not (tmp_path / "out").exists()


def test_cli_export_writes_the_chosen_formats(tmp_path):
    from pipelines.cli import app

    build_test_warehouse(tmp_path / "out" / "warehouse.duckdb")
    (tmp_path / "landing").mkdir()
    cfg = write_demo_config(tmp_path)
    result = CliRunner().invoke(
        app,
        ["export", "--config", str(cfg), "--out", str(tmp_path / "exp"), "--format", "csv,parquet"],
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "exp").iterdir())
    assert len(names) == 3 and all(n.startswith("indicatoren_testgemeente_") for n in names)
    assert all(Path(n).stem.endswith(DEMO) for n in names)
    bad = CliRunner().invoke(
        app, ["export", "--config", str(cfg), "--out", str(tmp_path), "--format", "pdf"]
    )
    assert bad.exit_code == 2


def test_a_map_of_a_partial_year_says_so_in_its_title(exported):
    from warehouse.export_charts import map_figure

    wh, _, _ = exported
    data = load_export_data(wh)
    complete = map_figure(data, "werk.bijstand_personen", 2022).axes[0].get_title(loc="left")
    partial = map_figure(data, "werk.bijstand_personen", 2023).axes[0].get_title(loc="left")
    assert complete.endswith(", 2022")
    # Long titles are wrapped to fit the map (at most 55 characters a line).
    assert max(len(line) for line in partial.splitlines()) <= 55
    assert " ".join(partial.split()).endswith("2023 (onvolledig: niet alle maanden geleverd)")


def _expected_mark(facts: pd.DataFrame, compare: set[str], indicator: str, area: str, year: int):
    """The mark of an empty cell worked out from fact_indicator: no row or a year after the
    indicator's last year with a figure that the source does not have ('geen bron dit jaar'):
    '.'; any other suppressed cell: 'x'; None when the cell has a figure."""
    rows = facts[(facts["indicator_id"] == indicator) & facts["area_code"].isin(compare)]
    cell = rows[(rows["area_code"] == area) & (rows["period_year"] == year)]
    if cell.empty:
        return "."
    r = cell.iloc[0]
    if not r["suppressed"] and pd.notna(r["value"]):
        return None
    usable = rows[~rows["suppressed"] & ~rows["partial"] & rows["value"].notna()]
    last = usable["period_year"].max() if len(usable) else None
    if r["suppression_reason"] == "geen bron dit jaar" and (last is None or year > last):
        return "."
    return "x"


def test_council_sheet_marks_verdicts_procentpunt_and_print_setup(exported):
    wh, out, _ = exported
    con = duckdb.connect(str(wh), read_only=True)
    try:
        facts = con.execute("SELECT * FROM fact_indicator").df()
    finally:
        con.close()
    ws = load_workbook(out / f"indicatoren_{STEM}{DEMO}.xlsx")["Raadsvoorstel"]
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == "9"  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows.replace("$", "") == "3:3"
    assert ws.oddHeader.center.text == "SYNTHETISCHE DEMODATA — geen CBS-cijfers"
    header = [c.value for c in ws[3]]
    # Years 2020-2023 (2023: the partial bijstand year), the change and the verdict: narrow.
    assert header == ["Indicator", "Eenheid", "Gebied", "2020\nbasisjaar", "2021", "2022"] + [
        "2023",
        "Verandering sinds 2020",
        "Oordeel",
    ]
    names = {i.name: i.id for i in load_catalogue()}
    units = {i.id: i.unit for i in load_catalogue()}
    code = {
        "Focus Een": "F1",
        "Programmagebied": "LN",
        "Testgemeente": "GM9999",
        "Nederland": "NL00",
    }
    compare = set(code.values())
    rows, indicator = {}, None
    for r in ws.iter_rows(min_row=4):
        if r[0].value in names:
            indicator = names[r[0].value]
        if r[2].value in code and indicator:
            rows[(indicator, code[r[2].value])] = r
    # Every indicator with facts, for every comparison area with facts, has one row.
    assert set(rows) == set(
        zip(
            facts.loc[facts["area_code"].isin(compare), "indicator_id"],
            facts.loc[facts["area_code"].isin(compare), "area_code"],
            strict=True,
        )
    )
    checked = {".": 0, "x": 0}
    for (indicator, area), r in rows.items():
        for k, year in enumerate((2020, 2021, 2022, 2023), start=3):
            expected = _expected_mark(facts, compare, indicator, area, year)
            if expected is None:
                assert r[k].data_type == "n", (indicator, area, year)
            else:
                assert r[k].value == expected, (indicator, area, year)
                checked[expected] += 1
    assert checked["."] > 0 and checked["x"] > 0
    # By hand: F1 bijstand 2021 (7 persons) is 'x'; the share of 65+ in 2023 is not published
    # yet ('.') and was secret at the source for F1 in 2021 ('x'); 2023 of the rate is partial
    # (shaded); the inhabitants have no 2023 row at all ('.').
    assert rows[("werk.bijstand_personen", "F1")][4].value == "x"
    assert [rows[("context.pct_65plus", a)][6].value for a in ("F1", "NL00")] == [".", "."]
    assert rows[("context.pct_65plus", "F1")][4].value == "x"
    assert rows[("werk.bijstand_per_1000", "LN")][6].fill.fgColor.rgb.endswith("D9D9D9")
    assert rows[("context.inwoners", "GM9999")][6].value == "."
    # Changes of a percentage are labelled procentpunt (F1: 22.0 - 20.0 = 2.0), others not.
    for (indicator, _), r in rows.items():
        assert ("procentpunt" in r[7].number_format) == (units[indicator] == "%")
    assert rows[("context.pct_65plus", "F1")][7].value == pytest.approx(2.0)
    # The verdict per row: F1 persons 55 -> 27, ln(27/55) = -0.712 +- 1.96 x sqrt(1/27 + 1/55)
    # = 0.461: better; LN 95 -> 72: -0.277 +- 0.306 includes 0: no clear change.
    assert rows[("werk.bijstand_personen", "F1")][8].value == "beter (2020–2022)"
    assert rows[("werk.bijstand_personen", "LN")][8].value.startswith("geen duidelijke")
    assert rows[("werk.bijstand_personen", "F1")][7].value == 27 - 55
    notes = [r[0].value for r in ws.iter_rows(min_row=4) if r[0].value]
    assert any(n.startswith("Gearceerd: onvolledig jaar") for n in notes)
    assert "Bron: Gemeente Testgemeente (uitkeringen)" in notes


def test_council_brief_has_verdicts_charts_sources_and_demo_marking(exported):
    from docx import Document

    _, out, written = exported
    path = out / f"raadsinformatiebrief_{STEM}{DEMO}.docx"
    assert path in written
    doc = Document(str(path))
    table = doc.tables[0]
    # One row per pillar with a good direction (not the neutral context), after the header.
    judged = list(dict.fromkeys(i.theme for i in load_catalogue() if i.direction != "neutraal"))
    assert len(table.rows) == 1 + len(judged)
    assert [c.text for c in table.rows[0].cells] == ["Pijler", "Focus Een", "Programmagebied"]
    werk = next(r for r in table.rows if r.cells[0].text == "Werk")
    # Werk: F1 better on both bijstand figures (green), LN no clear change (see above).
    assert werk.cells[1].text.startswith("beter") and "2 beter, 0 slechter" in werk.cells[1].text
    assert werk.cells[2].text.startswith("geen duidelijke verandering")
    assert len(doc.inline_shapes) == 3
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Bron: CBS, Kerncijfers wijken en buurten" in text
    assert "Bron: Gemeente Testgemeente (uitkeringen)" in text
    assert f"onder {MIN} worden niet gepubliceerd" in text
    assert "Doel voor Programmagebied: −10% in 2026" in text
    banner = "SYNTHETISCHE DEMODATA — geen CBS-cijfers"
    assert banner in doc.sections[0].header.paragraphs[0].text
    assert banner in text


def test_an_unchanged_re_export_takes_its_figures_from_the_cache(tmp_path):
    from warehouse.export_charts import FigureCache, figure_cache_dir, image_keys

    wh = build_test_warehouse(tmp_path / "warehouse.duckdb")
    first = export_all(wh, tmp_path / "one", ["png"], day=DAY)
    data = load_export_data(wh)
    cache = FigureCache.of(data)
    keys = image_keys(data)
    # Beside the warehouse (never in the restricted store): one PNG per chart and map.
    assert cache.folder.parent == tmp_path / "warehouse.figures" == figure_cache_dir(wh)
    assert len(list(cache.folder.glob("*.png"))) == len(keys) == len(first)
    # A figure in the cache is what the re-export writes: mark one cached file, and the
    # second export carries the mark instead of drawing the chart again.
    chart = next(k for k in keys if k[0] == "chart")
    (cached,) = cache.load([chart]).values()
    marked = cached + b"cached"
    path = next(p for p in cache.folder.glob("*.png") if p.read_bytes() == cached)
    path.write_bytes(marked)
    second = export_all(wh, tmp_path / "two", ["png"], day=DAY)
    assert sorted(p.name for p in second) == sorted(p.name for p in first)
    assert sum(p.read_bytes() == marked for p in second) == 1
    # Without the cache the chart is drawn again: the same bytes as the first time.
    third = export_all(wh, tmp_path / "three", ["png"], day=DAY, figure_cache=False)
    assert sorted(p.read_bytes() for p in third) == sorted(p.read_bytes() for p in first)


def test_the_figure_version_follows_the_figures(tmp_path):
    from warehouse.export_charts import figure_version

    wh = build_test_warehouse(tmp_path / "warehouse.duckdb")
    data = load_export_data(wh)
    same = load_export_data(wh)
    assert figure_version(data) == figure_version(same)
    # Another run id alone draws the same pictures; one changed value does not.
    same.long["run_id"] = "another-run"
    same.config["run_id"] = "another-run"
    assert figure_version(same) == figure_version(data)
    changed = load_export_data(wh)
    changed.long.loc[changed.long["value"].notna().idxmax(), "value"] += 1.0
    assert figure_version(changed) != figure_version(data)


def test_a_refused_export_keeps_no_figures(tmp_path):
    wh = build_test_warehouse(tmp_path / "unprotected.duckdb", protect_facts=False)
    with pytest.raises(DisclosureError):
        export_all(wh, tmp_path / "out", ["png", "html"], day=DAY)
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "unprotected.figures").exists()


def test_a_report_alone_draws_only_its_own_images(exported):
    from warehouse.export import shown_images
    from warehouse.export_charts import image_keys, indicators_with_figures, mappable

    wh, _, _ = exported
    data = load_export_data(wh)
    keys = shown_images(data, ["html"])
    charts = [k for k in keys if k[0] == "chart"]
    maps = [k for k in keys if k[0] == "map"]
    assert charts == [("chart", i) for i in indicators_with_figures(data)]
    # One map per pillar with a map: here only werk.bijstand_per_1000, in its latest year.
    werk = [(i, y) for i, y in mappable(data) if i.startswith("werk.")]
    assert werk and maps == [("map", "werk.bijstand_per_1000", max(y for _, y in werk))]
    assert set(keys) <= set(image_keys(data))
    assert shown_images(data, ["csv", "xlsx"]) == []
