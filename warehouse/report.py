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
    VERDICT_SHORT,
    ExportData,
    attribution,
    dutch_number,
)
from warehouse.export_charts import (
    chart_areas,
    chart_png,
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


LIGHTS = {  # light: (colour, text for the reader)
    "groen": ("#1a9850", "beter"),
    "rood": ("#d73027", "slechter"),
    "oranje": ("#fc8d59", "gemengd: beter én slechter"),
    "geel": ("#fee08b", "geen duidelijke verandering"),
    "grijs": ("#bdbdbd", "te weinig gegevens"),
}


def _assessed(data: ExportData, indicator_id: str, code: str):
    return data.assessed(indicator_id, code)


def _verdict_text(data: ExportData, r, unit: str, latest: int) -> str:
    if r is None:
        return "te weinig gegevens"
    text = VERDICT_SHORT.get(r["verdict"], r["verdict"])
    if pd.notna(r["change_low"]) and r["verdict"] != "te weinig gegevens":
        text += f" (95%: {_signed(r['change_low'], unit)} tot {_signed(r['change_high'], unit)})"
    if pd.notna(r["latest_year"]) and int(r["latest_year"]) != latest:
        text += f"; oordeel over {int(r['latest_year'])}"
    return text


def _headline(data: ExportData, indicator_id: str, unit: str) -> str:
    rows = data.series(indicator_id)
    latest = data.latest_year(indicator_id)
    if latest is None:
        return ""
    base = data.baseline_year
    label = rows.drop_duplicates("period_year").set_index("period_year")["period_label"]
    level = data.area_level
    change_head = "Verandering (procentpunt)" if unit.strip() == "%" else "Verandering"
    head = (
        "<tr><th>Gebied</th>"
        f"<th>{escape(str(label.get(base, base)))} (basisjaar)</th>"
        f"<th>{escape(data.year_label(indicator_id, latest))}</th>"
        f"<th>{change_head}</th><th>Oordeel</th><th>Toelichting</th></tr>"
    )
    body = []
    for code in data.compare:

        def cell(year: int, code=code) -> tuple[str, str]:
            r = data.cell(indicator_id, code, year)
            if r is None:
                return "", "geen cijfer"
            if bool(r["suppressed"]) or pd.isna(r["value"]):
                # A small count in an own area: three years together, when those may be shown.
                pooled = data.pooled_figure(indicator_id, code, year)
                if pooled is not None:
                    return dutch_number(pooled[0], unit), f"drie jaar samen: {pooled[1]}"
                return "", data.mark(indicator_id, year, True, r["suppression_reason"])
            return dutch_number(r["value"], unit), ""

        b, b_note = cell(base)
        v, v_note = cell(latest)
        latest_row = data.cell(indicator_id, code, latest)
        change = ""
        if latest_row is not None:
            change = _signed(latest_row["change_since_baseline"], unit)
        notes = []
        if b_note:
            notes.append(f"{base}: {b_note}")
        if v_note:
            notes.append(f"{latest}: {v_note}")
        if latest_row is not None and bool(latest_row["is_estimate"]):
            notes.append("schatting")
        verdict = _verdict_text(data, _assessed(data, indicator_id, code), unit, latest)
        body.append(
            f"<tr><td>{escape(data.area_name(code))} "
            f'<span class="mark">{escape(LEVEL_TEXT.get(level.get(code, ""), ""))}</span></td>'
            f'<td class="num">{b}</td><td class="num">{v}</td><td class="num">{change}</td>'
            f"<td>{escape(verdict)}</td>"
            f'<td class="mark">{escape("; ".join(notes))}</td></tr>'
        )
    return f'<table class="headline">{head}{"".join(body)}</table>'


def target_sentence(data: ExportData, t, unit: str) -> str:
    """The target and the trajectory to it, in plain Dutch."""
    where = data.area_name(t.area_code)
    text = (
        f"Doel voor {where}: {_signed(t.target_change_pct, '%').replace(',0', '')}% in "
        f"{t.by_year} ten opzichte van {t.baseline_year}"
    )
    if pd.notna(t.target_value):
        text += (
            f", van {dutch_number(t.baseline_value, unit)} naar "
            f"{dutch_number(t.target_value, unit)}"
        )
    if pd.isna(t.on_track):
        return text + f". Stand: onbekend ({t.note})." if isinstance(t.note, str) else text + "."
    status = "op koers" if bool(t.on_track) else "niet op koers"
    return (
        text + f". Op de lijn naar het doel hoort in {int(t.latest_year)} "
        f"{dutch_number(t.path_value, unit)}; het is {dutch_number(t.latest_value, unit)}: "
        f"{status}."
    )


def _targets(data: ExportData, indicator_id: str, unit: str) -> str:
    rows = data.targets[data.targets["indicator_id"] == indicator_id]
    return "".join(
        f'<p class="doel">{escape(target_sentence(data, t, unit))}</p>'
        for t in rows.itertuples(index=False)
    )


def glance_areas(data: ExportData) -> list[str]:
    level = dict(zip(data.areas["area_code"], data.areas["area_level"], strict=True))
    return [c for c in data.compare if level.get(c) in ("focus", "programme")]


def pillar_light(data: ExportData, theme: str, code: str) -> tuple[str, dict[str, int]]:
    """The traffic light of one pillar for one area, from the assessment: green when at least
    one figure is better and none worse, red the other way round, orange when both, yellow
    when none changed clearly, grey when there is too little to judge."""
    a = data.assessment
    rows = a[(a["theme"] == theme) & (a["area_code"] == code)]
    counts = {v: int((rows["verdict"] == v).sum()) for v in VERDICT_SHORT}
    better, worse = counts["beter"], counts["slechter"]
    if better and worse:
        light = "oranje"
    elif better:
        light = "groen"
    elif worse:
        light = "rood"
    elif counts["geen duidelijke verandering"]:
        light = "geel"
    else:
        light = "grijs"
    return light, counts


def judged_themes(data: ExportData) -> list[str]:
    """Pillars with at least one indicator that has a good direction."""
    judged = data.indicators[data.indicators["direction"] != "neutraal"]
    return [t for t in _themes(data) if t in set(judged["theme"])]


def _glance(data: ExportData) -> str:
    areas = glance_areas(data)
    head = "<tr><th>Pijler</th>" + "".join(f"<th>{escape(data.area_name(c))}</th>" for c in areas)
    rows = []
    for theme in judged_themes(data):
        cells = []
        for code in areas:
            light, n = pillar_light(data, theme, code)
            colour, text = LIGHTS[light]
            detail = (
                f"{n['beter']} beter, {n['slechter']} slechter, "
                f"{n['geen duidelijke verandering']} geen duidelijke verandering"
            )
            cells.append(
                f'<td class="light light-{light}"><span class="dot" style="background:{colour}">'
                f"</span> <strong>{escape(text)}</strong><br>"
                f'<span class="mark">{escape(detail)}</span></td>'
            )
        rows.append(f"<tr><td>{escape(_sheet_title(theme))}</td>{''.join(cells)}</tr>")
    targets = "".join(
        f"<li>{escape(target_sentence(data, t, unit_of(data, t.indicator_id)))}</li>"
        for t in data.targets.itertuples(index=False)
    )
    return (
        f'<section class="glance" id="in-een-oogopslag">{_banner(data)}'
        "<h2>In één oogopslag</h2>"
        f"<p>Gaat het beter dan in het basisjaar {data.baseline_year}? Per pijler en per gebied, "
        "voor elk cijfer vergeleken met het laatste jaar waarover cijfers zijn. "
        "Groen: een of meer cijfers zijn duidelijk beter en geen enkel cijfer is slechter. "
        "Rood: een of meer cijfers zijn slechter en geen enkel beter. Oranje: beide. "
        "Geel: geen duidelijke verandering. Grijs: te weinig gegevens. "
        "'Duidelijk' betekent: groter dan wat bij zo'n klein gebied door toeval kan "
        "schommelen.</p>"
        f'<table class="glance">{head}</tr>{"".join(rows)}</table>'
        + (f"<h3>Doelen</h3><ul>{targets}</ul>" if targets else "")
        + "</section>"
    )


def unit_of(data: ExportData, indicator_id: str) -> str:
    ind = data.indicators.set_index("indicator_id")
    return str(ind.loc[indicator_id, "unit"]) if indicator_id in ind.index else ""


def _area_sentence(area: str, n: dict[str, int], judged: int, base: int) -> str:
    """'In X zijn 2 van de 5 cijfers beter dan in 2020 en is 1 cijfer slechter.' (B1)"""

    def cijfers(k: int) -> str:
        return "1 cijfer" if k == 1 else f"{k} cijfers"

    better, worse = n["beter"], n["slechter"]
    if not better and not worse:
        return f"In {area} is geen van de {cijfers(judged)} duidelijk anders dan in {base}."
    said = []
    if better:
        said.append(f"{'is' if better == 1 else 'zijn'} {better} van de {cijfers(judged)} beter")
    if worse:
        said.append(
            f"{'is' if worse == 1 else 'zijn'} {worse} van de {cijfers(judged)} slechter"
            if not better
            else f"{'is' if worse == 1 else 'zijn'} er {worse} slechter"
        )
    rest = judged - better - worse
    tail = f" De andere {cijfers(rest)} veranderden niet duidelijk." if rest else ""
    return f"In {area} {' en '.join(said)} dan in {base}.{tail}"


def pillar_sentence(data: ExportData, theme: str) -> str:
    """The headline of a pillar in plain Dutch (B1), as text."""
    if theme not in judged_themes(data):
        return (
            "Deze cijfers beschrijven de wijk. Ze zijn niet goed of slecht; "
            "ze helpen de andere cijfers te begrijpen."
        )
    parts = []
    for code in glance_areas(data):
        _, n = pillar_light(data, theme, code)
        judged = n["beter"] + n["slechter"] + n["geen duidelijke verandering"]
        if judged == 0:
            parts.append(f"Over {data.area_name(code)} zijn te weinig gegevens.")
            continue
        parts.append(_area_sentence(data.area_name(code), n, judged, data.baseline_year))
    return " ".join(parts)


def _alt(data: ExportData, indicator_id: str, name: str) -> str:
    """What the chart shows, for someone who cannot see it."""
    rows = data.series(indicator_id)
    years = sorted(rows["period_year"].unique())
    latest = data.latest_year(indicator_id)
    parts = [
        f"Lijngrafiek van {name} per jaar, {years[0]} tot en met {years[-1]}, voor "
        + ", ".join(data.area_name(c) for c in chart_areas(data, unit_of(data, indicator_id)))
        + "."
    ]
    for code in glance_areas(data):
        r = _assessed(data, indicator_id, code)
        if r is not None and pd.notna(r["baseline_value"]) and pd.notna(r["latest_value"]):
            unit = unit_of(data, indicator_id)
            parts.append(
                f"{data.area_name(code)}: van {dutch_number(r['baseline_value'], unit)} in "
                f"{data.baseline_year} naar {dutch_number(r['latest_value'], unit)} in "
                f"{int(r['latest_year'])}, {r['verdict']}."
            )
    if latest is None:
        parts.append("Geen cijfers.")
    return " ".join(parts)


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


def _omitted_reason(data: ExportData, indicator_id: str) -> str:
    rows = data.series(indicator_id)
    if rows.empty:
        return "nog geen cijfers (bron nog niet aangesloten)"
    reasons = set(rows["suppression_reason"].dropna())
    if reasons and reasons <= {"kleine aantallen", "kleine aantallen (secundair)"}:
        return "alle cijfers van de getoonde gebieden onderdrukt (kleine aantallen)"
    return "geen cijfers voor de getoonde gebieden"


def theme_map(
    data: ExportData, theme: str, with_figures: set[str], maps: set[tuple[str, int]]
) -> tuple[str, int] | None:
    """The one map on a pillar's page: the first indicator shown with a map, in its latest
    year; None when the pillar has none."""
    rows = data.indicators[data.indicators["theme"] == theme]
    for indicator_id in rows["indicator_id"]:
        years = [y for i, y in maps if i == indicator_id]
        if indicator_id in with_figures and years:
            return indicator_id, max(years)
    return None


def report_image_keys(data: ExportData) -> list[tuple]:
    """The images the report shows (keys of `ExportData.images`): a chart per indicator with
    figures and one map per pillar, so that a report alone draws nothing more."""
    with_figures = indicators_with_figures(data)
    maps = set(mappable(data))
    chosen = [theme_map(data, t, set(with_figures), maps) for t in _themes(data)]
    return [("chart", i) for i in with_figures] + [("map", *m) for m in chosen if m]


def _theme_section(
    data: ExportData, theme: str, with_figures: set[str], maps: set[tuple[str, int]]
) -> tuple[str, list[str]]:
    """The page of one pillar, and the lines about what was left out of it."""
    rows = data.indicators[data.indicators["theme"] == theme]
    shown = [r for r in rows.itertuples(index=False) if r.indicator_id in with_figures]
    left_out = [
        f"{r.name}: {_omitted_reason(data, r.indicator_id)}"
        for r in rows.itertuples(index=False)
        if r.indicator_id not in with_figures
    ]
    if not shown:
        return "", [f"Pagina {_sheet_title(theme)}: geen cijfers om te tonen."] + left_out
    parts = [f'<section class="theme" id="thema-{escape(theme)}">', _banner(data)]
    parts.append(f"<h2>{escape(_sheet_title(theme))}</h2>")
    parts.append(f'<p class="kop">{escape(pillar_sentence(data, theme))}</p>')
    shown_map = theme_map(data, theme, with_figures, maps)
    for r in shown:
        parts.append('<div class="indicator">')
        parts.append(f"<h3>{escape(r.name)}</h3>")
        parts.append(
            f'<p class="bron">Eenheid: {escape(r.unit)} · '
            f"{escape(attribution(r.source, data.gemeente_name))}</p>"
        )
        parts.append(_headline(data, r.indicator_id, r.unit))
        parts.append(_targets(data, r.indicator_id, r.unit))
        parts.append(
            _img(chart_png(data, r.indicator_id), _alt(data, r.indicator_id, r.name), "chart")
        )
        if shown_map is not None and shown_map[0] == r.indicator_id:
            year = shown_map[1]
            parts.append(
                _img(
                    map_png(data, r.indicator_id, year),
                    f"Kaart van de buurten: {r.name}, {year}. Donkerder is hoger; "
                    "gearceerd is onderdrukt; de focusgebieden zijn omlijnd.",
                    "map",
                )
            )
        parts.append("</div>")
    parts.append(_definitions(data, theme))
    parts.append("</section>")
    return "".join(parts), left_out


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
        + f"<p>Rapport gemaakt op {day.isoformat()}; gegevens bijgewerkt op "
        f"{escape(str(run.get('finished_at') or ''))} "
        f"(verwerking {escape(str(run.get('run_id') or ''))}).</p>"
        f"<p>Basisjaar (nulmeting): {data.baseline_year}. Aantallen uit persoonsgegevens van de "
        f"gemeente onder {int(data.config['min_count'])} worden niet gepubliceerd, en ook geen "
        "cijfers waaruit ze terug te rekenen of nauw te benaderen zijn.</p>"
        "<h3>Lege cellen</h3><table><tr><th>Aanduiding</th><th>Betekenis</th></tr>"
        f"{reasons}<tr><td>nog niet gepubliceerd</td><td>De bron heeft over dat jaar nog geen "
        "cijfers; het cijfer wordt vergeleken op het laatste jaar met cijfers "
        "(laatst beschikbaar).</td></tr></table>"
        "<h3>Hoe het oordeel tot stand komt</h3><p>Beter of slechter staat er alleen als de "
        "verandering groter is dan wat door toeval kan schommelen (95%-interval uit de aantallen "
        "achter het cijfer). Bij CBS-gemiddelden zonder aantallen telt alleen de richting van "
        "de verandering. Cijfers zonder goede of slechte richting (zoals het aantal inwoners) "
        "krijgen geen oordeel.</p>"
        "<h3>Invoerversies</h3><table><tr><th>Bron</th><th>Invoer</th><th>sha256</th>"
        f"<th>Rijen gelezen</th><th>Quarantaine</th></tr>{inputs}</table></section>"
    )


