"""Seeded SYNTHETIC landing folders at benchmark scale, in the real formats (docs/landing.md).

Two scales besides the shipped demo (`scripts/bench_e2e.py` runs the build on each):

* `large_city`: one gemeente (code GM1916, so the shipped config's programme and focus areas
  exist) of `wijken` x `buurten_per_wijk` square buurten of 500 m on a generated grid, 8 years
  2017-2024: Kerncijfers replies, a wijk- en buurtkaart GeoPackage per year, the police table
  for its areas, and the municipality's deliveries: monthly benefit snapshots of `persons`
  people running at any time (45,000 by default: ~4.3 million rows over 96 months),
  `incidents` incidents with RD coordinates, school absence reports of `pupils` pupils with
  the yearly leerplichtigen counts, and a PC6-huisnummer crosswalk.
* `country`: the Kerncijfers of every area of ~342 gemeenten (~17,000 areas) x 8 years and the
  police table per month for every area x the crime codes the indicators use; no municipal
  data. The build is per gemeente (GM1916, whose kaart is written): the other gemeenten's rows
  are read, counted and set aside as out of scope, as for a national snapshot.

Everything goes through the same writers the demo uses (`demo_police.write_recording`: saved
StatLine replies with `manifest.json` and sha256), so the build reads the files exactly as it
reads fetched ones. The police table's feed pages are produced lazily, page by page.

Hook for new municipal sources (e.g. `meldingen`): add a writer to `DELIVERY_WRITERS`; it is
called with (landing, city, years, sizes, rng) like the others.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "scripts"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from demo_police import (  # noqa: E402
    CRIME_TITLES,
    _data_properties,
    _table_info,
    write_recording,
)
from generate_demo import GEO_DETAILS, KAART_COLUMNS, TOPICS  # noqa: E402

from sources.config import KERNCIJFERS_TABLES  # noqa: E402
from sources.politie import (  # noqa: E402
    AREA_KEY,
    CRIME_KEY,
    PERIOD_KEY,
    POLICE_TABLE,
    SOURCE,
    pad_crime_code,
    politie_queries,
)
from sources.statline import kerncijfers_queries, pad_code  # noqa: E402
from transforms.police import police_codes  # noqa: E402

GEMEENTE = "GM1916"
YEARS = tuple(range(2017, 2025))
CBS_API = "https://opendata.cbs.nl/ODataApi/odata"
POLICE_API = "https://dataderden.cbs.nl/ODataApi/odata"
SNAPSHOT = "20250601T000000Z"
COUNT_KEY = "GeregistreerdeMisdrijven_1"
BUURT_M = 500.0  # side of a square buurt in metres (RD New)
ORIGIN = (80_000.0, 440_000.0)
PAGE_SIZE = 10_000  # rows per feed page, as the real feed sends them


@dataclass(frozen=True)
class Sizes:
    wijken: int = 100
    buurten_per_wijk: int = 5
    persons: int = 45_000  # benefits running at any time
    incidents: int = 600_000  # over all years
    pupils: int = 90_000  # of compulsory school age
    other_gemeenten: int = 0  # country: gemeenten besides GEMEENTE, codes and figures only
    police_years: int = 8  # police months: the last `police_years` of YEARS
    municipal: bool = True


SCALES: dict[str, Sizes] = {
    "large_city": Sizes(),
    "country": Sizes(wijken=13, persons=0, incidents=0, pupils=0, other_gemeenten=341,
                     municipal=False),
}  # fmt: skip
QUICK: dict[str, Sizes] = {
    "large_city": Sizes(wijken=20, persons=3_000, incidents=20_000, pupils=6_000, police_years=2),
    "country": Sizes(wijken=13, persons=0, incidents=0, pupils=0, other_gemeenten=30,
                     police_years=2, municipal=False),
}  # fmt: skip
TINY: dict[str, Sizes] = {
    "large_city": Sizes(wijken=8, persons=400, incidents=2_000, pupils=1_500, police_years=1),
    "country": Sizes(wijken=8, persons=0, incidents=0, pupils=0, other_gemeenten=5,
                     police_years=1, municipal=False),
}  # fmt: skip


def country_share(share: float) -> Sizes:
    """The full country scale with `share` of its other gemeenten (areas and police rows grow
    with it; all years of police months): to measure how time and memory grow."""
    if not 0 < share <= 1:
        raise ValueError(f"country share {share}: must be in (0, 1]")
    full = SCALES["country"]
    return replace(full, other_gemeenten=max(1, round(full.other_gemeenten * share)))


# --------------------------------------------------------------------------------------------
# Areas
# --------------------------------------------------------------------------------------------
@dataclass
class Areas:
    """Every area of the scale, buurten first; `parent` is the index of the wijk/gemeente."""

    codes: list[str]
    levels: list[str]  # buurt | wijk | gemeente | land
    parent_wijk: np.ndarray  # per buurt: index into codes of its wijk
    parent_gm: np.ndarray  # per buurt: index into codes of its gemeente
    city_buurten: list[str]  # GEMEENTE's buurten, in grid order (geometry by position)
    city_wijken: list[str]

    @property
    def n_buurten(self) -> int:
        return int((np.array(self.levels) == "buurt").sum())


def make_areas(sizes: Sizes, rng: np.random.Generator) -> Areas:
    gm_digits = [GEMEENTE[2:]]
    pool = [f"{g:04d}" for g in range(1, 2000) if f"{g:04d}" != GEMEENTE[2:]]
    gm_digits += [pool[i] for i in sorted(rng.choice(len(pool), sizes.other_gemeenten, False))]
    buurten, wijk_of, gm_of, wijken, gemeenten = [], [], [], [], []
    city_b, city_w = [], []
    for g, digits in enumerate(gm_digits):
        gemeenten.append(f"GM{digits}")
        if g == 0:
            n_w, per_w = sizes.wijken, [sizes.buurten_per_wijk] * sizes.wijken
        else:
            n_w = int(rng.integers(3, 16))
            per_w = [int(rng.integers(2, 7)) for _ in range(n_w)]
        for w in range(n_w):
            wk = f"WK{digits}{w:02d}"
            wijken.append(wk)
            if g == 0:
                city_w.append(wk)
            for b in range(1, per_w[w] + 1):
                bu = f"BU{digits}{w:02d}{b:02d}"
                buurten.append(bu)
                wijk_of.append(len(wijken) - 1)
                gm_of.append(g)
                if g == 0:
                    city_b.append(bu)
    codes = buurten + wijken + gemeenten + ["NL00"]
    levels = ["buurt"] * len(buurten) + ["wijk"] * len(wijken) + ["gemeente"] * len(gemeenten)
    nb, nw = len(buurten), len(wijken)
    return Areas(
        codes=codes,
        levels=levels + ["land"],
        parent_wijk=nb + np.array(wijk_of),
        parent_gm=nb + nw + np.array(gm_of),
        city_buurten=city_b,
        city_wijken=city_w,
    )


def buurt_box(i: int, per_wijk: int) -> tuple[float, float, float, float]:
    """The square of the i-th city buurt: the buurten of a wijk side by side in a row, ten
    wijken to a row of the grid."""
    w, b = divmod(i, per_wijk)
    x0 = ORIGIN[0] + ((w % 10) * per_wijk + b) * BUURT_M
    y0 = ORIGIN[1] + (w // 10) * BUURT_M
    return x0, y0, x0 + BUURT_M, y0 + BUURT_M


# --------------------------------------------------------------------------------------------
# Kerncijfers: true quantities per buurt, summed upwards, published per stem
# --------------------------------------------------------------------------------------------
QUANTITIES = ("pop", "men", "a0", "a15", "a25", "a45", "a65", "west", "nwest", "eu", "buiten",
              "births", "hh", "hh_eenp", "hh_kind", "dwellings", "woz_sum", "koop", "huur",
              "corp", "bouw2000", "recip", "income_sum", "hh_low40", "hh_lowinc", "hh_socmin",
              "bijstand", "ao", "ww", "aow", "land_m2", "water_m2")  # fmt: skip


def true_buurten(n: int, years: tuple[int, ...], rng: np.random.Generator) -> dict[int, dict]:
    """year -> quantity -> array over the n buurten (sums: they aggregate upwards)."""
    base = rng.uniform(300, 2_600, n)
    ages = rng.dirichlet([16, 11, 26, 27, 20], n)
    d = rng.beta(2, 5, n)  # deprivation
    out = {}
    for t, year in enumerate(years):
        pop = np.round(base * 1.006**t * np.exp(rng.normal(0, 0.01, n)))
        hh = np.round(pop / rng.uniform(1.8, 2.5, n))
        dw = np.round(hh * 1.03)
        q = {"pop": pop, "men": np.round(pop * 0.49), "hh": hh, "dwellings": dw}
        for k, a in zip(("a0", "a15", "a25", "a45", "a65"), ages.T, strict=True):
            q[k] = np.round(pop * a)
        q |= {
            "west": pop * 0.1, "nwest": pop * (0.05 + 0.3 * d), "eu": pop * 0.08,
            "buiten": pop * (0.05 + 0.3 * d), "births": pop * 0.011,
            "hh_eenp": hh * 0.4, "hh_kind": hh * 0.3, "woz_sum": dw * (420 - 250 * d) * 1.04**t,
            "koop": dw * (0.8 - 0.6 * d), "huur": dw * (0.2 + 0.6 * d), "corp": dw * 0.6 * d,
            "bouw2000": dw * 0.15, "recip": pop * 0.8, "income_sum": pop * (36 - 15 * d) * 1.02**t,
            "hh_low40": hh * (0.25 + 0.45 * d), "hh_lowinc": hh * (0.03 + 0.2 * d),
            "hh_socmin": hh * (0.025 + 0.18 * d), "bijstand": (q["a15"] + q["a25"] + q["a45"])
            * (0.01 + 0.08 * d), "ao": pop * 0.05, "ww": pop * 0.02, "aow": q["a65"] * 0.93,
            "land_m2": np.full(n, BUURT_M**2 * 0.96), "water_m2": np.full(n, BUURT_M**2 * 0.04),
        }  # fmt: skip
        out[year] = q
    return out


def aggregate(areas: Areas, q: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per quantity, the values of every area in `areas.codes` order (NL00: everything)."""
    nb, n = areas.n_buurten, len(areas.codes)
    out = {}
    for k, v in q.items():
        full = np.zeros(n)
        full[:nb] = v
        np.add.at(full, areas.parent_wijk, v)
        np.add.at(full, areas.parent_gm, v)
        full[-1] = v.sum()
        out[k] = full
    return out


