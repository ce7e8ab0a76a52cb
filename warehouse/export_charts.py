"""Charts (trend per indicator) and maps (choropleth of the buurten per indicator and year)
as PNG, with matplotlib's Agg renderer and no pyplot state, so they can be drawn anywhere.

A suppressed or missing year is a gap in the line (NaN), never a zero; a partial year is a
hollow marker off the line; the baseline year is a dashed vertical line; a target is drawn as
the straight path from the baseline value to the target value. Axes use Dutch numbers
(decimal comma, thousands point); a count axis starts at zero and holds only the comparison
areas of the gemeente itself (never the Netherlands' or the gemeente's total next to a
neighbourhood). Maps: one classification per indicator over all its years (quantile classes,
a classed legend), only of rates and shares (not raw counts), only for the baseline year and
the latest year with figures, and never of a year without any buurt figure."""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import re
import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, MaxNLocator

from warehouse.export import ExportData, attribution, column_name, dutch_number

DPI = 200
MAP_DPI = 150  # a map is a larger picture of flat areas: 150 dpi prints sharp on A4
MAP_CLASSES = 5
# Focus areas in strong colours; programme, gemeente and the Netherlands in calmer lines.
FOCUS_COLOURS = ["#d7301f", "#2b8cbe", "#e6a700", "#7a0177", "#1a9850"]
STYLE = {
    "programme": {"color": "#08306b", "linestyle": "-", "linewidth": 2.2},
    "gemeente": {"color": "#636363", "linestyle": "--", "linewidth": 1.8},
    "land": {"color": "#000000", "linestyle": ":", "linewidth": 1.8},
}
SUPPRESSED_PATCH = {"facecolor": "#d9d9d9", "edgecolor": "#969696", "hatch": "///"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _figure(width: float, height: float) -> Figure:
    # The base canvas draws nothing until savefig picks the PNG (Agg) renderer, so the
    # intermediate redraws geopandas asks for cost nothing.
    return Figure(figsize=(width, height), dpi=DPI)


def _footer(fig: Figure, data: ExportData, source: str) -> None:
    fig.text(0.01, 0.015, attribution(source, data.gemeente_name), fontsize=8, color="#444444")
    if data.synthetic:
        fig.text(
            0.99,
            0.015,
            "SYNTHETISCHE DEMODATA",
            fontsize=9,
            color="#b30000",
            ha="right",
            weight="bold",
        )


def axis_number(value: float, _pos=None) -> str:
    """A Dutch tick label: 1.250 / 12,5 / 0,25 (no '1e7', no decimal point)."""
    if value == 0:
        return "0"
    decimals = (
        0 if abs(value) >= 100 or float(value).is_integer() else (1 if abs(value) >= 1 else 2)
    )
    return dutch_number(value, "", decimals)


DUTCH_TICKS = FuncFormatter(axis_number)


def png_bytes(fig: Figure, dpi: int = DPI) -> bytes:
    buf = io.BytesIO()
    # Fast zlib level: the files stay small (flat colours) and 66 maps draw in seconds.
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def indicator_row(data: ExportData, indicator_id: str) -> pd.Series:
    return data._once("by_indicator", lambda: data.indicators.set_index("indicator_id")).loc[
        indicator_id
    ]


def chart_years(data: ExportData, indicator_id: str) -> tuple[list, pd.Series]:
    """The years of one indicator (every area) and their period labels."""

    def split():
        out = {}
        for i, rows in data.long.groupby("indicator_id", sort=False):
            labels = rows.drop_duplicates("period_year").set_index("period_year")["period_label"]
            out[i] = (sorted(rows["period_year"].unique()), labels)
        return out

    return data._once("chart_years", split).get(indicator_id, ([], pd.Series(dtype=object)))


def chart_figure(data: ExportData, indicator_id: str) -> Figure:
    """The trend of every comparison area for one indicator. Each area's line has one point per
    year of the indicator: NaN (a gap) where the cell is suppressed, missing or partial."""
    ind = indicator_row(data, indicator_id)
    series = data.series(indicator_id)
    years, labels = chart_years(data, indicator_id)
    fig = _figure(7.2, 4.0)
    ax = fig.add_axes((0.1, 0.2, 0.61, 0.68))
    level = data.area_level
    focus_n = 0
    partial_drawn = False
    for code in chart_areas(data, str(ind["unit"])):
        rows = series[series["area_code"] == code]
        cells = dict(
            zip(
                rows["period_year"],
                zip(rows["value"], rows["suppressed"], rows["partial"], strict=True),
                strict=True,
            )
        )
        lvl = level.get(code, "")
        if lvl == "focus":
            style = {
                "color": FOCUS_COLOURS[focus_n % len(FOCUS_COLOURS)],
                "linestyle": "-",
                "linewidth": 2.4,
            }
            focus_n += 1
        else:
            style = STYLE.get(lvl, {"color": "#999999", "linestyle": "-", "linewidth": 1.5})
        y = []
        hollow_x, hollow_y = [], []
        for year in years:
            if year not in cells:
                y.append(np.nan)
                continue
            value, suppressed, partial = cells[year]
            shown = not bool(suppressed) and pd.notna(value)
            if shown and bool(partial):
                hollow_x.append(year)
                hollow_y.append(float(value))
                y.append(np.nan)
            else:
                y.append(float(value) if shown else np.nan)
        ax.plot(years, y, marker="o", markersize=5, label=data.area_name(code), gid=code, **style)
        if hollow_x:
            ax.plot(
                hollow_x,
                hollow_y,
                linestyle="none",
                marker="o",
                markersize=7,
                markerfacecolor="white",
                markeredgecolor=style["color"],
                label="_partial",
            )
            partial_drawn = True
    baseline = data.baseline_year
    if years and min(years) <= baseline <= max(years):
        ax.axvline(baseline, color="#888888", linestyle="--", linewidth=1, zorder=0)
        ax.annotate(
            f"basisjaar {labels.get(baseline, baseline)}",
            xy=(baseline, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12),
            textcoords="offset points",
            fontsize=8,
            color="#555555",
        )
    _target_paths(ax, data, indicator_id)
    ax.set_xticks(years, [str(labels.get(y, y)) for y in years], fontsize=8)
    if len(years) == 1:
        ax.set_xlim(years[0] - 1, years[0] + 1)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.yaxis.set_major_formatter(DUTCH_TICKS)
    if str(ind["unit"]).strip() in ("aantal", "per 1 000", "%", "x 1 000 euro"):
        ax.set_ylim(bottom=0)  # never a truncated axis that makes a small change look big
    ax.set_ylabel(str(ind["unit"]))
    ax.set_xlabel("schooljaar" if ind["period_type"] == "schooljaar" else "jaar")
    ax.grid(axis="y", color="#e0e0e0")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(textwrap.fill(str(ind["name"]), 60), fontsize=11, loc="left")
    handles, names = ax.get_legend_handles_labels()
    if partial_drawn:
        handles.append(
            Line2D([], [], linestyle="none", marker="o", markerfacecolor="white", color="#444444")
        )
        names.append("onvolledig jaar")
    ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8)
    fig.text(
        0.01,
        0.065,
        "Ontbrekend punt: onderdrukt of geen cijfers in dat jaar (geen nul)."
        + (
            " Aantallen: alleen de eigen gebieden (gemeente en Nederland zijn veel groter)."
            if str(ind["unit"]).strip() == "aantal"
            else ""
        ),
        fontsize=7,
        color="#666666",
    )
    _footer(fig, data, str(ind["source"]))
    return fig


