"""The rule library: every rule kind a delivery declaration (checks/deliveries/) may use,
implemented once, both as a row check (pandas, column-wise) and as the Great Expectations
expectation that the same rule means for accepted rows.

`split_rows` applies a declaration to the rows of one file: each column typed by its type
(`TYPES`), then the implicit rules (field count, required cells), the declared rules in their
order, and the unique key last (among the rows that pass every other rule, so that a row is not
refused for repeating the key of a row that was refused itself). A row gets the first problem
found. `expectation_configs` turns the same declaration into the GX suite as plain data
(type + kwargs, as GX writes a suite to JSON); a rule whose meaning depends on the file (its
period, the configured gemeente) has no expectation: GX sees the accepted rows of all files
stacked.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from checks.deliveries.spec import QUARANTINE_ROW, REJECT_FILE, WARN, Declaration, Rule

LINE_COLUMN = "line"
FIELDS_COLUMN = "_fields"

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

# --------------------------------------------------------------------------- typing


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column stripped, NA for empty; all NA when the file has no such column.

    A column that is already so (most are) is returned as it is, not copied: a large delivery
    would otherwise be held twice."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="str")
    s = frame[column].astype("str")
    values = pa.array(s, from_pandas=True)
    if (
        pc.all(pc.equal(pc.utf8_trim_whitespace(values), values)).as_py() is not False
        and not pc.any(pc.equal(values, "")).as_py()
    ):
        return s
    t = s.str.strip()
    return t.where(t != "")


_DATE_SLICE = 500_000


def dates(s: pd.Series, formats: Sequence[str] = DATE_FORMATS) -> pd.Series:
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


def integers(s: pd.Series) -> pd.Series:
    """Whole numbers as Int64; NA where missing or not a whole number."""
    good = s.str.fullmatch(r"[+-]?[0-9]{1,15}").to_numpy(dtype=bool)
    return _cast(s.where(good), pa.int64(), pd.Int64Dtype())


def numbers(s: pd.Series) -> pd.Series:
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


def postcodes(s: pd.Series) -> pd.Series:
    return s.str.replace(" ", "", regex=False).str.upper()


def area_codes(s: pd.Series, prefix: str, width: int) -> pd.Series:
    """`3630000` -> `BU03630000`, `0363AD03` -> `BU0363AD03`, `BU19160201` kept.

    Only a code without its prefix is padded: that is the CBS file's number that lost its
    leading zeros; a prefixed code was written as text and is taken as it is."""
    t = s.str.replace(" ", "", regex=False).str.upper()
    prefixed = t.str.startswith(prefix)
    pad = ~prefixed & t.str.fullmatch(r"[0-9]+") & (t.str.len() < width)
    body = t.where(~pad, _zfill(t, width))
    return body.where(prefixed, prefix + body)


def gebied_codes(s: pd.Series, gemeente_digits: str) -> pd.Series:
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


def gemeente_digits(gemeente: str) -> str:
    digits = gemeente.strip().upper().removeprefix("GM")
    if not re.fullmatch(r"[0-9]{1,4}", digits):
        raise ValueError(f"gemeente {gemeente!r} is not a gemeente code like 'GM1916'")
    return digits.zfill(4)


# Column type -> how a stripped text becomes the typed value (column, gemeente digits).
TYPES: dict[str, Callable] = {
    "text": lambda v, c, gm: v,
    "upper": lambda v, c, gm: v.str.upper(),
    "code": lambda v, c, gm: v.str.upper(),
    "integer": lambda v, c, gm: integers(v),
    "number": lambda v, c, gm: numbers(v),
    "date": lambda v, c, gm: dates(v),
    "datetime": lambda v, c, gm: dates(v, DATETIME_FORMATS),
    "postcode": lambda v, c, gm: postcodes(v),
    "area": lambda v, c, gm: area_codes(v, c.prefix, c.width),
    "gebied": lambda v, c, gm: gebied_codes(v, gm),
}
# Column type -> DuckDB type of the restricted store (and the GX suite's reading of it).
SQL_TYPES = {
    "text": "VARCHAR",
    "upper": "VARCHAR",
    "code": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "postcode": "VARCHAR",
    "area": "VARCHAR",
    "gebied": "VARCHAR",
}


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """A file's period: its first day and the first day after it."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp  # exclusive

    @property
    def last_day(self) -> pd.Timestamp:
        return self.end - pd.Timedelta(days=1)


def period_bounds(kind: str, label: str) -> Period:
    if kind == "month":
        first = pd.Timestamp(f"{label}-01")
        return Period(label, first, first + pd.offsets.MonthBegin(1))
    year = int(label[:4])
    if kind == "school_year":
        return Period(label, pd.Timestamp(f"{year}-08-01"), pd.Timestamp(f"{year + 1}-08-01"))
    return Period(label, pd.Timestamp(f"{year}-01-01"), pd.Timestamp(f"{year + 1}-01-01"))


