"""The DDL made from the declarations: `raw.<source>` of the restricted store (the accepted
rows, with the buurt each was placed in) and `quarantine_<source>` of the published warehouse
(file, line, column and reason; never the delivered value). Comments in Dutch, from the
declaration."""

from __future__ import annotations

from checks.deliveries import DECLARATIONS
from checks.deliveries.spec import DERIVED_KINDS, Declaration
from checks.rules import SQL_TYPES

_ROW_COLUMNS = (
    ("file", "VARCHAR", "Het geleverde bestand."),
    ("line", "INTEGER", "Regelnummer in het bestand."),
    ("period", "VARCHAR", "De periode van het bestand (uit de bestandsnaam)."),
)
_PLACED_COLUMNS = (
    ("buurt_code", "VARCHAR", "De buurt waarin de rij geplaatst is."),
    ("placed_by", "VARCHAR", "Hoe de rij geplaatst is: adres, coordinaten of buurtcode."),
)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def restricted_table(d: Declaration) -> str:
    """CREATE TABLE raw.<source> with its comments."""
    required = set(d.required)
    columns = [(n, t, True, c) for n, t, c in _ROW_COLUMNS]
    columns += [(x.name, SQL_TYPES[DERIVED_KINDS[x.kind]], True, x.comment) for x in d.derived]
    columns += [(c.accepted, SQL_TYPES[c.type], c.name in required, c.comment) for c in d.columns]
    if d.placement:
        columns += [(n, t, True, c) for n, t, c in _PLACED_COLUMNS]
    body = ",\n".join(
        f"    {name} {sql}{' NOT NULL' if not_null else ''}" for name, sql, not_null, _ in columns
    )
    table = f"raw.{d.source}"
    out = [f"CREATE TABLE {table} (\n{body}\n);"]
    out.append(f"COMMENT ON TABLE {table} IS {_quote(d.restricted_comment)};")
    out += [
        f"COMMENT ON COLUMN {table}.{name} IS {_quote(comment)};"
        for name, _, _, comment in columns
        if comment
    ]
    return "\n".join(out)


def quarantine_table(d: Declaration) -> str:
    """CREATE TABLE quarantine_<source> with its comment."""
    table = f"quarantine_{d.source}"
    return "\n".join(
        [
            f"CREATE TABLE {table} (\n"
            "    run_id VARCHAR NOT NULL,\n"
            "    file VARCHAR NOT NULL,\n"
            "    line INTEGER,\n"
            "    column_name VARCHAR,\n"
            "    reason VARCHAR NOT NULL\n"
            ");",
            f"COMMENT ON TABLE {table} IS {_quote(d.quarantine_comment)};",
        ]
    )


def restricted_ddl() -> str:
    """The raw.<source> tables of every declared source (after warehouse/sql/restricted.sql)."""
    return "\n\n".join(restricted_table(d) for d in DECLARATIONS.values()) + "\n"


def quarantine_ddl() -> str:
    """The quarantine_<source> tables of every declared source (after schema.sql)."""
    return "\n\n".join(quarantine_table(d) for d in DECLARATIONS.values()) + "\n"
