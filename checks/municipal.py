"""The municipality's own deliveries (sources.md section 4) through their declarations.

Each source is declared once in `checks/deliveries/<source>.py`; this module applies the
declaration to a file (`split_delivery`) and runs the GX suite generated from it
(`municipal_suite`; the suite is stored beside the declaration as `<source>.gx.json`).

`split_delivery` turns a `DeliveryFile` (every cell text) into typed accepted rows and quarantined
rows. Each quarantined row carries file, line, column, a Dutch reason and the offending value
(`checks.quarantine`): the reason names the column and the rule, never a delivered value (a name
typed in a code column would otherwise reach the published quarantine table); the value is kept
apart, for the restricted store and the operator's `validate`. A row gets the first problem
found, in the order the declaration lists its rules (checks/rules.py).

Whole-file problems (unreadable, missing columns, a `reject file` rule) are `UnreadableInput`;
everything else keeps the accounting rows_read = accepted + quarantined.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from checks.deliveries import DECLARATIONS, declaration
from checks.deliveries.spec import Declaration
from checks.gx import SuiteOutcome, run_suite
from checks.quarantine import QUARANTINE_COLUMNS, offending_values, problems
from checks.report import ValidationReport
from checks.rules import LINE_COLUMN, expectation_configs, gx_expectations, split_rows
from sources.delivery import DeliveryFile, RefusedReplacement, confirmation_marker, read_delivery
from sources.errors import UnreadableInput

# The accepted frame of every source: where each row came from, what the period gives it,
# then the delivered columns in the declaration's order (pc6: renamed to what they mean).
ACCEPTED_COLUMNS: dict[str, tuple[str, ...]] = {
    source: d.accepted_columns for source, d in DECLARATIONS.items()
}
SUITES_DIR = Path(__file__).with_name("deliveries")


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
    warnings: list[str] = field(default_factory=list)  # rules of severity `warn`

    @property
    def rows_accepted(self) -> int:
        return len(self.accepted)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantine)


def split_delivery(delivery: DeliveryFile, gemeente: str) -> CheckedDelivery:
    """Apply the source's declaration to every row: typed accepted rows and quarantined rows.

    `gemeente` is the configured gemeente ('GM1916'), for rules about our own areas."""
    d = declaration(delivery.source)
    frame = delivery.frame.reset_index(drop=True)
    typed, flags = split_rows(d, frame, delivery.period, gemeente)
    if flags.rejected:
        line, reason = flags.rejected[0]
        raise UnreadableInput(delivery.path, f"{reason} (line {line}); the file is not used")
    ok = flags.ok
    file = str(delivery.path)
    typed = typed.reset_index(drop=True)
    typed["file"] = pd.Series(file, index=typed.index, dtype="str")
    typed["period"] = pd.Series(delivery.period, index=typed.index, dtype="str")
    typed[LINE_COLUMN] = typed[LINE_COLUMN].astype("int64")
    accepted = typed.loc[ok, list(d.accepted_columns)].reset_index(drop=True)
    bad = ~ok
    quarantine = pd.DataFrame(
        {
            "file": pd.Series([file] * int(bad.sum()), dtype="str"),
            "line": frame[LINE_COLUMN].to_numpy(dtype="int64")[bad],
            "column": pd.Series(flags.column[bad], dtype="str"),
            "reason": pd.Series(flags.reason[bad], dtype="str"),
            "value": offending_values(frame, np.flatnonzero(bad), flags.column[bad]),
        },
        columns=list(QUARANTINE_COLUMNS),
    )
    checked = CheckedDelivery(
        source=d.source,
        path=delivery.path,
        period=delivery.period,
        sha256=delivery.sha256,
        rows_read=delivery.rows_read,
        accepted=accepted,
        quarantine=quarantine,
        warnings=[f"{file}: {w}" for w in flags.warnings],
    )
    assert checked.rows_read == checked.rows_accepted + checked.rows_quarantined, (
        f"{file}: {checked.rows_read} rows read but {checked.rows_accepted} accepted + "
        f"{checked.rows_quarantined} quarantined"
    )
    return checked


# --------------------------------------------------------------------------- GX


def suite_path(source: str) -> Path:
    return SUITES_DIR / f"{source}.gx.json"


def suite_document(d: Declaration) -> dict:
    """The GX suite of a declaration as it is stored beside it (GX's own JSON shape)."""
    return {
        "name": f"municipal_{d.source}",
        "meta": {"generated_from": f"checks/deliveries/{d.source}.py"},
        "expectations": expectation_configs(d),
    }


def stored_suite(source: str) -> dict:
    """The stored suite (`<source>.gx.json`); the test suite checks it is what the declaration
    makes now (`scripts/generate_deliveries.py` writes it)."""
    return json.loads(suite_path(source).read_text(encoding="utf-8"))


def municipal_expectations(source: str) -> list:
    """The GX expectations on the accepted rows of `source` (one or more files stacked)."""
    return gx_expectations(stored_suite(declaration(source).source)["expectations"])


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
