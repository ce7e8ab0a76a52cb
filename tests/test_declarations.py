"""One declaration per delivery source: what is made from it is what is stored and documented,
and nothing in pipelines/ or checks/ singles out a source by name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from checks.deliveries import DECLARATIONS
from checks.deliveries.ddl import quarantine_ddl, restricted_ddl
from checks.deliveries.docs import LANDING_DOC, updated_doc
from checks.municipal import stored_suite, suite_document
from checks.rules import KINDS

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("source", list(DECLARATIONS))
def test_the_stored_gx_suite_is_what_the_declaration_makes_now(source):
    made = json.loads(json.dumps(suite_document(DECLARATIONS[source])))
    assert stored_suite(source) == made, (
        f"checks/deliveries/{source}.gx.json is out of date: "
        "run `uv run --frozen python -m scripts.generate_deliveries`"
    )


def test_the_contract_tables_in_landing_md_are_up_to_date():
    text = LANDING_DOC.read_text(encoding="utf-8")
    assert updated_doc(text) == text, "run `uv run --frozen python -m scripts.generate_deliveries`"


def test_every_rule_is_a_kind_of_the_rule_library_and_names_no_value():
    for d in DECLARATIONS.values():
        for rule in d.rules:
            assert rule.kind in KINDS, (d.source, rule.kind)
            # only the period may be filled in: a reason never carries a delivered value
            assert set(re.findall(r"{(\w*)}", rule.reason)) <= {"period"}, (d.source, rule)


def test_no_source_is_singled_out_by_name_in_pipelines_or_checks():
    pattern = re.compile(r"source\s*(==|!=|in)\s*\(?\s*[\"']")
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for folder in ("pipelines", "checks")
        for path in (REPO / folder).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_generated_ddl_makes_the_raw_and_quarantine_tables_with_dutch_comments():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(restricted_ddl())
    con.execute(quarantine_ddl())
    for source, d in DECLARATIONS.items():
        columns = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' "
                "AND table_name = ? ORDER BY column_index",
                [source],
            ).fetchall()
        ]
        assert tuple(columns) == d.raw_columns
        comment = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = 'raw' AND table_name = ?",
            [source],
        ).fetchone()[0]
        assert comment == d.restricted_comment
        q = con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
            [f"quarantine_{source}"],
        ).fetchall()
        # never a column for the delivered value
        assert [r[0] for r in q] == ["run_id", "file", "line", "column_name", "reason"]
    # uitkeringen: placed rows say their buurt; a required column is NOT NULL
    nullable = dict(
        con.execute(
            "SELECT column_name, is_nullable FROM duckdb_columns() "
            "WHERE schema_name = 'raw' AND table_name = 'uitkeringen'"
        ).fetchall()
    )
    assert nullable["client_id"] is False and nullable["einddatum"] is True
    assert nullable["buurt_code"] is False