def chart_areas(data: ExportData, unit: str) -> list[str]:
    """The areas on a chart: all comparison areas, except that a count never shares an axis
    with the gemeente or the Netherlands (17 million next to 1 400 makes both unreadable)."""
    if unit.strip() != "aantal":
        return list(data.compare)
    return [c for c in data.compare if data.area_level.get(c) in ("focus", "programme")]


def _target_paths(ax, data: ExportData, indicator_id: str) -> None:
    """The straight path from the baseline value to the target value in the target year."""
    rows = data.targets[
        (data.targets["indicator_id"] == indicator_id) & data.targets["target_value"].notna()
    ]
    for t in rows.itertuples(index=False):
        ax.plot(
            [t.baseline_year, t.by_year],
            [t.baseline_value, t.target_value],
            color="#1a9850",
            linestyle=(0, (4, 2)),
            linewidth=1.6,
            marker="D",
            markevery=[1],
            label=f"doel {data.area_name(t.area_code)}: {t.target_change_pct:+.0f}% in {t.by_year}".replace(
                "-", "−"
            ),
            gid=f"doel:{t.area_code}",
        )


def chart_png(data: ExportData, indicator_id: str) -> bytes:
    key = ("chart", indicator_id)
    if key not in data.images:
        data.images[key] = png_bytes(chart_figure(data, indicator_id))
    return data.images[key]


