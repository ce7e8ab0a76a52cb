"""Check pages: what was checked and what failed, per source, as static HTML an operator opens
in a browser (our Data Docs: Great Expectations' own site builder needs a file-backed GX
context, the build uses an ephemeral one; the outcomes are the same rows as `meta_check`).

Two copies are written: beside the published warehouse (`checks/`), from the published
`meta_check`, so without the samples of unexpected values of municipal deliveries (they
would be person-level values); and in the restricted folder (`checks/`), with those samples,
for the operator who owns the deliveries."""

from __future__ import annotations

import html
import os
from pathlib import Path

import duckdb
import pandas as pd

CHECK_COLUMNS = (
    "run_id", "source", "input_id", "expectation", "column_name", "success",
    "unexpected_count", "sample",
)  # fmt: skip
_STYLE = """body{font-family:sans-serif;margin:2em;max-width:70em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top}.ok{color:#1a7f37}.failed{color:#b42318;font-weight:bold}"""


def latest_checks(warehouse: Path) -> pd.DataFrame:
    """The outcomes of the last run that checked each source, from a published warehouse."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            """
            WITH runs AS (
                SELECT c.source, c.run_id, max(r.finished_at) AS finished
                FROM meta_check c JOIN meta_run r USING (run_id)
                GROUP BY ALL
            ),
            last AS (SELECT source, arg_max(run_id, finished) AS run_id FROM runs GROUP BY source)
            SELECT c.* FROM meta_check c JOIN last USING (source, run_id)
            ORDER BY c.source, c.input_id, c.expectation, c.column_name
            """
        ).df()


def _write(path: Path, text: str, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}'
        f"</title><style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}"
        "</body></html>\n"
    )


def write_check_docs(checks: pd.DataFrame, folder: Path, note: str, private: bool = False) -> Path:
    """index.html (one row per source: expectations, failed) and one page per source with
    every expectation, its column, outcome, unexpected count and sample. Returns the index.
    `private`: the folder is owner-only (0700, files 0600), for pages with samples."""
    folder.mkdir(parents=True, exist_ok=True)
    mode = 0o600 if private else 0o644
    if private:
        folder.chmod(0o700)
    rows = []
    for source, group in checks.groupby("source", sort=True) if len(checks) else []:
        failed = int((~group["success"].astype(bool)).sum())
        lines = []
        for r in group.itertuples(index=False):
            ok = bool(r.success)
            sample = "" if r.sample is None or pd.isna(r.sample) else str(r.sample)
            count = "" if pd.isna(r.unexpected_count) else str(int(r.unexpected_count))
            lines.append(
                "<tr>"
                + "".join(
                    f"<td>{html.escape(str(v))}</td>"
                    for v in (r.input_id or "", r.expectation, r.column_name or "")
                )
                + f'<td class="{"ok" if ok else "failed"}">{"passed" if ok else "FAILED"}</td>'
                + f"<td>{count}</td><td>{html.escape(sample)}</td></tr>"
            )
        _write(
            folder / f"{source}.html",
            mode=mode,
            text=_page(
                f"Checks of {source}",
                f"<p>{html.escape(note)}</p><p>Run {html.escape(str(group['run_id'].iloc[0]))}"
                "</p><table><tr><th>input</th><th>expectation</th><th>column</th>"
                "<th>outcome</th><th>unexpected rows</th><th>sample</th></tr>"
                + "".join(lines)
                + '</table><p><a href="index.html">all sources</a></p>',
            ),
        )
        status = "failed" if failed else "ok"
        rows.append(
            f'<tr><td><a href="{html.escape(source)}.html">{html.escape(source)}</a></td>'
            f'<td>{len(group)}</td><td class="{status}">{failed}</td></tr>'
        )
    index = folder / "index.html"
    _write(
        index,
        mode=mode,
        text=_page(
            "wijkmonitor: what was checked",
            f"<p>{html.escape(note)}</p><table><tr><th>source</th><th>expectations</th>"
            "<th>failed</th></tr>" + "".join(rows) + "</table>",
        ),
    )
    return index
