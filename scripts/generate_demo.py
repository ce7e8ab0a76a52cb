"""Generate the SYNTHETIC demo landing bundle of wijkmonitor (Leidschendam-Voorburg, GM1916).

Nothing this script writes is a CBS figure. Only the 13 wijk boundaries are real: the CBS wijk
boundaries 2023 (CC BY 4.0), committed in `scripts/data/wijk_2023_GM1916.geojson` (RD New).
Everything else is made up here, from a seed:

* buurten: a Voronoi split of seeded points inside each wijk, clipped to the wijk, so the
  buurten of a wijk partition it exactly (asserted below). Codes `BU1916WWNN`, numbered from
  north to south, names "<wijk>-NN (synthetisch)". The buurten keep their shape in every
  year 2019-2024, but the wijk indeling changes as it really did: before 2022 WK191613 Voorburg
  Oud is part of WK191609 Voorburg Midden (its buurten BU19161301-04 are BU19160907-10 then),
  so a build shows a real boundary change being harmonised.
* "true" yearly figures per buurt (inhabitants, ages, households, housing, income, benefits),
  loosely calibrated on the real 2017 wijk profile of the municipality; Leidschendam-Noord and
  the focus buurten BU19160201, BU19160202 and BU19160601 are poorer, with a small improvement
  after 2020. One buurt (BU19160504) is nearly empty, so CBS-style suppression hits it.
* publication as CBS does it: counts randomly rounded to multiples of 5, benefits to tens,
  percentages and averages to 0 or 1 decimal, suppression below 100 inhabitants/households;
  wijk and gemeente figures are computed from the true buurt values and rounded on their own.

It writes, under `--out` (default `demo/landing`), the layout of docs/landing.md: StatLine
OData v3 replies per table (`cbs_kerncijfers/<table>/20250601T000000Z/`, with `manifest.json`;
metadata as the standard API sends it, areas and figures as the bulk feed `ODataFeed` sends
them, in pages joined by `odata.nextLink`),
the wijk- en buurtkaart per year (`cbs_kaart/<year>/`: shapefiles 2019-2021, GeoPackage
2022-2024) and `SYNTHETIC.json`. Deterministic for a seed: no clock time is used anywhere.

    python scripts/generate_demo.py [--seed 1916] [--out demo/landing]

`--import-boundaries <wijk_2023 geojson>` re-creates the committed boundary file from a CBS
wijk file (WGS84, columns WK_CODE, WK_NAAM) and exits.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parents[1]

from demo_municipal import write_municipal_demo  # noqa: E402  (scripts/ is on sys.path)
from demo_police import write_police_demo, write_recording  # noqa: E402

from sources.config import KERNCIJFERS_TABLES  # noqa: E402
from sources.statline import kerncijfers_queries  # noqa: E402

WIJK_FILE = ROOT / "scripts" / "data" / "wijk_2023_GM1916.geojson"

GM_CODE = "GM1916"
GM_NAAM = "Leidschendam-Voorburg"
GM_DIGITS = GM_CODE[2:]
CRS = "EPSG:28992"
YEARS = tuple(range(2019, 2025))
TABLES = {year: KERNCIJFERS_TABLES[year] for year in YEARS}
BASE_URL = "https://opendata.cbs.nl/ODataApi/odata"  # the API root; the feed is derived
SNAPSHOT = "20250601T000000Z"
PAGE_SIZE = 25  # rows per page of the feed: small, so paging is exercised
# Version timestamps of the (synthetic) tables: revised versions with income, 2024 a first release.
MODIFIED = {
    2019: "2021-03-31T02:00:00",
    2020: "2022-03-31T02:00:00",
    2021: "2023-03-31T02:00:00",
    2022: "2024-03-29T02:00:00",
    2023: "2025-03-31T02:00:00",
    2024: "2025-05-28T02:00:00",
}
FIXED_DATE = "2025-06-01"  # written into file metadata (dbf header, GeoPackage) instead of today

FOCUS = ("BU19160201", "BU19160202", "BU19160601")
# A real boundary change, as CBS made it: before 2022 WK191613 Voorburg Oud was part of
# WK191609 Voorburg Midden (the 2016/2017 indeling). The demo's years before SPLIT_YEAR have
# the old wijk (the union of the two) and its buurten numbered on: BU19161301..04 were
# BU19160907..10. The buurten themselves keep their shape.
SPLIT_YEAR = 2022
SPLIT_FROM, SPLIT_OFF = "WK191609", "WK191613"
TINY = "BU19160504"  # nearly empty business-park buurt: CBS suppression hits it


# --------------------------------------------------------------------------------------------
# Wijk profiles. Sizes and shares are the real 2017 wijk figures (CBS wijk- en buurtkaart 2017)
# used as a guide; WK191613 Voorburg Oud was split off WK191609 Voorburg Midden later.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WijkProfile:
    short: str  # short name for the synthetic buurt names
    n_buurten: int
    inw_2017: int
    ages: tuple[float, float, float, float, float]  # % 0-14, 15-24, 25-44, 45-64, 65+
    hh_size: float
    p_eenp: float  # % one-person households
    p_kind: float  # % households with children
    p_west: float  # % western migration background
    p_nwest: float  # % non-western migration background
    water: float  # water share of the area
    deprivation: float  # 0 (well-off) .. 1 (poor), for the wijk's ordinary buurten


WIJKEN: dict[str, WijkProfile] = {
    "WK191601": WijkProfile("De Zijde", 4, 5170, (13, 10, 15, 28, 34), 2.0, 42, 25, 17, 11, 0.026, 0.10),
    "WK191602": WijkProfile("Prinsenhof", 4, 5470, (17, 10, 24, 25, 24), 2.0, 44, 32, 12, 36, 0.004, 0.42),
    "WK191603": WijkProfile("'t Lien", 5, 6820, (13, 10, 19, 34, 24), 2.1, 34, 32, 13, 11, 0.072, 0.30),
    "WK191604": WijkProfile("Stompwijk", 3, 2320, (16, 13, 18, 34, 19), 2.5, 26, 40, 5, 3, 0.123, 0.08),
    "WK191605": WijkProfile("Leidschendam-Zuid", 4, 5755, (15, 10, 24, 30, 23), 2.1, 37, 31, 11, 14, 0.046, 0.22),
    "WK191606": WijkProfile("De Heuvel", 3, 3135, (14, 12, 29, 25, 20), 1.8, 54, 26, 11, 35, 0.004, 0.42),
    "WK191607": WijkProfile("Damsigt", 5, 6970, (20, 10, 19, 30, 22), 2.4, 29, 40, 14, 7, 0.028, 0.10),
    "WK191608": WijkProfile("Essesteijn", 4, 5675, (16, 7, 21, 25, 31), 2.0, 43, 30, 17, 10, 0.009, 0.12),
    "WK191609": WijkProfile("Voorburg Midden", 6, 9500, (16, 9, 22, 27, 26), 2.0, 44, 29, 15, 12, 0.009, 0.16),
    "WK191610": WijkProfile("Bovenveen", 4, 6945, (16, 8, 33, 27, 17), 1.8, 51, 26, 15, 26, 0.004, 0.30),
    "WK191611": WijkProfile("Voorburg Noord", 4, 6945, (17, 9, 40, 23, 11), 1.9, 46, 30, 16, 22, 0.004, 0.26),
    "WK191612": WijkProfile("Voorburg West", 4, 4970, (22, 9, 21, 29, 18), 2.4, 30, 41, 16, 8, 0.021, 0.08),
    "WK191613": WijkProfile("Voorburg Oud", 4, 5000, (15, 9, 24, 27, 25), 1.9, 47, 27, 16, 11, 0.010, 0.14),
}  # fmt: skip

# Year effects (index t = year - 2019).
POP_GROWTH = 1.0055  # per year, on the 2017 sizes
WOZ_INDEX = {2019: 0.87, 2020: 0.93, 2021: 1.00, 2022: 1.13, 2023: 1.26, 2024: 1.30}
INCOME_INDEX = {2019: 1.00, 2020: 1.025, 2021: 1.05, 2022: 1.09, 2023: 1.15, 2024: 1.19}
WW_INDEX = {2019: 1.00, 2020: 1.15, 2021: 0.98, 2022: 0.85, 2023: 0.88, 2024: 0.92}
BIJSTAND_INDEX = {2019: 1.00, 2020: 1.02, 2021: 1.00, 2022: 0.97, 2023: 0.97, 2024: 0.98}
BIJSTAND_FOCUS = {2019: 1.00, 2020: 1.04, 2021: 0.97, 2022: 0.91, 2023: 0.86, 2024: 0.81}

# The Netherlands (NL00): guides for the national row.
NL_POP = {2019: 17282163, 2020: 17407585, 2021: 17475415, 2022: 17590672, 2023: 17811291,
          2024: 17942942}  # fmt: skip
NL_AREA_HA = (3367100, 787200)  # land, water


# --------------------------------------------------------------------------------------------
# Topics of the kerncijfers tables: the stems in column order, per year.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Topic:
    stem: str
    group: str
    title: str
    datatype: str  # Long | Double
    unit: str
    decimals: int
    description: str
    years: tuple[int, ...] = YEARS


INCOME_YEARS = tuple(y for y in YEARS if y <= 2023)  # income is published a year late
TOPICS: tuple[Topic, ...] = (
    Topic("AantalInwoners", "Bevolking", "Aantal inwoners", "Long", "aantal", 0,
          "Het aantal inwoners op 1 januari (afgerond op 5)."),
    Topic("Mannen", "Bevolking", "Mannen", "Long", "aantal", 0, "Aantal mannen op 1 januari."),
    Topic("Vrouwen", "Bevolking", "Vrouwen", "Long", "aantal", 0, "Aantal vrouwen op 1 januari."),
    Topic("k_0Tot15Jaar", "Leeftijdsgroepen", "0 tot 15 jaar", "Long", "aantal", 0,
          "Aantal inwoners van 0 tot 15 jaar."),
    Topic("k_15Tot25Jaar", "Leeftijdsgroepen", "15 tot 25 jaar", "Long", "aantal", 0,
          "Aantal inwoners van 15 tot 25 jaar."),
    Topic("k_25Tot45Jaar", "Leeftijdsgroepen", "25 tot 45 jaar", "Long", "aantal", 0,
          "Aantal inwoners van 25 tot 45 jaar."),
    Topic("k_45Tot65Jaar", "Leeftijdsgroepen", "45 tot 65 jaar", "Long", "aantal", 0,
          "Aantal inwoners van 45 tot 65 jaar."),
    Topic("k_65JaarOfOuder", "Leeftijdsgroepen", "65 jaar of ouder", "Long", "aantal", 0,
          "Aantal inwoners van 65 jaar of ouder."),
    Topic("WestersTotaal", "Migratieachtergrond", "Westers totaal", "Long", "aantal", 0,
          "Inwoners met een westerse migratieachtergrond.", (2019, 2020, 2021)),
    Topic("NietWestersTotaal", "Migratieachtergrond", "Niet-westers totaal", "Long", "aantal", 0,
          "Inwoners met een niet-westerse migratieachtergrond.", (2019, 2020, 2021)),
    Topic("Nederland", "Herkomstland", "Nederland", "Long", "aantal", 0,
          "Inwoners met herkomstland Nederland.", (2022, 2023, 2024)),
    Topic("EuropaExclusiefNederland", "Herkomstland", "Europa (exclusief Nederland)", "Long",
          "aantal", 0, "Inwoners met een Europees herkomstland buiten Nederland.",
          (2022, 2023, 2024)),
    Topic("BuitenEuropa", "Herkomstland", "Buiten Europa", "Long", "aantal", 0,
          "Inwoners met een herkomstland buiten Europa.", (2022, 2023, 2024)),
    Topic("GeboorteTotaal", "Bevolking", "Geboorte totaal", "Long", "aantal", 0,
          "Aantal levendgeborenen in het jaar."),
    Topic("HuishoudensTotaal", "Huishoudens", "Huishoudens totaal", "Long", "aantal", 0,
          "Aantal particuliere huishoudens op 1 januari."),
    Topic("Eenpersoonshuishoudens", "Huishoudens", "Eenpersoonshuishoudens", "Long", "aantal", 0,
          "Aantal eenpersoonshuishoudens."),
    Topic("HuishoudensZonderKinderen", "Huishoudens", "Huishoudens zonder kinderen", "Long",
          "aantal", 0, "Meerpersoonshuishoudens zonder thuiswonende kinderen."),
    Topic("HuishoudensMetKinderen", "Huishoudens", "Huishoudens met kinderen", "Long", "aantal", 0,
          "Meerpersoonshuishoudens met thuiswonende kinderen."),
    Topic("GemiddeldeHuishoudensgrootte", "Huishoudens", "Gemiddelde huishoudensgrootte",
          "Double", "aantal", 1, "Gemiddeld aantal personen per particulier huishouden."),
    Topic("Bevolkingsdichtheid", "Bevolking", "Bevolkingsdichtheid", "Long", "per km2", 0,
          "Aantal inwoners per km2 land."),
    Topic("Woningvoorraad", "Wonen", "Woningvoorraad", "Long", "aantal", 0,
          "Aantal woningen op 1 januari."),
    Topic("GemiddeldeWoningwaarde", "Wonen", "Gemiddelde WOZ-waarde van woningen", "Long",
          "x 1 000 euro", 0, "Gemiddelde WOZ-waarde van woningen."),
    Topic("Koopwoningen", "Eigendom", "Koopwoningen", "Long", "%", 0,
          "Percentage koopwoningen in de woningvoorraad."),
    Topic("HuurwoningenTotaal", "Eigendom", "Huurwoningen totaal", "Long", "%", 0,
          "Percentage huurwoningen in de woningvoorraad."),
    Topic("InBezitWoningcorporatie", "Eigendom", "In bezit woningcorporatie", "Long", "%", 0,
          "Percentage huurwoningen in bezit van een woningcorporatie."),
    Topic("BouwjaarVanaf2000", "Bouwjaar", "Bouwjaar vanaf 2000", "Long", "%", 0,
          "Percentage woningen gebouwd in 2000 of later.", (2021, 2022, 2023, 2024)),
    Topic("AantalInkomensontvangers", "Inkomen", "Aantal inkomensontvangers", "Long", "aantal", 0,
          "Personen met persoonlijk inkomen (afgerond op 100).", INCOME_YEARS),
    Topic("GemiddeldInkomenPerInkomensontvanger", "Inkomen",
          "Gemiddeld inkomen per inkomensontvanger", "Double", "x 1 000 euro", 1,
          "Gemiddeld persoonlijk inkomen per inkomensontvanger.", INCOME_YEARS),
    Topic("GemiddeldInkomenPerInwoner", "Inkomen", "Gemiddeld inkomen per inwoner", "Double",
          "x 1 000 euro", 1, "Gemiddeld persoonlijk inkomen per inwoner.", INCOME_YEARS),
    Topic("k_40HuishoudensMetLaagsteInkomen", "Inkomen van huishoudens",
          "40% huishoudens met laagste inkomen", "Long", "%", 0,
          "Huishoudens in de landelijke onderste 40% van het gestandaardiseerd inkomen.",
          INCOME_YEARS),
    Topic("HuishoudensMetEenLaagInkomen", "Inkomen van huishoudens",
          "Huishoudens met een laag inkomen", "Double", "%", 1,
          "Huishoudens met een inkomen onder de lage-inkomensgrens.", INCOME_YEARS),
    Topic("HuishOnderOfRondSociaalMinimum", "Inkomen van huishoudens",
          "Huishoudens onder of rond sociaal minimum", "Double", "%", 1,
          "Huishoudens met een inkomen tot 110% van het sociaal minimum.", INCOME_YEARS),
    Topic("PersonenPerSoortUitkeringBijstand", "Personen per soort uitkering", "Bijstand", "Long",
          "aantal", 0, "Personen met een bijstandsuitkering (afgerond op tientallen)."),
    Topic("PersonenPerSoortUitkeringAO", "Personen per soort uitkering", "Arbeidsongeschiktheid",
          "Long", "aantal", 0, "Personen met een arbeidsongeschiktheidsuitkering."),
    Topic("PersonenPerSoortUitkeringWW", "Personen per soort uitkering", "WW", "Long", "aantal", 0,
          "Personen met een WW-uitkering."),
    Topic("PersonenPerSoortUitkeringAOW", "Personen per soort uitkering", "AOW", "Long", "aantal",
          0, "Personen met een AOW-uitkering."),
    Topic("OppervlakteTotaal", "Oppervlakte", "Oppervlakte totaal", "Long", "ha", 0,
          "Totale oppervlakte in hectare."),
    Topic("OppervlakteLand", "Oppervlakte", "Oppervlakte land", "Long", "ha", 0,
          "Oppervlakte land in hectare."),
    Topic("OppervlakteWater", "Oppervlakte", "Oppervlakte water", "Long", "ha", 0,
          "Oppervlakte water in hectare."),
)  # fmt: skip

# Topic groups: title -> parent title (None = top level), in order of first use.
GROUPS: dict[str, str | None] = {
    "Bevolking": None,
    "Leeftijdsgroepen": "Bevolking",
    "Migratieachtergrond": "Bevolking",
    "Herkomstland": "Bevolking",
    "Huishoudens": None,
    "Wonen": None,
    "Eigendom": "Wonen",
    "Bouwjaar": "Wonen",
    "Inkomen": None,
    "Inkomen van huishoudens": "Inkomen",
    "Sociale zekerheid": None,
    "Personen per soort uitkering": "Sociale zekerheid",
    "Oppervlakte": None,
}
GEO_DETAILS = (
    ("Gemeentenaam", "Gemeentenaam", "Naam van de gemeente."),
    ("SoortRegio", "Soort regio", "Land, gemeente, wijk of buurt."),
    ("Codering", "Codering", "Code van de regio."),
    ("IndelingswijzigingWijkenEnBuurten", "Indelingswijziging wijken en buurten",
     "1 = ongewijzigd, 2 = nieuwe code zelfde gebied, 3 = gebied gewijzigd."),
)  # fmt: skip

# Published as null where an area has fewer than 100 inhabitants or households.
SMALL_NULL = frozenset(
    {
        "WestersTotaal", "NietWestersTotaal", "Nederland", "EuropaExclusiefNederland",
        "BuitenEuropa", "GeboorteTotaal", "Eenpersoonshuishoudens", "HuishoudensZonderKinderen",
        "HuishoudensMetKinderen", "GemiddeldeHuishoudensgrootte", "GemiddeldeWoningwaarde",
        "Koopwoningen", "HuurwoningenTotaal", "InBezitWoningcorporatie", "BouwjaarVanaf2000",
        "AantalInkomensontvangers", "GemiddeldInkomenPerInkomensontvanger",
        "GemiddeldInkomenPerInwoner", "k_40HuishoudensMetLaagsteInkomen",
        "HuishoudensMetEenLaagInkomen", "HuishOnderOfRondSociaalMinimum",
        "PersonenPerSoortUitkeringBijstand", "PersonenPerSoortUitkeringAO",
        "PersonenPerSoortUitkeringWW", "PersonenPerSoortUitkeringAOW",
    }
)  # fmt: skip


def topics_for(year: int) -> list[tuple[str, Topic]]:
    """(key, topic) in column order; the suffix runs on after the four geo details."""
    topics = [t for t in TOPICS if year in t.years]
    return [(f"{t.stem}_{i}", t) for i, t in enumerate(topics, start=len(GEO_DETAILS) + 1)]


# --------------------------------------------------------------------------------------------
# Rounding helpers
# --------------------------------------------------------------------------------------------
def half_up(x: float, decimals: int = 0) -> float:
    f = 10**decimals
    return math.floor(x * f + 0.5) / f


def r0(x: float) -> int:
    return int(half_up(x))


def r1(x: float) -> float:
    return round(half_up(x, 1), 1)


class RandomRounder:
    """CBS-style random rounding to a base: up with probability remainder / base."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def __call__(self, x: float, base: int = 5) -> int:
        n = int(round(x))
        q, r = divmod(n, base)
        up = self.rng.random() < r / base
        return (q + int(up)) * base


