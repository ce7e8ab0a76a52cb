"""The demo's synthetic municipal deliveries (`scripts/demo_municipal.py`): reproducible bytes,
the delivery contracts of sources.md sections 3 and 4 on the good rows, the planted bad rows,
and points that lie in their buurt. Files are parsed here with `csv` / `openpyxl` only, and the
boundaries read straight from the demo's 2019 shapefile, not with the project's readers."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import importlib.util
import io
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
import shapely
from pyproj import Transformer

REPO = Path(__file__).resolve().parents[1]
DEMO_LANDING = REPO / "demo" / "landing"
SOURCES = (
    "uitkeringen", "verzuim", "leerplichtigen", "incidenten", "meldingen", "enquete", "pc6_buurt",
)  # fmt: skip
MOR_CATEGORIES = {
    "AFVAL_NAAST_CONTAINER", "ZWERFAFVAL", "GROFVUIL", "ONGEDIERTE_RATTEN", "ONGEDIERTE_OVERIG",
    "ONKRUID_GROEN", "STRAATMEUBILAIR", "VERLICHTING", "OVERIG",
}  # fmt: skip
QUESTIONS = {
    "RAPPORTCIJFER_WOONOMGEVING", "PCT_ONVEILIG_BUURT", "PCT_AFVAL_OP_STRAAT", "SOCIALE_COHESIE",
}  # fmt: skip
REGELINGEN = {"PW", "IOAW", "IOAZ", "BBZ"}
REDENEN = {"WERK", "VERHUIZING", "OVERLIJDEN", "OVERIG"}
SOORTEN = {"ABSOLUUT", "RELATIEF", "LUXE", "SIGNAAL", "VSV"}
OVERLAST = {"JEUGDOVERLAST", "BURENOVERLAST", "DRUGSOVERLAST", "VERWARD_GEDRAG", "OVERLAST_OVERIG"}
POLICE_CODE = re.compile(r"^\d\.\d\.\d$")
PC6 = re.compile(r"^[1-9]\d{3} ?[A-Z]{2}$")


def load_script():
    spec = importlib.util.spec_from_file_location(
        "demo_municipal", REPO / "scripts/demo_municipal.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["demo_municipal"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def demo_folder(folder: Path) -> Path:
    """A landing folder with the demo's kaart and SYNTHETIC.json, as generate_demo leaves it."""
    folder.mkdir(parents=True)
    shutil.copytree(DEMO_LANDING / "cbs_kaart", folder / "cbs_kaart")
    shutil.copy(DEMO_LANDING / "SYNTHETIC.json", folder / "SYNTHETIC.json")
    return folder


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    landing = demo_folder(tmp_path_factory.mktemp("municipal") / "landing")
    summary = load_script().write_municipal_demo(landing)
    return landing, summary


@pytest.fixture(scope="module")
def buurten_2019() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO_LANDING / "cbs_kaart" / "2019" / "buurt_2019.shp")


def buurten_of(year: int) -> dict[str, object]:
    """buurt code -> shape of the demo kaart of `year` (codes change: Voorburg splits in 2022)."""
    folder = DEMO_LANDING / "cbs_kaart" / str(year)
    shp = folder / f"buurt_{year}.shp"
    if shp.exists():
        frame = gpd.read_file(shp)
        return dict(zip(frame["BU_CODE"], frame.geometry, strict=True))
    frame = gpd.read_file(folder / f"wijkenbuurten_{year}.gpkg", layer="buurten")
    return dict(zip(frame["buurtcode"], frame.geometry, strict=True))


# --- independent parsing -------------------------------------------------------------------


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """(raw header, rows keyed by stripped lower-case names) of a CSV or XLSX delivery."""
    if path.suffix == ".xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).active
        values = list(ws.iter_rows(values_only=True))
        header = [str(v) for v in values[0]]
        body = [[text_of(v) for v in row] for row in values[1:]]
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
        first = text.splitlines()[0]
        sep = ";" if first.count(";") > first.count(",") else ","
        table = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
        header, body = table[0], table[1:]
    names = [h.strip().lower() for h in header]
    return header, [dict(zip(names, row, strict=True)) for row in body]


def text_of(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value)


