"""Address/point -> buurt on hand-made squares in RD New: a real geopandas join, a real DuckDB
lookup, expected buurten worked out from the drawings below."""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from sources.kaart import KaartLayer
from transforms.geocode import (
    REASON_ADDRESS_OUTSIDE,
    REASON_NO_BOUNDARIES,
    REASON_NOT_RD,
    REASON_NOTHING,
    REASON_POINT_OUTSIDE,
    REASON_UNKNOWN_BUURTCODE,
    buurt_polygons,
    crosswalk_frame,
    nearest_years,
    place,
)

GM = "GM1916"

# 2022:  BU19160101 (west)  x 100000-100100, y 400000-400100
#        BU19160102 (east)  x 100100-100200  (shared border at x = 100100)
#        BU19160201         a 2 m square around the Amersfoort origin (155000, 463000)
#        BU05180001         x 100200-100300: another gemeente, must be left out
# 2024:  BU19160101 unchanged; the east square is now BU19160103 (a new code)
WEST = box(100000, 400000, 100100, 400100)
EAST = box(100100, 400000, 100200, 400100)
ORIGIN = box(154999, 462999, 155001, 463001)
ELSEWHERE = box(100200, 400000, 100300, 400100)


def layer(rows: list[tuple[str, object]], crs: str = "EPSG:28992") -> KaartLayer:
    codes = [c for c, _ in rows]
    frame = gpd.GeoDataFrame(
        {
            "area_code": codes,
            "level": "buurt",
            "wijk_code": ["WK" + c[2:8] for c in codes],
        },
        geometry=[g for _, g in rows],
        crs=crs,
    )
    return KaartLayer(path=Path("buurt.gpkg"), layer="buurten", level="buurt", frame=frame)


@pytest.fixture(scope="module")
def polygons():
    return buurt_polygons(
        {
            2022: [
                layer(
                    [
                        ("BU19160101", WEST),
                        ("BU19160102", EAST),
                        ("BU19160201", ORIGIN),
                        ("BU05180001", ELSEWHERE),
                    ]
                )
            ],
            2024: [layer([("BU19160101", WEST), ("BU19160103", EAST)])],
        },
        GM,
    )


def rows(records: list[dict]) -> pd.DataFrame:
    """Accepted rows as the contract types them; `line` counts from 2 (line 1 = header)."""
    cols = {
        "year": "Int64",
        "client_id": "string",
        "postcode": "string",
        "huisnummer": "Int64",
        "x": "Float64",
        "y": "Float64",
        "lat": "Float64",
        "lon": "Float64",
        "buurtcode": "string",
    }
    data = {
        "file": pd.array(["uitkeringen_2023-12.csv"] * len(records), dtype="string"),
        "line": np.arange(2, len(records) + 2, dtype="int64"),
    }
    for col, dtype in cols.items():
        data[col] = pd.array([r.get(col) for r in records], dtype=dtype)
    return pd.DataFrame(data)


def crosswalk() -> pd.DataFrame:
    pc6 = pd.DataFrame(
        {
            "file": "pc6.csv",
            "line": [2, 3, 4, 5, 6, 7],
            "period": ["2021", "2023", "2023", "2023", "2023", "2023"],
            "year": [2021, 2023, 2023, 2023, 2023, 2023],
            "postcode": pd.array(
                ["2262AB", "2262AB", "2511CV", "2262AC", "2262AC", "2262AD"], dtype="string"
            ),
            "huisnummer": pd.array([10, 10, 1, 5, 5, 7], dtype="Int64"),
            "buurt_code": pd.array(
                [
                    "BU19160101",
                    "BU19160102",
                    "BU05180001",
                    "BU19160102",
                    "BU19160101",
                    "BU19160101",
                ],
                dtype="string",
            ),
            "wijk_code": pd.array(
                ["WK191601", "WK191601", "WK051800", "WK191601", "WK191601", "WK191601"],
                dtype="string",
            ),
            "gemeente_code": "GM1916",
        }
    )
    return crosswalk_frame(pc6)


def by_line(placement) -> dict[int, tuple]:
    out = {
        int(r.line): (r.buurt_code, r.placed_by, int(r.geo_year))
        for r in placement.placed.itertuples()
    }
    out.update({int(r.line): ("Q", r.reason) for r in placement.quarantine.itertuples()})
    return out


