"""Small pieces every asset module uses: the synthetic-data marker, Markdown previews for the
Dagster UI, and turning GX suite outcomes into a blocking asset check result (whose outcomes
the warehouse asset reads back into meta_check)."""

import json
from pathlib import Path

import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue

from checks.gx import SuiteOutcome


def is_synthetic(landing: Path) -> bool:
    return (landing / "SYNTHETIC.json").exists()


def markdown_table(frame: pd.DataFrame, rows: int = 10) -> str:
    head = frame.head(rows)
    cols = [str(c) for c in head.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in head.itertuples(index=False):
        lines.append("| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |")
    return "\n".join(lines)


def check_result(source: str, outcomes: list[SuiteOutcome]) -> AssetCheckResult:
    failed = [o for o in outcomes if not o.success]
    return AssetCheckResult(
        passed=not failed,
        severity=AssetCheckSeverity.ERROR,
        description="; ".join(o.summary() for o in failed) or "all expectations met",
        metadata={
            "suites": len(outcomes),
            "expectations": sum(len(o.outcomes) for o in outcomes),
            "failed": MetadataValue.json([o.summary() for o in failed]),
            # Read back by the warehouse asset into meta_check.
            "outcomes": MetadataValue.json(
                [
                    {
                        "source": source,
                        "suite": o.suite,
                        "expectation": e.expectation,
                        "column_name": e.column,
                        "success": e.success,
                        "unexpected_count": e.unexpected_count,
                        "sample": json.dumps(e.sample, default=str),
                    }
                    for o in outcomes
                    for e in o.outcomes
                ]
            ),
        },
    )
