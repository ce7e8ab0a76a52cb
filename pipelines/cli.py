"""The `wijkmonitor` command: build, status, validate, export, demo init, kaart download, info.

`build` runs the very Dagster definitions the UI shows, in-process, in the persistent Dagster
instance the webserver and the daemon use (pipelines.instance): every build is in one run
history, and the UI's stale assets are the ones the CLI would recompute."""

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

from sources.config import DELIVERY_SOURCES, ConfigError, load_config

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
EXIT_BUSY = 75  # EX_TEMPFAIL: another build is in progress; as `flock -n -E 75` in deploy/cron
DEMO_LANDING = REPO_ROOT / "demo" / "landing"
ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Config file (default: ./wijkmonitor.toml).")
]


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
    versions=None,
):
    """Materialise the graph in-process (all of it, or `sources` and what depends on them) in
    the Dagster instance of the config's warehouse; return Dagster's result.

    The landing folders' versions (`versions`, by default what is in them now) are recorded
    as observations first, so the materialisations name the inputs they read. Raises
    BuildInProgress when another build of the job runs in the instance."""
    from dagster import AssetKey, AssetSelection

    from pipelines.assets_landing import record_observations
    from pipelines.definitions import defs
    from pipelines.instance import cli_tags, open_instance, refuse_if_building
    from pipelines.versions import local_versions
    from sources.config import load_config

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
    kwargs["tags"] = cli_tags()
    if selection is not None:
        kwargs["asset_selection"] = selection
    cfg = load_config(config_path)
    with open_instance(cfg.paths.warehouse) as instance:
        refuse_if_building(instance)
        record_observations(instance, versions or local_versions(cfg))
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
    cache = cache_dir(cfg.paths)
    cached = {n for n in names if (cache / f"{n}.pickle").exists()}
    return plan_build(
        cfg, client(cfg.cbs.opendata_url), names, cached, client(cfg.cbs.dataderden_url)
    )


def _error_text(error) -> str:
    """One line for a step's serialized error: the error our code raised (not Dagster's
    wrapper around it, nor the library error beneath it), without its class name."""
    chain = [error]
    while chain[-1].cause is not None:
        chain.append(chain[-1].cause)
    ours = next((e for e in chain if not e.cls_name.startswith("Dagster")), chain[-1])
    text = ours.message.strip().splitlines()[0] if ours.message.strip() else ours.cls_name
    prefix = text.split(": ", 1)
    if len(prefix) == 2 and prefix[0].rsplit(".", 1)[-1] == ours.cls_name:
        text = prefix[1]
        if ours.cls_name not in _OUR_ERRORS and ours.cls_name not in _OS_ERRORS:
            text = f"{ours.cls_name}: {text}"
    m = _ERRNO_TEXT.match(text)
    if m:  # an OSError of the standard library: the file first, as describe_fault does
        text = f"{m['file']}: {m['cause'][0].lower()}{m['cause'][1:]}"
    return text


_OUR_ERRORS = {"UnreadableInput", "InputRejected", "BuildFault", "ConfigError", "FetchError"}
_OS_ERRORS = {"OSError", "PermissionError", "FileNotFoundError", "IsADirectoryError", "IOError"}
_ERRNO_TEXT = __import__("re").compile(r"^\[Errno \d+\] (?P<cause>.+?): '(?P<file>.+)'$")


def _failure_messages(result, debug: bool = False) -> list[str]:
    messages = []
    for ev in result.all_events:
        if ev.is_step_failure:
            error = ev.event_specific_data.error
            messages.append(f"{ev.step_key}: {_error_text(error)}")
            if debug:
                err.print(error.to_string(), markup=False, highlight=False)
    return messages + _failed_check_messages(result)


DebugOption = Annotated[
    bool, typer.Option("--debug", help="On a failure, show the full traceback too.")
]


