"""The one error every source raises for an input it cannot use at all."""

from __future__ import annotations

from pathlib import Path


class UnreadableInput(ValueError):
    """A whole input is unusable; the message always names the file and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def storage_full(exc: BaseException) -> bool:
    """SQLite (Dagster's run storage) says no more than this about ENOSPC and EFBIG."""
    text = str(exc)
    return "disk I/O error" in text or "database or disk is full" in text


def describe_fault(exc: BaseException) -> str:
    """One line for an operator: the file and the cause, without a traceback."""
    import errno

    if isinstance(exc, UnreadableInput):
        return str(exc)
    if isinstance(exc, OSError):
        hints = {
            errno.ENOSPC: "disk full (no space left on the device)",
            errno.EDQUOT: "disk quota exceeded",
            errno.EFBIG: "file too large for this file system or limit",
            errno.EACCES: "permission denied",
            errno.EPERM: "operation not permitted",
            errno.ENOENT: "no such file or folder",
            errno.EROFS: "read-only file system",
        }
        cause = hints.get(exc.errno, exc.strerror or str(exc))
        where = exc.filename if exc.filename is not None else None
        if where is not None and exc.filename2 is not None:
            where = f"{exc.filename} -> {exc.filename2}"
        return f"{where}: {cause}" if where is not None else cause
    if isinstance(exc, BuildFault):
        return str(exc)
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if storage_full(exc):
        return f"Dagster's run storage could not be written ({first}): disk full or file too large"
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class BuildFault(RuntimeError):
    """A build stopped by its machine (disk full, permission denied): the message is the one
    line an operator reads, naming the file and the cause."""

    @classmethod
    def of(cls, exc: BaseException) -> BuildFault:
        return cls(describe_fault(exc))
