"""Small pieces every asset module uses: the synthetic-data marker, Markdown previews for the
Dagster UI, catalog metadata (row count, column schema, input sha256, quarantine count), and
turning GX suite outcomes into a blocking asset check result (whose outcomes the warehouse
asset reads back into meta_check)."""

import json
from pathlib import Path

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    MetadataValue,
    TableColumn,
    TableSchema,
)

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


def frame_schema(frame: pd.DataFrame) -> TableSchema:
    """The columns of a frame with their types, as the Dagster catalog shows them."""
    return TableSchema(columns=[TableColumn(str(c), str(t)) for c, t in frame.dtypes.items()])


def catalog_metadata(
    frame: pd.DataFrame | None,
    rows: int | None = None,
    quarantined: int | None = None,
    sha256: dict[str, str] | None = None,
) -> dict:
    """What the catalog answers "what's in it and where did it come from" with:
    `dagster/row_count`, `dagster/column_schema` (of `frame`), the quarantined rows and the
    sha256 of every input file."""
    meta: dict = {}
    if frame is not None:
        meta["dagster/row_count"] = MetadataValue.int(int(len(frame) if rows is None else rows))
        meta["dagster/column_schema"] = frame_schema(frame)
    elif rows is not None:
        meta["dagster/row_count"] = MetadataValue.int(int(rows))
    if quarantined is not None:
        meta["rows_quarantined"] = MetadataValue.int(int(quarantined))
    if sha256 is not None:
        meta["input_sha256"] = MetadataValue.json(dict(sorted(sha256.items())))
    return meta


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


def warehouse_catalog_metadata(path: Path) -> dict:
    """Row count and column schema of the published warehouse's facts, and the rows of every
    table, read back from the published file."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY 1, 2"
        ).fetchall()
        rows = {
            f"{schema}.{table}": con.execute(
                'SELECT count(*) FROM "{}"."{}"'.format(
                    *(n.replace('"', '""') for n in (schema, table))
                )
            ).fetchone()[0]
            for schema, table in tables
        }
        columns = con.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() "
            "WHERE schema_name = 'main' AND table_name = 'fact_indicator' ORDER BY column_index"
        ).fetchall()
    return {
        "dagster/row_count": MetadataValue.int(int(rows.get("main.fact_indicator", 0))),
        "dagster/column_schema": TableSchema(
            columns=[TableColumn(n, t, description=c or None) for n, t, c in columns]
        ),
        "table_rows": MetadataValue.json(rows),
    }
