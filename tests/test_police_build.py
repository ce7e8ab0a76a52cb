"""Issue 4 end to end: the police table served over HTTP by a local server at
`cbs.dataderden_url`, in the real wire format (padded codes, other areas mixed in because the
server ignores `$filter`, `null` cells, pages joined by `odata.nextLink`), next to the demo's
saved CBS replies; one online build; safety rates per wijk and year against values worked out
by hand from the served counts and the demo's CBS denominators (read here from the saved
JSON, not through the project's code)."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipelines.cli import run_build
from tests.conftest import DEMO_LANDING, demo_workspace
from tests.statline_server import FakeStatLine, StatLineServer

TABLE_ID = "47022NED"
GEWELD = ("1.4.3", "1.4.4", "1.4.5", "1.4.6", "1.4.7")
CODES = ("0.0.0", "1.1.1", *GEWELD, "2.2.1", "1.2.3")

# Monthly counts per area: the same every month unless noted.
MONTHLY = {
    "WK191602": {"0.0.0": 20, "1.1.1": 2, **dict.fromkeys(GEWELD, 1), "2.2.1": 3, "1.2.3": 4},
    "BU19160201": {"0.0.0": 8, "1.1.1": 1, **dict.fromkeys(GEWELD, 0), "2.2.1": 1},
    "BU19160202": {"0.0.0": 9, "1.1.1": 1, **dict.fromkeys(GEWELD, 1), "2.2.1": 2},
    "WK191606": {"0.0.0": 12, "1.1.1": 1, **dict.fromkeys(GEWELD, 0), "2.2.1": 1},
    "GM1916": {"0.0.0": 300, "1.1.1": 10, **dict.fromkeys(GEWELD, 4), "2.2.1": 30},
    "NL00": {"0.0.0": 66000, "1.1.1": 1500, **dict.fromkeys(GEWELD, 900), "2.2.1": 5000},
    "BU06030101": {"0.0.0": 50, "1.1.1": 3},  # Rijswijk: out of scope
}
NULL = ("BU19160201", "2.2.1", "2023MM05")  # not published: the year is "bron geheim"


def _rows() -> list[dict]:
    rows = []
    for area, per_code in MONTHLY.items():
        for code, n in per_code.items():
            for year, months in ((2023, range(1, 13)), (2024, range(1, 12))):  # 2024: 11
                for m in months:
                    period = f"{year}MM{m:02d}"
                    rows.append(
                        {
                            "ID": len(rows),
                            "SoortMisdrijf": code.ljust(6),
                            "WijkenEnBuurten": area.ljust(10),
                            "Perioden": period,
                            "GeregistreerdeMisdrijven_1": None
                            if (area, code, period) == NULL
                            else n,
                        }
                    )
    return rows


def _dimension(keys, width):
    return [{"Key": k.ljust(width), "Title": f"titel {k}", "Description": None} for k in keys]


TABLE = {
    "TableInfos": [{"Identifier": TABLE_ID, "Modified": "2025-02-01T02:00:00"}],
    "DataProperties": [
        {"odata.type": "Cbs.OData.Dimension", "Key": "SoortMisdrijf"},
        {"odata.type": "Cbs.OData.GeoDimension", "Key": "WijkenEnBuurten"},
        {"odata.type": "Cbs.OData.TimeDimension", "Key": "Perioden"},
        {"odata.type": "Cbs.OData.Topic", "Key": "GeregistreerdeMisdrijven_1"},
    ],
    "SoortMisdrijf": _dimension(CODES, 6),
    "WijkenEnBuurten": _dimension(MONTHLY, 10),
    "Perioden": _dimension(["2023MM01"], 8),
    "TypedDataSet": _rows(),
}


def cbs_figure(year_table: str, area: str, stem: str) -> float:
    """A figure from the demo's saved Kerncijfers replies, read directly."""
    snapshot = next((DEMO_LANDING / "cbs_kerncijfers" / year_table).iterdir())
    for page in sorted(snapshot.glob("TypedDataSet_*.json")):
        for row in json.loads(page.read_text(encoding="utf-8"))["value"]:
            if row["WijkenEnBuurten"].strip() == area:
                return next(v for k, v in row.items() if k.rsplit("_", 1)[0] == stem)
    raise KeyError(area)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("police")
    cfg = demo_workspace(folder, cbs_only=True)
    fake = FakeStatLine({TABLE_ID: TABLE}, page_size=500, honour_filter=False)
    with StatLineServer(fake) as server:
        text = cfg.read_text(encoding="utf-8")
        text = text.replace(
            'opendata_url = "https://opendata.cbs.nl/ODataApi/odata"',
            f'opendata_url = "{server.base_url}"  # no Kerncijfers here: saved replies are used',
        )
        text = text.replace(
            'dataderden_url = "https://dataderden.cbs.nl/ODataApi/odata"',
            f'dataderden_url = "{server.base_url}"',
        )
        text = text.replace("retries = 4", "retries = 0")
        cfg.write_text(text, encoding="utf-8")
        result = run_build(cfg, offline=False, show_progress=False)
    assert result.success
    pages = sum("TypedDataSet" in r for r in fake.requests)
    return folder / "out" / "warehouse.duckdb", pages