# --------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------
def import_boundaries(src: Path) -> None:
    """Write the committed boundary file from a CBS wijk 2023 file (one-off, documented)."""
    gdf = gpd.read_file(src)
    gdf = gdf[gdf["WK_CODE"].str.startswith(f"WK{GM_DIGITS}")][["WK_CODE", "WK_NAAM", "geometry"]]
    gdf = gdf.to_crs(CRS).sort_values("WK_CODE").reset_index(drop=True)
    WIJK_FILE.parent.mkdir(parents=True, exist_ok=True)
    WIJK_FILE.unlink(missing_ok=True)
    gdf.to_file(WIJK_FILE, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=3)


def load_wijken() -> gpd.GeoDataFrame:
    gdf = gpd.read_file(WIJK_FILE).to_crs(CRS)
    gdf["geometry"] = shapely.make_valid(gdf.geometry.values)
    codes = sorted(gdf["WK_CODE"])
    if codes != sorted(WIJKEN):
        raise SystemExit(f"{WIJK_FILE}: expected wijken {sorted(WIJKEN)}, found {codes}")
    return gdf.sort_values("WK_CODE").reset_index(drop=True)


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def sample_inside(geom: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = geom.bounds
    out: list[np.ndarray] = []
    count = 0
    while count < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(4 * n, 2))
        xy = xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]
        out.append(xy)
        count += len(xy)
    return np.concatenate(out)[:n]


