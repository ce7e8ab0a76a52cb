"""Indicator arithmetic on small hand-made tables: published CBS areas, own areas summed from
parts, suppression reasons."""

from __future__ import annotations

import pandas as pd
import pytest

from transforms.catalogue import load_catalogue
from transforms.indicators import cbs_indicator_facts


def combined(
    values: dict[tuple[int, str], dict[str, float | None]],
    absent: dict[int, set[str]] | None = None,
):
    stems = {s for v in values.values() for s in v}
    absent = absent or {}
    years = {y for y, _ in values}
    return {
        "values": pd.DataFrame(
            [(y, a, s, v) for (y, a), vs in values.items() for s, v in vs.items()],
            columns=["period_year", "area_code", "stem", "value"],
        ),
        "present": pd.DataFrame(
            [(y, s) for y in years for s in stems if s not in absent.get(y, set())],
            columns=["period_year", "stem"],
        ),
        "areas": pd.DataFrame([(y, a) for y, a in values], columns=["period_year", "area_code"]),
    }


MEMBERS = pd.DataFrame({"area_code": ["F", "F"], "member_code": ["BU00010001", "BU00010002"]})


def facts(data, members=MEMBERS, absent=None):
    df = cbs_indicator_facts(combined(data, absent), members, load_catalogue()).to_pandas()
    return df.set_index(["indicator_id", "area_code", "period_year"])


def test_ratio_for_a_cbs_area_and_summed_for_an_own_area():
    data = {
        (2020, "BU00010001"): {"AantalInwoners": 1000, "k_0Tot15Jaar": 150},
        (2020, "BU00010002"): {"AantalInwoners": 500, "k_0Tot15Jaar": 100},
    }
    f = facts(data)
    assert f.loc[("context.pct_0_15", "BU00010001", 2020), "value"] == pytest.approx(15.0)
    # (150 + 100) / (1000 + 500), not the mean of 15% and 20%
    own = f.loc[("context.pct_0_15", "F", 2020)]
    assert own["value"] == pytest.approx(250 / 1500 * 100)
    assert (own["numerator"], own["denominator"]) == (250, 1500)
    assert not own["is_estimate"]


def test_weighted_cbs_figure_for_an_own_area_is_an_estimate():
    data = {
        (2020, "BU00010001"): {"GemiddeldeWoningwaarde": 200, "Woningvoorraad": 300},
        (2020, "BU00010002"): {"GemiddeldeWoningwaarde": 400, "Woningvoorraad": 100},
    }
    own = facts(data).loc[("leefomgeving.gem_woz", "F", 2020)]
    assert own["value"] == pytest.approx((200 * 300 + 400 * 100) / 400)  # 250, not 300
    assert own["is_estimate"]


def test_a_secret_part_makes_the_own_area_secret():
    data = {
        (2020, "BU00010001"): {
            "AantalInwoners": 1000,
            "PersonenPerSoortUitkeringWW": None,
            "k_15Tot25Jaar": 100,
            "k_25Tot45Jaar": 200,
            "k_45Tot65Jaar": 300,
        },
        (2020, "BU00010002"): {
            "AantalInwoners": 500,
            "PersonenPerSoortUitkeringWW": 20,
            "k_15Tot25Jaar": 50,
            "k_25Tot45Jaar": 100,
            "k_45Tot65Jaar": 150,
        },
    }
    f = facts(data)
    assert tuple(f.loc[("werk.ww_per_1000", "F", 2020), ["suppressed", "suppression_reason"]]) == (
        True,
        "bron geheim",
    )
    assert f.loc[("werk.ww_per_1000", "BU00010002", 2020), "value"] == pytest.approx(
        20 / 300 * 1000
    )


def test_a_variable_absent_from_the_year_is_no_source_this_year():
    data = {
        (2023, "BU00010001"): {"AantalInwoners": 1000, "GemiddeldInkomenPerInwoner": 30.0},
        (2024, "BU00010001"): {"AantalInwoners": 1010},
        (2023, "BU00010002"): {"AantalInwoners": 10, "GemiddeldInkomenPerInwoner": 31.0},
        (2024, "BU00010002"): {"AantalInwoners": 12},
    }
    f = facts(data, absent={2024: {"GemiddeldInkomenPerInwoner"}})
    row = f.loc[("financien.gem_inkomen_per_inwoner", "BU00010001", 2024)]
    assert (row["suppressed"], row["suppression_reason"]) == (True, "geen bron dit jaar")
    assert f.loc[("financien.gem_inkomen_per_inwoner", "F", 2023), "value"] == pytest.approx(
        (30 * 1000 + 31 * 10) / 1010
    )


def test_a_part_missing_from_the_year_and_a_zero_denominator():
    data = {
        (2020, "BU00010001"): {"AantalInwoners": 0, "k_65JaarOfOuder": 0},
        (2020, "BU00010002"): {"AantalInwoners": 40, "k_65JaarOfOuder": 10},
        (2021, "BU00010001"): {"AantalInwoners": 5, "k_65JaarOfOuder": 1},
    }
    f = facts(data)
    zero = f.loc[("context.pct_65plus", "BU00010001", 2020)]
    assert zero["suppressed"] and zero["suppression_reason"] == "niet te berekenen (noemer 0)"
    assert f.loc[("context.pct_65plus", "F", 2020), "value"] == pytest.approx(25.0)
    gone = f.loc[("context.inwoners", "F", 2021)]
    assert (gone["suppressed"], gone["suppression_reason"]) == (True, "geen bron dit jaar")
