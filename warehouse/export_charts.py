"""Charts (trend per indicator) and maps (choropleth of the buurten per indicator and year)
as PNG, with matplotlib's Agg renderer and no pyplot state, so they can be drawn anywhere.

A suppressed or missing year is a gap in the line (NaN), never a zero; a partial year is a
hollow marker off the line; the baseline year is a dashed vertical line."""

from __future__ import annotations

import io
import multiprocessing
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from warehouse.export import ExportData, attribution, column_name

DPI = 100
# Focus areas in strong colours; programme, gemeente and the Netherlands in calmer lines.
FOCUS_COLOURS = ["#d7301f", "#2b8cbe", "#e6a700", "#7a0177", "#1a9850"]
STYLE = {
    "programme": {"color": "#08306b", "linestyle": "-", "linewidth": 2.2},
    "gemeente": {"color": "#636363", "linestyle": "--", "linewidth": 1.8},
    "land": {"color": "#000000", "linestyle": ":", "linewidth": 1.8},
}
SUPPRESSED_PATCH = {"facecolor": "#d9d9d9", "edgecolor": "#969696", "hatch": "///"}


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


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # Fast zlib level: the files stay small (flat colours) and 66 maps draw in seconds.
    fig.savefig(buf, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def indicator_row(data: ExportData, indicator_id: str) -> pd.Series:
    return data.indicators.set_index("indicator_id").loc[indicator_id]


def chart_figure(data: ExportData, indicator_id: str) -> Figure:
    """The trend of every comparison area for one indicator. Each area's line has one point per
    year of the indicator: NaN (a gap) where the cell is suppressed, missing or partial."""
    ind = indicator_row(data, indicator_id)
    series = data.series(indicator_id)
    years = sorted(data.long.loc[data.long["indicator_id"] == indicator_id, "period_year"].unique())
    labels = (
        data.long[data.long["indicator_id"] == indicator_id]
        .drop_duplicates("period_year")
        .set_index("period_year")["period_label"]
    )
    fig = _figure(7.2, 4.0)
    ax = fig.add_axes((0.09, 0.2, 0.62, 0.68))
    level = dict(zip(data.areas["area_code"], data.areas["area_level"], strict=True))
    focus_n = 0
    partial_drawn = False
    for code in data.compare:
        rows = series[series["area_code"] == code].set_index("period_year")
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
            if year not in rows.index:
                y.append(np.nan)
                continue
            r = rows.loc[year]
            shown = not bool(r["suppressed"]) and pd.notna(r["value"])
            if shown and bool(r["partial"]):
                hollow_x.append(year)
                hollow_y.append(float(r["value"]))
                y.append(np.nan)
            else:
                y.append(float(r["value"]) if shown else np.nan)
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
    ax.set_xticks(years, [str(labels.get(y, y)) for y in years], fontsize=8)
    if len(years) == 1:
        ax.set_xlim(years[0] - 1, years[0] + 1)
    ax.set_ylabel(str(ind["unit"]))
    ax.set_xlabel("schooljaar" if ind["period_type"] == "schooljaar" else "jaar")
    ax.grid(axis="y", color="#e0e0e0")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(str(ind["name"]), fontsize=11, loc="left")
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
        "Ontbrekend punt: onderdrukt of geen cijfers in dat jaar (geen nul).",
        fontsize=7,
        color="#666666",
    )
    _footer(fig, data, str(ind["source"]))
    return fig


def chart_png(data: ExportData, indicator_id: str) -> bytes:
    key = ("chart", indicator_id)
    if key not in data.images:
        data.images[key] = png_bytes(chart_figure(data, indicator_id))
    return data.images[key]


def indicators_with_figures(data: ExportData) -> list[str]:
    have = set(data.long["indicator_id"])
    return [i for i in data.indicators["indicator_id"] if i in have]


