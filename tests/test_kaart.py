"""The wijk- en buurtkaart reader (sources/kaart.py) and its contract (checks/kaart.py).

Expected values come from the raw files by other means: a small dBASE parser written here with
`struct`, the GeoJSON read with `json`, pyproj for coordinates, hashlib for digests."""

from __future__ import annotations

import hashlib
import json
import re
import struct
from collections import Counter
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from pyproj import Transformer
from shapely.geometry import box

from checks.kaart import kaart_expectations, split_kaart, validate_kaart
from sources.kaart import KaartReadError, read_kaart_file, read_kaart_folder

DATA = Path(__file__).parent / "data" / "cbs"
DBF_2017 = DATA / "wijk_2017_haaglanden.dbf"
GEOJSON_2016 = DATA / "wijk_2016_haaglanden.geojson"
GEOJSON_2024 = DATA / "wijk_2024_GM1916.geojson"


# --- an independent reading of the raw files -----------------------------------------------


def parse_dbf(path: Path) -> tuple[list[tuple[str, str]], list[dict[str, str]]]:
    """A minimal dBASE III reader: ([(field name, type)], [{field: raw stripped text}])."""
    data = path.read_bytes()
    n_records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields = []
    pos = 32
    while data[pos] != 0x0D:
        name = data[pos : pos + 11].split(b"\x00")[0].decode("ascii")
        ftype = chr(data[pos + 11])
        length = data[pos + 16]
        fields.append((name, ftype, length))
        pos += 32
    rows = []
    for i in range(n_records):
        rec = data[header_len + i * record_len : header_len + (i + 1) * record_len]
        assert rec[:1] == b" ", "deleted records are not expected in the test data"
        off, row = 1, {}
        for name, _ftype, length in fields:
            row[name] = rec[off : off + length].decode("utf-8").strip()
            off += length
        rows.append(row)
    return [(n, t) for n, t, _ in fields], rows


def count_raw_markers(path: Path, marker: str = "-99999999") -> Counter:
    """Per 1-based row: how many numeric cells hold exactly `marker`."""
    fields, rows = parse_dbf(path)
    numeric = [n for n, t in fields if t in "NF"]
    per_row: Counter = Counter()
    for i, row in enumerate(rows, start=1):
        for name in numeric:
            if row[name] and float(row[name]) == float(marker):
                per_row[i] += 1
    return per_row


# --- the real files -------------------------------------------------------------------------


def test_2017_dbf_report_counts_every_marker_as_a_null_problem():
    fields, rows = parse_dbf(DBF_2017)
    assert len(rows) == 71 and len(fields) == 36
    expected = count_raw_markers(DBF_2017)
    assert sum(expected.values()) > 0

    report = validate_kaart(DBF_2017)

    assert report.status == "accepted"
    assert report.rows_read == 71
    assert report.rows_accepted == 71 and report.rows_quarantined == 0
    nulls = [p for p in report.problems if p.severity == "null"]
    assert len(nulls) == sum(expected.values())
    assert Counter(p.row for p in nulls) == expected
    assert {p.reason for p in nulls} == {"-99999999: geheim of niet aanwezig"}
    assert not [p for p in report.problems if p.severity == "warning"]


def test_2017_dbf_frame_has_no_marker_left_and_real_values():
    [layer] = read_kaart_file(DBF_2017)
    frame = layer.frame
    assert layer.level == "wijk" and layer.layer is None and layer.rows_read == 71
    assert not isinstance(frame, gpd.GeoDataFrame)
    assert list(frame.columns[:7]) == [
        "area_code",
        "area_name",
        "level",
        "wijk_code",
        "gemeente_code",
        "gemeente_name",
        "water",
    ]
    numeric = frame.select_dtypes("number")
    assert not numeric.isin([-99999999, -99999997, -99997, -99995, -99991]).any().any()
    assert sum(Counter(m.row for m in layer.nulls).values()) == sum(
        count_raw_markers(DBF_2017).values()
    )

    _, raw_rows = parse_dbf(DBF_2017)
    raw = {r["WK_CODE"]: r for r in raw_rows}
    assert raw["WK191602"]["AANT_INW"] == "5470"
    row = frame.set_index("area_code").loc["WK191602"]
    assert row["aantal_inwoners"] == 5470
    assert row["aantal_huishoudens"] == int(raw["WK191602"]["AANTAL_HH"])
    assert row["gemeente_code"] == "GM1916" and row["level"] == "wijk"
    assert row["water"] == False  # noqa: E712 (a pandas scalar)

    # WK051801 Oostduinen: 0 inhabitants (a real 0), its age percentages are markers.
    first = frame.iloc[0]
    assert raw_rows[0]["WK_CODE"] == first["area_code"] == "WK051801"
    assert raw_rows[0]["AANT_INW"] == "0" and first["aantal_inwoners"] == 0
    assert raw_rows[0]["P_00_14_JR"] == "-99999999"
    assert pd.isna(first["percentage_personen_0_tot_15_jaar"])

    # The water wijken (WATER = JA in the raw table) read as water = True.
    water_codes = {r["WK_CODE"] for r in raw_rows if r["WATER"] == "JA"}
    assert set(frame.loc[frame["water"].fillna(False), "area_code"]) == water_codes

    assert layer.sha256 == hashlib.sha256(DBF_2017.read_bytes()).hexdigest()


