"""The `wijkmonitor` command: build, validate, export, demo init, kaart download, info.

`build` runs the very Dagster definitions the UI shows, in-process, so the two never disagree."""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sources.config import ConfigError, load_config

app = typer.Typer(
    help="wijkmonitor: CBS neighbourhood statistics and municipal data in a checked DuckDB warehouse.",
    no_args_is_help=True,
    add_completion=False,
)
demo_app = typer.Typer(help="The synthetic demo bundle.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
kaart_app = typer.Typer(help="CBS wijk- en buurtkaart files.", no_args_is_help=True)
app.add_typer(kaart_app, name="kaart")
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_LANDING = REPO_ROOT / "demo" / "landing"
ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Config file (default: ./wijkmonitor.toml).")
]
VALIDATORS = (
    "cbs_kerncijfers",
    "cbs_kaart",
    "politie",
    "uitkeringen",
    "verzuim",
    "leerplichtigen",
    "incidenten",
    "pc6_buurt",
)


def _config_path(config: Path | None) -> Path:
    if config is not None:
        return config
    env = os.environ.get("WIJKMONITOR_CONFIG")
    return Path(env) if env else Path("wijkmonitor.toml")


def _load(config: Path | None):
    try:
        return load_config(_config_path(config))
    except ConfigError as exc:
        err.print(f"[red]config error:[/red] {exc}")
        raise typer.Exit(2) from None


class _Progress:
    """Shows which step runs, by watching the run's events while it executes."""

    def __init__(self, instance, run_id: str) -> None:
        self.instance, self.run_id = instance, run_id
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        from dagster import DagsterEventType

        seen = 0
        started: dict[str, float] = {}
        wanted = {
            DagsterEventType.STEP_START,
            DagsterEventType.STEP_SUCCESS,
            DagsterEventType.STEP_FAILURE,
            DagsterEventType.STEP_SKIPPED,
            DagsterEventType.ASSET_CHECK_EVALUATION,
        }
        while True:
            finished = self.done.wait(0.25)
            try:
                records = self.instance.all_logs(self.run_id, of_type=wanted)
            except Exception:  # the ephemeral storage may not exist yet
                records = []
            for rec in records[seen:]:
                ev = rec.dagster_event
                step = ev.step_key or ""
                if ev.event_type == DagsterEventType.STEP_START:
                    started[step] = rec.timestamp
                    err.print(f"  [cyan]…[/cyan] {step}")
                elif ev.event_type == DagsterEventType.STEP_SUCCESS:
                    took = rec.timestamp - started.get(step, rec.timestamp)
                    err.print(f"  [green]✓[/green] {step} ({took:.1f} s)")
                elif ev.event_type == DagsterEventType.STEP_FAILURE:
                    err.print(f"  [red]✗[/red] {step}")
                elif ev.event_type == DagsterEventType.STEP_SKIPPED:
                    err.print(f"  [yellow]-[/yellow] {step} skipped")
                elif ev.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                    data = ev.event_specific_data
                    ok = getattr(data, "passed", True)
                    mark = "[green]✓[/green]" if ok else "[red]✗[/red]"
                    err.print(f"  {mark} check {data.check_name}")
            seen = len(records)
            if finished:
                return

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(timeout=5)


def run_build(
    config_path: Path,
    offline: bool,
    show_progress: bool = True,
    sources: list[str] | None = None,
    run_id: str | None = None,
    force_publish: bool = False,
):
    """Materialise the graph in-process (all of it, or `sources` and what depends on them);
    return Dagster's result."""
    from dagster import AssetKey, AssetSelection, DagsterInstance

    from pipelines.definitions import defs

    job = defs.resolve_job_def("monthly_build")
    run_id = run_id or str(uuid.uuid4())
    config = str(config_path.resolve())
    run_config = {
        "resources": {
            "settings": {
                "config": {
                    "config_path": config,
                    "offline": offline,
                    "force_publish": force_publish,
                }
            },
            "io_manager": {"config": {"config_path": config}},
        },
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }
    selection = None
    if sources is not None:
        chosen = AssetSelection.assets(*(AssetKey(s) for s in sources)).downstream()
        selection = sorted(chosen.resolve(defs.resolve_asset_graph()))
    kwargs = {"run_config": run_config, "raise_on_error": False, "run_id": run_id}
    if selection is not None:
        kwargs["asset_selection"] = selection
    with DagsterInstance.ephemeral() as instance:
        if show_progress:
            with _Progress(instance, run_id):
                return job.execute_in_process(instance=instance, **kwargs)
        return job.execute_in_process(instance=instance, **kwargs)


