"""The council report: one self-contained HTML file (A4 pages when printed), a page per theme
with headline figures, charts, a map and the definitions, and a page with sources.

Self-contained means no request leaves the file: images are inlined as `data:image/png;base64`,
the stylesheet (`templates/report.css`) is inlined, there are no scripts and no web fonts."""

from __future__ import annotations

import base64
from datetime import date
from html import escape
from pathlib import Path

import pandas as pd

from warehouse.export import (
    LEVEL_TEXT,
    REASON_TEXT,
    SYNTHETIC_BANNER,
    ExportData,
    attribution,
    dutch_number,
)
from warehouse.export_charts import (
    chart_png,
    focus_outlines,
    indicators_with_figures,
    map_png,
    mappable,
)
from warehouse.export_xlsx import _sheet_title, _themes

CSS = Path(__file__).with_name("templates") / "report.css"


def _img(png: bytes, alt: str, kind: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="{kind}" alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _text(value) -> str:
    """Escaped text of a value; empty for a missing one."""
    return (
        ""
        if value is None or (not isinstance(value, str) and pd.isna(value))
        else escape(str(value))
    )


def _banner(data: ExportData) -> str:
    return f'<div class="banner">{escape(SYNTHETIC_BANNER)}</div>' if data.synthetic else ""


def _signed(value, unit: str) -> str:
    if value is None or pd.isna(value):
        return ""
    text = dutch_number(abs(value), unit)
    return ("+" if value > 0 else "−" if value < 0 else "") + text


def _headline(data: ExportData, indicator_id: str, unit: str) -> str:
    rows = data.series(indicator_id)
    complete = rows[~rows["partial"].astype(bool)]
    if complete.empty:
        return ""
    latest = int(complete["period_year"].max())
    base = data.baseline_year
    label = rows.drop_duplicates("period_year").set_index("period_year")["period_label"]
    level = dict(zip(data.areas["area_code"], data.areas["area_level"], strict=True))
    head = (
        "<tr><th>Gebied</th>"
        f"<th>{escape(str(label.get(base, base)))} (basisjaar)</th>"
        f"<th>{escape(str(label.get(latest, latest)))}</th>"
        "<th>Verandering</th><th>Toelichting</th></tr>"
    )
    body = []
    for code in data.compare:
        area_rows = rows[rows["area_code"] == code].set_index("period_year")

        def cell(year: int, area_rows=area_rows) -> tuple[str, str]:
            if year not in area_rows.index:
                return "", "geen cijfer"
            r = area_rows.loc[year]
            if bool(r["suppressed"]) or pd.isna(r["value"]):
                reason = r["suppression_reason"] if isinstance(r["suppression_reason"], str) else ""
                return "", f"onderdrukt: {reason}" if reason else "geen cijfer"
            return dutch_number(r["value"], unit), ""

        b, b_note = cell(base)
        v, v_note = cell(latest)
        change = ""
        if latest in area_rows.index:
            change = _signed(area_rows.loc[latest, "change_since_baseline"], unit)
        notes = []
        if b_note:
            notes.append(f"{base}: {b_note}")
        if v_note:
            notes.append(f"{latest}: {v_note}")
        if latest in area_rows.index and bool(area_rows.loc[latest, "is_estimate"]):
            notes.append("schatting")
        body.append(
            f"<tr><td>{escape(data.area_name(code))} "
            f'<span class="mark">{escape(LEVEL_TEXT.get(level.get(code, ""), ""))}</span></td>'
            f'<td class="num">{b}</td><td class="num">{v}</td><td class="num">{change}</td>'
            f'<td class="mark">{escape("; ".join(notes))}</td></tr>'
        )
    return f'<table class="headline">{head}{"".join(body)}</table>'


def _targets(data: ExportData, indicator_id: str, unit: str) -> str:
    rows = data.targets[data.targets["indicator_id"] == indicator_id]
    out = []
    for t in rows.itertuples(index=False):
        status = (
            f"onbekend ({t.note})"
            if pd.isna(t.on_track)
            else ("op koers" if bool(t.on_track) else "niet op koers")
        )
        out.append(
            f"<p>Doel voor {escape(data.area_name(t.area_code))}: "
            f"{t.target_change_pct:+.0f}% in {t.by_year} ten opzichte van {t.baseline_year}"
            + (
                f" (doelwaarde {dutch_number(t.target_value, unit)})"
                if pd.notna(t.target_value)
                else ""
            )
            + f": <strong>{escape(status)}</strong>.</p>"
        )
    return "".join(out)


def _definitions(data: ExportData, theme: str) -> str:
    rows = data.indicators[data.indicators["theme"] == theme]
    body = "".join(
        f"<tr><td>{_text(r.name)}</td><td>{_text(r.definition)}</td><td>{_text(r.unit)}</td>"
        f"<td>{_text(r.numerator)}</td><td>{_text(r.denominator)}</td>"
        f"<td>{escape(attribution(r.source, data.gemeente_name).removeprefix('Bron: '))}</td>"
        f"<td>{_text(r.direction)}</td></tr>"
        for r in rows.itertuples(index=False)
    )
    return (
        '<h3>Definities</h3><table class="definitions"><tr><th>Indicator</th><th>Definitie</th>'
        "<th>Eenheid</th><th>Teller</th><th>Noemer</th><th>Bron</th><th>Richting</th></tr>"
        f"{body}</table>"
    )


def _theme_section(
    data: ExportData, theme: str, with_figures: set[str], outlines, maps: set[tuple[str, int]]
) -> str:
    parts = [f'<section class="theme" id="thema-{escape(theme)}">', _banner(data)]
    parts.append(f"<h2>{escape(_sheet_title(theme))}</h2>")
    rows = data.indicators[data.indicators["theme"] == theme]
    missing = []
    for r in rows.itertuples(index=False):
        if r.indicator_id not in with_figures:
            missing.append(r.name)
            continue
        parts.append('<div class="indicator">')
        parts.append(f"<h3>{escape(r.name)}</h3>")
        parts.append(
            f'<p class="bron">Eenheid: {escape(r.unit)} · '
            f"{escape(attribution(r.source, data.gemeente_name))}</p>"
        )
        parts.append(_headline(data, r.indicator_id, r.unit))
        parts.append(_targets(data, r.indicator_id, r.unit))
        parts.append(_img(chart_png(data, r.indicator_id), f"Grafiek: {r.name}", "chart"))
        years = [y for i, y in maps if i == r.indicator_id]
        if years:
            year = max(years)
            parts.append(
                _img(
                    map_png(data, r.indicator_id, year, outlines), f"Kaart: {r.name}, {year}", "map"
                )
            )
        parts.append("</div>")
    if missing:
        parts.append(
            '<p class="mark">Nog geen cijfers (bron nog niet aangesloten): '
            + escape(", ".join(missing))
            + ".</p>"
        )
    parts.append(_definitions(data, theme))
    parts.append("</section>")
    return "".join(parts)


def _sources_section(data: ExportData, day: date) -> str:
    lines = sorted({attribution(s, data.gemeente_name) for s in data.indicators["source"]})
    run = data.run
    reasons = "".join(
        f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in REASON_TEXT.items()
    )
    inputs = "".join(
        f"<tr><td>{escape(str(r.source))}</td><td>{escape(str(r.input_id))}</td>"
        f'<td>{escape(str(r.sha256)[:12])}…</td><td class="num">{int(r.rows_read)}</td>'
        f'<td class="num">{int(r.rows_quarantined)}</td></tr>'
        for r in data.inputs.itertuples(index=False)
    )
    return (
        f'<section class="sources" id="bronnen">{_banner(data)}<h2>Bronnen en toelichting</h2>'
        + "".join(f"<p>{escape(line)}</p>" for line in lines)
        + f"<p>Rapport gemaakt op {day.isoformat()}; warehouse gebouwd op "
        f"{escape(str(run.get('finished_at') or ''))} (run {escape(str(run.get('run_id') or ''))}).</p>"
        f"<p>Basisjaar (nulmeting): {data.baseline_year}. Aantallen uit persoonsgegevens van de "
        f"gemeente onder {int(data.config['min_count'])} worden niet gepubliceerd, en ook geen "
        "cijfers waaruit ze terug te rekenen of nauw te benaderen zijn.</p>"
        "<h3>Lege cellen</h3><table><tr><th>Aanduiding</th><th>Betekenis</th></tr>"
        f"{reasons}</table>"
        "<h3>Invoerversies</h3><table><tr><th>Bron</th><th>Invoer</th><th>sha256</th>"
        f"<th>Rijen gelezen</th><th>Quarantaine</th></tr>{inputs}</table></section>"
    )


def render_report(data: ExportData, day: date) -> str:
    with_figures = set(indicators_with_figures(data))
    outlines = focus_outlines(data)
    themes = _themes(data)
    programme = data.areas.loc[data.areas["area_level"] == "programme", "area_name"]
    title = f"Wijkmonitor {data.gemeente_name}" + (
        f": {programme.iloc[0]}" if len(programme) else ""
    )
    toc = "".join(
        f'<li><a href="#thema-{escape(t)}">{escape(_sheet_title(t))}</a></li>' for t in themes
    )
    areas = ", ".join(f"{escape(data.area_name(c))} ({escape(c)})" for c in data.compare)
    cover = (
        f'<section class="cover">{_banner(data)}<h1>{escape(title)}</h1>'
        f"<p>Indicatoren per jaar, vergeleken met het basisjaar {data.baseline_year}. "
        f"Gemaakt op {day.isoformat()}.</p><p>Gebieden: {areas}.</p>"
        f'<ol class="toc">{toc}<li><a href="#bronnen">Bronnen en toelichting</a></li></ol>'
        "</section>"
    )
    # The map of the latest complete year with buurt figures.
    partial = set(
        zip(
            data.long.loc[data.long["partial"].astype(bool), "indicator_id"],
            data.long.loc[data.long["partial"].astype(bool), "period_year"],
            strict=True,
        )
    )
    maps = {m for m in mappable(data) if m not in partial}
    body = cover + "".join(_theme_section(data, t, with_figures, outlines, maps) for t in themes)
    body += _sources_section(data, day)
    return (
        '<!DOCTYPE html>\n<html lang="nl"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        f"<style>{CSS.read_text(encoding='utf-8')}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def write_report(data: ExportData, path: Path, day: date) -> Path:
    path.write_text(render_report(data, day), encoding="utf-8")
    return path
