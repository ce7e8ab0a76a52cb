"""The project's configuration (`wijkmonitor.toml`): loaded, validated and typed in one place.

Every layer may import this module; it knows nothing of the layers themselves.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks.deliveries import DECLARATIONS

# Table ids of "Kerncijfers wijken en buurten" per year (sources.md section 1a).
KERNCIJFERS_TABLES: dict[int, str] = {
    2017: "83765NED",
    2018: "84286NED",
    2019: "84583NED",
    2020: "84799NED",
    2021: "85039NED",
    2022: "85318NED",
    2023: "85618NED",
    2024: "85984NED",
}

# The municipality's own deliveries: one landing folder each (sources.md section 4), one
# declaration each (checks/deliveries/<source>.py).
DELIVERY_SOURCES: tuple[str, ...] = tuple(DECLARATIONS)

GEMEENTE_CODE = re.compile(r"^GM\d{4}$")
AREA_CODE = re.compile(r"^(?:NL00|GM\d{4}|WK\d{4}[0-9A-Z]{2}|BU\d{4}[0-9A-Z]{4})$")


class ConfigError(ValueError):
    """The config file is missing, unreadable or does not follow the schema."""


DEFAULT_PUBLISHED_MODE = 0o640


@dataclass(frozen=True)
class Paths:
    """Where the three data zones live (design.md, "Data zones on disk").

    `landing` and `restricted` hold person-level data: owner-only. `warehouse` is the
    published file analysts open, written with `published_mode` (default 0640: owner and
    the analysts' group)."""

    landing: Path
    warehouse: Path
    restricted: Path
    published_mode: int = DEFAULT_PUBLISHED_MODE

    @property
    def restricted_store(self) -> Path:
        """The restricted DuckDB file: person-level rows, unprotected figures, audit."""
        return self.restricted / "restricted.duckdb"


@dataclass(frozen=True)
class CbsSettings:
    opendata_url: str = "https://opendata.cbs.nl/ODataApi/odata"
    dataderden_url: str = "https://dataderden.cbs.nl/ODataApi/odata"
    politie_table: str = "47022NED"  # registered crime per wijk/buurt per month (dataderden)
    kerncijfers_tables: dict[int, str] = field(default_factory=lambda: dict(KERNCIJFERS_TABLES))
    timeout_seconds: float = 60.0
    retries: int = 4
    backoff_seconds: float = 2.0


# The lowest `[disclosure] min_count` accepted: below it disclosure control is in effect off
# (0 publishes every count), while the export's own check, using the same number, still passes.
MIN_COUNT_FLOOR = 5


@dataclass(frozen=True)
class Disclosure:
    min_count: int = 10
    # The narrowest range a hidden count may be pinned down to from what is published
    # (interval audit); None in the file: min_count.
    protection_interval: int = 10


@dataclass(frozen=True)
class Privacy:
    """How long municipal deliveries are kept: 0 keeps every delivery."""

    retention_years: int = 0


@dataclass(frozen=True)
class Notify:
    """Where to report runs; off while webhook_url is empty."""

    webhook_url: str = ""
    on: str = "failure"  # failure | always

    @property
    def enabled(self) -> bool:
        return bool(self.webhook_url)


@dataclass(frozen=True)
class AreaSettings:
    """The reference geography: every series is shown on the areas of this year."""

    reference_year: int


@dataclass(frozen=True)
class Deliveries:
    """How re-deliveries of the municipality's files are taken."""

    # A re-delivery with no rows, or that lost more than this fraction of the rows of the
    # file it replaces, is not taken until confirmed (docs/landing.md).
    max_shrink: float = 0.5


@dataclass(frozen=True)
class OwnArea:
    """A programme or focus area: a set of CBS buurt/wijk codes, or a polygon of its own."""

    code: str
    name: str
    areas: tuple[str, ...] = ()
    polygon: Path | None = None


@dataclass(frozen=True)
class Target:
    indicator: str
    area: str
    change_pct: float
    by_year: int


@dataclass(frozen=True)
class Config:
    path: Path
    gemeente: str
    years: tuple[int, ...]
    baseline_year: int
    paths: Paths
    cbs: CbsSettings
    disclosure: Disclosure
    programme_area: OwnArea
    focus_areas: tuple[OwnArea, ...]
    targets: tuple[Target, ...]
    notify: Notify = Notify()
    privacy: Privacy = Privacy()
    deliveries: Deliveries = Deliveries()
    areas: AreaSettings | None = None  # None: the last configured year

    @property
    def reference_year(self) -> int:
        return self.areas.reference_year if self.areas else max(self.years)

    @property
    def gemeente_digits(self) -> str:
        return self.gemeente[2:]

    @property
    def own_areas(self) -> tuple[OwnArea, ...]:
        return (self.programme_area, *self.focus_areas)

    def table_for_year(self, year: int) -> str | None:
        return self.cbs.kerncijfers_tables.get(year)


# --- schema -------------------------------------------------------------------------------
# Each section: key -> (type check, description used in error messages, required?)

_Spec = dict[str, tuple[type | tuple[type, ...], str, bool]]

_TOP: _Spec = {
    "gemeente": (str, "a CBS gemeente code like 'GM1916'", True),
    "years": (list, "a list of years", True),
    "baseline_year": (int, "a year", True),
    "paths": (dict, "a table", True),
    "cbs": (dict, "a table", False),
    "disclosure": (dict, "a table", False),
    "programme_area": (dict, "a table", True),
    "focus_areas": (list, "an array of tables ([[focus_areas]])", False),
    "targets": (list, "an array of tables ([[targets]])", False),
    "notify": (dict, "a table", False),
    "privacy": (dict, "a table", False),
    "areas": (dict, "a table", False),
    "deliveries": (dict, "a table", False),
}
_PRIVACY: _Spec = {
    "retention_years": (int, "a whole number of years (0: keep every delivery)", False),
}
_AREAS: _Spec = {
    "reference_year": (int, "a year (one of 'years')", False),
}
_DELIVERIES: _Spec = {
    "max_shrink": ((int, float), "a fraction between 0 and 1 (0.5: half the rows)", False),
}
_NOTIFY: _Spec = {
    "webhook_url": (str, "a URL (empty: off)", False),
    "on": (str, "'failure' or 'always'", False),
}
_PATHS: _Spec = {
    "landing": (str, "a path", True),
    "warehouse": (str, "a path", True),
    "restricted": (str, "a path to a folder", False),
    "published_mode": (str, "an octal file mode like '0640'", False),
}
_CBS: _Spec = {
    "opendata_url": (str, "a URL", False),
    "dataderden_url": (str, "a URL", False),
    "politie_table": (str, "a StatLine table id like '47022NED'", False),
    "kerncijfers_tables": (dict, "a table of year = table id", False),
    "timeout_seconds": ((int, float), "a number of seconds", False),
    "retries": (int, "a whole number", False),
    "backoff_seconds": ((int, float), "a number of seconds", False),
}
_DISCLOSURE: _Spec = {
    "min_count": (int, "a whole number", False),
    "protection_interval": (int, "a whole number", False),
}
_AREA: _Spec = {
    "code": (str, "a short code", True),
    "name": (str, "a name", True),
    "areas": (list, "a list of CBS buurt or wijk codes", False),
    "polygon": (str, "a path to a GeoJSON or GeoPackage polygon", False),
}
_TARGET: _Spec = {
    "indicator": (str, "an indicator id", True),
    "area": (str, "an area code", True),
    "change_pct": ((int, float), "a percentage", True),
    "by_year": (int, "a year", True),
}


def _check_section(file: Path, where: str, raw: Any, spec: _Spec) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: '{where}' must be a table, got {type(raw).__name__}")
    for key in raw:
        if key not in spec:
            known = ", ".join(sorted(spec))
            raise ConfigError(f"{file}: unknown key '{_join(where, key)}' (known here: {known})")
    for key, (kind, what, required) in spec.items():
        if key not in raw:
            if required:
                raise ConfigError(f"{file}: missing required key '{_join(where, key)}'")
            continue
        value = raw[key]
        # bool is an int in Python; a true/false where a number belongs is still a wrong type.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise ConfigError(
                f"{file}: '{_join(where, key)}' must be {what}, got {type(value).__name__} {value!r}"
            )
    return raw


