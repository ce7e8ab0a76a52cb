"""The HTML report in a real browser (Debian's Chromium via Playwright): no request leaves the
file, and the chart and map images are really drawn. Plus the report's own content."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from test_export import MIN, build_test_warehouse

from warehouse.export import export_all

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    wh = build_test_warehouse(root / "warehouse.duckdb")
    (path,) = export_all(wh, root / "out", ["html"], day=date(2024, 3, 1))
    return path


def test_report_is_self_contained_dutch_and_shows_no_small_count(report):
    html = report.read_text(encoding="utf-8")
    assert report.name == "rapport_testgemeente_2024-03-01_SYNTHETISCH.html"
    # Nothing that could make a request: no http(s) URLs at all, no scripts, no links.
    assert not re.search(r"https?://", html)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    srcs = re.findall(r'<img[^>]*src="([^"]{0,30})', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    # 4 indicators with figures: a chart each; one map per pillar, and only of a rate: the
    # werk page maps bijstand per 1 000, the context page has only a count (not mapped).
    assert html.count('class="chart"') == 4 and html.count('class="map"') == 1
    # Pages only for the pillars with figures (werk, context); the others are listed as left out.
    assert html.count('class="theme"') == 2
    assert "Weggelaten" in html and "Pagina School: geen cijfers om te tonen" in html
    assert "page-break-before" in html and "@page" in html and "counter(page)" in html
    assert '<meta name="viewport"' in html
    # cover, In één oogopslag, 2 pillars, sources page
    assert html.count('<div class="banner">SYNTHETISCHE DEMODATA') == 5
    # No English words in anything the council reads (text outside tags).
    # (The test's own focus area is called "Focus Een" and its run id "run-1": data, not text.)
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", html, flags=re.S).lower()
    text = text.replace("focus een", "").replace("run-1", "")
    for word in ("warehouse", "run", "programme", "focus"):
        assert not re.search(rf"\b{word}\b", text), word
    # In één oogopslag, pillar werk: F1 persons 55 -> 27, ln(27/55) = -0.712, 1.96 x
    # sqrt(1/27 + 1/55) = 0.461: better, and the rate from the same counts too: green.
    # LN 95 -> 72: ln(72/95) = -0.277, 1.96 x sqrt(1/72 + 1/95) = 0.306: no clear change.
    glance = html.split('id="in-een-oogopslag"')[1].split("</table>")[0]
    werk = glance.split("<td>Werk</td>")[1].split("</tr>")[0]
    assert re.findall(r'class="light light-(\w+)"', werk) == ["groen", "geel"]
    assert "2 beter, 0 slechter, 0 geen duidelijke verandering" in werk
    # The werk page opens with the same answer in plain Dutch.
    page = html.split('id="thema-werk"')[1]
    assert (
        "In Focus Een zijn 2 van de 2 cijfers beter dan in 2020. In Programmagebied is geen "
        "van de 2 cijfers duidelijk anders dan in 2020."
    ) in page.split("</p>")[0]
    # The target and the trajectory: LN 25.7 in 2020, -10% in 2026 = 23.1; on the straight
    # line 2022 is 25.68 - 2.568 * 2/6 = 24.8; LN is 1000 * 72 / 3700 = 19.5: on track.
    assert (
        "Doel voor Programmagebied: −10% in 2026 ten opzichte van 2020, van 25,7 naar 23,1. "
        "Op de lijn naar het doel hoort in 2022 24,8; het is 19,5: op koers."
    ) in html
    assert "Bron: Gemeente Testgemeente (uitkeringen)" in html
    # Headline figures of the latest complete year (2022) against 2020 for F1: 55 -> 27, -28.
    assert re.search(
        r"Focus Een.*?<td class=\"num\">55</td><td class=\"num\">27</td>"
        r"<td class=\"num\">−28</td>",
        html,
        re.S,
    )
    # No number cell of the municipal count's headline table is below the threshold.
    headline = html.split("Personen met bijstand (gemeente)</h3>")[1].split("</table>")[0]
    shown = [
        int(n.replace(".", "")) for n in re.findall(r'<td class="num">([0-9.]+)</td>', headline)
    ]
    assert shown and all(n >= MIN for n in shown)


def _drawn(png: bytes) -> tuple[int, float]:
    """(distinct colours, share of non-white pixels) of an image."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    colours = img.getcolors(maxcolors=1 << 20) or []
    pixels = img.width * img.height
    white = sum(n for n, c in colours if min(c) >= 245)
    return len(colours), 1 - white / pixels


@pytest.mark.skipif(not CHROMIUM.exists(), reason="run scripts/ensure_chromium.sh (make test does)")
def test_report_renders_offline_with_drawn_charts_and_maps(report):
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1200})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri(), wait_until="load")
            boxes = page.eval_on_selector_all(
                "img",
                """els => els.map(e => {
                    const r = e.getBoundingClientRect();
                    return {cls: e.className, complete: e.complete && e.naturalWidth > 0,
                            x: r.left + window.scrollX, y: r.top + window.scrollY,
                            w: r.width, h: r.height};
                })""",
            )
            shot = page.screenshot(full_page=True)
        finally:
            browser.close()
    assert requests, "the page itself should have been requested"
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    assert not [u for u in requests if u.startswith(("http:", "https:"))]
    assert sorted(b["cls"] for b in boxes) == ["chart"] * 4 + ["map"] * 1
    page_img = Image.open(io.BytesIO(shot)).convert("RGB")
    for b in boxes:
        assert b["complete"] and b["w"] > 200 and b["h"] > 150
        crop = page_img.crop((int(b["x"]), int(b["y"]), int(b["x"] + b["w"]), int(b["y"] + b["h"])))
        buf = io.BytesIO()
        crop.save(buf, format="PNG")
        colours, ink = _drawn(buf.getvalue())
        # A blank or broken image is one colour and all white; a drawn chart or map has
        # antialiased lines/areas in many colours and a good share of ink.
        assert colours > 50, (b["cls"], colours)
        assert ink > (0.04 if b["cls"] == "chart" else 0.08), (b["cls"], ink)
