"""The warehouse built from the demo bundle: every CBS indicator for all six kinds of area, and
own areas equal to sums worked out here from the demo replies themselves."""

from __future__ import annotations

import csv
import datetime as dt
import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest

from tests.conftest import DEMO_LANDING

REPO = Path(__file__).resolve().parents[1]

CBS_INDICATORS = {
    "context.inwoners",
    "context.pct_0_15",
    "context.pct_65plus",
    "context.pct_eenpersoonshh",
    "financien.gem_inkomen_per_inwoner",
    "financien.pct_hh_laag_inkomen",
    "financien.pct_hh_sociaal_minimum",
    "leefomgeving.pct_corporatiewoningen",
    "leefomgeving.gem_woz",
    "werk.bijstand_cbs_per_1000",
    "werk.ww_per_1000",
}
TABLES = {
    2019: "84583NED",
    2020: "84799NED",
    2021: "85039NED",
    2022: "85318NED",
    2023: "85618NED",
    2024: "85984NED",
}


def served_figures(year: int) -> dict[str, dict[str, float | None]]:
    """area code -> stem -> value, read straight from the demo's saved replies."""
    folder = next((DEMO_LANDING / "cbs_kerncijfers" / TABLES[year]).iterdir())
    out: dict[str, dict] = defaultdict(dict)
    for page in sorted(folder.glob("TypedDataSet_*_p*.json")):
        for row in json.loads(page.read_text("utf-8"))["value"]:
            code = row["WijkenEnBuurten"].strip()
            for key, value in row.items():
                stem = key.rsplit("_", 1)[0] if key[-1].isdigit() else key
                out[code][stem] = value
    return out


@pytest.fixture(scope="module")
def con(demo_build):
    _, warehouse = demo_build
    with duckdb.connect(str(warehouse), read_only=True) as c:
        yield c


def value(con, indicator, area, year):
    return con.execute(
        "SELECT value FROM indicators WHERE indicator_id = ? AND area_code = ? AND period_year = ?",
        [indicator, area, year],
    ).fetchone()[0]


def test_every_cbs_indicator_for_all_six_kinds_of_area_and_years(con):
    rows = con.execute(
        """SELECT indicator_id, area_level, count(DISTINCT period_year)
           FROM indicators WHERE NOT suppressed GROUP BY ALL"""
    ).fetchall()
    levels = {"buurt", "wijk", "focus", "programme", "gemeente", "land"}
    years = {(i, lv): n for i, lv, n in rows}
    for ind in CBS_INDICATORS:
        for lv in levels:
            assert years.get((ind, lv), 0) >= 5, (ind, lv)
    assert {
        r[0] for r in con.execute("SELECT DISTINCT period_year FROM indicators").fetchall()
    } == set(TABLES)


def test_focus_and_programme_areas_are_sums_of_their_parts(con):
    for year in (2020, 2023):
        f = served_figures(year)
        ph = [f["BU19160201"], f["BU19160202"]]
        ln = [f["WK191602"], f["WK191603"], f["WK191606"]]
        for parts, code in ((ph, "PH"), (ln, "LN")):
            inw = sum(p["AantalInwoners"] for p in parts)
            assert value(con, "context.inwoners", code, year) == inw
            k1564 = sum(p["k_15Tot25Jaar"] + p["k_25Tot45Jaar"] + p["k_45Tot65Jaar"] for p in parts)
            bij = sum(p["PersonenPerSoortUitkeringBijstand"] for p in parts)
            assert value(con, "werk.bijstand_cbs_per_1000", code, year) == pytest.approx(
                bij / k1564 * 1000
            )
            hh = sum(p["HuishoudensTotaal"] for p in parts)
            een = sum(p["Eenpersoonshuishoudens"] for p in parts)
            assert value(con, "context.pct_eenpersoonshh", code, year) == pytest.approx(
                een / hh * 100
            )
            won = sum(p["Woningvoorraad"] for p in parts)
            woz = sum(p["GemiddeldeWoningwaarde"] * p["Woningvoorraad"] for p in parts) / won
            assert value(con, "leefomgeving.gem_woz", code, year) == pytest.approx(woz)
        # CBS areas are taken as published, not re-summed from their buurten.
        assert value(con, "context.inwoners", "WK191602", year) == f["WK191602"]["AantalInwoners"]
        assert (
            value(con, "leefomgeving.gem_woz", "GM1916", year)
            == f["GM1916"]["GemiddeldeWoningwaarde"]
        )
        assert value(con, "context.inwoners", "NL00", year) == f["NL00"]["AantalInwoners"]


def test_change_since_baseline(con):
    f20, f23 = served_figures(2020), served_figures(2023)
    base, now = f20["GM1916"]["AantalInwoners"], f23["GM1916"]["AantalInwoners"]
    change, pct, base_year = con.execute(
        """SELECT change_since_baseline, change_pct_since_baseline, baseline_year FROM indicators
           WHERE indicator_id = 'context.inwoners' AND area_code = 'GM1916' AND period_year = 2023"""
    ).fetchone()
    assert base_year == 2020
    assert change == now - base
    assert pct == pytest.approx((now - base) / base * 100)