def _disclosure(file: Path, disc: dict[str, Any]) -> Disclosure:
    min_count = disc.get("min_count", Disclosure.min_count)
    interval = disc.get("protection_interval", min_count)
    if interval < 1:
        raise ConfigError(
            f"{file}: 'disclosure.protection_interval' must be at least 1, got {interval}"
        )
    return Disclosure(min_count=min_count, protection_interval=interval)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def _own_area(file: Path, where: str, raw: Any, base: Path) -> OwnArea:
    sec = _check_section(file, where, raw, _AREA)
    areas = tuple(sec.get("areas", ()))
    for code in areas:
        if not isinstance(code, str) or not AREA_CODE.match(code) or code[:2] not in ("WK", "BU"):
            raise ConfigError(
                f"{file}: '{where}.areas' holds {code!r}, which is not a CBS wijk or buurt code"
            )
    polygon = sec.get("polygon")
    if bool(areas) == bool(polygon):
        raise ConfigError(f"{file}: '{where}' needs exactly one of 'areas' or 'polygon'")
    return OwnArea(
        code=sec["code"],
        name=sec["name"],
        areas=areas,
        polygon=_resolve(base, polygon) if polygon else None,
    )


def _paths(file: Path, base: Path, paths: dict[str, Any]) -> Paths:
    landing = _resolve(base, paths["landing"])
    warehouse = _resolve(base, paths["warehouse"])
    # Default: a folder `restricted` beside the published file (data/restricted/ for the
    # shipped config), so a config that names only the warehouse keeps the zones apart.
    restricted = (
        _resolve(base, paths["restricted"])
        if "restricted" in paths
        else warehouse.parent / "restricted"
    )
    if restricted == warehouse.parent or warehouse.is_relative_to(restricted):
        raise ConfigError(
            f"{file}: 'paths.restricted' ({restricted}) must be a folder of its own, not the "
            f"folder of the published warehouse ({warehouse.parent})"
        )
    text = paths.get("published_mode", f"{DEFAULT_PUBLISHED_MODE:04o}")
    if not re.fullmatch(r"0?[0-7]{3}", text.strip()):
        raise ConfigError(
            f"{file}: 'paths.published_mode' must be an octal file mode like '0640', got {text!r}"
        )
    mode = int(text, 8)
    if mode & 0o133 or not mode & 0o400:
        raise ConfigError(
            f"{file}: 'paths.published_mode' {text!r} is not allowed: the owner must be able "
            "to read the file, and nobody may execute it or, besides the owner, write it "
            "(e.g. '0640' for the analysts' group, '0644' for every user of the machine)"
        )
    return Paths(landing=landing, warehouse=warehouse, restricted=restricted, published_mode=mode)


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError naming the file and the problem."""
    file = Path(path).resolve()
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    base = file.parent
    top = _check_section(file, "", raw, _TOP)

    gemeente = top["gemeente"]
    if not GEMEENTE_CODE.match(gemeente):
        raise ConfigError(f"{file}: 'gemeente' must look like 'GM1916', got {gemeente!r}")
    years = top["years"]
    if not years or not all(isinstance(y, int) and not isinstance(y, bool) for y in years):
        raise ConfigError(f"{file}: 'years' must be a non-empty list of whole years, got {years!r}")
    if top["baseline_year"] not in years:
        raise ConfigError(f"{file}: 'baseline_year' {top['baseline_year']} is not one of 'years'")

    paths = _check_section(file, "paths", top["paths"], _PATHS)
    cbs_raw = _check_section(file, "cbs", top.get("cbs", {}), _CBS)
    tables = dict(KERNCIJFERS_TABLES)
    for year, table in cbs_raw.get("kerncijfers_tables", {}).items():
        if not (year.isdigit() and isinstance(table, str)):
            raise ConfigError(
                f"{file}: 'cbs.kerncijfers_tables' maps a year to a table id, got {year} = {table!r}"
            )
        tables[int(year)] = table
    cbs = CbsSettings(
        opendata_url=cbs_raw.get("opendata_url", CbsSettings.opendata_url).rstrip("/"),
        dataderden_url=cbs_raw.get("dataderden_url", CbsSettings.dataderden_url).rstrip("/"),
        politie_table=cbs_raw.get("politie_table", CbsSettings.politie_table),
        kerncijfers_tables=tables,
        timeout_seconds=float(cbs_raw.get("timeout_seconds", CbsSettings.timeout_seconds)),
        retries=cbs_raw.get("retries", CbsSettings.retries),
        backoff_seconds=float(cbs_raw.get("backoff_seconds", CbsSettings.backoff_seconds)),
    )
    disc = _check_section(file, "disclosure", top.get("disclosure", {}), _DISCLOSURE)
    min_count = disc.get("min_count", Disclosure.min_count)
    if min_count < MIN_COUNT_FLOOR:
        raise ConfigError(
            f"{file}: 'disclosure.min_count' is {min_count}, but must be at least "
            f"{MIN_COUNT_FLOOR}: counts of fewer persons than min_count are not published, and a "
            f"lower threshold would publish counts small enough to point at persons"
        )
    privacy = _check_section(file, "privacy", top.get("privacy", {}), _PRIVACY)
    retention = privacy.get("retention_years", Privacy.retention_years)
    if retention < 0:
        raise ConfigError(
            f"{file}: 'privacy.retention_years' is {retention}, but must be 0 (keep every "
            "delivery) or a positive number of years"
        )

    programme = _own_area(file, "programme_area", top["programme_area"], base)
    focus = tuple(
        _own_area(file, f"focus_areas[{i}]", fa, base)
        for i, fa in enumerate(top.get("focus_areas", []))
    )
    codes = [a.code for a in (programme, *focus)]
    if len(set(codes)) != len(codes):
        raise ConfigError(f"{file}: programme and focus area codes must be unique, got {codes}")
    targets = []
    for i, t in enumerate(top.get("targets", [])):
        sec = _check_section(file, f"targets[{i}]", t, _TARGET)
        targets.append(
            Target(sec["indicator"], sec["area"], float(sec["change_pct"]), sec["by_year"])
        )

    notify_raw = _check_section(file, "notify", top.get("notify", {}), _NOTIFY)
    notify = Notify(**notify_raw)
    if notify.on not in ("failure", "always"):
        raise ConfigError(f"{file}: 'notify.on' must be 'failure' or 'always', got {notify.on!r}")

    areas_raw = _check_section(file, "areas", top.get("areas", {}), _AREAS)
    reference = areas_raw.get("reference_year", max(years))
    if reference not in years:
        raise ConfigError(f"{file}: 'areas.reference_year' {reference} is not one of 'years'")
    deliveries_raw = _check_section(file, "deliveries", top.get("deliveries", {}), _DELIVERIES)
    max_shrink = float(deliveries_raw.get("max_shrink", Deliveries.max_shrink))
    if not 0 <= max_shrink <= 1:
        raise ConfigError(
            f"{file}: 'deliveries.max_shrink' must be a fraction between 0 and 1, got {max_shrink}"
        )

    return Config(
        path=file,
        gemeente=gemeente,
        years=tuple(sorted(set(years))),
        baseline_year=top["baseline_year"],
        paths=_paths(file, base, paths),
        cbs=cbs,
        disclosure=_disclosure(file, disc),
        programme_area=programme,
        focus_areas=focus,
        targets=tuple(targets),
        notify=notify,
        privacy=Privacy(retention_years=retention),
        areas=AreaSettings(reference_year=reference),
        deliveries=Deliveries(max_shrink=max_shrink),
    )
