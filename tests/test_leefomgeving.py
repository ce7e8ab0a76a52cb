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


# --------------------------------------------------------------------------- enquete

ENQUETE_HEADER = ["jaar", "gebied_code", "vraag", "waarde", "n_respondenten", "ondergrens",
                  "bovengrens"]  # fmt: skip
SURVEYS = {
    2019: [
        [2019, W1, "RAPPORTCIJFER_WOONOMGEVING", "7,4", 210, "7,2", "7,6"],
        [2019, W2, "RAPPORTCIJFER_WOONOMGEVING", "6.9", 180, None, None],
        [2019, W1, "PCT_ONVEILIG_BUURT", "18", 205, None, None],
        [2019, W2, "PCT_ONVEILIG_BUURT", "31", 44, None, None],  # fewer than 50
    ],
    2021: [
        [2021, W1, "RAPPORTCIJFER_WOONOMGEVING", "7.5", 190, None, None],
        [2021, W2, "RAPPORTCIJFER_WOONOMGEVING", "7.0", 160, None, None],
        [2021, "OWN1", "SOCIALE_COHESIE", "6.1", 75, "5.8", "6.4"],  # an own area, as delivered
        [2021, W2, "PCT_AFVAL_OP_STRAAT", "abc", 160, None, None],  # not a number
        [2021, W2, "PCT_AFVAL_OP_STRAAT", "22", 160, "25", None],  # kept, with a warning
    ],
    2023: [
        [2023, W1, "RAPPORTCIJFER_WOONOMGEVING", "7.7", 220, "7.5", "7.9"],
        [2023, W2, "RAPPORTCIJFER_WOONOMGEVING", "7.1", 49, None, None],  # fewer than 50
        [2023, GM, "RAPPORTCIJFER_WOONOMGEVING", "7.4", 420, None, None],
        [2023, W1, "PCT_ONVEILIG_BUURT", "16", 215, None, None],
        [2023, W1, "PCT_ONVEILIG_BUURT", "17", 215, None, None],  # the same area and question
        [2023, W2, "VERKEERSDRUKTE", "3", 120, None, None],  # no such question
    ],
}


@pytest.fixture(scope="module")
def enquete(tmp_path_factory):
    from transforms.municipal import delivered_facts

    folder = tmp_path_factory.mktemp("enquete")
    for year, records in SURVEYS.items():
        write_csv(folder / f"enquete_{year}.csv", ENQUETE_HEADER, records)
    found = find_deliveries(folder, "enquete")
    splits = [split_delivery(read_delivery(p, "enquete"), GM) for p in found.current]
    accepted = pd.concat([s.accepted for s in splits], ignore_index=True)
    result = delivered_facts(
        gemeente=GM,
        own_members=OWN,
        deliveries=pd.DataFrame({"source": "enquete", "period": [s.period for s in splits]}),
        enquete=accepted,
    )
    facts = result.facts.set_index(["indicator_id", "area_code", "period_year"])
    intervals = result.intervals.set_index(["indicator_id", "area_code", "period_year"])
    return splits, facts, intervals


def test_configured_years_without_a_survey_are_niet_gemeten_too(enquete):
    from transforms.municipal import delivered_facts

    splits, _, _ = enquete
    accepted = pd.concat([s.accepted for s in splits], ignore_index=True)
    facts = delivered_facts(
        gemeente=GM,
        own_members=OWN,
        deliveries=pd.DataFrame({"source": "enquete", "period": [s.period for s in splits]}),
        years=[2018, 2019, 2020, 2021, 2022, 2023, 2024],
        enquete=accepted,
    ).facts.set_index(["indicator_id", "area_code", "period_year"])
    # surveys in 2019, 2021 and 2023: the other four configured years were not measured
    for year in (2018, 2020, 2022, 2024):
        row = facts.loc[(RAPPORT, W1, year)]
        assert pd.isna(row["value"]) and row["suppressed"]
        assert row["suppression_reason"] == "niet gemeten"
    assert facts.loc[(RAPPORT, W1, 2023), "value"] == pytest.approx(7.7)
    assert {y for (i, a, y) in facts.index if i == RAPPORT} == set(range(2018, 2025))


