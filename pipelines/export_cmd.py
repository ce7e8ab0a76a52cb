"""`wijkmonitor export`: tables, charts, maps and the report for the council, from the
published warehouse. `register(app)` adds the command to the CLI."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True, soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        out: Annotated[Path, typer.Option("--out", help="Folder to write the exports into.")],
        config: Annotated[
            Path | None,
            typer.Option("--config", "-c", help="Config file (default: ./wijkmonitor.toml)."),
        ] = None,
        formats: Annotated[
            str,
            typer.Option(
                "--format",
                help="Comma-separated: xlsx, csv, parquet, gpkg, png, html (default: all).",
            ),
        ] = "all",
    ) -> None:
        """Write the workbook, CSV, Parquet, GeoPackage, charts, maps and the HTML report,
        after checking disclosure control again on what would be exported."""
        # Imported here: the CLI module imports this one, and exports need no Dagster.
        from pipelines.cli import _load
        from warehouse.export import DisclosureError, export_all, parse_formats

        try:
            chosen = parse_formats(formats)
        except ValueError as exc:
            err.print(f"[red]--format:[/red] {exc}")
            raise typer.Exit(2) from None
        cfg = _load(config)
        t0 = time.monotonic()
        try:
            written = export_all(cfg.paths.warehouse, out, chosen)
        except FileNotFoundError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        except DisclosureError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        for path in written:
            err.print(f"  {path}")
        err.print(
            f"[green]{len(written)} files[/green] in {out} ({time.monotonic() - t0:.1f} s) "
            f"from {cfg.paths.warehouse}"
        )
