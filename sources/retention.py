"""How long the municipality's deliveries are kept (`[privacy] retention_years`).

A delivery file in `<landing>/<source>/` whose period ended more than `retention_years` years
before the current year is removed from the landing folder, and with it its rows: the raw rows
(restricted store) are rebuilt from the landing folder on every build. Every removal is named
in the build's warnings and logged.

Only the municipality's own deliveries of person-level records (`RETAINED_SOURCES`): never the
CBS snapshots, the CBS boundaries or the CBS postcode-huisnummer crosswalk (`pc6_buurt`: public
CBS data, no persons), which other years' placements use. `retention_years = 0` keeps all.

The year a period counts for is its last: `2023-12` -> 2023, school year `2022-2023` -> 2023.
With retention_years = N, a delivery is kept while that year >= current year - N.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from checks.deliveries import DECLARATIONS
from sources.delivery import delivery_period, find_deliveries

log = logging.getLogger(__name__)

# The declarations say which sources are person-level records under retention (the CBS
# crosswalk lands with the deliveries but holds no persons: it is not removed).
RETAINED_SOURCES: tuple[str, ...] = tuple(s for s, d in DECLARATIONS.items() if d.retained)


@dataclass(frozen=True)
class Removed:
    path: Path
    period: str

    def message(self, retention_years: int) -> str:
        return (
            f"{self.path}: removed by [privacy] retention_years = {retention_years} "
            f"(period {self.period} is older than {retention_years} years)"
        )


def last_year(period: str) -> int:
    """`2023-12` -> 2023, `2022-2023` -> 2023, `2023` -> 2023."""
    head, _, tail = period.partition("-")
    return int(tail) if len(tail) == 4 else int(head)


def expired(folder: Path, source: str, retention_years: int, today: date) -> list[Removed]:
    """The delivery files of `source` in `folder` past their retention (nothing removed)."""
    if source not in RETAINED_SOURCES:
        raise ValueError(f"{source!r} is not a municipal delivery kept under retention")
    if retention_years <= 0 or not folder.is_dir():
        return []
    found = find_deliveries(folder, source)
    files = [*found.current, *(old for old, _ in found.superseded)]
    out = []
    for path in files:
        period = delivery_period(path, source)
        if last_year(period) < today.year - retention_years:
            out.append(Removed(path, period))
    return sorted(out, key=lambda r: r.path.name)


def sources_past_retention(
    landing: Path, retention_years: int, today: date | None = None
) -> list[str]:
    """The delivery sources with a file past retention (nothing removed): an incremental
    build recomputes their assets, which remove the files, even when nothing else changed."""
    today = today or date.today()
    return [s for s in RETAINED_SOURCES if expired(landing / s, s, retention_years, today)]


def apply_retention(
    folder: Path, source: str, retention_years: int, today: date | None = None
) -> list[str]:
    """Remove the expired delivery files of `source` from `folder`; one message per file
    removed (for the build's warnings), each also logged."""
    messages = []
    for r in expired(folder, source, retention_years, today or date.today()):
        r.path.unlink()
        messages.append(r.message(retention_years))
        log.warning(messages[-1])
    return messages