def kmeans(points: np.ndarray, k: int, rng: np.random.Generator, iterations: int = 20):
    centers = points[rng.choice(len(points), size=k, replace=False)]
    for _ in range(iterations):
        dist = ((points[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
        label = dist.argmin(axis=1)
        for j in range(k):
            if (label == j).any():
                centers[j] = points[label == j].mean(axis=0)
    return centers


def split_wijk(geom: BaseGeometry, n: int, rng: np.random.Generator) -> list[BaseGeometry]:
    """Voronoi split of seeded points in the wijk, each cell clipped to the wijk.

    Tries a number of seedings and keeps the first whose cells are all one piece and not too
    small (else the one with the least area in stray pieces)."""
    best_stray, best_parts = math.inf, []
    for _ in range(60):
        centers = kmeans(sample_inside(geom, 800, rng), n, rng)
        cells = shapely.voronoi_polygons(shapely.MultiPoint(centers), extend_to=geom, ordered=True)
        parts = [polygonal(shapely.intersection(c, geom)) for c in shapely.get_parts(cells)]
        stray = sum(p.area - max(q.area for q in shapely.get_parts(p)) for p in parts)
        if min(p.area for p in parts) < 0.3 * geom.area / n:
            stray += geom.area
        if stray < best_stray:
            best_stray, best_parts = stray, parts
        if stray == 0:
            break
    # number from north to south (then west to east)
    return sorted(best_parts, key=lambda p: (-round(p.centroid.y), round(p.centroid.x)))


def require(condition: bool, message: str) -> None:
    """An assertion that also holds under `python -O`."""
    if not condition:
        raise AssertionError(message)


def assert_partition(wijk: BaseGeometry, buurten: list[BaseGeometry], code: str) -> None:
    """The buurten cover the wijk exactly (to 1 m2) and do not overlap."""
    total = sum(b.area for b in buurten)
    require(abs(total - wijk.area) < 1.0, f"{code}: buurt areas {total} != wijk {wijk.area}")
    gap = shapely.symmetric_difference(shapely.union_all(buurten), wijk).area
    require(gap < 1.0, f"{code}: buurten do not cover the wijk ({gap} m2 differ)")
    for i, a in enumerate(buurten):
        for b in buurten[i + 1 :]:
            require(shapely.intersection(a, b).area < 1e-3, f"{code}: buurten overlap")


def make_buurten(wijken: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for wk_code, wk_naam, geom in zip(
        wijken["WK_CODE"], wijken["WK_NAAM"], wijken.geometry, strict=True
    ):
        prof = WIJKEN[wk_code]
        cells = split_wijk(geom, prof.n_buurten, rng)
        assert_partition(geom, cells, wk_code)
        for i, cell in enumerate(cells, start=1):
            rows.append(
                {
                    "code": f"BU{GM_DIGITS}{wk_code[-2:]}{i:02d}",
                    "name": f"{prof.short}-{i:02d} (synthetisch)",
                    "wijk": wk_code,
                    "wijk_name": wk_naam,
                    "geometry": cell,
                }
            )
    buurten = pd.DataFrame(rows)
    missing = {*FOCUS, TINY} - set(buurten["code"])
    require(not missing, f"focus/tiny buurten missing: {missing}")
    return buurten


# --------------------------------------------------------------------------------------------
# True figures
# --------------------------------------------------------------------------------------------
def clip(x: float, lo: float, hi: float) -> float:
    return float(min(max(x, lo), hi))


def buurt_profile(
    code: str, wk_code: str, area_m2: float, share: float, rng: np.random.Generator
) -> dict[str, Any]:
    """Static characteristics of one buurt, drawn once (percentages as 0-100)."""
    prof = WIJKEN[wk_code]
    focus, tiny = code in FOCUS, code == TINY
    # deprivation 0 (well-off) .. 1 (poor) drives housing, income and benefits
    d = rng.uniform(0.88, 0.98) if focus else clip(prof.deprivation + rng.normal(0, 0.06), 0, 0.8)
    ages = np.array(prof.ages, dtype=float) / 100
    if focus:  # younger: more children and young adults, fewer elderly
        ages = ages + np.array([0.03, 0.02, 0.03, -0.03, -0.05])
    ages = rng.dirichlet(ages * 150)
    water = clip(prof.water * math.exp(rng.normal(0, 0.5)), 0.0, 0.4)
    unknown_owner = rng.uniform(0.0, 1.0)
    corp = clip(15 + 65 * d + rng.normal(0, 3), 2, 90)
    if focus:
        corp = rng.uniform(66, 74)
    private_rent = clip(rng.normal(9, 2.5), 3, 20)
    hh_size = (1.85 if focus else prof.hh_size * 1.03) * math.exp(rng.normal(0, 0.04))
    p_eenp = 55 if focus else prof.p_eenp + 8 * (d - prof.deprivation)
    lowinc = clip(3.0 + 15 * d**1.3 + rng.normal(0, 0.5), 1, 30)
    return {
        "code": code,
        "wijk": wk_code,
        "focus": focus,
        "tiny": tiny,
        "pop_2017": rng.integers(30, 50) if tiny else prof.inw_2017 * share,
        "men": rng.normal(0.48, 0.01),
        "ages": ages,
        "hh_size": hh_size,
        "p_eenp": clip(p_eenp + rng.normal(0, 2.5), 15, 70),
        "p_kind": clip(prof.p_kind + rng.normal(0, 2.5), 15, 50),
        "p_west": clip(prof.p_west + rng.normal(0, 1.5), 2, 30),
        "p_nwest": clip((40 if focus else prof.p_nwest) + rng.normal(0, 2.5), 1, 60),
        "births": rng.normal(0.0105, 0.0012),  # per inhabitant per year
        "dw_ratio": rng.uniform(1.01, 1.06),  # dwellings per household
        "woz21": (385 - 210 * d + (60 if wk_code == "WK191604" else 0))
        * math.exp(rng.normal(0, 0.06)),  # x 1 000 euro, 2021 level
        "corp": corp,
        "huur": corp + private_rent,
        "koop": 100 - corp - private_rent - unknown_owner,
        "bouw2000": float(rng.choice([rng.uniform(2, 12), rng.uniform(12, 45)])),
        "inc19": (37.0 - 15 * d) * math.exp(rng.normal(0, 0.04)),  # x 1 000 euro per inhabitant
        "recip": rng.normal(0.79, 0.012),  # income recipients per inhabitant
        "low40": clip(24 + 44 * d + rng.normal(0, 2), 10, 80),
        "lowinc": lowinc,
        "socmin": clip(lowinc * rng.uniform(0.85, 0.95), 0.5, 30),
        "bij_rate": 15.5 * math.exp(1.65 * d) * math.exp(rng.normal(0, 0.08)),  # per 1000 15-64
        "ao_rate": 0.045 + 0.05 * d + rng.normal(0, 0.004),
        "ww_rate": 0.018 + 0.012 * d + rng.normal(0, 0.002),
        "area_m2": area_m2,
        "water_m2": area_m2 * water,
        "walk": 1.0,  # random walk of the population, updated per year
    }


def buurt_profiles(buurten: pd.DataFrame, rng: np.random.Generator) -> list[dict[str, Any]]:
    profiles = []
    for wk_code, group in buurten.groupby("wijk", sort=True):
        codes = list(group["code"])
        shares = rng.dirichlet(np.full(len(codes), 8.0))
        for i, code in enumerate(codes):
            if code == TINY:
                shares[i] = 0.0
            elif code in FOCUS:  # the high-rise focus buurten are big
                shares[i] += 0.15
        shares = shares / shares.sum()
        for code, geom, share in zip(codes, group["geometry"], shares, strict=True):
            profiles.append(buurt_profile(code, str(wk_code), geom.area, share, rng))
    return profiles


def largest_remainder(total: int, shares: np.ndarray) -> list[int]:
    raw = total * shares / shares.sum()
    out = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - out), kind="stable")[: total - out.sum()]:
        out[i] += 1
    return [int(v) for v in out]


def true_buurt(p: dict[str, Any], year: int, rng: np.random.Generator) -> dict[str, float]:
    """Extensive true quantities of one buurt in one year (sums, so they aggregate)."""
    t = year - 2019
    p["walk"] *= math.exp(rng.normal(0, 0.008))
    growth = 1.0 if p["tiny"] else POP_GROWTH ** (year - 2017)
    pop = max(1, r0(p["pop_2017"] * growth * p["walk"]))
    ages = p["ages"] + np.array([0.0, 0.0, -0.0015, -0.0015, 0.003]) * t
    a = largest_remainder(pop, np.clip(ages, 0.01, None))
    men = r0(pop * p["men"])
    west = r0(pop * p["p_west"] / 100 * (1 + 0.01 * t))
    nwest = min(pop - west, r0(pop * p["p_nwest"] / 100 * (1 + 0.02 * t)))
    eu = r0(pop * (0.7 * p["p_west"] / 100 + 0.02))
    buiten = min(pop - eu, r0(pop * (p["p_nwest"] + 0.3 * p["p_west"]) / 100))
    hh = max(1, r0(pop / (p["hh_size"] * (1 - 0.003 * t))))
    hh_eenp = r0(hh * min(0.9, p["p_eenp"] / 100 * (1 + 0.004 * t)))
    hh_kind = min(hh - hh_eenp, r0(hh * p["p_kind"] / 100))
    dwellings = r0(hh * p["dw_ratio"])
    p1564 = a[1] + a[2] + a[3]
    bij_index = BIJSTAND_FOCUS[year] if p["focus"] else BIJSTAND_INDEX[year]
    noise = rng.normal(0, 0.02 if p["focus"] else 0.05)
    bij = p1564 * p["bij_rate"] / 1000 * bij_index * math.exp(noise)
    recip = pop * p["recip"]
    return {
        "pop": pop,
        "men": men,
        "women": pop - men,
        "a0": a[0],
        "a15": a[1],
        "a25": a[2],
        "a45": a[3],
        "a65": a[4],
        "west": west,
        "nwest": nwest,
        "nl": pop - eu - buiten,
        "eu": eu,
        "buiten": buiten,
        "births": int(rng.poisson(pop * p["births"])),
        "hh": hh,
        "hh_eenp": hh_eenp,
        "hh_zonder": hh - hh_eenp - hh_kind,
        "hh_kind": hh_kind,
        "dwellings": dwellings,
        "woz_sum": dwellings * p["woz21"] * WOZ_INDEX[year],
        "koop": dwellings * p["koop"] / 100,
        "huur": dwellings * p["huur"] / 100,
        "corp": dwellings * p["corp"] / 100,
        "bouw2000": dwellings * (p["bouw2000"] + 0.3 * t) / 100,
        "recip": recip,
        "income_sum": pop * p["inc19"] * INCOME_INDEX[year],
        "hh_low40": hh * p["low40"] / 100,
        "hh_lowinc": hh * p["lowinc"] * (1 - 0.01 * t) / 100,
        "hh_socmin": hh * p["socmin"] * (1 - 0.01 * t) / 100,
        "bijstand": r0(bij),
        "ao": r0(p1564 * p["ao_rate"] * (1 + 0.01 * t) * math.exp(rng.normal(0, 0.05))),
        "ww": r0(p1564 * p["ww_rate"] * WW_INDEX[year] * math.exp(rng.normal(0, 0.08))),
        "aow": r0(a[4] * rng.normal(0.925, 0.01)),
        "land_m2": p["area_m2"] - p["water_m2"],
        "water_m2": p["water_m2"],
    }


def true_nl(year: int, rng: np.random.Generator) -> dict[str, float]:
    t = year - 2019

    def jitter(x: float) -> int:
        return r0(x * math.exp(rng.normal(0, 0.004)))

    pop = NL_POP[year]
    ages = np.array(
        [0.159 - 0.001 * t, 0.122, 0.248 - 0.001 * t, 0.278 - 0.001 * t, 0.193 + 0.003 * t]
    )
    a = largest_remainder(pop, ages)
    hh = jitter(7_950_000 + 50_000 * t)
    dwellings = jitter(7_890_000 + 70_000 * t)
    hh_eenp = r0(hh * (0.385 + 0.002 * t))
    hh_kind = r0(hh * 0.33)
    eu, buiten = r0(pop * (0.10 + 0.002 * t)), r0(pop * (0.15 + 0.002 * t))
    return {
        "pop": pop,
        "men": r0(pop * 0.4966),
        "women": pop - r0(pop * 0.4966),
        "a0": a[0],
        "a15": a[1],
        "a25": a[2],
        "a45": a[3],
        "a65": a[4],
        "west": r0(pop * (0.100 + 0.002 * t)),
        "nwest": r0(pop * (0.137 + 0.002 * t)),
        "nl": pop - eu - buiten,
        "eu": eu,
        "buiten": buiten,
        "births": jitter(169_700 + 800 * t),
        "hh": hh,
        "hh_eenp": hh_eenp,
        "hh_zonder": hh - hh_eenp - hh_kind,
        "hh_kind": hh_kind,
        "dwellings": dwellings,
        "woz_sum": dwellings * 290 * WOZ_INDEX[year],
        "koop": dwellings * 0.572,
        "huur": dwellings * 0.421,
        "corp": dwellings * 0.291,
        "bouw2000": dwellings * (0.165 + 0.004 * t),
        "recip": pop * 0.80,
        "income_sum": pop * 28.0 * INCOME_INDEX[year],
        "hh_low40": hh * 0.40,
        "hh_lowinc": hh * (0.082 - 0.001 * t),
        "hh_socmin": hh * (0.071 - 0.001 * t),
        "bijstand": jitter(415_000 * BIJSTAND_INDEX[year]),
        "ao": jitter(800_000 * (1 + 0.01 * t)),
        "ww": jitter(250_000 * WW_INDEX[year]),
        "aow": jitter(3_400_000 + 45_000 * t),
        "land_m2": NL_AREA_HA[0] * 1e4,
        "water_m2": NL_AREA_HA[1] * 1e4,
    }


def add(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: sum(r[k] for r in rows) for k in rows[0]}


# --------------------------------------------------------------------------------------------
# Publication: true quantities -> published figures per stem
# --------------------------------------------------------------------------------------------
def publish(q: dict[str, float], year: int, rr: RandomRounder) -> dict[str, int | float | None]:
    small = q["pop"] < 100 or q["hh"] < 100
    dw, hh, pop = q["dwellings"], q["hh"], q["pop"]
    land_ha, water_ha = r0(q["land_m2"] / 1e4), r0(q["water_m2"] / 1e4)
    compute = {
        "AantalInwoners": lambda: rr(pop),
        "Mannen": lambda: rr(q["men"]),
        "Vrouwen": lambda: rr(q["women"]),
        "k_0Tot15Jaar": lambda: rr(q["a0"]),
        "k_15Tot25Jaar": lambda: rr(q["a15"]),
        "k_25Tot45Jaar": lambda: rr(q["a25"]),
        "k_45Tot65Jaar": lambda: rr(q["a45"]),
        "k_65JaarOfOuder": lambda: rr(q["a65"]),
        "WestersTotaal": lambda: rr(q["west"]),
        "NietWestersTotaal": lambda: rr(q["nwest"]),
        "Nederland": lambda: rr(q["nl"]),
        "EuropaExclusiefNederland": lambda: rr(q["eu"]),
        "BuitenEuropa": lambda: rr(q["buiten"]),
        "GeboorteTotaal": lambda: rr(q["births"]),
        "HuishoudensTotaal": lambda: rr(hh),
        "Eenpersoonshuishoudens": lambda: rr(q["hh_eenp"]),
        "HuishoudensZonderKinderen": lambda: rr(q["hh_zonder"]),
        "HuishoudensMetKinderen": lambda: rr(q["hh_kind"]),
        "GemiddeldeHuishoudensgrootte": lambda: r1(pop / hh),
        "Bevolkingsdichtheid": lambda: r0(pop / (q["land_m2"] / 1e6)),
        "Woningvoorraad": lambda: int(dw),
        "GemiddeldeWoningwaarde": lambda: r0(q["woz_sum"] / dw),
        "Koopwoningen": lambda: r0(100 * q["koop"] / dw),
        "HuurwoningenTotaal": lambda: r0(100 * q["huur"] / dw),
        "InBezitWoningcorporatie": lambda: r0(100 * q["corp"] / dw),
        "BouwjaarVanaf2000": lambda: r0(100 * q["bouw2000"] / dw),
        "AantalInkomensontvangers": lambda: r0(q["recip"] / 100) * 100,
        "GemiddeldInkomenPerInkomensontvanger": lambda: r1(q["income_sum"] / q["recip"]),
        "GemiddeldInkomenPerInwoner": lambda: r1(q["income_sum"] / pop),
        "k_40HuishoudensMetLaagsteInkomen": lambda: r0(100 * q["hh_low40"] / hh),
        "HuishoudensMetEenLaagInkomen": lambda: r1(100 * q["hh_lowinc"] / hh),
        "HuishOnderOfRondSociaalMinimum": lambda: r1(100 * q["hh_socmin"] / hh),
        "PersonenPerSoortUitkeringBijstand": lambda: r0(q["bijstand"] / 10) * 10,
        "PersonenPerSoortUitkeringAO": lambda: r0(q["ao"] / 10) * 10,
        "PersonenPerSoortUitkeringWW": lambda: r0(q["ww"] / 10) * 10,
        "PersonenPerSoortUitkeringAOW": lambda: r0(q["aow"] / 10) * 10,
        "OppervlakteTotaal": lambda: land_ha + water_ha,
        "OppervlakteLand": lambda: land_ha,
        "OppervlakteWater": lambda: water_ha,
    }
    out: dict[str, int | float | None] = {}
    for _key, topic in topics_for(year):
        out[topic.stem] = None if small and topic.stem in SMALL_NULL else compute[topic.stem]()
    return out


# --------------------------------------------------------------------------------------------
# StatLine replies
# --------------------------------------------------------------------------------------------
def pad(code: str, width: int = 10) -> str:
    return code.ljust(width)


def table_infos(year: int, table: str, n_rows: int) -> list[dict[str, Any]]:
    return [
        {
            "ID": 0,
            "Title": f"Kerncijfers wijken en buurten {year} — SYNTHETISCHE DEMODATA, geen CBS-cijfers",
            "ShortTitle": f"Kerncijfers wijken en buurten {year} (synthetisch)",
            "Identifier": table,
            "Summary": (
                f"Synthetische demodata in het formaat van de CBS-tabel Kerncijfers wijken en "
                f"buurten {year}, alleen voor {GM_NAAM} en Nederland. Geen CBS-cijfers."
            ),
            "Modified": MODIFIED[year],
            "MetaDataModified": MODIFIED[year],
            "ReasonDelivery": "Nieuwe tabel" if year == max(YEARS) else "Actualisering",
            "OutputStatus": "Regulier",
            "Source": "CBS (synthetisch)",
            "Language": "nl",
            "Catalog": "CBS",
            "Frequency": "Perjaar",
            "Period": str(year),
            "RecordCount": n_rows,
            "ColumnCount": 1 + len(GEO_DETAILS) + len(topics_for(year)),
            "Synthetic": True,
        }
    ]


def data_properties(year: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "odata.type": "Cbs.OData.GeoDimension",
            "ID": 0,
            "Position": 0,
            "ParentID": None,
            "Type": "GeoDimension",
            "Key": "WijkenEnBuurten",
            "Title": "Wijken en buurten",
            "Description": "Gemeenten, wijken en buurten volgens de indeling van het jaar.",
            "MapYear": str(year),
            "ReleasePolicy": False,
        }
    ]
    for pos, (stem, title, desc) in enumerate(GEO_DETAILS, start=1):
        rows.append(
            {
                "odata.type": "Cbs.OData.GeoDetail",
                "ID": len(rows),
                "Position": pos,
                "ParentID": None,
                "Type": "GeoDetail",
                "Key": f"{stem}_{pos}",
                "Title": title,
                "Description": desc,
                "Datatype": "String",
                "Unit": None,
                "Decimals": 0,
            }
        )
    group_ids: dict[str, int] = {}

    def group_id(title: str) -> int:
        if title not in group_ids:
            parent = GROUPS[title]
            parent_id = group_id(parent) if parent else None
            group_ids[title] = len(rows)
            rows.append(
                {
                    "odata.type": "Cbs.OData.TopicGroup",
                    "ID": len(rows),
                    "Position": None,
                    "ParentID": parent_id,
                    "Type": "TopicGroup",
                    "Key": "",
                    "Title": title,
                    "Description": None,
                }
            )
        return group_ids[title]

    for key, topic in topics_for(year):
        parent = group_id(topic.group)
        presentation = {"%": "Relative", "aantal": "Absolute"}.get(topic.unit, "Average")
        rows.append(
            {
                "odata.type": "Cbs.OData.Topic",
                "ID": len(rows),
                "Position": int(key.rsplit("_", 1)[1]),
                "ParentID": parent,
                "Type": "Topic",
                "Key": key,
                "Title": topic.title,
                "Description": topic.description + " Synthetische demodata.",
                "Datatype": topic.datatype,
                "Unit": topic.unit,
                "Decimals": topic.decimals,
                "Default": "Missing",
                "PresentationType": presentation,
            }
        )
    return rows


@dataclass
class Area:
    code: str
    name: str
    soort: str  # Land, Gemeente, Wijk, Buurt
    gemeente: str
    true: dict[str, float]
    pub: dict[str, int | float | None]
    geometry: BaseGeometry | None = None
    wijk: str = ""
    wijk_name: str = ""
    flag: str = "1"  # IndelingswijzigingWijkenEnBuurten: 1 same, 2 new code, 3 area changed


def typed_row(i: int, area: Area, year: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ID": i,
        "WijkenEnBuurten": pad(area.code),
        "Gemeentenaam_1": area.gemeente.ljust(40),
        "SoortRegio_2": pad(area.soort),
        "Codering_3": pad(area.code),
        "IndelingswijzigingWijkenEnBuurten_4": area.flag
        if area.soort in ("Wijk", "Buurt")
        else ".",
    }
    for key, topic in topics_for(year):
        row[key] = area.pub[topic.stem]
    return row


def dimension_row(area: Area) -> dict[str, Any]:
    return {
        "Key": pad(area.code),
        "Title": area.name,
        "Description": None,
        "Municipality": area.gemeente if area.soort != "Land" else None,
    }


def write_statline(out: Path, year: int, areas: list[Area], nl: Area) -> tuple[str, int]:
    """The saved replies of one year's table, as the client would fetch them (metadata from
    the API, areas and figures from the bulk feed in pages); returns (table, figure pages)."""
    table = TABLES[year]
    replies = {
        ("TableInfos", None): table_infos(year, table, len(areas) + 1),
        ("DataProperties", None): data_properties(year),
        ("WijkenEnBuurten", "gemeente"): [dimension_row(a) for a in areas],
        ("WijkenEnBuurten", "land"): [dimension_row(nl)],
        ("TypedDataSet", "gemeente"): [typed_row(i, a, year) for i, a in enumerate(areas, 1)],
        ("TypedDataSet", "land"): [typed_row(0, nl, year)],
    }
    folder = out / "cbs_kerncijfers" / table / SNAPSHOT
    entries = write_recording(
        folder, BASE_URL, table, kerncijfers_queries(GM_CODE), replies, PAGE_SIZE
    )
    return table, sum(e["file"].startswith("TypedDataSet_gemeente_") for e in entries)


# --------------------------------------------------------------------------------------------
# Kaart files
# --------------------------------------------------------------------------------------------
# (old shapefile name, new GeoPackage name, how it is derived)
KAART_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("AANT_INW", "aantal_inwoners", "AantalInwoners"),
    ("AANT_MAN", "mannen", "Mannen"),
    ("AANT_VROUW", "vrouwen", "Vrouwen"),
    ("P_00_14_JR", "percentage_personen_0_tot_15_jaar", "%a0"),
    ("P_15_24_JR", "percentage_personen_15_tot_25_jaar", "%a15"),
    ("P_25_44_JR", "percentage_personen_25_tot_45_jaar", "%a25"),
    ("P_45_64_JR", "percentage_personen_45_tot_65_jaar", "%a45"),
    ("P_65_EO_JR", "percentage_personen_65_jaar_en_ouder", "%a65"),
    ("AANTAL_HH", "aantal_huishoudens", "HuishoudensTotaal"),
    ("P_EENP_HH", "percentage_eenpersoonshuishoudens", "%eenp"),
    ("GEM_HH_GR", "gemiddelde_huishoudsgrootte", "GemiddeldeHuishoudensgrootte"),
    ("WONINGEN", "woningvoorraad", "Woningvoorraad"),
    ("WOZ", "gemiddelde_woningwaarde", "GemiddeldeWoningwaarde"),
    ("P_HUURWON", "percentage_huurwoningen", "HuurwoningenTotaal"),
    ("P_KOOPWON", "percentage_koopwoningen", "Koopwoningen"),
    ("OPP_TOT", "oppervlakte_totaal_in_ha", "OppervlakteTotaal"),
    ("OPP_LAND", "oppervlakte_land_in_ha", "OppervlakteLand"),
    ("OPP_WATER", "oppervlakte_water_in_ha", "OppervlakteWater"),
)
SECRET = {"P_EENP_HH", "WOZ"}  # old files: these carry -99999997 (secret) rather than -99999999
FLOAT_COLUMNS = {"GEM_HH_GR", "gemiddelde_huishoudsgrootte", "gemiddeld_inkomen_per_inwoner"}


