"""The outcome of checking one input against its contract: what `wijkmonitor validate` prints
and what `meta_input` and `quarantine_<source>` store."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

from sources.errors import UnreadableInput


class InputRejected(UnreadableInput):
    """A whole input is unusable (unreadable, wrong format, a required key missing).

    The message always names the file and the problem."""


@dataclass(frozen=True)
class Problem:
    """One finding: a quarantined row, or a value read as NULL, with its reason.

    `row` is where the finding is: the 1-based data row of a CBS reply or kaart file, the line
    number in the file (header = line 1) of a municipal delivery, or None for the file as a
    whole."""

    row: int | None
    column: str | None
    reason: str
    severity: Literal["rejected", "quarantined", "null", "warning"] = "quarantined"
    # The offending delivered value, quoted: shown by `validate` to the operator who owns the
    # file, never stored in the published warehouse (`checks.quarantine`).
    value: str | None = None


@dataclass
class ValidationReport:
    source: str
    path: str
    status: Literal["accepted", "rejected"] = "accepted"
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    problems: list[Problem] = field(default_factory=list)
    # About the input as a whole, not a row: e.g. a file of 0 rows (still accepted).
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        """The `validate --json` object (`warnings` only when there are any)."""
        out = {
            "source": self.source,
            "path": self.path,
            "status": self.status,
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_quarantined": self.rows_quarantined,
            "problems": [
                {
                    k: v
                    for k, v in asdict(p).items()
                    if k in ("row", "column", "reason") or (k == "value" and v is not None)
                }
                for p in self.problems
            ],
        }
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out

    @classmethod
    def counted(
        cls,
        source: str,
        path: object,
        rows_read: int,
        rows_accepted: int,
        problems: Iterable[tuple],
    ) -> ValidationReport:
        """An accepted input with its counts and one (row, column, reason[, value]) per
        quarantined row; rows read = accepted + quarantined."""
        found = [Problem(*p[:3], value=p[3] if len(p) > 3 else None) for p in problems]
        return cls(
            source=source,
            path=str(path),
            rows_read=rows_read,
            rows_accepted=rows_accepted,
            rows_quarantined=len(found),
            problems=found,
        )

    @classmethod
    def rejected(cls, source: str, exc: UnreadableInput) -> ValidationReport:
        return cls(
            source=source,
            path=exc.path,
            status="rejected",
            problems=[Problem(None, None, exc.problem, "rejected")],
        )