def indicators_with_figures(data: ExportData) -> list[str]:
    """Indicators whose chart would show at least one figure (a chart of only gaps is not
    drawn: e.g. a count suppressed for every focus area in every year)."""

    def work_out():
        long = data.long
        shown = long[~long["suppressed"].astype(bool) & long["value"].notna()]
        pairs = set(zip(shown["indicator_id"], shown["area_code"], strict=True))
        return [
            ind.indicator_id
            for ind in data.indicators.itertuples(index=False)
            if any((ind.indicator_id, c) in pairs for c in chart_areas(data, str(ind.unit)))
        ]

    return list(data._once("with_figures", work_out))


def write_charts(data: ExportData, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    draw_images(data, [("chart", i) for i in indicators_with_figures(data)])
    out = []
    for indicator_id in indicators_with_figures(data):
        path = folder / data.file_name(f"grafiek_{column_name(indicator_id)}", "png")
        path.write_bytes(chart_png(data, indicator_id))
        out.append(path)
    return out


# --- maps -------------------------------------------------------------------------------------


def _buurten(data: ExportData) -> gpd.GeoDataFrame:
    def work_out():
        g = data.geometry
        return g[(g["area_level"] == "buurt") & (g["gemeente_code"] == data.config["gemeente"])]

    return data._once("buurten", work_out)


def focus_outlines(data: ExportData) -> gpd.GeoDataFrame:
    """Each focus area as the dissolved outline of its member buurten (its own boundary when
    its members are not buurten with a boundary)."""
    buurten = _buurten(data).set_index("area_code")
    rows = []
    for r in data.areas[data.areas["area_level"] == "focus"].itertuples(index=False):
        members = [m.strip() for m in str(r.members or "").split(",") if m.strip()]
        if members and all(m in buurten.index for m in members):
            geom = buurten.loc[members].geometry.union_all()
        else:
            own = data.geometry[data.geometry["area_code"] == r.area_code]
            if own.empty:
                continue
            geom = own.geometry.iloc[0]
        rows.append({"area_code": r.area_code, "area_name": r.area_name, "geometry": geom})
    return gpd.GeoDataFrame(
        rows,
        columns=["area_code", "area_name", "geometry"],
        geometry="geometry",
        crs=data.geometry.crs,
    )


def _buurt_values(data: ExportData, indicator_id: str) -> pd.DataFrame:
    def split():
        rows = data.long[data.long["area_code"].isin(set(_buurten(data)["area_code"]))]
        return {i: g for i, g in rows.groupby("indicator_id", sort=False)}

    found = data._once("buurt_values", split).get(indicator_id)
    return found if found is not None else data.long.iloc[0:0]


def map_classes(data: ExportData, indicator_id: str) -> np.ndarray:
    """Class edges shared by every year of one indicator: quantiles (by hand; mapclassify is
    not a dependency) of all shown buurt values over all years, so that a colour means the
    same in 2020 as in 2024. Returns increasing edges, first = minimum, last = maximum."""

    def work_out():
        rows = _buurt_values(data, indicator_id)
        values = rows.loc[~rows["suppressed"].astype(bool), "value"].dropna().to_numpy(float)
        if len(values) == 0:
            return np.array([0.0, 1.0])
        edges = np.unique(np.quantile(values, np.linspace(0, 1, MAP_CLASSES + 1)))
        if len(edges) == 1:
            edges = np.array([edges[0], edges[0] + 1.0])
        return edges

    return data._once(("classes", indicator_id), work_out)


# --- the shapes every map shares, turned into matplotlib paths once -------------------------
#
# Drawn as geopandas' GeoDataFrame.plot draws them (normalised rings, one patch per polygon in
# a collection, the axes rescaled after each collection), without working the shapes out again
# for each of the ~40 maps.


def _polygon_patch(polygon) -> PathPatch:
    parts = [polygon] if polygon.geom_type == "Polygon" else polygon.geoms
    paths = []
    for part in parts:
        paths.append(MplPath(np.asarray(part.exterior.coords)[:, :2], closed=True))
        paths.extend(MplPath(np.asarray(r.coords)[:, :2], closed=True) for r in part.interiors)
    return PathPatch(MplPath.make_compound_path(*paths))


@dataclass
class MapShapes:
    """The buurten (in `_buurten` order) as patches, the focus outlines as line segments
    with their names and label points."""

    codes: list[str]
    patches: list[PathPatch]
    outline_segments: list[np.ndarray]
    labels: list[tuple[str, float, float]]


def map_shapes(data: ExportData, outlines: gpd.GeoDataFrame | None = None) -> MapShapes:
    def work_out(outlines=outlines):
        buurten = _buurten(data)
        geoms = shapely.normalize(buurten.geometry.to_numpy())
        outlines = focus_outlines(data) if outlines is None else outlines
        lines = shapely.get_parts(shapely.normalize(outlines.boundary.to_numpy()))
        labels = []
        for r in outlines.itertuples(index=False):
            p = r.geometry.representative_point()
            labels.append((r.area_name, p.x, p.y))
        return MapShapes(
            codes=list(buurten["area_code"]),
            patches=[_polygon_patch(g) for g in geoms],
            outline_segments=[np.array(line.coords)[:, :2] for line in lines],
            labels=labels,
        )

    return work_out() if outlines is not None else data._once("map_shapes", work_out)


def _patches(ax, patches: list[PathPatch], values=None, cmap=None, **style) -> None:
    collection = PatchCollection(patches, **style)
    if cmap is not None:
        collection.set_cmap(cmap)
    if values is not None:
        collection.set_array(np.asarray(values))
    ax.add_collection(collection, autolim=True)
    ax.autoscale_view()


def _class_label(low: float, high: float, unit: str) -> str:
    digits = 0 if unit.strip() == "aantal" or max(abs(low), abs(high)) >= 100 else 1
    return f"{dutch_number(low, unit, digits)} – {dutch_number(high, unit, digits)}"


def map_figure(
    data: ExportData, indicator_id: str, year: int, outlines: gpd.GeoDataFrame | None = None
) -> Figure:
    """Choropleth of the gemeente's buurten for one indicator and year, in the indicator's
    classes over all years; suppressed buurten hatched grey ('onderdrukt'), buurten without
    figures white, focus areas outlined."""
    ind = indicator_row(data, indicator_id)
    unit = str(ind["unit"])
    shapes = map_shapes(data, outlines)
    rows = _buurt_values(data, indicator_id)
    rows = rows[rows["period_year"] == year]
    by_code = rows.drop_duplicates("area_code").set_index("area_code")
    value = by_code["value"].reindex(shapes.codes).to_numpy(dtype=float, na_value=np.nan)
    hidden = by_code["suppressed"].reindex(shapes.codes).fillna(False).astype(bool).to_numpy()
    shown = ~np.isnan(value) & ~hidden
    missing = ~shown & ~hidden
    fig = _figure(6.4, 5.6)
    ax = fig.add_axes((0.02, 0.08, 0.96, 0.8))
    handles = []
    edges = map_classes(data, indicator_id)
    n_classes = len(edges) - 1
    cmap = "viridis_r" if ind["direction"] == "lager is beter" else "viridis"
    colours = [matplotlib.colormaps[cmap](x) for x in np.linspace(0.1, 0.9, max(n_classes, 1))]

    def pick(mask):
        return [p for p, keep in zip(shapes.patches, mask, strict=True) if keep]

    if shown.any():
        ax.set_aspect("equal")
        _patches(
            ax,
            pick(shown),
            values=value[shown],
            cmap=ListedColormap(colours),
            norm=BoundaryNorm(edges, n_classes, clip=True),
            edgecolor="white",
            linewidth=0.5,
        )
    for k in range(n_classes):
        handles.append(
            Patch(facecolor=colours[k], label=_class_label(edges[k], edges[k + 1], unit))
        )
    if hidden.any():
        ax.set_aspect("equal")
        _patches(ax, pick(hidden), linewidth=0.5, **SUPPRESSED_PATCH)
        handles.append(Patch(label="onderdrukt", **SUPPRESSED_PATCH))
    if missing.any():
        ax.set_aspect("equal")
        _patches(ax, pick(missing), facecolor="white", edgecolor="#bdbdbd", linewidth=0.5)
        handles.append(Patch(facecolor="white", edgecolor="#bdbdbd", label="geen cijfers"))
    if shapes.labels:
        ax.set_aspect("equal")
        lines = LineCollection(shapes.outline_segments, color="#e4007c", linewidth=2.2)
        ax.add_collection(lines, autolim=True)
        ax.autoscale_view()
        handles.append(Line2D([], [], color="#e4007c", linewidth=2.2, label="focusgebied"))
        for name, x, y in shapes.labels:
            ax.annotate(
                name,
                xy=(x, y),
                fontsize=7,
                ha="center",
                color="#111111",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.7, "lw": 0},
            )
    ax.set_xticks([])  # no ticks to lay out (and measure for the title) on a map without axes
    ax.set_yticks([])
    ax.set_axis_off()
    ax.set_aspect("equal")
    label = rows["period_label"].iloc[0] if len(rows) else str(year)
    if rows["partial"].astype(bool).any():
        # An incomplete year is never shown as if it were complete.
        label += " (onvolledig: niet alle maanden geleverd)"
    ax.set_title(textwrap.fill(f"{ind['name']}, {label}", 55), fontsize=10, loc="left")
    if handles:
        ax.legend(
            handles=handles,
            loc="lower left",
            fontsize=7,
            framealpha=0.9,
            title=unit,
            title_fontsize=7,
        )
    _footer(fig, data, str(ind["source"]))
    return fig