def publish(q: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Published figure per stem (CBS-style: counts rounded to 5, benefits to 10, shares and
    averages to whole numbers or one decimal)."""
    pop, hh, dw = q["pop"], np.maximum(q["hh"], 1), np.maximum(q["dwellings"], 1)

    def r5(x):
        return np.round(x / 5) * 5

    def r10(x):
        return np.round(x / 10) * 10

    def pct(x, of, dec=0):
        return np.round(100 * x / of, dec)

    land_ha, water_ha = np.round(q["land_m2"] / 1e4), np.round(q["water_m2"] / 1e4)
    return {
        "AantalInwoners": r5(pop), "Mannen": r5(q["men"]), "Vrouwen": r5(pop - q["men"]),
        "k_0Tot15Jaar": r5(q["a0"]), "k_15Tot25Jaar": r5(q["a15"]), "k_25Tot45Jaar": r5(q["a25"]),
        "k_45Tot65Jaar": r5(q["a45"]), "k_65JaarOfOuder": r5(q["a65"]),
        "WestersTotaal": r5(q["west"]), "NietWestersTotaal": r5(q["nwest"]),
        "Nederland": r5(pop - q["eu"] - q["buiten"]), "EuropaExclusiefNederland": r5(q["eu"]),
        "BuitenEuropa": r5(q["buiten"]), "GeboorteTotaal": r5(q["births"]),
        "HuishoudensTotaal": r5(hh), "Eenpersoonshuishoudens": r5(q["hh_eenp"]),
        "HuishoudensZonderKinderen": r5(hh - q["hh_eenp"] - q["hh_kind"]),
        "HuishoudensMetKinderen": r5(q["hh_kind"]),
        "GemiddeldeHuishoudensgrootte": np.round(pop / hh, 1),
        "Bevolkingsdichtheid": np.round(pop / (q["land_m2"] / 1e6)),
        "Woningvoorraad": dw, "GemiddeldeWoningwaarde": np.round(q["woz_sum"] / dw),
        "Koopwoningen": pct(q["koop"], dw), "HuurwoningenTotaal": pct(q["huur"], dw),
        "InBezitWoningcorporatie": pct(q["corp"], dw), "BouwjaarVanaf2000": pct(q["bouw2000"], dw),
        "AantalInkomensontvangers": np.round(q["recip"] / 100) * 100,
        "GemiddeldInkomenPerInkomensontvanger": np.round(q["income_sum"] / q["recip"], 1),
        "GemiddeldInkomenPerInwoner": np.round(q["income_sum"] / np.maximum(pop, 1), 1),
        "k_40HuishoudensMetLaagsteInkomen": pct(q["hh_low40"], hh),
        "HuishoudensMetEenLaagInkomen": pct(q["hh_lowinc"], hh, 1),
        "HuishOnderOfRondSociaalMinimum": pct(q["hh_socmin"], hh, 1),
        "PersonenPerSoortUitkeringBijstand": r10(q["bijstand"]),
        "PersonenPerSoortUitkeringAO": r10(q["ao"]), "PersonenPerSoortUitkeringWW": r10(q["ww"]),
        "PersonenPerSoortUitkeringAOW": r10(q["aow"]),
        "OppervlakteTotaal": land_ha + water_ha, "OppervlakteLand": land_ha,
        "OppervlakteWater": water_ha,
    }  # fmt: skip


def topic_keys(year: int) -> dict[str, str]:
    """stem -> key of that year's table (the suffix shifts from year to year, as at CBS)."""
    start = len(GEO_DETAILS) + 1 + year % 3
    return {t.stem: f"{t.stem}_{i}" for i, t in enumerate(TOPICS, start=start)}


def kerncijfers_properties(year: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"odata.type": "Cbs.OData.GeoDimension", "ID": 0, "Position": 0, "ParentID": None,
         "Type": "GeoDimension", "Key": "WijkenEnBuurten", "Title": "Wijken en buurten",
         "MapYear": str(year)},
    ]  # fmt: skip
    for pos, (stem, title, desc) in enumerate(GEO_DETAILS, start=1):
        rows.append({"odata.type": "Cbs.OData.GeoDetail", "ID": len(rows), "Position": pos,
                     "ParentID": None, "Type": "GeoDetail", "Key": f"{stem}_{pos}",
                     "Title": title, "Description": desc, "Datatype": "String"})  # fmt: skip
    keys = topic_keys(year)
    for t in TOPICS:
        rows.append({"odata.type": "Cbs.OData.Topic", "ID": len(rows),
                     "Position": int(keys[t.stem].rsplit("_", 1)[1]), "ParentID": None,
                     "Type": "Topic", "Key": keys[t.stem], "Title": t.title,
                     "Description": t.description, "Datatype": t.datatype, "Unit": t.unit,
                     "Decimals": t.decimals, "Default": "Missing"})  # fmt: skip
    return rows


