"""The council's workbook (openpyxl): a sheet per theme with every indicator per year for the
focus areas, the programme area, the gemeente and the Netherlands side by side, the change
since the baseline, targets; the catalogue ("Definities"); sources and what every mark means.

Numbers stay numbers (real number formats, Excel shows them the Dutch way); a suppressed cell
is empty, with a comment and a line in the "Toelichting" column saying why."""

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
    REASON_TEXT,
    SYNTHETIC_BANNER,
    THEME_ORDER,
    THEME_TITLES,
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


def _top(ws: Worksheet, data: ExportData, title: str) -> None:
    """Row 1: the demo banner (or the title), row 2: the title and the gemeente."""
    if data.synthetic:
        ws.cell(1, 1, SYNTHETIC_BANNER).font = BANNER
    else:
        ws.cell(1, 1, f"Wijkmonitor {data.gemeente_name}").font = TITLE
    ws.cell(2, 1, title).font = TITLE


def _header(ws: Worksheet, names: list[str]) -> None:
    for col, name in enumerate(names, start=1):
        c = ws.cell(HEADER_ROW, col, name)
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
        rows = data.long[
            (data.long["indicator_id"] == ind.indicator_id) & data.long["area_code"].isin(compare)
        ]
        fmt = number_format(ind.unit)
        if rows.empty:
            ws.cell(row, 1, ind.name)
            ws.cell(row, 2, ind.unit)
            ws.cell(row, note_col, "Nog geen cijfers in dit warehouse (bron nog niet aangesloten).")
            row += 1
            continue
        targets = data.targets[data.targets["indicator_id"] == ind.indicator_id]
        latest_complete = rows.loc[~rows["partial"].astype(bool), "period_year"].max()
        for year, year_rows in rows.groupby("period_year", sort=True):
            by_area = year_rows.set_index("area_code")
            ws.cell(row, 1, ind.name)
            ws.cell(row, 2, ind.unit)
            ws.cell(row, 3, int(year)).number_format = "0"
            ws.cell(row, 4, str(year_rows["period_label"].iloc[0]))
            notes = []
            if int(year) == base:
                ws.cell(row, 5, "basisjaar")
                for col in range(1, note_col + 1):
                    ws.cell(row, col).fill = BASELINE_FILL
            if year_rows["partial"].astype(bool).any():
                notes.append("onvolledig jaar (niet vergeleken met het basisjaar)")
            estimates = []
            for k, code in enumerate(compare):
                cell = ws.cell(row, first_value + k)
                change = ws.cell(row, first_change + k)
                cell.number_format = fmt
                change.number_format = "+#,##0;-#,##0;0" if fmt == "#,##0" else "+0.0;-0.0;0.0"
                if code not in by_area.index:
                    continue
                r = by_area.loc[code]
                if bool(r["suppressed"]) or pd.isna(r["value"]):
                    reason = r["suppression_reason"] if pd.notna(r["suppression_reason"]) else ""
                    reason = reason or "geen cijfer"
                    cell.comment = Comment(f"Onderdrukt: {reason}", "wijkmonitor")
                    notes.append(f"{data.area_name(code)}: {reason}")
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
                ws.cell(row, note_col, "; ".join(notes))
            row += 1
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, first_value)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(note_col)}{max(row - 1, HEADER_ROW)}"
    widths = {1: 44, 2: 13, 3: 7, 4: 11, 5: 10, note_col: 60, goal_col: 34, goal_col + 1: 12}
    widths |= {first_value + k: 14 for k in range(2 * len(compare))}
    widths[goal_col + 2] = 10
    _widths(ws, widths)
    ws.row_dimensions[HEADER_ROW].height = 45


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
    ws.cell(row, col, "; ".join(goals)).alignment = WRAP
    if len(values) == 1:
        ws.cell(row, col + 1, values[0]).number_format = fmt
    ws.cell(row, col + 2, "; ".join(on_track))


def _definitions(wb: Workbook, data: ExportData) -> None:
    ws = wb.create_sheet("Definities")
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
            ws.cell(n, col, None if pd.isna(v) else v).alignment = WRAP
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 3)
    _widths(ws, {1: 34, 2: 40, 3: 13, 4: 60, 5: 12, 6: 30, 7: 30, 8: 34, 9: 15, 10: 12})
    _widths(ws, {11: 40, 12: 12})


def _sources(wb: Workbook, data: ExportData, day: date) -> None:
    ws = wb.create_sheet("Bronnen en toelichting")
    _top(ws, data, "Bronnen en toelichting")
    row = HEADER_ROW
    ws.cell(row, 1, "Bronnen").font = BOLD
    row += 1
    for line in sorted({attribution(s, data.gemeente_name) for s in data.indicators["source"]}):
        ws.cell(row, 1, line)
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
        ws.cell(row, 1, label).font = BOLD
        ws.cell(row, 2, value)
        row += 1
    row += 1
    ws.cell(row, 1, "Betekenis van lege cellen (Toelichting en opmerkingen)").font = BOLD
    row += 1
    for reason, text in REASON_TEXT.items():
        ws.cell(row, 1, reason)
        ws.cell(row, 2, text).alignment = WRAP
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
    ]:
        ws.cell(row, 1, mark)
        ws.cell(row, 2, text).alignment = WRAP
        row += 1
    row += 1
    ws.cell(row, 1, "Invoerversies").font = BOLD
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
        c = ws.cell(row, col, label)
        c.font = BOLD
        c.fill = HEADER_FILL
    row += 1
    for r in data.inputs.itertuples(index=False):
        for col, (_, name) in enumerate(columns, start=1):
            v = getattr(r, name)
            c = ws.cell(
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
    ws.freeze_panes = ws.cell(HEADER_ROW, 1)


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
