"""The `indicator_assessment` view on a real warehouse written by the real writer, from
held-out facts whose changes, 95% intervals and verdicts are worked out by hand below."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from transforms.catalogue import indicator_frame, load_catalogue
from warehouse.build import WarehouseContent, write_warehouse

Z = 1.96
RATE = "werk.bijstand_per_1000"  # per 1 000, lager is beter: rate_ratio
SHARE = "werk.bijstand_langdurig_pct"  # %, lager is beter: proportie
INCOME = "financien.gem_inkomen_per_inwoner"  # CBS weighted, hoger is beter: geen_interval
NEUTRAL = "context.pct_65plus"  # neutraal
COUNT = "school.vsv"  # aantal, lager is beter


def _area(code: str, name: str, level: str, parent: str | None) -> dict:
    return {
        "area_code": code,
        "area_name": name,
        "area_level": level,
        "parent_code": parent,
        "gemeente_code": None if level == "land" else "GM9999",
        "geo_year": 2023,
        "first_year": 2020,
        "last_year": 2024,
        "has_statistics": True,
        "has_boundary": False,
        "members": None,
        "synthetic": True,
        "geometry_wkb": None,
        "geometry_crs": None,
    }


def _fact(ind, area, year, value, num=None, den=None, suppressed=False, partial=False, reason=None):
    return {
        "indicator_id": ind,
        "area_code": area,
        "period_year": year,
        "period_label": str(year),
        "value": None if suppressed else value,
        "numerator": None if suppressed else num,
        "denominator": None if suppressed else den,
        "suppressed": suppressed,
        "suppression_reason": reason if suppressed else None,
        "is_estimate": False,
        "partial": partial,
        "synthetic": True,
        "input_versions": ["test"],
        "run_id": "run-1",
    }


def _rate(area, year, events, population, **kw):
    return _fact(RATE, area, year, 1000 * events / population, events, population, **kw)


def _share(area, year, part, whole):
    return _fact(SHARE, area, year, 100 * part / whole, part, whole)


FACTS = [
    # Rates per 1 000. SMALL: 1 370 inwoners, 113 -> 100 events (noise); BIG: 400 -> 300 of
    # 10 000 (better); UP: 50 -> 90 of 5 000 (worse); GM9999: 1 000 -> 900 of 40 000.
    _rate("SMALL", 2020, 113, 1370),
    _rate("SMALL", 2022, 100, 1370),
    _rate("BIG", 2020, 400, 10000),
    _rate("BIG", 2022, 300, 10000),
    _rate("BIG", 2023, 250, 10000, partial=True),  # partial: never the latest year
    _rate("UP", 2020, 50, 5000),
    _rate("UP", 2022, 90, 5000),
    _rate("GM9999", 2020, 1000, 40000),
    _rate("GM9999", 2022, 900, 40000),
    _rate("ZERO", 2020, 12, 3000),
    _rate("ZERO", 2022, 0, 3000),
    # The latest year of SMALL is suppressed: 2022 stays its latest year.
    _fact(RATE, "SMALL", 2023, None, suppressed=True, reason="kleine aantallen"),
    # Share with a known base: 60 of 200 -> 40 of 200.
    _share("BIG", 2020, 60, 200),
    _share("BIG", 2022, 40, 200),
    _share("GM9999", 2020, 300, 1000),
    _share("GM9999", 2022, 250, 1000),
    # CBS average without counts: figures stop at 2023, 2024 not yet published.
    _fact(INCOME, "BIG", 2020, 30.0, None, 10000),
    _fact(INCOME, "BIG", 2023, 31.2, None, 10000),
    _fact(INCOME, "BIG", 2024, None, suppressed=True, reason="geen bron dit jaar"),
    _fact(INCOME, "GM9999", 2020, 32.0, None, 40000),
    _fact(INCOME, "GM9999", 2023, 32.5, None, 40000),
    # Neutral.
    _fact(NEUTRAL, "BIG", 2020, 20.0, 2000, 10000),
    _fact(NEUTRAL, "BIG", 2022, 25.0, 2500, 10000),
    # Suppressed in every year.
    _fact(COUNT, "SMALL", 2020, None, suppressed=True, reason="kleine aantallen"),
    _fact(COUNT, "SMALL", 2022, None, suppressed=True, reason="kleine aantallen"),
]


@pytest.fixture(scope="module")
def assessment(tmp_path_factory) -> pd.DataFrame:
    path: Path = tmp_path_factory.mktemp("assessment") / "warehouse.duckdb"
    dim_indicator = indicator_frame(load_catalogue())
    dim_indicator["available"] = True
    areas = pd.DataFrame(
        [
            _area("NL00", "Nederland", "land", None),
            _area("GM9999", "Testgemeente", "gemeente", "NL00"),
            _area("SMALL", "Klein", "focus", "GM9999"),
            _area("BIG", "Groot", "programme", "GM9999"),
            _area("UP", "Stijgend", "focus", "GM9999"),
            _area("ZERO", "Nul", "focus", "GM9999"),
        ]
    )
    content = WarehouseContent(
        config={
            "gemeente": "GM9999",
            "gemeente_name": "Testgemeente",
            "baseline_year": 2020,
            "years": [2020, 2021, 2022, 2023, 2024],
            "min_count": 10,
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
        dim_target=pd.DataFrame(),
        facts=pd.DataFrame(FACTS),
        meta_input=pd.DataFrame(),
        meta_check=pd.DataFrame(),
        coverage=pd.DataFrame(),
    )
    write_warehouse(path, content)
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT * FROM indicator_assessment").df()


def row(frame: pd.DataFrame, indicator: str, area: str) -> pd.Series:
    (hit,) = frame[(frame["indicator_id"] == indicator) & (frame["area_code"] == area)].index
    return frame.loc[hit]


def rate_interval(v0: float, v1: float, x0: int, x1: int) -> tuple[float, float]:
    se = math.sqrt(1 / x1 + 1 / x0)
    lrr = math.log(v1 / v0)
    return v0 * (math.exp(lrr - Z * se) - 1), v0 * (math.exp(lrr + Z * se) - 1)


def test_a_small_area_whose_change_is_within_noise_is_no_clear_change(assessment):
    r = row(assessment, RATE, "SMALL")
    v0, v1 = 1000 * 113 / 1370, 1000 * 100 / 1370  # 82.48 -> 72.99 per 1 000
    assert r["latest_year"] == 2022  # 2023 is suppressed
    assert r["change"] == pytest.approx(v1 - v0, abs=1e-9)
    # ln(100/113) = -0.122, se = sqrt(1/100 + 1/113) = 0.137: the interval holds 0.
    low, high = rate_interval(v0, v1, 113, 100)
    assert low < 0 < high
    assert r["change_low"] == pytest.approx(low, abs=1e-6)
    assert r["change_high"] == pytest.approx(high, abs=1e-6)
    assert r["method"] == "rate_ratio"
    assert r["verdict"] == "geen duidelijke verandering"


def test_rates_from_large_counts_are_better_or_worse(assessment):
    big = row(assessment, RATE, "BIG")
    # 40 -> 30 per 1 000; the partial 2023 (25) is never the latest year.
    assert (big["baseline_value"], big["latest_year"], big["latest_value"]) == (40, 2022, 30)
    low, high = rate_interval(40, 30, 400, 300)
    assert high < 0
    assert (big["change_low"], big["change_high"]) == (
        pytest.approx(low, abs=1e-6),
        pytest.approx(high, abs=1e-6),
    )
    assert big["verdict"] == "beter"
    # Relative to the gemeente over the same years: (30 - 40) - (22.5 - 25) = -7.5.
    assert big["gemeente_change"] == pytest.approx(-2.5)
    assert big["change_vs_gemeente"] == pytest.approx(-7.5)
    # In percent of the own baseline: -25% against -10%.
    assert big["change_pct_vs_gemeente"] == pytest.approx(-15.0)
    up = row(assessment, RATE, "UP")
    low, high = rate_interval(10, 18, 50, 90)
    assert low > 0
    assert up["change_low"] == pytest.approx(low, abs=1e-6)
    assert up["change_high"] == pytest.approx(high, abs=1e-6)
    assert up["verdict"] == "slechter"


def test_a_share_with_a_known_base_uses_the_difference_of_proportions(assessment):
    r = row(assessment, SHARE, "BIG")
    # 30% -> 20% of 200: se = sqrt(.2 * .8 / 200 + .3 * .7 / 200) = 0.04301; x 1.96 x 100.
    half = Z * 100 * math.sqrt(0.2 * 0.8 / 200 + 0.3 * 0.7 / 200)
    assert r["change"] == pytest.approx(-10.0)
    assert r["change_low"] == pytest.approx(-10.0 - half, abs=1e-6)
    assert r["change_high"] == pytest.approx(-10.0 + half, abs=1e-6)
    assert -10.0 + half == pytest.approx(-1.570, abs=1e-3)  # entirely below 0
    assert r["method"] == "proportie"
    assert r["verdict"] == "beter"
    # The gemeente: 30% -> 25% of 1 000: half-width 1.96 * 100 * sqrt(.25*.75/1000 + .3*.7/1000).
    g = row(assessment, SHARE, "GM9999")
    g_half = Z * 100 * math.sqrt(0.25 * 0.75 / 1000 + 0.3 * 0.7 / 1000)
    assert g["change_high"] == pytest.approx(-5.0 + g_half, abs=1e-6)
    assert g["verdict"] == "beter"


def test_a_cbs_average_without_counts_is_judged_on_its_own_latest_year(assessment):
    r = row(assessment, INCOME, "BIG")
    # 2024 is not published yet: compared on 2023, 30.0 -> 31.2, higher is better.
    assert r["latest_year"] == 2023
    assert r["change"] == pytest.approx(1.2)
    assert math.isnan(r["change_low"]) and math.isnan(r["change_high"])
    assert r["method"] == "geen_interval"
    assert r["verdict"] == "beter"
    assert "alleen de verandering" in r["note"]
    assert r["change_vs_gemeente"] == pytest.approx(1.2 - 0.5)


def test_neutral_missing_and_zero_counts(assessment):
    assert row(assessment, NEUTRAL, "BIG")["verdict"] == "geen oordeel (neutraal)"
    vsv = row(assessment, COUNT, "SMALL")
    assert vsv["verdict"] == "te weinig gegevens"
    assert vsv["note"] == "basisjaar onderdrukt of onvolledig"
    zero = row(assessment, RATE, "ZERO")
    assert zero["verdict"] == "te weinig gegevens" and zero["note"].startswith("teller 0")
    # The gemeente: 25 -> 22.5 per 1 000 from 1 000 -> 900 events; ln(0.9) = -0.105 and
    # 1.96 x sqrt(1/900 + 1/1000) = 0.090, so the whole interval is below 0.
    gm = row(assessment, RATE, "GM9999")
    low, high = rate_interval(25, 22.5, 1000, 900)
    assert high == pytest.approx(25 * (math.exp(-0.10536 + 0.09006) - 1), abs=1e-3)
    assert gm["change_high"] == pytest.approx(high, abs=1e-6) and gm["verdict"] == "beter"
    # No rows for indicator x area pairs without any fact.
    assert assessment[assessment["area_code"] == "NL00"].empty


def test_the_method_of_every_indicator_is_in_the_catalogue_frame():
    frame = indicator_frame(load_catalogue()).set_index("indicator_id")["assessment_method"]
    assert frame[INCOME] == "geen_interval"
    assert frame["leefomgeving.gem_woz"] == "geen_interval"
    assert frame[SHARE] == "proportie" and frame["context.pct_0_15"] == "proportie"
    assert frame[RATE] == "rate_ratio" and frame["veiligheid.misdrijven_per_1000"] == "rate_ratio"
    assert frame[COUNT] == "rate_ratio"
