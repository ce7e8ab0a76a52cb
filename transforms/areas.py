"""The area dimension: CBS areas from the statistics and the kaart, and the municipality's
own areas (programme, focus) with their member buurten or wijken.

An area in the statistics without a boundary, or a boundary without statistics, is kept and
reported in the coverage frame; it never stops a build."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from shapely import union_all
from shapely.geometry.base import BaseGeometry

from sources.config import Config, OwnArea

RD_NEW = "EPSG:28992"
LEVEL_ORDER = ["land", "gemeente", "programme", "focus", "wijk", "buurt"]


class AreaError(ValueError):
    pass


@dataclass
class AreaModel:
    dim_area: pd.DataFrame  # one row per code, on the reference geography, + own areas
    own_members: pd.DataFrame  # area_code, member_code
    coverage: pd.DataFrame  # geo_year, area_code, area_level, in_statistics, has_boundary
    dim_area_year: pd.DataFrame | None = None  # an area is a code IN A YEAR (DIM_AREA_YEAR)
    boundaries: pd.DataFrame | None = None  # geo_year, area_code, area_level, ..., geometry
    reference_year: int | None = None


DIM_AREA_YEAR = [
    "area_code",
    "geo_year",
    "area_name",
    "area_level",
    "parent_code",
    "cbs_change_flag",
    "has_statistics",
    "has_boundary",
    "geometry_wkb",
]


def reference_geo_year(config: Config, stat_areas: pd.DataFrame, bounds: pd.DataFrame) -> int:
    """The configured reference year, or (when it has no statistics and no boundaries yet) the
    latest earlier year that has them."""
    ref = config.reference_year
    have = {int(y) for y in stat_areas["period_year"]} | {int(y) for y in bounds["geo_year"]}
    earlier = [y for y in have if y <= ref]
    return max(earlier) if earlier else (min(have) if have else ref)


def areas_per_year(stat_areas: pd.DataFrame, bounds: pd.DataFrame) -> pd.DataFrame:
    """DIM_AREA_YEAR: every CBS area of every year, from that year's statistics and kaart."""
    stats = stat_areas.rename(columns={"period_year": "geo_year"})
    if "change_flag" not in stats:
        stats = stats.assign(change_flag=None)
    stats = stats[["geo_year", "area_code", "area_level", "area_name", "change_flag"]]
    b = bounds[["geo_year", "area_code", "area_level", "area_name", "parent_code", "geometry"]]
    both = stats.merge(
        b, on=["geo_year", "area_code"], how="outer", suffixes=("", "_b"), indicator=True
    )
    both["area_level"] = both["area_level"].fillna(both["area_level_b"])
    both["area_name"] = both["area_name"].fillna(both["area_name_b"]).fillna(both["area_code"])
    both["has_statistics"] = both["_merge"].isin(["both", "left_only"])
    both["has_boundary"] = both["geometry"].notna()
    both["parent_code"] = [
        bp if isinstance(bp, str) and bp else parent_of(code, level)
        for code, level, bp in zip(
            both["area_code"], both["area_level"], both["parent_code"], strict=True
        )
    ]
    both["cbs_change_flag"] = both["change_flag"]
    both["geo_year"] = both["geo_year"].astype("int64")
    both["geometry_wkb"] = [
        g.wkb if isinstance(g, BaseGeometry) else None for g in both["geometry"]
    ]
    return both.sort_values(["geo_year", "area_code"])[DIM_AREA_YEAR].reset_index(drop=True)


def parent_of(code: str, level: str) -> str | None:
    return {
        "buurt": "WK" + code[2:8],
        "wijk": "GM" + code[2:6],
        "gemeente": "NL00",
    }.get(level)


def boundaries_by_year(kaart_by_year: dict[int, Sequence]) -> pd.DataFrame:
    """geo_year, area_code, area_level, area_name, parent_code, geometry (RD New) from kaart layers."""
    frames = []
    for year, layers in kaart_by_year.items():
        for layer in layers:
            f = layer.frame
            if "geometry" not in f or not isinstance(f, gpd.GeoDataFrame):
                continue
            parent = f.get("wijk_code", None)
            part = pd.DataFrame(
                {
                    "geo_year": year,
                    "area_code": f["area_code"].astype(str),
                    "area_level": layer.level,
                    "area_name": f.get("area_name", None),
                    "parent_code": parent,
                    "geometry": f.geometry.to_crs(RD_NEW).values,
                }
            )
            frames.append(part)
    if not frames:
        return pd.DataFrame(
            columns=["geo_year", "area_code", "area_level", "area_name", "parent_code", "geometry"]
        )
    out = pd.concat(frames, ignore_index=True)
    return out.drop_duplicates(["geo_year", "area_code"], keep="first")