def test_enquete_rows_read_are_accepted_plus_quarantined(enquete):
    splits, _, _ = enquete
    counts = {s.period: (s.rows_read, s.rows_accepted, s.rows_quarantined) for s in splits}
    assert counts == {"2019": (4, 4, 0), "2021": (5, 4, 1), "2023": (6, 4, 2)}
    reasons = {
        (s.period, line): reason
        for s in splits
        for line, reason in s.quarantine[["line", "reason"]].itertuples(index=False, name=None)
    }
    assert reasons == {
        ("2021", 5): "ongeldige waarde (geen getal)",
        ("2023", 6): "dubbele combinatie gebied_code en vraag (ook op regel 5)",
        ("2023", 7): "onbekende vraag (niet in de codelijst)",
    }
    # a lower bound above the value is kept, and said
    assert any("ondergrens boven de waarde" in w for w in splits[1].warnings)


RAPPORT = "leefomgeving.rapportcijfer_woonomgeving"
ONVEILIG = "veiligheid.pct_onveilig_buurt"


def test_survey_values_are_as_delivered_per_wijk_and_year(enquete):
    _, facts, _ = enquete
    expected = {
        (RAPPORT, W1, 2019): 7.4, (RAPPORT, W2, 2019): 6.9,
        (RAPPORT, W1, 2021): 7.5, (RAPPORT, W2, 2021): 7.0,
        (RAPPORT, W1, 2023): 7.7, (RAPPORT, GM, 2023): 7.4,
        (ONVEILIG, W1, 2019): 18.0, (ONVEILIG, W1, 2023): 16.0,
        ("leefomgeving.sociale_cohesie", "OWN1", 2021): 6.1,
        ("leefomgeving.pct_afval_op_straat", W2, 2021): 22.0,
    }  # fmt: skip
    for key, want in expected.items():
        assert facts.loc[key, "value"] == pytest.approx(want, abs=1e-3), key
        assert not facts.loc[key, "suppressed"], key


def test_fewer_than_50_respondents_is_not_published(enquete):
    _, facts, intervals = enquete
    for key in ((RAPPORT, W2, 2023), (ONVEILIG, W2, 2019)):
        row = facts.loc[key]
        assert pd.isna(row["value"]) and row["suppressed"], key
        assert row["suppression_reason"] == "te weinig respondenten"
        assert key not in intervals.index


def test_years_without_a_survey_are_niet_gemeten_never_zero(enquete):
    _, facts, _ = enquete
    for year in (2020, 2022):
        for area in (W1, W2):
            row = facts.loc[(RAPPORT, area, year)]
            assert pd.isna(row["value"]) and row["suppressed"]
            assert row["suppression_reason"] == "niet gemeten"
    # without configured years: not before the first survey nor after the last
    years = {y for (i, a, y) in facts.index if i == RAPPORT}
    assert years == {2019, 2020, 2021, 2022, 2023}


def test_the_bureau_interval_is_kept_where_delivered(enquete):
    _, _, intervals = enquete
    assert intervals.loc[(RAPPORT, W1, 2019)].tolist() == pytest.approx([7.2, 7.6])
    assert intervals.loc[(RAPPORT, W1, 2023)].tolist() == pytest.approx([7.5, 7.9])
    assert intervals.loc[("leefomgeving.sociale_cohesie", "OWN1", 2021)].tolist() == (
        pytest.approx([5.8, 6.4])
    )
    assert (RAPPORT, W2, 2019) not in intervals.index  # none delivered


def test_a_survey_file_of_another_year_is_rejected_whole(tmp_path):
    from sources.errors import UnreadableInput

    path = write_csv(
        tmp_path / "enquete_2023.csv",
        ENQUETE_HEADER,
        [[2023, W1, "RAPPORTCIJFER_WOONOMGEVING", "7", 100, None, None],
         [2022, W2, "RAPPORTCIJFER_WOONOMGEVING", "7", 100, None, None]],
    )  # fmt: skip
    with pytest.raises(UnreadableInput, match=r"enquete_2023.csv.*jaar wijkt af.*line 3"):
        split_delivery(read_delivery(path, "enquete"), GM)


def test_survey_results_have_their_own_disclosure_rule():
    catalogue = {i.id: i for i in load_catalogue()}
    for indicator in (RAPPORT, ONVEILIG, "leefomgeving.sociale_cohesie",
                      "leefomgeving.pct_afval_op_straat"):  # fmt: skip
        assert catalogue[indicator].disclosure == "enquete"
        assert catalogue[indicator].delivery_source == "enquete"