def test_2016_geojson_reads_12_gm1916_wijken_in_rd_new():
    raw = json.loads(GEOJSON_2016.read_text(encoding="utf-8"))
    raw_gm1916 = {f["properties"]["WKC"] for f in raw["features"]}
    raw_gm1916 = {c for c in raw_gm1916 if c.startswith("WK1916")}
    assert len(raw["features"]) == 67 and len(raw_gm1916) == 12

    [layer] = read_kaart_file(GEOJSON_2016)
    frame = layer.frame
    assert isinstance(frame, gpd.GeoDataFrame)
    assert frame.crs.to_epsg() == 28992
    assert layer.level == "wijk" and layer.rows_read == 67
    gm1916 = frame[frame["gemeente_code"] == "GM1916"]
    assert len(gm1916) == 12
    assert set(gm1916["area_code"]) == raw_gm1916
    assert set(gm1916["level"]) == {"wijk"}
    assert set(gm1916["gemeente_name"]) == {"Leidschendam-Voorburg"}
    # RD New in, RD New out: coordinates untouched.
    first = raw["features"][0]["geometry"]["coordinates"][0][0][0]
    assert tuple(frame.geometry.iloc[0].geoms[0].exterior.coords[0]) == tuple(first)


def test_2024_geojson_is_reprojected_from_wgs84():
    raw = json.loads(GEOJSON_2024.read_text(encoding="utf-8"))
    lon, lat = raw["features"][0]["geometry"]["coordinates"][0][0]

    [layer] = read_kaart_file(GEOJSON_2024)
    frame = layer.frame
    assert layer.level == "wijk" and layer.rows_read == 13
    assert frame.crs.to_epsg() == 28992
    assert frame.set_index("area_code").loc["WK191602", "area_name"] == "Prinsenhof"
    assert set(frame["gemeente_code"]) == {"GM1916"}
    minx, miny, maxx, maxy = frame.total_bounds
    assert 80_000 < minx < maxx < 95_000
    assert 445_000 < miny < maxy < 465_000
    x, y = Transformer.from_crs(4326, 28992, always_xy=True).transform(lon, lat)
    x0, y0 = frame.geometry.iloc[0].exterior.coords[0]
    assert abs(x0 - x) < 1 and abs(y0 - y) < 1
    report = validate_kaart(GEOJSON_2024)
    assert (report.rows_read, report.rows_accepted, report.problems) == (13, 13, [])


# --- written in the test: new and old naming --------------------------------------------------


def _squares(n: int) -> list:
    return [box(85_000 + 100 * i, 455_000, 85_100 + 100 * i, 455_100) for i in range(n)]


def write_new_style_gpkg(path: Path) -> None:
    wijken = gpd.GeoDataFrame(
        {
            "wijkcode": ["WK191602", "WK191606"],
            "wijknaam": ["Prinsenhof", "De Heuvel / Amstelwijk"],
            "gemeentecode": ["GM1916", "GM1916"],
            "gemeentenaam": ["Leidschendam-Voorburg", "Leidschendam-Voorburg"],
            "water": ["NEE", "NEE"],
            "aantal_inwoners": [5470, -99997],
            "aantal_huishoudens": [2650, 1200],
            "percentage_personen_0_tot_15_jaar": [13.0, -99995.0],
        },
        geometry=_squares(2),
        crs=28992,
    )
    buurten = gpd.GeoDataFrame(
        {
            "buurtcode": ["BU19160201", "BU19160202"],
            "buurtnaam": ["Prinsenhof-Noord", "Prinsenhof-Zuid"],
            "wijkcode": ["WK191602", "WK191602"],
            "gemeentecode": ["GM1916", "GM1916"],
            "gemeentenaam": ["Leidschendam-Voorburg", "Leidschendam-Voorburg"],
            "water": ["NEE", "NEE"],
            "aantal_inwoners": [3000, 2470],
        },
        geometry=_squares(2),
        crs=28992,
    )
    wijken.to_file(path, layer="wijken", driver="GPKG")
    buurten.to_file(path, layer="buurten", driver="GPKG")


