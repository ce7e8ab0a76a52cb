"""The council brief (raadsinformatiebrief) as a Word file (python-docx): one or two pages in
plain Dutch with the verdict per pillar and area (from indicator_assessment, as on the
report's first page), the targets and where they stand, three charts (the PNGs already drawn
once into `ExportData.images`, never drawn again here), the sources and the disclosure note.
A brief from demo data says so in the header of every page."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from warehouse.export import (
    MARK_NOT_AVAILABLE,
    MARK_SUPPRESSED,
    SYNTHETIC_BANNER,
    ExportData,
    attribution,
)
from warehouse.export_charts import indicators_with_figures
from warehouse.export_xlsx import _sheet_title
from warehouse.report import (
    LIGHTS,
    glance_areas,
    judged_themes,
    pillar_light,
    pillar_sentence,
    target_sentence,
    unit_of,
)

CHARTS = 3
RED = RGBColor(0xB3, 0x00, 0x00)


def brief_charts(data: ExportData) -> list[str]:
    """The indicators whose charts the brief shows: those with a target first, then the first
    judged indicator of each pillar, then any other with figures; three at most."""
    drawn = indicators_with_figures(data)
    ind = data.indicators.set_index("indicator_id")
    judged = [i for i in drawn if ind.loc[i, "direction"] != "neutraal"]
    first_per_pillar: dict[str, str] = {}
    for i in judged:
        first_per_pillar.setdefault(ind.loc[i, "theme"], i)
    ordered = [i for i in drawn if i in set(data.targets["indicator_id"])]
    ordered += list(first_per_pillar.values()) + drawn
    return list(dict.fromkeys(ordered))[:CHARTS]


def _shade(cell, colour: str) -> None:
    """Background colour of a table cell ('#1a9850')."""
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour.lstrip("#"))
    cell._tc.get_or_add_tcPr().append(shading)


def _banner(paragraph) -> None:
    run = paragraph.add_run(SYNTHETIC_BANNER)
    run.bold = True
    run.font.color.rgb = RED


def _verdict_table(doc, data: ExportData) -> None:
    areas = glance_areas(data)
    table = doc.add_table(rows=1, cols=1 + len(areas))
    table.style = "Table Grid"
    for k, name in enumerate(["Pijler"] + [data.area_name(c) for c in areas]):
        table.rows[0].cells[k].paragraphs[0].add_run(name).bold = True
    for theme in judged_themes(data):
        cells = table.add_row().cells
        cells[0].text = _sheet_title(theme)
        for k, code in enumerate(areas, start=1):
            light, n = pillar_light(data, theme, code)
            colour, text = LIGHTS[light]
            p = cells[k].paragraphs[0]
            p.add_run(text).bold = True
            detail = p.add_run(
                f"\n{n['beter']} beter, {n['slechter']} slechter, "
                f"{n['geen duidelijke verandering']} geen duidelijke verandering"
            )
            detail.font.size = Pt(8)
            _shade(cells[k], colour)


def write_brief(data: ExportData, path: Path, day: date) -> Path:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(10)
    header = section.header.paragraphs[0]
    if data.synthetic:
        _banner(header)
        header.add_run(f" · Wijkmonitor {data.gemeente_name}")
    else:
        header.add_run(f"Wijkmonitor {data.gemeente_name}")

    areas = glance_areas(data)
    names = [data.area_name(c) for c in areas]
    where = " en ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)
    doc.add_heading(f"Raadsinformatiebrief wijkmonitor {data.gemeente_name}", level=1)
    if data.synthetic:
        _banner(doc.add_paragraph())
    doc.add_paragraph(
        f"Datum: {day.strftime('%d-%m-%Y')}. Gaat het beter in {where or 'de wijken'} dan in "
        f"het basisjaar {data.baseline_year}? Deze brief geeft per pijler het antwoord. "
        "Elk cijfer is vergeleken met het laatste jaar waarover cijfers zijn."
    )

    doc.add_heading("Oordeel per pijler", level=2)
    _verdict_table(doc, data)
    doc.add_paragraph(
        "Beter of slechter staat er alleen als de verandering groter is dan wat bij zo'n klein "
        "gebied door toeval kan schommelen. Gemengd: sommige cijfers beter, andere slechter."
    ).runs[0].font.size = Pt(8)
    for theme in judged_themes(data):
        if all(pillar_light(data, theme, c)[0] == "grijs" for c in areas):
            continue
        p = doc.add_paragraph()
        p.add_run(f"{_sheet_title(theme)}. ").bold = True
        p.add_run(pillar_sentence(data, theme))

    doc.add_heading("Doelen", level=2)
    if len(data.targets):
        for t in data.targets.itertuples(index=False):
            doc.add_paragraph(
                target_sentence(data, t, unit_of(data, t.indicator_id)), style="List Bullet"
            )
    else:
        doc.add_paragraph("Er zijn geen doelen vastgelegd.")

    charts = brief_charts(data)
    if charts:
        doc.add_heading("Grafieken", level=2)
    ind = data.indicators.set_index("indicator_id")
    for n, indicator_id in enumerate(charts, start=1):
        doc.add_picture(io.BytesIO(data.images[("chart", indicator_id)]), width=Cm(14))
        caption = doc.add_paragraph(
            f"Figuur {n}. {ind.loc[indicator_id, 'name']}. "
            f"{attribution(ind.loc[indicator_id, 'source'], data.gemeente_name)}"
        )
        caption.runs[0].font.size = Pt(8)

    doc.add_heading("Bronnen en toelichting", level=2)
    shown = set(data.long["indicator_id"])
    sources = data.indicators.loc[data.indicators["indicator_id"].isin(shown), "source"]
    for line in sorted({attribution(s, data.gemeente_name) for s in sources}):
        doc.add_paragraph(line)
    doc.add_paragraph(
        "Kleine aantallen zijn onderdrukt: aantallen uit persoonsgegevens van de gemeente onder "
        f"{int(data.config['min_count'])} worden niet gepubliceerd, en ook geen cijfers waaruit "
        f"ze terug te rekenen zijn (in tabellen het teken {MARK_SUPPRESSED}). Het teken "
        f"{MARK_NOT_AVAILABLE} betekent: nog niet gepubliceerd of geen cijfer. Alle cijfers per "
        "jaar staan in het werkblad Raadsvoorstel van de bijbehorende Excel-map."
    )

    props = doc.core_properties
    props.title = f"Raadsinformatiebrief wijkmonitor {data.gemeente_name}"
    props.language = "nl-NL"
    if data.synthetic:
        props.keywords = "synthetisch; demodata"
        props.subject = SYNTHETIC_BANNER
    doc.save(path)
    return path