def derived_values(kind: str, period: Period, n: int, index) -> pd.Series:
    if kind == "month_end":
        return pd.Series(period.last_day, index=index).astype("datetime64[us]")
    return pd.Series(pd.array([period.start.year] * n, dtype="Int64"), index=index)


# --------------------------------------------------------------------------- row rules


class Flags:
    """The first reason (and its column) found for each row, and the rows only warned about."""

    def __init__(self, n: int) -> None:
        self.reason = np.full(n, None, dtype=object)
        self.column = np.full(n, None, dtype=object)
        self.warned: dict[str, int] = {}  # reason of a `warn` rule -> rows it was true for
        self.rejected: list[tuple[int, str]] = []  # (line, reason) of a reject-file rule

    @property
    def warnings(self) -> list[str]:
        return [f"{n} rijen: {reason} (rij blijft)" for reason, n in self.warned.items()]

    @property
    def ok(self) -> np.ndarray:
        return pd.isna(self.reason)

    def flag(self, mask, column: str | None, message) -> None:
        """Give rows in `mask` (that have no reason yet) `message`: a text or a Series of texts.

        A message names the column and the rule, never the delivered value: the caller takes
        the value of `column` apart."""
        hit = np.asarray(mask, dtype=bool) & self.ok
        if not hit.any():
            return
        if isinstance(message, pd.Series):
            self.reason[hit] = message.to_numpy(dtype=object)[hit]
        else:
            self.reason[hit] = message
        self.column[hit] = column


@dataclass
class RowContext:
    """What a rule kind sees: stripped texts and typed values by delivered column name."""

    values: dict[str, pd.Series]
    typed: dict[str, pd.Series]
    period: Period
    gemeente_digits: str
    widths: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(next(iter(self.values.values())))


def _b(mask) -> np.ndarray:
    if isinstance(mask, pd.Series):
        return mask.fillna(False).to_numpy(dtype=bool)
    return np.asarray(mask, dtype=bool)


def _valid(r: Rule, x: RowContext):
    return x.values[r.column].notna() & x.typed[r.column].isna().to_numpy(dtype=bool)


def _positive(r: Rule, x: RowContext):
    return x.values[r.column].notna() & ~(x.typed[r.column].fillna(0) > 0).to_numpy(dtype=bool)


def _matches(r: Rule, x: RowContext):
    s = x.values[r.column] if r.params.get("on_text") else x.typed[r.column]
    return s.notna() & ~s.str.fullmatch(r.params["regex"])


def _in_codes(r: Rule, x: RowContext, codes: Sequence[str]):
    s = x.typed[r.column]
    return s.notna() & ~s.isin(codes)


def _between(r: Rule, x: RowContext):
    s = x.typed[r.column]
    out = np.zeros(x.n, dtype=bool)
    if "min" in r.params:
        out |= _b(s < r.params["min"])
    if "max" in r.params:
        out |= _b(s > r.params["max"])
    return out


def _period_reference(s: pd.Series, when: pd.Timestamp):
    return when.year if pd.api.types.is_integer_dtype(s.dtype) else when


def _after_period_end(r: Rule, x: RowContext):
    s = x.typed[r.column]
    if pd.api.types.is_integer_dtype(s.dtype):
        return _b(s > x.period.last_day.year)
    return _b(s >= x.period.end)  # a date-time on the last day is within the period


def _before_period_start(r: Rule, x: RowContext):
    s = x.typed[r.column]
    return _b(s < _period_reference(s, x.period.start))


def _within_period(r: Rule, x: RowContext):
    s = x.typed[r.column]
    return _b((s < x.period.start) | (s >= x.period.end))


def _not_before(r: Rule, x: RowContext):
    later, earlier = x.typed[r.params["later"]], x.typed[r.params["earlier"]]
    if r.params.get("by_day"):  # a date against a date-time of the same day is not before it
        later, earlier = later.dt.normalize(), earlier.dt.normalize()
    return _b(later < earlier)


def _age_between(r: Rule, x: RowContext):
    born, at = x.typed[r.column], x.typed[r.params["at"]]
    both = (at.notna() & born.notna()).to_numpy(dtype=bool)
    before_birthday = (at.dt.month.fillna(0) < born.dt.month.fillna(0)) | (
        (at.dt.month.fillna(0) == born.dt.month.fillna(0))
        & (at.dt.day.fillna(0) < born.dt.day.fillna(0))
    )
    age = (
        at.dt.year.fillna(0) - born.dt.year.fillna(0) - before_birthday.astype("int64")
    ).to_numpy(dtype="int64")
    return both & ((age < r.params["min"]) | (age > r.params["max"]))


