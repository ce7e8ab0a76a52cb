"""The run log: every build, successful or not, as one JSON line next to the warehouse.

A failed build must not touch the published warehouse, so its record waits here; the next
successful build takes the failed runs into `meta_run`."""

from __future__ import annotations

import json
import os
from pathlib import Path


def run_log_path(target: Path) -> Path:
    """Every run, successful or not, as one JSON line next to the warehouse."""
    return target.with_name(target.name + ".runs.jsonl")


def append_run_log(target: Path, record: dict) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(run_log_path(target), "a", encoding="utf-8") as f:
        f.write(json.dumps(record, default=str) + "\n")
        f.flush()
        os.fsync(f.fileno())


def failed_runs_from_log(target: Path) -> list[dict]:
    """Failed runs of the log, as meta_run rows (a torn last line is skipped)."""
    path = run_log_path(target)
    if not path.exists():
        return []
    runs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec.get("status") == "failed":
            runs.append(
                {
                    "run_id": rec["run_id"],
                    "started_at": rec.get("started_at"),
                    "finished_at": rec.get("finished_at"),
                    "status": "failed",
                    "offline": bool(rec.get("offline")),
                    "config_path": rec.get("config_path"),
                    "failed_checks": rec.get("failed_checks") or [],
                    "message": rec.get("message"),
                    "steps": json.dumps(rec.get("steps") or {}),
                    "warnings": rec.get("warnings") or [],
                }
            )
    return runs