def write_old_style_shp(path: Path, crs: int | None = 28992) -> None:
    gpd.GeoDataFrame(
        {
            "WK_CODE": ["WK191602", "WK191606"],
            "WK_NAAM": ["Prinsenhof", "De Heuvel / Amstelwijk"],
            "GM_CODE": ["GM1916", "GM1916"],
            "GM_NAAM": ["Leidschendam-Voorburg", "Leidschendam-Voorburg"],
            "WATER": ["NEE", "NEE"],
            "AANT_INW": [5470, -99999999],
            "AANTAL_HH": [2650, 1200],
            "P_00_14_JR": [13.0, -99999997.0],
        },
        geometry=_squares(2),
        crs=crs,
    ).to_file(path)


def test_gpkg_new_names_and_shapefile_old_names_read_to_the_same_columns(tmp_path):
    gpkg = tmp_path / "wijkenbuurten_2024.gpkg"
    shp = tmp_path / "wijk_2017.shp"
    write_new_style_gpkg(gpkg)
    write_old_style_shp(shp)

    new = {layer.layer: layer for layer in read_kaart_file(gpkg)}
    [old] = read_kaart_file(shp)

    assert set(new) == {"wijken", "buurten"}
    wijken = new["wijken"]
    assert list(wijken.frame.columns) == list(old.frame.columns)
    assert list(old.frame.columns) == [
        "area_code",
        "area_name",
        "level",
        "wijk_code",
        "gemeente_code",
        "gemeente_name",
        "water",
        "aantal_inwoners",
        "aantal_huishoudens",
        "percentage_personen_0_tot_15_jaar",
        "geometry",
    ]
    for layer in (wijken, old):
        f = layer.frame
        assert layer.level == "wijk"
        assert f.crs.to_epsg() == 28992
        assert list(f["area_code"]) == ["WK191602", "WK191606"]
        assert list(f["area_name"]) == ["Prinsenhof", "De Heuvel / Amstelwijk"]
        assert list(f["water"]) == [False, False]
        assert f["aantal_inwoners"].iloc[0] == 5470
        assert f["aantal_inwoners"].isna().tolist() == [False, True]
        assert f["percentage_personen_0_tot_15_jaar"].isna().tolist() == [False, True]

    assert [(m.row, m.column, m.value, m.reason) for m in wijken.nulls] == [
        (2, "aantal_inwoners", -99997.0, "-99997: geheim of niet aanwezig"),
        (
            2,
            "percentage_personen_0_tot_15_jaar",
            -99995.0,
            "-99995: wordt in een latere versie gepubliceerd",
        ),
    ]
    assert [(m.row, m.column, m.reason) for m in old.nulls] == [
        (2, "aantal_inwoners", "-99999999: geheim of niet aanwezig"),
        (2, "percentage_personen_0_tot_15_jaar", "-99999997: geheim"),
    ]

    buurten = new["buurten"]
    assert buurten.level == "buurt"
    assert list(buurten.frame["wijk_code"]) == ["WK191602", "WK191602"]
    assert [layer.layer for layer in read_kaart_file(gpkg, layer="buurten")] == ["buurten"]

    dbf = shp.with_suffix(".dbf")
    expected = hashlib.sha256(dbf.read_bytes() + shp.read_bytes()).hexdigest()
    assert old.sha256 == expected
    assert wijken.sha256 == hashlib.sha256(gpkg.read_bytes()).hexdigest()

    report = validate_kaart(gpkg)
    assert report.rows_read == 4 and report.rows_accepted == 4
    assert [(p.row, p.column, p.reason) for p in report.problems if p.severity == "null"] == [
        (2, "aantal_inwoners", "wijken: -99997: geheim of niet aanwezig"),
        (
            2,
            "percentage_personen_0_tot_15_jaar",
            "wijken: -99995: wordt in een latere versie gepubliceerd",
        ),
    ]
    assert not [p for p in report.problems if p.severity == "warning"]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_folder_reads_a_shapefile_once_and_assumes_rd_new_without_prj(tmp_path):
    write_old_style_shp(tmp_path / "wijk_2017.shp", crs=None)
    write_new_style_gpkg(tmp_path / "wijkenbuurten_2024.gpkg")
    assert not (tmp_path / "wijk_2017.prj").exists()
    (tmp_path / "notes.txt").write_text("not a kaart file")

    layers = read_kaart_folder(tmp_path)

    assert sorted((p.path.name, p.layer) for p in layers) == [
        ("wijk_2017.shp", None),
        ("wijkenbuurten_2024.gpkg", "buurten"),
        ("wijkenbuurten_2024.gpkg", "wijken"),
    ]
    shp_layer = next(p for p in layers if p.path.suffix == ".shp")
    assert shp_layer.frame.crs.to_epsg() == 28992
    assert shp_layer.frame.total_bounds[0] == 85_000
    report = validate_kaart(tmp_path)
    assert report.rows_read == 6 and report.rows_accepted == 6