def test_income_missing_from_the_2024_table_says_so(con):
    reason = con.execute(
        """SELECT DISTINCT suppression_reason FROM indicators
           WHERE indicator_id = 'financien.gem_inkomen_per_inwoner' AND period_year = 2024"""
    ).fetchall()
    assert reason == [("geen bron dit jaar",)]


def test_cbs_secrets_stay_secret(con):
    f = served_figures(2023)
    secret = [c for c, v in f.items() if c.startswith("BU") and v["GemiddeldeWoningwaarde"] is None]
    assert secret, "the demo has a buurt whose WOZ is suppressed"
    got = con.execute(
        "SELECT value, suppressed, suppression_reason FROM indicators "
        "WHERE indicator_id = 'leefomgeving.gem_woz' AND area_code = ? AND period_year = 2023",
        [secret[0]],
    ).fetchone()
    assert got == (None, True, "bron geheim")


def test_everything_is_marked_synthetic(con):
    assert con.execute("SELECT bool_and(synthetic) FROM dim_area").fetchone()[0] is True
    assert con.execute("SELECT bool_and(synthetic) FROM indicators").fetchone()[0] is True
    assert con.execute("SELECT synthetic FROM meta_config").fetchone()[0] is True


def test_own_areas_carry_their_code_level_and_geometry(con):
    rows = dict(
        (code, (level, members, geom is not None))
        for code, level, members, geom in con.execute(
            "SELECT area_code, area_level, members, geometry_wkb FROM dim_area WHERE area_level IN ('programme', 'focus')"
        ).fetchall()
    )
    assert rows["LN"] == ("programme", "WK191602, WK191603, WK191606", True)
    assert rows["PH"] == ("focus", "BU19160201, BU19160202", True)
    assert rows["DHN"][0] == "focus"


def test_catalogue_and_comments(con):
    n, with_def = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE length(definition) > 20) FROM dim_indicator"
    ).fetchone()
    listed = (REPO / "transforms" / "catalogue.toml").read_text("utf-8").count("[[indicator]]")
    assert n == with_def == listed
    uncommented = con.execute(
        """SELECT table_name FROM duckdb_tables() WHERE comment IS NULL AND database_name = current_database()
           UNION ALL
           SELECT view_name FROM duckdb_views() WHERE NOT internal AND comment IS NULL AND database_name = current_database()"""
    ).fetchall()
    assert uncommented == []


def test_meta_records_inputs_with_balanced_counts(con):
    rows = con.execute(
        "SELECT source, count(*), bool_and(rows_read = rows_accepted + rows_quarantined) FROM meta_input GROUP BY 1"
    ).fetchall()
    got = {s: (n, ok) for s, n, ok in rows}
    assert got["cbs_kerncijfers"] == (6, True)
    assert got["cbs_kaart"][1] is True
    status, years = con.execute("SELECT status, years FROM meta_run").fetchone()
    assert status == "success" and years == sorted(TABLES)


def test_warehouse_opens_read_only(demo_build):
    _, warehouse = demo_build
    with duckdb.connect(str(warehouse), read_only=True) as c, pytest.raises(duckdb.Error):
        c.execute("DELETE FROM fact_indicator")
    assert Path(warehouse).exists()


# --------------------------------------------------------------------------- leefomgeving

MELDINGEN_INDICATORS = {
    "leefomgeving.meldingen_afval_per_1000",
    "leefomgeving.meldingen_ongedierte_per_1000",
    "leefomgeving.meldingen_afgehandeld_binnen_14d_pct",
    "leefomgeving.doorlooptijd_mediaan_dagen",
}
ENQUETE_INDICATORS = {
    "leefomgeving.rapportcijfer_woonomgeving",
    "leefomgeving.pct_afval_op_straat",
    "leefomgeving.sociale_cohesie",
    "veiligheid.pct_onveilig_buurt",
}
AFVAL = {"AFVAL_NAAST_CONTAINER", "ZWERFAFVAL", "GROFVUIL"}