def render_report(data: ExportData, day: date) -> str:
    with_figures = set(indicators_with_figures(data))
    themes = _themes(data)
    programme = data.areas.loc[data.areas["area_level"] == "programme", "area_name"]
    title = f"Wijkmonitor {data.gemeente_name}" + (
        f": {programme.iloc[0]}" if len(programme) else ""
    )
    level = dict(zip(data.areas["area_code"], data.areas["area_level"], strict=True))
    areas = ", ".join(
        f"{escape(data.area_name(c))} ({escape(LEVEL_TEXT.get(level.get(c, ''), ''))})"
        for c in data.compare
    )
    maps = set(mappable(data))
    pages, left_out = [], []
    for t in themes:
        html, lines = _theme_section(data, t, with_figures, maps)
        left_out += lines
        if html:
            pages.append((t, html))
    toc = "".join(
        f'<li><a href="#thema-{escape(t)}">{escape(_sheet_title(t))}</a></li>' for t, _ in pages
    )
    omitted = (
        '<p class="mark">Weggelaten (een pagina of grafiek zonder cijfers helpt niemand): '
        + escape("; ".join(left_out))
        + ".</p>"
        if left_out
        else ""
    )
    cover = (
        f'<section class="cover">{_banner(data)}<h1>{escape(title)}</h1>'
        f"<p>Indicatoren per jaar, vergeleken met het basisjaar {data.baseline_year}. "
        f"Gemaakt op {day.isoformat()}.</p><p>Gebieden: {areas}.</p>"
        f'<ol class="toc"><li><a href="#in-een-oogopslag">In één oogopslag</a></li>{toc}'
        '<li><a href="#bronnen">Bronnen en toelichting</a></li></ol>'
        f"{omitted}</section>"
    )
    body = cover + _glance(data) + "".join(html for _, html in pages)
    body += _sources_section(data, day)
    demo_page = (
        '@page { @top-center { content: "SYNTHETISCHE DEMODATA"; color: #b30000; '
        "font-weight: bold; } }"
        if data.synthetic
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f"<style>{CSS.read_text(encoding='utf-8')}{demo_page}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def write_report(data: ExportData, path: Path, day: date) -> Path:
    path.write_text(render_report(data, day), encoding="utf-8")
    return path
