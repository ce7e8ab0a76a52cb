"""Exports for policy staff and the council: workbook, CSV, Parquet, GeoPackage, charts, maps
and a self-contained HTML report, all read from the published warehouse (read-only) and never
from the landing files.

Before anything is written the disclosure rules are checked again on exactly what would be
exported (`check_disclosure`): a municipal count below the threshold (a share's complement
included), a suppressed cell that can be worked out by subtraction, or one that can be narrowed
to a range below the protection interval, stops the export with a clear message and no files."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from transforms.disclosure import interval_audit, recoverable_cells, small_counts
from warehouse.build import open_read_only

FORMATS = ("xlsx", "csv", "parquet", "gpkg", "png", "html", "docx")
SYNTHETIC_BANNER = "SYNTHETISCHE DEMODATA — geen CBS-cijfers"
# Before the extension of every file written from a synthetic (demo) warehouse.
SYNTHETIC_MARKER = "_SYNTHETISCH"
# CBS marks for an empty cell: `x` = suppressed (onderdrukt), `.` = not (yet) available.
MARK_SUPPRESSED = "x"
MARK_NOT_AVAILABLE = "."
NOT_PUBLISHED = "nog niet gepubliceerd"
THEME_TITLES = {
    "school": "School",
    "werk": "Werk",
    "financien": "Financiën",
    "leefomgeving": "Leefomgeving",
    "veiligheid": "Veiligheid",
    "context": "Context",
}
THEME_ORDER = ["school", "werk", "financien", "leefomgeving", "veiligheid", "context"]
# What every suppression mark means, for the reader.
REASON_TEXT = {
    "kleine aantallen": "Niet gepubliceerd om herleidbaarheid tot personen te voorkomen: het "
    "aantal is kleiner dan de drempel, of het is weggelaten zodat een klein aantal niet terug te "
    "rekenen of nauw te benaderen is (door optellen of aftrekken).",
    "bron geheim": "De bron (CBS) publiceert dit cijfer niet (geheimhouding of afronding).",
    "geen bron dit jaar": "De variabele of het gebied komt in de bron van dat jaar niet voor.",
    "niet te berekenen": "Niet te berekenen, bijvoorbeeld omdat de noemer 0 is.",
}
# What the marks in an empty cell mean (workbook, report, council brief).
MARK_LEGEND = [
    (MARK_SUPPRESSED, "onderdrukt: niet gepubliceerd (kleine aantallen, of geheim bij de bron)"),
    (MARK_NOT_AVAILABLE, "nog niet gepubliceerd of geen cijfer (de bron heeft dit cijfer niet)"),
]
# The verdict of indicator_assessment as the council reads it.
VERDICT_SHORT = {
    "beter": "beter",
    "slechter": "slechter",
    "geen duidelijke verandering": "geen duidelijke verandering",
    "te weinig gegevens": "te weinig gegevens",
    "geen oordeel (neutraal)": "geen oordeel (achtergrondcijfer)",
}
LEVEL_TEXT = {
    "focus": "focusgebied",
    "programme": "programmagebied",
    "gemeente": "gemeente",
    "land": "Nederland",
    "wijk": "wijk",
    "buurt": "buurt",
}


# A text cell starting with one of these is read as a formula by Excel (and LibreOffice,
# Google Sheets) when a CSV or workbook is opened (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_text(value):
    """`value` as a spreadsheet shows it but can never run: a text starting like a formula
    gets a leading `'` (OWASP's CSV-injection rule). Anything not text (a number, a negative
    one too, a date, NA) is returned as it is. Every CSV and workbook writer goes through this."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`inert_text` on every text column of `frame` (numeric columns untouched)."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            out[col] = s.map(inert_text, na_action="ignore")
    return out


class DisclosureError(RuntimeError):
    """What would be exported breaks the disclosure rules; nothing was written."""


