"""Download a wijk- en buurtkaart into the landing folder: the separate, explicit step before a
build (a build only reads kaart files already in `landing/cbs_kaart/<year>/`).

The archive is kept as received under `cbs_kaart/downloads/<year>/`; its kaart files are
unpacked into `cbs_kaart/<year>/`."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from sources.http import RequestsTransport, TransientHttpError, Transport, get_with_retries

# Kaart files and the sidecars a shapefile needs.
UNPACK_SUFFIXES = {".gpkg", ".geojson", ".shp", ".shx", ".dbf", ".prj", ".cpg"}


def _check_complete(name: str) -> Callable[[bytes], None]:
    def check(body: bytes) -> None:
        if not body:
            raise TransientHttpError(f"{name}: empty reply")
        if name.lower().endswith(".zip") or body[:2] == b"PK":
            try:
                with zipfile.ZipFile(io.BytesIO(body)) as z:
                    bad = z.testzip()
            except zipfile.BadZipFile as exc:
                raise TransientHttpError(f"{name}: archive cut short or damaged ({exc})") from exc
            if bad is not None:
                raise TransientHttpError(f"{name}: damaged member {bad} in the archive")

    return check


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


def download_kaart(
    url: str,
    year: int,
    kaart_dir: Path,
    transport: Transport | None = None,
    *,
    retries: int = 4,
    backoff_seconds: float = 2.0,
    timeout_seconds: float = 600.0,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda message: None,
) -> list[Path]:
    """Fetch `url` (a .zip of the kaart, or a single .gpkg/.geojson); return the kaart files
    written into `kaart_dir/<year>/`."""
    name = PurePosixPath(unquote(urlsplit(url).path)).name or f"wijkbuurtkaart_{year}.zip"
    body, _ = get_with_retries(
        transport or RequestsTransport(),
        url,
        _check_complete(name),
        retries=retries,
        backoff_seconds=backoff_seconds,
        timeout_seconds=timeout_seconds,
        sleep=sleep,
        log=log,
    )
    target = kaart_dir / str(year)
    written: list[Path] = []
    if body[:2] != b"PK":
        if Path(name).suffix.lower() not in UNPACK_SUFFIXES:
            raise ValueError(f"{url}: neither a zip archive nor a kaart file ({name})")
        _write_atomically(target / name, body)
        return [target / name]
    _write_atomically(kaart_dir / "downloads" / str(year) / name, body)
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        for info in z.infolist():
            member = PurePosixPath(info.filename)
            # Flatten: only the file name counts, so no member can escape the folder.
            if info.is_dir() or member.suffix.lower() not in UNPACK_SUFFIXES:
                continue
            if member.name.startswith("."):
                continue
            dest = target / member.name
            _write_atomically(dest, z.read(info))
            written.append(dest)
    if not written:
        raise ValueError(
            f"{url}: the archive holds no kaart files ({', '.join(sorted(UNPACK_SUFFIXES))})"
        )
    return written
