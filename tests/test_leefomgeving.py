"""The fourth pillar, leefomgeving: public-space reports (`meldingen`) and the resident survey
(`enquete`), from held-out files written here from the contracts (sources.md section 4), read
by the real reader, checked by their declarations, placed by the real geocoder (meldingen) and
turned into indicators by the real SQL. Every expected value is worked out by hand below."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from checks.municipal import split_delivery
from sources.delivery import find_deliveries, read_delivery
from tests.deliveries import write_csv
from transforms.catalogue import load_catalogue
from transforms.geocode import place
from transforms.municipal import municipal_indicator_facts

GM = "GM1916"
B1, B2, B3 = "BU19160101", "BU19160102", "BU19160201"
W1, W2 = "WK191601", "WK191602"
# Three square buurten side by side (RD New), B1 and B2 in W1, B3 in W2.
POLYGONS = gpd.GeoDataFrame(
    {
        "geo_year": [2023, 2023, 2023],
        "buurt_code": [B1, B2, B3],
        "wijk_code": [W1, W1, W2],
    },
    geometry=[box(80_000, 450_000, 81_000, 451_000), box(81_000, 450_000, 82_000, 451_000),
              box(82_000, 450_000, 83_000, 451_000)],
    crs="EPSG:28992",
)  # fmt: skip
BUURTEN = pd.DataFrame(POLYGONS.drop(columns="geometry"))
OWN = pd.DataFrame({"area_code": ["OWN1"], "member_code": [B1]})
# CBS inhabitants on 1 January 2023, as published (the wijken and gemeente too).
INHABITANTS = {B1: 1000, B2: 500, B3: 2000, W1: 1500, W2: 2000, GM: 3500}
CBS = pd.DataFrame(
    [(2023, area, "AantalInwoners", float(n)) for area, n in INHABITANTS.items()],
    columns=["period_year", "area_code", "stem", "value"],
)

MELDINGEN_HEADER = ["melding_id", "datum_melding", "categorie", "x", "y", "lat", "lon",
                    "buurtcode", "status", "datum_afgehandeld"]  # fmt: skip


def melding(mid, when, categorie, buurt, status, done=None) -> list:
    return [mid, when, categorie, None, None, None, None, buurt, status, done]


MAY = [
    melding("M1", "2023-05-02 10:00", "ZWERFAFVAL", B1, "OPEN"),
    melding("M2", "2023-05-03", "GROFVUIL", B1, "AFGEHANDELD", "2023-05-10"),  # 7 days
    melding("M3", "2023-05-04", "ONGEDIERTE_RATTEN", B2, "AFGEHANDELD", "2023-05-30"),
    melding("M4", "2023-05-05", "AFVAL_NAAST_CONTAINER", B3, "GEANNULEERD"),  # not counted
    melding("M5", "2023-05-06", "ZWERFAFVAL", B3, "AFGEHANDELD", "2023-05-01"),  # bad date
    melding("M6", "2023-05-07", "STRAATMEUBILAIR", B3, "AFGEHANDELD"),  # resolved without date
    # a date-time against a date on the same day: resolved the day it came in (0 days)
    melding("M7", "2023-05-08 09:00", "VERLICHTING", B3, "AFGEHANDELD", "2023-05-08"),
]
JUNE = [
    # re-delivered: M1 now resolved after 49 days; M3 now cancelled (the latest delivery wins)
    melding("M1", "2023-05-02 10:00", "ZWERFAFVAL", B1, "AFGEHANDELD", "2023-06-20"),
    melding("M8", "2023-06-01", "ONGEDIERTE_OVERIG", B3, "OPEN"),
    melding("M9", "2023-06-02", "GROFVUIL", B2, "GEANNULEERD"),
    melding("M10", "2023-06-03", "ZWERFAFVAL", B2, "AFGEHANDELD", "2023-06-17"),  # 14 days
    melding("M3", "2023-05-04", "ONGEDIERTE_RATTEN", B2, "GEANNULEERD"),
    melding("M11", "2023-07-01", "ZWERFAFVAL", B2, "OPEN"),  # after the file's month
]


@pytest.fixture(scope="module")
def meldingen(tmp_path_factory):
    folder = tmp_path_factory.mktemp("meldingen")
    write_csv(folder / "meldingen_2023-05.csv", MELDINGEN_HEADER, MAY)
    write_csv(folder / "meldingen_2023-06.csv", MELDINGEN_HEADER, JUNE)
    found = find_deliveries(folder, "meldingen")
    splits = [split_delivery(read_delivery(p, "meldingen"), GM) for p in found.current]
    accepted = pd.concat([s.accepted for s in splits], ignore_index=True)
    placement = place(
        accepted, year_column="datum_melding", polygons=POLYGONS, crosswalk=None, gemeente=GM
    )
    table = municipal_indicator_facts(
        gemeente=GM,
        buurten=BUURTEN,
        own_members=OWN,
        deliveries=pd.DataFrame({"source": "meldingen", "period": [s.period for s in splits]}),
        cbs_denominators=CBS,
        meldingen=placement.placed,
    )
    facts = table.to_pandas().set_index(["indicator_id", "area_code", "period_year"])
    return splits, placement, facts


def test_meldingen_rows_read_are_accepted_plus_quarantined_with_reasons(meldingen):
    splits, placement, _ = meldingen
    may, june = splits
    assert (may.rows_read, may.rows_accepted, may.rows_quarantined) == (7, 5, 2)
    assert (june.rows_read, june.rows_accepted, june.rows_quarantined) == (6, 5, 1)
    reasons = {
        (Path(f).name, line): (column, reason)
        for s in splits
        for f, line, column, reason in s.quarantine[
            ["file", "line", "column", "reason"]
        ].itertuples(index=False, name=None)
    }
    assert reasons == {
        ("meldingen_2023-05.csv", 6): (
            "datum_afgehandeld", "datum_afgehandeld voor datum_melding"),
        ("meldingen_2023-05.csv", 7): (
            "datum_afgehandeld", "datum_afgehandeld ontbreekt bij status AFGEHANDELD"),
        ("meldingen_2023-06.csv", 7): ("datum_melding", "datum_melding na de maand 2023-06"),
    }  # fmt: skip
    assert placement.rows_quarantined == 0 and placement.rows_placed == 10


def _value(facts, indicator, area):
    return facts.loc[(indicator, area, 2023), "value"]


# After the re-delivery (latest wins) and without cancelled reports, 2023 holds:
#   M1 ZWERFAFVAL B1 resolved in 49 days   M2 GROFVUIL B1 7 days   M7 VERLICHTING B3 0 days
#   M8 ONGEDIERTE_OVERIG B3 open           M10 ZWERFAFVAL B2 14 days
# (M3 cancelled by its re-delivery, M4 and M9 cancelled, M5, M6, M11 quarantined.)
EXPECTED_MELDINGEN = {
    "leefomgeving.meldingen_afval_per_1000": {
        B1: 2 / 1000 * 1000, B2: 1 / 500 * 1000, B3: 0.0,
        W1: 3 / 1500 * 1000, W2: 0.0, GM: 3 / 3500 * 1000, "OWN1": 2 / 1000 * 1000,
    },
    "leefomgeving.meldingen_ongedierte_per_1000": {
        B1: 0.0, B2: 0.0, B3: 1 / 2000 * 1000, W1: 0.0, W2: 1 / 2000 * 1000, GM: 1 / 3500 * 1000,
    },
    "leefomgeving.meldingen_afgehandeld_binnen_14d_pct": {
        B1: 50.0, B2: 100.0, B3: 50.0, W1: 2 / 3 * 100, W2: 50.0, GM: 3 / 5 * 100,
    },
    "leefomgeving.doorlooptijd_mediaan_dagen": {
        B1: 28.0, B2: 14.0, B3: 0.0, W1: 14.0, W2: 0.0, GM: 10.5, "OWN1": 28.0,
    },
}  # fmt: skip


@pytest.mark.parametrize("indicator", list(EXPECTED_MELDINGEN))
def test_meldingen_indicators_per_area_equal_the_hand_counts(meldingen, indicator):
    _, _, facts = meldingen
    for area, want in EXPECTED_MELDINGEN[indicator].items():
        assert _value(facts, indicator, area) == pytest.approx(want, abs=1e-3), (indicator, area)


def test_reports_are_not_person_data_no_small_count_control():
    catalogue = {i.id: i for i in load_catalogue()}
    for indicator in EXPECTED_MELDINGEN:
        assert catalogue[indicator].disclosure == "geen"
    assert catalogue["werk.bijstand_personen"].disclosure == "kleine aantallen"