@dataclass
class ExportData:
    """Everything the exports need, read once from the published warehouse."""

    warehouse: Path
    config: dict
    indicators: pd.DataFrame  # dim_indicator, in catalogue order
    areas: pd.DataFrame  # dim_area without geometry
    geometry: gpd.GeoDataFrame  # area_code, area_level, geometry (RD New) of areas with one
    facts: pd.DataFrame  # fact_indicator
    long: pd.DataFrame  # the `indicators` view
    targets: pd.DataFrame  # the `indicator_targets` view
    assessment: pd.DataFrame  # the `indicator_assessment` view
    run: dict  # the latest run in meta_run
    inputs: pd.DataFrame  # meta_input of that run
    compare: list[str] = field(default_factory=list)  # focus, programme, gemeente, NL codes
    pooled: pd.DataFrame | None = None  # fact_indicator_pooled (None: an older warehouse)
    images: dict[tuple, bytes] = field(default_factory=dict)  # PNGs drawn once, used twice
    _memo: dict = field(default_factory=dict, repr=False)  # lookups worked out once

    @property
    def synthetic(self) -> bool:
        return bool(self.config.get("synthetic"))

    @property
    def gemeente_name(self) -> str:
        return self.config.get("gemeente_name") or self.config["gemeente"]

    @property
    def baseline_year(self) -> int:
        return int(self.config["baseline_year"])

    def _once(self, key, make):
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def area_name(self, code: str) -> str:
        names = self._once(
            "names",
            lambda: dict(zip(self.areas["area_code"], self.areas["area_name"], strict=True)),
        )
        return names.get(code, code)

    @property
    def area_level(self) -> dict[str, str]:
        return self._once(
            "levels",
            lambda: dict(zip(self.areas["area_code"], self.areas["area_level"], strict=True)),
        )

    def file_name(self, base: str, extension: str) -> str:
        """`base.extension`, with `_SYNTHETISCH` before the extension for demo data."""
        return f"{base}{SYNTHETIC_MARKER if self.synthetic else ''}.{extension}"

    def latest_year(self, indicator_id: str) -> int | None:
        """The indicator's own latest year with figures (not suppressed, not partial) for
        one of the comparison areas; None when it has none."""

        def work_out():
            rows = self.series(indicator_id)
            usable = rows[
                ~rows["suppressed"].astype(bool)
                & ~rows["partial"].astype(bool)
                & rows["value"].notna()
            ]
            return int(usable["period_year"].max()) if len(usable) else None

        return self._once(("latest", indicator_id), work_out)

    def year_label(self, indicator_id: str, year: int) -> str:
        """'2023', or '2023 (laatst beschikbaar)' when later years have no figures yet."""
        rows = self.long[self.long["indicator_id"] == indicator_id]
        labels = rows.drop_duplicates("period_year").set_index("period_year")["period_label"]
        text = str(labels.get(year, year))
        if len(rows) and year < int(rows["period_year"].max()):
            text += " (laatst beschikbaar)"
        return text

    def mark(self, indicator_id: str, year: int, suppressed: bool, reason) -> str:
        """Why a cell is empty, for the reader: 'nog niet gepubliceerd' for a year after the
        indicator's latest year with figures that the source does not have yet, otherwise
        'onderdrukt' (with the reason)."""
        if not suppressed:
            return "geen cijfer"
        latest = self.latest_year(indicator_id)
        if reason == "geen bron dit jaar" and (latest is None or year > latest):
            return NOT_PUBLISHED
        return f"onderdrukt ({reason})" if isinstance(reason, str) and reason else "onderdrukt"

    def pooled_figure(self, indicator_id: str, code: str, year: int) -> tuple[float, str] | None:
        """(value, period label) of the published three-year figure standing in for a
        suppressed single year: the window ending in `year`, else the latest published window
        that holds it; None when there is none."""
        if self.pooled is None or self.pooled.empty:
            return None

        def index():
            shown = self.pooled[~self.pooled["suppressed"].astype(bool)]
            shown = shown[shown["value"].notna()]
            out: dict[tuple, list] = {}
            for r in shown.itertuples(index=False):
                out.setdefault((r.indicator_id, r.area_code), []).append(
                    (int(r.window_start), int(r.window_end), float(r.value), r.period_label)
                )
            return out

        windows = self._once("pooled", index).get((indicator_id, code), [])
        holding = [w for w in windows if w[0] <= year <= w[1]]
        if not holding:
            return None
        best = max(holding, key=lambda w: (w[1] == year, w[1]))
        return best[2], best[3]

    def cell(self, indicator_id: str, code: str, year: int) -> pd.Series | None:
        """The long row of one indicator x comparison area x year; None when there is none."""
        cells = self._once(
            "cells",
            lambda: {
                (r["indicator_id"], r["area_code"], int(r["period_year"])): r
                for _, r in self.long[self.long["area_code"].isin(self.compare)].iterrows()
            },
        )
        return cells.get((indicator_id, code, int(year)))

    def empty_cell(self, indicator_id: str, year: int, row: pd.Series | None) -> tuple[str, str]:
        """(CBS mark, text) of a cell without a figure: `x` onderdrukt (with the reason), or
        `.` nog niet gepubliceerd / geen cijfer (no row, or a value the source lacks)."""
        if row is None:
            return MARK_NOT_AVAILABLE, "geen cijfer"
        text = self.mark(indicator_id, year, bool(row["suppressed"]), row["suppression_reason"])
        if text in (NOT_PUBLISHED, "geen cijfer"):
            return MARK_NOT_AVAILABLE, text
        return MARK_SUPPRESSED, text

    def assessed(self, indicator_id: str, code: str) -> pd.Series | None:
        """The indicator_assessment row of one indicator x area; None when there is none."""
        rows = self._once(
            "assessed",
            lambda: {(r["indicator_id"], r["area_code"]): r for _, r in self.assessment.iterrows()},
        )
        return rows.get((indicator_id, code))

    def series(self, indicator_id: str) -> pd.DataFrame:
        """The long rows of one indicator for the comparison areas."""

        def split():
            rows = self.long[self.long["area_code"].isin(self.compare)]
            rows = rows.sort_values(["indicator_id", "period_year", "area_code"])
            return {i: g for i, g in rows.groupby("indicator_id", sort=False)}

        found = self._once("series", split).get(indicator_id)
        return found if found is not None else self.long.iloc[0:0]


