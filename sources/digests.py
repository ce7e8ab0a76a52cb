"""sha256 of landing files for *versions* (has anything changed since the last build?),
remembered by file identity so that an unchanged rerun does not hash gigabytes again.

A file's identity is (path, size, mtime, ctime, inode): any write changes its ctime, which no
user can set back, and a copy or a replacement has another inode, so a remembered digest is
only used for the very bytes it was computed from. This is NOT the integrity check of saved
replies: every read still hashes what it reads against the manifest (sources.statline)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

CHUNK = 1 << 20

# identity (as text) -> sha256 hex; filled by `sha256_files`, kept between runs by `remembered`
_DIGESTS: dict[str, str] = {}


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in chunks (OSError when it cannot be read)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


# A file changed less than this before it is hashed is not remembered: timestamps are
# coarse (a few ms), so a write right after hashing could leave them as they were (git calls
# such entries "racily clean" and does the same).
SETTLED_NS = 1_000_000_000


def _identity(path: Path) -> tuple[str, int]:
    """(identity, ns since its last change)."""
    st = path.stat()
    ident = f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}|{st.st_ino}"
    return ident, time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns)


def sha256_files(paths: Iterable[Path]) -> list[str]:
    """The sha256 of each file, in order: remembered ones as remembered, the others hashed on
    a few threads (hashlib releases the GIL). OSError when a file cannot be read."""
    paths = list(paths)
    ids = [_identity(p) for p in paths]
    todo = [(i, p) for (i, _), p in zip(ids, paths, strict=True) if i not in _DIGESTS]
    hashed = {}
    if todo:
        with ThreadPoolExecutor(min(4, os.cpu_count() or 1)) as pool:
            hashed = dict(
                zip([i for i, _ in todo], pool.map(sha256_file, [p for _, p in todo]), strict=True)
            )
    _DIGESTS.update((i, hashed[i]) for i, age in ids if i in hashed and age > SETTLED_NS)
    return [hashed[i] if i in hashed else _DIGESTS[i] for i, _ in ids]


@contextmanager
def remembered(store: Path):
    """Use and keep the digests remembered in `store` (a JSON file, written atomically and
    owner-only; entries of files that changed or are gone are dropped). A missing or broken
    store only means hashing again; failing to write it only means hashing next time."""
    with suppress(OSError, ValueError, TypeError):
        _DIGESTS.update(json.loads(store.read_text("utf-8")))
    try:
        yield
    finally:
        kept = {i: d for i, d in sorted(_DIGESTS.items()) if _still_there(i)}
        tmp = store.with_name(f".{store.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(kept, f)
            os.replace(tmp, store)
        except OSError:
            tmp.unlink(missing_ok=True)


def _still_there(identity: str) -> bool:
    try:
        return _identity(Path(identity.rsplit("|", 4)[0]))[0] == identity
    except OSError:
        return False