def kaart_value(area: Area, how: str) -> int | float | None:
    if not how.startswith("%"):
        return area.pub.get(how)
    q = area.true
    if how == "%eenp":
        return (
            None
            if area.pub.get("Eenpersoonshuishoudens") is None
            else r0(100 * q["hh_eenp"] / q["hh"])
        )
    return r0(100 * q[how[1:]] / q["pop"])


def kaart_frame(areas: list[Area], level: str, year: int) -> gpd.GeoDataFrame:
    new = year >= 2022
    records = []
    for a in areas:
        rec: dict[str, Any] = {}
        if new:
            if level == "buurt":
                rec |= {"buurtcode": a.code, "buurtnaam": a.name}
            if level in ("buurt", "wijk"):
                code = a.code if level == "wijk" else a.wijk
                name = a.name if level == "wijk" else a.wijk_name
                rec |= {"wijkcode": code, "wijknaam": name}
            rec |= {"gemeentecode": GM_CODE, "gemeentenaam": GM_NAAM}
            if level != "gemeente":
                rec["indelingswijziging_wijken_en_buurten"] = int(a.flag)
            rec["water"] = "NEE"
        else:
            if level == "buurt":
                rec |= {"BU_CODE": a.code, "BU_NAAM": a.name}
            if level in ("buurt", "wijk"):
                code = a.code if level == "wijk" else a.wijk
                name = a.name if level == "wijk" else a.wijk_name
                rec |= {"WK_CODE": code, "WK_NAAM": name}
            rec |= {"GM_CODE": GM_CODE, "GM_NAAM": GM_NAAM}
            if level != "gemeente":
                rec["IND_WBI"] = int(a.flag)
            rec["WATER"] = "NEE"
        for old, new_name, how in KAART_COLUMNS:
            value = kaart_value(a, how)
            if new:
                rec[new_name] = -99997 if value is None else value
            elif value is None:
                rec[old] = -99999997 if old in SECRET else -99999999
            else:
                rec[old] = value
        if new:
            income = a.pub.get("GemiddeldInkomenPerInwoner")
            if "GemiddeldInkomenPerInwoner" not in a.pub:
                income = -99995.0  # published in a later version
            rec["gemiddeld_inkomen_per_inwoner"] = -99997.0 if income is None else income
        records.append(rec)
    frame = pd.DataFrame(records)
    for col in frame.columns:
        if col in FLOAT_COLUMNS:
            frame[col] = frame[col].astype("float64")
        elif frame[col].dtype != object and not pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].astype("int64")
    geoms = [shapely.MultiPolygon(list(shapely.get_parts(a.geometry))) for a in areas]
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)


