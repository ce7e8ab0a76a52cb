"""Write the SYNTHETIC municipal deliveries of the demo bundle (sources.md sections 3 and 4).

Nothing here is real: persons, pupils, incidents, postcodes and house numbers are made up from a
seed. Only the buurt boundaries and inhabitant counts are taken from the demo's own (synthetic)
wijk- en buurtkaart under `<landing>/cbs_kaart/<year>/`, so everything lands inside the demo's
buurten. The folder must already carry the demo's `SYNTHETIC.json` (written by
`scripts/generate_demo.py`), so these files can never end up in a real landing folder unmarked.

Written under `<landing>/`:

* `pc6_buurt/pc6hnr<year>0801_gwb.csv`: the CBS "Buurt, wijk en gemeente <jaar> voor postcode
  huisnummer" layout (`PC6;Huisnummer;Buurt<jaar>;Wijk<jaar>;Gemeente<jaar>`, codes without
  prefix and without leading zeros) for a synthetic address population (postcodes 2261AA-2267ZZ,
  a point uniformly inside its buurt for each address) plus a few rows of neighbouring gemeenten,
  as a national file has;
* `uitkeringen/uitkeringen_<YYYY-MM>.csv`: monthly snapshots of benefits (PW mostly, some IOAW,
  IOAZ, BBZ) from a stock-flow simulation that starts in 1990, so long-running benefits began
  years before the first demo year; persons concentrated in Prinsenhof (WK191602) and De Heuvel
  (WK191606), with a small drop of inflow in the focus buurten from 2021; some persons move;
* `verzuim/verzuim_<YYYY-YYYY>.csv` (absence reports per school year) and
  `leerplichtigen/leerplichtigen_<YYYY-YYYY>.csv` (pupils of compulsory school age per buurt,
  from the kaart's inhabitants and age shares);
* `incidenten/incidenten_<YYYY-MM>.csv`: monthly incidents, located by RD x/y, WGS84 lat/lon or
  only a buurtcode;
* `meldingen/meldingen_<YYYY-MM>.csv`: monthly reports about the public space (MOR), each with
  its status at the end of the month; one file (MELDINGEN_REDELIVERY_PERIOD) also repeats the
  reports of the month before that were still open, with their new status;
* `enquete/enquete_<YYYY>.csv` for the survey years (ENQUETE_YEARS): the resident survey per
  wijk of that year, the gemeente and the configured own areas, delivered aggregated, one own
  area once with fewer than 50 respondents (ENQUETE_TOO_FEW).

The mess real exports have is planted on purpose and listed in the returned summary
(`messiness`: trait -> files; `planted`: kind, file and line of every bad row): see `file_style`
and PLANTED below. Deterministic: the same seed gives the same bytes (no clock time; XLSX document
properties and ZIP entry times are fixed).

    python scripts/demo_municipal.py [--seed 1916] [--out demo/landing]
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import functools
import io
import re
import sys
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import shapely
from pyproj import Transformer

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))

from checks.deliveries import DECLARATIONS  # noqa: E402
from checks.deliveries.enquete import MIN_RESPONDENTEN  # noqa: E402
from sources.kaart import read_kaart_folder  # noqa: E402

SOURCES = (
    "uitkeringen", "verzuim", "leerplichtigen", "incidenten", "meldingen", "enquete", "pc6_buurt",
)  # fmt: skip
FIXED_TIME = dt.datetime(2025, 6, 1)  # written into XLSX metadata instead of "now"

# --- the synthetic world -------------------------------------------------------------------

# Running PW benefits per 1,000 inhabitants by wijk, roughly the demo's CBS bijstand figures,
# so the municipal count and the CBS count tell the same story.
WIJK_PW_RATE = {
    "WK191601": 8, "WK191602": 33, "WK191603": 14, "WK191604": 12, "WK191605": 15,
    "WK191606": 29, "WK191607": 10, "WK191608": 9, "WK191609": 12, "WK191610": 16,
    "WK191611": 17, "WK191612": 10, "WK191613": 12,
}  # fmt: skip
DEFAULT_PW_RATE = 14
FOCUS = ("BU19160201", "BU19160202", "BU19160601")
FOCUS_FACTOR = 1.25  # the focus buurten are poorer than the rest of their wijk
# The programme's small effect in the focus buurten from 2021: less inflow, and some of the
# long-running PW benefits end in work in 2021-2022.
PROGRAMME_FROM = 2021
FOCUS_INFLOW_FROM_2021 = 0.75
PROGRAMME_EXIT_SHARE = 0.12

INHABITANTS_PER_ADDRESS = 20  # the address population is a sample, to keep the files small
POSTCODE_PC4 = tuple(range(2261, 2268))
# PostNL does not use the letter pairs SA, SD and SS.
PC6_LETTERS = tuple(
    a + b
    for a in "ABCDEFGHJKLMNPRSTVWXZ"
    for b in "ABCDEFGHJKLMNPRSTVWXZ"
    if a + b not in ("SA", "SD", "SS")
)
NEIGHBOURS = (  # (gemeente, wijk, buurt, postcode prefix) of a handful of national rows
    ("0603", "060301", "06030101", "2281"),
    ("0603", "060302", "06030203", "2284"),
    ("0518", "051842", "05184211", "2497"),
)

SIM_START = dt.date(1990, 1, 1)
INFLOW_PER_YEAR = 275.0  # new benefits per year (all regelingen); gives ~1,100 running PW
REGELINGEN = ("PW", "IOAW", "IOAZ", "BBZ")
REGELING_SHARE = (0.88, 0.065, 0.015, 0.04)
REDEN = ("WERK", "VERHUIZING", "OVERLIJDEN", "OVERIG")
REDEN_SHARE = {
    "PW": (0.42, 0.18, 0.05, 0.35),
    "IOAW": (0.15, 0.05, 0.05, 0.75),
    "IOAZ": (0.15, 0.05, 0.05, 0.75),
    "BBZ": (0.55, 0.05, 0.0, 0.40),
}
AOW_AGE = 67
MOVES_PER_YEAR = 0.06
REENTRY_SHARE = 0.05  # ended PW benefits followed by a new one of the same person
CONCURRENT_BBZ = 6  # persons with a BBZ benefit next to their running PW benefit
ADDRESS_MODES = ("pc", "both", "xy")  # postcode only / postcode and x,y / x,y only
ADDRESS_MODE_SHARE = (0.75, 0.20, 0.05)

VERZUIM_PER_YEAR = 420
PUPIL_SHARE = 0.125  # pupils of compulsory school age (5-17) per inhabitant, gemeente-wide
SOORTEN = ("RELATIEF", "SIGNAAL", "LUXE", "ABSOLUUT", "VSV")
SOORT_SHARE = (0.50, 0.22, 0.12, 0.04, 0.12)
SOORT_AGES = {  # ages at the report; VSV is the qualification duty (16-22)
    "RELATIEF": (6, 17),
    "SIGNAAL": (5, 17),
    "LUXE": (5, 15),
    "ABSOLUUT": (5, 17),
    "VSV": (16, 22),
}
# Reports per month of the school year (Aug..Jul): few in the summer holiday.
SCHOOL_MONTH_WEIGHT = (0.2, 1.0, 1.1, 1.2, 0.8, 1.1, 1.0, 1.2, 0.9, 1.0, 1.0, 0.3)
BRIN = {"po": ("00XA", "00XB", "00XC", "00XD", "00XE", "00XF"), "vo": ("00YA", "00YB", "00YC"),
        "mbo": ("00ZA", "00ZB")}  # fmt: skip
VERZUIM_FOCUS_FACTOR = 1.6

# Incidents per month for the whole gemeente, and their summer peak (Jun-Aug).
INCIDENT_RATE = {
    "JEUGDOVERLAST": 18, "BURENOVERLAST": 14, "DRUGSOVERLAST": 6, "VERWARD_GEDRAG": 10,
    "OVERLAST_OVERIG": 9, "1.1.1": 8, "1.2.3": 12, "1.4.4": 3, "1.4.5": 5, "1.4.6": 1,
    "2.2.1": 9, "2.5.2": 6, "3.1.1": 2,
}  # fmt: skip
SUMMER_PEAK = {"JEUGDOVERLAST": 1.7, "OVERLAST_OVERIG": 1.3, "1.2.3": 1.2}
INCIDENT_FOCUS_FACTOR = 1.8
INCIDENT_POOL = 400  # points per buurt incidents are drawn from (hotspots repeat)
# Hour of the day of incidents registered with a time: mostly afternoon and evening.
HOUR_WEIGHT = np.array([3, 2, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 4, 4, 4, 5, 6, 7, 8, 8, 8, 7, 6, 4],
                       dtype=float)  # fmt: skip
HOUR_WEIGHT /= HOUR_WEIGHT.sum()

# Reports about the public space per month for the whole gemeente, by category; the waste
# reports lean to the focus buurten. A few thousand a year keeps `make run` fast.
MELDING_RATE = {
    "AFVAL_NAAST_CONTAINER": 55, "ZWERFAFVAL": 40, "GROFVUIL": 25, "ONGEDIERTE_RATTEN": 12,
    "ONGEDIERTE_OVERIG": 5, "ONKRUID_GROEN": 20, "STRAATMEUBILAIR": 15, "VERLICHTING": 18,
    "OVERIG": 20,
}  # fmt: skip
MELDING_FOCUS_FACTOR = 1.6  # waste and vermin in the focus buurten
MELDING_CANCELLED = 0.04  # share of reports cancelled (double reports, not in public space)
MELDING_DAYS_MEAN = 8.0  # mean days to resolution (exponential)
# This month's file also repeats the reports of the month before that were still OPEN at its
# end, with their status at the end of this month (the MOR system exports what changed).
MELDINGEN_REDELIVERY_PERIOD = "2022-04"

# The resident survey: every two years, per wijk of that year, the gemeente and the own areas.
ENQUETE_YEARS = (2019, 2021, 2023)
OWN_AREAS = {  # the own areas of wijkmonitor.toml: code -> member buurt/wijk codes
    "LN": ("WK191602", "WK191603", "WK191606"),
    "PH": ("BU19160201", "BU19160202"),
    "DHN": ("BU19160601",),
}
ENQUETE_RESPONSE = 0.012  # respondents per inhabitant (a wijk of 8,000 gives ~100)
ENQUETE_TOO_FEW = ("DHN", 2021, 38)  # (area, year, respondents): under the minimum of 50
# question -> (gemeente level, shift per unit of a wijk's deprivation, sd of one answer or
# None for a percentage, decimals)
ENQUETE_QUESTIONS = {
    "RAPPORTCIJFER_WOONOMGEVING": (7.4, -0.9, 1.3),
    "PCT_ONVEILIG_BUURT": (22.0, 14.0, None),
    "PCT_AFVAL_OP_STRAAT": (30.0, 16.0, None),
    "SOCIALE_COHESIE": (6.1, -0.6, 1.2),
}

CASE_WORKERS = ("José Müller", "Françoise Smit", "Jürgen Bakker", "Zoë Jansen", "Anja Visser")

# --- the mess of real exports ----------------------------------------------------------------


@dataclass(frozen=True)
class FileStyle:
    """How one delivery is written: the variations the contract allows."""

    sep: str = ";"
    encoding: str = "utf-8"
    bom: bool = False
    crlf: bool = False
    quote_all: bool = False
    dutch_dates: bool = False  # 31-01-2023 instead of 2023-01-31
    decimal_comma: bool = False  # 84123,4 instead of 84123.4
    header_variant: bool = False  # ' Client_ID ', 'Geboortejaar ' ...
    xlsx: bool = False
    extra_column: str | None = None  # a free-text column the contract does not know

    def traits(self) -> list[str]:
        out = []
        if self.xlsx:
            return ["xlsx"]
        if self.sep == ",":
            out.append("separator_comma")
        if self.encoding == "cp1252":
            out.append("cp1252")
        for name in ("bom", "crlf", "quote_all", "dutch_dates", "decimal_comma"):
            if getattr(self, name):
                out.append(name)
        if self.header_variant:
            out.append("header_variant")
        if self.extra_column:
            out.append(f"extra_column_{self.extra_column}")
        return out


def file_style(source: str, period: str) -> FileStyle:
    """The style of each delivery: most are plain `;` UTF-8 files with ISO dates; these are not.

    uitkeringen: 2019 plain; 2020 header case/space variants (' Client_ID '); 2021 CRLF, from
    July `,`-separated; 2021-03 Windows-1252 with an extra `behandelaar` column ('José Müller');
    2022-06 an XLSX (date and number cells); 2023-01..06 Dutch dates (31-01-2023); 2024 a BOM;
    2023-12 a corrected re-delivery (`_v2`, see REDELIVERY_PERIOD).
    verzuim (by school year start): 2019 `,`; 2020 header variants; 2021 XLSX; 2022 Dutch dates;
    2023 BOM; 2024 CRLF. Postcodes always written with a space (`2262 AB`).
    leerplichtigen: 2020 `,`; 2021 two wijken as WK rows; 2022 BOM; 2023 header variants.
    incidenten: 2019 decimal comma in x/y/lat/lon; 2020 `,`; 2021 Dutch dates and date-times
    (`14-05-2021 22:35`); 2022 header variants; 2023 BOM; 2024 every field quoted."""
    s = FileStyle()
    year = int(period[:4])
    if source == "uitkeringen":
        month = int(period[5:7])
        if period == "2022-06":
            return replace(s, xlsx=True)  # one month delivered as a spreadsheet
        if period == "2021-03":  # an export from an old desktop tool
            return replace(s, encoding="cp1252", crlf=True, extra_column="behandelaar")
        if year == 2020:
            s = replace(s, header_variant=True)
        if year == 2021:
            s = replace(s, crlf=True, sep="," if month >= 7 else ";")
        if year == 2023 and month <= 6:
            s = replace(s, dutch_dates=True)
        if year == 2024:
            s = replace(s, bom=True)
        return s
    if source == "verzuim":
        return {
            2019: replace(s, sep=","),
            2020: replace(s, header_variant=True),
            2021: replace(s, xlsx=True),
            2022: replace(s, dutch_dates=True),
            2023: replace(s, bom=True),
            2024: replace(s, crlf=True),
        }.get(year, s)
    if source == "leerplichtigen":
        return {
            2020: replace(s, sep=","),
            2022: replace(s, bom=True),
            2023: replace(s, header_variant=True),
        }.get(year, s)
    if source == "incidenten":
        return {
            2019: replace(s, decimal_comma=True),
            2020: replace(s, sep=","),
            2021: replace(s, dutch_dates=True),
            2022: replace(s, header_variant=True),
            2023: replace(s, bom=True),
            2024: replace(s, quote_all=True),
        }.get(year, s)
    return s


HEADER_VARIANTS = {  # canonical name -> how the variant files spell it
    "client_id": " Client_ID ",
    "huishouden_id": "Huishouden_ID",
    "geboortejaar": "Geboortejaar ",
    "postcode": " PostCode",
    "huisnummer": "HuisNummer",
    "regeling": "REGELING",
    "ingangsdatum": "Ingangsdatum ",
    "melding_id": "Melding_ID ",
    "leerling_id": " Leerling_ID",
    "soort_verzuim": "Soort_Verzuim",
    "gebied_code": "Gebied_Code",
    "aantal": " Aantal ",
    "incident_id": "Incident_ID",
    "datum": "DATUM",
    "categorie": " Categorie ",
}

# The columns of each delivery, in the order its declaration lists them (checks/deliveries/).
UITKERINGEN_COLUMNS = DECLARATIONS["uitkeringen"].known
VERZUIM_COLUMNS = DECLARATIONS["verzuim"].known
LEERPLICHTIGEN_COLUMNS = DECLARATIONS["leerplichtigen"].known
INCIDENTEN_COLUMNS = DECLARATIONS["incidenten"].known
MELDINGEN_COLUMNS = DECLARATIONS["meldingen"].known
ENQUETE_COLUMNS = DECLARATIONS["enquete"].known

# Bad rows, each kind a few times, spread over the files: (kind, source, period, planted value).
# The kind names are what the summary counts; the readers' checks and the geocoder must
# quarantine every one of them (the sea and the unknown postcode only the geocoder can see).
PLANTED: tuple[tuple[str, str, str, Any], ...] = (
    ("onbekende_regeling", "uitkeringen", "2019-05", "WWB"),
    ("onbekende_regeling", "uitkeringen", "2021-10", "IOW"),
    ("onbekende_regeling", "uitkeringen", "2024-02", "BIJSTAND"),
    ("einddatum_voor_ingangsdatum", "uitkeringen", "2020-04", None),
    ("einddatum_voor_ingangsdatum", "uitkeringen", "2022-09", None),
    ("einddatum_voor_ingangsdatum", "uitkeringen", "2024-07", None),
    ("geboortejaar_in_toekomst", "uitkeringen", "2020-09", 2089),
    ("geboortejaar_in_toekomst", "uitkeringen", "2022-03", 2078),
    ("geboortejaar_in_toekomst", "uitkeringen", "2024-10", 2091),
    ("postcode_niet_in_crosswalk", "uitkeringen", "2019-11", "2264ZX"),
    ("postcode_niet_in_crosswalk", "uitkeringen", "2023-08", "2266ZW"),
    ("postcode_niet_in_crosswalk", "verzuim", "2024-2025", "2262 ZV"),
    ("coordinaten_in_zee", "uitkeringen", "2022-02", (64210.0, 460350.0)),
    ("coordinaten_in_zee", "incidenten", "2020-08", (61875.5, 459120.0)),
    ("coordinaten_in_zee", "incidenten", "2023-11", (68440.0, 461905.5)),
    ("onmogelijke_datum", "uitkeringen", "2023-03", "31-02-2023"),
    ("onmogelijke_datum", "verzuim", "2022-2023", "31-02-2023"),
    ("onmogelijke_datum", "incidenten", "2021-02", "31-02-2021"),
    ("geen_adres_geen_coordinaten", "uitkeringen", "2021-05", None),
    ("geen_adres_geen_coordinaten", "verzuim", "2020-2021", None),
    ("geen_adres_geen_coordinaten", "incidenten", "2022-12", None),
    ("dubbele_melding_id", "verzuim", "2019-2020", None),
    ("dubbele_melding_id", "verzuim", "2021-2022", None),
    ("dubbele_melding_id", "verzuim", "2023-2024", None),
    ("leeftijd_3_bij_melding", "verzuim", "2019-2020", None),
    ("leeftijd_3_bij_melding", "verzuim", "2020-2021", None),
    ("leeftijd_3_bij_melding", "verzuim", "2024-2025", None),
    ("onbekende_categorie", "incidenten", "2019-07", "GELUIDSOVERLAST"),
    ("onbekende_categorie", "incidenten", "2022-01", "VUURWERKOVERLAST"),
    ("onbekende_categorie", "incidenten", "2024-05", "ONBEKEND"),
    ("dubbel_incident_id", "incidenten", "2019-10", None),
    ("dubbel_incident_id", "incidenten", "2021-06", None),
    ("dubbel_incident_id", "incidenten", "2023-04", None),
    ("afgehandeld_voor_melding", "meldingen", "2019-06", None),
    ("afgehandeld_voor_melding", "meldingen", "2021-10", None),
    ("afgehandeld_voor_melding", "meldingen", "2023-02", None),
    ("afgehandeld_zonder_datum", "meldingen", "2020-03", None),
    ("afgehandeld_zonder_datum", "meldingen", "2022-08", None),
    ("afgehandeld_zonder_datum", "meldingen", "2024-11", None),
)

REDELIVERY_PERIOD = "2023-12"  # `uitkeringen_2023-12_v2.csv` adds three benefits the first missed
REDELIVERY_MISSED = 3
WIJK_ROWS_SCHOOL_YEAR_INDEX = 2  # that school year's leerplichtigen has two wijken as WK rows
WIJK_ROWS_WIJKEN = ("WK191604", "WK191608")


# --- small helpers -------------------------------------------------------------------------


def require(condition: bool, message: str) -> None:
    """An assertion that also holds under `python -O`."""
    if not condition:
        raise AssertionError(message)


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, month, 1)
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def sample_inside(geom, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points uniformly inside `geom` (rejection sampling on its bounds)."""
    minx, miny, maxx, maxy = geom.bounds
    out, count = [], 0
    while count < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(max(4 * n, 16), 2))
        xy = xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]
        out.append(xy)
        count += len(xy)
    return np.round(np.concatenate(out)[:n], 1)