SOORT = {"buurt": "Buurt", "wijk": "Wijk", "gemeente": "Gemeente", "land": "Land"}
LONG = {t.stem for t in TOPICS if t.datatype == "Long"}


def name_of(code: str) -> str:
    return "Nederland" if code == "NL00" else f"{code} (synthetisch)"


def write_kerncijfers(landing: Path, areas: Areas, published: dict[int, dict]) -> int:
    rows_written = 0
    gm_name = {c: name_of(c) for c in areas.codes if c.startswith("GM")}
    for year, pub in published.items():
        table = KERNCIJFERS_TABLES[year]
        keys = topic_keys(year)
        cols = {keys[s]: pub[s] for s in keys}
        rows_gm, rows_nl, dims_gm = [], [], []
        for i, code in enumerate(areas.codes):
            level = areas.levels[i]
            gm = "" if code == "NL00" else gm_name["GM" + code[2:6]]
            row = {
                "ID": i, "WijkenEnBuurten": pad_code(code), "Gemeentenaam_1": gm.ljust(40),
                "SoortRegio_2": pad_code(SOORT[level]), "Codering_3": pad_code(code),
                "IndelingswijzigingWijkenEnBuurten_4": "1" if level in ("wijk", "buurt") else ".",
            }  # fmt: skip
            for key, values in cols.items():
                v = values[i]
                row[key] = int(v) if key.rsplit("_", 1)[0] in LONG else float(v)
            dim = {"Key": pad_code(code), "Title": name_of(code), "Description": None,
                   "Municipality": gm or None}  # fmt: skip
            if code == "NL00":
                rows_nl.append(row)
                nl_dim = dim
            else:
                rows_gm.append(row)
                dims_gm.append(dim)
        info = {"ID": 0, "Title": f"Kerncijfers wijken en buurten {year} — SYNTHETISCH (benchmark)",
                "ShortTitle": f"Kerncijfers {year} (synthetisch)", "Identifier": table,
                "Modified": f"{year + 1}-03-31T02:00:00", "MetaDataModified": f"{year + 1}-03-31T02:00:00",
                "Period": str(year), "RecordCount": len(areas.codes), "Synthetic": True}  # fmt: skip
        replies = {
            ("TableInfos", None): [info],
            ("DataProperties", None): kerncijfers_properties(year),
            ("WijkenEnBuurten", "gemeente"): dims_gm,
            ("WijkenEnBuurten", "land"): [nl_dim],
            ("TypedDataSet", "gemeente"): rows_gm,
            ("TypedDataSet", "land"): rows_nl,
        }
        folder = landing / "cbs_kerncijfers" / table / SNAPSHOT
        write_recording(folder, CBS_API, table, kerncijfers_queries(GEMEENTE), replies, PAGE_SIZE)
        rows_written += len(areas.codes)
    return rows_written


