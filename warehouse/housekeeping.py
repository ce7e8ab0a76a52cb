"""One build at a time, and nothing left behind by a build that died.

Every build (the CLI's, a run from the Dagster UI, one that finds nothing changed) takes the
build lock (`<warehouse>.lock`, holding the PID of the build) and then removes what killed
builds left behind: staging files with their DuckDB `.wal` and `.tmp`, history copies, and
half-written asset outputs (`.<asset>.pickle.<pid>.tmp`). Only files of processes that no
longer run are removed, in the folders the caller names (the warehouse folder, the cache, the
restricted store), so a build of another checkout on the same folder is never disturbed.

The lock is an advisory `flock` on the lock file: the kernel drops it when its process dies,
so a `kill -9` never leaves a lock that blocks the next build. It is re-entrant within one
process (the CLI takes it, then the warehouse asset it runs in-process takes it again).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

# Staging and history-copy files of warehouse.build (and what DuckDB keeps beside them).
_STAGING = re.compile(r"^\..+\.(?:tmp|previous)-(?P<pid>\d+)-[0-9a-f-]+(?:\.wal|\.tmp)?$")
# Half-written asset outputs of pipelines.io.
_PICKLE_TMP = re.compile(r"^\..+\.pickle\.(?P<pid>\d+)\.tmp$")
# Half-written row files of sources.rowfiles (in the cache's rows folders).
_ROWS_TMP = re.compile(r"^\..+\.parquet\.(?P<pid>\d+)\.tmp$")
LEFTOVER_PATTERNS = (_STAGING, _PICKLE_TMP, _ROWS_TMP)


class BuildLocked(RuntimeError):
    """Another build holds the lock of this warehouse."""


def lock_path(target: Path) -> Path:
    return target.with_name(target.name + ".lock")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_held: dict[Path, tuple[int, int]] = {}  # lock path -> (fd, depth), in this process
_held_guard = threading.Lock()


@contextlib.contextmanager
def build_lock(target: Path) -> Iterator[Path]:
    """Hold the build lock of `target` (the published warehouse) for the block.

    Raises BuildLocked, naming the PID of the build that holds it, when another process
    builds the same warehouse."""
    path = lock_path(Path(target)).absolute()
    with _held_guard:
        if path in _held:
            fd, depth = _held[path]
            _held[path] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield path
        finally:
            with _held_guard:
                fd, depth = _held[path]
                _held[path] = (fd, depth - 1)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _lock_file(path, target)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError:
        pass  # a full disk: the lock holds without the PID in it
    with _held_guard:
        _held[path] = (fd, 1)
    try:
        yield path
    finally:
        with _held_guard:
            del _held[path]
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # while still locked: no other build is between open and flock
        os.close(fd)


def _lock_file(path: Path, target: Path) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise BuildLocked(
                f"{target}: another build (process {holder}) is running on this warehouse; "
                f"wait until it has finished (lock file {path})"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder removed this file as we locked it: lock the new one


def remove_leftovers(folders: Iterable[Path]) -> list[Path]:
    """Delete what builds that died left in `folders` (not recursive); return what went.

    A file counts when its name is one of ours and the process that wrote it is gone."""
    removed: list[Path] = []
    for folder in folders:
        try:
            entries = list(Path(folder).iterdir())
        except (FileNotFoundError, NotADirectoryError):
            continue
        for p in entries:
            m = next((m for pat in LEFTOVER_PATTERNS if (m := pat.match(p.name))), None)
            if m is None:
                continue
            pid = int(m["pid"])
            if pid == os.getpid() or pid_alive(pid):
                continue
            remove_path(p)
            removed.append(p)
    return removed


def remove_path(path: Path) -> None:
    """Remove a file or folder if it is there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def remove_duckdb_file(path: Path) -> None:
    """A DuckDB file and what DuckDB keeps beside it (`.wal`, the `.tmp` spill folder)."""
    for p in (path, path.with_name(path.name + ".wal"), path.with_name(path.name + ".tmp")):
        remove_path(p)


@contextlib.contextmanager
def staged_file(path: Path) -> Iterator[Path]:
    """A DuckDB file being written: whatever happens in the block, it is gone afterwards
    (published by a rename inside the block, or removed with its WAL when the block fails),
    so a failed write on a full disk frees its space at once."""
    try:
        yield path
    finally:
        remove_duckdb_file(path)


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


@contextlib.contextmanager
def named_faults() -> Iterator[None]:
    """Turn a fault of the machine in the block (disk full, permission denied, DuckDB unable
    to write) into a BuildFault whose one-line message names the file and the cause."""
    import duckdb

    from sources.errors import BuildFault

    try:
        yield
    except OSError as exc:
        raise BuildFault.of(exc) from exc
    except (duckdb.IOException, duckdb.PermissionException, duckdb.OutOfMemoryException) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BuildFault(first) from exc
