"""The shape of one delivery source's declaration (pure data: no pandas, no GX, no DuckDB).

A municipal delivery source is described ONCE, in `checks/deliveries/<source>.py`, as a
`Declaration`: the file name and its period, the columns (type, required, personal, Dutch
comment, code list), the row rules in the order they are applied (each with its severity and
its Dutch reason), the unique key, how the rows are placed in buurten, and how a re-delivery
replaces an earlier one. Everything else is made from it:

- the reader's header contract (`sources.delivery.COLUMNS`) and period rule;
- the row checks and quarantine reasons (`checks.rules.split_rows`);
- the Great Expectations suite (`checks.rules.expectation_configs`, stored as JSON beside the
  declaration: `checks/deliveries/<source>.gx.json`);
- the `raw.<source>` DDL of the restricted store and the `quarantine_<source>` DDL of the
  published warehouse (`checks.deliveries.ddl`);
- the Dagster assets and checks, `validate --source`'s choices, the contract tables in
  docs/landing.md and the demo generator's columns.

Reasons name the column and the rule, never a delivered value (checks/quarantine.py). A reason
may hold `{period}` (the file's period) and, for `unique`, is the thing that is doubled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# Severities of a rule.
REJECT_FILE = "reject file"  # the whole file is refused (UnreadableInput naming the rule)
QUARANTINE_ROW = "quarantine row"  # the row goes to quarantine_<source> with the reason
WARN = "warn"  # the row is kept; the run's warnings say how many rows and why
SEVERITIES = (REJECT_FILE, QUARANTINE_ROW, WARN)

# Column types: how a delivered text becomes a typed value (checks/rules.py TYPES).
COLUMN_TYPES = (
    "text",  # stripped, NA when empty
    "upper",  # stripped, upper case
    "code",  # upper case, one of `codes` (rule `in_codes`)
    "integer",
    "number",  # decimal comma accepted
    "date",
    "datetime",  # a date or a date-time
    "postcode",  # spaces removed, upper case
    "area",  # a CBS code with `prefix` and `width` digits; a bare number is zero-padded
    "gebied",  # a BU or WK code of the configured gemeente, prefix and zeros optional
)

# Period rules: what the file name (or header) says about the period a file is for.
PERIODS = {
    "month": "<YYYY-MM>",  # uitkeringen_2023-12.csv
    "school_year": "<YYYY-YYYY>",  # verzuim_2022-2023.csv
    "year": "<YYYY>",  # enquete_2023.csv
    "header_year": "",  # pc6: the year of the Buurt<jaar> header column, else any in the name
}

# Columns derived from the period, before the delivered ones in every accepted row.
DERIVED_KINDS = {
    "month_end": "date",  # the last day of the month (peildatum)
    "start_year": "integer",  # the first year of the period (schooljaar_start, year)
}

# How a re-delivery replaces an earlier file.
LATEST_FILE_PER_PERIOD = "latest file per period"
LATEST_DELIVERY_PER_KEY = "latest delivery per key"


def _frozen(params: Mapping | None) -> Mapping:
    return MappingProxyType(dict(params or {}))


@dataclass(frozen=True)
class Column:
    name: str  # as delivered (header names are matched case-insensitively)
    type: str
    comment: str  # Dutch: what the column holds (COMMENT ON COLUMN, docs)
    required: bool = False  # the header must have it (else reject file); empty cell: quarantine
    personal: bool = False  # about a person: never in a GX sample, only in the restricted store
    codes: tuple[str, ...] = ()  # for type 'code'
    prefix: str = ""  # for type 'area'
    width: int = 0  # for type 'area': the digits after the prefix
    accepted_as: str | None = None  # its name in the accepted rows (pc6: 'pc6' -> 'postcode')
    year_suffixed: bool = False  # the header may carry the year: 'Buurt2023' (pc6)

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")
        if (self.type == "code") != bool(self.codes):
            raise ValueError(f"column {self.name}: a code list goes with type 'code'")

    @property
    def accepted(self) -> str:
        return self.accepted_as or self.name


@dataclass(frozen=True)
class Derived:
    """A column of every accepted row that comes from the file's period."""

    name: str
    kind: str  # DERIVED_KINDS
    comment: str

    @property
    def type(self) -> str:
        return DERIVED_KINDS[self.kind]


