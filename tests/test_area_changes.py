"""Areas per year and harmonised series, on the REAL CBS wijk boundaries of GM1916: 2016 (12
wijken) and 2023 (13 wijken: WK191609 Voorburg Midden was split, WK191613 Voorburg Oud is
new). Figures are written here, per year on that year's own areas."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from transforms.area_changes import (
    BY_ADDRESS,
    BY_AREA,
    harmonisation,
    harmonise_facts,
    series_breaks,
)
from transforms.catalogue import load_catalogue

# The real CBS files of the project's shared folder, beside the repository (as in CI).
CBS = str(Path(__file__).resolve().parents[2] / "shared" / "data" / "cbs")
COUNT, RATIO, WEIGHTED = "context.inwoners", "context.pct_0_15", "leefomgeving.gem_woz"


@pytest.fixture(scope="module")
def wijken(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cbs")
    for name in ("wijk_2016_haaglanden.geojson", "wijk_2023_haaglanden.geojson"):
        shutil.copyfile(f"{CBS}/{name}", folder / name)
    old = gpd.read_file(folder / "wijk_2016_haaglanden.geojson")  # RD New, WKC
    new = gpd.read_file(folder / "wijk_2023_haaglanden.geojson").to_crs(28992)  # WGS84, WK_CODE
    old = old[old["WKC"].str.startswith("WK1916")]
    new = new[new["WK_CODE"].str.startswith("WK1916")]
    return {
        2016: dict(zip(old["WKC"], old.geometry, strict=True)),
        2023: dict(zip(new["WK_CODE"], new.geometry, strict=True)),
    }


def boundaries(wijken) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (year, "wijk", code, geom)
            for year, shapes in wijken.items()
            for code, geom in shapes.items()
        ],
        columns=["geo_year", "area_level", "area_code", "geometry"],
    )


def fact(ind, code, year, value, num=None, den=None, suppressed=False, reason=None):
    return {
        "indicator_id": ind,
        "area_code": code,
        "period_year": year,
        "value": value,
        "numerator": num,
        "denominator": den,
        "suppressed": suppressed,
        "suppression_reason": reason,
        "is_estimate": False,
        "partial": False,
        "input_versions": [f"T{year}"],
    }


def published(wijken) -> pd.DataFrame:
    """Figures of each year on its own wijken: inhabitants, % 0-15 (ratio), mean WOZ
    (weighted by dwellings); plus an own area of the two Voorburg wijken, which 2016 cannot
    give (WK191613 did not exist)."""
    rows = []
    for year, shapes in wijken.items():
        for i, code in enumerate(sorted(shapes)):
            inw = 1000.0 + 137 * i + (year - 2016)
            young = 100.0 + 11 * i
            rows += [
                fact(COUNT, code, year, inw, num=inw),
                fact(RATIO, code, year, young / inw * 100, num=young, den=inw),
                fact(WEIGHTED, code, year, 200.0 + 7 * i, den=400.0 + 3 * i),
            ]
        rows.append(fact(COUNT, "GM1916", year, 9999.0, num=9999.0))
    rows.append(fact(COUNT, "VB", 2016, None, suppressed=True, reason="geen bron dit jaar"))
    rows.append(fact(COUNT, "VB", 2023, 2000.0, num=2000.0))
    return pd.DataFrame(rows)


OWN = pd.DataFrame({"area_code": ["VB", "VB"], "member_code": ["WK191609", "WK191613"]})
NO_BREAKS = pd.DataFrame(columns=["period_year", "area_code", "series_break"])


@pytest.fixture(scope="module")
def harmonised(wijken):
    harm = harmonisation(boundaries(wijken), reference_year=2023)
    facts = published(wijken)
    out = harmonise_facts(facts, harm, NO_BREAKS, load_catalogue(), OWN)
    return harm, facts, out.set_index(["indicator_id", "area_code", "period_year"])


def test_the_split_of_wk191609_is_found(harmonised):
    harm, _, _ = harmonised
    changes = harm.area_change
    split = changes[(changes["from_code"] == "WK191609") & (changes["from_year"] == 2016)]
    assert set(split["to_code"]) == {"WK191609", "WK191613"}
    assert set(split["change_type"]) == {"gesplitst"}
    assert set(split["method"]) == {BY_AREA}
    new = changes[changes["change_type"] == "nieuw"]
    assert list(new["to_code"]) == ["WK191613"]
    # Every other wijk is unchanged despite the two files' different generalisation.
    changed_codes = set(changes["from_code"].dropna()) | set(changes["to_code"].dropna())
    assert changed_codes == {"WK191609", "WK191613"}


def test_restated_counts_of_the_split_add_up_to_the_published_old_count(wijken, harmonised):
    _, facts, out = harmonised
    old = facts.set_index(["indicator_id", "area_code", "period_year"])
    for ind, col in ((COUNT, "numerator"), (RATIO, "numerator"), (RATIO, "denominator")):
        restated = out.loc[(ind, "WK191609", 2016), col] + out.loc[(ind, "WK191613", 2016), col]
        assert restated == pytest.approx(old.loc[(ind, "WK191609", 2016), col], abs=1e-6)
    # The share follows the real boundaries: worked out here with shapely, to 1% (the method
    # drops the generalisation slivers before normalising).
    before = wijken[2016]["WK191609"]
    share = shapely.intersection(before, wijken[2023]["WK191613"]).area / before.area
    expected = old.loc[(COUNT, "WK191609", 2016), "numerator"] * share
    assert out.loc[(COUNT, "WK191613", 2016), "value"] == pytest.approx(expected, rel=0.01)
    # A rate is recomputed from the restated parts; a weighted average keeps its level when
    # it comes from one old area.
    r = out.loc[(RATIO, "WK191613", 2016)]
    assert r["value"] == pytest.approx(r["numerator"] / r["denominator"] * 100)
    assert out.loc[(WEIGHTED, "WK191613", 2016), "value"] == pytest.approx(
        old.loc[(WEIGHTED, "WK191609", 2016), "value"]
    )
    for code in ("WK191609", "WK191613"):
        row = out.loc[(COUNT, code, 2016)]
        assert bool(row["is_estimate"]) and row["estimate_method"] == BY_AREA


def test_unchanged_wijken_keep_their_published_figures_exactly(wijken, harmonised):
    _, facts, out = harmonised
    old = facts.set_index(["indicator_id", "area_code", "period_year"])
    unchanged = sorted(set(wijken[2016]) - {"WK191609"})
    assert len(unchanged) == 11
    for ind in (COUNT, RATIO, WEIGHTED):
        for code in unchanged:
            a, b = out.loc[(ind, code, 2016)], old.loc[(ind, code, 2016)]
            for col in ("value", "numerator", "denominator"):
                assert (pd.isna(a[col]) and pd.isna(b[col])) or a[col] == b[col]
            assert not a["is_estimate"] and pd.isna(a["estimate_method"])
    # the reference year and the gemeente are untouched
    assert (
        out.loc[(COUNT, "WK191613", 2023), "value"] == old.loc[(COUNT, "WK191613", 2023), "value"]
    )
    assert out.loc[(COUNT, "GM1916", 2016), "value"] == 9999.0


def test_an_own_area_on_the_reference_geography_gets_its_earlier_years(harmonised):
    _, facts, out = harmonised
    old = facts.set_index(["indicator_id", "area_code", "period_year"])
    vb = out.loc[(COUNT, "VB", 2016)]
    # VB = the new WK191609 + WK191613 = the old WK191609.
    assert not vb["suppressed"]
    assert vb["value"] == pytest.approx(old.loc[(COUNT, "WK191609", 2016), "value"], abs=1e-6)
    assert vb["is_estimate"]
    # the old code WK191609 of 2016 no longer appears as such: only reference areas remain
    assert set(out.xs(2016, level="period_year").index.get_level_values("area_code")) == (
        set(facts.loc[facts["period_year"] == 2023, "area_code"])
    )


MEDIAN = "leefomgeving.doorlooptijd_mediaan_dagen"
SURVEY = "leefomgeving.rapportcijfer_woonomgeving"


def test_a_median_and_a_survey_result_are_never_restated_onto_changed_areas(wijken):
    """A median of the old Voorburg Midden says nothing about the median of either part, nor
    does its survey mark: both parts get no value in 2016; unchanged wijken keep theirs, an
    own area's survey result stays as delivered, an own area's median over the split is not
    restated."""
    harm = harmonisation(boundaries(wijken), reference_year=2023)
    rows = []
    for year, shapes in wijken.items():
        for i, code in enumerate(sorted(shapes)):
            rows.append(fact(MEDIAN, code, year, 5.0 + i, num=40.0 + i))
            rows.append(fact(SURVEY, code, year, 7.0 + i / 10))
    rows += [
        fact(SURVEY, "VB", 2016, 7.3),  # the bureau's own result for the own area
        fact(MEDIAN, "VB", 2016, 6.0, num=80.0),
        fact(MEDIAN, "VB", 2023, 6.5, num=90.0),
    ]
    out = harmonise_facts(pd.DataFrame(rows), harm, NO_BREAKS, load_catalogue(), OWN).set_index(
        ["indicator_id", "area_code", "period_year"]
    )
    for ind in (MEDIAN, SURVEY):
        for code in ("WK191609", "WK191613"):
            row = out.loc[(ind, code, 2016)]
            assert pd.isna(row["value"]) and bool(row["suppressed"])
            assert row["suppression_reason"] == "niet te herberekenen (grens gewijzigd)"
            assert pd.isna(row["numerator"])
        # an unchanged wijk (the first in code order: i = 0) keeps its published figure
        first = sorted(wijken[2016])[0]
        assert out.loc[(ind, first, 2016), "value"] == (5.0 if ind == MEDIAN else 7.0)
        assert not out.loc[(ind, first, 2016), "suppressed"]
        # the reference year keeps its own figures on both parts
        i13 = sorted(wijken[2023]).index("WK191613")
        assert out.loc[(ind, "WK191613", 2023), "value"] == pytest.approx(
            5.0 + i13 if ind == MEDIAN else 7.0 + i13 / 10
        )
    assert out.loc[(SURVEY, "VB", 2016), "value"] == 7.3
    vb = out.loc[(MEDIAN, "VB", 2016)]
    assert pd.isna(vb["value"]) and vb["suppression_reason"] == (
        "niet te herberekenen (grens gewijzigd)"
    )
    assert out.loc[(MEDIAN, "VB", 2023), "value"] == 6.5


def test_address_flows_give_the_weights_where_both_crosswalks_are_present(wijken):
    # 40 addresses in the old WK191609: 30 stay in WK191609, 10 go to WK191613.
    rows = []
    for n in range(40):
        new_wijk = "WK191609" if n < 30 else "WK191613"
        rows.append((2016, "2271AA", n + 1, "BU19160901", "WK191609"))
        rows.append((2023, "2271AA", n + 1, "BU19160901", new_wijk))
    cw = pd.DataFrame(rows, columns=["year", "postcode", "huisnummer", "buurt_code", "wijk_code"])
    harm = harmonisation(boundaries(wijken), 2023, crosswalks=cw)
    facts = published(wijken)
    out = harmonise_facts(facts, harm, NO_BREAKS, load_catalogue(), OWN).set_index(
        ["indicator_id", "area_code", "period_year"]
    )
    old = facts.set_index(["indicator_id", "area_code", "period_year"]).loc[
        (COUNT, "WK191609", 2016), "value"
    ]
    assert out.loc[(COUNT, "WK191609", 2016), "value"] == pytest.approx(old * 30 / 40)
    assert out.loc[(COUNT, "WK191613", 2016), "value"] == pytest.approx(old * 10 / 40)
    assert out.loc[(COUNT, "WK191613", 2016), "estimate_method"] == BY_ADDRESS
    split = harm.area_change[harm.area_change["change_type"] == "gesplitst"]
    assert split.set_index("to_code")["share_of_from"].to_dict() == pytest.approx(
        {"WK191609": 0.75, "WK191613": 0.25}
    )


def test_a_year_without_boundaries_is_a_series_break_unless_cbs_vouches(wijken):
    # 2020 has statistics but no boundaries. CBS flags: WK191601 unchanged in 2021-2023,
    # WK191609 changed in 2022 ("3").
    stats = pd.DataFrame(
        [
            (y, code, "wijk", "3" if (code == "WK191609" and y == 2022) else "1")
            for y in (2020, 2021, 2022, 2023)
            for code in ("WK191601", "WK191609")
        ],
        columns=["period_year", "area_code", "area_level", "change_flag"],
    )
    breaks = series_breaks(stats, 2023, {"wijk": [], "buurt": []}).set_index(
        ["period_year", "area_code"]
    )["series_break"]
    assert not breaks[(2020, "WK191601")]
    assert breaks[(2020, "WK191609")] and breaks[(2021, "WK191609")]
    assert not breaks[(2022, "WK191609")]  # 2023 says "1": same place as in 2022
    facts = pd.DataFrame(
        [fact(COUNT, c, y, 1.0, num=1.0) for y in (2020, 2023) for c in ("WK191601", "WK191609")]
    )
    harm = harmonisation(boundaries({2023: wijken[2023]}), 2023)
    out = harmonise_facts(facts, harm, breaks.reset_index(), load_catalogue(), OWN)
    flags = out.set_index(["area_code", "period_year"])["series_break"]
    assert flags[("WK191609", 2020)] and not flags[("WK191601", 2020)]
    assert not flags[("WK191609", 2023)]


# --- end to end: the demo build -------------------------------------------------------------


def test_the_demo_build_finds_and_harmonises_the_voorburg_split(demo_build):
    import duckdb

    _, warehouse = demo_build
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        split = con.execute(
            "SELECT to_code, method FROM area_change WHERE from_year = 2021 AND to_year = 2022 "
            "AND from_code = 'WK191609' AND change_type = 'gesplitst' ORDER BY to_code"
        ).fetchall()
        assert split == [("WK191609", BY_ADDRESS), ("WK191613", BY_ADDRESS)]
        # the years before the split know one Voorburg Midden, the later ones two wijken
        wijken = dict(
            con.execute(
                "SELECT geo_year, count(*) FROM dim_area_year WHERE area_level = 'wijk' GROUP BY 1"
            ).fetchall()
        )
        assert wijken == {2019: 12, 2020: 12, 2021: 12, 2022: 13, 2023: 13, 2024: 13}
        # restated 2020 inhabitants of the two wijken add up to the published old wijk
        published = con.execute(
            "SELECT value FROM fact_indicator_as_published WHERE indicator_id = ? "
            "AND area_code = 'WK191609' AND period_year = 2020",
            [COUNT],
        ).fetchone()[0]
        restated = con.execute(
            "SELECT sum(value), bool_and(is_estimate), min(estimate_method) FROM fact_indicator "
            "WHERE indicator_id = ? AND area_code IN ('WK191609', 'WK191613') "
            "AND period_year = 2020",
            [COUNT],
        ).fetchone()
        assert restated[0] == pytest.approx(published, abs=1e-6)
        assert restated[1:] == (True, BY_ADDRESS)
        # an unchanged wijk carries its published figure exactly
        same = con.execute(
            "SELECT h.value = p.value AND NOT h.is_estimate FROM fact_indicator h "
            "JOIN fact_indicator_as_published p USING (indicator_id, area_code, period_year) "
            "WHERE indicator_id = ? AND area_code = 'WK191602' AND period_year = 2020",
            [COUNT],
        ).fetchone()[0]
        assert same
        # no change since the baseline (2020) compares the old WK191609 with the new one:
        # the baseline of WK191609 in the indicators view is the RESTATED 2020 figure.
        base, change, latest = con.execute(
            "SELECT baseline_value, change_since_baseline, value FROM indicators "
            "WHERE indicator_id = ? AND area_code = 'WK191609' AND period_year = 2024",
            [COUNT],
        ).fetchone()
        assert base < 0.8 * published
        assert change == pytest.approx(latest - base)
        assert con.execute("SELECT reference_year FROM meta_config").fetchone()[0] == 2024
    finally:
        con.close()
