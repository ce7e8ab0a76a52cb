"""Address or point -> buurt: the one placement step every municipal source goes through
(uitkeringen, verzuim, incidenten, and any source added later); sources.md section 3.

`place` gives every accepted row a buurt of the gemeente, or a quarantine row with a Dutch
reason. A row is placed by the first of these it carries:

1. an address (postcode + huisnummer), looked up in the CBS postcode-huisnummer table of the
   row's year (else the nearest earlier year the table has, else the nearest later one). An
   address the table does not list falls through to the row's coordinates or buurt code when
   it has them; an address that the table puts in another gemeente is quarantined;
2. coordinates: `x`,`y` in RD New, else `lat`,`lon` in WGS84 (transformed to RD New), joined
   with geopandas on the buurt boundaries of the row's year (same year rule). The join uses
   predicate 'intersects', so a point exactly on the border of two buurten matches both; it
   is then given to the one with the LOWEST buurt code;
3. a buurt code given by the supplier (`buurtcode`), accepted when the boundaries of any
   year list it as a buurt of the gemeente.

Per call: len(rows) == len(placed) + len(quarantine). Quarantine rows carry file, line, the
column(s) concerned, the reason (never the person's address or coordinates) and, apart, the
offending value (`checks.quarantine`: not for the published warehouse).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd

from checks.deliveries import DECLARATIONS
from checks.quarantine import QUARANTINE_COLUMNS, offending_values

RD_NEW = "EPSG:28992"
WGS84 = "EPSG:4326"
SQL_DIR = Path(__file__).with_name("sql")

# Values of `placed_by`.
BY_ADDRESS = "adres"
BY_COORDINATES = "coordinaten"
BY_BUURTCODE = "buurtcode"

# Quarantine reasons (Dutch: analysts read them).
REASON_NOT_IN_CROSSWALK = "postcode/huisnummer niet in de postcode-huisnummertabel {year}"
REASON_NO_CROSSWALK = "postcode/huisnummer niet te plaatsen: geen postcode-huisnummertabel"
REASON_ADDRESS_OUTSIDE = "adres buiten de gemeente"
REASON_POINT_OUTSIDE = "coördinaten buiten de gemeente"
REASON_NOT_RD = "coördinaten niet in RD New"
REASON_NO_BOUNDARIES = "coördinaten niet te plaatsen: geen buurtgrenzen van de gemeente"
REASON_UNKNOWN_BUURTCODE = "onbekende buurtcode"
REASON_NOTHING = "geen adres en geen coördinaten"

# An RD New x lies between about 0 and 300 000 m; a value below 360 is a WGS84 degree.
RD_X_MIN = 360.0

# The sources whose rows are placed in buurten, and the column whose year chooses the
# boundaries and the crosswalk they are placed with.
PLACEMENT_YEAR_COLUMN = {
    source: d.placement.year_column for source, d in DECLARATIONS.items() if d.placement
}
POLYGON_COLUMNS = ["geo_year", "buurt_code", "wijk_code", "geometry"]
CROSSWALK_COLUMNS = ["year", "postcode", "huisnummer", "buurt_code", "wijk_code"]


@dataclass
class Placement:
    placed: pd.DataFrame  # the input rows + buurt_code, wijk_code, geo_year, placed_by
    quarantine: pd.DataFrame  # checks.quarantine.QUARANTINE_COLUMNS

    @property
    def rows_placed(self) -> int:
        return len(self.placed)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantine)


def sql_file(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


# --- inputs -------------------------------------------------------------------------------


def buurt_polygons(kaart_layers_by_year: Mapping[int, Sequence], gemeente: str) -> gpd.GeoDataFrame:
    """geo_year, buurt_code, wijk_code, geometry (RD New): the buurten of `gemeente` per year.

    Takes the kaart layers as `sources.kaart` reads them (objects with `.level` and `.frame`);
    only buurt layers with geometry count. A buurt drawn in several parts (e.g. a separate
    water part) becomes one multi-part geometry, so it is one row per year and code."""
    digits = gemeente[2:]
    parts = []
    for year, layers in kaart_layers_by_year.items():
        for layer in layers:
            frame = layer.frame
            if layer.level != "buurt" or not isinstance(frame, gpd.GeoDataFrame):
                continue
            if frame.crs is None:
                frame = frame.set_crs(RD_NEW)
            codes = frame["area_code"].astype("string").str.strip()
            keep = (codes.str[2:6] == digits).fillna(False).to_numpy(dtype=bool)
            keep &= frame.geometry.notna().to_numpy() & ~frame.geometry.is_empty.to_numpy()
            derived = "WK" + codes.str[2:8]
            wijk = frame["wijk_code"].astype("string") if "wijk_code" in frame else derived
            parts.append(
                gpd.GeoDataFrame(
                    {
                        "geo_year": int(year),
                        "buurt_code": codes[keep].to_numpy(),
                        "wijk_code": wijk.fillna(derived)[keep].to_numpy(),
                    },
                    geometry=frame.geometry.to_crs(RD_NEW)[keep].to_numpy(),
                    crs=RD_NEW,
                )
            )
    if not parts:
        return gpd.GeoDataFrame(
            {
                "geo_year": pd.Series(dtype="int64"),
                "buurt_code": pd.Series(dtype="string"),
                "wijk_code": pd.Series(dtype="string"),
            },
            geometry=gpd.GeoSeries([], crs=RD_NEW),
            crs=RD_NEW,
        )
    stacked = pd.concat(parts, ignore_index=True)
    out = stacked.dissolve(by=["geo_year", "buurt_code"], aggfunc="first", as_index=False)
    out = out[POLYGON_COLUMNS].sort_values(["geo_year", "buurt_code"], ignore_index=True)
    out["geo_year"] = out["geo_year"].astype("int64")
    out["buurt_code"] = out["buurt_code"].astype("string")
    out["wijk_code"] = out["wijk_code"].astype("string")
    return out


def crosswalk_frame(pc6_accepted: pd.DataFrame) -> pd.DataFrame:
    """year, postcode, huisnummer, buurt_code, wijk_code: one row per year and address.

    Keeps every gemeente (an address in another gemeente must be recognised as such)."""
    pc6 = pc6_accepted[["year", "postcode", "huisnummer", "buurt_code", "wijk_code"]]
    con = duckdb.connect()
    try:
        con.register("pc6", pc6)
        out = con.sql(sql_file("municipal_crosswalk.sql")).df()
    finally:
        con.close()
    return _crosswalk_types(out)


def _crosswalk_types(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": frame["year"].astype("int64"),
            "postcode": frame["postcode"].astype("string"),
            "huisnummer": frame["huisnummer"].astype("Int64"),
            "buurt_code": frame["buurt_code"].astype("string"),
            "wijk_code": frame["wijk_code"].astype("string"),
        }
    )


# --- placing ------------------------------------------------------------------------------


def place(
    rows: pd.DataFrame,
    *,
    year_column: str,
    polygons: gpd.GeoDataFrame,
    crosswalk: pd.DataFrame | None,
    gemeente: str,
) -> Placement:
    """Place each row in a buurt of `gemeente` (see the module docstring for the rules).

    `rows` needs `file` and `line`; it may have any of `postcode`+`huisnummer`, `x`+`y`,
    `lat`+`lon`, `buurtcode`. `year_column` gives the year that picks the crosswalk and the
    boundaries: an integer year, a date, or a period string starting with the year
    (`2023-12`, `2022-2023`)."""
    n = len(rows)
    state = _State(n)
    years = row_years(rows[year_column], year_column)
    digits = gemeente[2:]

    has_address = _present(rows, "postcode") & _present(rows, "huisnummer")
    has_xy = _present(rows, "x") & _present(rows, "y")
    has_latlon = _present(rows, "lat") & _present(rows, "lon")
    has_code = _present(rows, "buurtcode")
    has_point = has_xy | has_latlon
    fallback = has_point | has_code

    # 1. address
    todo = np.flatnonzero(has_address)
    if len(todo):
        if crosswalk is None or len(crosswalk) == 0:
            stuck = todo[~fallback[todo]]
            state.reject(stuck, "postcode,huisnummer", REASON_NO_CROSSWALK)
        else:
            _place_by_address(rows, todo, years, crosswalk, digits, fallback, state)

    # 2. coordinates
    todo = np.flatnonzero(state.pending & has_point)
    if len(todo):
        _place_by_point(rows, todo, years, polygons, has_xy, state)

    # 3. the supplier's buurt code
    todo = np.flatnonzero(state.pending & has_code)
    if len(todo):
        _place_by_code(rows, todo, years, polygons, state)

    state.reject(np.flatnonzero(state.pending), None, REASON_NOTHING)
    return state.result(rows)


def row_years(values: pd.Series, name: str = "year") -> np.ndarray:
    """The year of each row as int64: from an integer, a date or a `YYYY...` period string."""
    if pd.api.types.is_datetime64_any_dtype(values):
        years = values.dt.year
    elif pd.api.types.is_numeric_dtype(values):
        years = values
    else:
        # Per distinct value (a period repeats on every row of its file), not per row.
        codes, distinct = pd.factorize(values, use_na_sentinel=True)
        texts = pd.Series(distinct).astype("string").str.strip().str[:4]
        per_value = pd.to_numeric(texts, errors="coerce").to_numpy(dtype="float64")
        per_value = np.append(per_value, np.nan)  # code -1 (NA) picks the last: NaN
        years = pd.Series(per_value[codes], index=values.index)
    if years.isna().any():
        first = int(np.flatnonzero(years.isna().to_numpy())[0])
        raise ValueError(f"column {name!r}: no year in row {first} ({values.iloc[first]!r})")
    return years.astype("int64").to_numpy()


def nearest_years(years: np.ndarray, available: Iterable[int]) -> np.ndarray:
    """Per year: itself if available, else the nearest earlier available, else the nearest
    later one (the smallest available year)."""
    avail = np.array(sorted({int(y) for y in available}), dtype="int64")
    idx = np.searchsorted(avail, years, side="right") - 1
    return np.where(idx >= 0, avail[np.clip(idx, 0, None)], avail[0])


class _State:
    """The per-row outcome while the placement steps run."""

    def __init__(self, n: int) -> None:
        self.pending = np.ones(n, dtype=bool)
        self.buurt = np.full(n, None, dtype=object)
        self.wijk = np.full(n, None, dtype=object)
        self.geo_year = np.zeros(n, dtype="int64")
        self.placed_by = np.full(n, None, dtype=object)
        self.column = np.full(n, None, dtype=object)
        self.reason = np.full(n, None, dtype=object)

    def accept(self, idx, buurt, wijk, geo_year, how: str) -> None:
        buurt = np.asarray(buurt, dtype=object)
        wijk = np.asarray(wijk, dtype=object)
        missing = pd.isna(wijk)
        # CBS codes nest: a buurt code is its wijk code (minus "WK") plus two characters.
        wijk[missing] = ["WK" + str(b)[2:8] for b in buurt[missing]]
        self.buurt[idx] = buurt
        self.wijk[idx] = wijk
        self.geo_year[idx] = geo_year
        self.placed_by[idx] = how
        self.pending[idx] = False

    def reject(self, idx, column: str | None, reason) -> None:
        self.column[idx] = column
        self.reason[idx] = reason
        self.pending[idx] = False

    def result(self, rows: pd.DataFrame) -> Placement:
        assert not self.pending.any()
        ok = pd.isna(self.reason)
        placed = rows.iloc[np.flatnonzero(ok)].reset_index(drop=True)
        placed = placed.assign(
            buurt_code=pd.array(self.buurt[ok], dtype="string"),
            wijk_code=pd.array(self.wijk[ok], dtype="string"),
            geo_year=pd.array(self.geo_year[ok], dtype="Int64"),
            placed_by=pd.array(self.placed_by[ok], dtype="string"),
        )
        bad = np.flatnonzero(~ok)
        quarantine = pd.DataFrame(
            {
                "file": pd.array(rows["file"].iloc[bad].astype(str).to_numpy(), dtype="string"),
                "line": rows["line"].iloc[bad].astype("int64").to_numpy(),
                "column": pd.array(self.column[bad], dtype="string"),
                "reason": pd.array(self.reason[bad], dtype="string"),
                "value": offending_values(rows, bad, self.column[bad]).to_numpy(dtype=object),
            },
            columns=list(QUARANTINE_COLUMNS),
        )
        return Placement(placed=placed, quarantine=quarantine)


def _present(rows: pd.DataFrame, column: str) -> np.ndarray:
    if column not in rows.columns:
        return np.zeros(len(rows), dtype=bool)
    return rows[column].notna().to_numpy()


def _place_by_address(rows, todo, years, crosswalk, digits, fallback, state: _State) -> None:
    cw_years = nearest_years(years[todo], crosswalk["year"].unique())
    addresses = pd.DataFrame(
        {
            "row_id": todo.astype("int64"),
            "cw_year": cw_years,
            "postcode": rows["postcode"].iloc[todo].astype("string").to_numpy(),
            "huisnummer": rows["huisnummer"].iloc[todo].astype("Int64").to_numpy(),
        }
    )
    con = duckdb.connect()
    try:
        con.register("addresses", addresses)
        con.register("crosswalk", crosswalk[CROSSWALK_COLUMNS])
        found = con.sql(sql_file("municipal_address_lookup.sql")).df()
    finally:
        con.close()
    found = found.set_index("row_id").reindex(todo)
    buurt = found["buurt_code"].astype("string")
    listed = buurt.notna().to_numpy()
    inside = listed & (buurt.str[2:6] == digits).fillna(False).to_numpy(dtype=bool)

    state.accept(
        todo[inside],
        buurt.to_numpy()[inside],
        found["wijk_code"].to_numpy()[inside],
        cw_years[inside],
        BY_ADDRESS,
    )
    state.reject(todo[listed & ~inside], "postcode,huisnummer", REASON_ADDRESS_OUTSIDE)
    unlisted = ~listed & ~fallback[todo]
    reasons = [REASON_NOT_IN_CROSSWALK.format(year=y) for y in cw_years[unlisted]]
    state.reject(todo[unlisted], "postcode,huisnummer", np.array(reasons, dtype=object))


def _place_by_point(rows, todo, years, polygons, has_xy, state: _State) -> None:
    rd = todo[has_xy[todo]]
    wgs = todo[~has_xy[todo]]
    if len(polygons) == 0:
        state.reject(rd, "x,y", REASON_NO_BOUNDARIES)
        state.reject(wgs, "lat,lon", REASON_NO_BOUNDARIES)
        return
    x = rows["x"].iloc[rd].astype("float64").to_numpy() if len(rd) else np.array([])
    y = rows["y"].iloc[rd].astype("float64").to_numpy() if len(rd) else np.array([])
    degrees = x < RD_X_MIN
    state.reject(rd[degrees], "x,y", REASON_NOT_RD)
    rd, x, y = rd[~degrees], x[~degrees], y[~degrees]
    if len(wgs):
        lon = rows["lon"].iloc[wgs].astype("float64").to_numpy()
        lat = rows["lat"].iloc[wgs].astype("float64").to_numpy()
        moved = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=WGS84).to_crs(RD_NEW)
        x = np.concatenate([x, moved.x.to_numpy()])
        y = np.concatenate([y, moved.y.to_numpy()])
    ids = np.concatenate([rd, wgs]).astype("int64")
    columns = np.array(["x,y"] * len(rd) + ["lat,lon"] * len(wgs), dtype=object)
    if not len(ids):
        return
    geo_years = nearest_years(years[ids], polygons["geo_year"].unique())
    points = gpd.GeoDataFrame(
        {"row_id": ids, "geo_year": geo_years}, geometry=gpd.points_from_xy(x, y), crs=RD_NEW
    )
    hits = []
    for year in np.unique(geo_years):
        pts = points[points["geo_year"] == year]
        polys = polygons.loc[polygons["geo_year"] == year, ["buurt_code", "wijk_code", "geometry"]]
        joined = gpd.sjoin(pts, polys, how="inner", predicate="intersects")
        hits.append(pd.DataFrame(joined[["row_id", "geo_year", "buurt_code", "wijk_code"]]))
    hit = pd.concat(hits, ignore_index=True)
    # On a shared border a point touches two buurten: the lowest buurt code takes it.
    hit = hit.sort_values(["row_id", "buurt_code"]).drop_duplicates("row_id", keep="first")
    state.accept(
        hit["row_id"].to_numpy(),
        hit["buurt_code"].to_numpy(),
        hit["wijk_code"].to_numpy(),
        hit["geo_year"].to_numpy(),
        BY_COORDINATES,
    )
    missed = ~np.isin(ids, hit["row_id"].to_numpy())
    state.reject(ids[missed], columns[missed], REASON_POINT_OUTSIDE)


def _place_by_code(rows, todo, years, polygons, state: _State) -> None:
    coded = pd.DataFrame(
        {
            "row_id": todo.astype("int64"),
            "row_year": years[todo],
            "buurt_code": rows["buurtcode"].iloc[todo].astype("string").str.strip().to_numpy(),
        }
    )
    known = pd.DataFrame(polygons[["geo_year", "buurt_code", "wijk_code"]])
    con = duckdb.connect()
    try:
        con.register("coded", coded)
        con.register("known", known)
        found = con.sql(sql_file("municipal_buurtcode_lookup.sql")).df()
    finally:
        con.close()
    state.accept(
        found["row_id"].to_numpy(),
        found["buurt_code"].to_numpy(),
        found["wijk_code"].to_numpy(),
        found["geo_year"].to_numpy(),
        BY_BUURTCODE,
    )
    unknown = ~np.isin(todo, found["row_id"].to_numpy())
    state.reject(todo[unknown], "buurtcode", REASON_UNKNOWN_BUURTCODE)