# --------------------------------------------------------------------------------------------
# Kaart: one GeoPackage per year (gemeenten, wijken, buurten) of GEMEENTE's grid
# --------------------------------------------------------------------------------------------
def write_kaart(landing: Path, areas: Areas, published: dict[int, dict], per_wijk: int) -> None:
    import geopandas as gpd
    from shapely import MultiPolygon, box

    index = {c: i for i, c in enumerate(areas.codes)}
    boxes = [box(*buurt_box(i, per_wijk)) for i in range(len(areas.city_buurten))]
    wijk_boxes = [
        box(b[0].bounds[0], b[0].bounds[1], b[-1].bounds[2], b[-1].bounds[3])
        for b in (boxes[w * per_wijk : (w + 1) * per_wijk] for w in range(len(areas.city_wijken)))
    ]
    from shapely import union_all

    gm_geom = union_all(wijk_boxes)
    for year, pub in published.items():
        folder = landing / "cbs_kaart" / str(year)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        path = folder / f"wijkenbuurten_{year}.gpkg"
        layers = (
            ("gemeenten", [GEMEENTE], [gm_geom]),
            ("wijken", areas.city_wijken, wijk_boxes),
            ("buurten", areas.city_buurten, boxes),
        )
        for layer, codes, geoms in layers:
            idx = [index[c] for c in codes]
            frame: dict[str, Any] = {}
            if layer == "buurten":
                frame |= {"buurtcode": codes, "buurtnaam": [name_of(c) for c in codes]}
            if layer != "gemeenten":
                wk = [c if layer == "wijken" else "WK" + c[2:8] for c in codes]
                frame |= {"wijkcode": wk, "wijknaam": [name_of(c) for c in wk]}
            frame |= {"gemeentecode": GEMEENTE, "gemeentenaam": name_of(GEMEENTE)}
            if layer != "gemeenten":
                frame["indelingswijziging_wijken_en_buurten"] = 1
            frame["water"] = "NEE"
            for _old, new, how in KAART_COLUMNS:
                if how.startswith("%"):
                    continue
                frame[new] = pub[how][idx].astype("int64")
            frame["gemiddeld_inkomen_per_inwoner"] = pub["GemiddeldInkomenPerInwoner"][idx]
            geoms = [MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in geoms]
            gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:28992").to_file(
                path, layer=layer, driver="GPKG", engine="pyogrio"
            )


