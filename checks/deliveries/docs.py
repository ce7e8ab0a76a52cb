"""The contract tables of docs/landing.md, made from the declarations (a test checks the doc
holds what this makes now; `scripts/generate_deliveries.py` writes it)."""

from __future__ import annotations

import re
from pathlib import Path

from checks.deliveries import DECLARATIONS
from checks.deliveries.spec import QUARANTINE_ROW, Column, Declaration

LANDING_DOC = Path(__file__).resolve().parents[2] / "docs" / "landing.md"
BEGIN = "<!-- contracts: generated from checks/deliveries (scripts/generate_deliveries.py) -->"
END = "<!-- /contracts -->"


def _column(c: Column, d: Declaration) -> str:
    name = f"**{c.name}**" if c.required else c.name
    if c.codes:
        name += " (" + ", ".join(f"`{code}`" for code in c.codes) + ")"
    return name


def _columns(d: Declaration) -> str:
    cells = [_column(c, d) for c in d.columns]
    if d.one_of:
        cells.append("at least one of " + " or ".join("+".join(g) for g in d.one_of))
    return ", ".join(cells)


def overview() -> str:
    rows = [
        "| folder / file | one row per | columns (required in bold) |",
        "|---|---|---|",
    ]
    for d in DECLARATIONS.values():
        columns = d.notes or _columns(d)
        pattern = d.file_pattern.replace("|", "\\|")
        rows.append(f"| `{d.source}/` `{pattern}` | {d.row} | {columns} |")
    return "\n".join(rows)


def rules_table(d: Declaration) -> str:
    rows = [
        f"#### `{d.source}`: row rules, in the order they are applied",
        "",
        "| rule | column | severity | reason (Dutch, as in quarantine_" + d.source + ") |",
        "|---|---|---|---|",
        "| required | every required column | quarantine row | verplicht veld '<kolom>' is leeg |",
    ]
    for r in d.rules:
        params = ", ".join(f"{k}={v}" for k, v in r.params.items() if k != "groups")
        kind = f"{r.kind} ({params})" if params else r.kind
        kind = kind.replace("|", "\\|")
        rows.append(
            f"| {kind} | {r.column or '(row)'} | {r.severity} | "
            f"{r.reason.replace('|', chr(92) + '|')} |"
        )
    if d.unique:
        rows.append(
            f"| unique per file | {', '.join(d.unique.keys)} | {QUARANTINE_ROW} | "
            f"dubbele {d.unique.what} (ook op regel <n>) |"
        )
    replacement = d.replacement + (
        f" ({', '.join(d.replacement_key)})" if d.replacement_key else ""
    )
    rows += ["", f"Re-deliveries: {replacement}."]
    if d.placement:
        rows[-1] += f" Placed in buurten by {', '.join(d.placement.by)}."
    personal = d.personal_columns
    if personal:
        rows[-1] += " Personal columns: " + ", ".join(personal) + "."
    return "\n".join(rows)


def contracts_section() -> str:
    parts = [BEGIN, overview()]
    parts += [rules_table(d) for d in DECLARATIONS.values()]
    parts.append(END)
    return "\n\n".join(parts)


def updated_doc(text: str) -> str:
    """`text` (docs/landing.md) with its generated section replaced by what is declared now."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{LANDING_DOC}: no generated contracts section ({BEGIN})")
    return pattern.sub(lambda _: contracts_section(), text)