def plan(cfg, offline: bool):
    """What this build must recompute, from the data versions of its inputs."""
    from pipelines.versions import ASSET_NAMES, cache_dir, plan_build
    from sources.statline import StatLineClient

    def client(base_url: str) -> StatLineClient | None:
        if offline:
            return None
        return StatLineClient.for_host(cfg.cbs, base_url, max_retries=1, max_timeout_seconds=30)

    names = set(ASSET_NAMES)
    cache = cache_dir(cfg.paths.warehouse)
    cached = {n for n in names if (cache / f"{n}.pickle").exists()}
    return plan_build(
        cfg, client(cfg.cbs.opendata_url), names, cached, client(cfg.cbs.dataderden_url)
    )


def _failure_messages(result) -> list[str]:
    messages = []
    for ev in result.all_events:
        if ev.is_step_failure:
            error = ev.event_specific_data.error
            cause = error
            while cause.cause is not None:
                cause = cause.cause
            messages.append(f"{ev.step_key}: {cause.message.strip()}")
        elif ev.event_type_value == "ASSET_CHECK_EVALUATION":
            data = ev.event_specific_data
            if not data.passed:
                desc = data.description or ""
                messages.append(f"check {data.check_name} failed: {desc}")
    return messages


@app.command()
def build(
    config: ConfigOption = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Use saved CBS replies only; no network.")
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Recompute everything, even unchanged inputs.")
    ] = False,
) -> None:
    """Materialise what changed (or everything), publish the warehouse, print a summary."""
    from datetime import UTC, datetime

    from pipelines.notify import notify_run
    from warehouse.runlog import append_run_log

    cfg = _load(config)
    err.print(f"[bold]wijkmonitor build[/bold] {cfg.gemeente} {'(offline)' if offline else ''}")
    t0 = time.monotonic()
    started = datetime.now(UTC)
    the_plan = plan(cfg, offline)
    if the_plan.nothing_to_do and not full:
        err.print(
            f"[green]nothing changed[/green]: {the_plan.reason}. Nothing recomputed, "
            f"nothing published; {cfg.paths.warehouse} is up to date ({time.monotonic() - t0:.1f} s)."
        )
        return
    sources = None if full else the_plan.sources
    err.print(
        f"  plan: {'everything' if sources is None else ', '.join(sources) + ' and what depends on them'} ({the_plan.reason if not full else '--full'})"
    )
    run_id = str(uuid.uuid4())
    result = run_build(cfg.path, offline, sources=sources, run_id=run_id, force_publish=full)
    record = {
        "run_id": run_id,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "offline": offline,
        "config_path": str(cfg.path),
        "plan": sources,
        "seconds": round(time.monotonic() - t0, 2),
    }
    if not result.success:
        messages = _failure_messages(result)
        record.update(
            status="failed",
            message="; ".join(messages)[:4000],
            failed_checks=_failed_checks(result),
            steps=_step_seconds(result),
        )
        append_run_log(cfg.paths.warehouse, record)
        notify_run(cfg, record, log=lambda m: err.print(f"[yellow]{m}[/yellow]"))
        err.print("[red]build failed; the published warehouse was not changed.[/red]")
        for m in messages:
            err.print(f"  {m}")
        raise typer.Exit(1)
    summary = result.output_for_node("published_warehouse")
    record.update(status="success" if summary.get("published") else "unchanged")
    append_run_log(cfg.paths.warehouse, record)
    notify_run(cfg, record, log=lambda m: err.print(f"[yellow]{m}[/yellow]"))
    if not summary.get("published"):
        err.print("[green]nothing changed[/green]: the published warehouse is up to date.")
        return
    _print_summary(cfg, summary, time.monotonic() - t0)


