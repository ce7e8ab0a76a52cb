"""The one Dagster instance every build runs in: `DAGSTER_HOME`, or `.dagster_home` beside the
warehouse when it is not set. `wijkmonitor build`, `make dagster` (webserver and daemon) and the
production units all use it, so every build is in one run history with its steps, logs,
materialisations and check results, and Dagster's view of what is stale is the CLI's.

The folder is made owner-only (0700) when it is created: run logs can quote delivery file
names and problems. A new folder gets the production `deploy/dagster.yaml` (one run at a time,
run monitoring, no telemetry)."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

from warehouse.housekeeping import pid_alive

REPO_ROOT = Path(__file__).resolve().parents[1]
INSTANCE_YAML = REPO_ROOT / "deploy" / "dagster.yaml"
JOB_NAME = "monthly_build"
# Tags of a CLI build, so that a run left "in progress" by a killed CLI process can be told
# from one the daemon runs.
PID_TAG = "wijkmonitor/pid"
HOST_TAG = "wijkmonitor/host"
TRIGGER_TAG = "wijkmonitor/trigger"


class BuildInProgress(RuntimeError):
    """Another build writes the warehouse right now."""


class InstanceUnavailable(RuntimeError):
    """The Dagster instance cannot be opened (folder, dagster.yaml or storage)."""


def dagster_home(warehouse: Path) -> Path:
    """`DAGSTER_HOME` when set, else `<warehouse dir>/.dagster_home`."""
    env = os.environ.get("DAGSTER_HOME")
    return Path(env) if env else warehouse.parent / ".dagster_home"


def ensure_home(home: Path) -> Path:
    """Create the folder (0700) with a dagster.yaml when missing; return it, absolute."""
    home = home.resolve()
    if not home.is_dir():
        home.mkdir(parents=True, mode=0o700)
        home.chmod(0o700)  # whatever the umask
    if not (home / "dagster.yaml").exists():
        tmp = home / f".dagster.yaml.{os.getpid()}.tmp"
        shutil.copyfile(INSTANCE_YAML, tmp)
        os.replace(tmp, home / "dagster.yaml")
    return home


def open_instance(warehouse: Path):
    """The persistent instance for builds of this warehouse; use it in a `with` block.

    dagster.yaml reads its storage folder from DAGSTER_HOME, so it is set while the instance
    loads, and put back afterwards (one process may build several warehouses: tests)."""
    from dagster import DagsterInstance

    home = dagster_home(warehouse)
    before = os.environ.get("DAGSTER_HOME")
    try:
        home = ensure_home(home)
        os.environ["DAGSTER_HOME"] = str(home)
        return DagsterInstance.from_config(str(home))
    except Exception as exc:
        raise InstanceUnavailable(f"Dagster instance at {home}: {exc}") from exc
    finally:
        if before is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = before


def refuse_if_building(instance) -> None:
    """Raise BuildInProgress when a run of the build job is in progress in the instance.

    A CLI run whose process is gone (killed, machine rebooted) is marked failed, so it holds
    nothing up; any other run in progress (daemon, UI, another CLI build) refuses this one."""
    from dagster import DagsterRunStatus, RunsFilter

    in_progress = instance.get_runs(
        RunsFilter(
            job_name=JOB_NAME,
            statuses=[
                DagsterRunStatus.STARTING,
                DagsterRunStatus.STARTED,
                DagsterRunStatus.CANCELING,
            ],
        )
    )
    busy = []
    for run in in_progress:
        pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
        if pid and host == socket.gethostname() and not pid_alive(int(pid)):
            instance.report_run_failed(
                run, f"the wijkmonitor build process {pid} is gone (killed or the machine stopped)"
            )
            continue
        busy.append(run)
    if busy:
        run = busy[0]
        how = f"CLI process {run.tags[PID_TAG]}" if PID_TAG in run.tags else "Dagster"
        raise BuildInProgress(
            f"another build is in progress: run {run.run_id} ({how}), in the Dagster instance "
            f"at {instance.root_directory}. Wait for it to finish (UI: Runs), then run "
            "the build again."
        )


def cli_tags() -> dict[str, str]:
    return {TRIGGER_TAG: "cli", PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def failure_messages(events) -> list[str]:
    """One line per failed step (`<step>: <innermost error>`) and per failed check, from the
    Dagster events of a run."""
    messages = []
    for ev in events:
        if ev.is_step_failure:
            cause = ev.event_specific_data.error
            while cause.cause is not None:
                cause = cause.cause
            messages.append(f"{ev.step_key}: {cause.message.strip()}")
        elif ev.event_type_value == "ASSET_CHECK_EVALUATION":
            data = ev.event_specific_data
            if not data.passed:
                messages.append(f"check {data.check_name} failed: {data.description or ''}")
    return messages


def failed_checks(events) -> list[str]:
    return [
        ev.event_specific_data.check_name
        for ev in events
        if ev.event_type_value == "ASSET_CHECK_EVALUATION" and not ev.event_specific_data.passed
    ]


def step_seconds(events) -> dict[str, float]:
    return {
        ev.step_key: round(ev.event_specific_data.duration_ms / 1000, 3)
        for ev in events
        if ev.is_step_success and ev.event_specific_data.duration_ms is not None
    }


def failed_runs(instance, target: Path, limit: int = 200) -> list[dict]:
    """The failed builds, as meta_run rows: every failed run of the build job in the instance
    (CLI, schedule, sensor, UI), and the fallback log next to the warehouse (failures before
    the instance could be reached)."""
    import json
    from datetime import UTC, datetime

    from dagster import DagsterEventType, DagsterRunStatus, RunsFilter

    from warehouse.runlog import failed_runs_from_log

    def when(ts: float | None):
        return datetime.fromtimestamp(ts, UTC).isoformat() if ts else None

    rows = []
    records = instance.get_run_records(
        RunsFilter(job_name=JOB_NAME, statuses=[DagsterRunStatus.FAILURE]), limit=limit
    )
    for rec in records:
        run = rec.dagster_run
        events = [
            r.dagster_event
            for r in instance.all_logs(
                run.run_id,
                of_type={
                    DagsterEventType.STEP_FAILURE,
                    DagsterEventType.STEP_SUCCESS,
                    DagsterEventType.ASSET_CHECK_EVALUATION,
                    DagsterEventType.RUN_FAILURE,
                },
            )
        ]
        settings = (run.run_config or {}).get("resources", {}).get("settings", {})
        config = settings.get("config", {}) if isinstance(settings, dict) else {}
        messages = failure_messages(events) or [
            ev.message or "" for ev in events if ev.event_type_value == "PIPELINE_FAILURE"
        ]
        rows.append(
            {
                "run_id": run.run_id,
                "started_at": when(rec.start_time),
                "finished_at": when(rec.end_time) or when(rec.update_timestamp.timestamp()),
                "status": "failed",
                "offline": bool(config.get("offline", False)),
                "config_path": config.get("config_path"),
                "failed_checks": failed_checks(events),
                "message": "; ".join(messages)[:4000],
                "steps": json.dumps(step_seconds(events)),
                "warnings": [],
            }
        )
    known = {r["run_id"] for r in rows}
    return rows + [r for r in failed_runs_from_log(target) if r["run_id"] not in known]