# --------------------------------------------------------------------------------------------
# Police table: every area x crime code x month, feed pages produced lazily
# --------------------------------------------------------------------------------------------
class LazyRows:
    """A sequence of police rows made on demand per slice (`write_recording` pages by
    slicing), so a table of tens of millions of rows never sits in memory as dicts."""

    def __init__(self, codes: list[str], areas: list[str], rates: np.ndarray,
                 periods: list[str], seed: int) -> None:  # fmt: skip
        self.codes, self.areas, self.rates, self.periods = codes, areas, rates, periods
        self.seed = seed
        self.n = len(codes) * len(areas) * len(periods)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, s: slice) -> list[dict[str, Any]]:
        start, stop, _ = s.indices(self.n)
        i = np.arange(start, stop)
        n_p, n_a = len(self.periods), len(self.areas)
        c, rest = np.divmod(i, n_a * n_p)
        a, p = np.divmod(rest, n_p)
        rng = np.random.default_rng([self.seed, start])
        counts = rng.poisson(self.rates[a, c])
        return [
            {"ID": int(k), CRIME_KEY: pad_crime_code(self.codes[ci]),
             AREA_KEY: pad_code(self.areas[ai]), PERIOD_KEY: self.periods[pi], COUNT_KEY: int(v)}
            for k, ci, ai, pi, v in zip(i, c, a, p, counts, strict=True)
        ]  # fmt: skip


# monthly crimes per inhabitant by code (0.0.0 is the total)
CRIME_RATE = {"0.0.0": 45 / 12_000, "1.1.1": 2.5 / 12_000, "1.4.3": 0.6 / 12_000,
              "1.4.4": 0.4 / 12_000, "1.4.5": 4 / 12_000, "1.4.6": 0.3 / 12_000,
              "1.4.7": 0.05 / 12_000, "2.2.1": 5 / 12_000}  # fmt: skip