@dataclass(frozen=True)
class Rule:
    """One row rule: a kind of the rule library (checks/rules.py) with its parameters.

    `column` is the delivered column the reason is about (the quarantine's column; NA for the
    row as a whole); the rule kinds say which parameters they read."""

    kind: str
    column: str | None
    reason: str
    severity: str = QUARANTINE_ROW
    params: Mapping = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.kind}: unknown severity {self.severity!r}")
        object.__setattr__(self, "params", _frozen(self.params))


@dataclass(frozen=True)
class Unique:
    """Rows with the same key (among rows that pass every other rule): the second and later
    are quarantined, `dubbele <what> (ook op regel <n>)`."""

    keys: tuple[str, ...]
    what: str


@dataclass(frozen=True)
class Placement:
    """How the rows are placed in buurten (transforms/geocode.py `place`): by address
    (postcode + huisnummer through the CBS crosswalk), by point (x/y, lat/lon), or by the
    supplier's buurtcode, whichever the row has, in that order. `year_column` picks the
    boundaries and the crosswalk."""

    year_column: str
    by: tuple[str, ...]  # what a row may be placed by: 'adres', 'punt', 'buurtcode'


@dataclass(frozen=True)
class Declaration:
    source: str
    order: int  # position among the sources (assets, CLI, docs)
    description: str  # English: what one file holds (the Dagster asset's description)
    row: str  # English: one row per ...
    period: str  # PERIODS
    columns: tuple[Column, ...]
    restricted_comment: str  # Dutch: COMMENT ON TABLE raw.<source>
    quarantine_comment: str  # Dutch: COMMENT ON TABLE quarantine_<source>
    rules: tuple[Rule, ...] = ()  # in the order they are applied; the first one broken counts
    unique: Unique | None = None
    derived: tuple[Derived, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()  # header: at least one group complete
    placement: Placement | None = None
    replacement: str = LATEST_FILE_PER_PERIOD
    replacement_key: tuple[str, ...] = ()  # LATEST_DELIVERY_PER_KEY: the key
    retained: bool = True  # removed after [privacy] retention_years (person-level records)
    header_aliases: Mapping[str, str] = field(default_factory=dict)  # other names of a column
    file_name: str = ""  # how the files are named, for the docs (default: <source>_<period>)
    crosswalk: bool = False  # the rows are the postcode+huisnummer -> buurt crosswalk
    own_gemeente_column: str | None = None  # restricted store: only rows of our gemeente
    facts_sql: str | None = None  # transforms/sql/<file>: facts straight from the rows
    facts_params: Mapping = field(default_factory=dict)  # bound in facts_sql ($name)
    notes: str = ""  # English, for the docs' contract table

    def __post_init__(self) -> None:
        object.__setattr__(self, "header_aliases", _frozen(self.header_aliases))
        object.__setattr__(self, "facts_params", _frozen(self.facts_params))
        if self.period not in PERIODS:
            raise ValueError(f"{self.source}: unknown period rule {self.period!r}")
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.source}: a column is declared twice")
        for group in self.one_of:
            for name in group:
                if name not in names:
                    raise ValueError(f"{self.source}: one_of names unknown column {name!r}")
        if self.replacement == LATEST_DELIVERY_PER_KEY and not self.replacement_key:
            raise ValueError(f"{self.source}: {LATEST_DELIVERY_PER_KEY} needs replacement_key")

    # -- what the others read

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.source}: no column {name!r}")

    @property
    def known(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def accepted_columns(self) -> tuple[str, ...]:
        """file, line, period, the derived columns, then the delivered ones (accepted names)."""
        return (
            "file",
            "line",
            "period",
            *(d.name for d in self.derived),
            *(c.accepted for c in self.columns),
        )

    @property
    def raw_columns(self) -> tuple[str, ...]:
        """What raw.<source> keeps: the accepted columns and, for placed rows, where."""
        placed = ("buurt_code", "placed_by") if self.placement else ()
        return (*self.accepted_columns, *placed)

    @property
    def personal_columns(self) -> tuple[str, ...]:
        return tuple(c.accepted for c in self.columns if c.personal)

    @property
    def file_pattern(self) -> str:
        if self.file_name:
            return self.file_name
        return f"{self.source}_{PERIODS[self.period]}.csv|xlsx"