@app.command()
def build(
    config: ConfigOption = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Use saved CBS replies only; no network.")
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Recompute everything, even unchanged inputs.")
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Materialise what changed (or everything), publish the warehouse, print a summary.

    One build at a time per warehouse; each first removes what builds that died left behind.
    Any fault ends in one line naming the file and the cause, and a record in the run log."""
    from pipelines.cleanup import clean_up_after_crashes
    from warehouse.housekeeping import BuildLocked, build_lock

    cfg = _load(config)
    err.print(f"[bold]wijkmonitor build[/bold] {cfg.gemeente} {'(offline)' if offline else ''}")
    try:
        with build_lock(cfg.paths.warehouse):
            for note in clean_up_after_crashes(cfg):
                err.print(f"  {note}")
            _build(cfg, offline, full, debug)
    except BuildLocked as exc:
        err.print(f"[red]build not started:[/red] {exc}")
        raise typer.Exit(3) from None
    except OSError as exc:  # the lock itself (an unwritable warehouse folder)
        if debug:
            raise
        from sources.errors import describe_fault

        err.print(f"[red]build failed:[/red] {describe_fault(exc)}")
        raise typer.Exit(1) from None


def _build(cfg, offline: bool, full: bool, debug: bool) -> None:
    from datetime import UTC, datetime

    from pipelines.instance import BuildInProgress, failed_checks, step_seconds
    from sources.errors import describe_fault, storage_full
    from warehouse.runlog import start_run_log

    t0 = time.monotonic()
    run_id = str(uuid.uuid4())
    record = {
        "run_id": run_id,
        "started_at": datetime.now(UTC).isoformat(),
        "offline": offline,
        "config_path": str(cfg.path),
    }

    def finish(**fields) -> dict:
        record.update(
            finished_at=datetime.now(UTC).isoformat(),
            seconds=round(time.monotonic() - t0, 2),
            **fields,
        )
        return record

    try:
        start_run_log(cfg.paths.warehouse, record)
        the_plan = plan(cfg, offline)
        if the_plan.nothing_to_do and not full:
            finish(status="unchanged", plan=[])
            err.print(
                f"[green]nothing changed[/green]: {the_plan.reason}. Nothing recomputed, "
                f"nothing published; {cfg.paths.warehouse} is up to date "
                f"({time.monotonic() - t0:.1f} s)."
            )
            return
        sources = None if full else the_plan.sources
        what = "everything" if sources is None else ", ".join(sources) + " and what depends on them"
        err.print(f"  plan: {what} ({the_plan.reason if not full else '--full'})")
        record["plan"] = sources
        result = run_build(
            cfg.path,
            offline,
            sources=sources,
            run_id=run_id,
            force_publish=full,
            versions=the_plan.versions,
        )
    except BuildInProgress as exc:
        err.print(f"[yellow]not started:[/yellow] {exc}")
        raise typer.Exit(EXIT_BUSY) from None
    except Exception as exc:
        if debug:
            raise
        message = describe_fault(exc)
        if storage_full(exc):  # name the folder, and which of the two it is
            from pipelines.instance import dagster_home

            home = dagster_home(cfg.paths.warehouse)
            free = shutil.disk_usage(home).free if home.exists() else None
            cause = (
                "disk full (no space left on the device)"
                if free is not None and free < 1024 * 1024
                else "file too large for this file system or limit"
            )
            message = f"{home}: {cause}; Dagster's run storage could not be written"
        _log_run(cfg, finish(status="failed", message=message[:4000], failed_checks=[]))
        _print_failure([message])
        raise typer.Exit(1) from None
    if not result.success:
        messages = _failure_messages(result, debug)
        finish(
            status="failed",
            message="; ".join(messages)[:4000],
            failed_checks=failed_checks(result.all_events),
            steps=step_seconds(result.all_events),
        )
        _log_run(cfg, record)
        _print_failure(messages)
        raise typer.Exit(1)
    summary = result.output_for_node("published_warehouse")
    finish(
        status="success" if summary.get("published") else "unchanged",
        failed_checks=failed_checks(result.all_events),
        warnings=summary.get("warnings", []),
    )
    # The run is in the Dagster instance; the run log keeps only what the instance may lack
    # (failures, and the `started` record a killed build leaves).
    _log_run(cfg, record, write=False)
    if not summary.get("published"):
        err.print("[green]nothing changed[/green]: the published warehouse is up to date.")
        return
    _print_summary(cfg, summary, time.monotonic() - t0)
    for m in _failed_check_messages(result):  # non-blocking checks: published all the same
        err.print(f"[yellow]{m}[/yellow]", highlight=False)


def _failed_check_messages(result) -> list[str]:
    return [
        f"check {ev.event_specific_data.check_name} failed: {ev.event_specific_data.description or ''}"
        for ev in result.all_events
        if ev.event_type_value == "ASSET_CHECK_EVALUATION" and not ev.event_specific_data.passed
    ]


def _print_failure(messages: list[str]) -> None:
    first, *more = messages or ["unknown cause (run with --debug)"]
    err.print(f"[red]build failed:[/red] {first}", highlight=False)
    for m in more:
        err.print(f"  {m}", highlight=False)
    err.print("the published warehouse was not changed.")


def _log_run(cfg, record: dict, notify: bool = True, write: bool = True) -> None:
    """The run log and the notification; a record that cannot be written is said, not raised."""
    from pipelines.notify import notify_run
    from sources.errors import describe_fault
    from warehouse.runlog import append_run_log

    try:
        if write:
            append_run_log(cfg.paths.warehouse, record)
    except OSError as exc:
        err.print(f"[yellow]run record not written:[/yellow] {describe_fault(exc)}")
    if notify:
        notify_run(cfg, record, log=lambda m: err.print(f"[yellow]{m}[/yellow]"))


def _print_summary(cfg, summary: dict, seconds: float) -> None:
    table = Table(title=f"wijkmonitor: {cfg.gemeente} in {seconds:.1f} s")
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("warehouse", f"{summary['warehouse']} (published: for analysts)")
    if summary.get("checks_page"):
        table.add_row("checks", f"{summary['checks_page']} (what was checked, what failed)")
    if summary.get("restricted"):
        table.add_row("restricted store", f"{summary['restricted']} (person-level: owner only)")
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
    areas = summary.get("area_changes")
    if areas:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(areas["changes"].items())) or "none"
        restated = ", ".join(f"{n} by {m}" for m, n in sorted(areas["restated_rows"].items()))
        table.add_row(
            "area changes",
            f"{areas['changed_areas']} areas changed ({kinds}); shown on the "
            f"{areas['reference_year']} areas: {restated or 'nothing'} restated, "
            f"{areas['series_break_rows']} rows with a series break",
        )
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


@app.command()
def status(
    config: ConfigOption = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Do not ask CBS for new table versions.")
    ] = False,
) -> None:
    """Observe the landing folders (recorded in the Dagster instance, so the UI shows what is
    stale) and print what the next build would recompute."""
    from pipelines.assets_landing import record_observations
    from pipelines.instance import open_instance

    cfg = _load(config)
    the_plan = plan(cfg, offline)
    with open_instance(cfg.paths.warehouse) as instance:
        changed = record_observations(instance, the_plan.versions)
        home = instance.root_directory
    out.print(f"Dagster instance: {home}")
    if changed:
        out.print(f"new in the landing folder: {', '.join(changed)}")
    if the_plan.nothing_to_do:
        out.print(f"[green]up to date[/green]: {the_plan.reason}")
    elif the_plan.sources is None:
        out.print(f"next build: everything ({the_plan.reason})")
    else:
        out.print(
            f"next build: {', '.join(the_plan.sources)} and what depends on them "
            f"({the_plan.reason})"
        )


@app.command("dagster-home")
def dagster_home_command(config: ConfigOption = None) -> None:
    """Print the Dagster instance folder of the config's warehouse (DAGSTER_HOME, or
    `.dagster_home` beside the warehouse), creating it (0700, with dagster.yaml) if missing."""
    from pipelines.instance import dagster_home, ensure_home

    cfg = _load(config)
    print(ensure_home(dagster_home(cfg.paths.warehouse)))


def _validate_kerncijfers(path: Path, config: Path | None):
    from checks.kerncijfers import validate_kerncijfers

    return validate_kerncijfers(path)


def _validate_kaart(path: Path, config: Path | None):
    from checks.kaart import validate_kaart

    return validate_kaart(path)


def _validate_politie(path: Path, config: Path | None):
    from checks.politie import validate_politie

    cfg = _load(config) if config or _config_path(None).exists() else None
    return validate_politie(path, cfg.gemeente if cfg else None)


# The CBS and police sources, each with its own contract; every other choice is a declared
# municipal delivery (checks/deliveries/).
_OWN_VALIDATORS = {
    "cbs_kerncijfers": _validate_kerncijfers,
    "cbs_kaart": _validate_kaart,
    "politie": _validate_politie,
}
VALIDATORS = (*_OWN_VALIDATORS, *DELIVERY_SOURCES)


def _validate(path: Path, source: str, config: Path | None):
    own = _OWN_VALIDATORS.get(source)
    if own is not None:
        return own(path, config)
    from pipelines.validation import validate_delivery

    return validate_delivery(path, source, _load(config))


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="The file (or saved reply folder) to check.")],
    source: Annotated[str, typer.Option("--source", help=f"One of: {', '.join(VALIDATORS)}.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    """Check one file against its source's contract; touches no warehouse. Municipal files
    with addresses or points are also placed in buurten with the boundaries and crosswalk of
    the config's landing folder, as a build would."""
    if source not in VALIDATORS:
        err.print(f"unknown source {source!r}; known: {', '.join(VALIDATORS)}")
        raise typer.Exit(2)
    try:
        report = _validate(path, source, config)
    except typer.Exit:
        raise
    except Exception as exc:  # the disk, a landing folder it reads, a damaged file
        if debug:
            raise
        from sources.errors import describe_fault

        err.print(f"[red]validate failed:[/red] {describe_fault(exc)}", highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=1))
    else:
        colour = "green" if report.status == "accepted" else "red"
        status = report.status
        if report.warnings and report.status == "accepted":
            colour, status = "yellow", "accepted with warnings:"
        out.print(f"[{colour}]{status}[/{colour}] {report.path} ({source})")
        for w in report.warnings:
            out.print(f"  [yellow]warning:[/yellow] {w}")
        out.print(
            f"rows read {report.rows_read}, accepted {report.rows_accepted}, "
            f"quarantined {report.rows_quarantined}"
        )
        for p in report.problems[:50]:
            where = f"row {p.row}" if p.row is not None else "file"
            shown = f" (waarde {p.value})" if p.value is not None else ""
            out.print(f"  {where} {p.column or ''}: {p.reason}{shown}", markup=False)
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