def test_buurt_polygons_keep_the_gemeente_and_merge_parts():
    land = box(0, 0, 10, 10)
    water = box(10, 0, 20, 10)
    p = buurt_polygons(
        {2020: [layer([("BU19160101", land), ("BU19160101", water), ("BU05180001", land)])]}, GM
    )
    # BU05180001 belongs to GM0518; the two parts of BU19160101 become one row of 10x10 + 10x10
    assert p[["geo_year", "buurt_code", "wijk_code"]].values.tolist() == [
        [2020, "BU19160101", "WK191601"]
    ]
    assert p.geometry.iloc[0].area == pytest.approx(200.0)


def test_buurt_polygons_reprojects_wgs84_to_rd_new():
    # the Amersfoort origin square drawn in WGS84 comes back around (155000, 463000)
    square = gpd.GeoSeries([box(154900, 462900, 155100, 463100)], crs="EPSG:28992")
    wgs = square.to_crs("EPSG:4326").iloc[0]
    p = buurt_polygons({2020: [layer([("BU19160101", wgs)], crs="EPSG:4326")]}, GM)
    c = p.geometry.iloc[0].centroid
    assert (c.x, c.y) == (pytest.approx(155000, abs=1), pytest.approx(463000, abs=1))


def test_points_west_east_border_and_outside(polygons):
    r = rows(
        [
            {"year": 2022, "x": 100050, "y": 400050},  # line 2: west
            {"year": 2022, "x": 100150, "y": 400050},  # line 3: east
            {"year": 2022, "x": 100100, "y": 400050},  # line 4: on the border -> lowest code
            {"year": 2022, "x": 200000, "y": 500000},  # line 5: far away
            {"year": 2022, "x": 100250, "y": 400050},  # line 6: in GM0518's buurt
            {"year": 2022, "x": 4.36, "y": 52.08},  # line 7: WGS84 degrees in x/y
        ]
    )
    p = place(r, year_column="year", polygons=polygons, crosswalk=None, gemeente=GM)
    assert by_line(p) == {
        2: ("BU19160101", "coordinaten", 2022),
        3: ("BU19160102", "coordinaten", 2022),
        4: ("BU19160101", "coordinaten", 2022),  # BU19160101 < BU19160102
        5: ("Q", REASON_POINT_OUTSIDE),
        6: ("Q", REASON_POINT_OUTSIDE),
        7: ("Q", REASON_NOT_RD),
    }
    assert p.placed["wijk_code"].tolist() == ["WK191601"] * 3
    # 6 rows = 3 placed + 3 quarantined
    assert (p.rows_placed, p.rows_quarantined) == (3, 3)


def test_border_point_always_lands_in_the_same_single_buurt(polygons):
    # 50 points on the shared border at x = 100100, in shuffled order: one row each, all west
    ys = np.random.default_rng(1).permutation(np.linspace(400001, 400099, 50))
    r = rows([{"year": 2022, "x": 100100.0, "y": float(y)} for y in ys])
    p = place(r, year_column="year", polygons=polygons, crosswalk=None, gemeente=GM)
    assert len(p.placed) == 50
    assert set(p.placed["buurt_code"]) == {"BU19160101"}


def test_lat_lon_is_transformed_to_rd_new(polygons):
    r = rows(
        [
            # Amersfoort origin: WGS84 52.15517440 N, 5.38720621 E = RD (155000, 463000), so it
            # falls in the 2 m square around the origin only if the transformation is right
            {"year": 2022, "lat": 52.15517440, "lon": 5.38720621},
            # the same point with lat and lon swapped lies far outside the gemeente
            {"year": 2022, "lat": 5.38720621, "lon": 52.15517440},
        ]
    )
    p = place(r, year_column="year", polygons=polygons, crosswalk=None, gemeente=GM)
    assert by_line(p) == {
        2: ("BU19160201", "coordinaten", 2022),
        3: ("Q", REASON_POINT_OUTSIDE),
    }
    assert p.quarantine["column"].tolist() == ["lat,lon"]


def test_boundary_year_fallback(polygons):
    # boundaries exist for 2022 and 2024; the east square is BU19160102 in 2022, BU19160103 in 2024
    r = rows(
        [
            {"year": 2020, "x": 100150, "y": 400050},  # no earlier year -> nearest later, 2022
            {"year": 2023, "x": 100150, "y": 400050},  # nearest earlier: 2022
            {"year": 2024, "x": 100150, "y": 400050},  # its own year
            {"year": 2030, "x": 100150, "y": 400050},  # nearest earlier: 2024
        ]
    )
    p = place(r, year_column="year", polygons=polygons, crosswalk=None, gemeente=GM)
    assert by_line(p) == {
        2: ("BU19160102", "coordinaten", 2022),
        3: ("BU19160102", "coordinaten", 2022),
        4: ("BU19160103", "coordinaten", 2024),
        5: ("BU19160103", "coordinaten", 2024),
    }


