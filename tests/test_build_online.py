"""A build that fetches a year's table from a local StatLine server (real HTTP, paged, other
municipalities mixed in) publishes exactly the served figures; rates are recomputed here by
hand from the served counts."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipelines.cli import run_build
from tests.statline_server import FakeStatLine, StatLineServer
from tests.tablemaker import make_table

STEMS = [
    "AantalInwoners",
    "k_0Tot15Jaar",
    "k_15Tot25Jaar",
    "k_25Tot45Jaar",
    "k_45Tot65Jaar",
    "k_65JaarOfOuder",
    "HuishoudensTotaal",
    "Eenpersoonshuishoudens",
    "Woningvoorraad",
    "GemiddeldeWoningwaarde",
    "InBezitWoningcorporatie",
    "GemiddeldInkomenPerInwoner",
    "HuishoudensMetEenLaagInkomen",
    "HuishOnderOfRondSociaalMinimum",
    "PersonenPerSoortUitkeringBijstand",
    "PersonenPerSoortUitkeringWW",
]


def _area(
    code, name, inw, k0, k15, k25, k45, k65, hh, een, won, woz, corp, ink, laag, smin, bij, ww
):
    values = dict(
        zip(
            STEMS,
            [inw, k0, k15, k25, k45, k65, hh, een, won, woz, corp, ink, laag, smin, bij, ww],
            strict=True,
        )
    )
    return {"code": code, "name": name, "values": values}


AREAS = [
    _area(
        "NL00",
        "Nederland",
        17811291,
        2743000,
        2170000,
        4420000,
        4780000,
        3500000,
        8150000,
        3300000,
        8100000,
        355,
        29,
        30.1,
        8.0,
        7.2,
        418000,
        240000,
    ),
    _area(
        "GM1916",
        "Leidschendam-Voorburg",
        77500,
        11800,
        7900,
        18000,
        21500,
        18300,
        36800,
        15300,
        37100,
        372,
        31,
        33.6,
        6.9,
        5.8,
        1630,
        990,
    ),
    _area(
        "WK191602",
        "Prinsenhof",
        5600,
        980,
        560,
        1390,
        1500,
        1170,
        2800,
        1330,
        2850,
        238,
        66,
        25.2,
        13.1,
        12.0,
        360,
        95,
    ),
    _area(
        "WK191603",
        "'t Lien / De Rietvink",
        6900,
        900,
        610,
        1650,
        2060,
        1680,
        3150,
        1100,
        3200,
        331,
        38,
        31.0,
        7.5,
        6.4,
        150,
        80,
    ),
    _area(
        "WK191606",
        "De Heuvel / Amstelwijk",
        3300,
        450,
        300,
        850,
        950,
        750,
        1810,
        990,
        1850,
        268,
        52,
        27.4,
        10.2,
        9.1,
        120,
        35,
    ),
    _area(
        "BU19160201",
        "Prinsenhof-01",
        2100,
        410,
        220,
        560,
        530,
        380,
        1100,
        560,
        1120,
        201,
        78,
        22.9,
        16.0,
        15.1,
        170,
        40,
    ),
    _area(
        "BU19160202",
        "Prinsenhof-02",
        1700,
        300,
        170,
        420,
        450,
        360,
        840,
        410,
        860,
        225,
        70,
        None,
        None,
        None,
        110,
        30,
    ),
    _area(
        "BU19160601",
        "De Heuvel-01",
        1200,
        160,
        110,
        320,
        350,
        260,
        650,
        380,
        660,
        250,
        60,
        26.0,
        11.0,
        10.0,
        60,
        10,
    ),
    # Another municipality, which the server hands out too when it ignores the filter.
    _area(
        "GM0603",
        "Rijswijk",
        56000,
        8000,
        5000,
        14000,
        15000,
        14000,
        27000,
        12000,
        27500,
        300,
        40,
        30.0,
        8.0,
        7.0,
        1800,
        700,
    ),
    _area(
        "WK060301",
        "Rijswijk-Oud",
        9000,
        1200,
        800,
        2300,
        2500,
        2200,
        4500,
        2000,
        4600,
        280,
        45,
        28.0,
        9.0,
        8.0,
        400,
        120,
    ),
]


def _config(tmp_path, base_url):
    cfg = tmp_path / "wijkmonitor.toml"
    cfg.write_text(
        f"""
