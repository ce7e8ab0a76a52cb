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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from checks.deliveries import DECLARATIONS, declaration
from checks.deliveries.spec import REJECT_FILE, Declaration
from checks.gx import SuiteOutcome, run_suite
from checks.quarantine import QUARANTINE_COLUMNS, offending_values, problems
from checks.report import ValidationReport
from checks.rules import (
    LINE_COLUMN,
    expectation_configs,
    gx_expectations,
    repeated_keys,
    split_rows,
    unique_column,
    unique_reason,
)
from sources.delivery import DeliveryFile, RefusedReplacement, confirmation_marker, read_delivery
from sources.errors import UnreadableInput
from sources.rowfiles import (
    BATCH_ROWS,
    RowWriter,
    empty_frame,
    read_rows,
    row_batches,
    row_count,
)

# The accepted frame of every source: where each row came from, what the period gives it,
# then the delivered columns in the declaration's order (pc6: renamed to what they mean).
ACCEPTED_COLUMNS: dict[str, tuple[str, ...]] = {
    source: d.accepted_columns for source, d in DECLARATIONS.items()
}
SUITES_DIR = Path(__file__).with_name("deliveries")


@dataclass
class CheckedDelivery:
    """One delivery file after its contract: typed accepted rows and quarantined rows.

    The accepted rows are in memory (`accepted_frame`) or, for a build, in a Parquet file in
    the restricted cache (`accepted_file`, see `split_delivery`): a large delivery's rows are
    then read back in batches where they are needed, and the asset outputs stay small."""

    source: str
    path: Path
    period: str
    sha256: str
    rows_read: int
    quarantine: pd.DataFrame  # QUARANTINE_COLUMNS: file, line, column, reason (Dutch), value
    warnings: list[str] = field(default_factory=list)  # rules of severity `warn`
    rows_accepted: int = 0
    accepted_frame: pd.DataFrame | None = None  # ACCEPTED_COLUMNS[source]
    accepted_file: Path | None = None  # or these rows, in Parquet

    @property
    def accepted(self) -> pd.DataFrame:
        """All accepted rows (ACCEPTED_COLUMNS[source]) as one frame."""
        if self.accepted_frame is not None:
            return self.accepted_frame
        return read_rows(self.accepted_file)

    def accepted_empty(self) -> pd.DataFrame:
        """No rows, the accepted columns and their dtypes."""
        if self.accepted_frame is not None:
            return self.accepted_frame.head(0)
        return empty_frame(self.accepted_file)

    def accepted_batches(self, rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
        """The accepted rows, at most `rows` at a time (in line order)."""
        if self.accepted_file is None:
            frame = self.accepted
            for start in range(0, len(frame), rows):
                yield frame.iloc[start : start + rows].reset_index(drop=True)
            return
        yield from row_batches(self.accepted_file, rows)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantine)


def split_delivery(
    delivery: DeliveryFile, gemeente: str, folder: Path | None = None
) -> CheckedDelivery:
    """Apply the source's declaration to every row: typed accepted rows and quarantined rows.

    `gemeente` is the configured gemeente ('GM1916'), for rules about our own areas. The rows
    are checked piece by piece as `DeliveryFile.frames` gives them (the unique key over all
    of them at the end); with `folder`, the accepted rows go to a Parquet file there (owner
    only, see `write_rows`) instead of memory."""
    d = declaration(delivery.source)
    file = str(delivery.path)
    columns = list(d.accepted_columns)
    key_columns = [*d.unique.keys, LINE_COLUMN] if d.unique is not None else []
    value_column = unique_column(d)
    rows_read = 0
    quarantines: list[pd.DataFrame] = []
    keys: list[pa.Table] = []
    warned: dict[str, int] = {}
    rejected: list[tuple[int, str]] = []
    sink = _RowSink(_rows_path(folder, delivery, gemeente) if folder else None)
    try:
        for frame in delivery.frames():
            frame = frame.reset_index(drop=True)
            rows_read += len(frame)
            typed, flags = split_rows(d, frame, delivery.period, gemeente, unique=False)
            for reason, n in flags.warned.items():
                warned[reason] = warned.get(reason, 0) + n
            rejected.extend(flags.rejected)
            ok = flags.ok
            typed = typed.reset_index(drop=True)
            typed["file"] = pd.Series(file, index=typed.index, dtype="str")
            typed["period"] = pd.Series(delivery.period, index=typed.index, dtype="str")
            typed[LINE_COLUMN] = typed[LINE_COLUMN].astype("int64")
            if key_columns:
                kept = typed.loc[ok, key_columns].reset_index(drop=True)
                if value_column is not None:
                    kept[_VALUE] = _delivered_text(frame, value_column)[ok].reset_index(drop=True)
                keys.append(pa.Table.from_pandas(kept, preserve_index=False))
            sink.add(typed.loc[ok, columns].reset_index(drop=True))
            bad = ~ok
            quarantines.append(
                _quarantine_rows(
                    file,
                    frame[LINE_COLUMN].to_numpy(dtype="int64")[bad],
                    flags.column[bad],
                    flags.reason[bad],
                    offending_values(frame, np.flatnonzero(bad), flags.column[bad]),
                )
            )
            del frame, typed, flags
        if rejected:
            line, reason = _first_rejection(d, delivery.period, rejected)
            raise UnreadableInput(delivery.path, f"{reason} (line {line}); the file is not used")
        later = (
            repeated_keys(pa.concat_tables(keys), d.unique.keys)
            if keys
            else pd.Series(dtype="int64")
        )
        if len(later):
            values = _key_values(keys, later.index) if value_column is not None else None
            quarantines.append(
                _quarantine_rows(
                    file,
                    later.index.to_numpy(),
                    np.full(len(later), value_column, dtype=object),
                    np.array([unique_reason(d.unique.what, n) for n in later], dtype=object),
                    values if values is not None else pd.Series([None] * len(later), dtype="str"),
                )
            )
        del keys
        accepted_frame, accepted_file, rows_accepted = sink.finish(
            set(later.index.tolist()), columns
        )
    except BaseException:
        sink.discard()
        raise
    quarantine = pd.concat(quarantines, ignore_index=True)
    if len(later):
        quarantine = quarantine.sort_values("line", kind="stable").reset_index(drop=True)
    checked = CheckedDelivery(
        source=d.source,
        path=delivery.path,
        period=delivery.period,
        sha256=delivery.sha256,
        rows_read=rows_read,
        quarantine=quarantine,
        warnings=[f"{file}: {n} rijen: {reason} (rij blijft)" for reason, n in warned.items()],
        rows_accepted=rows_accepted,
        accepted_frame=accepted_frame,
        accepted_file=accepted_file,
    )
    assert checked.rows_read == checked.rows_accepted + checked.rows_quarantined, (
        f"{file}: {checked.rows_read} rows read but {checked.rows_accepted} accepted + "
        f"{checked.rows_quarantined} quarantined"
    )
    return checked