def test_nearest_years():
    # available 2021, 2023: 2020 -> 2021 (later), 2021 -> 2021, 2022 -> 2021, 2025 -> 2023
    got = nearest_years(np.array([2020, 2021, 2022, 2025]), [2023, 2021])
    assert got.tolist() == [2021, 2021, 2021, 2023]


def test_crosswalk_frame_keeps_lowest_buurt_of_a_doubled_address():
    cw = crosswalk()
    # 6 pc6 rows; 2262AC 5 (2023) is listed twice -> 5 addresses, BU19160101 < BU19160102
    assert len(cw) == 5
    twice = cw[(cw["postcode"] == "2262AC") & (cw["year"] == 2023)]
    assert twice["buurt_code"].tolist() == ["BU19160101"]


def test_address_through_the_crosswalk_of_the_right_year(polygons):
    # crosswalk years 2021 and 2023; 2262AB 10 is in BU19160101 in 2021, BU19160102 in 2023
    r = rows(
        [
            {"year": 2020, "postcode": "2262AB", "huisnummer": 10},  # 2: no earlier -> 2021
            {"year": 2022, "postcode": "2262AB", "huisnummer": 10},  # 3: nearest earlier 2021
            {"year": 2023, "postcode": "2262AB", "huisnummer": 10},  # 4: own year 2023
            {"year": 2030, "postcode": "2262AB", "huisnummer": 10},  # 5: nearest earlier 2023
            {"year": 2023, "postcode": "2511CV", "huisnummer": 1},  # 6: GM0518 -> outside
            {"year": 2023, "postcode": "9999ZZ", "huisnummer": 1},  # 7: not listed, no coords
            # 8: not listed, but has coordinates in the west square -> placed by them
            {"year": 2023, "postcode": "9999ZZ", "huisnummer": 2, "x": 100050, "y": 400050},
            # 9: listed AND coordinates in the east square: the address wins
            {"year": 2023, "postcode": "2262AD", "huisnummer": 7, "x": 100150, "y": 400050},
            {"year": 2023, "postcode": "2262AC", "huisnummer": 5},  # 10: doubled -> lowest
        ]
    )
    p = place(r, year_column="year", polygons=polygons, crosswalk=crosswalk(), gemeente=GM)
    assert by_line(p) == {
        2: ("BU19160101", "adres", 2021),
        3: ("BU19160101", "adres", 2021),
        4: ("BU19160102", "adres", 2023),
        5: ("BU19160102", "adres", 2023),
        6: ("Q", REASON_ADDRESS_OUTSIDE),
        7: ("Q", "postcode/huisnummer niet in de postcode-huisnummertabel 2023"),
        8: ("BU19160101", "coordinaten", 2022),
        9: ("BU19160101", "adres", 2023),
        10: ("BU19160101", "adres", 2023),
    }
    # 9 rows = 7 placed + 2 quarantined
    assert (p.rows_placed, p.rows_quarantined) == (7, 2)


def test_supplier_buurtcode(polygons):
    r = rows(
        [
            {"year": 2022, "buurtcode": "BU19160103"},  # 2: only in 2024 -> accepted, 2024
            {"year": 2025, "buurtcode": "BU19160101"},  # 3: in 2022 and 2024 -> 2024
            {"year": 2023, "buurtcode": "BU19160102"},  # 4: only in 2022
            {"year": 2023, "buurtcode": "BU05180001"},  # 5: a buurt of GM0518
            {"year": 2023, "buurtcode": "BU19169999"},  # 6: no such buurt
            # 7: coordinates come before the supplier's code
            {"year": 2022, "buurtcode": "BU19160102", "x": 100050, "y": 400050},
        ]
    )
    p = place(r, year_column="year", polygons=polygons, crosswalk=None, gemeente=GM)
    assert by_line(p) == {
        2: ("BU19160103", "buurtcode", 2024),
        3: ("BU19160101", "buurtcode", 2024),
        4: ("BU19160102", "buurtcode", 2022),
        5: ("Q", REASON_UNKNOWN_BUURTCODE),
        6: ("Q", REASON_UNKNOWN_BUURTCODE),
        7: ("BU19160101", "coordinaten", 2022),
    }