def _cell(con, indicator, area, year):
    return con.execute(
        "SELECT value, suppressed, suppression_reason, partial FROM indicators "
        "WHERE indicator_id = ? AND area_code = ? AND period_year = ?",
        [f"veiligheid.{indicator}", area, year],
    ).fetchone()


def test_rates_per_wijk_equal_the_hand_computation(built):
    warehouse, pages = built
    # 51 series x 23 months = 1,173 rows; two queries (gemeente, NL), each 3 pages of 500.
    assert len(TABLE["TypedDataSet"]) == 1173
    assert pages == 2 * 3
    inw = cbs_figure("85618NED", "WK191602", "AantalInwoners")
    hh = cbs_figure("85618NED", "WK191602", "HuishoudensTotaal")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # WK191602 in 2023, twelve months of its own published figures:
        assert _cell(con, "misdrijven_per_1000", "WK191602", 2023) == pytest.approx(
            (12 * 20 / inw * 1000, False, None, False)
        )
        geweld = _cell(con, "geweld_per_1000", "WK191602", 2023)  # 5 codes x 1 x 12 months
        assert geweld[0] == pytest.approx(5 * 12 / inw * 1000)
        vernieling = _cell(con, "vernieling_per_1000", "WK191602", 2023)
        assert vernieling[0] == pytest.approx(12 * 3 / inw * 1000)
        inbraak = _cell(con, "woninginbraak_per_1000_hh", "WK191602", 2023)
        assert inbraak[0] == pytest.approx(12 * 2 / hh * 1000)
        inw06 = cbs_figure("85618NED", "WK191606", "AantalInwoners")
        assert _cell(con, "misdrijven_per_1000", "WK191606", 2023)[0] == pytest.approx(
            12 * 12 / inw06 * 1000
        )
        nl = cbs_figure("85618NED", "NL00", "AantalInwoners")
        assert _cell(con, "misdrijven_per_1000", "NL00", 2023)[0] == pytest.approx(
            12 * 66000 / nl * 1000
        )
        # The focus area PH = BU19160201 + BU19160202: numerators and denominators summed.
        inw_ph = cbs_figure("85618NED", "BU19160201", "AantalInwoners") + cbs_figure(
            "85618NED", "BU19160202", "AantalInwoners"
        )
        assert _cell(con, "misdrijven_per_1000", "PH", 2023)[0] == pytest.approx(
            12 * (8 + 9) / inw_ph * 1000
        )


def test_a_null_month_is_not_published_never_zero(built):
    warehouse, _ = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert _cell(con, "vernieling_per_1000", "BU19160201", 2023)[:3] == (
            None,
            True,
            "bron geheim",
        )
        assert _cell(con, "vernieling_per_1000", "PH", 2023)[:3] == (None, True, "bron geheim")


def test_a_year_with_eleven_months_is_partial_and_never_compared(built):
    warehouse, _ = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        inw24 = cbs_figure("85984NED", "WK191602", "AantalInwoners")
        value, suppressed, _, partial = _cell(con, "misdrijven_per_1000", "WK191602", 2024)
        assert partial is True and suppressed is False
        assert value == pytest.approx(11 * 20 / inw24 * 1000)
        complete = con.execute(
            "SELECT count(*) FROM indicators WHERE indicator_id LIKE 'veiligheid.%per_1000%' "
            "AND period_year = 2024 AND NOT partial"
        ).fetchone()[0]
        assert complete == 0
        compared = con.execute(
            "SELECT count(*) FROM indicators WHERE indicator_id LIKE 'veiligheid.%' "
            "AND period_year = 2024 AND change_since_baseline IS NOT NULL"
        ).fetchone()[0]
        assert compared == 0


def test_other_areas_and_overlapping_replies_are_not_counted(built):
    warehouse, _ = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        read, accepted, quarantined, out = con.execute(
            "SELECT rows_read, rows_accepted, rows_quarantined, rows_out_of_scope "
            "FROM meta_input WHERE source = 'politie'"
        ).fetchone()
        served = len(TABLE["TypedDataSet"])
        rijswijk = 2 * 23  # 2 codes x 23 months
        ours = served - rijswijk
        # The server ignores $filter: both queries return every row. Each of our rows is
        # accepted once; its repeat and all Rijswijk rows (twice) are out of scope.
        assert (read, accepted, quarantined) == (ours, ours, 0)
        assert out == ours + 2 * rijswijk
        assert (
            con.execute(
                "SELECT count(*) FROM cbs.politie WHERE area_code LIKE 'BU0603%'"
            ).fetchone()[0]
            == 0
        )