def working_days(first: dt.date, last: dt.date) -> list[dt.date]:
    days = (first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return [d for d in days if d.weekday() < 5]


def pick(rng: np.random.Generator, items, p=None):
    if p is None:
        return items[int(rng.integers(0, len(items)))]
    # what rng.choice(p=...) does, without its costly checks of p on every call
    cum = np.cumsum(p)
    return items[
        min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")), len(items) - 1)
    ]


# --- geography and addresses ----------------------------------------------------------------


@dataclass
class Buurt:
    code: str
    wijk: str
    shape: Any  # the boundary (shapely, RD New)
    inner: Any  # the boundary shrunk by 2 m: points sampled here stay inside once rounded
    inhabitants: dict[int, int]
    pupils: dict[int, int]  # estimated pupils aged 5-17 per year
    addresses: list[int] = field(default_factory=list)
    pool: np.ndarray | None = None  # incident locations
    codes: dict[int, str] = field(default_factory=dict)  # its code in years it had another

    def code_in(self, year: int) -> str:
        return self.codes.get(year, self.code)

    def wijk_in(self, year: int) -> str:
        return "WK" + self.code_in(year)[2:8]


@dataclass
class Address:
    postcode: str
    huisnummer: int
    huisletter: str | None
    toevoeging: str | None
    x: float
    y: float
    buurt: str


def read_buurten(landing: Path, gemeente: str, years: list[int]) -> dict[str, Buurt]:
    """The gemeente's buurten from the demo kaart of each year, under their code of the LAST
    year. The places stay the same, but a code may differ in earlier years (the demo's
    Voorburg wijk was split in 2022, its buurten renumbered): `Buurt.codes` keeps those."""
    buurten: dict[str, Buurt] = {}
    for year in sorted(years, reverse=True):
        folder = landing / "cbs_kaart" / str(year)
        layer = next(
            (ly for ly in read_kaart_folder(folder) if ly.level == "buurt"),
            None,
        )
        require(layer is not None, f"{folder}: no buurt layer in the kaart")
        frame = layer.frame[layer.frame["gemeente_code"] == gemeente]
        require(len(frame) > 0, f"{folder}: no buurten of {gemeente}")
        if buurten:
            require(len(frame) == len(buurten), f"{folder}: other buurten")
        for row in frame.itertuples():
            # a suppressed count (NULL) gets a plausible size; the demo has none
            inh = 1000 if pd.isna(row.aantal_inwoners) else int(row.aantal_inwoners)
            p015, p1525 = (
                row.percentage_personen_0_tot_15_jaar,
                row.percentage_personen_15_tot_25_jaar,
            )
            if pd.isna(p015) or pd.isna(p1525):
                share = PUPIL_SHARE
            else:  # ages 5-14 are 10 of the 15 years of 0-14; ages 15-17 are 3 of 15-24
                share = (float(p015) * 10 / 15 + float(p1525) * 3 / 10) / 100
            if not buurten or year == max(years):
                inner = shapely.buffer(row.geometry, -2.0)
                b = Buurt(row.area_code, row.wijk_code, row.geometry, inner, {}, {})
                buurten[row.area_code] = b
            else:  # the same place under this year's code
                b = next(
                    (
                        c
                        for c in buurten.values()
                        if shapely.symmetric_difference(row.geometry, c.shape).area < 1.0
                    ),
                    None,
                )
                require(b is not None, f"{folder}: {row.area_code} is no buurt of {max(years)}")
                if row.area_code != b.code:
                    b.codes[year] = row.area_code
            b.inhabitants[year] = inh
            b.pupils[year] = share * inh
        # The age shares give the buurten their differences; the level is PUPIL_SHARE of all
        # inhabitants (the kaart's shares are rounded, and not every 5-17 year old is counted).
        pupils = sum(b.pupils[year] for b in buurten.values())
        inhabitants = sum(b.inhabitants[year] for b in buurten.values())
        for b in buurten.values():
            b.pupils[year] *= PUPIL_SHARE * inhabitants / pupils
    return dict(sorted(buurten.items()))


def make_addresses(buurten: dict[str, Buurt], year: int, rng: np.random.Generator) -> list[Address]:
    """A sample of addresses per buurt: postcodes in blocks, a point in the buurt for each."""
    cursor = {pc4: int(rng.integers(0, 40)) for pc4 in POSTCODE_PC4}
    wijken = sorted({b.wijk for b in buurten.values()})
    addresses: list[Address] = []
    for b in buurten.values():
        pc4 = POSTCODE_PC4[wijken.index(b.wijk) % len(POSTCODE_PC4)]
        n = max(8, round(b.inhabitants[year] / INHABITANTS_PER_ADDRESS))
        points = sample_inside(b.inner, n, rng)
        made = 0
        while made < n:
            cursor[pc4] += int(rng.integers(1, 4))
            letters = PC6_LETTERS[cursor[pc4]]
            size = min(n - made, int(rng.integers(8, 26)))
            first, step = int(rng.integers(1, 60)), int(rng.choice([1, 2]))
            for k in range(size):
                u = rng.random()
                letter = str(pick(rng, "ABC")) if u < 0.06 else None
                toev = str(pick(rng, ("1", "2", "3", "bis"))) if 0.06 <= u < 0.10 else None
                x, y = points[made]
                b.addresses.append(len(addresses))
                addresses.append(
                    Address(f"{pc4}{letters}", first + k * step, letter, toev, x, y, b.code)
                )
                made += 1
    return addresses


def crosswalk_code(code: str) -> str:
    """A code as CBS writes it in the postcode file: no prefix, leading zeros dropped."""
    digits = code[2:]
    return str(int(digits)) if digits.isdigit() else digits


def write_crosswalks(
    folder: Path, years: list[int], addresses: list[Address], buurten: dict[str, Buurt],
    rng: np.random.Generator,
) -> list[Path]:  # fmt: skip
    neighbours = []
    for gm, wk, bu, pc4 in NEIGHBOURS:
        letters = PC6_LETTERS[int(rng.integers(0, 60))]
        for k in range(4):
            neighbours.append(
                (f"{pc4}{letters}", 2 * k + 1, bu.lstrip("0"), wk.lstrip("0"), gm.lstrip("0"))
            )
    paths = []
    for year in years:
        rows = []
        for a in addresses:
            b = buurten[a.buurt]
            require(bool(shapely.contains_xy(b.shape, a.x, a.y)), f"{a.postcode}: not in {b.code}")
            gm = "GM" + b.code[2:6]
            rows.append((a.postcode, a.huisnummer, crosswalk_code(b.code_in(year)),
                         crosswalk_code(b.wijk_in(year)), crosswalk_code(gm)))  # fmt: skip
        rows = sorted(set(rows) | set(neighbours), key=lambda r: (r[0], r[1]))
        header = ["PC6", "Huisnummer", f"Buurt{year}", f"Wijk{year}", f"Gemeente{year}"]
        path = folder / f"pc6hnr{year}0801_gwb.csv"
        write_csv(path, header, [[str(v) for v in r] for r in rows], FileStyle())
        paths.append(path)
    return paths


# --- benefits ------------------------------------------------------------------------------


@dataclass
class Person:
    client_id: str
    huishouden_id: str | None
    geboortejaar: int
    mode: str
    moves: list[tuple[int, int]]  # (from day ordinal, address index), sorted

    def address_on(self, day: int) -> int:
        i = bisect.bisect_right([m[0] for m in self.moves], day) - 1
        return self.moves[max(i, 0)][1]


@dataclass
class Benefit:
    person: int
    regeling: str
    start: dt.date
    end: dt.date | None
    reden: str | None


class World:
    """The synthetic municipality: buurten, addresses and the weights that place people."""

    def __init__(self, buurten: dict[str, Buurt], addresses: list[Address], years: list[int]):
        self.buurten = buurten
        self.codes = list(buurten)
        self.addresses = addresses
        self.years = years
        first = years[0]
        rate = np.array(
            [
                b.inhabitants[first]
                * WIJK_PW_RATE.get(b.wijk, DEFAULT_PW_RATE)
                * (FOCUS_FACTOR if b.code in FOCUS else 1.0)
                for b in buurten.values()
            ]
        )
        self.pw_weight = rate / rate.sum()

    def address_in(self, code: str, rng: np.random.Generator) -> int:
        return int(pick(rng, self.buurten[code].addresses))

    def random_address(self, weight: np.ndarray, rng: np.random.Generator) -> int:
        return self.address_in(pick(rng, self.codes, weight), rng)


def duration_days(regeling: str, rng: np.random.Generator) -> int:
    if regeling == "PW":  # a short-stay group and a long-stay group
        mean = 300 if rng.random() < 0.45 else 7 * 365
        return 30 + int(rng.exponential(mean))
    if regeling == "BBZ":
        return 30 + int(rng.exponential(250))
    return 60 + int(rng.exponential(5 * 365 if regeling == "IOAW" else 4 * 365))


def age_at_start(regeling: str, rng: np.random.Generator) -> int:
    if regeling == "PW":
        return int(rng.triangular(18, 28, 64))
    if regeling == "IOAW":
        return int(rng.integers(50, 64))
    if regeling == "IOAZ":
        return int(rng.integers(55, 64))
    return int(rng.integers(22, 59))


def simulate_benefits(
    world: World, rng: np.random.Generator
) -> tuple[list[Person], list[Benefit], list[str]]:
    """Stock and flow of benefits from 1990, keeping those that run in the demo years."""
    first_day = dt.date(world.years[0], 1, 1)
    horizon = dt.date(world.years[-1], 12, 31)
    span = (horizon - SIM_START).days + 1
    n = int(rng.poisson(INFLOW_PER_YEAR * span / 365.25))
    starts = sorted(SIM_START + dt.timedelta(days=int(d)) for d in rng.integers(0, span, size=n))
    persons: list[Person] = []
    benefits: list[Benefit] = []
    person_buurt: list[str] = []

    def end_of(regeling: str, start: dt.date, gbj: int) -> tuple[dt.date | None, str | None]:
        end = start + dt.timedelta(days=duration_days(regeling, rng))
        aow = dt.date(gbj + AOW_AGE, 7, 1)
        if aow < end:
            return aow, "OVERIG"
        if end > horizon:
            return None, None
        return end, str(pick(rng, REDEN, REDEN_SHARE[regeling]))

    def new_person(gbj: int, buurt: str) -> int:
        hh = None if rng.random() < 0.08 else "H"
        persons.append(Person("", hh, gbj, str(pick(rng, ADDRESS_MODES, ADDRESS_MODE_SHARE)), []))
        person_buurt.append(buurt)
        return len(persons) - 1

    for start in starts:
        code = str(pick(rng, world.codes, world.pw_weight))
        if code in FOCUS and start.year >= PROGRAMME_FROM and rng.random() > FOCUS_INFLOW_FROM_2021:
            continue
        regeling = str(pick(rng, REGELINGEN, REGELING_SHARE))
        gbj = start.year - age_at_start(regeling, rng)
        end, reden = end_of(regeling, start, gbj)
        p = new_person(gbj, code)
        benefits.append(Benefit(p, regeling, start, end, reden))
        # some come back after a while: a second PW benefit of the same person
        if (
            regeling == "PW" and end is not None and reden in ("WERK", "OVERIG")
            and rng.random() < REENTRY_SHARE
        ):  # fmt: skip
            again = end + dt.timedelta(days=int(rng.integers(60, 540)))
            if again <= horizon and again < dt.date(gbj + AOW_AGE, 1, 1):
                end2, reden2 = end_of("PW", again, gbj)
                benefits.append(Benefit(p, "PW", again, end2, reden2))

    # the programme's effect: in the focus buurten some long-running PW benefits end in work
    programme = dt.date(PROGRAMME_FROM, 1, 1)
    for b in benefits:
        if (
            b.regeling == "PW" and person_buurt[b.person] in FOCUS and b.start < programme
            and (b.end is None or b.end > programme + dt.timedelta(days=540))
            and rng.random() < PROGRAMME_EXIT_SHARE
        ):  # fmt: skip
            b.end = programme + dt.timedelta(days=int(rng.integers(30, 720)))
            b.reden = "WERK"

    # a few self-employed persons get BBZ next to their running PW benefit
    long_pw = [
        b for b in benefits
        if b.regeling == "PW" and b.start < first_day
        and (b.end is None or b.end > dt.date(world.years[-1], 1, 1))
    ]  # fmt: skip
    for i in rng.choice(len(long_pw), size=min(CONCURRENT_BBZ, len(long_pw)), replace=False):
        pw = long_pw[int(i)]
        latest = max(31, (horizon - first_day).days - 400)
        start = first_day + dt.timedelta(days=int(rng.integers(30, latest)))
        end = start + dt.timedelta(days=int(rng.integers(180, 540)))
        benefits.append(Benefit(pw.person, "BBZ", start, end, str(pick(rng, ("WERK", "OVERIG")))))

    benefits = [b for b in benefits if b.end is None or b.end >= first_day]
    keep = sorted({b.person for b in benefits})
    renumber = {old: new for new, old in enumerate(keep)}
    persons = [persons[i] for i in keep]
    person_buurt = [person_buurt[i] for i in keep]
    for b in benefits:
        b.person = renumber[b.person]

    ids = rng.choice(np.arange(100000, 1000000), size=len(persons) + 100, replace=False)
    hh_ids = rng.choice(np.arange(100000, 1000000), size=len(persons), replace=False)
    spans: dict[int, list[Benefit]] = defaultdict(list)
    for b in benefits:
        spans[b.person].append(b)
    for i, person in enumerate(persons):
        person.client_id = f"C{ids[i]:06d}"
        person.huishouden_id = f"H{hh_ids[i]:06d}" if person.huishouden_id else None
        person.moves = [(0, world.address_in(person_buurt[i], rng))]
        lo = max(min(b.start for b in spans[i]), first_day).toordinal()
        hi = max((b.end or horizon) for b in spans[i]).toordinal()
        n_moves = int(rng.poisson(MOVES_PER_YEAR * (hi - lo) / 365.25))
        for day in sorted(int(d) for d in rng.integers(lo, hi + 1, size=n_moves)):
            current = world.addresses[person.moves[-1][1]]
            if rng.random() < 0.5:  # most moves stay close by
                wijk = world.buurten[current.buurt].wijk
                code = str(pick(rng, [c for c in world.codes if world.buurten[c].wijk == wijk]))
                person.moves.append((day, world.address_in(code, rng)))
            else:
                person.moves.append((day, world.random_address(world.pw_weight, rng)))
    spare = [f"C{v:06d}" for v in ids[len(persons) :]]
    benefits.sort(key=lambda b: (persons[b.person].client_id, b.start, b.regeling))
    return persons, benefits, spare


def address_fields(a: Address, mode: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "postcode": None, "huisnummer": None, "huisletter": None,
        "huisnummertoevoeging": None, "x": None, "y": None,
    }  # fmt: skip
    if mode in ("pc", "both"):
        out.update(postcode=a.postcode, huisnummer=a.huisnummer, huisletter=a.huisletter,
                   huisnummertoevoeging=a.toevoeging)  # fmt: skip
    if mode in ("both", "xy"):
        out.update(x=float(a.x), y=float(a.y))
    return out


def benefit_row(world: World, persons: list[Person], b: Benefit, last: dt.date) -> dict[str, Any]:
    """The row of a benefit in the snapshot at `last` (the peildatum): the end only once known."""
    p = persons[b.person]
    ended = b.end is not None and b.end <= last
    on = min(last, b.end) if b.end else last
    row = {
        "client_id": p.client_id,
        "huishouden_id": p.huishouden_id,
        "geboortejaar": p.geboortejaar,
        **address_fields(world.addresses[p.address_on(on.toordinal())], p.mode),
        "regeling": b.regeling,
        "ingangsdatum": b.start,
        "einddatum": b.end if ended else None,
        "reden_einde": b.reden if ended else None,
    }
    return row


# --- writing -------------------------------------------------------------------------------


@functools.cache
def date_text(value: dt.date, dutch: bool) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%d-%m-%Y %H:%M" if dutch else "%Y-%m-%d %H:%M")
    return value.strftime("%d-%m-%Y" if dutch else "%Y-%m-%d")


def cell_text(value: Any, style: FileStyle) -> str:
    if value is None:
        return ""
    if type(value) is str:
        return value
    if isinstance(value, dt.date):
        return date_text(value, style.dutch_dates)
    if isinstance(value, float):
        text = repr(value)
        return text.replace(".", ",") if style.decimal_comma else text
    return str(value)


def header_names(columns: tuple[str, ...] | list[str], style: FileStyle) -> list[str]:
    if not style.header_variant:
        return list(columns)
    return [HEADER_VARIANTS.get(c, c.capitalize()) for c in columns]


def write_csv(path: Path, header: list[str], rows: list[list[str]], style: FileStyle) -> None:
    buf = io.StringIO()
    writer = csv.writer(
        buf,
        delimiter=style.sep,
        lineterminator="\r\n" if style.crlf else "\n",
        quoting=csv.QUOTE_ALL if style.quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    writer.writerows(rows)
    text = ("\ufeff" if style.bom else "") + buf.getvalue()
    path.write_bytes(text.encode(style.encoding))


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]], sheet: str) -> None:
    """An XLSX with typed cells (dates as date cells, numbers as numbers), reproducible bytes."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, dt.date):
                cell.number_format = "dd-mm-yyyy"
    wb.properties.creator = "wijkmonitor demo"
    wb.properties.title = "SYNTHETISCHE DEMODATA"
    wb.properties.created = FIXED_TIME
    raw = io.BytesIO()
    wb.save(raw)
    # openpyxl stamps "modified" and every ZIP entry with the clock: rewrite both
    out = io.BytesIO()
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp + rb"\g<2>",
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, data)
    path.write_bytes(out.getvalue())


@dataclass
class Delivery:
    """One file to write: its rows as typed values, and the bad rows planted in it."""

    source: str
    period: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    name: str = ""
    planted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class Writer:
    """Writes deliveries in their style and keeps the summary."""

    def __init__(self, landing: Path):
        self.landing = landing
        self.files: Counter[str] = Counter()
        self.rows: Counter[str] = Counter()
        self.bytes: Counter[str] = Counter()
        self.messiness: dict[str, list[str]] = defaultdict(list)
        self.planted: list[dict[str, Any]] = []

    def write(self, d: Delivery, style: FileStyle | None = None) -> Path:
        style = style or file_style(d.source, d.period)
        columns = list(d.columns)
        if style.extra_column:
            columns.append(style.extra_column)
        name = d.name or f"{d.source}_{d.period}.{'xlsx' if style.xlsx else 'csv'}"
        path = self.landing / d.source / name
        header = header_names(columns, style)
        if style.xlsx:
            sheet = {"uitkeringen": "Uitkeringen", "verzuim": "Verzuimmeldingen"}.get(
                d.source, "Blad1"
            )
            write_xlsx(path, header, [[r.get(c) for c in columns] for r in d.rows], sheet)
        else:
            write_csv(path, header, [[cell_text(r.get(c), style) for c in columns]
                                     for r in d.rows], style)  # fmt: skip
        lines = {id(r): i + 2 for i, r in enumerate(d.rows)}  # header is line 1
        for kind, row in d.planted:
            self.planted.append({"kind": kind, "source": d.source, "file": name,
                                 "line": lines[id(row)]})  # fmt: skip
        for trait in style.traits():
            self.messiness[trait].append(name)
        self.files[d.source] += 1
        self.rows[d.source] += len(d.rows)
        self.bytes[d.source] += path.stat().st_size
        return path


def plant_rows(d: Delivery, bad: list[tuple[str, dict[str, Any], dict | None]], rng) -> None:
    """Insert bad rows (kind, row, the row it duplicates or None) at random places; a
    duplicate always after the row it duplicates, so that one is the first occurrence."""
    for kind, row, original in bad:
        lo = 0 if original is None else next(i for i, r in enumerate(d.rows) if r is original) + 1
        d.rows.insert(int(rng.integers(lo, len(d.rows) + 1)), row)
        d.planted.append((kind, row))


def planned(source: str, period: str) -> list[tuple[str, Any]]:
    return [(k, v) for k, s, p, v in PLANTED if s == source and p == period]


# --- the sources ---------------------------------------------------------------------------


def write_uitkeringen(world: World, writer: Writer, rng: np.random.Generator) -> dict[int, int]:
    persons, benefits, spare = simulate_benefits(world, rng)
    start = np.array([b.start.toordinal() for b in benefits])
    end = np.array([(b.end or dt.date.max).toordinal() for b in benefits])
    is_pw = np.array([b.regeling == "PW" for b in benefits])
    pw_31dec: dict[int, int] = {}
    spare_ids = iter(spare)
    for year in world.years:
        for month in range(1, 13):
            first, last = month_bounds(year, month)
            period = f"{year}-{month:02d}"
            running = np.flatnonzero((start <= last.toordinal()) & (end >= first.toordinal()))
            rows = [benefit_row(world, persons, benefits[i], last) for i in running]
            style = file_style("uitkeringen", period)
            if style.extra_column:
                for r in rows:
                    r[style.extra_column] = str(pick(rng, CASE_WORKERS))
            # the first delivery of REDELIVERY_PERIOD missed the benefits registered last
            latest = np.argsort(-start[running], kind="stable")[:REDELIVERY_MISSED]
            missed = {id(rows[int(i)]) for i in latest}
            d = Delivery("uitkeringen", period, UITKERINGEN_COLUMNS, rows)
            bad = []
            for kind, value in planned("uitkeringen", period):
                bad.append(
                    (kind, bad_benefit_row(kind, value, world, first, next(spare_ids), rng), None)
                )
            plant_rows(d, bad, rng)
            if month == 12:
                on = last.toordinal()
                at_end = is_pw & (start <= on) & (end >= on)
                pw_31dec[year] = len({benefits[i].person for i in np.flatnonzero(at_end)})
            if period == REDELIVERY_PERIOD:
                first_version = Delivery(
                    "uitkeringen", period, UITKERINGEN_COLUMNS,
                    [r for r in d.rows if id(r) not in missed], planted=d.planted,
                )  # fmt: skip
                writer.write(first_version)
                d.name = f"uitkeringen_{period}_v2.csv"
                d.planted = []
            writer.write(d)
    return pw_31dec


def bad_benefit_row(kind: str, value: Any, world: World, first: dt.date, client_id: str, rng):
    a = world.addresses[world.random_address(world.pw_weight, rng)]
    row: dict[str, Any] = {
        "client_id": client_id,
        "huishouden_id": None,
        "geboortejaar": int(rng.integers(1962, 2000)),
        **address_fields(a, "pc"),
        "regeling": "PW",
        "ingangsdatum": first + dt.timedelta(days=int(rng.integers(0, 10))),
        "einddatum": None,
        "reden_einde": None,
    }
    if kind == "onbekende_regeling":
        row["regeling"] = value
    elif kind == "einddatum_voor_ingangsdatum":  # ends after the 1st, but before it began
        row["ingangsdatum"] = first + dt.timedelta(days=14)
        row["einddatum"] = first + dt.timedelta(days=9)
        row["reden_einde"] = "OVERIG"
    elif kind == "geboortejaar_in_toekomst":
        row["geboortejaar"] = value
    elif kind == "postcode_niet_in_crosswalk":
        row.update(postcode=value, huisletter=None, huisnummertoevoeging=None)
    elif kind == "coordinaten_in_zee":
        row.update(address_fields(a, "xy"))
        row.update(x=value[0], y=value[1])
    elif kind == "onmogelijke_datum":
        row["ingangsdatum"] = value
    elif kind == "geen_adres_geen_coordinaten":
        row.update(address_fields(a, "none"))
    else:
        raise ValueError(kind)
    return row


@dataclass
class Pupil:
    leerling_id: str
    birth: dt.date
    address: int
    mode: str


def report_date(school_year: int, rng: np.random.Generator) -> dt.date:
    months = [(school_year + (m >= 5), (m + 7) % 12 + 1) for m in range(12)]  # Aug..Jul
    w = np.array(SCHOOL_MONTH_WEIGHT)
    year, month = months[int(rng.choice(12, p=w / w.sum()))]
    return pick(rng, working_days(*month_bounds(year, month)))


def brin_for(soort: str, age: int, rng: np.random.Generator) -> str | None:
    if soort == "ABSOLUUT":  # not enrolled anywhere
        return None
    level = "po" if age <= 11 else ("vo" if age <= 16 and soort != "VSV" else "mbo")
    return str(pick(rng, BRIN[level]))


def pupil_postcode(a: Address) -> str:
    return f"{a.postcode[:4]} {a.postcode[4:]}"  # the register writes it with a space


def write_verzuim(world: World, writer: Writer, rng: np.random.Generator) -> None:
    codes = world.codes
    ids = iter(f"L{v:07d}" for v in rng.choice(np.arange(1000000, 10000000), 20000, replace=False))
    pupils: list[Pupil] = []
    for sy in world.years:
        weight = np.array([
            world.buurten[c].pupils[sy] * (VERZUIM_FOCUS_FACTOR if c in FOCUS
            else 1.0) * (WIJK_PW_RATE.get(world.buurten[c].wijk, DEFAULT_PW_RATE) ** 0.5)
            for c in codes
        ])  # fmt: skip
        weight = weight / weight.sum()
        reported: list[int] = []
        reports = []
        for _ in range(int(rng.poisson(VERZUIM_PER_YEAR))):
            soort = str(pick(rng, SOORTEN, SOORT_SHARE))
            day = report_date(sy, rng)
            lo, hi = SOORT_AGES[soort]
            again = [i for i in reported if lo <= age_on(pupils[i].birth, day) <= hi]
            if soort in ("RELATIEF", "SIGNAAL") and again and rng.random() < 0.25:
                i = int(pick(rng, again))
            else:
                ages = np.arange(lo, hi + 1)
                w = np.where(ages >= 12, 2.0, 1.0) if soort in ("RELATIEF", "SIGNAAL") else None
                age = int(pick(rng, ages, None if w is None else w / w.sum()))
                # the last birthday fell 1-359 days before the report: exactly `age`
                anchor = dt.date(day.year - age, day.month, min(day.day, 28))
                birth = anchor - dt.timedelta(days=int(rng.integers(1, 360)))
                mode = str(pick(rng, ADDRESS_MODES, ADDRESS_MODE_SHARE))
                pupils.append(Pupil(next(ids), birth, world.random_address(weight, rng), mode))
                i = len(pupils) - 1
            reported.append(i)
            p = pupils[i]
            age = age_on(p.birth, day)
            require(lo <= age <= hi, f"age {age} for {soort}")
            reports.append((day, p, soort, brin_for(soort, age, rng)))
        reports.sort(key=lambda r: (r[0], r[1].leerling_id))
        rows = []
        for seq, (day, p, soort, brin) in enumerate(reports, start=1):
            a = world.addresses[p.address]
            fields = address_fields(a, p.mode)
            if fields["postcode"]:
                fields["postcode"] = pupil_postcode(a)
            rows.append({"melding_id": f"VM{sy}{seq:05d}", "leerling_id": p.leerling_id,
                         "geboortedatum": p.birth, **fields, "meldingsdatum": day,
                         "soort_verzuim": soort, "brin": brin})  # fmt: skip
        period = f"{sy}-{sy + 1}"
        d = Delivery("verzuim", period, VERZUIM_COLUMNS, rows)
        bad = []
        for n, (kind, value) in enumerate(planned("verzuim", period)):
            seq = len(rows) + n + 1
            bad.append(bad_report_row(kind, value, world, rows, sy, f"VM{sy}{seq:05d}",
                                      next(ids), rng))  # fmt: skip
        plant_rows(d, bad, rng)
        writer.write(d)


def bad_report_row(kind, value, world: World, rows, sy: int, melding_id: str, leerling_id: str,
                   rng) -> tuple[str, dict[str, Any], dict | None]:  # fmt: skip
    if kind == "dubbele_melding_id":  # the same report id registered a second time
        i = int(rng.integers(0, len(rows) // 2))
        row = dict(rows[i])
        later = row["meldingsdatum"] + dt.timedelta(days=7)
        row["meldingsdatum"] = min(later, dt.date(sy + 1, 7, 31))
        row["soort_verzuim"] = "SIGNAAL" if row["soort_verzuim"] != "SIGNAAL" else "RELATIEF"
        return kind, row, rows[i]
    day = report_date(sy, rng)
    a = world.addresses[world.random_address(world.pw_weight, rng)]
    row = {"melding_id": melding_id, "leerling_id": leerling_id,
           "geboortedatum": dt.date(day.year - 11, 1, 1) + dt.timedelta(days=int(rng.integers(0, 300))),
           **address_fields(a, "pc"), "meldingsdatum": day, "soort_verzuim": "RELATIEF",
           "brin": str(pick(rng, BRIN["po"]))}  # fmt: skip
    row["postcode"] = pupil_postcode(a)
    if kind == "postcode_niet_in_crosswalk":
        row.update(postcode=value, huisletter=None, huisnummertoevoeging=None)
    elif kind == "leeftijd_3_bij_melding":  # a birth year typed wrong: 3 years old
        row["geboortedatum"] = day - dt.timedelta(days=3 * 365 + 100)
        row["soort_verzuim"] = "SIGNAAL"
    elif kind == "onmogelijke_datum":
        row["meldingsdatum"] = value
    elif kind == "geen_adres_geen_coordinaten":
        row.update(address_fields(a, "none"))
    else:
        raise ValueError(kind)
    return kind, row, None


def write_leerplichtigen(world: World, writer: Writer, rng: np.random.Generator) -> None:
    for n, sy in enumerate(world.years):
        per_buurt = {
            c: max(0, round(b.pupils[sy] * rng.normal(1.0, 0.03))) for c, b in world.buurten.items()
        }
        rows = []
        as_wijk = WIJK_ROWS_WIJKEN if n == WIJK_ROWS_SCHOOL_YEAR_INDEX else ()
        for wijk in as_wijk:
            total = sum(v for c, v in per_buurt.items() if world.buurten[c].wijk_in(sy) == wijk)
            rows.append({"gebied_code": wijk, "aantal": total})
        # each school year names the buurten by that year's codes
        rows += [{"gebied_code": world.buurten[c].code_in(sy), "aantal": v}
                 for c, v in per_buurt.items()
                 if world.buurten[c].wijk_in(sy) not in as_wijk]  # fmt: skip
        rows.sort(key=lambda r: r["gebied_code"])
        writer.write(Delivery("leerplichtigen", f"{sy}-{sy + 1}", LEERPLICHTIGEN_COLUMNS, rows))


def write_incidenten(world: World, writer: Writer, rng: np.random.Generator) -> None:
    to_wgs84 = Transformer.from_crs(28992, 4326, always_xy=True)
    codes = world.codes
    for b in world.buurten.values():
        b.pool = sample_inside(b.inner, INCIDENT_POOL, rng)
    # the nearly empty business-park buurt still sees shoplifting and vandalism
    weight = np.array([
        max(world.buurten[c].inhabitants[world.years[0]], 300)
        * (INCIDENT_FOCUS_FACTOR if c in FOCUS else 1.0)
        * WIJK_PW_RATE.get(world.buurten[c].wijk, DEFAULT_PW_RATE) ** 0.5
        for c in codes
    ])  # fmt: skip
    weight = weight / weight.sum()
    categories = list(INCIDENT_RATE)
    for year in world.years:
        for month in range(1, 13):
            first, last = month_bounds(year, month)
            summer = month in (6, 7, 8)
            incidents = []
            for cat in categories:
                mean = INCIDENT_RATE[cat] * (SUMMER_PEAK.get(cat, 1.0) if summer else 1.0)
                for _ in range(int(rng.poisson(mean))):
                    day = first + dt.timedelta(days=int(rng.integers(0, last.day)))
                    when: dt.date = day
                    if rng.random() < 0.65:  # many registrations carry a time
                        hour = int(pick(rng, range(24), HOUR_WEIGHT))
                        when = dt.datetime(day.year, day.month, day.day, hour,
                                           int(rng.integers(0, 60)))  # fmt: skip
                    incidents.append((when, cat, str(pick(rng, codes, weight))))
            incidents.sort(key=lambda r: (r[0].isoformat(), r[1], r[2]))
            rows = []
            for seq, (when, cat, code) in enumerate(incidents, start=1):
                rows.append(incident_row(f"I{year}{month:02d}{seq:04d}", when, cat,
                                         world.buurten[code], to_wgs84, rng))  # fmt: skip
            period = f"{year}-{month:02d}"
            d = Delivery("incidenten", period, INCIDENTEN_COLUMNS, rows)
            bad = []
            for n, (kind, value) in enumerate(planned("incidenten", period)):
                seq = len(incidents) + n + 1
                bad.append(bad_incident_row(kind, value, world, rows, first,
                                            f"I{year}{month:02d}{seq:04d}", to_wgs84, rng))  # fmt: skip
            plant_rows(d, bad, rng)
            writer.write(d)


def incident_row(
    incident_id: str, when, cat: str, b: Buurt, to_wgs84, rng, pool: np.ndarray | None = None
) -> dict[str, Any]:
    pool = b.pool if pool is None else pool
    x, y = (float(v) for v in pool[int(rng.integers(0, len(pool)))])
    row: dict[str, Any] = {"incident_id": incident_id, "datum": when, "categorie": cat,
                           "x": None, "y": None, "lat": None, "lon": None, "buurtcode": None}  # fmt: skip
    u = rng.random()
    if u < 0.78:
        row.update(x=x, y=y)
        if rng.random() < 0.15:  # the supplier coded some already (that year's code)
            row["buurtcode"] = b.code_in(when.year)
    elif u < 0.90:
        lon, lat = to_wgs84.transform(x, y)
        row.update(lat=round(float(lat), 6), lon=round(float(lon), 6))
    else:
        row["buurtcode"] = b.code_in(when.year)
    return row


def bad_incident_row(kind, value, world: World, rows, first: dt.date, incident_id: str,
                     to_wgs84, rng) -> tuple[str, dict[str, Any], dict | None]:  # fmt: skip
    if kind == "dubbel_incident_id":  # one id for two registrations
        i = int(rng.integers(0, len(rows) // 2))
        row = dict(rows[i])
        row["categorie"] = "OVERLAST_OVERIG" if row["categorie"] != "OVERLAST_OVERIG" else "2.2.1"
        return kind, row, rows[i]
    b = world.buurten[str(pick(rng, world.codes))]
    when = first + dt.timedelta(days=int(rng.integers(0, 27)))
    row = incident_row(incident_id, when, "BURENOVERLAST", b, to_wgs84, rng)
    row.update(x=float(b.pool[0][0]), y=float(b.pool[0][1]), lat=None, lon=None, buurtcode=None)
    if kind == "coordinaten_in_zee":
        row.update(x=value[0], y=value[1])
    elif kind == "onbekende_categorie":
        row["categorie"] = value
    elif kind == "onmogelijke_datum":
        row["datum"] = value
    elif kind == "geen_adres_geen_coordinaten":
        row.update(x=None, y=None)
    else:
        raise ValueError(kind)
    return kind, row, None


def write_meldingen(world: World, writer: Writer, rng: np.random.Generator) -> None:
    """Monthly MOR deliveries: each report with its status at the end of the month it came in
    (cancelled, resolved with its date, or still open); MELDINGEN_REDELIVERY_PERIOD's file also
    repeats the previous month's open reports with their new status."""
    to_wgs84 = Transformer.from_crs(28992, 4326, always_xy=True)
    codes = world.codes
    pools = {c: sample_inside(world.buurten[c].inner, INCIDENT_POOL, rng) for c in codes}
    base = np.array([max(world.buurten[c].inhabitants[world.years[0]], 200) for c in codes],
                    dtype=float)  # fmt: skip
    focus = np.array([MELDING_FOCUS_FACTOR if c in FOCUS else 1.0 for c in codes])
    by_kind = {"plain": base / base.sum(), "focus": base * focus / (base * focus).sum()}
    open_before: list[tuple[dict[str, Any], dt.date]] = []  # (row, resolution day) still open
    for year in world.years:
        for month in range(1, 13):
            first, last = month_bounds(year, month)
            period = f"{year}-{month:02d}"
            reports = []
            for cat, rate in MELDING_RATE.items():
                weight = by_kind["focus" if cat.startswith(("AFVAL", "ZWERF", "GROF", "ONGE"))
                                 else "plain"]  # fmt: skip
                for _ in range(int(rng.poisson(rate))):
                    day = first + dt.timedelta(days=int(rng.integers(0, last.day)))
                    when = dt.datetime(day.year, day.month, day.day, int(rng.integers(7, 23)),
                                       int(rng.integers(0, 60)))  # fmt: skip
                    reports.append((when, cat, str(pick(rng, codes, weight))))
            reports.sort(key=lambda r: (r[0], r[1], r[2]))
            rows, still_open = [], []
            for seq, (when, cat, code) in enumerate(reports, start=1):
                b = world.buurten[code]
                row = incident_row(f"M{year}{month:02d}{seq:04d}", when, cat, b, to_wgs84, rng,
                                   pools[code])  # fmt: skip
                row.pop("incident_id")
                row = {"melding_id": f"M{year}{month:02d}{seq:04d}", "datum_melding": when,
                       **row}  # fmt: skip
                del row["datum"]
                done = when.date() + dt.timedelta(days=int(rng.exponential(MELDING_DAYS_MEAN)))
                if rng.random() < MELDING_CANCELLED:
                    row.update(status="GEANNULEERD", datum_afgehandeld=None)
                elif done <= last:
                    row.update(status="AFGEHANDELD", datum_afgehandeld=done)
                else:
                    row.update(status="OPEN", datum_afgehandeld=None)
                    still_open.append((row, done))
                rows.append(row)
            if period == MELDINGEN_REDELIVERY_PERIOD:  # what changed since the last file
                for row, done in open_before:
                    if done <= last:
                        rows.append({**row, "status": "AFGEHANDELD", "datum_afgehandeld": done})
            open_before = still_open
            d = Delivery("meldingen", period, MELDINGEN_COLUMNS, rows)
            bad = []
            for n, (kind, _) in enumerate(planned("meldingen", period)):
                row = dict(rows[int(rng.integers(0, len(reports)))])
                row["melding_id"] = f"M{year}{month:02d}{len(reports) + n + 1:04d}"
                day = row["datum_melding"].date()
                if kind == "afgehandeld_voor_melding":  # resolved three days before it came in
                    row.update(status="AFGEHANDELD", datum_afgehandeld=day - dt.timedelta(days=3))
                elif kind == "afgehandeld_zonder_datum":
                    row.update(status="AFGEHANDELD", datum_afgehandeld=None)
                else:
                    raise ValueError(kind)
                bad.append((kind, row, None))
            plant_rows(d, bad, rng)
            writer.write(d)


