"""The council's workbook (openpyxl): "Raadsvoorstel" (per pillar an indicator x year table for
the focus areas, the programme area, the gemeente and the Netherlands, ready to paste into the
council proposal, with the verdict per row); a sheet per theme with every indicator per year
for the comparison areas side by side, the change since the baseline, targets; the catalogue
("Definities"); sources and what every mark means.

Numbers stay numbers (real number formats, Excel shows them the Dutch way). A cell without a
figure holds the CBS mark: `x` onderdrukt (suppressed: small numbers, or secret at the source)
or `.` nog niet gepubliceerd / geen cijfer; the theme sheets add a comment and a line in the
"Toelichting" column saying why. Every sheet prints on A4 landscape, fit to the page width,
with its header row on every page, and a demo workbook says so in every page header.

All text goes into cells through `_text_cell` (one place for a guard on formula-like text)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from warehouse.export import (
    LEVEL_TEXT,
    MARK_LEGEND,
    REASON_TEXT,
    SYNTHETIC_BANNER,
    THEME_ORDER,
    THEME_TITLES,
    VERDICT_SHORT,
    ExportData,
    attribution,
    inert_text,
    number_format,
)

HEADER_ROW = 3
BOLD = Font(bold=True)
BANNER = Font(bold=True, color="B30000", size=12)
TITLE = Font(bold=True, size=12)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
BASELINE_FILL = PatternFill("solid", fgColor="FFF2CC")
WRAP = Alignment(wrap_text=True, vertical="top")
RIGHT = Alignment(horizontal="right")
PARTIAL_FILL = PatternFill("solid", fgColor="D9D9D9")
NOTE = Font(italic=True, size=9, color="444444")
ESTIMATE = Font(italic=True)


def _text_cell(value: str) -> str:
    """The text a cell gets for `value`. Every text cell of the workbook passes here."""
    return value


def _put(ws: Worksheet, row: int, col: int, value=None):
    """ws.cell with text routed through `_text_cell`."""
    return ws.cell(row, col, _text_cell(value) if isinstance(value, str) else value)


def _print_setup(ws: Worksheet, data: ExportData, title_rows: str | None = "3:3") -> None:
    """A4 landscape, fit to the page width (as many pages down as needed), the header row on
    every page; page header the demo banner, footer the gemeente and the page number."""
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if title_rows:
        ws.print_title_rows = title_rows
    if data.synthetic:
        ws.oddHeader.center.text = SYNTHETIC_BANNER
        ws.oddHeader.center.color = "B30000"
        ws.oddHeader.center.size = 12
    # '&' starts a code in Excel's header language: '&&' is a literal ampersand.
    ws.oddFooter.left.text = f"Wijkmonitor {data.gemeente_name}".replace("&", "&&")
    ws.oddFooter.right.text = "Pagina &P van &N"


def _top(ws: Worksheet, data: ExportData, title: str) -> None:
    """Row 1: the demo banner (or the title), row 2: the title and the gemeente."""
    if data.synthetic:
        _put(ws, 1, 1, SYNTHETIC_BANNER).font = BANNER
    else:
        _put(ws, 1, 1, f"Wijkmonitor {data.gemeente_name}").font = TITLE
    _put(ws, 2, 1, title).font = TITLE


def _header(ws: Worksheet, names: list[str]) -> None:
    for col, name in enumerate(names, start=1):
        c = _put(ws, HEADER_ROW, col, name)
        c.font = BOLD
        c.fill = HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="bottom")


def _widths(ws: Worksheet, widths: dict[int, float]) -> None:
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width


def _themes(data: ExportData) -> list[str]:
    present = list(dict.fromkeys(data.indicators["theme"]))
    return [t for t in THEME_ORDER if t in present] + [t for t in present if t not in THEME_ORDER]


def _sheet_title(theme: str) -> str:
    return THEME_TITLES.get(theme, theme.capitalize())[:31]


def _theme_sheet(wb: Workbook, data: ExportData, theme: str) -> None:
    ws = wb.create_sheet(_sheet_title(theme))
    _print_setup(ws, data)
    _top(ws, data, f"Thema {_sheet_title(theme).lower()}: indicatoren per jaar")
    compare = data.compare
    names = [data.area_name(c) for c in compare]
    base = data.baseline_year
    header = ["Indicator", "Eenheid", "Jaar", "Periode", "Basisjaar"]
    header += names
    header += [f"Verandering t.o.v. {base}: {n}" for n in names]
    header += ["Doel", "Doelwaarde", "Op koers", "Toelichting"]
    _header(ws, header)
    first_value = 6
    first_change = first_value + len(compare)
    goal_col = first_change + len(compare)
    note_col = goal_col + 3
    level = dict(zip(data.areas["area_code"], data.areas["area_level"], strict=True))
    row = HEADER_ROW + 1
    for ind in data.indicators[data.indicators["theme"] == theme].itertuples(index=False):
        rows = data.series(ind.indicator_id)
        fmt = number_format(ind.unit)
        if rows.empty:
            _put(ws, row, 1, ind.name)
            _put(ws, row, 2, ind.unit)
            _put(
                ws, row, note_col, "Nog geen cijfers in dit warehouse (bron nog niet aangesloten)."
            )
            row += 1
            continue
        targets = data.targets[data.targets["indicator_id"] == ind.indicator_id]
        latest_complete = rows.loc[~rows["partial"].astype(bool), "period_year"].max()
        for year, year_rows in rows.groupby("period_year", sort=True):
            _put(ws, row, 1, ind.name)
            _put(ws, row, 2, ind.unit)
            _put(ws, row, 3, int(year)).number_format = "0"
            _put(ws, row, 4, str(year_rows["period_label"].iloc[0]))
            notes = []
            if int(year) == base:
                _put(ws, row, 5, "basisjaar")
                for col in range(1, note_col + 1):
                    _put(ws, row, col).fill = BASELINE_FILL
            if year_rows["partial"].astype(bool).any():
                notes.append("onvolledig jaar (niet vergeleken met het basisjaar)")
            estimates = []
            for k, code in enumerate(compare):
                cell = _put(ws, row, first_value + k)
                change = _put(ws, row, first_change + k)
                cell.number_format = fmt
                change.number_format = "+#,##0;-#,##0;0" if fmt == "#,##0" else "+0.0;-0.0;0.0"
                r = data.cell(ind.indicator_id, code, int(year))
                if r is None or bool(r["suppressed"]) or pd.isna(r["value"]):
                    symbol, text = data.empty_cell(ind.indicator_id, int(year), r)
                    _put(ws, row, first_value + k, symbol).alignment = RIGHT
                    if r is not None:  # no row at all (NL of a municipal figure): the mark only
                        cell.comment = Comment(f"{symbol} = {text}", "wijkmonitor")
                        notes.append(f"{data.area_name(code)}: {text}")
                    continue
                cell.value = float(r["value"])
                if pd.notna(r["change_since_baseline"]):
                    change.value = float(r["change_since_baseline"])
                if bool(r["is_estimate"]):
                    estimates.append(data.area_name(code))
            if estimates:
                notes.append("schatting (gewogen CBS-cijfer): " + ", ".join(estimates))
            if int(year) == latest_complete and len(targets):
                _targets(ws, row, goal_col, targets, data, level, fmt)
            if notes:
                _put(ws, row, note_col, "; ".join(notes))
            row += 1
    ws.freeze_panes = _put(ws, HEADER_ROW + 1, first_value)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(note_col)}{max(row - 1, HEADER_ROW)}"
    widths = {1: 44, 2: 13, 3: 7, 4: 11, 5: 10, note_col: 60, goal_col: 34, goal_col + 1: 12}
    widths |= {first_value + k: 14 for k in range(2 * len(compare))}
    widths[goal_col + 2] = 10
    _widths(ws, widths)
    ws.row_dimensions[HEADER_ROW].height = 45


# --- Raadsvoorstel: ready-to-paste tables per pillar ------------------------------------------

COUNCIL_SHEET = "Raadsvoorstel"


def change_format(unit: str) -> str:
    """Excel format of a change: signed, and labelled 'procentpunt' for a percentage (a change
    of a percentage is a difference in percentage points, not a percentage)."""
    base = "#,##0" if unit.strip() == "aantal" else "0.0"
    if unit.strip() == "%":
        label = ' "procentpunt"'
        return f"+{base}{label};-{base}{label};{base}{label}"
    return f"+{base};-{base};{base}"


def council_years(data: ExportData) -> list[int]:
    """The year columns of the Raadsvoorstel sheet: every year with a row for a comparison
    area (one set of columns for every pillar, so that one header row repeats on each page)."""
    rows = data.long[data.long["area_code"].isin(data.compare)]
    return sorted(int(y) for y in rows["period_year"].unique())


def _verdict_cell(data: ExportData, indicator_id: str, code: str) -> tuple[str, float | None]:
    """(verdict text, change) of indicator_assessment for one row of the sheet."""
    r = data.assessed(indicator_id, code)
    if r is None:
        return "te weinig gegevens", None
    text = VERDICT_SHORT.get(r["verdict"], r["verdict"])
    if pd.notna(r["latest_year"]) and r["verdict"] != "te weinig gegevens":
        text += f" ({int(r['baseline_year'])}–{int(r['latest_year'])})"
    change = float(r["change"]) if pd.notna(r["change"]) else None
    return text, change


def _council_sheet(wb: Workbook, data: ExportData) -> None:
    """Per pillar one table: a row per indicator x comparison area, a column per year, the
    change from the baseline to the latest year with figures and the verdict (both from
    indicator_assessment). Marks `x` / `.` in cells without a figure; partial years shaded;
    estimates in italics; footnotes under each pillar."""
    ws = wb.create_sheet(COUNCIL_SHEET)
    _print_setup(ws, data)
    _top(ws, data, f"Raadsvoorstel: cijfers per pijler ({data.gemeente_name})")
    years = council_years(data)
    base = data.baseline_year
    header = ["Indicator", "Eenheid", "Gebied"]
    header += [f"{y}\nbasisjaar" if y == base else str(y) for y in years]
    header += [f"Verandering sinds {base}", "Oordeel"]
    _header(ws, header)
    first_year = 4
    change_col = first_year + len(years)
    verdict_col = change_col + 1
    row = HEADER_ROW + 1
    for theme in _themes(data):
        indicators = data.indicators[data.indicators["theme"] == theme]
        with_rows = [
            ind for ind in indicators.itertuples(index=False) if len(data.series(ind.indicator_id))
        ]
        if not with_rows:
            continue
        _put(ws, row, 1, f"Pijler {_sheet_title(theme).lower()}").font = TITLE
        row += 1
        partial_seen = estimate_seen = False
        school_year = ""
        for ind in with_rows:
            series = data.series(ind.indicator_id)
            fmt = number_format(ind.unit)
            if ind.period_type == "schooljaar" and not school_year:
                first_row = series.iloc[0]
                school_year = (
                    f"Schooljaar: onder {int(first_row['period_year'])} staat schooljaar "
                    f"{first_row['period_label']}."
                )
            first = True
            for code in [c for c in data.compare if c in set(series["area_code"])]:
                if first:
                    _put(ws, row, 1, ind.name).alignment = WRAP
                    _put(ws, row, 2, ind.unit)
                    first = False
                _put(ws, row, 3, data.area_name(code))
                for k, year in enumerate(years):
                    col = first_year + k
                    r = data.cell(ind.indicator_id, code, year)
                    if r is None or bool(r["suppressed"]) or pd.isna(r["value"]):
                        symbol, _ = data.empty_cell(ind.indicator_id, year, r)
                        _put(ws, row, col, symbol).alignment = RIGHT
                        continue
                    c = _put(ws, row, col, float(r["value"]))
                    c.number_format = fmt
                    if bool(r["partial"]):
                        c.fill = PARTIAL_FILL
                        partial_seen = True
                    if bool(r["is_estimate"]):
                        c.font = ESTIMATE
                        estimate_seen = True
                verdict, change = _verdict_cell(data, ind.indicator_id, code)
                if change is not None:
                    _put(ws, row, change_col, change).number_format = change_format(ind.unit)
                _put(ws, row, verdict_col, verdict)
                row += 1
        notes = []
        if partial_seen:
            notes.append(
                "Gearceerd: onvolledig jaar (nog niet alle maanden geleverd); niet vergeleken "
                "met het basisjaar."
            )
        if estimate_seen:
            notes.append("Cursief: schatting (CBS-cijfer gewogen over de buurten van het gebied).")
        if school_year:
            notes.append(school_year)
        notes += [
            "x = onderdrukt; . = nog niet gepubliceerd of geen cijfer. Verandering en oordeel: "
            f"van {base} tot het laatste jaar met cijfers; bij een percentage in procentpunt."
        ]
        notes += sorted({attribution(i.source, data.gemeente_name) for i in with_rows})
        for note in notes:
            _put(ws, row, 1, note).font = NOTE
            row += 1
        row += 1
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, first_year)
    _widths(ws, {1: 40, 2: 11, 3: 20, change_col: 22, verdict_col: 36})
    _widths(ws, {first_year + k: 9 for k in range(len(years))})
    ws.row_dimensions[HEADER_ROW].height = 30


def _targets(ws, row, col, targets, data, level, fmt) -> None:
    goals, values, on_track = [], [], []
    for t in targets.itertuples(index=False):
        where = data.area_name(t.area_code)
        goals.append(
            f"{where} ({LEVEL_TEXT.get(level.get(t.area_code, ''), '')}): "
            f"{t.target_change_pct:+.0f}% in {t.by_year} t.o.v. {t.baseline_year}"
        )
        if pd.notna(t.target_value):
            values.append(float(t.target_value))
        if pd.isna(t.on_track):
            on_track.append(f"onbekend ({t.note})" if isinstance(t.note, str) else "onbekend")
        else:
            on_track.append("ja" if bool(t.on_track) else "nee")
    _put(ws, row, col, "; ".join(goals)).alignment = WRAP
    if len(values) == 1:
        _put(ws, row, col + 1, values[0]).number_format = fmt
    _put(ws, row, col + 2, "; ".join(on_track))


def _definitions(wb: Workbook, data: ExportData) -> None:
    ws = wb.create_sheet("Definities")
    _print_setup(ws, data)
    _top(ws, data, "Definities: de indicatorencatalogus")
    header = [
        "Indicator",
        "Naam",
        "Thema",
        "Definitie",
        "Eenheid",
        "Teller",
        "Noemer",
        "Bron",
        "Richting",
        "Periode",
        "Onthullingsregel",
        "Cijfers in dit bestand",
    ]
    _header(ws, header)
    for n, ind in enumerate(data.indicators.itertuples(index=False), start=HEADER_ROW + 1):
        values = [
            ind.indicator_id,
            ind.name,
            _sheet_title(ind.theme),
            ind.definition,
            ind.unit,
            ind.numerator or "",
            ind.denominator or "",
            attribution(ind.source, data.gemeente_name).removeprefix("Bron: "),
            ind.direction,
            ind.period_type,
            ind.disclosure_rule,
            "ja" if ind.indicator_id in set(data.long["indicator_id"]) else "nee",
        ]
        for col, v in enumerate(values, start=1):
            _put(ws, n, col, None if pd.isna(v) else v).alignment = WRAP
    ws.freeze_panes = _put(ws, HEADER_ROW + 1, 3)
    _widths(ws, {1: 34, 2: 40, 3: 13, 4: 60, 5: 12, 6: 30, 7: 30, 8: 34, 9: 15, 10: 12})
    _widths(ws, {11: 40, 12: 12})


def _sources(wb: Workbook, data: ExportData, day: date) -> None:
    ws = wb.create_sheet("Bronnen en toelichting")
    _print_setup(ws, data, title_rows=None)
    _top(ws, data, "Bronnen en toelichting")
    row = HEADER_ROW
    _put(ws, row, 1, "Bronnen").font = BOLD
    row += 1
    for line in sorted({attribution(s, data.gemeente_name) for s in data.indicators["source"]}):
        _put(ws, row, 1, line)
        row += 1
    row += 1
    run = data.run
    facts = [
        ("Gemaakt op", day.isoformat()),
        ("Warehouse gebouwd op", str(run.get("finished_at") or run.get("started_at") or "")),
        ("Run", str(run.get("run_id", ""))),
        ("Basisjaar (nulmeting)", str(data.baseline_year)),
        ("Drempel kleine aantallen", f"aantallen onder {data.config['min_count']} onderdrukt"),
        ("Synthetische demodata", "ja" if data.synthetic else "nee"),
    ]
    for label, value in facts:
        _put(ws, row, 1, label).font = BOLD
        _put(ws, row, 2, value)
        row += 1
    row += 1
    _put(ws, row, 1, "Tekens in cellen zonder cijfer").font = BOLD
    row += 1
    for symbol, text in MARK_LEGEND:
        _put(ws, row, 1, symbol)
        _put(ws, row, 2, text).alignment = WRAP
        row += 1
    row += 1
    _put(ws, row, 1, "Redenen (Toelichting en opmerkingen)").font = BOLD
    row += 1
    for reason, text in REASON_TEXT.items():
        _put(ws, row, 1, reason)
        _put(ws, row, 2, text).alignment = WRAP
        row += 1
    for mark, text in [
        (
            "basisjaar",
            f"Het jaar van de nulmeting ({data.baseline_year}); veranderingen zijn daartegen.",
        ),
        (
            "schatting",
            "Een CBS-gemiddelde of -percentage voor een eigen gebied, gewogen over de buurten.",
        ),
        ("onvolledig jaar", "Niet alle maanden zijn binnen; niet vergeleken met het basisjaar."),
        ("nog niet gepubliceerd", "De bron heeft over dat jaar nog geen cijfers (teken .)."),
    ]:
        _put(ws, row, 1, mark)
        _put(ws, row, 2, text).alignment = WRAP
        row += 1
    row += 1
    _put(ws, row, 1, "Invoerversies").font = BOLD
    row += 1
    columns = [
        ("Bron", "source"),
        ("Invoer", "input_id"),
        ("Jaar", "period_year"),
        ("Tabel", "table_id"),
        ("Gewijzigd (bron)", "modified"),
        ("Opgehaald", "fetched_at"),
        ("sha256", "sha256"),
        ("Rijen gelezen", "rows_read"),
        ("Geaccepteerd", "rows_accepted"),
        ("Quarantaine", "rows_quarantined"),
    ]
    for col, (label, _) in enumerate(columns, start=1):
        c = _put(ws, row, col, label)
        c.font = BOLD
        c.fill = HEADER_FILL
    row += 1
    for r in data.inputs.itertuples(index=False):
        for col, (_, name) in enumerate(columns, start=1):
            v = getattr(r, name)
            c = _put(
                ws,
                row,
                col,
                None
                if pd.isna(v)
                else (int(v) if name.startswith("rows") or name == "period_year" else str(v)),
            )
            if name.startswith("rows"):
                c.number_format = "#,##0"
            elif name == "period_year":
                c.number_format = "0"
        row += 1
    _widths(ws, {1: 34, 2: 70, 3: 8, 4: 12, 5: 22, 6: 22, 7: 20, 8: 13, 9: 13, 10: 13})
    ws.freeze_panes = _put(ws, HEADER_ROW, 1)


def _make_inert(wb: Workbook) -> None:
    """No text cell can run: openpyxl stores a text starting with `=` as a formula, and Excel
    runs `+`, `-`, `@` too. The workbook writes no formulas of its own, so every text cell goes
    through `inert_text` (the CSV's rule) and is stored as text."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = inert_text(cell.value)
                    cell.data_type = "s"


def write_workbook(data: ExportData, path: Path, day: date) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    _council_sheet(wb, data)
    for theme in _themes(data):
        _theme_sheet(wb, data, theme)
    _definitions(wb, data)
    _sources(wb, data, day)
    _make_inert(wb)
    wb.properties.title = f"Indicatoren {data.gemeente_name}"
    if data.synthetic:
        wb.properties.keywords = "synthetisch; demodata"
        wb.properties.subject = SYNTHETIC_BANNER
    wb.save(path)
    return path
