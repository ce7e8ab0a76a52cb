"""Write a SYNTHETIC police snapshot (table 47022NED, registered crime per area per month) into
a landing folder, in the format the StatLine client saves: nothing here is a police figure.

The areas and their inhabitants/households come from the demo's saved Kerncijfers replies
(`<landing>/cbs_kerncijfers/<table>/<snapshot>/`), so the police demo fits the CBS demo:
- buurt counts are Poisson draws per month around plausible national rates (per 1000
  inhabitants a year: about 45 crimes in all, 2-3 burglaries per 1000 households, ...), higher
  where the Kerncijfers show more people on bijstand; seasonal (more in winter);
- wijk and gemeente figures are the sums of their buurten (so they stay published where a
  buurt's figure is hidden), NL00 is drawn on the national inhabitants;
- the smallest buurt has its street-robbery and hold-up counts (1.4.6, 1.4.7) published as
  `null`, so its violence figure is 'bron geheim';
- the last year lacks December (a table not yet complete); year rows (JJ00) are written for the
  complete years only, as the sum of their months;
- ONE page of the gemeente query carries a few rows of another gemeente, to show the
  contract's out-of-scope handling (a filtered real reply would not have them).

The snapshot is marked synthetic in its manifest and TableInfos, like the Kerncijfers demo.

    python scripts/demo_police.py [--landing demo/landing] [--gemeente GM1916] [--years 2019 ...]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

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
from sources.statline import (  # noqa: E402
    Query,
    feed_root,
    key_stem,
    latest_snapshot,
    manifest_entry,
    pad_code,
    read_saved_table,
    write_manifest,
)
from transforms.police import police_codes  # noqa: E402

BASE_URL = "https://dataderden.cbs.nl/ODataApi/odata"  # the API root; the feed is derived
SNAPSHOT = "20250601T000000Z"
FETCHED_AT = "2025-06-01T00:00:00Z"
MODIFIED = "2025-05-15T02:00:00"
COUNT_KEY = "GeregistreerdeMisdrijven_1"
OTHER_AREA = "BU05180110"  # a buurt of GM0518 ('s-Gravenhage), mixed into one page
MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
    "oktober", "november", "december",
)  # fmt: skip

# The SoortMisdrijf dimension (titles as sources.md lists them), a few more than are asked for.
CRIME_TITLES = {
    "0.0.0": "Totaal misdrijven",
    "1.1.1": "1.1.1 Diefstal/inbraak woning",
    "1.2.3": "1.2.3 Diefstal van brom-, snor-, fietsen",
    "1.4.3": "1.4.3 Openlijk geweld (persoon)",
    "1.4.4": "1.4.4 Bedreiging",
    "1.4.5": "1.4.5 Mishandeling",
    "1.4.6": "1.4.6 Straatroof",
    "1.4.7": "1.4.7 Overval",
    "2.2.1": "2.2.1 Vernieling cq. zaakbeschadiging",
    "2.5.2": "2.5.2 Winkeldiefstal",
    "3.1.1": "3.1.1 Drugshandel",
}
# Expected registrations per 1000 inhabitants a year (1.1.1: per 1000 households), roughly the
# national level; "other" is every crime not asked for, so that 0.0.0 lands near 45.
RATES = {
    "1.1.1": 2.6,
    "1.4.3": 0.15,
    "1.4.4": 1.2,
    "1.4.5": 2.4,
    "1.4.6": 0.2,
    "1.4.7": 0.04,
    "2.2.1": 3.3,
    "other": 35.0,
}
HIDDEN = ("1.4.6", "1.4.7")  # published as null for the smallest buurt


@dataclass
class DemoArea:
    code: str
    name: str
    inhabitants: float
    households: float
    bijstand: float | None


def _figure(row: dict[str, Any], stem: str) -> float | None:
    for key, value in row.items():
        if key_stem(key) == stem:
            return None if value is None else float(value)
    return None


def kerncijfers_areas(landing: Path, gemeente: str) -> dict[int, list[DemoArea]]:
    """Per year: NL00, the gemeente and its wijken and buurten, from the saved Kerncijfers."""
    folder = landing / "cbs_kerncijfers"
    year_of = {t: y for y, t in KERNCIJFERS_TABLES.items()}
    out: dict[int, list[DemoArea]] = {}
    for table_dir in sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
        snapshot = latest_snapshot(folder, table_dir.name)
        if snapshot is None:
            continue
        table = read_saved_table(snapshot, table_dir.name)
        period = str(table.table_info.get("Period") or "")
        year = int(period) if period.isdigit() else year_of.get(table.table_id)
        if year is None:
            continue
        names = {str(d.get("Key", "")).strip(): d.get("Title") for d in table.dimension}
        areas = []
        for row in table.rows:
            code = str(row.get(AREA_KEY, "")).strip()
            if code != "NL00" and code[2:6] != gemeente[2:]:
                continue
            areas.append(
                DemoArea(
                    code,
                    names.get(code) or ("Nederland" if code == "NL00" else code),
                    _figure(row, "AantalInwoners") or 0.0,
                    _figure(row, "HuishoudensTotaal") or 0.0,
                    _figure(row, "PersonenPerSoortUitkeringBijstand"),
                )
            )
        out[year] = areas
    if not out:
        raise FileNotFoundError(f"no saved Kerncijfers replies under {folder}")
    return out


def _nearest(by_year: dict[int, list[DemoArea]], year: int) -> list[DemoArea]:
    return by_year[min(by_year, key=lambda y: (abs(y - year), y))]


def simulate(
    by_year: dict[int, list[DemoArea]], gemeente: str, years: list[int], seed: int
) -> dict[tuple[str, str, int, int], int | None]:
    """(area, code, year, month) -> count (None = not published); the last year has 11 months."""
    rng = np.random.default_rng(seed)
    season = np.array([1 + 0.15 * math.cos(2 * math.pi * m / 12) for m in range(12)])
    season = season / season.mean()
    last = max(years)
    first_areas = _nearest(by_year, min(years))
    # every buurt code of any year (codes change when a wijk is split)
    buurten = sorted({a.code for v in by_year.values() for a in v if a.code.startswith("BU")})
    # Each buurt's level: a seeded spread, higher where more people live on bijstand.
    level = {}
    for a in first_areas:
        if a.code.startswith("BU"):
            share = (a.bijstand or 0.0) / a.inhabitants if a.inhabitants else 0.0
            level[a.code] = float(rng.lognormal(0.0, 0.25)) * (0.6 + 12.0 * share)
    counts: dict[tuple[str, str, int, int], int | None] = {}
    for year in years:
        areas = {a.code: a for a in _nearest(by_year, year)}
        smallest = min(
            (a for a in areas.values() if a.code.startswith("BU")), key=lambda a: a.inhabitants
        )
        trend = float(rng.normal(1.0, 0.04))
        n_months = 11 if year == last else 12
        for month in range(1, n_months + 1):
            f = season[month - 1] * trend / 12.0
            sums: dict[tuple[str, str], int] = {}
            for code in buurten:
                a = areas.get(code)
                if a is None:
                    continue
                total = 0
                for kind, rate in RATES.items():
                    base = a.households if kind == "1.1.1" else a.inhabitants
                    n = int(rng.poisson(rate * base / 1000.0 * level.get(code, 1.0) * f))
                    total += n
                    if kind == "other":
                        continue
                    hidden = code == smallest.code and kind in HIDDEN
                    counts[(code, kind, year, month)] = None if hidden else n
                    for parent in (f"WK{code[2:8]}", gemeente):
                        sums[(parent, kind)] = sums.get((parent, kind), 0) + n
                counts[(code, "0.0.0", year, month)] = total
                for parent in (f"WK{code[2:8]}", gemeente):
                    sums[(parent, "0.0.0")] = sums.get((parent, "0.0.0"), 0) + total
            for (parent, kind), n in sums.items():
                if parent in areas:
                    counts[(parent, kind, year, month)] = n
            nl = areas.get("NL00")
            if nl is not None:
                total = 0
                for kind, rate in RATES.items():
                    base = nl.households if kind == "1.1.1" else nl.inhabitants
                    n = int(rng.poisson(rate * base / 1000.0 * f))
                    total += n
                    if kind != "other":
                        counts[("NL00", kind, year, month)] = n
                counts[("NL00", "0.0.0", year, month)] = total
    return counts


def odata_reply(
    base_url: str, table_id: str, entity_set: str, value: list, next_link: str | None = None
) -> bytes:
    """The body of one StatLine OData v3 reply, compact, as the API sends it."""
    doc: dict[str, Any] = {
        "odata.metadata": f"{base_url}/{table_id}/$metadata#Cbs.OData.WebAPI.{entity_set}",
        "value": value,
    }
    if next_link:
        doc["odata.nextLink"] = next_link
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _data_properties() -> list[dict[str, Any]]:
    def prop(i: int, kind: str, key: str, title: str, **extra: Any) -> dict[str, Any]:
        return {
            "odata.type": f"Cbs.OData.{kind}",
            "ID": i,
            "Position": i,
            "ParentID": None,
            "Type": kind,
            "Key": key,
            "Title": title,
            "Description": None,
            **extra,
        }

    return [
        prop(0, "Dimension", CRIME_KEY, "Soort misdrijf"),
        prop(1, "GeoDimension", AREA_KEY, "Wijken en buurten"),
        prop(2, "TimeDimension", PERIOD_KEY, "Perioden"),
        prop(3, "Topic", COUNT_KEY, "Geregistreerde misdrijven", Datatype="Long",
             Unit="aantal", Decimals=0),
    ]  # fmt: skip


def _period_rows(years: list[int]) -> list[dict[str, Any]]:
    last = max(years)
    rows = []
    for year in years:
        status = "Voorlopig" if year == last else "Definitief"
        for m in range(1, (11 if year == last else 12) + 1):
            rows.append(
                {"Key": f"{year}MM{m:02d}", "Title": f"{year} {MONTHS[m - 1]}", "Status": status}
            )
        if year != last:
            rows.append({"Key": f"{year}JJ00", "Title": str(year), "Status": status})
    return rows


def write_police_demo(
    landing: Path,
    gemeente: str,
    years: list[int],
    seed: int = 1916,
    page_size: int = 10_000,
    table_id: str = POLICE_TABLE,
) -> Path:
    """Write `<landing>/politie/<table>/20250601T000000Z/` and return that folder."""
    landing = Path(landing)
    years = sorted(set(years))
    by_year = kerncijfers_areas(landing, gemeente)
    counts = simulate(by_year, gemeente, years, seed)
    last = max(years)

    area_names = {a.code: a.name for y in years for a in _nearest(by_year, y)}
    # Rows in the API's order: by crime kind, then area (NL00 first), then period.
    series = sorted(
        {(kind, area) for (area, kind, _, _) in counts}, key=lambda k: (k[0], k[1] != "NL00", k[1])
    )
    rows_gm: list[dict[str, Any]] = []
    rows_nl: list[dict[str, Any]] = []
    next_id = 0
    for kind, area in series:
        for year in years:
            periods = [
                (f"{year}MM{m:02d}", counts[(area, kind, year, m)])
                for m in range(1, 13)
                if (area, kind, year, m) in counts
            ]
            if year != last and len(periods) == 12:
                known = [v for _, v in periods]
                periods.append((f"{year}JJ00", None if None in known else sum(known)))
            for period, value in periods:
                row = {
                    "ID": next_id,
                    CRIME_KEY: pad_crime_code(kind),
                    AREA_KEY: pad_code(area),
                    PERIOD_KEY: period,
                    COUNT_KEY: value,
                }
                next_id += 1
                (rows_nl if area == "NL00" else rows_gm).append(row)

    # A few rows of another gemeente inside the first page (a real filtered reply has none).
    foreign = _other_gemeente_rows(rows_gm[0][PERIOD_KEY] if rows_gm else f"{last}MM01", next_id)
    rows_gm[1:1] = foreign
    queries = politie_queries(gemeente, police_codes())
    areas_gm = [
        {"Key": pad_code(c), "Title": n, "Description": None}
        for c, n in sorted(area_names.items())
        if c != "NL00"
    ]
    replies: dict[tuple[str, str | None], list[dict[str, Any]]] = {
        ("TableInfos", None): [_table_info(table_id, years, len(rows_gm) + len(rows_nl))],
        ("DataProperties", None): _data_properties(),
        (CRIME_KEY, None): [
            {"Key": pad_crime_code(c), "Title": t, "Description": None}
            for c, t in CRIME_TITLES.items()
        ],
        (AREA_KEY, "gemeente"): areas_gm,
        (AREA_KEY, "land"): [{"Key": pad_code("NL00"), "Title": "Nederland", "Description": None}],
        (PERIOD_KEY, None): _period_rows(years),
        ("TypedDataSet", "gemeente"): rows_gm,
        ("TypedDataSet", "land"): rows_nl,
    }

    snapshot = landing / SOURCE / table_id / SNAPSHOT
    write_recording(snapshot, BASE_URL, table_id, queries, replies, page_size)
    return snapshot


def write_recording(
    snapshot: Path,
    api_root: str,
    table_id: str,
    queries: list[Query],
    replies: dict[tuple[str, str | None], list[dict[str, Any]]],
    page_size: int,
) -> list[dict[str, str]]:
    """Write a snapshot folder as the project's StatLine client saves one, with the replies
    the service would send: each query on its channel (`Query.channel`: the metadata sets
    from the API root `api_root` in one reply, everything else from the bulk feed in pages of
    `page_size` rows joined by `odata.nextLink`), then the manifest. Returns its entries."""
    if snapshot.exists():
        shutil.rmtree(snapshot)
    snapshot.mkdir(parents=True)
    roots = {"api": api_root, "feed": feed_root(api_root)}
    entries = []
    for query in queries:
        value = replies[(query.entity_set, query.name)]
        root = roots[query.channel]
        size = page_size if query.channel == "feed" else max(1, len(value))
        for page_no, url, body in _pages(query, root, table_id, value, size):
            (snapshot / query.file_name(page_no)).write_bytes(body)
            entries.append(manifest_entry(query.file_name(page_no), query.channel, url, body))
    write_manifest(snapshot, table_id, api_root, FETCHED_AT, entries, synthetic=True)
    return entries


def _pages(query: Query, root: str, table_id: str, value: list, page_size: int):
    """(page number, request URL, reply bytes) of a query, paged as the feed pages."""
    first_url = query.url(root, table_id)
    n_pages = max(1, math.ceil(len(value) / page_size))
    url = first_url
    for p in range(n_pages):
        page = value[p * page_size : (p + 1) * page_size]
        next_link = f"{first_url}&$skip={(p + 1) * page_size}" if p < n_pages - 1 else None
        yield p + 1, url, odata_reply(root, table_id, query.entity_set, page, next_link)
        url = next_link or ""


def _other_gemeente_rows(period: str, first_id: int) -> list[dict[str, Any]]:
    return [
        {
            "ID": first_id + i,
            CRIME_KEY: pad_crime_code(code),
            AREA_KEY: pad_code(OTHER_AREA),
            PERIOD_KEY: period,
            COUNT_KEY: n,
        }
        for i, (code, n) in enumerate((("0.0.0", 41), ("1.1.1", 2), ("2.2.1", 5)))
    ]


def _table_info(table_id: str, years: list[int], n_rows: int) -> dict[str, Any]:
    return {
        "ID": 0,
        "Title": (
            "Geregistreerde misdrijven; wijk en buurt, per maand — SYNTHETISCHE DEMODATA, "
            "geen politiecijfers"
        ),
        "ShortTitle": "Geregistreerde misdrijven, wijk en buurt (synthetisch)",
        "Identifier": table_id,
        "Summary": "Synthetische demodata in het formaat van de politietabel. Geen politiecijfers.",
        "Modified": MODIFIED,
        "MetaDataModified": MODIFIED,
        "ReasonDelivery": "Actualisering",
        "Source": "Politie (synthetisch)",
        "Language": "nl",
        "Catalog": "Politie",
        "Frequency": "Permaand",
        "Period": f"{min(years)} januari - {max(years)} november",
        "RecordCount": n_rows,
        "Synthetic": True,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, default=ROOT / "demo" / "landing")
    parser.add_argument("--gemeente", default="GM1916")
    parser.add_argument("--years", type=int, nargs="+", default=None)
    parser.add_argument("--seed", type=int, default=1916)
    args = parser.parse_args(argv)
    years = args.years or sorted(kerncijfers_areas(args.landing, args.gemeente))
    snapshot = write_police_demo(args.landing, args.gemeente, years, args.seed)
    print(f"police demo written to {snapshot}")


if __name__ == "__main__":
    main()