def write_charts(data: ExportData, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for indicator_id in indicators_with_figures(data):
        path = folder / f"grafiek_{column_name(indicator_id)}.png"
        path.write_bytes(chart_png(data, indicator_id))
        out.append(path)
    return out


# --- maps -------------------------------------------------------------------------------------


def _buurten(data: ExportData) -> gpd.GeoDataFrame:
    g = data.geometry
    return g[(g["area_level"] == "buurt") & (g["gemeente_code"] == data.config["gemeente"])]


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


def map_figure(
    data: ExportData, indicator_id: str, year: int, outlines: gpd.GeoDataFrame | None = None
) -> Figure:
    """Choropleth of the gemeente's buurten for one indicator and year; suppressed buurten
    hatched grey ('onderdrukt'), buurten without figures white, focus areas outlined."""
    ind = indicator_row(data, indicator_id)
    rows = data.long[
        (data.long["indicator_id"] == indicator_id) & (data.long["period_year"] == year)
    ]
    gdf = _buurten(data).merge(
        rows[["area_code", "value", "suppressed", "period_label", "partial"]],
        on="area_code",
        how="left",
    )
    shown = gdf["value"].notna() & ~gdf["suppressed"].fillna(False).astype(bool)
    hidden = gdf["suppressed"].fillna(False).astype(bool)
    missing = ~shown & ~hidden
    fig = _figure(6.4, 5.6)
    ax = fig.add_axes((0.02, 0.1, 0.8, 0.8))
    cax = fig.add_axes((0.84, 0.25, 0.03, 0.5))
    handles = []
    if shown.any():
        gdf[shown].plot(
            ax=ax,
            column="value",
            cmap="viridis_r" if ind["direction"] == "lager is beter" else "viridis",
            edgecolor="white",
            linewidth=0.5,
            legend=True,
            cax=cax,
            legend_kwds={"label": str(ind["unit"])},
        )
    else:
        cax.set_axis_off()
    if hidden.any():
        gdf[hidden].plot(ax=ax, linewidth=0.5, **SUPPRESSED_PATCH)
        handles.append(Patch(label="onderdrukt", **SUPPRESSED_PATCH))
    if missing.any():
        gdf[missing].plot(ax=ax, facecolor="white", edgecolor="#bdbdbd", linewidth=0.5)
        handles.append(Patch(facecolor="white", edgecolor="#bdbdbd", label="geen cijfers"))
    outlines = focus_outlines(data) if outlines is None else outlines
    if len(outlines):
        outlines.boundary.plot(ax=ax, color="#e4007c", linewidth=2.2)
        handles.append(Line2D([], [], color="#e4007c", linewidth=2.2, label="focusgebied"))
        for r in outlines.itertuples(index=False):
            p = r.geometry.representative_point()
            ax.annotate(
                r.area_name,
                xy=(p.x, p.y),
                fontsize=7,
                ha="center",
                color="#111111",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.7, "lw": 0},
            )
    ax.set_axis_off()
    ax.set_aspect("equal")
    label = rows["period_label"].iloc[0] if len(rows) else str(year)
    if rows["partial"].astype(bool).any():
        # An incomplete year is never shown as if it were complete.
        label += " (onvolledig: niet alle maanden geleverd)"
    ax.set_title(f"{ind['name']}, {label}", fontsize=11, loc="left")
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.9)
    _footer(fig, data, str(ind["source"]))
    return fig


def map_png(
    data: ExportData, indicator_id: str, year: int, outlines: gpd.GeoDataFrame | None = None
) -> bytes:
    key = ("map", indicator_id, year)
    if key not in data.images:
        data.images[key] = png_bytes(map_figure(data, indicator_id, year, outlines))
    return data.images[key]


def mappable(data: ExportData) -> list[tuple[str, int]]:
    """(indicator, year) pairs with at least one buurt figure (suppressed ones included)."""
    buurten = set(_buurten(data)["area_code"])
    rows = data.long[data.long["area_code"].isin(buurten)]
    pairs = rows[["indicator_id", "period_year"]].drop_duplicates()
    order = {i: n for n, i in enumerate(data.indicators["indicator_id"])}
    return sorted(
        ((i, int(y)) for i, y in zip(pairs["indicator_id"], pairs["period_year"], strict=True)),
        key=lambda p: (order.get(p[0], 999), p[1]),
    )


_FORKED: tuple[ExportData, gpd.GeoDataFrame] | None = None  # what forked map workers draw from


def _forked_map(pair: tuple[str, int]) -> tuple[tuple[str, str, int], bytes]:
    data, outlines = _FORKED
    return ("map", *pair), png_bytes(map_figure(data, pair[0], pair[1], outlines))


def write_maps(data: ExportData, folder: Path) -> list[Path]:
    """One map per indicator and year. Drawing a map costs about 0.25 s, and a municipality
    has dozens of indicator-years: they are drawn in forked worker processes (each with its
    own matplotlib), in the order they are listed, so the files do not depend on the pool."""
    global _FORKED
    folder.mkdir(parents=True, exist_ok=True)
    outlines = focus_outlines(data)
    pairs = mappable(data)
    todo = [p for p in pairs if ("map", *p) not in data.images]
    workers = min(len(os.sched_getaffinity(0)), 4, max(1, len(todo) // 8))
    if workers > 1:
        _FORKED = (data, outlines)
        try:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(workers) as pool:
                data.images.update(pool.map(_forked_map, todo, chunksize=4))
        finally:
            _FORKED = None
    out = []
    for indicator_id, year in pairs:
        path = folder / f"kaart_{column_name(indicator_id)}_{year}.png"
        path.write_bytes(map_png(data, indicator_id, year, outlines))
        out.append(path)
    return out