def map_png(
    data: ExportData, indicator_id: str, year: int, outlines: gpd.GeoDataFrame | None = None
) -> bytes:
    key = ("map", indicator_id, year)
    if key not in data.images:
        data.images[key] = png_bytes(map_figure(data, indicator_id, year, outlines), MAP_DPI)
    return data.images[key]


def mappable(data: ExportData) -> list[tuple[str, int]]:
    """(indicator, year) pairs worth a map: rates and shares only (a map of raw counts shows
    where many people live), the baseline year and the indicator's latest complete year, and
    only years where at least one buurt has a figure (never a map that is all hatched)."""
    units = dict(zip(data.indicators["indicator_id"], data.indicators["unit"], strict=True))
    buurten = set(_buurten(data)["area_code"])
    rows = data.long[data.long["area_code"].isin(buurten)]
    shown = rows[
        ~rows["suppressed"].astype(bool) & ~rows["partial"].astype(bool) & rows["value"].notna()
    ]
    out = []
    for indicator_id in data.indicators["indicator_id"]:
        if str(units[indicator_id]).strip() == "aantal":
            continue
        years = set(shown.loc[shown["indicator_id"] == indicator_id, "period_year"].astype(int))
        if not years:
            continue
        wanted = {max(years)} | ({data.baseline_year} & years)
        out += [(indicator_id, y) for y in sorted(wanted)]
    return out