def _polygon_members(area: OwnArea, buurten: gpd.GeoDataFrame) -> list[str]:
    """Buurten whose representative point lies in the area's own polygon."""
    try:
        poly = gpd.read_file(area.polygon)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise AreaError(f"{area.polygon}: cannot read the polygon of '{area.code}': {exc}") from exc
    if poly.crs is None:
        poly = poly.set_crs(RD_NEW)
    poly = poly.to_crs(RD_NEW)
    points = gpd.GeoDataFrame(
        {"area_code": buurten["area_code"].values},
        geometry=buurten.geometry.representative_point().values,
        crs=RD_NEW,
    )
    inside = gpd.sjoin(points, poly[["geometry"]], predicate="within", how="inner")
    members = sorted(set(inside["area_code"]))
    if not members:
        raise AreaError(f"{area.polygon}: the polygon of '{area.code}' contains no buurt")
    return members


def build_area_model(
    config: Config,
    stat_areas: pd.DataFrame,
    kaart_by_year: dict[int, Sequence],
    synthetic: bool,
) -> AreaModel:
    """stat_areas: period_year, area_code, area_level, area_name (from the statistics)."""
    bounds = boundaries_by_year(kaart_by_year)
    in_scope = bounds["area_code"].str[2:6].eq(config.gemeente_digits) | bounds["area_code"].eq(
        "NL00"
    )
    bounds = bounds[in_scope]
    boundaries_in_scope = bounds

    # Coverage per year: statistics and boundaries side by side.
    stat_keys = stat_areas[["period_year", "area_code", "area_level"]].rename(
        columns={"period_year": "geo_year"}
    )
    bound_keys = bounds[["geo_year", "area_code", "area_level"]]
    cov = stat_keys.merge(
        bound_keys, on=["geo_year", "area_code"], how="outer", indicator=True, suffixes=("", "_b")
    )
    cov["area_level"] = cov["area_level"].fillna(cov["area_level_b"])
    cov["in_statistics"] = cov["_merge"].isin(["both", "left_only"])
    # The Netherlands has no boundary in a municipal kaart; that is not a gap.
    cov["has_boundary"] = cov["_merge"].isin(["both", "right_only"]) | cov["area_code"].eq("NL00")
    years_with_kaart = set(bounds["geo_year"])
    cov = cov[cov["geo_year"].isin(years_with_kaart) | ~cov["in_statistics"]]
    coverage = cov.loc[
        ~(cov["in_statistics"] & cov["has_boundary"]),
        ["geo_year", "area_code", "area_level", "in_statistics", "has_boundary"],
    ].reset_index(drop=True)
    per_year = areas_per_year(stat_areas, bounds)

    # dim_area: the areas of the reference year (its statistics, its boundaries or the
    # nearest earlier boundaries), one row per code; first/last_year over all years.
    reference = reference_geo_year(config, stat_areas, bounds)
    years_of = stat_areas.groupby("area_code")["period_year"].agg(["min", "max"])
    stat_areas = stat_areas[stat_areas["period_year"] == reference]
    bound_years = (
        sorted(y for y in set(bounds["geo_year"]) if y <= reference)
        or sorted(set(bounds["geo_year"]))[:1]
    )
    bounds = bounds[bounds["geo_year"] == bound_years[-1]] if bound_years else bounds

    # One row per CBS area: latest name and geometry.
    stat_latest = (
        stat_areas.sort_values("period_year")
        .groupby("area_code")
        .agg(
            area_level=("area_level", "last"),
            stat_name=("area_name", "last"),
        )
        .join(years_of.rename(columns={"min": "first_year", "max": "last_year"}))
    )
    bound_latest = (
        bounds.sort_values("geo_year")
        .groupby("area_code")
        .agg(
            b_level=("area_level", "last"),
            b_name=("area_name", "last"),
            b_parent=("parent_code", "last"),
            geo_year=("geo_year", "max"),
            geometry=("geometry", "last"),
        )
    )
    dim = stat_latest.join(bound_latest, how="outer").reset_index()
    dim["area_level"] = dim["area_level"].fillna(dim["b_level"])
    dim["area_name"] = dim["stat_name"].fillna(dim["b_name"]).fillna(dim["area_code"])
    dim["parent_code"] = [
        bp if isinstance(bp, str) and bp else parent_of(code, level)
        for code, level, bp in zip(
            dim["area_code"], dim["area_level"], dim["b_parent"], strict=True
        )
    ]
    dim["geo_year"] = dim["geo_year"].fillna(dim["last_year"])
    dim["has_statistics"] = dim["first_year"].notna()
    dim["has_boundary"] = dim["geometry"].notna()
    dim["members"] = None

    # The gemeente's outline: its own kaart boundary, else the union of its wijken.
    gm = config.gemeente
    if gm in set(dim["area_code"]) and not dim.loc[dim["area_code"] == gm, "has_boundary"].item():
        wijk_geoms = dim.loc[dim["area_level"].eq("wijk") & dim["has_boundary"], "geometry"]
        if len(wijk_geoms):
            dim.loc[dim["area_code"] == gm, "geometry"] = union_all(list(wijk_geoms))

    # Own areas.
    buurten = dim[dim["area_level"].eq("buurt") & dim["has_boundary"]]
    buurt_gdf = gpd.GeoDataFrame(
        buurten[["area_code"]], geometry=list(buurten["geometry"]), crs=RD_NEW
    )
    geom_by_code: dict[str, BaseGeometry] = dict(
        zip(dim["area_code"], dim["geometry"], strict=True)
    )
    wijk_of = dict(zip(dim["area_code"], dim["parent_code"], strict=True))
    programme_codes = set(config.programme_area.areas)
    own_rows, member_rows = [], []
    for area in config.own_areas:
        members = list(area.areas) if area.areas else _polygon_members(area, buurt_gdf)
        is_programme = area is config.programme_area
        inside_programme = all(
            m in programme_codes or wijk_of.get(m) in programme_codes for m in members
        )
        parent = gm if is_programme or not inside_programme else config.programme_area.code
        geoms = [geom_by_code[m] for m in members if isinstance(geom_by_code.get(m), BaseGeometry)]
        geometry = union_all(geoms) if len(geoms) == len(members) and geoms else None
        own_rows.append(
            {
                "area_code": area.code,
                "area_name": area.name,
                "area_level": "programme" if is_programme else "focus",
                "parent_code": parent,
                "geo_year": dim["geo_year"].max(),
                "first_year": dim["first_year"].min(),
                "last_year": dim["last_year"].max(),
                "has_statistics": all(m in set(stat_areas["area_code"]) for m in members),
                "has_boundary": geometry is not None,
                "members": ", ".join(members),
                "geometry": geometry,
            }
        )
        member_rows += [{"area_code": area.code, "member_code": m} for m in members]

    cols = [
        "area_code",
        "area_name",
        "area_level",
        "parent_code",
        "geo_year",
        "first_year",
        "last_year",
        "has_statistics",
        "has_boundary",
        "members",
        "geometry",
    ]
    dim = pd.concat([dim[cols], pd.DataFrame(own_rows, columns=cols)], ignore_index=True)
    dim["gemeente_code"] = [None if c == "NL00" else gm for c in dim["area_code"]]
    dim["synthetic"] = synthetic
    dim["level_order"] = dim["area_level"].map({lv: i for i, lv in enumerate(LEVEL_ORDER)})
    dim = dim.sort_values(["level_order", "area_code"]).drop(columns="level_order")
    for c in ("geo_year", "first_year", "last_year"):
        dim[c] = dim[c].astype("Int64")
    dim["geometry_wkb"] = [g.wkb if isinstance(g, BaseGeometry) else None for g in dim["geometry"]]
    dim = dim.drop(columns="geometry").reset_index(drop=True)
    return AreaModel(
        dim_area=dim,
        own_members=pd.DataFrame(member_rows, columns=["area_code", "member_code"]),
        coverage=coverage,
        dim_area_year=per_year,
        boundaries=boundaries_in_scope,
        reference_year=reference,
    )