# --- quarantine -------------------------------------------------------------------------------


def write_dbf(path: Path, columns: dict[str, list]) -> None:
    """A bare .dbf (no geometry), as the CBS attribute tables come."""
    pyogrio.write_dataframe(pd.DataFrame(columns), path, driver="ESRI Shapefile")
    assert not path.with_suffix(".shp").exists()


def test_duplicate_missing_and_malformed_codes_are_quarantined(tmp_path):
    path = tmp_path / "wijk_test.dbf"
    codes = ["WK191601", "WK191602", "WK191601", "WK19162", "", "BU19160201", "WK191603"]
    write_dbf(
        path,
        {
            "WK_CODE": codes,
            "GM_CODE": ["GM1916"] * len(codes),
            "AANT_INW": [100, 200, 300, 400, 500, 600, 700],
        },
    )
    [layer] = read_kaart_file(path)
    assert isinstance(layer.frame, pd.DataFrame) and not isinstance(layer.frame, gpd.GeoDataFrame)

    accepted, quarantined = split_kaart(layer)

    assert list(accepted["area_code"]) == ["WK191601", "WK191602", "WK191603"]
    assert list(accepted["aantal_inwoners"]) == [100, 200, 700]
    assert list(quarantined.columns) == ["line", "area_code", "reason"]
    assert list(quarantined["line"]) == [3, 4, 5, 6]
    reasons = dict(zip(quarantined["line"], quarantined["reason"], strict=True))
    assert "duplicate" in reasons[3] and "line 1" in reasons[3]
    assert "malformed" in reasons[4] and "WK19162" in reasons[4]
    assert "missing" in reasons[5]
    assert "not a wijk code" in reasons[6]

    report = validate_kaart(path)
    assert report.rows_read == 7
    assert report.rows_accepted == 3 and report.rows_quarantined == 4
    assert report.rows_accepted + report.rows_quarantined == report.rows_read
    assert [(p.row, p.severity) for p in report.problems] == [
        (3, "quarantined"),
        (4, "quarantined"),
        (5, "quarantined"),
        (6, "quarantined"),
    ]


def test_a_gemeente_water_row_is_quarantined_not_its_land_row(tmp_path):
    # As in the CBS gemeente tables: a gemeente's water part repeats its code (here first).
    path = tmp_path / "gem_test.dbf"
    write_dbf(
        path,
        {
            "GM_CODE": ["GM0518", "GM0518", "GM1916"],
            "GM_NAAM": ["'s-Gravenhage", "'s-Gravenhage", "Leidschendam-Voorburg"],
            "WATER": ["JA", "NEE", "NEE"],
            "AANT_INW": [-99999999, 524882, 74604],
        },
    )
    [layer] = read_kaart_file(path)
    assert layer.level == "gemeente"
    assert list(layer.frame["gemeente_code"]) == ["GM0518", "GM0518", "GM1916"]
    accepted, quarantined = split_kaart(layer)
    assert list(accepted["aantal_inwoners"]) == [524882, 74604]
    assert list(quarantined["line"]) == [1]
    assert "water" in quarantined["reason"].iloc[0]


def test_a_quarantined_duplicate_adds_no_gx_warning(tmp_path):
    """A duplicate would fail the GX uniqueness expectation; quarantined, it is explained."""
    path = tmp_path / "dup.dbf"
    write_dbf(path, {"WK_CODE": ["WK191602", "WK191602"], "AANT_INW": [5470, 5470]})
    report = validate_kaart(path)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (2, 1, 1)
    assert [p.severity for p in report.problems] == ["quarantined"]