def _print_summary(cfg, summary: dict, seconds: float) -> None:
    table = Table(title=f"wijkmonitor: {cfg.gemeente} in {seconds:.1f} s")
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("warehouse", summary["warehouse"])
    table.add_row("areas", str(summary["areas"]))
    table.add_row("years", ", ".join(map(str, summary["years"])))
    table.add_row("indicators", str(summary["indicators"]))
    table.add_row("indicator rows", str(summary["fact_rows"]))
    by_source = {k: v for k, v in summary.get("quarantined_by_source", {}).items() if v}
    table.add_row(
        "rows quarantined",
        str(summary["rows_quarantined"])
        + (
            " (" + ", ".join(f"{k} {v}" for k, v in sorted(by_source.items())) + ": see "
            "the quarantine_<source> tables)"
            if by_source
            else ""
        ),
    )
    if summary.get("suppressed_small_numbers"):
        table.add_row(
            "disclosure control",
            f"{summary['suppressed_small_numbers']} cells suppressed (kleine aantallen)",
        )
    if summary.get("partial_rows"):
        table.add_row("partial periods", f"{summary['partial_rows']} rows flagged partial")
    from pipelines.versions import ASSET_NAMES

    recomputed = summary["recomputed"]
    everything = set(recomputed) >= set(ASSET_NAMES)
    table.add_row(
        "recomputed", f"all {len(recomputed)} assets" if everything else ", ".join(recomputed)
    )
    for table_id, c in summary["changes"].items():
        table.add_row(f"revised {table_id}", f"{c['figures']} figures, e.g. {c['examples'][0]}")
    if summary["synthetic"]:
        table.add_row("data", "[yellow]SYNTHETIC DEMO DATA, not CBS figures[/yellow]")
    out.print(table)
    for w in summary["warnings"]:
        err.print(f"[yellow]warning:[/yellow] {w}")


def _failed_checks(result) -> list[str]:
    return [
        ev.event_specific_data.check_name
        for ev in result.all_events
        if ev.event_type_value == "ASSET_CHECK_EVALUATION" and not ev.event_specific_data.passed
    ]