def parse_date(text: str) -> dt.date | dt.datetime | None:
    """A date as the contract allows it (`2023-01-31`, `31-01-2023`, optional ` HH:MM`)."""
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M"):
        try:
            value = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return value if ":" in text else value.date()
    return None


def day_of(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def current_files(landing: Path, source: str) -> list[Path]:
    """The files of a source, the first 2023-12 uitkeringen delivery left out (replaced)."""
    files = sorted((landing / source).iterdir())
    return [p for p in files if p.name != "uitkeringen_2023-12.csv"]


def crosswalk(landing: Path, year: int) -> dict[tuple[str, str], str]:
    _, rows = read_rows(landing / "pc6_buurt" / f"pc6hnr{year}0801_gwb.csv")
    return {(r["pc6"], r["huisnummer"]): r[f"buurt{year}"] for r in rows}


def month_of(path: Path) -> tuple[int, int]:
    m = re.search(r"_(\d{4})-(\d{2})", path.name)
    return int(m[1]), int(m[2])


def last_day(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


# --- tests ---------------------------------------------------------------------------------


def test_writing_twice_gives_the_same_bytes(demo, tmp_path):
    landing, _ = demo
    again = demo_folder(tmp_path / "landing")
    load_script().write_municipal_demo(again)

    def digests(root: Path) -> dict[str, str]:
        return {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for source in SOURCES
            for p in sorted((root / source).iterdir())
        }

    first = digests(landing)
    # 72 + 1 (re-delivery) uitkeringen, 6 verzuim, 6 leerplichtigen, 72 incidenten,
    # 72 meldingen, 3 enquete, 6 pc6
    assert len(first) == 73 + 6 + 6 + 72 + 72 + 3 + 6
    assert digests(again) == first


def test_summary_counts_files_bad_rows_and_size(demo):
    landing, summary = demo
    assert summary["files"] == {
        "uitkeringen": 73, "verzuim": 6, "leerplichtigen": 6, "incidenten": 72, "meldingen": 72,
        "enquete": 3, "pc6_buurt": 6,
    }  # fmt: skip
    kinds = (
        "afgehandeld_voor_melding", "afgehandeld_zonder_datum", "coordinaten_in_zee", "dubbel_incident_id", "dubbele_melding_id",
        "einddatum_voor_ingangsdatum", "geboortejaar_in_toekomst", "geen_adres_geen_coordinaten",
        "leeftijd_3_bij_melding", "onbekende_categorie", "onbekende_regeling", "onmogelijke_datum",
        "postcode_niet_in_crosswalk",
    )  # fmt: skip
    assert summary["bad_rows"] == dict.fromkeys(kinds, 3)
    on_disk = sum(p.stat().st_size for s in SOURCES for p in (landing / s).iterdir())
    assert summary["total_bytes"] == on_disk
    assert on_disk < 8_000_000
    # every planted row is where the summary says: its line holds the marker of its kind
    postcodes = {pc for pc, _ in crosswalk(landing, 2019)}
    for entry in summary["planted"]:
        _, rows = read_rows(landing / entry["source"] / entry["file"])
        i = entry["line"] - 2  # line 1 is the header
        assert has_marker(entry["kind"], rows, i, postcodes), entry


def has_marker(kind: str, rows: list[dict[str, str]], i: int, postcodes: set[str]) -> bool:
    r = rows[i]
    if kind == "onbekende_regeling":
        return r["regeling"] not in REGELINGEN
    if kind == "einddatum_voor_ingangsdatum":
        return parse_date(r["einddatum"]) < parse_date(r["ingangsdatum"])
    if kind == "geboortejaar_in_toekomst":
        return int(r["geboortejaar"]) > 2025
    if kind == "postcode_niet_in_crosswalk":
        return r["postcode"].replace(" ", "") not in postcodes
    if kind == "coordinaten_in_zee":
        return float(r["x"].replace(",", ".")) < 70000
    if kind == "onmogelijke_datum":
        return any(v.startswith("31-02-") for v in r.values())
    if kind == "geen_adres_geen_coordinaten":
        return not any(r.get(c) for c in ("postcode", "huisnummer", "x", "y", "lat", "buurtcode"))
    if kind == "leeftijd_3_bij_melding":
        return age_on(parse_date(r["geboortedatum"]), parse_date(r["meldingsdatum"])) == 3
    if kind == "afgehandeld_voor_melding":
        return day_of(parse_date(r["datum_afgehandeld"])) < day_of(parse_date(r["datum_melding"]))
    if kind == "afgehandeld_zonder_datum":
        return r["status"] == "AFGEHANDELD" and not r["datum_afgehandeld"]
    if kind == "onbekende_categorie":
        return r["categorie"] not in OVERLAST and not POLICE_CODE.match(r["categorie"])
    key = {"dubbele_melding_id": "melding_id", "dubbel_incident_id": "incident_id"}[kind]
    return r[key] in {earlier[key] for earlier in rows[:i]}


def test_crosswalk_has_the_cbs_layout_and_codes(demo):
    landing, _ = demo
    for year in range(2019, 2025):
        path = landing / "pc6_buurt" / f"pc6hnr{year}0801_gwb.csv"
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        assert lines[0] == f"PC6;Huisnummer;Buurt{year};Wijk{year};Gemeente{year}"
        rows = [line.split(";") for line in lines[1:]]
        assert len({(r[0], r[1]) for r in rows}) == len(rows)  # one row per address
        ours = [r for r in rows if r[4] == "1916"]
        others = [r for r in rows if r[4] != "1916"]
        # BU19160201 -> 19160201, WK191602 -> 191602: no prefix, nothing to drop
        assert all(re.fullmatch(r"1916\d{4}", r[2]) and r[3] == r[2][:6] for r in ours)
        assert all(re.fullmatch(r"226[1-7][A-Z]{2}", r[0]) for r in ours)
        # BU06030101 -> 6030101: the neighbours' codes lost their leading zero, as in CBS's file
        assert len(others) >= 5
        assert {r[4] for r in others} <= {"603", "518"}
        assert all(len(r[2]) == 7 and len(r[3]) == 5 for r in others)


def test_uitkeringen_good_rows_keep_the_contract_and_bad_rows_are_marked(demo):
    landing, _ = demo
    marked: Counter[str] = Counter()
    pw_31dec_2019: set[str] = set()
    for path in current_files(landing, "uitkeringen"):
        year, month = month_of(path)
        first, last = dt.date(year, month, 1), last_day(year, month)
        known = crosswalk(landing, year)
        header, rows = read_rows(path)
        assert {h.strip().lower() for h in header} >= {
            "client_id", "huishouden_id", "geboortejaar", "postcode", "huisnummer", "x", "y",
            "regeling", "ingangsdatum", "einddatum", "reden_einde",
        }  # fmt: skip
        keys = set()
        for r in rows:
            start = parse_date(r["ingangsdatum"])
            end = parse_date(r["einddatum"]) if r["einddatum"] else None
            if r["regeling"] not in REGELINGEN:
                marked["onbekende_regeling"] += 1
            elif start is None:
                marked["onmogelijke_datum"] += 1
            elif end is not None and end < start:
                marked["einddatum_voor_ingangsdatum"] += 1
            elif int(r["geboortejaar"]) > year:
                marked["geboortejaar_in_toekomst"] += 1
            elif not r["postcode"] and not r["x"]:
                marked["geen_adres_geen_coordinaten"] += 1
            elif r["x"] and float(r["x"]) < 70000:
                marked["coordinaten_in_zee"] += 1
            elif r["postcode"] and (r["postcode"], r["huisnummer"]) not in known:
                marked["postcode_niet_in_crosswalk"] += 1
            else:
                assert re.fullmatch(r"C\d{6}", r["client_id"])
                assert 1900 < int(r["geboortejaar"]) <= year
                assert start <= last  # ran at some time in the month
                assert end is None or first <= end <= last
                assert (r["reden_einde"] in REDENEN) == (end is not None)
                assert bool(r["postcode"]) == bool(r["huisnummer"])
                assert not r["postcode"] or PC6.match(r["postcode"])
                key = (r["client_id"], r["regeling"], start)
                assert key not in keys
                keys.add(key)
                if (year, month) == (2019, 12) and r["regeling"] == "PW":
                    pw_31dec_2019.add(r["client_id"])
    assert marked == {
        "onbekende_regeling": 3, "einddatum_voor_ingangsdatum": 3, "geboortejaar_in_toekomst": 3,
        "onmogelijke_datum": 1, "geen_adres_geen_coordinaten": 1, "coordinaten_in_zee": 1,
        "postcode_niet_in_crosswalk": 2,
    }  # fmt: skip
    # the brief: roughly 1,000-1,400 running PW benefits (an einddatum in December means it
    # stopped in December; those with an end on the 31st still count, the file shows none)
    assert 1000 <= len(pw_31dec_2019) <= 1400


def test_a_benefit_is_in_exactly_the_monthly_files_of_the_months_it_ran(demo):
    landing, _ = demo
    files = {month_of(p): p for p in current_files(landing, "uitkeringen")}
    # a PW benefit that began after January 2019 and ended in September 2021
    _, rows = read_rows(files[(2021, 9)])
    sample = next(
        r for r in rows
        if r["regeling"] == "PW" and r["einddatum"]
        and dt.date(2019, 2, 1) <= parse_date(r["ingangsdatum"]) < dt.date(2020, 6, 1)
    )  # fmt: skip
    start, end = parse_date(sample["ingangsdatum"]), parse_date(sample["einddatum"])
    # the contract: in the file of month M iff ingangsdatum <= last of M and einddatum >= 1st
    # of M, so every month from the start month through the end month, e.g. a start in
    # 2019-11 and an end in 2021-09 gives 2 + 12 + 9 = 23 files
    expected = {
        (y, m)
        for y in range(2019, 2025)
        for m in range(1, 13)
        if (start.year, start.month) <= (y, m) <= (end.year, end.month)
    }
    assert len(expected) == (end.year - start.year) * 12 + end.month - start.month + 1
    found = set()
    for ym, path in files.items():
        _, rows = read_rows(path)
        mine = [
            r for r in rows
            if r["client_id"] == sample["client_id"] and r["regeling"] == "PW"
            and parse_date(r["ingangsdatum"]) == start
        ]  # fmt: skip
        if mine:
            found.add(ym)
            assert len(mine) == 1
            # the end shows from the month it happened in
            shown = parse_date(mine[0]["einddatum"]) if mine[0]["einddatum"] else None
            assert shown == (None if ym < (end.year, end.month) else end)
    assert found == expected


def test_the_redelivery_sorts_later_and_adds_three_late_benefits(demo):
    landing, summary = demo
    first, second = "uitkeringen_2023-12.csv", "uitkeringen_2023-12_v2.csv"
    names = sorted(p.name for p in (landing / "uitkeringen").iterdir() if "2023-12" in p.name)
    assert names == [first, second]
    assert summary["redelivery"] == {"file": second, "replaces": first, "rows_added": 3}

    def rows_of(name):
        _, rows = read_rows(landing / "uitkeringen" / name)
        return {(r["client_id"], r["regeling"], r["ingangsdatum"]): r for r in rows}

    old, new = rows_of(first), rows_of(second)
    added = set(new) - set(old)
    assert set(old) < set(new) and len(added) == 3
    # registered late: they began in December 2023; January 2024 has those still running
    assert all(k[2].startswith("2023-12") for k in added)
    running = {k for k in added if not new[k]["einddatum"]}
    assert running <= set(rows_of("uitkeringen_2024-01.csv"))


def test_persons_move_and_some_have_two_benefits(demo):
    landing, _ = demo

    def addresses(name):
        _, rows = read_rows(landing / "uitkeringen" / name)
        return {r["client_id"]: (r["postcode"], r["huisnummer"], r["x"]) for r in rows}

    jan, dec = addresses("uitkeringen_2020-01.csv"), addresses("uitkeringen_2020-12.csv")
    moved = [c for c in jan if c in dec and jan[c] != dec[c]]
    assert len(moved) >= 10
    benefits: dict[str, set] = {}
    for path in current_files(landing, "uitkeringen"):
        for r in read_rows(path)[1]:
            benefits.setdefault(r["client_id"], set()).add((r["regeling"], r["ingangsdatum"]))
    assert sum(len(v) >= 2 for v in benefits.values()) >= 3


def test_pw_persons_concentrate_in_prinsenhof_and_de_heuvel(demo, buurten_2019):
    landing, _ = demo
    known = crosswalk(landing, 2019)
    _, rows = read_rows(landing / "uitkeringen" / "uitkeringen_2019-12.csv")
    per_wijk = Counter(
        "WK" + known[(r["postcode"], r["huisnummer"])][:6]
        for r in rows
        if r["regeling"] == "PW" and (r["postcode"], r["huisnummer"]) in known
    )
    inhabitants = buurten_2019.groupby("WK_CODE")["AANT_INW"].sum()
    rate = {w: per_wijk[w] / inhabitants[w] for w in inhabitants.index}
    overall = sum(per_wijk.values()) / inhabitants.sum()
    assert rate["WK191602"] > 1.5 * overall
    assert rate["WK191606"] > 1.5 * overall


def test_verzuim_good_rows_keep_the_contract_and_bad_rows_are_marked(demo):
    landing, _ = demo
    marked: Counter[str] = Counter()
    for path in current_files(landing, "verzuim"):
        start_year = int(re.search(r"_(\d{4})-(\d{4})", path.name)[1])
        known = crosswalk(landing, start_year)
        _, rows = read_rows(path)
        assert 200 <= len(rows) <= 700  # a few hundred reports per school year
        seen: set[str] = set()
        for r in rows:
            day, birth = parse_date(r["meldingsdatum"]), parse_date(r["geboortedatum"])
            postcode = r["postcode"].replace(" ", "")
            if r["melding_id"] in seen:
                marked["dubbele_melding_id"] += 1
            elif day is None:
                marked["onmogelijke_datum"] += 1
            elif age_on(birth, day) < 5:
                marked["leeftijd_3_bij_melding"] += age_on(birth, day) == 3
            elif not postcode and not r["x"]:
                marked["geen_adres_geen_coordinaten"] += 1
            elif postcode and (postcode, r["huisnummer"]) not in known:
                marked["postcode_niet_in_crosswalk"] += 1
            else:
                age = age_on(birth, day)
                assert dt.date(start_year, 8, 1) <= day <= dt.date(start_year + 1, 7, 31)
                assert r["soort_verzuim"] in SOORTEN
                assert 5 <= age <= 22
                assert r["soort_verzuim"] != "VSV" or 16 <= age <= 22
            seen.add(r["melding_id"])
    assert marked == {
        "dubbele_melding_id": 3, "leeftijd_3_bij_melding": 3, "onmogelijke_datum": 1,
        "geen_adres_geen_coordinaten": 1, "postcode_niet_in_crosswalk": 1,
    }  # fmt: skip


def test_leerplichtigen_cover_every_buurt_and_are_an_eighth_of_inhabitants(demo, buurten_2019):
    landing, _ = demo
    as_wijk = None
    for path in current_files(landing, "leerplichtigen"):
        # on the buurt codes of the school year's first year (1 October)
        buurt_codes = set(buurten_of(int(path.stem.split("_")[1][:4])))
        _, rows = read_rows(path)
        codes = {r["gebied_code"] for r in rows}
        assert all(int(r["aantal"]) >= 0 for r in rows)
        if codes == buurt_codes:
            continue
        assert as_wijk is None  # only one school year has wijk rows
        as_wijk = path.name
        wijken = {c for c in codes if c.startswith("WK")}
        assert wijken == {"WK191604", "WK191608"}
        assert codes - wijken == {c for c in buurt_codes if c[2:8] not in ("191604", "191608")}
    assert as_wijk == "leerplichtigen_2021-2022.csv"
    _, rows = read_rows(landing / "leerplichtigen" / "leerplichtigen_2019-2020.csv")
    pupils = sum(int(r["aantal"]) for r in rows)
    # 75,470 inhabitants in the 2019 kaart: 12-13 % is 9,056-9,811 pupils
    assert int(buurten_2019["AANT_INW"].sum()) == 75470
    assert 9056 <= pupils <= 9811


def test_incidenten_good_rows_keep_the_contract_and_bad_rows_are_marked(demo):
    landing, _ = demo
    marked: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for path in current_files(landing, "incidenten"):
        year, month = month_of(path)
        _, rows = read_rows(path)
        seen: set[str] = set()
        for r in rows:
            when = parse_date(r["datum"])
            x = r["x"].replace(",", ".")
            if r["incident_id"] in seen:
                marked["dubbel_incident_id"] += 1
            elif r["categorie"] not in OVERLAST and not POLICE_CODE.match(r["categorie"]):
                marked["onbekende_categorie"] += 1
            elif when is None:
                marked["onmogelijke_datum"] += 1
            elif not (x or r["lat"] or r["buurtcode"]):
                marked["geen_adres_geen_coordinaten"] += 1
            elif x and float(x) < 70000:
                marked["coordinaten_in_zee"] += 1
            else:
                assert (day_of(when).year, day_of(when).month) == (year, month)
                assert not r["buurtcode"] or re.fullmatch(r"BU1916\d{4}", r["buurtcode"])
                kinds["time" if isinstance(when, dt.datetime) else "date"] += 1
                kinds["xy" if x else ("latlon" if r["lat"] else "buurtcode")] += 1
                kinds["overlast" if r["categorie"] in OVERLAST else "police"] += 1
            seen.add(r["incident_id"])
    assert marked == {
        "dubbel_incident_id": 3, "onbekende_categorie": 3, "onmogelijke_datum": 1,
        "geen_adres_geen_coordinaten": 1, "coordinaten_in_zee": 2,
    }  # fmt: skip
    total = kinds["time"] + kinds["date"]
    assert kinds["xy"] > total / 2  # most with x/y, some lat/lon, some a buurtcode only
    assert kinds["latlon"] > 0.05 * total and kinds["buurtcode"] > 0.05 * total
    assert kinds["time"] > 0 and kinds["date"] > 0
    assert kinds["overlast"] > 0 and kinds["police"] > 0


def test_meldingen_good_rows_keep_the_contract_one_redelivery_and_bad_rows(demo):
    landing, summary = demo
    marked: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    first_seen: dict[str, tuple[str, dict[str, str]]] = {}
    repeated = []
    files = sorted((landing / "meldingen").iterdir())
    assert [p.name for p in files] == [
        f"meldingen_{y}-{m:02d}.csv" for y in range(2019, 2025) for m in range(1, 13)
    ]
    for path in files:
        year, month = month_of(path)
        _, rows = read_rows(path)
        assert len(rows) < 400  # a few thousand a year
        for r in rows:
            came = day_of(parse_date(r["datum_melding"]))
            assert r["categorie"] in MOR_CATEGORIES
            assert r["x"] or r["lat"] or r["buurtcode"]
            if r["status"] == "AFGEHANDELD" and not r["datum_afgehandeld"]:
                marked["afgehandeld_zonder_datum"] += 1
                continue
            done = day_of(parse_date(r["datum_afgehandeld"])) if r["datum_afgehandeld"] else None
            if done is not None and done < came:
                marked["afgehandeld_voor_melding"] += 1
                continue
            assert (done is not None) == (r["status"] == "AFGEHANDELD")
            assert done is None or done <= last_day(year, month)
            if r["melding_id"] in first_seen:  # a repeat: an earlier month, a new status
                earlier_file, earlier = first_seen[r["melding_id"]]
                assert (came.year, came.month) < (year, month)
                assert earlier["status"] == "OPEN" and r["status"] != "OPEN"
                assert earlier["datum_melding"] == r["datum_melding"]
                repeated.append(path.name)
                continue
            assert (came.year, came.month) == (year, month)
            first_seen[r["melding_id"]] = (path.name, r)
            statuses[r["status"]] += 1
    assert marked == {"afgehandeld_voor_melding": 3, "afgehandeld_zonder_datum": 3}
    assert set(repeated) == {f"meldingen_{summary['meldingen_redelivery']}.csv"}
    assert len(repeated) > 10
    total = sum(statuses.values())
    assert 2000 * 6 < total < 5000 * 6
    assert 0.02 * total < statuses["GEANNULEERD"] < 0.07 * total
    assert statuses["OPEN"] > 0 and statuses["AFGEHANDELD"] > total / 2


def test_enquete_per_wijk_of_its_year_gemeente_and_own_areas(demo):
    landing, summary = demo
    assert sorted(p.name for p in (landing / "enquete").iterdir()) == [
        "enquete_2019.csv", "enquete_2021.csv", "enquete_2023.csv",
    ]  # fmt: skip
    too_few = []
    for year in (2019, 2021, 2023):
        _, rows = read_rows(landing / "enquete" / f"enquete_{year}.csv")
        areas = {r["gebied_code"] for r in rows}
        # Voorburg Oud (WK191613) is split off Voorburg Midden only from 2022
        wijken = {f"WK1916{n:02d}" for n in range(1, 14 if year >= 2022 else 13)}
        assert areas == wijken | {"GM1916", "LN", "PH", "DHN"}
        assert len(rows) == 4 * len(areas)
        for r in rows:
            assert int(r["jaar"]) == year and r["vraag"] in QUESTIONS
            assert float(r["ondergrens"]) <= float(r["waarde"]) <= float(r["bovengrens"])
            if int(r["n_respondenten"]) < 50:
                too_few.append((r["gebied_code"], year, int(r["n_respondenten"])))
    assert set(too_few) == {("DHN", 2021, 38)}
    assert summary["enquete_too_few"] == {"area": "DHN", "year": 2021, "respondents": 38}


def test_points_lie_inside_their_buurt(demo, buurten_2019):
    landing, _ = demo
    shapes = dict(zip(buurten_2019["BU_CODE"], buurten_2019.geometry, strict=True))
    known = crosswalk(landing, 2019)
    # uitkeringen rows with an address and x/y: the point lies in the crosswalk's buurt
    _, rows = read_rows(landing / "uitkeringen" / "uitkeringen_2019-06.csv")
    both = [r for r in rows if r["postcode"] and r["x"]]
    assert len(both) > 100
    for r in both:
        buurt = "BU" + known[(r["postcode"], r["huisnummer"])]
        assert shapes[buurt].contains(shapely.Point(float(r["x"]), float(r["y"])))
    # incidents: a given buurtcode (of the incident's year) matches the point; lat/lon fall
    # inside the gemeente
    shapes = buurten_of(2023)
    gemeente = shapely.union_all(list(shapes.values()))
    to_rd = Transformer.from_crs(4326, 28992, always_xy=True)
    _, rows = read_rows(landing / "incidenten" / "incidenten_2023-07.csv")
    coded = [r for r in rows if r["buurtcode"] and r["x"]]
    located = [r for r in rows if r["lat"]]
    assert coded and located
    for r in coded:
        assert shapes[r["buurtcode"]].contains(shapely.Point(float(r["x"]), float(r["y"])))
    x, y = to_rd.transform([float(r["lon"]) for r in located], [float(r["lat"]) for r in located])
    assert shapely.contains_xy(gemeente, np.asarray(x), np.asarray(y)).all()


def test_the_mess_of_real_exports_is_there(demo):
    landing, summary = demo
    u = landing / "uitkeringen"
    assert (u / "uitkeringen_2024-01.csv").read_bytes()[:3] == b"\xef\xbb\xbf"  # BOM
    raw = (u / "uitkeringen_2021-03.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "José Müller" in raw.decode("cp1252") and b"\r\n" in raw
    assert read_rows(u / "uitkeringen_2021-03.csv")[0][-1] == "behandelaar"
    assert (u / "uitkeringen_2021-08.csv").read_text().splitlines()[0].startswith("client_id,")
    assert read_rows(u / "uitkeringen_2020-01.csv")[0][0] == " Client_ID "
    dates = [r["ingangsdatum"] for r in read_rows(u / "uitkeringen_2023-02.csv")[1]]
    assert all(re.fullmatch(r"\d{2}-\d{2}-\d{4}", d) for d in dates)
    assert (u / "uitkeringen_2022-06.xlsx").exists() and not (
        u / "uitkeringen_2022-06.csv"
    ).exists()
    book = openpyxl.load_workbook(landing / "verzuim" / "verzuim_2021-2022.xlsx")
    assert book.properties.modified == book.properties.created == dt.datetime(2025, 6, 1)
    assert isinstance(book.active["C2"].value, dt.datetime)  # geboortedatum: a date cell
    assert "uitkeringen_2022-06.xlsx" in summary["messiness"]["xlsx"]
    assert "uitkeringen_2021-03.csv" in summary["messiness"]["cp1252"]


def test_refuses_a_folder_that_is_not_marked_synthetic(tmp_path):
    shutil.copytree(DEMO_LANDING / "cbs_kaart", tmp_path / "cbs_kaart")
    with pytest.raises(ValueError, match="SYNTHETIC.json"):
        load_script().write_municipal_demo(tmp_path)
    assert not (tmp_path / "uitkeringen").exists()