def test_nothing_to_place_and_the_quarantine_holds_no_person_data(polygons):
    r = rows(
        [
            {"year": 2023, "client_id": "C1", "postcode": "2262AB"},  # no huisnummer, no coords
            {"year": 2023, "client_id": "C2", "x": 100050},  # x without y
            {"year": 2023, "client_id": "C3", "postcode": "2511CV", "huisnummer": 1},
        ]
    )
    p = place(r, year_column="year", polygons=polygons, crosswalk=crosswalk(), gemeente=GM)
    q = p.quarantine
    assert list(q.columns) == ["file", "line", "column", "reason", "value"]
    assert q["line"].tolist() == [2, 3, 4]
    assert q["reason"].tolist() == [REASON_NOTHING, REASON_NOTHING, REASON_ADDRESS_OUTSIDE]
    assert q["column"].isna().tolist() == [True, True, False]
    # the address is kept apart, for the restricted store only; the reason does not quote it
    assert q["value"].isna().tolist() == [True, True, False]
    assert q["value"].iloc[2] == "2511CV, 1"
    assert q["file"].tolist() == ["uitkeringen_2023-12.csv"] * 3
    assert len(p.placed) == 0


def test_without_boundaries_points_are_quarantined_and_an_empty_input_is_fine(polygons):
    none = buurt_polygons({}, GM)
    r = rows(
        [
            {"year": 2023, "x": 100050, "y": 400050},
            {"year": 2023, "lat": 52.15517440, "lon": 5.38720621},
        ]
    )
    p = place(r, year_column="year", polygons=none, crosswalk=None, gemeente=GM)
    assert p.quarantine[["column", "reason"]].values.tolist() == [
        ["x,y", REASON_NO_BOUNDARIES],
        ["lat,lon", REASON_NO_BOUNDARIES],
    ]
    assert p.quarantine["value"].tolist() == ["100050.0, 400050.0", "52.1551744, 5.38720621"]
    empty = place(r.iloc[0:0], year_column="year", polygons=polygons, crosswalk=None, gemeente=GM)
    assert (len(empty.placed), len(empty.quarantine)) == (0, 0)
    assert "buurt_code" in empty.placed.columns


def test_placed_rows_keep_their_columns_and_year_from_a_period_or_date(polygons):
    r = rows(
        [
            {"client_id": "A", "x": 100050, "y": 400050},
            {"client_id": "B", "x": 100150, "y": 400050},
        ]
    )
    for year_like in (
        pd.array(["2024-12", "2022-2023"], dtype="string"),  # periods -> 2024, 2022
        pd.to_datetime(["2024-12-31", "2022-10-01"]),  # dates -> 2024, 2022
    ):
        p = place(
            r.assign(when=year_like),
            year_column="when",
            polygons=polygons,
            crosswalk=None,
            gemeente=GM,
        )
        # B (east square) in 2022 is BU19160102; A in 2024 is BU19160101 (unchanged)
        assert p.placed[["client_id", "buurt_code", "geo_year"]].values.tolist() == [
            ["A", "BU19160101", 2024],
            ["B", "BU19160102", 2022],
        ]
        assert list(p.placed.columns) == [
            *r.columns,
            "when",
            "buurt_code",
            "wijk_code",
            "geo_year",
            "placed_by",
        ]


def test_many_points_are_placed_quickly_and_none_is_lost(polygons):
    # 100 000 points along a 400 m line from x = 99 900: the first quarter lies west of the
    # squares (outside), then the west square, the east square, and GM0518's square (outside)
    n = 100_000
    x = 99_900 + (np.arange(n) + 0.5) * (400 / n)
    r = pd.DataFrame(
        {
            "file": "incidenten_2023-05.csv",
            "line": np.arange(2, n + 2),
            "year": 2023,
            "x": pd.array(x, dtype="Float64"),
            "y": pd.array(np.full(n, 400_050.0), dtype="Float64"),
        }
    )
    started = time.perf_counter()
    p = place(r, year_column="year", polygons=polygons, crosswalk=None, gemeente=GM)
    elapsed = time.perf_counter() - started
    # x_i = 99 900 + (i + 0.5) * 0.004: no point is on a border (that needs i + 0.5 whole), and
    # each 100 m holds 100 / 0.004 = 25 000 points: 25 000 west, 25 000 east, 50 000 outside
    counts = p.placed["buurt_code"].value_counts().to_dict()
    assert counts == {"BU19160101": 25_000, "BU19160102": 25_000}
    assert len(p.quarantine) == 50_000
    assert elapsed < 10, f"100 000 points took {elapsed:.1f} s"