gemeente = "GM1916"
years = [2023]
baseline_year = 2023
[paths]
landing = "landing"
warehouse = "out/warehouse.duckdb"
[cbs]
opendata_url = "{base_url}"
dataderden_url = "{base_url}"  # the police table: not served here (404)
retries = 2
backoff_seconds = 0
[cbs.kerncijfers_tables]
2023 = "99999NED"
[programme_area]
code = "LN"
name = "Leidschendam-Noord"
areas = ["WK191602", "WK191603", "WK191606"]
[[focus_areas]]
code = "PH"
name = "Prinsenhof hoogbouw"
areas = ["BU19160201", "BU19160202"]
""",
        encoding="utf-8",
    )
    return cfg


@pytest.fixture(params=[True, False], ids=["server-filters", "server-ignores-filter"])
def served(request, tmp_path):
    # Suffixes from 7 on: other numbers than the demo's tables use.
    table = make_table("99999NED", 2023, AREAS, STEMS, first_suffix=7)
    fake = FakeStatLine({"99999NED": table}, page_size=3, honour_filter=request.param)
    with StatLineServer(fake) as server:
        yield tmp_path, server, fake


def _value(con, indicator, area):
    return con.execute(
        "SELECT value, suppressed, suppression_reason, is_estimate FROM indicators "
        "WHERE indicator_id = ? AND area_code = ? AND period_year = 2023",
        [indicator, area],
    ).fetchone()


def test_build_fetches_pages_and_publishes_the_served_figures(served):
    tmp_path, server, fake = served
    cfg = _config(tmp_path, server.base_url)
    result = run_build(cfg, offline=False, show_progress=False)
    assert result.success
    # Paged: 8 of our areas + NL with page size 3 means several TypedDataSet requests.
    assert sum("TypedDataSet" in r for r in fake.requests) >= 3
    snapshot = next((tmp_path / "landing" / "cbs_kerncijfers" / "99999NED").iterdir())
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert any(f["file"] == "TypedDataSet_gemeente_p002.json" for f in manifest["files"])

    by_code = {a["code"]: a["values"] for a in AREAS}
    with duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True) as con:
        # Rijswijk never reaches the warehouse, even when the server sends it.
        assert (
            con.execute("SELECT count(*) FROM dim_area WHERE area_code LIKE '%0603%'").fetchone()[0]
            == 0
        )
        assert _value(con, "context.inwoners", "GM1916")[0] == 77500
        assert _value(con, "context.inwoners", "NL00")[0] == 17811291
        assert _value(con, "context.pct_0_15", "WK191602")[0] == pytest.approx(980 / 5600 * 100)
        assert _value(con, "context.pct_eenpersoonshh", "WK191606")[0] == pytest.approx(
            990 / 1810 * 100
        )
        assert _value(con, "werk.bijstand_cbs_per_1000", "WK191602")[0] == pytest.approx(
            360 / (560 + 1390 + 1500) * 1000
        )
        assert _value(con, "werk.ww_per_1000", "GM1916")[0] == pytest.approx(
            990 / (7900 + 18000 + 21500) * 1000
        )
        assert _value(con, "leefomgeving.gem_woz", "GM1916")[0] == 372
        # The programme area sums the served wijk figures; focus area sums its buurten.
        assert _value(con, "context.inwoners", "LN")[0] == 5600 + 6900 + 3300
        assert _value(con, "werk.bijstand_cbs_per_1000", "LN")[0] == pytest.approx(
            (360 + 150 + 120)
            / ((560 + 1390 + 1500) + (610 + 1650 + 2060) + (300 + 850 + 950))
            * 1000
        )
        b1, b2 = by_code["BU19160201"], by_code["BU19160202"]
        woz, _, _, estimate = _value(con, "leefomgeving.gem_woz", "PH")
        assert woz == pytest.approx((201 * 1120 + 225 * 860) / (1120 + 860))
        assert estimate is True
        assert _value(con, "context.pct_65plus", "PH")[0] == pytest.approx(
            (b1["k_65JaarOfOuder"] + b2["k_65JaarOfOuder"]) / (2100 + 1700) * 100
        )
        # A part of PH has no published income: PH's income is suppressed, with the reason.
        assert _value(con, "financien.gem_inkomen_per_inwoner", "PH")[1:3] == (True, "bron geheim")
        assert _value(con, "financien.gem_inkomen_per_inwoner", "BU19160202")[1:3] == (
            True,
            "bron geheim",
        )
        rows_read, out_of_scope = con.execute(
            "SELECT rows_read, rows_out_of_scope FROM meta_input WHERE source = 'cbs_kerncijfers'"
        ).fetchone()
        assert rows_read == 8  # NL00, GM1916, 3 wijken, 3 buurten