def _one_of(r: Rule, x: RowContext):
    usable = np.zeros(x.n, dtype=bool)
    for group in r.params["groups"]:
        have = np.ones(x.n, dtype=bool)
        for column in group:
            have &= x.typed[column].notna().to_numpy(dtype=bool)
        usable |= have
    return ~usable


def _own_gemeente(r: Rule, x: RowContext):
    s = x.typed[r.column]
    return s.notna() & (s.str.slice(2, 6) != x.gemeente_digits)


def _nested(r: Rule, x: RowContext):
    inner, outer = x.typed[r.params["inner"]], x.typed[r.params["outer"]]
    width = x.widths[r.params["outer"]]
    return (inner.str.slice(2, 2 + width) != outer.str.slice(2)).to_numpy(dtype=bool)


def _required_when(r: Rule, x: RowContext):
    when = x.typed[r.params["when"]]
    return _b(when == r.params["equals"]) & x.values[r.column].isna().to_numpy(dtype=bool)


def _not_after(r: Rule, x: RowContext):
    return _b(x.typed[r.column] > x.typed[r.params["than"]])


def _check_kinds() -> dict[str, Callable]:
    return {
        "valid": _valid,
        "positive": _positive,
        "matches": _matches,
        "between": _between,
        "after_period_end": _after_period_end,
        "before_period_start": _before_period_start,
        "within_period": _within_period,
        "not_before": _not_before,
        "not_after": _not_after,
        "age_between": _age_between,
        "one_of": _one_of,
        "own_gemeente": _own_gemeente,
        "nested": _nested,
        "required_when": _required_when,
    }


KINDS = {*_check_kinds(), "in_codes"}


def _field_count(flags: Flags, frame: pd.DataFrame, width: int) -> None:
    fields = frame[FIELDS_COLUMN].to_numpy()
    wrong = fields != width
    if wrong.any():
        message = pd.Series(np.full(len(fields), None, dtype=object))
        message[wrong] = [
            f"verkeerd aantal velden ({f} in plaats van {width})" for f in fields[wrong]
        ]
        flags.flag(wrong, None, message)


def required_reason(column: str) -> str:
    return f"verplicht veld '{column}' is leeg"


def unique_reason(what: str, first_line: int) -> str:
    return f"dubbele {what} (ook op regel {first_line})"


