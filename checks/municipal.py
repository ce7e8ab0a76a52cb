"""The contracts of the municipality's own deliveries (sources.md section 4) and their GX suites.

`split_delivery` turns a `DeliveryFile` (every cell text) into typed accepted rows and quarantined
rows. Each quarantined row carries file, line, column, a Dutch reason and the offending value
(`checks.quarantine`): the reason names the column and the rule, never a delivered value (a name
typed in a code column would otherwise reach the published quarantine table); the value is kept
apart, for the restricted store and the operator's `validate`. A row gets the first problem
found, in the order the rules are listed per source.
Unique keys are checked among the rows that pass every other rule, so that a row is not refused
for repeating a key of a row that was refused itself.

The work is column-wise (pandas over the whole frame); only the messages for bad rows are built
per row. Whole-file problems (unreadable, missing columns) are `UnreadableInput`, raised by the
reader; everything found here keeps the accounting rows_read = accepted + quarantined.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from checks.gx import SuiteOutcome, run_suite
from checks.quarantine import QUARANTINE_COLUMNS, offending_values, problems
from checks.report import ValidationReport
from sources.delivery import (
    COLUMNS,
    FIELDS_COLUMN,
    LINE_COLUMN,
    SOURCES,
    DeliveryFile,
    RefusedReplacement,
    confirmation_marker,
    read_delivery,
)
from sources.errors import UnreadableInput

REGELINGEN = ("PW", "IOAW", "IOAZ", "BBZ")
REDENEN_EINDE = ("WERK", "VERHUIZING", "OVERLIJDEN", "OVERIG")
SOORTEN_VERZUIM = ("ABSOLUUT", "RELATIEF", "LUXE", "SIGNAAL", "VSV")
OVERLAST_CATEGORIEEN = (
    "JEUGDOVERLAST",
    "BURENOVERLAST",
    "DRUGSOVERLAST",
    "VERWARD_GEDRAG",
    "OVERLAST_OVERIG",
)
# A police crime code of the form d.d.d (`1.1.1`, `2.5.2`), but not `0.0.0`: that is the police
# table's total, never one incident. Written without look-ahead: pandas' Arrow strings use RE2.
POLICE_CODE = r"[0-9]\.[0-9]\.[1-9]|[0-9]\.[1-9]\.[0-9]|[1-9]\.[0-9]\.[0-9]"
CATEGORIE = rf"^(?:{POLICE_CODE}|{'|'.join(OVERLAST_CATEGORIEEN)})$"
POSTCODE = r"^[1-9][0-9]{3}[A-Z]{2}$"
BUURT_CODE = r"^BU[0-9]{4}[0-9A-Z]{4}$"
WIJK_CODE = r"^WK[0-9]{4}[0-9A-Z]{2}$"
GEMEENTE_CODE = r"^GM[0-9]{4}$"
GEBIED_CODE = r"^(?:BU[0-9]{4}[0-9A-Z]{4}|WK[0-9]{4}[0-9A-Z]{2})$"
# Plausible bounds, so that swapped or mistyped coordinates get a clear reason here rather
# than only "outside every buurt" at geocoding.
RD_X = (-7_000.0, 300_000.0)
RD_Y = (289_000.0, 629_000.0)
LAT = (50.7, 53.7)
LON = (3.2, 7.3)
MIN_BIRTH_YEAR = 1900
LEERPLICHT_AGE = (5, 22)

DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")
DATETIME_FORMATS = (
    *DATE_FORMATS,
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
)

# The accepted frame of every source: where each row came from, what the period gives it,
# then the delivered columns in the contract's order (pc6: renamed to what they mean).
_PERIOD_COLUMNS = {
    "uitkeringen": ("peildatum",),
    "verzuim": ("schooljaar_start",),
    "leerplichtigen": ("schooljaar_start",),
    "incidenten": (),
}
ACCEPTED_COLUMNS: dict[str, tuple[str, ...]] = {
    **{
        source: ("file", "line", "period", *extra, *COLUMNS[source].known)
        for source, extra in _PERIOD_COLUMNS.items()
    },
    "pc6_buurt": ("file", "line", "period", "year", "postcode", "huisnummer", "buurt_code",
                  "wijk_code", "gemeente_code"),
}  # fmt: skip


@dataclass
class CheckedDelivery:
    """One delivery file after its contract: typed accepted rows and quarantined rows."""

    source: str
    path: Path
    period: str
    sha256: str
    rows_read: int
    accepted: pd.DataFrame  # ACCEPTED_COLUMNS[source]
    quarantine: pd.DataFrame  # QUARANTINE_COLUMNS: file, line, column, reason (Dutch), value

    @property
    def rows_accepted(self) -> int:
        return len(self.accepted)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantine)


# --------------------------------------------------------------------------- building blocks


class _Rules:
    """The first reason (and its column) found for each row."""

    def __init__(self, n: int) -> None:
        self.reason = np.full(n, None, dtype=object)
        self.column = np.full(n, None, dtype=object)

    @property
    def ok(self) -> np.ndarray:
        return pd.isna(self.reason)

    def flag(self, mask, column: str | None, message) -> None:
        """Give rows in `mask` (that have no reason yet) `message`: a text or a Series of texts.

        A message names the column and the rule, never the delivered value: `split_delivery`
        takes the value of `column` apart."""
        hit = np.asarray(mask, dtype=bool) & self.ok
        if not hit.any():
            return
        if isinstance(message, pd.Series):
            self.reason[hit] = message.to_numpy(dtype=object)[hit]
        else:
            self.reason[hit] = message
        self.column[hit] = column


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column stripped, NA for empty; all NA when the file has no such column.

    A column that is already so (most are) is returned as it is, not copied: a large
    delivery would otherwise be held twice."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="str")
    s = frame[column].astype("str")
    values = s.array.__arrow_array__()  # the Arrow data, not a copy
    stripped = pc.utf8_trim_whitespace(values)
    if (
        pc.all(pc.equal(stripped, values)).as_py() is not False
        and not pc.any(pc.equal(values, "")).as_py()
    ):
        return s
    del stripped
    t = s.str.strip()
    return t.where(t != "")


def _dates(s: pd.Series, formats: Sequence[str] = DATE_FORMATS) -> pd.Series:
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    for fmt in formats:
        todo = np.flatnonzero((out.isna() & s.notna()).to_numpy(dtype=bool))
        if not len(todo):
            break
        # In slices: pandas parses from Python strings, which cost far more than the column.
        for start in range(0, len(todo), _DATE_SLICE):
            rows = todo[start : start + _DATE_SLICE]
            parsed = pd.to_datetime(s.iloc[rows], format=fmt, errors="coerce")
            out.iloc[rows] = parsed.to_numpy(dtype="datetime64[us]")
    return out


_DATE_SLICE = 500_000


def _integers(s: pd.Series) -> pd.Series:
    """Whole numbers as Int64; NA where missing or not a whole number."""
    good = s.str.fullmatch(r"[+-]?[0-9]{1,15}").to_numpy(dtype=bool)
    return _cast(s.where(good), pa.int64(), pd.Int64Dtype())


def _numbers(s: pd.Series) -> pd.Series:
    """Decimal numbers (decimal comma accepted) as Float64; NA where missing or not a number."""
    t = s.str.replace(",", ".", regex=False)
    good = t.str.fullmatch(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)").to_numpy(dtype=bool)
    return _cast(t.where(good), pa.float64(), pd.Float64Dtype())


def _cast(s: pd.Series, arrow_type: pa.DataType, dtype) -> pd.Series:
    # Arrow parses numbers from text an order of magnitude faster than pd.to_numeric.
    values = pc.cast(pa.array(s, from_pandas=True), arrow_type)
    return pd.Series(values.to_pandas(types_mapper={arrow_type: dtype}.get), index=s.index)


def _zfill(s: pd.Series, width: int) -> pd.Series:
    # pandas' str.zfill runs in Python; Arrow's lpad does not (and a national file is large).
    padded = pc.utf8_lpad(pa.array(s, from_pandas=True), width=width, padding="0")
    return pd.Series(padded.to_pandas(), index=s.index, dtype="str")


def _postcodes(s: pd.Series) -> pd.Series:
    return s.str.replace(" ", "", regex=False).str.upper()


def _area_codes(s: pd.Series, prefix: str, width: int) -> pd.Series:
    """`3630000` -> `BU03630000`, `0363AD03` -> `BU0363AD03`, `BU19160201` kept.

    Only a code without its prefix is padded: that is the CBS file's number that lost its
    leading zeros; a prefixed code was written as text and is taken as it is."""
    t = s.str.replace(" ", "", regex=False).str.upper()
    prefixed = t.str.startswith(prefix)
    pad = ~prefixed & t.str.fullmatch(r"[0-9]+") & (t.str.len() < width)
    body = t.where(~pad, _zfill(t, width))
    return body.where(prefixed, prefix + body)


def _gebied_codes(s: pd.Series, gemeente_digits: str) -> pd.Series:
    """A BU or WK code. A prefixed code is taken as it is; without its prefix the length tells
    the level (8: buurt, 6: wijk), and an all-digit code that lost leading zeros is read as the
    level whose gemeente digits are ours (`191602` -> `WK191602`, `3630000` -> `BU03630000`)."""
    t = s.str.replace(" ", "", regex=False).str.upper()
    prefixed = t.str.slice(0, 2).isin(["BU", "WK"]).to_numpy(dtype=bool)
    body = t.where(~prefixed, t.str.slice(2))
    digits = body.str.fullmatch(r"[0-9]+").to_numpy(dtype=bool)
    length = body.str.len().fillna(0).to_numpy(dtype="int64")
    as_bu = "BU" + body.where(~digits | (length >= 8), _zfill(body, 8))
    as_wk = "WK" + body.where(~digits | (length >= 6), _zfill(body, 6))
    bu_ours = (as_bu.str.slice(2, 6) == gemeente_digits).to_numpy(dtype=bool)
    wk_ours = (as_wk.str.slice(2, 6) == gemeente_digits).to_numpy(dtype=bool)
    level = np.select(
        [
            prefixed,
            length > 6,
            digits & bu_ours & ~wk_ours,
            digits & wk_ours & ~bu_ours,
            length == 6,
        ],
        ["", "BU", "BU", "WK", "WK"],
        default="",
    )
    out = t.where(level != "BU", as_bu).where(level != "WK", as_wk)
    return out.where(s.notna())


def _gemeente_digits(gemeente: str) -> str:
    digits = gemeente.strip().upper().removeprefix("GM")
    if not re.fullmatch(r"[0-9]{1,4}", digits):
        raise ValueError(f"gemeente {gemeente!r} is not a gemeente code like 'GM1916'")
    return digits.zfill(4)


def _field_count(rules: _Rules, frame: pd.DataFrame, width: int) -> None:
    fields = frame[FIELDS_COLUMN].to_numpy()
    wrong = fields != width
    if wrong.any():
        message = pd.Series(np.full(len(fields), None, dtype=object))
        message[wrong] = [
            f"verkeerd aantal velden ({f} in plaats van {width})" for f in fields[wrong]
        ]
        rules.flag(wrong, None, message)


def _required(rules: _Rules, values: dict[str, pd.Series], columns: Sequence[str]) -> None:
    for column in columns:
        rules.flag(values[column].isna(), column, f"verplicht veld '{column}' is leeg")


def _address(rules: _Rules, values: dict[str, pd.Series], typed: dict[str, pd.Series]) -> None:
    """Postcode, huisnummer and coordinates: well-formed where given, and at least one place."""
    given_pc = values["postcode"].notna()
    rules.flag(
        given_pc & ~typed["postcode"].str.fullmatch(POSTCODE), "postcode", "ongeldige postcode"
    )
    given_nr = values["huisnummer"].notna()
    bad_nr = given_nr & ~(typed["huisnummer"].fillna(0) > 0).to_numpy(dtype=bool)
    rules.flag(bad_nr, "huisnummer", "ongeldig huisnummer: geen positief geheel getal")
    _coordinates(rules, values, typed, ("x", "y"), RD_X, RD_Y, "buiten het bereik van RD New")


def _coordinates(rules, values, typed, pair, first_bounds, second_bounds, outside) -> None:
    for column, (lo, hi) in zip(pair, (first_bounds, second_bounds), strict=True):
        given = values[column].notna()
        number = typed[column]
        rules.flag(
            given & number.isna().to_numpy(dtype=bool), column, f"ongeldige coördinaat ({column})"
        )
        out = given & ((number < lo) | (number > hi)).fillna(False).to_numpy(dtype=bool)
        rules.flag(out, column, f"coördinaat {column} {outside}")


def _has(typed: dict[str, pd.Series], *columns: str) -> np.ndarray:
    have = np.ones(len(next(iter(typed.values()))), dtype=bool)
    for column in columns:
        have &= typed[column].notna().to_numpy(dtype=bool)
    return have


def _code(rules, values, column, allowed: Sequence[str], what: str) -> pd.Series:
    code = values[column].str.upper()
    bad = code.notna() & ~code.isin(allowed)
    rules.flag(bad, column, f"onbekende {what} (niet in de codelijst)")
    return code


def _date(rules, values, column, formats=DATE_FORMATS) -> pd.Series:
    parsed = _dates(values[column], formats)
    bad = values[column].notna() & parsed.isna()
    rules.flag(bad, column, f"ongeldige datum in {column}")
    return parsed


def _unique(rules: _Rules, typed: pd.DataFrame, keys: list[str], what: str) -> None:
    """Second and later rows with the same key (among rows otherwise fine) are quarantined."""
    ok = rules.ok
    if not ok.any():
        return
    # Only rows whose key hash repeats can repeat a key: pandas compares just those.
    candidates = np.flatnonzero(ok)
    candidates = candidates[_hash_repeats(typed, candidates, keys)]
    if not len(candidates):
        return
    sub = typed.loc[candidates, [*keys, LINE_COLUMN]]
    later = sub.duplicated(subset=keys, keep="first")
    if not later.any():
        return
    first = sub.groupby(keys, dropna=False, sort=False)[LINE_COLUMN].transform("first")
    mask = np.zeros(len(typed), dtype=bool)
    mask[candidates[later.to_numpy()]] = True
    message = pd.Series(np.full(len(typed), None, dtype=object))
    message[mask] = [f"dubbele {what} (ook op regel {n})" for n in first[later].to_numpy()]
    rules.flag(mask, keys[0] if len(keys) == 1 else None, message)


def _hash_repeats(typed: pd.DataFrame, rows: np.ndarray, keys: list[str]) -> np.ndarray:
    """For each of `rows`, whether the hash of its key occurs more than once among them: a
    superset of the rows that share a key, found without factorising the key columns (which
    costs several copies of them on a large delivery). NA hashes alike, as pandas groups it."""
    import duckdb

    table = pa.Table.from_pandas(typed[keys], preserve_index=False)
    con = duckdb.connect()
    try:
        con.register("k", table)
        names = ", ".join(f'"{k}"' for k in keys)
        hashes = con.sql(f"SELECT hash({names}) AS h FROM k").fetchnumpy()["h"]
    finally:
        con.close()
    del table
    hashes = np.asarray(hashes)[rows]
    order = np.argsort(hashes, kind="stable")
    ranked = hashes[order]
    same = ranked[1:] == ranked[:-1]
    repeated = np.zeros(len(rows), dtype=bool)
    repeated[order[1:][same]] = True
    repeated[order[:-1][same]] = True
    return repeated


def _month_bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    first = pd.Timestamp(f"{period}-01")
    return first, first + pd.offsets.MonthBegin(1)


def _school_year(period: str) -> int:
    return int(period.split("-")[0])


# --------------------------------------------------------------------------- per source


def _uitkeringen(d: DeliveryFile, frame: pd.DataFrame, rules: _Rules, gm: str) -> pd.DataFrame:
    v = {c: _text(frame, c) for c in COLUMNS["uitkeringen"].known}
    first, next_month = _month_bounds(d.period)
    peildatum = next_month - pd.Timedelta(days=1)
    _required(rules, v, COLUMNS["uitkeringen"].required)
    t: dict[str, pd.Series] = {
        "postcode": _postcodes(v["postcode"]),
        "huisnummer": _integers(v["huisnummer"]),
        "x": _numbers(v["x"]),
        "y": _numbers(v["y"]),
    }
    t["geboortejaar"] = _integers(v["geboortejaar"])
    rules.flag(
        v["geboortejaar"].notna() & ~v["geboortejaar"].str.fullmatch(r"[0-9]{4}"),
        "geboortejaar",
        "ongeldig geboortejaar",
    )
    year = t["geboortejaar"]
    rules.flag((year > peildatum.year).fillna(False), "geboortejaar", "geboortejaar in de toekomst")
    rules.flag((year < MIN_BIRTH_YEAR).fillna(False), "geboortejaar", "geboortejaar voor 1900")
    t["regeling"] = _code(rules, v, "regeling", REGELINGEN, "regeling")
    t["ingangsdatum"] = _date(rules, v, "ingangsdatum")
    t["einddatum"] = _date(rules, v, "einddatum")
    start, end = t["ingangsdatum"], t["einddatum"]
    rules.flag((start > peildatum).fillna(False), "ingangsdatum", "ingangsdatum na de peildatum")
    rules.flag((end < start).fillna(False), "einddatum", "einddatum voor ingangsdatum")
    rules.flag(
        (end < first).fillna(False),
        "einddatum",
        f"einddatum voor het begin van de maand {d.period}: uitkering liep niet in deze maand",
    )
    t["reden_einde"] = _code(rules, v, "reden_einde", REDENEN_EINDE, "reden_einde")
    _address(rules, v, t)
    usable = _has(t, "postcode", "huisnummer") | _has(t, "x", "y")
    rules.flag(~usable, None, "geen adres en geen coördinaten")
    typed = pd.DataFrame(
        {
            "peildatum": pd.Series(peildatum, index=frame.index).astype("datetime64[us]"),
            "client_id": v["client_id"],
            "huishouden_id": v["huishouden_id"],
            "huisletter": v["huisletter"],
            "huisnummertoevoeging": v["huisnummertoevoeging"],
            **t,
        }
    )
    typed[LINE_COLUMN] = frame[LINE_COLUMN]
    _unique(
        rules,
        typed,
        ["client_id", "regeling", "ingangsdatum"],
        "uitkering: zelfde client_id, regeling en ingangsdatum",
    )
    return typed


def _verzuim(d: DeliveryFile, frame: pd.DataFrame, rules: _Rules, gm: str) -> pd.DataFrame:
    v = {c: _text(frame, c) for c in COLUMNS["verzuim"].known}
    start_year = _school_year(d.period)
    year_start = pd.Timestamp(f"{start_year}-08-01")
    year_end = pd.Timestamp(f"{start_year + 1}-07-31")
    _required(rules, v, COLUMNS["verzuim"].required)
    t: dict[str, pd.Series] = {
        "postcode": _postcodes(v["postcode"]),
        "huisnummer": _integers(v["huisnummer"]),
        "x": _numbers(v["x"]),
        "y": _numbers(v["y"]),
    }
    t["geboortedatum"] = _date(rules, v, "geboortedatum")
    t["meldingsdatum"] = _date(rules, v, "meldingsdatum")
    melding, born = t["meldingsdatum"], t["geboortedatum"]
    outside = ((melding < year_start) | (melding > year_end)).fillna(False)
    rules.flag(outside, "meldingsdatum", f"meldingsdatum buiten het schooljaar {d.period}")
    rules.flag((melding < born).fillna(False), "geboortedatum", "geboortedatum na de meldingsdatum")
    both = (melding.notna() & born.notna()).to_numpy(dtype=bool)
    m_year, m_month, m_day = (
        melding.dt.year.fillna(0),
        melding.dt.month.fillna(0),
        melding.dt.day.fillna(0),
    )
    b_year, b_month, b_day = (
        born.dt.year.fillna(0),
        born.dt.month.fillna(0),
        born.dt.day.fillna(0),
    )
    before_birthday = (m_month < b_month) | ((m_month == b_month) & (m_day < b_day))
    age = (m_year - b_year - before_birthday.astype("int64")).to_numpy(dtype="int64")
    lo, hi = LEERPLICHT_AGE
    wrong_age = both & ((age < lo) | (age > hi))
    # The age is the pupil's: the reason gives the rule, not the age.
    rules.flag(
        wrong_age,
        "geboortedatum",
        f"leeftijd bij de melding buiten de leerplichtige leeftijd ({lo}-{hi} jaar)",
    )
    t["soort_verzuim"] = _code(rules, v, "soort_verzuim", SOORTEN_VERZUIM, "soort_verzuim")
    _address(rules, v, t)
    usable = _has(t, "postcode", "huisnummer") | _has(t, "x", "y")
    rules.flag(~usable, None, "geen adres en geen coördinaten")
    typed = pd.DataFrame(
        {
            "schooljaar_start": pd.array([start_year] * len(frame), dtype="Int64"),
            "melding_id": v["melding_id"],
            "leerling_id": v["leerling_id"],
            "huisletter": v["huisletter"],
            "huisnummertoevoeging": v["huisnummertoevoeging"],
            "brin": v["brin"].str.upper(),
            **t,
        },
        index=frame.index,
    )
    typed[LINE_COLUMN] = frame[LINE_COLUMN]
    _unique(rules, typed, ["melding_id"], "melding_id")
    return typed


def _leerplichtigen(d: DeliveryFile, frame: pd.DataFrame, rules: _Rules, gm: str) -> pd.DataFrame:
    v = {c: _text(frame, c) for c in COLUMNS["leerplichtigen"].known}
    _required(rules, v, COLUMNS["leerplichtigen"].required)
    code = _gebied_codes(v["gebied_code"], gm)
    bad = code.notna() & ~code.str.fullmatch(GEBIED_CODE)
    rules.flag(bad, "gebied_code", "ongeldige gebiedscode (geen buurt- of wijkcode)")
    other = code.notna() & (code.str.slice(2, 6) != gm)
    rules.flag(other, "gebied_code", "gebiedscode van een andere gemeente")
    aantal = _integers(v["aantal"])
    rules.flag(v["aantal"].notna() & aantal.isna(), "aantal", "ongeldig aantal (geen geheel getal)")
    rules.flag((aantal < 0).fillna(False), "aantal", "negatief aantal")
    typed = pd.DataFrame(
        {
            "schooljaar_start": pd.array([_school_year(d.period)] * len(frame), dtype="Int64"),
            "gebied_code": code,
            "aantal": aantal,
        },
        index=frame.index,
    )
    typed[LINE_COLUMN] = frame[LINE_COLUMN]
    _unique(rules, typed, ["gebied_code"], "gebied_code")
    return typed


def _incidenten(d: DeliveryFile, frame: pd.DataFrame, rules: _Rules, gm: str) -> pd.DataFrame:
    v = {c: _text(frame, c) for c in COLUMNS["incidenten"].known}
    first, next_month = _month_bounds(d.period)
    _required(rules, v, COLUMNS["incidenten"].required)
    datum = _date(rules, v, "datum", DATETIME_FORMATS)
    outside = ((datum < first) | (datum >= next_month)).fillna(False)
    rules.flag(outside, "datum", f"datum buiten de maand {d.period}")
    categorie = v["categorie"].str.upper()
    bad = categorie.notna() & ~categorie.str.match(CATEGORIE)
    rules.flag(bad, "categorie", "onbekende categorie (geen politiecode of overlastcategorie)")
    t: dict[str, pd.Series] = {
        "x": _numbers(v["x"]),
        "y": _numbers(v["y"]),
        "lat": _numbers(v["lat"]),
        "lon": _numbers(v["lon"]),
    }
    _coordinates(rules, v, t, ("x", "y"), RD_X, RD_Y, "buiten het bereik van RD New")
    _coordinates(rules, v, t, ("lat", "lon"), LAT, LON, "buiten Nederland")
    buurtcode = _area_codes(v["buurtcode"], "BU", 8)
    bad = buurtcode.notna() & ~buurtcode.str.fullmatch(BUURT_CODE)
    rules.flag(bad, "buurtcode", "ongeldige buurtcode (geen BU-code)")
    t["buurtcode"] = buurtcode
    usable = _has(t, "x", "y") | _has(t, "lat", "lon") | _has(t, "buurtcode")
    rules.flag(~usable, None, "geen coördinaten en geen buurtcode")
    typed = pd.DataFrame(
        {"incident_id": v["incident_id"], "datum": datum, "categorie": categorie, **t},
        index=frame.index,
    )
    typed[LINE_COLUMN] = frame[LINE_COLUMN]
    _unique(rules, typed, ["incident_id"], "incident_id")
    return typed


def _pc6_buurt(d: DeliveryFile, frame: pd.DataFrame, rules: _Rules, gm: str) -> pd.DataFrame:
    v = {c: _text(frame, c) for c in COLUMNS["pc6_buurt"].known}
    _required(rules, v, COLUMNS["pc6_buurt"].required)
    postcode = _postcodes(v["pc6"])
    rules.flag(postcode.notna() & ~postcode.str.fullmatch(POSTCODE), "pc6", "ongeldige postcode")
    huisnummer = _integers(v["huisnummer"])
    bad_nr = v["huisnummer"].notna() & ~(huisnummer.fillna(0) > 0).to_numpy(dtype=bool)
    rules.flag(bad_nr, "huisnummer", "ongeldig huisnummer: geen positief geheel getal")
    codes = {}
    for column, prefix, width, pattern, what in (
        ("buurt", "BU", 8, BUURT_CODE, "buurtcode"),
        ("wijk", "WK", 6, WIJK_CODE, "wijkcode"),
        ("gemeente", "GM", 4, GEMEENTE_CODE, "gemeentecode"),
    ):
        code = _area_codes(v[column], prefix, width)
        bad = code.notna() & ~code.str.fullmatch(pattern)
        rules.flag(bad, column, f"ongeldige {what} (geen {prefix}-code)")
        codes[column] = code
    rules.flag(
        (codes["buurt"].str.slice(2, 8) != codes["wijk"].str.slice(2)).to_numpy(dtype=bool),
        "buurt,wijk",
        "buurtcode ligt niet in de wijkcode van de rij",
    )
    rules.flag(
        (codes["wijk"].str.slice(2, 6) != codes["gemeente"].str.slice(2)).to_numpy(dtype=bool),
        "wijk,gemeente",
        "wijkcode ligt niet in de gemeentecode van de rij",
    )
    typed = pd.DataFrame(
        {
            "year": pd.array([int(d.period)] * len(frame), dtype="Int64"),
            "postcode": postcode,
            "huisnummer": huisnummer,
            "buurt_code": codes["buurt"],
            "wijk_code": codes["wijk"],
            "gemeente_code": codes["gemeente"],
        },
        index=frame.index,
    )
    typed[LINE_COLUMN] = frame[LINE_COLUMN]
    _unique(rules, typed, ["postcode", "huisnummer"], "combinatie postcode en huisnummer")
    return typed


_SPLITTERS = {
    "uitkeringen": _uitkeringen,
    "verzuim": _verzuim,
    "leerplichtigen": _leerplichtigen,
    "incidenten": _incidenten,
    "pc6_buurt": _pc6_buurt,
}


def split_delivery(delivery: DeliveryFile, gemeente: str) -> CheckedDelivery:
    """Apply the source's contract to every row: typed accepted rows and quarantined rows.

    `gemeente` is the configured gemeente ('GM1916'): leerplichtigen areas of other gemeenten
    are quarantined; pc6 rows of other gemeenten are kept (a national file is normal)."""
    source = delivery.source
    if source not in SOURCES:
        raise ValueError(f"unknown municipal source {source!r}")
    gm = _gemeente_digits(gemeente)
    frame = delivery.frame.reset_index(drop=True)
    width = len([c for c in frame.columns if c not in (LINE_COLUMN, FIELDS_COLUMN)])
    rules = _Rules(len(frame))
    _field_count(rules, frame, width)
    typed = _SPLITTERS[source](delivery, frame, rules, gm)
    ok = rules.ok
    file = str(delivery.path)
    typed = typed.reset_index(drop=True)
    typed[LINE_COLUMN] = typed[LINE_COLUMN].astype("int64")
    # Without a quarantined row, the accepted rows are the typed ones (no copy); the file
    # and period columns are made for the accepted rows only.
    rows = slice(None) if ok.all() else ok
    columns = list(ACCEPTED_COLUMNS[source])
    accepted = typed.loc[rows, [c for c in columns if c not in ("file", "period")]]
    del typed
    accepted = accepted.reset_index(drop=True)
    accepted["file"] = pd.Series(file, index=accepted.index, dtype="str")
    accepted["period"] = pd.Series(delivery.period, index=accepted.index, dtype="str")
    accepted = accepted[columns]
    bad = ~ok
    quarantine = pd.DataFrame(
        {
            "file": pd.Series([file] * int(bad.sum()), dtype="str"),
            "line": frame[LINE_COLUMN].to_numpy(dtype="int64")[bad],
            "column": pd.Series(rules.column[bad], dtype="str"),
            "reason": pd.Series(rules.reason[bad], dtype="str"),
            "value": offending_values(frame, np.flatnonzero(bad), rules.column[bad]),
        },
        columns=list(QUARANTINE_COLUMNS),
    )
    checked = CheckedDelivery(
        source=source,
        path=delivery.path,
        period=delivery.period,
        sha256=delivery.sha256,
        rows_read=delivery.rows_read,
        accepted=accepted,
        quarantine=quarantine,
    )
    assert checked.rows_read == checked.rows_accepted + checked.rows_quarantined, (
        f"{file}: {checked.rows_read} rows read but {checked.rows_accepted} accepted + "
        f"{checked.rows_quarantined} quarantined"
    )
    return checked


# --------------------------------------------------------------------------- GX


def municipal_expectations(source: str) -> list:
    """The GX expectations on the accepted rows of `source` (one or more files stacked).

    Fresh objects on every call: GX will not add one expectation object to two suites."""
    import great_expectations.expectations as gxe

    if source not in SOURCES:
        raise ValueError(f"unknown municipal source {source!r}")
    exps: list = [gxe.ExpectColumnToExist(column=c) for c in ACCEPTED_COLUMNS[source]]

    def not_null(*columns: str) -> None:
        exps.extend(gxe.ExpectColumnValuesToNotBeNull(column=c) for c in columns)

    not_null("file", "line", "period")
    if source in ("uitkeringen", "verzuim", "pc6_buurt"):
        exps.append(gxe.ExpectColumnValuesToMatchRegex(column="postcode", regex=POSTCODE))
        exps.append(gxe.ExpectColumnValuesToBeBetween(column="huisnummer", min_value=1))
    if source == "uitkeringen":
        not_null("peildatum", "client_id", "geboortejaar", "regeling", "ingangsdatum")
        exps += [
            gxe.ExpectColumnValuesToBeInSet(column="regeling", value_set=list(REGELINGEN)),
            gxe.ExpectColumnValuesToBeInSet(column="reden_einde", value_set=list(REDENEN_EINDE)),
            gxe.ExpectColumnValuesToBeBetween(
                column="geboortejaar", min_value=MIN_BIRTH_YEAR, max_value=2100
            ),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="peildatum",
                column_B="ingangsdatum",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="einddatum",
                column_B="ingangsdatum",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=["file", "client_id", "regeling", "ingangsdatum"]
            ),
        ]
    elif source == "verzuim":
        not_null(
            "schooljaar_start",
            "melding_id",
            "leerling_id",
            "geboortedatum",
            "meldingsdatum",
            "soort_verzuim",
        )
        exps += [
            gxe.ExpectColumnValuesToBeInSet(
                column="soort_verzuim", value_set=list(SOORTEN_VERZUIM)
            ),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="meldingsdatum",
                column_B="geboortedatum",
                ignore_row_if="either_value_is_missing",
            ),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["file", "melding_id"]),
        ]
    elif source == "leerplichtigen":
        not_null("schooljaar_start", "gebied_code", "aantal")
        exps += [
            gxe.ExpectColumnValuesToMatchRegex(column="gebied_code", regex=GEBIED_CODE),
            gxe.ExpectColumnValuesToBeBetween(column="aantal", min_value=0),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["file", "gebied_code"]),
        ]
    elif source == "incidenten":
        not_null("incident_id", "datum", "categorie")
        exps += [
            gxe.ExpectColumnValuesToMatchRegex(column="categorie", regex=CATEGORIE),
            gxe.ExpectColumnValuesToMatchRegex(column="buurtcode", regex=BUURT_CODE),
            gxe.ExpectColumnValuesToBeBetween(column="lat", min_value=LAT[0], max_value=LAT[1]),
            gxe.ExpectColumnValuesToBeBetween(column="lon", min_value=LON[0], max_value=LON[1]),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["file", "incident_id"]),
        ]
    else:  # pc6_buurt
        not_null("year", "postcode", "huisnummer", "buurt_code", "wijk_code", "gemeente_code")
        exps += [
            gxe.ExpectColumnValuesToMatchRegex(column="buurt_code", regex=BUURT_CODE),
            gxe.ExpectColumnValuesToMatchRegex(column="wijk_code", regex=WIJK_CODE),
            gxe.ExpectColumnValuesToMatchRegex(column="gemeente_code", regex=GEMEENTE_CODE),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["file", "postcode", "huisnummer"]),
        ]
    return exps


def municipal_suite(
    source: str, accepted: pd.DataFrame, where: list[str] | None = None
) -> SuiteOutcome:
    """Run the source's expectations on accepted rows; `where` labels each row's input (by
    default the `file` column), so that a failure names the file.

    Without GX's sample of unexpected values: they are delivered values (a person's number,
    address, birth date), and a failed check's summary reaches the run record of the published
    warehouse (meta_check, meta_run.failed_checks)."""
    if where is None and "file" in accepted.columns:
        where = [Path(f).name for f in accepted["file"]]
    outcome = run_suite(f"municipal_{source}", accepted, municipal_expectations(source), where)
    return replace(outcome, outcomes=[replace(o, sample=[]) for o in outcome.outcomes])


# --------------------------------------------------------------------------- re-deliveries

SHRINK_EXPECTATION = "herlevering_niet_kleiner"
EMPTY_DELIVERY = (
    "0 rows: the file holds only its header; as a re-delivery it would not replace an "
    "earlier file of the same period unless confirmed (see docs/landing.md)"
)


def shrink_outcomes(source: str, refused: Sequence[RefusedReplacement]) -> list[dict]:
    """One failed meta_check row per refused re-delivery, naming both files."""
    return [
        {
            "source": source,
            "suite": r.refused.name,
            "expectation": SHRINK_EXPECTATION,
            "column_name": None,
            "success": False,
            "unexpected_count": r.kept_rows - r.refused_rows,
            "sample": json.dumps(
                {
                    "niet_gebruikt": str(r.refused),
                    "rijen": r.refused_rows,
                    "behouden": str(r.kept),
                    "rijen_behouden": r.kept_rows,
                    "bevestigen_met": confirmation_marker(r.refused).name,
                },
                ensure_ascii=False,
            ),
        }
        for r in refused
    ]


# --------------------------------------------------------------------------- CLI


def validate_delivery_file(path: Path | str, source: str, gemeente: str) -> ValidationReport:
    """`wijkmonitor validate --source <source> PATH`: the contract only (no GX, no geocoding).

    Each quarantined row is one Problem whose `row` is the line number in the file; it shows
    the offending value too (the operator owns the file)."""
    path = Path(path)
    try:
        checked = split_delivery(read_delivery(path, source), gemeente)
    except UnreadableInput as exc:
        return ValidationReport.rejected(source, exc)
    report = ValidationReport.counted(
        source,
        path,
        checked.rows_read,
        checked.rows_accepted,
        problems(checked.quarantine),
    )
    if checked.rows_read == 0:
        report.warnings.append(EMPTY_DELIVERY)
    return report