def _step_seconds(result) -> dict[str, float]:
    return {
        ev.step_key: round(ev.event_specific_data.duration_ms / 1000, 3)
        for ev in result.all_events
        if ev.is_step_success and ev.event_specific_data.duration_ms is not None
    }


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="The file (or saved reply folder) to check.")],
    source: Annotated[str, typer.Option("--source", help=f"One of: {', '.join(VALIDATORS)}.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    config: ConfigOption = None,
) -> None:
    """Check one file against its source's contract; touches no warehouse. Municipal files
    with addresses or points are also placed in buurten with the boundaries and crosswalk of
    the config's landing folder, as a build would."""
    if source not in VALIDATORS:
        err.print(f"unknown source {source!r}; known: {', '.join(VALIDATORS)}")
        raise typer.Exit(2)
    if source == "cbs_kerncijfers":
        from checks.kerncijfers import validate_kerncijfers

        report = validate_kerncijfers(path)
    elif source == "cbs_kaart":
        from checks.kaart import validate_kaart

        report = validate_kaart(path)
    elif source == "politie":
        from checks.politie import validate_politie

        cfg = _load(config) if config or _config_path(None).exists() else None
        report = validate_politie(path, cfg.gemeente if cfg else None)
    else:
        from pipelines.validation import validate_delivery

        report = validate_delivery(path, source, _load(config))
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=1))
    else:
        colour = "green" if report.status == "accepted" else "red"
        out.print(f"[{colour}]{report.status}[/{colour}] {report.path} ({source})")
        out.print(
            f"rows read {report.rows_read}, accepted {report.rows_accepted}, "
            f"quarantined {report.rows_quarantined}"
        )
        for p in report.problems[:50]:
            where = f"row {p.row}" if p.row is not None else "file"
            out.print(f"  {where} {p.column or ''}: {p.reason}")
        if len(report.problems) > 50:
            out.print(f"  … and {len(report.problems) - 50} more (use --json)")
    raise typer.Exit(0 if report.status == "accepted" else 1)


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the exports into.")],
    config: ConfigOption = None,
    formats: Annotated[
        str,
        typer.Option(
            "--format",
            help="Comma-separated: xlsx, csv, parquet, gpkg, png, html, docx (default: all).",
        ),
    ] = "all",
) -> None:
    """Write the workbook, CSV, Parquet, GeoPackage, charts, maps, the HTML report and the
    council brief (docx) from the published warehouse, after checking disclosure control again
    on what would be exported. From demo data every file name ends in _SYNTHETISCH."""
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
    except (FileNotFoundError, DisclosureError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    for path in written:
        err.print(f"  {path}")
    err.print(
        f"[green]{len(written)} files[/green] in {out} ({time.monotonic() - t0:.1f} s) "
        f"from {cfg.paths.warehouse}"
    )


@demo_app.command("init")
def demo_init(
    directory: Annotated[Path, typer.Argument(help="Landing folder to write the demo into.")],
) -> None:
    """Copy the shipped synthetic demo bundle into a landing folder."""
    if not DEMO_LANDING.is_dir():
        err.print(f"{DEMO_LANDING}: the demo bundle is missing from this checkout")
        raise typer.Exit(1)
    directory.mkdir(parents=True, exist_ok=True)
    n = 0
    for src in sorted(DEMO_LANDING.rglob("*")):
        if src.is_file():
            dest = directory / src.relative_to(DEMO_LANDING)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            n += 1
    err.print(f"demo bundle (SYNTHETIC data) written to {directory}: {n} files")


@kaart_app.command("download")
def kaart_download(
    year: Annotated[int, typer.Option("--year", help="The kaart's year.")],
    url: Annotated[
        str,
        typer.Option(
            "--url",
            help="Download link of the wijk- en buurtkaart (zip, GeoPackage) from cbs.nl.",
        ),
    ],
    config: ConfigOption = None,
) -> None:
    """Download a kaart into landing/cbs_kaart/<year>/ (the build never downloads kaarts)."""
    from sources.http import FetchError
    from sources.kaart_download import download_kaart

    cfg = _load(config)
    try:
        written = download_kaart(
            url,
            year,
            cfg.paths.landing / "cbs_kaart",
            retries=cfg.cbs.retries,
            backoff_seconds=cfg.cbs.backoff_seconds,
            log=lambda m: err.print(f"[yellow]{m}[/yellow]"),
        )
    except (FetchError, ValueError) as exc:
        err.print(f"[red]download failed:[/red] {exc}")
        raise typer.Exit(1) from None
    for p in written:
        err.print(f"  {p}")
    err.print(
        f"{len(written)} kaart files for {year} in {cfg.paths.landing / 'cbs_kaart' / str(year)}"
    )


@app.command()
def info(config: ConfigOption = None) -> None:
    """What the published warehouse holds."""
    from warehouse.build import open_read_only

    cfg = _load(config)
    try:
        con = open_read_only(cfg.paths.warehouse)
    except FileNotFoundError as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None
    with con:
        run = con.execute(
            "SELECT run_id, finished_at, status FROM meta_run ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()
        synthetic = con.execute("SELECT synthetic FROM meta_config").fetchone()[0]
        out.print(f"[bold]{cfg.paths.warehouse}[/bold]")
        if synthetic:
            out.print("[yellow]SYNTHETIC DEMO DATA: not CBS figures[/yellow]")
        if run:
            out.print(f"last run {run[0]} at {run[1]} ({run[2]})")
        t = Table(title="areas per level")
        t.add_column("level")
        t.add_column("areas", justify="right")
        for level, n in con.execute(
            "SELECT area_level, count(*) FROM dim_area GROUP BY 1 ORDER BY 2"
        ).fetchall():
            t.add_row(level, str(n))
        out.print(t)
        t = Table(title="indicators")
        for col in ("theme", "indicators", "with figures", "years", "rows"):
            t.add_column(col)
        for row in con.execute(
            """
            SELECT i.theme, count(DISTINCT i.indicator_id),
                   count(DISTINCT f.indicator_id),
                   coalesce(min(f.period_year) || '–' || max(f.period_year), ''),
                   count(f.indicator_id)
            FROM dim_indicator i LEFT JOIN fact_indicator f USING (indicator_id)
            GROUP BY 1 ORDER BY 1
            """
        ).fetchall():
            t.add_row(*(str(v) for v in row))
        out.print(t)


def main() -> None:
    try:
        app()
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