def survey_value(question: str, deprivation: float, n: int, rng) -> tuple[float, float, float]:
    """(value, lower, upper) of one survey result: the bureau's estimate and its 95% interval."""
    level, shift, sd = ENQUETE_QUESTIONS[question]
    true = level + shift * deprivation
    if sd is None:  # a percentage
        p = min(max(true / 100, 0.02), 0.98)
        se = 100 * float(np.sqrt(p * (1 - p) / n))
        value = min(max(true + rng.normal(0, se), 0.5), 99.5)
    else:
        se = sd / float(np.sqrt(n))
        value = true + rng.normal(0, se)
    return round(value, 1), round(value - 1.96 * se, 1), round(value + 1.96 * se, 1)


def write_enquete(world: World, writer: Writer, rng: np.random.Generator) -> None:
    """The survey results per wijk of that year, the gemeente and the own areas."""
    gemeente = "GM" + world.codes[0][2:6]
    for year in ENQUETE_YEARS:
        if year not in world.years:
            continue
        inhabitants: dict[str, float] = defaultdict(float)
        weighted: dict[str, float] = defaultdict(float)  # inhabitants x deprivation
        for b in world.buurten.values():
            inh = b.inhabitants[year]
            dep = (WIJK_PW_RATE.get(b.wijk, DEFAULT_PW_RATE) - DEFAULT_PW_RATE) / 20 + (
                0.3 if b.code in FOCUS else 0.0
            )
            areas = [b.wijk_in(year), gemeente]
            areas += [a for a, members in OWN_AREAS.items()
                      if b.code in members or b.wijk in members]  # fmt: skip
            for area in areas:
                inhabitants[area] += inh
                weighted[area] += inh * dep
        rows = []
        for area in sorted(inhabitants, key=lambda a: (not a.startswith("GM"), a)):
            n = max(55, round(inhabitants[area] * ENQUETE_RESPONSE * rng.normal(1.0, 0.1)))
            if (area, year) == ENQUETE_TOO_FEW[:2]:
                n = ENQUETE_TOO_FEW[2]
            for question in ENQUETE_QUESTIONS:
                value, low, high = survey_value(
                    question, weighted[area] / inhabitants[area], n, rng
                )
                rows.append({"jaar": year, "gebied_code": area, "vraag": question,
                             "waarde": value, "n_respondenten": n, "ondergrens": low,
                             "bovengrens": high})  # fmt: skip
        writer.write(Delivery("enquete", str(year), ENQUETE_COLUMNS, rows))


