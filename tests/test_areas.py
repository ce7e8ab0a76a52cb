"""The area model: coverage gaps are kept and reported, own areas from codes or a polygon
(a real geopandas join), parents and levels."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd
import pytest
from shapely import wkb

from sources.config import load_config
from sources.kaart import read_kaart_folder
from tests.conftest import DEMO_LANDING, write_demo_config
from transforms.areas import AreaError, build_area_model

YEAR = 2023


@pytest.fixture(scope="module")
def kaart():
    return {YEAR: read_kaart_folder(DEMO_LANDING / "cbs_kaart" / str(YEAR))}


def stat_areas_from(kaart, drop=(), extra=()):
    rows = [
        (YEAR, code, layer.level, name)
        for layer in kaart[YEAR]
        for code, name in zip(layer.frame["area_code"], layer.frame["area_name"], strict=True)
        if code not in drop
    ]
    rows += [(YEAR, code, "buurt", None) for code in extra]
    rows.append((YEAR, "NL00", "land", "Nederland"))
    return pd.DataFrame(rows, columns=["period_year", "area_code", "area_level", "area_name"])


def test_gaps_between_statistics_and_boundaries_are_kept_and_reported(tmp_path, kaart):
    cfg = load_config(write_demo_config(tmp_path))
    stats = stat_areas_from(kaart, drop={"BU19160303"}, extra={"BU19169901"})
    model = build_area_model(cfg, stats, kaart, synthetic=True)
    dim = model.dim_area.set_index("area_code")
    assert (dim.loc["BU19160303", "has_statistics"], dim.loc["BU19160303", "has_boundary"]) == (
        False,
        True,
    )
    assert (dim.loc["BU19169901", "has_statistics"], dim.loc["BU19169901", "has_boundary"]) == (
        True,
        False,
    )
    assert dim.loc["BU19169901", "parent_code"] == "WK191699"
    gaps = model.coverage.set_index("area_code")
    assert set(gaps.index) == {"BU19160303", "BU19169901"}
    assert bool(gaps.loc["BU19160303", "in_statistics"]) is False
    assert bool(gaps.loc["BU19169901", "has_boundary"]) is False


def test_levels_and_parents(tmp_path, kaart):
    cfg = load_config(write_demo_config(tmp_path))
    model = build_area_model(cfg, stat_areas_from(kaart), kaart, synthetic=True)
    dim = model.dim_area.set_index("area_code")
    assert dim.loc["BU19160201", "parent_code"] == "WK191602"
    assert dim.loc["WK191602", "parent_code"] == "GM1916"
    assert dim.loc["GM1916", "parent_code"] == "NL00"
    assert dim.loc["LN", "area_level"] == "programme" and dim.loc["LN", "parent_code"] == "GM1916"
    # Prinsenhof hoogbouw lies within the programme area.
    assert dim.loc["PH", "parent_code"] == "LN"
    # The programme area's outline is the union of its three wijken.
    wijken = [wkb.loads(dim.loc[c, "geometry_wkb"]) for c in ("WK191602", "WK191603", "WK191606")]
    ln = wkb.loads(dim.loc["LN", "geometry_wkb"])
    assert ln.area == pytest.approx(sum(w.area for w in wijken), rel=1e-6)


def test_focus_area_from_a_polygon_takes_the_buurten_inside_it(tmp_path, kaart):
    buurten = next(layer for layer in kaart[YEAR] if layer.level == "buurt").frame
    target = buurten.set_index("area_code").loc[["BU19160201", "BU19160202"]]
    # A polygon of the municipality's own, in WGS84: the two buurten, shrunk a little so that
    # it does not touch a neighbour.
    shape = gpd.GeoSeries([target.geometry.union_all().buffer(-5)], crs="EPSG:28992").to_crs(4326)
    poly = tmp_path / "areas" / "ph.geojson"
    poly.parent.mkdir()
    gpd.GeoDataFrame(geometry=shape).to_file(poly, driver="GeoJSON")
    cfg_path = write_demo_config(
        tmp_path,
        **{'areas = ["BU19160201", "BU19160202"]': 'polygon = "areas/ph.geojson"'},
    )
    cfg = load_config(cfg_path)
    model = build_area_model(cfg, stat_areas_from(kaart), kaart, synthetic=True)
    members = model.own_members.query("area_code == 'PH'")["member_code"].tolist()
    assert members == ["BU19160201", "BU19160202"]


def test_a_polygon_with_no_buurt_in_it_is_an_error(tmp_path, kaart):
    far = gpd.GeoSeries.from_wkt(["POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))"], crs="EPSG:28992")
    poly = tmp_path / "sea.geojson"
    gpd.GeoDataFrame(geometry=far).to_file(poly, driver="GeoJSON")
    cfg = load_config(write_demo_config(tmp_path))
    cfg = dataclasses.replace(
        cfg, focus_areas=(dataclasses.replace(cfg.focus_areas[0], areas=(), polygon=poly),)
    )
    with pytest.raises(AreaError, match="contains no buurt"):
        build_area_model(cfg, stat_areas_from(kaart), kaart, synthetic=True)
