"""The indicator catalogue (`catalogue.toml`): loaded, checked, and turned into the rows of
`dim_indicator` and the formula terms the indicator SQL evaluates."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

CATALOGUE_FILE = Path(__file__).with_name("catalogue.toml")
FORMULAS = {"count", "ratio", "weighted", "municipal", "delivered", "police"}
# Which disclosure control applies (catalogue.toml explains each).
SMALL_COUNTS = "kleine aantallen"
DISCLOSURES = {SMALL_COUNTS, "geen", "enquete"}
STATISTICS = {"count", "median"}
THEMES = {"context", "financien", "leefomgeving", "werk", "school", "veiligheid"}
DIRECTIONS = {"hoger is beter", "lager is beter", "neutraal"}
PERIOD_TYPES = {"kalenderjaar", "schooljaar"}


@dataclass(frozen=True)
class Indicator:
    id: str
    theme: str
    name: str
    definition: str
    unit: str
    numerator: str
    denominator: str
    source: str
    direction: str
    period_type: str
    disclosure_rule: str
    formula: str
    disclosure: str
    numerator_vars: tuple[str, ...] = ()
    denominator_vars: tuple[str, ...] = ()
    variable: str | None = None
    weight_vars: tuple[str, ...] = ()
    crime_codes: tuple[str, ...] = ()  # police: SoortMisdrijf codes added up
    measure: str | None = None  # municipal: what is counted (transforms/municipal.py MEASURES)
    denominator_measure: str | None = None  # municipal: a measure, or "leerplichtigen"
    scale: float = 1.0
    statistic: str = "count"  # municipal: count the measure's units, or their median value
    delivery_source: str | None = None  # delivered: the delivery source that gives the value
    extra: dict = field(default_factory=dict)

    @property
    def from_cbs(self) -> bool:
        return self.formula in ("count", "ratio", "weighted")

    @property
    def assessment_method(self) -> str:
        """How `indicator_assessment` puts an interval around the change (README.md, "Better or worse? The assessment"):
        `rate_ratio` for counts and rates per 1 000 from counts (Poisson, log rate ratio),
        `proportie` for a percentage with its numerator and denominator counts (difference
        of proportions), `geen_interval` for a CBS average or percentage without counts."""
        return assessment_method(self.formula, self.unit)

    def terms(self) -> list[tuple[str, str]]:
        """(role, CBS stem) pairs: num, den, val, w."""
        out = [("num", s) for s in self.numerator_vars]
        out += [("den", s) for s in self.denominator_vars]
        if self.variable:
            out.append(("val", self.variable))
        out += [("w", s) for s in self.weight_vars]
        return out


ASSESSMENT_METHODS = ("rate_ratio", "proportie", "geen_interval")


def assessment_method(formula: str, unit: str) -> str:
    """The assessment method of an indicator from its formula and unit (see Indicator)."""
    if formula == "weighted":
        return "geen_interval"
    if unit.strip() == "%":
        return "proportie"
    return "rate_ratio"


class CatalogueError(ValueError):
    pass


@cache
def load_catalogue(path: Path = CATALOGUE_FILE) -> tuple[Indicator, ...]:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, entry in enumerate(raw.get("indicator", [])):
        where = f"{path}: indicator #{i + 1} ({entry.get('id', '?')})"
        try:
            ind = Indicator(
                **{
                    k: tuple(v) if isinstance(v, list) else v
                    for k, v in entry.items()
                    if k in Indicator.__dataclass_fields__
                }
            )
        except TypeError as exc:
            raise CatalogueError(f"{where}: {exc}") from None
        unknown = set(entry) - set(Indicator.__dataclass_fields__)
        if unknown:
            raise CatalogueError(f"{where}: unknown keys {sorted(unknown)}")
        checks = [
            (ind.formula in FORMULAS, f"formula must be one of {sorted(FORMULAS)}"),
            (ind.theme in THEMES, f"theme must be one of {sorted(THEMES)}"),
            (ind.direction in DIRECTIONS, f"direction must be one of {sorted(DIRECTIONS)}"),
            (ind.disclosure in DISCLOSURES, f"disclosure must be one of {sorted(DISCLOSURES)}"),
            (ind.statistic in STATISTICS, f"statistic must be one of {sorted(STATISTICS)}"),
            (
                ind.formula != "delivered" or bool(ind.delivery_source and ind.measure),
                "delivered needs delivery_source and measure",
            ),
            (ind.period_type in PERIOD_TYPES, f"period_type must be one of {sorted(PERIOD_TYPES)}"),
            (ind.formula != "count" or bool(ind.numerator_vars), "count needs numerator_vars"),
            (
                ind.formula != "ratio" or (bool(ind.numerator_vars) and bool(ind.denominator_vars)),
                "ratio needs numerator_vars and denominator_vars",
            ),
            (
                ind.formula != "weighted" or (bool(ind.variable) and bool(ind.weight_vars)),
                "weighted needs variable and weight_vars",
            ),
            (
                ind.formula != "municipal" or bool(ind.measure),
                "municipal needs measure",
            ),
            (
                ind.formula != "police"
                or (bool(ind.crime_codes) and len(ind.denominator_vars) == 1),
                "police needs crime_codes and one CBS denominator in denominator_vars",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise CatalogueError(f"{where}: {message}")
        out.append(ind)
    ids = [i.id for i in out]
    if len(set(ids)) != len(ids):
        raise CatalogueError(f"{path}: duplicate indicator ids")
    return tuple(out)


def indicator_frame(catalogue: tuple[Indicator, ...]) -> pd.DataFrame:
    """The rows of `dim_indicator`."""
    return pd.DataFrame(
        [
            {
                "indicator_id": i.id,
                "theme": i.theme,
                "name": i.name,
                "definition": i.definition,
                "unit": i.unit,
                "numerator": i.numerator or None,
                "denominator": i.denominator or None,
                "source": i.source,
                "direction": i.direction,
                "period_type": i.period_type,
                "disclosure_rule": i.disclosure_rule,
                "formula": i.formula,
                "disclosure": i.disclosure,
                "cbs_variables": ", ".join(s for _, s in i.terms()) or None,
                "sort_order": n,
                "assessment_method": i.assessment_method,
            }
            for n, i in enumerate(catalogue, start=1)
        ]
    )


def term_frame(catalogue: tuple[Indicator, ...]) -> pd.DataFrame:
    """indicator_id, formula, scale, role, stem: what the indicator SQL evaluates."""
    return pd.DataFrame(
        [
            (i.id, i.formula, float(i.scale), role, stem)
            for i in catalogue
            if i.from_cbs
            for role, stem in i.terms()
        ],
        columns=["indicator_id", "formula", "scale", "role", "stem"],
    )