def write_kaart(out: Path, year: int, levels: dict[str, list[Area]]) -> str:
    folder = out / "cbs_kaart" / str(year)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if year >= 2022:
        path = folder / f"wijkenbuurten_{year}.gpkg"
        for layer, level in (("gemeenten", "gemeente"), ("wijken", "wijk"), ("buurten", "buurt")):
            kaart_frame(levels[level], level, year).to_file(
                path, layer=layer, driver="GPKG", engine="pyogrio"
            )
        return path.name
    for prefix, level in (("gem", "gemeente"), ("wijk", "wijk"), ("buurt", "buurt")):
        kaart_frame(levels[level], level, year).to_file(
            folder / f"{prefix}_{year}.shp",
            driver="ESRI Shapefile",
            engine="pyogrio",
            encoding="UTF-8",
            DBF_DATE_LAST_UPDATE=FIXED_DATE,
        )
    return "shp"


# --------------------------------------------------------------------------------------------
def year_indeling(
    profiles: list[dict[str, Any]],
    info: pd.DataFrame,
    wijk_names: dict[str, str],
    wijk_geoms: dict[str, BaseGeometry],
    year: int,
) -> dict[str, tuple[str, BaseGeometry, str, list[tuple[str, str, str]]]]:
    """The year's wijken: code -> (name, geometry, CBS flag, [(buurt, its code that year,
    flag)]). Before SPLIT_YEAR, SPLIT_OFF is part of SPLIT_FROM; in SPLIT_YEAR CBS flags the
    two wijken "3" (area changed) and the renumbered buurten "2" (new code, same area)."""
    out = {}
    for wk_code in sorted(WIJKEN):
        codes = [p["code"] for p in profiles if p["wijk"] == wk_code]
        changed = year == SPLIT_YEAR and wk_code in (SPLIT_FROM, SPLIT_OFF)
        members = [(c, c, "2" if changed and wk_code == SPLIT_OFF else "1") for c in codes]
        out[wk_code] = (wijk_names[wk_code], wijk_geoms[wk_code], "3" if changed else "1", members)
    if year < SPLIT_YEAR:
        name, geom, flag, members = out.pop(SPLIT_FROM)
        _, off_geom, _, off = out.pop(SPLIT_OFF)
        n = len(members)
        renumbered = [(c, f"BU{GM_DIGITS}{SPLIT_FROM[-2:]}{n + i:02d}", "1")
                      for i, (c, _, _) in enumerate(off, start=1)]  # fmt: skip
        merged = shapely.union_all([geom, off_geom])
        out[SPLIT_FROM] = (name, polygonal(merged), flag, members + renumbered)
        out = dict(sorted(out.items()))
    return out