def test_codes_with_letters_after_the_gemeente_digits_are_accepted(tmp_path):
    regexes = [
        e.regex for e in kaart_expectations("buurt") if type(e).__name__.endswith("MatchRegex")
    ]
    area_regex = re.compile(regexes[0])
    for code in ("WK0363AD", "BU0363AD03", "GM0363", "NL00", "WK191602", "BU19160201"):
        assert area_regex.match(code), code
    for code in ("WK0363A", "BU0363ad03", "GM363", "WK03630AD"):
        assert not area_regex.match(code), code

    path = tmp_path / "buurt_amsterdam.dbf"
    write_dbf(
        path,
        {
            "BU_CODE": ["BU0363AD03", "BU0363AD04"],
            "BU_NAAM": ["Buurt AD03", "Buurt AD04"],
            "AANT_INW": [10, 20],
            "P_00_14_JR": [5, -99999999],
        },
    )
    [layer] = read_kaart_file(path)
    # No wijk or gemeente column: both cut out of the buurt code, letters kept as they are.
    assert list(layer.frame["wijk_code"]) == ["WK0363AD", "WK0363AD"]
    assert list(layer.frame["gemeente_code"]) == ["GM0363", "GM0363"]
    accepted, quarantined = split_kaart(layer)
    assert len(accepted) == 2 and quarantined.empty

    report = validate_kaart(path)
    assert (report.rows_accepted, report.rows_quarantined) == (2, 0)
    assert [(p.row, p.column, p.severity) for p in report.problems] == [
        (2, "percentage_personen_0_tot_15_jaar", "null")
    ]


def test_failed_expectation_not_explained_by_quarantine_is_a_warning(tmp_path):
    path = tmp_path / "wijk_bad_pct.dbf"
    write_dbf(
        path,
        {"WK_CODE": ["WK191601", "WK191602"], "AANT_INW": [10, -5], "P_EENP_HH": [40, 140]},
    )
    report = validate_kaart(path)
    assert (report.rows_accepted, report.rows_quarantined) == (2, 0)
    warnings = {p.column: p.reason for p in report.problems if p.severity == "warning"}
    assert set(warnings) == {"aantal_inwoners", "percentage_eenpersoonshuishoudens"}
    assert "1 rows" in warnings["aantal_inwoners"]


# --- unreadable input -------------------------------------------------------------------------


def _truncated_copy(tmp_path: Path) -> Path:
    path = tmp_path / "wijk_2017_truncated.dbf"
    data = DBF_2017.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: _write(d / "leeg.gpkg", b""), "empty"),
        (lambda d: _write(d / "leeg.dbf", b""), "empty"),
        (lambda d: _write(d / "tekst.dbf", b"WK_CODE;AANT_INW\nWK191602;5470\n"), "dBASE"),
        (lambda d: _write(d / "tekst.gpkg", b"this is not a geopackage\n" * 10), "GIS file"),
        (_truncated_copy, "truncated"),
        (lambda d: d / "bestaat_niet.dbf", "not found"),
    ],
)
def test_unreadable_files_are_rejected_naming_the_file(tmp_path, make, words):
    path = make(tmp_path)

    with pytest.raises(KaartReadError) as raised:
        read_kaart_file(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert words in raised.value.problem

    report = validate_kaart(path)
    assert report.status == "rejected"
    assert report.path == str(path)
    assert report.rows_read == 0
    [problem] = report.problems
    assert problem.severity == "rejected" and words in problem.reason


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_truncated_dbf_message_gives_the_sizes(tmp_path):
    path = _truncated_copy(tmp_path)
    data = DBF_2017.read_bytes()
    n_records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    with pytest.raises(KaartReadError) as raised:
        read_kaart_file(path)
    assert f"{n_records} records of {record_len} bytes" in str(raised.value)
    assert f"the file has {len(data) // 2} bytes" in str(raised.value)


def test_a_table_without_any_code_column_is_rejected(tmp_path):
    path = tmp_path / "geen_codes.dbf"
    write_dbf(path, {"NAAM": ["a"], "AANT_INW": [1]})
    report = validate_kaart(path)
    assert report.status == "rejected"
    assert "no area code column" in report.problems[0].reason
    assert "geen_codes.dbf" in report.path


def test_an_unknown_layer_is_rejected(tmp_path):
    gpkg = tmp_path / "kaart.gpkg"
    write_new_style_gpkg(gpkg)
    with pytest.raises(KaartReadError, match="no layer named 'gemeenten'"):
        read_kaart_file(gpkg, layer="gemeenten")