def load_export_data(warehouse: Path) -> ExportData:
    con = open_read_only(warehouse)
    try:
        return _read(con, warehouse)
    finally:
        con.close()


def _frame(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(query, params or []).df()


def _read(con: duckdb.DuckDBPyConnection, warehouse: Path) -> ExportData:
    cols = [d[0] for d in con.execute("SELECT * FROM meta_config").description]
    row = con.execute("SELECT * FROM meta_config").fetchone()
    if row is None:
        raise ValueError(f"{warehouse}: meta_config is empty; not a finished warehouse")
    config = dict(zip(cols, row, strict=True))
    indicators = _frame(con, "SELECT * FROM dim_indicator ORDER BY sort_order, indicator_id")
    areas = _frame(
        con,
        "SELECT * EXCLUDE (geometry_wkb) FROM dim_area ORDER BY area_level, area_code",
    )
    geo = _frame(
        con,
        "SELECT area_code, area_level, gemeente_code, members, geometry_wkb, geometry_crs "
        "FROM dim_area WHERE geometry_wkb IS NOT NULL ORDER BY area_code",
    )
    crs = geo["geometry_crs"].dropna().iloc[0] if len(geo) else "EPSG:28992"
    geometry = gpd.GeoDataFrame(
        geo.drop(columns=["geometry_wkb", "geometry_crs"]),
        geometry=shapely.from_wkb([bytes(b) for b in geo["geometry_wkb"]]),
        crs=crs,
    )
    facts = _frame(con, "SELECT * FROM fact_indicator ORDER BY ALL")
    long = _frame(
        con, "SELECT * FROM indicators ORDER BY indicator_id, area_level, area_code, period_year"
    )
    targets = _frame(con, "SELECT * FROM indicator_targets ORDER BY indicator_id, area_code")
    assessment = _frame(con, "SELECT * FROM indicator_assessment ORDER BY indicator_id, area_code")
    run_row = con.execute(
        "SELECT * FROM meta_run WHERE status <> 'failed' "
        "ORDER BY finished_at DESC NULLS LAST LIMIT 1"
    )
    run_cols = [d[0] for d in run_row.description]
    run_values = run_row.fetchone()
    run = dict(zip(run_cols, run_values, strict=True)) if run_values else {}
    inputs = _frame(
        con,
        "SELECT * FROM meta_input WHERE run_id = ? ORDER BY source, period_year, input_id",
        [run.get("run_id")],
    )
    data = ExportData(
        warehouse=warehouse,
        config=config,
        indicators=indicators,
        areas=areas,
        geometry=geometry,
        facts=facts,
        long=long,
        targets=targets,
        assessment=assessment,
        run=run,
        inputs=inputs,
    )
    data.compare = comparison_areas(areas, config["gemeente"])
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "fact_indicator_pooled" in tables:
        data.pooled = _frame(con, "SELECT * FROM fact_indicator_pooled ORDER BY ALL")
    return data


def comparison_areas(areas: pd.DataFrame, gemeente: str) -> list[str]:
    """The columns the council compares: the focus areas, the programme area, the gemeente,
    the Netherlands."""
    out = []
    for level in ("focus", "programme"):
        out += sorted(areas.loc[areas["area_level"] == level, "area_code"])
    out += [c for c in (gemeente, "NL00") if c in set(areas["area_code"])]
    return out


def check_disclosure(data: ExportData) -> None:
    """Refuse to export when a municipal count below the threshold is published or a
    suppressed cell can be recovered; names the cells (never their figures)."""
    min_count = int(data.config["min_count"])
    # Warehouses built before the interval audit have no protection_interval: min_count.
    interval = data.config.get("protection_interval")
    interval = min_count if interval is None or pd.isna(interval) else int(interval)
    # Three-year figures are checked with the single years they add up (transforms.pooling).
    small = small_counts(data.facts, data.indicators, min_count, data.pooled)
    recoverable = recoverable_cells(data.facts, data.areas, data.indicators, data.pooled)
    audit = interval_audit(data.facts, data.areas, data.indicators, interval, data.pooled)
    narrow = audit[~audit["safe"].astype(bool)]
    if small.empty and recoverable.empty and narrow.empty:
        return
    lines = []
    for r in small.head(20).itertuples(index=False):
        lines.append(
            f"  {r.indicator_id} {r.area_code} {r.period_year}: {r.column} below {min_count}"
        )
    for r in recoverable.head(20).itertuples(index=False):
        lines.append(f"  {r.indicator_id} {r.area_code} {r.period_year}: {r.reason}")
    for r in narrow.head(20).itertuples(index=False):
        # The cell only, never the bounds: they would say what the count is.
        lines.append(
            f"  {r.indicator_id} {r.area_code} {r.period_year}: can be narrowed to a range "
            f"narrower than {interval} from what is published"
        )
    more = len(small) + len(recoverable) + len(narrow) - len(lines)
    if more > 0:
        lines.append(f"  ... and {more} more")
    raise DisclosureError(
        f"{data.warehouse}: export refused, disclosure control fails on "
        f"{len(small)} published count(s) below the threshold, {len(recoverable)} "
        f"recoverable suppressed cell(s) and {len(narrow)} suppressed cell(s) that can be "
        f"narrowed below the protection interval ({interval}):\n" + "\n".join(lines)
    )


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "gemeente"


def export_stem(data: ExportData, day: date) -> str:
    """`<gemeente>_<date>`; the demo marker is added by `ExportData.file_name`."""
    return f"{slug(data.gemeente_name)}_{day.isoformat()}"


def parse_formats(text: str | Iterable[str] | None) -> list[str]:
    """`xlsx,csv` -> ['xlsx', 'csv']; None or 'all' -> every format."""
    if text is None:
        return list(FORMATS)
    items = text.split(",") if isinstance(text, str) else list(text)
    chosen = [i.strip().lower() for i in items if i.strip()]
    if chosen == ["all"]:
        return list(FORMATS)
    unknown = [c for c in chosen if c not in FORMATS]
    if unknown or not chosen:
        raise ValueError(f"unknown format(s) {unknown or text!r}; choose from {', '.join(FORMATS)}")
    return [f for f in FORMATS if f in chosen]


def export_all(
    warehouse: Path,
    out_dir: Path,
    formats: Iterable[str] | None = None,
    day: date | None = None,
    figure_cache: bool = True,
) -> list[Path]:
    """Check disclosure, then write the chosen formats into `out_dir`; returns the files.
    From a synthetic warehouse every file name ends in `_SYNTHETISCH` (before the extension).

    The charts and maps the chosen formats show are drawn in worker processes while the
    disclosure check runs and the formats without images are written; with `figure_cache`
    those already drawn for the same input version are taken from beside the warehouse
    (`export_charts.FigureCache`) and the new ones kept there once the check has passed."""
    from warehouse.export_charts import FigureCache, start_drawing

    chosen = parse_formats(list(formats) if formats is not None else None)
    data = load_export_data(warehouse)
    keys = shown_images(data, chosen)
    cache = FigureCache.of(data) if figure_cache and keys else None
    if cache is not None:
        data.images.update(cache.load(keys))
    # Drawing starts before the check so that both use the two cores; nothing is written
    # (no export file, no cached figure) unless the check passes.
    images_ready = start_drawing(data, keys)
    try:
        check_disclosure(data)
        day = day or date.today()
        out_dir.mkdir(parents=True, exist_ok=True)
        written = _write_formats(data, chosen, out_dir, export_stem(data, day), day, images_ready)
    except BaseException:
        images_ready(cancel=True)
        raise
    if cache is not None:
        cache.store(data.images, keys)
    return written


def shown_images(data: ExportData, chosen: list[str]) -> list[tuple]:
    """The keys of every chart and map the chosen formats show (and no other): all charts
    and maps for `png`, the report's for `html`, three charts for `docx`."""
    from warehouse.export_charts import image_keys
    from warehouse.export_docx import brief_charts
    from warehouse.report import report_image_keys

    keys: list[tuple] = []
    if "png" in chosen:
        keys += image_keys(data)
    if "html" in chosen:
        keys += report_image_keys(data)
    if "docx" in chosen:
        keys += [("chart", i) for i in brief_charts(data)]
    return list(dict.fromkeys(keys))


def _write_formats(data, chosen, out_dir, stem, day, images_ready) -> list[Path]:
    from warehouse.export_charts import write_charts, write_maps
    from warehouse.export_docx import write_brief
    from warehouse.export_xlsx import write_workbook
    from warehouse.report import write_report

    written: list[Path] = []
    if "xlsx" in chosen:
        path = out_dir / data.file_name(f"indicatoren_{stem}", "xlsx")
        written.append(write_workbook(data, path, day))
    if "csv" in chosen:
        written += write_csv(data, out_dir, stem)
    if "parquet" in chosen:
        written.append(
            write_parquet(data, out_dir / data.file_name(f"indicatoren_{stem}", "parquet"))
        )
    if "gpkg" in chosen:
        written.append(write_geopackage(data, out_dir / data.file_name(f"gebieden_{stem}", "gpkg")))
    images_ready()
    if "png" in chosen:
        written += write_charts(data, out_dir / "grafieken")
        written += write_maps(data, out_dir / "kaarten")
    if "html" in chosen:
        written.append(write_report(data, out_dir / data.file_name(f"rapport_{stem}", "html"), day))
    if "docx" in chosen:
        path = out_dir / data.file_name(f"raadsinformatiebrief_{stem}", "docx")
        written.append(write_brief(data, path, day))
    return written


# --- long table: CSV and Parquet --------------------------------------------------------------

DUTCH_COLUMNS = {
    "indicator_id": "indicator",
    "theme": "thema",
    "name": "naam",
    "unit": "eenheid",
    "area_code": "gebiedscode",
    "area_name": "gebied",
    "area_level": "gebiedsniveau",
    "parent_code": "bovenliggend_gebied",
    "period_year": "jaar",
    "period_label": "periode",
    "value": "waarde",
    "numerator": "teller",
    "denominator": "noemer",
    "suppressed": "onderdrukt",
    "suppression_reason": "reden_onderdrukt",
    "is_estimate": "schatting",
    "partial": "onvolledig",
    "synthetic": "synthetisch",
    "direction": "richting",
    "source": "bron",
    "baseline_year": "basisjaar",
    "baseline_value": "waarde_basisjaar",
    "change_since_baseline": "verandering_sinds_basisjaar",
    "change_pct_since_baseline": "verandering_pct_sinds_basisjaar",
    "run_id": "run_id",
}
_BOOLEAN_COLUMNS = ("suppressed", "is_estimate", "partial", "synthetic")


def write_csv(data: ExportData, out_dir: Path, stem: str) -> list[Path]:
    """The long `indicators` view twice: for Dutch Excel (`;`, decimal comma, UTF-8 with BOM,
    Dutch headers, ja/nee) and plain (`,`, decimal point, the view's own column names).

    Text that would start a formula (an area name from StatLine or the config) is made inert."""
    inert = inert_frame(data.long)
    dutch = inert.copy()
    for col in _BOOLEAN_COLUMNS:
        dutch[col] = dutch[col].map({True: "ja", False: "nee"})
    dutch = dutch.rename(columns=DUTCH_COLUMNS)
    nl = out_dir / data.file_name(f"indicatoren_{stem}", "csv")
    dutch.to_csv(nl, sep=";", decimal=",", index=False, encoding="utf-8-sig")
    en = out_dir / data.file_name(f"indicatoren_{stem}_en", "csv")
    inert.to_csv(en, sep=",", decimal=".", index=False, encoding="utf-8")
    return [nl, en]


_PARQUET_TYPES = {
    "period_year": pa.int32(),
    "baseline_year": pa.int32(),
    "value": pa.float64(),
    "numerator": pa.float64(),
    "denominator": pa.float64(),
    "baseline_value": pa.float64(),
    "change_since_baseline": pa.float64(),
    "change_pct_since_baseline": pa.float64(),
    "suppressed": pa.bool_(),
    "is_estimate": pa.bool_(),
    "partial": pa.bool_(),
    "series_break": pa.bool_(),
    "synthetic": pa.bool_(),
}


def write_parquet(data: ExportData, path: Path) -> Path:
    """The long `indicators` view with its types; the file says whether it is demo data."""
    fields = [
        pa.field(col, _PARQUET_TYPES.get(col, pa.string()), nullable=True)
        for col in data.long.columns
    ]
    table = pa.Table.from_pandas(data.long, schema=pa.schema(fields), preserve_index=False)
    table = table.replace_schema_metadata(
        {
            "wijkmonitor.synthetic": str(data.synthetic).lower(),
            "wijkmonitor.gemeente": data.config["gemeente"],
            "wijkmonitor.run_id": str(data.run.get("run_id", "")),
        }
    )
    pq.write_table(table, path)
    return path


# --- boundaries with the latest values --------------------------------------------------------


def latest_values(data: ExportData) -> pd.DataFrame:
    """Per indicator the latest complete year, and every area's row in it."""
    complete = data.long[~data.long["partial"].astype(bool)]
    latest = complete.groupby("indicator_id")["period_year"].max().rename("latest")
    rows = complete.merge(latest, left_on="indicator_id", right_index=True)
    return rows[rows["period_year"] == rows["latest"]].drop(columns="latest")


def column_name(indicator_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", indicator_id.lower())


def write_geopackage(data: ExportData, path: Path) -> Path:
    """Every area with a boundary (RD New), with per indicator its value in the latest
    complete year (`<indicator>`), that year (`<indicator>_jaar`) and, when empty, why
    (`<indicator>_reden`)."""
    gdf = data.geometry.merge(
        data.areas[["area_code", "area_name", "parent_code", "synthetic"]], on="area_code"
    )
    gdf = gdf[["area_code", "area_name", "area_level", "parent_code", "synthetic", "geometry"]]
    latest = latest_values(data)
    wide: dict[str, pd.Series] = {}
    for indicator_id, rows in latest.groupby("indicator_id", sort=False):
        col = column_name(indicator_id)
        by_area = rows.set_index("area_code")
        wide[col] = by_area["value"].astype("float64")
        wide[f"{col}_jaar"] = by_area["period_year"].astype("Int32")
        wide[f"{col}_reden"] = by_area["suppression_reason"].astype("string")
    if wide:
        values = pd.DataFrame(wide)
        gdf = gdf.merge(values, left_on="area_code", right_index=True, how="left")
    gdf["synthetic"] = gdf["synthetic"].astype(bool) | data.synthetic
    gdf = gpd.GeoDataFrame(gdf, geometry="geometry", crs=data.geometry.crs)
    if path.exists():
        path.unlink()
    gdf.to_file(path, layer="gebieden", driver="GPKG", engine="pyogrio")
    return path


# --- shared helpers for the Dutch reader ------------------------------------------------------


def attribution(source: str, gemeente_name: str) -> str:
    """The 'Bron: ...' line for a catalogue source."""
    text = source.strip()
    if text.startswith("Gemeente"):
        rest = text.split(":", 1)[1].strip() if ":" in text else ""
        extra = ""
        if "+" in rest:
            rest, extra = (p.strip() for p in rest.split("+", 1))
        line = f"Gemeente {gemeente_name}" + (f" ({rest})" if rest else "")
        return "Bron: " + line + (f"; {extra}" if extra else "")
    if text.startswith("CBS"):
        return "Bron: CBS" + (f", {text[3:].strip()}" if text[3:].strip() else "")
    return f"Bron: {text}"


def number_format(unit: str) -> str:
    """The Excel number format of a unit: whole numbers for counts, one decimal otherwise."""
    return "#,##0" if unit.strip() == "aantal" else "0.0"


def dutch_number(value, unit: str, decimals: int | None = None) -> str:
    """1234.5 -> '1.234,5' (counts without decimals); empty for a missing value."""
    if value is None or pd.isna(value):
        return ""
    if decimals is None:
        decimals = 0 if unit.strip() == "aantal" else 1
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