def year_name(name: str, code: str, year_code: str) -> str:
    """A renumbered buurt is named after its wijk of that year."""
    if code == year_code:
        return name
    return f"{WIJKEN[SPLIT_FROM].short}-{year_code[-2:]} (synthetisch)"


def generate(seed: int, out: Path) -> None:
    master = np.random.default_rng(seed)
    rng_geo, rng_profile, rng_years, rng_round, rng_nl = master.spawn(5)
    rounder = RandomRounder(rng_round)

    wijken = load_wijken()
    buurten = make_buurten(wijken, rng_geo)
    gemeente_geom = shapely.union_all(wijken.geometry.values)
    profiles = buurt_profiles(buurten, rng_profile)
    info = buurten.set_index("code")
    wijk_names = dict(zip(wijken["WK_CODE"], wijken["WK_NAAM"], strict=True))
    wijk_geoms = dict(zip(wijken["WK_CODE"], wijken.geometry, strict=True))

    out.mkdir(parents=True, exist_ok=True)
    for year in YEARS:
        true_b = {p["code"]: true_buurt(p, year, rng_years) for p in profiles}
        gm_true = add(list(true_b.values()))
        gm = Area(GM_CODE, GM_NAAM, "Gemeente", GM_NAAM, gm_true, publish(gm_true, year, rounder))
        gm.geometry = gemeente_geom
        ordered, wijk_areas, buurt_areas = [gm], [], []
        indeling = year_indeling(profiles, info, wijk_names, wijk_geoms, year)
        for wk_code, (wk_name, wk_geom, wk_flag, members) in indeling.items():
            wk_true = add([true_b[c] for c, _, _ in members])
            wk = Area(wk_code, wk_name, "Wijk", GM_NAAM, wk_true,
                      publish(wk_true, year, rounder), wk_geom, flag=wk_flag)  # fmt: skip
            ordered.append(wk)
            wijk_areas.append(wk)
            for code, year_code, bu_flag in members:
                b = Area(year_code, year_name(info.at[code, "name"], code, year_code), "Buurt",
                         GM_NAAM, true_b[code], publish(true_b[code], year, rounder),
                         info.at[code, "geometry"], wk_code, wk_name, flag=bu_flag)  # fmt: skip
                ordered.append(b)
                buurt_areas.append(b)
        nl_true = true_nl(year, rng_nl)
        nl = Area(
            "NL00", "Nederland", "Land", "Nederland", nl_true, publish(nl_true, year, rounder)
        )
        table, pages = write_statline(out, year, ordered, nl)
        kaart = write_kaart(out, year, {"gemeente": [gm], "wijk": wijk_areas, "buurt": buurt_areas})
        print(
            f"{year} {table}: {len(ordered)} rows (1 gemeente, {len(wijk_areas)} wijken, "
            f"{len(buurt_areas)} buurten) in {pages} pages + NL00; {GM_CODE} "
            f"AantalInwoners={gm.pub['AantalInwoners']}; kaart: {kaart}"
        )

    synthetic = {
        "synthetic": True,
        "generator": "scripts/generate_demo.py",
        "seed": seed,
        "note": (
            "Synthetische demodata: geen CBS-cijfers. Geometrie van de wijken: Bron: CBS "
            "(wijkgrenzen 2023, CC BY 4.0); buurten synthetisch."
        ),
    }
    (out / "SYNTHETIC.json").write_text(
        json.dumps(synthetic, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    # The police table and the municipality's own deliveries, on the same synthetic buurten.
    police = write_police_demo(out, GM_CODE, list(YEARS), seed)
    print(f"police table: {police}")
    municipal = write_municipal_demo(out, GM_CODE, YEARS, seed)
    print(
        "municipal deliveries: "
        + ", ".join(f"{k} {v} files" for k, v in municipal["files"].items())
        + f"; {sum(municipal['bad_rows'].values())} bad rows planted: "
        + ", ".join(f"{kind} {n}" for kind, n in municipal["bad_rows"].items())
        + f"; survey under 50 respondents: {municipal['enquete_too_few']}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1916)
    parser.add_argument("--out", type=Path, default=ROOT / "demo" / "landing")
    parser.add_argument("--import-boundaries", type=Path, metavar="GEOJSON", default=None)
    args = parser.parse_args(argv)
    if args.import_boundaries:
        import_boundaries(args.import_boundaries)
        return
    # no clock time in the GeoPackage metadata; quiet GDAL/pyogrio chatter
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{FIXED_DATE}T00:00:00.000Z"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        generate(args.seed, args.out)


if __name__ == "__main__":
    main()
