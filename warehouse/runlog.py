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


# Room kept on disk for the records of the build that runs, so that a build that fills the
# disk can still say so (see reserve_run_log).
RESERVE_BYTES = 64 * 1024
_FALLOC_FL_KEEP_SIZE = 0x01


def append_run_log(target: Path, record: dict) -> None:
    """Append one record; it lands in the space reserve_run_log kept, even on a full disk.

    A record is kept short (message at most 4000 characters) so that it fits."""
    target.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, default=str) + "\n").encode("utf-8")
    fd = os.open(run_log_path(target), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def reserve_run_log(target: Path, size: int = RESERVE_BYTES) -> bool:
    """Allocate `size` bytes past the end of the run log without growing it (fallocate with
    KEEP_SIZE): the records appended later fill blocks that are already the log's, so they
    are written even when the build has filled the disk in between. Returns False where the
    file system cannot (the records are then written as space allows)."""
    import ctypes

    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(run_log_path(target), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fallocate = libc.fallocate
        fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
        start = os.fstat(fd).st_size
        return fallocate(fd, _FALLOC_FL_KEEP_SIZE, start, size) == 0
    except (OSError, AttributeError):
        return False
    finally:
        os.close(fd)


def start_run_log(target: Path, record: dict) -> None:
    """Reserve room for this build's records and write its small `started` record first,
    before any large write, so that every build leaves a trace."""
    reserve_run_log(target)
    append_run_log(target, {**record, "status": "started"})


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