def write_police(landing: Path, areas: Areas, population: np.ndarray, years: list[int],
                 seed: int) -> int:  # fmt: skip
    codes = police_codes()
    periods = [f"{y}MM{m:02d}" for y in years for m in range(1, 13)]
    national = [c for c in areas.codes if c != "NL00"]
    pop = population[: len(national)]
    rates = np.outer(pop, [CRIME_RATE.get(c, 1 / 12_000) for c in codes])
    gm_rows = LazyRows(codes, national, rates, periods, seed)
    nl_rows = LazyRows(codes, ["NL00"], np.outer([population[-1]], [CRIME_RATE.get(c, 1 / 12_000)
                       for c in codes]), periods, seed + 1)  # fmt: skip
    replies = {
        ("TableInfos", None): [_table_info(POLICE_TABLE, years, len(gm_rows) + len(nl_rows))],
        ("DataProperties", None): _data_properties(),
        (CRIME_KEY, None): [{"Key": pad_crime_code(c), "Title": t, "Description": None}
                            for c, t in CRIME_TITLES.items()],
        (AREA_KEY, "gemeente"): [{"Key": pad_code(c), "Title": name_of(c), "Description": None}
                                 for c in national],
        (AREA_KEY, "land"): [{"Key": pad_code("NL00"), "Title": "Nederland", "Description": None}],
        (PERIOD_KEY, None): [{"Key": p, "Title": p, "Status": "Definitief"} for p in periods],
        ("TypedDataSet", "gemeente"): gm_rows,
        ("TypedDataSet", "land"): nl_rows,
    }  # fmt: skip
    snapshot = landing / SOURCE / POLICE_TABLE / SNAPSHOT
    write_recording(snapshot, POLICE_API, POLICE_TABLE, politie_queries(GEMEENTE, codes),
                    replies, PAGE_SIZE)  # fmt: skip
    return len(gm_rows) + len(nl_rows)


# --------------------------------------------------------------------------------------------
# The municipality's deliveries (vectorised; written with DuckDB's CSV writer)
# --------------------------------------------------------------------------------------------
@dataclass
class City:
    buurten: list[str]
    per_wijk: int
    weight: np.ndarray  # share of the inhabitants per buurt
    addresses: pd.DataFrame  # postcode, huisnummer, buurt index


def make_addresses(buurten: list[str], per_buurt: int) -> pd.DataFrame:
    k = np.repeat(np.arange(len(buurten)), per_buurt)
    j = np.tile(np.arange(per_buurt), len(buurten))
    block, nr = np.divmod(j, 10)
    letters = np.array([chr(65 + a) + chr(65 + b) for a in range(26) for b in range(26)])
    return pd.DataFrame({
        "postcode": [f"{1000 + kk}{letters[bb]}" for kk, bb in zip(k, block, strict=True)],
        "huisnummer": nr + 1,
        "buurt": k,
    })  # fmt: skip


def write_pc6(landing: Path, city: City) -> None:
    folder = landing / "pc6_buurt"
    folder.mkdir(parents=True, exist_ok=True)
    codes = np.array(city.buurten)[city.addresses["buurt"]]
    pd.DataFrame({
        "PC6": city.addresses["postcode"], "Huisnummer": city.addresses["huisnummer"],
        "Buurt2023": [c[2:] for c in codes], "Wijk2023": [c[2:8] for c in codes],
        "Gemeente2023": GEMEENTE[2:],
    }).to_csv(folder / "pc6hnr20230801_gwb.csv", sep=";", index=False)  # fmt: skip


def _copy_per_period(con, select: str, periods: list[tuple[str, Any, Any]], folder: Path,
                     prefix: str) -> None:  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    for label, first, last in periods:
        con.execute(
            f"COPY ({select}) TO '{folder / f'{prefix}_{label}.csv'}' "
            "(HEADER, DELIMITER ';', DATEFORMAT '%Y-%m-%d', TIMESTAMPFORMAT '%Y-%m-%d %H:%M')",
            [first, last],
        )


def months_of(years: list[int]) -> list[tuple[str, Any, Any]]:
    out = []
    for y in years:
        for m in range(1, 13):
            first = pd.Timestamp(y, m, 1)
            out.append((f"{y}-{m:02d}", first.date(), (first + pd.offsets.MonthEnd(0)).date()))
    return out