@functools.cache
def _duckdb() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per process for the key checks (opening one costs ~20 ms, a
    cursor on it ~0.1 ms; a build checks hundreds of files)."""
    return duckdb.connect()


def repeated_keys(rows: pd.DataFrame | pa.Table, keys: Sequence[str]) -> pd.Series:
    """The rows (by `line`) whose key an earlier line already has (an empty key equals an
    empty key), each with the line of the first row with that key; ordered by line. In
    DuckDB: pandas would hold every text key as a Python object."""
    con = _duckdb().cursor()  # a cursor of one in-memory database: no start-up per file
    try:
        con.register("keyed", rows)
        by = ", ".join(f'"{k}"' for k in keys)
        found = con.execute(
            f"SELECT line, first_line FROM (SELECT {LINE_COLUMN} AS line, "
            f"min({LINE_COLUMN}) OVER (PARTITION BY {by}) AS first_line FROM keyed) "
            "WHERE line <> first_line ORDER BY line"
        ).fetchnumpy()
    finally:
        con.close()
    return pd.Series(
        np.asarray(found["first_line"], dtype="int64"),
        index=np.asarray(found["line"], dtype="int64"),
    )


def _unique(flags: Flags, typed: pd.DataFrame, keys: list[str], what: str, column) -> None:
    """Second and later rows with the same key (among rows otherwise fine) are quarantined."""
    ok = flags.ok
    if not ok.any():
        return
    later = repeated_keys(typed.loc[ok, [*keys, LINE_COLUMN]], keys)
    if not len(later):
        return
    lines = typed[LINE_COLUMN].to_numpy(dtype="int64")
    mask = ok & np.isin(lines, later.index.to_numpy())
    message = pd.Series(np.full(len(typed), None, dtype=object))
    message[mask] = [unique_reason(what, n) for n in later.reindex(lines[mask]).to_numpy()]
    flags.flag(mask, column, message)


def unique_column(d: Declaration) -> str | None:
    """The delivered column a repeated key is reported on: its only column, else none."""
    if d.unique is None:
        return None
    delivered = [c.name for c in d.columns if c.accepted in d.unique.keys]
    return delivered[0] if len(d.unique.keys) == 1 else None


def _apply(flags: Flags, rule: Rule, mask, period: str, lines: np.ndarray) -> None:
    reason = rule.reason.format(period=period)
    mask = np.asarray(mask, dtype=bool)
    if rule.severity == QUARANTINE_ROW:
        flags.flag(mask, rule.column, reason)
        return
    hit = mask & flags.ok
    if not hit.any():
        return
    if rule.severity == WARN:
        flags.warned[reason] = flags.warned.get(reason, 0) + int(hit.sum())
    elif rule.severity == REJECT_FILE:
        flags.rejected.append((int(lines[hit][0]), reason))


def split_rows(
    declaration: Declaration,
    frame: pd.DataFrame,
    period_label: str,
    gemeente: str,
    unique: bool = True,
) -> tuple[pd.DataFrame, Flags]:
    """The typed rows (accepted names, plus `line`) and the flags of every row of one file.

    With `unique=False` the unique key is left out: the caller checks it over all pieces of a
    file read in pieces (it comes last, among the rows that pass every other rule)."""
    d = declaration
    gm = gemeente_digits(gemeente)
    period = period_bounds(d.period, period_label)
    width = len([c for c in frame.columns if c not in (LINE_COLUMN, FIELDS_COLUMN)])
    flags = Flags(len(frame))
    _field_count(flags, frame, width)
    values = {c.name: text(frame, c.name) for c in d.columns}
    for column in d.required:
        flags.flag(values[column].isna(), column, required_reason(column))
    typed = {c.name: TYPES[c.type](values[c.name], c, gm) for c in d.columns}
    context = RowContext(values, typed, period, gm, {c.name: c.width for c in d.columns})
    kinds = _check_kinds()
    lines = frame[LINE_COLUMN].to_numpy(dtype="int64")
    for rule in d.rules:
        if rule.kind == "in_codes":
            mask = _in_codes(rule, context, d.column(rule.column).codes)
        else:
            mask = kinds[rule.kind](rule, context)
        _apply(flags, rule, _b(mask), period_label, lines)
    out = pd.DataFrame(
        {
            **{x.name: derived_values(x.kind, period, len(frame), frame.index) for x in d.derived},
            **{c.accepted: typed[c.name] for c in d.columns},
        },
        index=frame.index,
    )
    out[LINE_COLUMN] = frame[LINE_COLUMN]
    if unique and d.unique is not None:
        _unique(flags, out, list(d.unique.keys), d.unique.what, unique_column(d))
    return out, flags


# --------------------------------------------------------------------------- GX


def _anchored(regex: str) -> str:
    return f"^(?:{regex})$"


def _rule_expectations(d: Declaration, rule: Rule) -> list[dict]:
    """The expectation(s) one rule means for accepted rows; none for a rule that depends on
    the file (its period, the gemeente) or only on the delivered text."""
    if rule.severity != QUARANTINE_ROW:
        return []
    p = rule.params
    col = d.column(rule.column).accepted if rule.column and "," not in rule.column else None
    if rule.kind == "matches" and not p.get("on_text"):
        return [_e("expect_column_values_to_match_regex", column=col, regex=_anchored(p["regex"]))]
    if rule.kind == "in_codes":
        codes = list(d.column(rule.column).codes)
        return [_e("expect_column_values_to_be_in_set", column=col, value_set=codes)]
    if rule.kind == "between":
        bounds = {f"{k}_value": p[k] for k in ("min", "max") if k in p}
        return [_e("expect_column_values_to_be_between", column=col, **bounds)]
    if rule.kind == "positive":
        return [_e("expect_column_values_to_be_between", column=col, min_value=1)]
    if rule.kind in ("not_before", "not_after") and not p.get("by_day"):
        a, b = (p["later"], p["earlier"]) if rule.kind == "not_before" else (p["than"], col)
        return [
            _e(
                "expect_column_pair_values_a_to_be_greater_than_b",
                column_A=d.column(a).accepted,
                column_B=d.column(b).accepted,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
        ]
    return []


def _e(kind: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs}


def expectation_configs(d: Declaration) -> list[dict]:
    """The GX suite of a declaration as data: every accepted column exists; file, line, period,
    the derived and the required columns are never null; then one expectation per rule that
    has one (in the rules' order); the unique key per file."""
    out = [_e("expect_column_to_exist", column=c) for c in d.accepted_columns]
    not_null = ["file", "line", "period", *(x.name for x in d.derived)]
    not_null += [d.column(c).accepted for c in d.required]
    out += [_e("expect_column_values_to_not_be_null", column=c) for c in not_null]
    for rule in d.rules:
        out += _rule_expectations(d, rule)
    if d.unique is not None:
        keys = ["file", *d.unique.keys]
        out.append(_e("expect_compound_columns_to_be_unique", column_list=keys))
    return out


def gx_expectations(configs: Sequence[dict]) -> list:
    """GX expectation objects from their configs (fresh objects on every call: GX will not
    add one expectation object to two suites)."""
    import great_expectations.expectations as gxe

    def cls(kind: str):
        return getattr(gxe, "".join(part.capitalize() for part in kind.split("_")))

    return [cls(c["type"])(**c["kwargs"]) for c in configs]