def meldingen_rows() -> list[tuple[str, dict[str, str]]]:
    """(file name, row) of every demo MOR delivery, parsed with csv only."""
    out = []
    for path in sorted((DEMO_LANDING / "meldingen").glob("meldingen_*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            out += [(path.name, r) for r in csv.DictReader(f, delimiter=";")]
    return out


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def test_the_eight_leefomgeving_indicators_have_figures(con):
    got = {
        i
        for (i,) in con.execute(
            "SELECT DISTINCT indicator_id FROM indicators WHERE value IS NOT NULL "
            "AND area_code = 'GM1916'"
        ).fetchall()
    }
    assert got >= MELDINGEN_INDICATORS | ENQUETE_INDICATORS


def test_bad_mor_rows_are_quarantined_per_reason(con):
    expected: Counter[str] = Counter()
    for _, r in meldingen_rows():
        if r["status"] == "AFGEHANDELD" and not r["datum_afgehandeld"]:
            expected["datum_afgehandeld ontbreekt bij status AFGEHANDELD"] += 1
        elif r["datum_afgehandeld"] and day(r["datum_afgehandeld"]) < day(r["datum_melding"]):
            expected["datum_afgehandeld voor datum_melding"] += 1
    assert sum(expected.values()) == 6  # the generator planted 3 of each
    got = dict(
        con.execute("SELECT reason, count(*) FROM quarantine_meldingen GROUP BY 1").fetchall()
    )
    assert got == dict(expected)


def test_mor_figures_of_the_gemeente_are_the_counts_of_the_files(con):
    """2023 (no re-delivery that year): the afval reports per 1 000 inhabitants and the median
    days to resolution, worked out from the files; a repeated report counts once, in its
    latest state."""
    latest: dict[str, dict[str, str]] = {}
    for _, r in meldingen_rows():  # files in month order: a later one overrides
        bad = (r["status"] == "AFGEHANDELD" and not r["datum_afgehandeld"]) or (
            r["datum_afgehandeld"] and day(r["datum_afgehandeld"]) < day(r["datum_melding"])
        )
        if not bad:
            latest[r["melding_id"]] = r
    for year in (2022, 2023):
        rows = [
            r for r in latest.values()
            if day(r["datum_melding"]).year == year and r["status"] != "GEANNULEERD"
        ]  # fmt: skip
        afval = sum(r["categorie"] in AFVAL for r in rows)
        inwoners = served_figures(year)["GM1916"]["AantalInwoners"]
        assert value(con, "leefomgeving.meldingen_afval_per_1000", "GM1916", year) == (
            pytest.approx(afval / inwoners * 1000)
        )
        days = [
            (day(r["datum_afgehandeld"]) - day(r["datum_melding"])).days
            for r in rows
            if r["status"] == "AFGEHANDELD"
        ]
        assert value(con, "leefomgeving.doorlooptijd_mediaan_dagen", "GM1916", year) == (
            pytest.approx(statistics.median(days))
        )
        within = sum(d <= 14 for d in days)
        assert value(con, "leefomgeving.meldingen_afgehandeld_binnen_14d_pct", "GM1916", year) == (
            pytest.approx(within / len(rows) * 100)
        )


def survey(year: int) -> dict[tuple[str, str], dict[str, str]]:
    with (DEMO_LANDING / "enquete" / f"enquete_{year}.csv").open(encoding="utf-8") as f:
        return {(r["gebied_code"], r["vraag"]): r for r in csv.DictReader(f, delimiter=";")}


def test_survey_values_as_delivered_under_50_suppressed_and_years_between_not_measured(con):
    rows = survey(2023)
    for area in ("GM1916", "LN", "PH", "WK191602"):
        assert value(con, "leefomgeving.rapportcijfer_woonomgeving", area, 2023) == float(
            rows[(area, "RAPPORTCIJFER_WOONOMGEVING")]["waarde"]
        )
    too_few = [
        (area, year)
        for year in (2019, 2021, 2023)
        for (area, _), r in survey(year).items()
        if int(r["n_respondenten"]) < 50
    ]
    assert set(too_few) == {("DHN", 2021)}
    for indicator in ENQUETE_INDICATORS:
        got = con.execute(
            "SELECT value, suppressed, suppression_reason FROM indicators "
            "WHERE indicator_id = ? AND area_code = 'DHN' AND period_year = 2021",
            [indicator],
        ).fetchone()
        assert got == (None, True, "te weinig respondenten")
        for year in (2020, 2022, 2024):
            got = con.execute(
                "SELECT value, suppressed, suppression_reason FROM indicators "
                "WHERE indicator_id = ? AND area_code = 'GM1916' AND period_year = ?",
                [indicator, year],
            ).fetchone()
            assert got == (None, True, "niet gemeten"), (indicator, year)


def test_survey_and_median_of_the_split_voorburg_wijken_are_not_restated(con):
    """The demo's Voorburg Midden was split in 2022: its 2019 and 2021 survey results (on the
    old, larger wijk) and its MOR medians of 2019-2021 are no figures of either part."""
    for indicator, years in (
        ("leefomgeving.rapportcijfer_woonomgeving", (2019, 2021)),
        ("leefomgeving.doorlooptijd_mediaan_dagen", (2019, 2020, 2021)),
    ):
        for code in ("WK191609", "WK191613"):
            for year in years:
                got = con.execute(
                    "SELECT value, suppressed, suppression_reason FROM indicators "
                    "WHERE indicator_id = ? AND area_code = ? AND period_year = ?",
                    [indicator, code, year],
                ).fetchone()
                assert got == (None, True, "niet te herberekenen (grens gewijzigd)"), (
                    indicator,
                    code,
                    year,
                )
        # the wijk as delivered in 2023 keeps its survey value
    rows = survey(2023)
    assert value(con, "leefomgeving.rapportcijfer_woonomgeving", "WK191613", 2023) == float(
        rows[("WK191613", "RAPPORTCIJFER_WOONOMGEVING")]["waarde"]
    )