def write_uitkeringen(landing: Path, city: City, years: list[int], sizes: Sizes, rng) -> int:
    """`persons` benefits running on average at any time: starts spread over 20 years before
    the end, durations exponential with a mean of 5 years (steady state: inflow x duration)."""
    if not sizes.persons:
        return 0
    end = pd.Timestamp(years[-1], 12, 31)
    n = sizes.persons * 4
    start = end - pd.to_timedelta(rng.uniform(0, 20 * 365, n).astype(int), unit="D")
    dur = pd.to_timedelta(rng.exponential(5 * 365, n).astype(int) + 30, unit="D")
    stop = start + dur
    addr = rng.choice(len(city.addresses), n, p=city.weight[city.addresses["buurt"]]
                      / city.weight[city.addresses["buurt"]].sum())  # fmt: skip
    frame = pd.DataFrame({
        "client_id": [f"C{i:07d}" for i in range(n)],
        "geboortejaar": rng.integers(1958, 2004, n),
        "postcode": city.addresses["postcode"].to_numpy()[addr],
        "huisnummer": city.addresses["huisnummer"].to_numpy()[addr],
        "regeling": rng.choice(["PW", "IOAW", "IOAZ", "BBZ"], n, p=[0.88, 0.065, 0.015, 0.04]),
        "ingangsdatum": start.date, "stop": stop.date,
        "reden": rng.choice(["WERK", "VERHUIZING", "OVERLIJDEN", "OVERIG"], n,
                            p=[0.4, 0.25, 0.05, 0.3]),
    })  # fmt: skip
    frame = frame[frame["stop"] >= pd.Timestamp(years[0], 1, 1).date()]
    con = duckdb.connect()
    con.register("b", frame)
    select = (
        "SELECT client_id, geboortejaar, postcode, huisnummer, regeling, ingangsdatum, "
        "CASE WHEN stop <= $2 THEN stop END AS einddatum, "
        "CASE WHEN stop <= $2 THEN reden END AS reden_einde "
        "FROM b WHERE ingangsdatum <= $2 AND stop >= $1 ORDER BY client_id"
    )
    _copy_per_period(con, select, months_of(years), landing / "uitkeringen", "uitkeringen")
    rows = con.execute(
        "SELECT sum(n) FROM (SELECT count(*) n FROM b, (SELECT unnest($1) m) "
        "WHERE ingangsdatum <= last_day(m) AND stop >= m)",
        [[first for _, first, _ in months_of(years)]],
    ).fetchone()[0]
    con.close()
    return int(rows or 0)


def write_incidenten(landing: Path, city: City, years: list[int], sizes: Sizes, rng) -> int:
    if not sizes.incidents:
        return 0
    n = sizes.incidents
    first = pd.Timestamp(years[0], 1, 1)
    span = (pd.Timestamp(years[-1] + 1, 1, 1) - first).total_seconds()
    when = first + pd.to_timedelta(np.sort(rng.uniform(0, span, n)).astype(int), unit="s")
    b = rng.choice(len(city.buurten), n, p=city.weight / city.weight.sum())
    boxes = np.array([buurt_box(i, city.per_wijk) for i in b])
    cats = ["JEUGDOVERLAST", "BURENOVERLAST", "DRUGSOVERLAST", "VERWARD_GEDRAG",
            "OVERLAST_OVERIG", "1.1.1", "1.4.5", "2.2.1"]  # fmt: skip
    frame = pd.DataFrame({
        "incident_id": [f"I{i:08d}" for i in range(n)], "datum": when.floor("min"),
        "categorie": rng.choice(cats, n),
        "x": np.round(boxes[:, 0] + 1 + rng.uniform(0, BUURT_M - 2, n), 1),
        "y": np.round(boxes[:, 1] + 1 + rng.uniform(0, BUURT_M - 2, n), 1),
    })  # fmt: skip
    con = duckdb.connect()
    con.register("i", frame)
    select = (
        "SELECT incident_id, datum, categorie, x, y FROM i "
        "WHERE datum >= $1 AND datum < $2 + INTERVAL 1 DAY"
    )
    _copy_per_period(con, select, months_of(years), landing / "incidenten", "incidenten")
    con.close()
    return n


SOORTEN = ["RELATIEF", "SIGNAAL", "LUXE", "ABSOLUUT", "VSV"]