_VALUE = "__value"


def _quarantine_rows(file: str, lines, columns, reasons, values) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file": pd.Series([file] * len(lines), dtype="str"),
            "line": np.asarray(lines, dtype="int64"),
            "column": pd.Series(columns, dtype="str"),
            "reason": pd.Series(reasons, dtype="str"),
            "value": values if values is not None else pd.Series(dtype="str"),
        },
        columns=list(QUARANTINE_COLUMNS),
    )


def _delivered_text(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column as `offending_values` gives it: the delivered text, '' for an empty cell."""
    if column not in frame.columns:
        return pd.Series(None, index=frame.index, dtype="str")
    return frame[column].astype("str").fillna("")


def _key_values(keys: list[pa.Table], lines: pd.Index) -> pd.Series:
    """The delivered text of the key column on `lines` (in their order)."""
    table = pa.concat_tables([t.select([LINE_COLUMN, _VALUE]) for t in keys])
    wanted = pa.array(lines.to_numpy(dtype="int64"))
    table = table.filter(pc.is_in(table.column(LINE_COLUMN), wanted))
    found = pd.Series(
        table.column(_VALUE).to_pandas().to_numpy(dtype=object),
        index=table.column(LINE_COLUMN).to_numpy(),
    )
    return pd.Series(found.reindex(lines).to_numpy(dtype=object), dtype="str")


def _first_rejection(d: Declaration, period: str, rejected: list[tuple[int, str]]):
    """The rejection a file read whole gives: of the first reject-file rule, its first line."""
    order = [r.reason.format(period=period) for r in d.rules if r.severity == REJECT_FILE]
    return min(
        rejected, key=lambda lr: (order.index(lr[1]) if lr[1] in order else len(order), lr[0])
    )


# --------------------------------------------------------------------------- rows in Parquet


def _rows_path(folder: Path, delivery: DeliveryFile, gemeente: str) -> Path:
    # Named by what decides the rows: the file (name, content) and the gemeente.
    return folder / f"{delivery.path.name}.{delivery.sha256[:16]}.{gemeente}.parquet"


class _RowSink:
    """Accepted rows piece by piece: kept in memory, or written to a Parquet file; rows with a
    repeated key (found at the end) are taken out again."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.frames: list[pd.DataFrame] = []
        self.writer = RowWriter(path) if path else None

    def add(self, frame: pd.DataFrame) -> None:
        if self.writer is None:
            self.frames.append(frame)
        else:
            self.writer.add(frame)

    def finish(
        self, drop: set[int], columns: list[str]
    ) -> tuple[pd.DataFrame | None, Path | None, int]:
        if self.writer is None:
            frames = [f for f in self.frames if len(f)] or self.frames[:1]
            frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            if drop:
                frame = frame[~frame[LINE_COLUMN].isin(drop)].reset_index(drop=True)
            return frame[columns], None, len(frame)
        path = self.writer.finish()
        if drop:
            kept = RowWriter(path)
            wanted = pa.array(sorted(drop), type=pa.int64())
            try:
                for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
                    table = pa.Table.from_batches([batch])
                    kept.add_table(table.filter(pc.invert(pc.is_in(table[LINE_COLUMN], wanted))))
                kept.finish()
            except BaseException:
                kept.discard()
                raise
        return None, path, row_count(path)

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.discard()


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