_FORKED: ExportData | None = None  # what forked workers draw from


def _draw(data: ExportData, key: tuple) -> bytes:
    if key[0] == "chart":
        return png_bytes(chart_figure(data, key[1]))
    return png_bytes(map_figure(data, key[1], key[2]), MAP_DPI)


def _forked_draw(key: tuple) -> tuple[tuple, bytes]:
    return key, _draw(_FORKED, key)


def image_keys(data: ExportData) -> list[tuple]:
    """Every image the exports use: a chart per indicator with figures, and the maps."""
    return [("chart", i) for i in indicators_with_figures(data)] + [
        ("map", *p) for p in mappable(data)
    ]


def start_drawing(data: ExportData, keys: list[tuple] | None = None) -> Callable[..., None]:
    """Start drawing each image not yet in `data.images` in forked worker processes (each
    with its own matplotlib; a chart or map costs a few tenths of a second) and return a
    function that waits for them and stores them in `data.images` (`cancel=True`: stops the
    workers instead). Meanwhile the caller can write the formats without images. The files
    do not depend on the pool."""
    global _FORKED
    keys = image_keys(data) if keys is None else keys
    todo = list(dict.fromkeys(k for k in keys if k not in data.images))
    if not todo:
        return lambda cancel=False: None
    if any(k[0] == "map" for k in todo):
        map_shapes(data)  # the shapes every map shares, made once before the workers fork
    workers = min(len(os.sched_getaffinity(0)), 4, max(1, len(todo) // 4))
    if workers <= 1:

        def draw_here(cancel: bool = False) -> None:
            for key in [] if cancel else todo:
                data.images[key] = _draw(data, key)

        return draw_here
    _FORKED = data
    pool = multiprocessing.get_context("fork").Pool(workers)
    pending = pool.map_async(_forked_draw, todo, chunksize=2)

    def finish(cancel: bool = False) -> None:
        global _FORKED
        try:
            if cancel:
                pool.terminate()
            else:
                data.images.update(pending.get())
        finally:
            pool.close()
            pool.join()
            _FORKED = None

    return finish


def draw_images(data: ExportData, keys: list[tuple] | None = None) -> None:
    """Draw each image once into `data.images` (in parallel, see `start_drawing`)."""
    start_drawing(data, keys)()


def write_maps(data: ExportData, folder: Path) -> list[Path]:
    """The maps of `mappable` as PNG files."""
    folder.mkdir(parents=True, exist_ok=True)
    pairs = mappable(data)
    draw_images(data, [("map", *p) for p in pairs])
    out = []
    for indicator_id, year in pairs:
        path = folder / data.file_name(f"kaart_{column_name(indicator_id)}_{year}", "png")
        path.write_bytes(data.images[("map", indicator_id, year)])
        out.append(path)
    return out


# --- the figure cache -------------------------------------------------------------------------
#
# A chart or map is a function of the published figures it shows and of this drawing code, so
# PNGs drawn once are kept per input version beside the warehouse (`<warehouse>.figures/`, never
# in the restricted store: these are published figures) and an unchanged re-export draws
# nothing. The version is a content hash (not the run id: a rebuild with the same figures
# keeps its pictures); a new version replaces the folder of the previous one. The disclosure
# check runs on every export all the same, and nothing is stored before it has passed.


def figure_cache_dir(warehouse: Path) -> Path:
    """Where the PNGs drawn from `warehouse` are kept: `<warehouse stem>.figures` beside it."""
    return warehouse.with_name(f"{warehouse.stem}.figures")


def _frame_hash(h, frame: pd.DataFrame) -> None:
    h.update(repr(list(frame.columns)).encode())
    h.update(repr(list(frame.dtypes.astype(str))).encode())
    if len(frame):
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())


def figure_version(data: ExportData) -> str:
    """A hash of everything the images are drawn from: the long table (without the run id),
    indicators, areas, targets, boundaries, the settings of the export, and the drawing code
    with the versions of matplotlib, geopandas and shapely."""
    import warehouse.export as export_module

    h = hashlib.sha256()
    for module in (__file__, export_module.__file__):
        h.update(Path(module).read_bytes())
    h.update(f"{matplotlib.__version__} {gpd.__version__} {shapely.__version__}".encode())
    config = {k: v for k, v in data.config.items() if k not in ("run_id", "config_path")}
    h.update(repr(sorted((k, repr(v)) for k, v in config.items())).encode())
    _frame_hash(h, data.long.drop(columns=["run_id"], errors="ignore"))
    for frame in (data.indicators, data.areas, data.targets):
        _frame_hash(h, frame)
    _frame_hash(h, pd.DataFrame(data.geometry.drop(columns="geometry")))
    h.update(repr(data.geometry.crs).encode())
    for wkb in shapely.to_wkb(data.geometry.geometry.to_numpy()):
        h.update(wkb)
    return h.hexdigest()[:32]


def _cached_name(key: tuple) -> str:
    """A file name per image key: readable, and unique by a hash of the whole key."""
    text = "_".join(str(part) for part in key)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", text)
    return f"{safe}-{hashlib.sha256(repr(key).encode()).hexdigest()[:12]}.png"


@dataclass
class FigureCache:
    """The PNGs of one input version in `folder` (`<root>/<version>/`)."""

    root: Path
    version: str

    @property
    def folder(self) -> Path:
        return self.root / self.version

    @classmethod
    def of(cls, data: ExportData) -> FigureCache:
        return cls(figure_cache_dir(data.warehouse), figure_version(data))

    def load(self, keys: list[tuple]) -> dict[tuple, bytes]:
        """The images of `keys` drawn before for this version (a missing one is left out)."""
        out = {}
        for key in keys:
            try:
                png = (self.folder / _cached_name(key)).read_bytes()
            except OSError:
                continue
            if png.startswith(PNG_SIGNATURE):
                out[key] = png
        return out

    def store(self, images: dict[tuple, bytes], keys: list[tuple]) -> None:
        """Keep the images of `keys` for this version and drop earlier versions. A folder
        that cannot be written (an analyst exporting from a read-only share) keeps nothing:
        the export itself does not depend on the cache."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for key in keys:
                path = self.folder / _cached_name(key)
                if key not in images or path.exists():
                    continue
                partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
                partial.write_bytes(images[key])
                os.replace(partial, path)
            for old in self.root.iterdir():
                if old.is_dir() and old.name != self.version:
                    shutil.rmtree(old, ignore_errors=True)
        except OSError:
            return