def write_verzuim(landing: Path, city: City, years: list[int], sizes: Sizes, rng) -> int:
    """Per school year: the leerplichtigen per buurt, and reports of ~8% of the pupils."""
    if not sizes.pupils:
        return 0
    written = 0
    school_years = years[:-1]  # the last calendar year's school year is not over
    for folder in ("verzuim", "leerplichtigen"):
        (landing / folder).mkdir(parents=True, exist_ok=True)
    share = city.weight / city.weight.sum()
    for sy in school_years:
        label = f"{sy}-{sy + 1}"
        pupils = np.round(sizes.pupils * share).astype(int)
        pd.DataFrame({"gebied_code": city.buurten, "aantal": pupils}).to_csv(
            landing / "leerplichtigen" / f"leerplichtigen_{label}.csv", sep=";", index=False
        )
        n = int(sizes.pupils * 0.08)
        soort = rng.choice(SOORTEN, n, p=[0.5, 0.22, 0.12, 0.04, 0.12])
        day = pd.Timestamp(sy, 8, 1) + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
        age = np.where(soort == "VSV", rng.integers(17, 19, n), rng.integers(6, 16, n))
        birth = day - pd.to_timedelta(age * 365 + rng.integers(30, 300, n), unit="D")
        addr = rng.integers(0, len(city.addresses), n)
        pd.DataFrame({
            "melding_id": [f"M{sy}{i:06d}" for i in range(n)],
            "leerling_id": [f"L{j:07d}" for j in rng.integers(0, sizes.pupils * 2, n)],
            "geboortedatum": birth.strftime("%Y-%m-%d"),
            "postcode": city.addresses["postcode"].to_numpy()[addr],
            "huisnummer": city.addresses["huisnummer"].to_numpy()[addr],
            "meldingsdatum": day.strftime("%Y-%m-%d"), "soort_verzuim": soort,
        }).to_csv(landing / "verzuim" / f"verzuim_{label}.csv", sep=";", index=False)  # fmt: skip
        written += n
    return written


# The hook for municipal sources: name -> writer(landing, city, years, sizes, rng) -> rows.
# A new source (e.g. `meldingen`, public-space reports) adds its writer here.
DELIVERY_WRITERS: dict[str, Callable[..., int]] = {
    "uitkeringen": write_uitkeringen,
    "incidenten": write_incidenten,
    "verzuim": write_verzuim,
}


# --------------------------------------------------------------------------------------------
def generate(name: str, sizes: Sizes, landing: Path, seed: int = 2026) -> dict[str, Any]:
    """Write the landing folder of one scale; returns what was written (row counts)."""
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2025-06-01T00:00:00.000Z"})
    rng = np.random.default_rng([seed, len(name)])
    shutil.rmtree(landing, ignore_errors=True)
    landing.mkdir(parents=True)
    years = list(YEARS)
    areas = make_areas(sizes, rng)
    truth = true_buurten(areas.n_buurten, YEARS, rng)
    published = {y: publish(aggregate(areas, q)) for y, q in truth.items()}
    info: dict[str, Any] = {"areas": len(areas.codes), "years": len(years)}
    info["kerncijfers_rows"] = write_kerncijfers(landing, areas, published)
    write_kaart(landing, areas, published, sizes.buurten_per_wijk)
    pop = published[years[-1]]["AantalInwoners"]
    info["police_rows"] = write_police(landing, areas, pop, years[-sizes.police_years :], seed)
    if sizes.municipal:
        nb = len(areas.city_buurten)
        weight = published[years[-1]]["AantalInwoners"][:nb].astype(float)
        per_buurt = max(20, math.ceil(sizes.persons * 4 / nb / 10) * 10)
        city = City(areas.city_buurten, sizes.buurten_per_wijk, weight,
                    make_addresses(areas.city_buurten, min(per_buurt, 6_000)))  # fmt: skip
        write_pc6(landing, city)
        for source, writer in DELIVERY_WRITERS.items():
            info[f"{source}_rows"] = writer(landing, city, years, sizes, rng)
    (landing / "SYNTHETIC.json").write_text(
        json.dumps({"synthetic": True, "generator": "scripts/bench_data.py", "scale": name,
                    "seed": seed}, indent=2) + "\n", encoding="utf-8",
    )  # fmt: skip
    return info


def write_config(path: Path, landing: Path, work: Path) -> Path:
    """The shipped config with this scale's paths and years (programme and focus areas of
    GM1916 exist in the generated grid too)."""
    text = (ROOT / "wijkmonitor.toml").read_text(encoding="utf-8")
    text = text.replace('"data/landing"', json.dumps(str(landing)))
    text = text.replace('"data/warehouse.duckdb"', json.dumps(str(work / "warehouse.duckdb")))
    text = text.replace('"data/restricted"', json.dumps(str(work / "restricted")))
    if landing.name != "demo":
        text = text.replace(
            "years = [2019, 2020, 2021, 2022, 2023, 2024]", f"years = {list(YEARS)}"
        )
    path.write_text(text, encoding="utf-8")
    return path