# --- entry points --------------------------------------------------------------------------


def write_municipal_demo(
    landing: Path, gemeente: str = "GM1916", years=range(2019, 2025), seed: int = 1916
) -> dict:
    """Write the synthetic municipal deliveries into `landing` (a demo landing folder with its
    `SYNTHETIC.json` and `cbs_kaart/<year>/` for every year) and return a summary:
    `files`, `rows` and `bytes` per source, `total_bytes`, `bad_rows` per kind, `planted` (kind,
    source, file, line of every bad row), `messiness` (trait -> files), `redelivery`, and
    `pw_persons_31dec` (distinct persons with a running PW benefit on 31 December, from the
    December delivery as corrected)."""
    landing = Path(landing)
    years = sorted(int(y) for y in years)
    require(bool(years), "no years")
    if not (landing / "SYNTHETIC.json").is_file():
        raise ValueError(f"{landing}: no SYNTHETIC.json, not a demo landing folder")
    for source in SOURCES:
        folder = landing / source
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():  # only our own earlier output
            if old.is_file() and (old.name.startswith(source) or old.name.startswith("pc6hnr")):
                old.unlink()

    rng_addr, rng_ben, rng_verz, rng_leer, rng_inc, rng_cw = np.random.default_rng(seed).spawn(6)
    # spawned after the first six, so the earlier sources keep their bytes
    rng_meld, rng_enq = np.random.default_rng(seed).spawn(8)[6:]
    buurten = read_buurten(landing, gemeente, years)
    addresses = make_addresses(buurten, years[0], rng_addr)
    world = World(buurten, addresses, years)
    writer = Writer(landing)

    for path in write_crosswalks(landing / "pc6_buurt", years, addresses, buurten, rng_cw):
        writer.files["pc6_buurt"] += 1
        writer.rows["pc6_buurt"] += path.read_bytes().count(b"\n") - 1
        writer.bytes["pc6_buurt"] += path.stat().st_size
    pw_31dec = write_uitkeringen(world, writer, rng_ben)
    write_verzuim(world, writer, rng_verz)
    write_leerplichtigen(world, writer, rng_leer)
    write_incidenten(world, writer, rng_inc)
    write_meldingen(world, writer, rng_meld)
    write_enquete(world, writer, rng_enq)

    return {
        "gemeente": gemeente,
        "seed": seed,
        "years": years,
        "files": {s: writer.files[s] for s in SOURCES},
        "rows": {s: writer.rows[s] for s in SOURCES},
        "bytes": {s: writer.bytes[s] for s in SOURCES},
        "total_bytes": sum(writer.bytes.values()),
        "bad_rows": dict(sorted(Counter(p["kind"] for p in writer.planted).items())),
        "planted": writer.planted,
        "messiness": dict(sorted(writer.messiness.items())),
        "redelivery": {
            "file": f"uitkeringen_{REDELIVERY_PERIOD}_v2.csv",
            "replaces": f"uitkeringen_{REDELIVERY_PERIOD}.csv",
            "rows_added": REDELIVERY_MISSED,
        },
        "pw_persons_31dec": pw_31dec,
        "meldingen_redelivery": MELDINGEN_REDELIVERY_PERIOD,
        "enquete_years": [y for y in ENQUETE_YEARS if y in years],
        "enquete_too_few": dict(zip(("area", "year", "respondents"), ENQUETE_TOO_FEW, strict=True)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1916)
    parser.add_argument("--out", type=Path, default=ROOT / "demo" / "landing")
    args = parser.parse_args(argv)
    summary = write_municipal_demo(args.out, seed=args.seed)
    for source in SOURCES:
        print(f"{source}: {summary['files'][source]} files, {summary['rows'][source]} rows, "
              f"{summary['bytes'][source] / 1e6:.2f} MB")  # fmt: skip
    print(f"bad rows planted: {summary['bad_rows']}")
    print(f"survey under {MIN_RESPONDENTEN} respondents: {summary['enquete_too_few']}")
    print(f"running PW persons on 31 December: {summary['pw_persons_31dec']}")
    print(f"total size: {summary['total_bytes'] / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
