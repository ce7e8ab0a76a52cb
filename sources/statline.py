"""CBS StatLine OData v3: fetch a table's replies into the landing folder, and read them back.

Two channels of one service (docs/sources.md 1a): the standard API
`.../ODataApi/odata/<table>/` serves at most 10,000 cells per request and refuses more; the
bulk feed `.../ODataFeed/odata/<table>/` has no maximum and pages with `odata.nextLink`. Small
metadata sets (`TableInfos`, `DataProperties`) come from the API; the figures and the dimension
sets from the feed. The config names the API root; `feed_root` derives the feed's.

The network sits behind one seam, `Transport`; everything else works on saved replies, so a
later run (and every test) can work offline. Replies are saved byte for byte as received, with
their sha256 in the snapshot's manifest; every read checks them against it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from sources.config import CbsSettings
from sources.digests import sha256_file, sha256_files
from sources.errors import UnreadableInput
from sources.http import (
    FetchError,
    RequestsTransport,
    TransientHttpError,
    Transport,
    get_with_retries,
)

API_CELL_CAP = 10_000  # cells (rows x columns) the standard API serves per request, at most
API_ROOT_SUFFIX = "/ODataApi/odata"
FEED_ROOT_SUFFIX = "/ODataFeed/odata"
API_SETS = frozenset({"TableInfos", "DataProperties"})  # small metadata sets: from the API
SNAPSHOT_FORMAT = "%Y%m%dT%H%M%SZ"
_SNAPSHOT_NAME = re.compile(r"^\d{8}T\d{6}Z")
_PAGE_FILE = re.compile(r"^(?P<set>[A-Za-z]+)(?:_(?P<query>[a-z]+))?_p(?P<page>\d{3})\.json$")


# StatLine's failures are the HTTP seam's; the old names stay for readers of this module.
StatLineError = FetchError


class StatLineReadError(UnreadableInput):
    """A saved reply cannot be used; the message names the file and the problem."""


class SnapshotIntegrityError(StatLineReadError):
    """A saved snapshot is not what was received: a reply differs from its manifest's sha256,
    is missing, or the manifest itself is missing or broken."""


class IncompleteFetch(RuntimeError):
    """CBS has a version of a table that could not be fetched whole (a page refused, cut off,
    or lost after the retries). Nothing of it was saved. Deliberately not a FetchError: it is
    no reason to fall back on an older saved reply as if CBS were unreachable."""


def feed_root(api_root: str) -> str:
    """The bulk feed's service root for an API service root: `.../ODataApi/odata` ->
    `.../ODataFeed/odata` on the same host."""
    root = api_root.rstrip("/")
    if not root.endswith(API_ROOT_SUFFIX):
        raise ValueError(
            f"{api_root}: a StatLine service root must end in {API_ROOT_SUFFIX} "
            f"(the bulk feed is the same URL with {FEED_ROOT_SUFFIX})"
        )
    return root[: -len(API_ROOT_SUFFIX)] + FEED_ROOT_SUFFIX


def reply_cells(rows: list[dict[str, Any]]) -> int:
    """Cells of a reply as the API counts them: rows x columns."""
    return len(rows) * max((len(r) for r in rows), default=0)


def pad_code(code: str) -> str:
    """StatLine keys are right-padded with spaces to 10 characters."""
    return code.ljust(10)


@dataclass(frozen=True)
class Query:
    """One entity set request of a table, saved as `<entity_set>[_<name>]_pNNN.json`."""

    entity_set: str
    name: str | None = None
    filter: str | None = None

    @property
    def channel(self) -> str:
        """`api` for the small metadata sets, `feed` for everything that can grow past the
        API's cap (the figures, the dimension sets)."""
        return "api" if self.entity_set in API_SETS else "feed"

    def url(self, base_url: str, table_id: str) -> str:
        params = {"$format": "json"}
        if self.filter:
            params = {"$filter": self.filter, **params}
        return f"{base_url}/{table_id}/{self.entity_set}?{urlencode(params, quote_via=quote)}"

    def file_name(self, page: int) -> str:
        middle = f"_{self.name}" if self.name else ""
        return f"{self.entity_set}{middle}_p{page:03d}.json"


def kerncijfers_queries(gemeente: str) -> list[Query]:
    """What one Kerncijfers table is asked for: its metadata, and the gemeente's areas plus
    the national total. (The figures come from the feed, which has no cap; the filter keeps
    the snapshot to what the build uses.)"""
    digits = gemeente[2:]
    return [
        Query("TableInfos"),
        Query("DataProperties"),
        Query("WijkenEnBuurten", "gemeente", f"substring(Key,2,4) eq '{digits}'"),
        Query("WijkenEnBuurten", "land", f"Key eq '{pad_code('NL00')}'"),
        Query("TypedDataSet", "gemeente", f"substring(WijkenEnBuurten,2,4) eq '{digits}'"),
        Query("TypedDataSet", "land", f"WijkenEnBuurten eq '{pad_code('NL00')}'"),
    ]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_entry(name: str, channel: str, url: str, body: bytes) -> dict[str, str]:
    """One saved reply in a manifest: file, the channel and URL it came from, its sha256."""
    return {"file": name, "channel": channel, "url": url, "sha256": sha256_bytes(body)}


def write_manifest(
    folder: Path,
    table_id: str,
    api_root: str,
    fetched_at: str,
    files: list[dict[str, str]],
    synthetic: bool = False,
) -> None:
    """`manifest.json` of a snapshot, written last (its presence marks the folder complete)."""
    manifest = {
        "table_id": table_id,
        "base_url": api_root,
        "feed_url": feed_root(api_root),
        "fetched_at": fetched_at,
        "synthetic": synthetic,
        "files": files,
    }
    (folder / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


@dataclass
class StatLineClient:
    """Fetches StatLine tables with paging and retries, saving every reply as received.

    `base_url` is the API service root (`.../ODataApi/odata`); the feed's is derived."""

    base_url: str
    transport: Transport = field(default_factory=RequestsTransport)
    retries: int = 4
    backoff_seconds: float = 2.0
    timeout_seconds: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    log: Callable[[str], None] = lambda message: None

    @classmethod
    def for_host(
        cls,
        cbs: CbsSettings,
        base_url: str,
        log: Callable[[str], None] = lambda message: None,
        max_retries: int | None = None,
        max_timeout_seconds: float | None = None,
    ) -> StatLineClient:
        """A client for one host (`cbs.opendata_url`, `cbs.dataderden_url`) with the config's
        retries and timeouts, optionally capped (a quick look before a build asks less)."""
        retries = cbs.retries if max_retries is None else min(cbs.retries, max_retries)
        timeout = cbs.timeout_seconds
        if max_timeout_seconds is not None:
            timeout = min(timeout, max_timeout_seconds)
        return cls(
            base_url=base_url,
            retries=retries,
            backoff_seconds=cbs.backoff_seconds,
            timeout_seconds=timeout,
            log=log,
        )

    @property
    def feed_url(self) -> str:
        return feed_root(self.base_url)

    def root(self, channel: str) -> str:
        return self.feed_url if channel == "feed" else self.base_url

    def query_url(self, query: Query, table_id: str) -> str:
        """The first request of `query`, on its channel."""
        return query.url(self.root(query.channel), table_id)

    def get_json(self, url: str, channel: str = "feed") -> tuple[bytes, dict[str, Any]]:
        """GET one reply. On the API channel a reply that reaches the API's cell cap is not
        taken: it may not be the whole set (such queries belong on the feed)."""

        def parse(body: bytes) -> dict[str, Any]:
            try:
                doc = json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise TransientHttpError(f"GET {url}: reply is not complete JSON ({exc})") from exc
            if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
                raise FetchError(f"GET {url}: reply has no 'value' list")
            if channel == "api" and reply_cells(doc["value"]) >= API_CELL_CAP:
                raise FetchError(
                    f"GET {url}: {reply_cells(doc['value'])} cells, at the API's cap of "
                    f"{API_CELL_CAP}: the reply may not be the whole set (ask the bulk feed)"
                )
            return doc

        return get_with_retries(
            self.transport,
            url,
            parse,
            retries=self.retries,
            backoff_seconds=self.backoff_seconds,
            timeout_seconds=self.timeout_seconds,
            sleep=self.sleep,
            log=self.log,
        )

    def table_modified(self, table_id: str) -> str | None:
        """`TableInfos.Modified`: the version of a table as CBS publishes it now."""
        query = Query("TableInfos")
        _, doc = self.get_json(self.query_url(query, table_id), query.channel)
        return doc["value"][0].get("Modified") if doc["value"] else None

    def pages(self, url: str, channel: str = "feed") -> Iterator[tuple[str, bytes, dict[str, Any]]]:
        """Every page of a query, following `odata.nextLink` until it is absent."""
        seen: set[str] = set()
        while url:
            if url in seen:
                raise StatLineError(f"GET {url}: odata.nextLink loops back to a page already read")
            seen.add(url)
            body, doc = self.get_json(url, channel)
            yield url, body, doc
            url = doc.get("odata.nextLink") or ""

    def fetch_table(
        self, table_id: str, queries: list[Query], landing_dir: Path, now: datetime | None = None
    ) -> Path:
        """Fetch all queries of a table into a new snapshot folder; return that folder.

        The folder is written under a temporary name (`.partial`) and renamed only when every
        page of every query has arrived whole; when anything fails the temporary folder is
        removed, so a snapshot is complete or absent. The manifest records, per page, the
        channel and URL it came from and the sha256 of the bytes received."""
        now = now or datetime.now(UTC)
        snapshot = landing_dir / table_id / now.strftime(SNAPSHOT_FORMAT)
        partial = snapshot.with_name(snapshot.name + ".partial")
        if partial.exists():
            shutil.rmtree(partial)  # left by a fetch that died
        partial.mkdir(parents=True)
        try:
            files = []
            for query in queries:
                pages = self.pages(self.query_url(query, table_id), query.channel)
                for page_no, (url, body, _doc) in enumerate(pages, start=1):
                    name = query.file_name(page_no)
                    (partial / name).write_bytes(body)
                    files.append(
                        {
                            "file": name,
                            "channel": query.channel,
                            "url": url,
                            "sha256": sha256_bytes(body),
                        }
                    )
            manifest = {
                "table_id": table_id,
                "base_url": self.base_url,
                "feed_url": self.feed_url,
                "fetched_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "synthetic": False,
                "files": files,
            }
            (partial / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            partial.rename(snapshot)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        return snapshot


# --- reading saved replies ------------------------------------------------------------------


@dataclass
class SavedFile:
    path: Path
    sha256: str
    entity_set: str
    query: str | None
    rows: int | None  # None: a figures page checked but not parsed (`read_saved_table`)


@dataclass
class SavedTable:
    """One snapshot of one table, read from the landing folder."""

    table_id: str
    snapshot: Path
    fetched_at: str | None
    synthetic: bool
    table_info: dict[str, Any]
    data_properties: list[dict[str, Any]]
    dimension: list[dict[str, Any]]
    rows: list[dict[str, Any]]  # empty when read with figures=False
    row_files: list[tuple[Path, int]]  # per data row: file and 1-based row within that file
    files: list[SavedFile]

    @property
    def figure_pages(self) -> list[Path]:
        """The saved TypedDataSet replies, in the order they were received."""
        return [f.path for f in self.files if f.entity_set == "TypedDataSet"]

    @property
    def modified(self) -> str | None:
        return self.table_info.get("Modified")

    @property
    def title(self) -> str | None:
        return self.table_info.get("Title")

    @property
    def sha256(self) -> str:
        """One digest over every saved reply of the snapshot."""
        return snapshot_digest((f.path.name, f.sha256) for f in self.files)


def snapshot_digest(named_hashes: Iterable[tuple[str, str]]) -> str:
    """The digest of a snapshot from (file name, sha256) of its replies, in name order."""
    h = hashlib.sha256()
    for name, digest in sorted(named_hashes):
        h.update(f"{name}\0{digest}\n".encode())
    return h.hexdigest()


def snapshot_sha256(snapshot: Path) -> str:
    """`SavedTable.sha256` of a snapshot folder, without parsing its replies: which version
    of a table is saved (pipelines.versions asks when planning and again when publishing).
    Digests of unchanged files are remembered (sources.digests); this is not the integrity
    check, which every read does (`check_received`). OSError when a page cannot be read."""
    pages = [path for path, *_ in _page_files(snapshot)]
    return snapshot_digest(zip([p.name for p in pages], sha256_files(pages), strict=True))


def read_reply(path: Path) -> list[dict[str, Any]]:
    """The `value` rows of one saved reply; StatLineReadError if it is not a usable reply."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StatLineReadError(path, f"cannot read the file: {exc.strerror}") from exc
    return parse_reply(path, raw)


def parse_reply(path: Path, raw: bytes) -> list[dict[str, Any]]:
    """The `value` rows of the bytes of a saved reply (`path` names it in errors)."""
    if not raw.strip():
        raise StatLineReadError(path, "the file is empty")
    try:
        doc = json.loads(raw)
    except UnicodeDecodeError:
        raise StatLineReadError(path, "not a StatLine reply: the file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise StatLineReadError(
            path, f"broken JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(doc, dict) or "value" not in doc:
        raise StatLineReadError(path, "not a StatLine reply: required key 'value' is missing")
    if not isinstance(doc["value"], list) or not all(isinstance(r, dict) for r in doc["value"]):
        raise StatLineReadError(path, "'value' must be a list of objects")
    return doc["value"]


def snapshots(landing_dir: Path, table_id: str) -> list[Path]:
    """Complete snapshots of a table, oldest first."""
    folder = landing_dir / table_id
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_dir() and _SNAPSHOT_NAME.match(p.name) and not p.name.endswith(".partial")
    )


def latest_snapshot(landing_dir: Path, table_id: str) -> Path | None:
    found = snapshots(landing_dir, table_id)
    return found[-1] if found else None


def read_manifest(snapshot: Path) -> dict[str, Any] | None:
    """The manifest of a snapshot folder (None when it has none); a broken one is refused."""
    path = snapshot / "manifest.json"
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SnapshotIntegrityError(path, f"broken manifest: {exc}") from None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, list) or not all(
        isinstance(f, dict) and isinstance(f.get("file"), str) and isinstance(f.get("sha256"), str)
        for f in files
    ):
        raise SnapshotIntegrityError(
            path, "broken manifest: 'files' must list objects with 'file' and 'sha256'"
        )
    return doc


def _page_files(
    snapshot: Path, manifest: dict[str, Any] | None = None
) -> list[tuple[Path, str, str | None, int, str | None]]:
    """(path, entity set, query name, page, sha256 as received) of each saved reply: those
    the manifest lists, else (a folder without one) every `*.json` reply file."""
    if manifest is None:
        manifest = read_manifest(snapshot)
    if manifest is not None:
        listed = [(f["file"], f["sha256"]) for f in manifest["files"]]
    else:
        listed = [(p.name, None) for p in sorted(snapshot.glob("*.json"))]
    out = []
    for name, digest in listed:
        m = _PAGE_FILE.match(name)
        if m:
            out.append((snapshot / name, m["set"], m["query"], int(m["page"]), digest))
    return out


def _read_received(path: Path, expected_sha256: str | None) -> bytes:
    """The bytes of a saved reply, checked against the sha256 recorded when it was received."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SnapshotIntegrityError(path, f"cannot read the file: {exc.strerror}") from exc
    if expected_sha256 is not None and sha256_bytes(raw) != expected_sha256:
        detail = ""
        try:
            parse_reply(path, raw)
        except StatLineReadError as exc:
            detail = f"; {exc.problem}"
        raise SnapshotIntegrityError(
            path,
            "not the reply as received: its sha256 differs from the one in manifest.json "
            f"(recorded {expected_sha256[:16]}…, now {sha256_bytes(raw)[:16]}…){detail}",
        )
    return raw


def _check_received(path: Path, expected_sha256: str | None) -> str:
    """The sha256 of a saved reply, hashed in chunks without holding it, checked against the
    one recorded when it was received (the same errors as `_read_received`)."""
    try:
        digest = sha256_file(path)
    except OSError as exc:
        raise SnapshotIntegrityError(path, f"cannot read the file: {exc.strerror}") from exc
    if expected_sha256 is not None and digest != expected_sha256:
        _read_received(path, expected_sha256)  # raises, with what is wrong with the reply
    return digest


def check_received(pages: list[tuple[Path, str | None]]) -> list[str]:
    """`_check_received` of many saved replies, hashed on a few threads (hashlib releases the
    GIL); the sha256 of each, in order. The first page in order that fails raises."""
    if len(pages) < 4:
        return [_check_received(path, digest) for path, digest in pages]
    workers = min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(_check_received, path, digest) for path, digest in pages]
        return [f.result() for f in futures]


def verify_snapshot(snapshot: Path) -> None:
    """Check that a snapshot folder holds exactly what was received: a manifest, and every
    reply it lists with the sha256 recorded at fetch time. SnapshotIntegrityError otherwise."""
    manifest = read_manifest(snapshot)
    if manifest is None:
        raise SnapshotIntegrityError(
            snapshot, "no manifest.json: not a complete snapshot (the fetch writes it last)"
        )
    check_received([(path, digest) for path, *_, digest in _page_files(snapshot, manifest)])


def usable_snapshot(
    landing_dir: Path, table_id: str
) -> tuple[Path | None, list[SnapshotIntegrityError]]:
    """The newest saved snapshot of a table that is intact (`verify_snapshot`), and the newer
    ones refused on the way, newest first."""
    refused: list[SnapshotIntegrityError] = []
    for snapshot in reversed(snapshots(landing_dir, table_id)):
        try:
            verify_snapshot(snapshot)
        except SnapshotIntegrityError as exc:
            refused.append(exc)
            continue
        return snapshot, refused
    return None, refused


def read_saved_table(
    snapshot: Path, table_id: str | None = None, figures: bool = True
) -> SavedTable:
    """Read every saved reply of a snapshot folder. When the folder has a manifest (every
    fetched snapshot has), each reply is checked against the sha256 it records.

    `figures=False`: the TypedDataSet pages are checked (hashed in chunks) but not parsed;
    `rows` stays empty and a columnar reader takes them from `figure_pages`
    (`reply_rows_sql`), so a national table never becomes Python objects."""
    manifest = read_manifest(snapshot) or {}
    table_id = table_id or manifest.get("table_id") or snapshot.parent.name
    info: dict[str, Any] = {}
    props: list[dict[str, Any]] = []
    dimension: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    row_files: list[tuple[Path, int]] = []
    files: list[SavedFile] = []
    pages = _page_files(snapshot, manifest or None)
    figure_pages = [(p, d) for p, entity_set, *_, d in pages if entity_set == "TypedDataSet"]
    unparsed = (
        dict(zip(figure_pages, check_received(figure_pages), strict=True)) if not figures else {}
    )
    for path, entity_set, query, _page, digest in pages:
        if (path, digest) in unparsed:
            files.append(SavedFile(path, unparsed[(path, digest)], entity_set, query, None))
            continue
        raw = _read_received(path, digest)
        value = parse_reply(path, raw)
        files.append(SavedFile(path, sha256_bytes(raw), entity_set, query, len(value)))
        if entity_set == "TableInfos":
            info = value[0] if value else {}
        elif entity_set == "DataProperties":
            props.extend(value)
        elif entity_set == "TypedDataSet":
            rows.extend(value)
            row_files.extend((path, i) for i in range(1, len(value) + 1))
        else:
            dimension.extend(value)
    if not any(f.entity_set == "TypedDataSet" for f in files):
        raise StatLineReadError(snapshot, "no saved TypedDataSet reply in this folder")
    return SavedTable(
        table_id=table_id,
        snapshot=snapshot,
        fetched_at=manifest.get("fetched_at"),
        synthetic=bool(manifest.get("synthetic")) or bool(info.get("Synthetic")),
        table_info=info,
        data_properties=props,
        dimension=dimension,
        rows=rows,
        row_files=row_files,
        files=files,
    )


def reply_rows_sql(columns: dict[str, str]) -> str:
    """DuckDB SQL reading saved replies column-wise: one row per element of each reply's
    `value` list, straight from the files (read_text + json_transform_strict, in parallel,
    no Python object per row). Parameter `$pages`: the page paths (as str), checked
    beforehand (`check_received`). `columns`: JSON key -> DuckDB type of the cell (`JSON`
    keeps a cell as written, to judge its type later). Result columns: `page` (0-based
    position in `$pages`), `line` (1-based row within its reply), `n_rows` (rows of that
    reply), `k0`, `k1`, ... per key (a reply with no rows gives none).

    Strict: a reply that is not JSON, whose `value` is not a list of objects, or a row that
    lacks one of the keys, fails the whole query (duckdb.Error); the caller then finds the
    page and says what is wrong with it (`diagnose_replies`)."""
    structure = json.dumps({"value": [columns]})
    cells = ", ".join(
        f"r[{json.dumps(k)}] AS k{i}".replace('"', "'") for i, k in enumerate(columns)
    )
    return f"""
        SELECT page, line, n_rows, {cells} FROM (
            SELECT page, len(v) AS n_rows, unnest(range(1, len(v) + 1)) AS line, unnest(v) AS r
            FROM (SELECT list_position($pages, filename) - 1 AS page,
                         json_transform_strict(content, '{structure.replace("'", "''")}').value AS v
                  FROM read_text($pages)))"""


def strip_sql(cell: str) -> str:
    """SQL: a text cell without its padding. StatLine pads keys with spaces; trim() without
    a character list is several times faster than with one, on tens of millions of cells."""
    return f"trim({cell})"


def diagnose_replies(pages: Iterable[Path], keys: Sequence[str]) -> None:
    """Find what DuckDB refused in saved replies, with the reply parser: raises
    StatLineReadError naming the first page that is not a usable reply, or its first row
    that lacks one of `keys`. Returns when every page is fine."""
    for page in pages:
        for line, row in enumerate(parse_reply(page, page.read_bytes()), start=1):
            missing = [k for k in keys if k not in row]
            if missing:
                raise StatLineReadError(page, f"row {line}: required key(s) missing: {missing}")


def _recorded_sha256(path: Path) -> str | None:
    """The sha256 the manifest next to a saved reply records for it (None: not listed)."""
    manifest = read_manifest(path.parent)
    if manifest is None:
        return None
    return next((f["sha256"] for f in manifest["files"] if f["file"] == path.name), None)


_SUFFIX = re.compile(r"^(?P<stem>.+?)_(?P<n>\d+)$")


def read_single_reply(path: Path, table_id: str | None = None, figures: bool = True) -> SavedTable:
    """One saved TypedDataSet reply file on its own (not a whole snapshot), as a SavedTable;
    its table id is the snapshot folder's parent unless given. A reply that the folder's
    manifest lists is checked against the sha256 it records. `figures=False`: checked, not
    parsed (as `read_saved_table`)."""
    if not path.exists():
        raise StatLineReadError(path, "no such file")

    def single(rows: list[dict], file: SavedFile) -> SavedTable:
        return SavedTable(
            table_id=table_id or path.parent.parent.name,
            snapshot=path.parent,
            fetched_at=None,
            synthetic=False,
            table_info={},
            data_properties=[],
            dimension=[],
            rows=rows,
            row_files=[(path, i) for i in range(1, len(rows) + 1)],
            files=[file],
        )

    if not figures:
        digest = _check_received(path, _recorded_sha256(path))
        return single([], SavedFile(path, digest, "TypedDataSet", None, None))
    raw = _read_received(path, _recorded_sha256(path))
    rows = parse_reply(path, raw)
    return single(rows, SavedFile(path, sha256_bytes(raw), "TypedDataSet", None, len(rows)))


def key_stem(key: str) -> str:
    """`HuishoudensTotaal_28` -> `HuishoudensTotaal`; the suffix is a per-year column number."""
    m = _SUFFIX.match(key)
    return m["stem"] if m else key


@dataclass(frozen=True)
class Resolved:
    """Which saved snapshot a build uses for a table, and how it got there."""

    table_id: str
    snapshot: Path | None
    fetched: bool
    warning: str | None = None


def saved_modified(snapshot: Path) -> str | None:
    """`TableInfos.Modified` of a saved snapshot (None when it has no usable TableInfos reply)."""
    path = snapshot / "TableInfos_p001.json"
    if not path.exists():
        return None
    try:
        value = parse_reply(path, _read_received(path, _recorded_sha256(path)))
    except StatLineReadError:
        return None
    return value[0].get("Modified") if value else None


def resolve_table(
    client: StatLineClient | None,
    landing_dir: Path,
    table_id: str,
    queries: list[Query],
    now: datetime | None = None,
) -> Resolved:
    """The snapshot to build from: only an intact one (`verify_snapshot`); a newer one that is
    not what was received is refused with a warning naming the file.

    Offline (no client): the newest intact snapshot; none at all -> `snapshot` None; only
    refused ones -> SnapshotIntegrityError naming the file. Online: ask CBS for
    `TableInfos.Modified` and fetch the table when it differs from the saved snapshot's (or
    when a saved snapshot was refused, so that the newest one is intact again). When CBS
    cannot be asked (the version check fails after its retries), fall back to the newest
    intact snapshot with a warning (FetchError when nothing was ever saved). When CBS answers
    but the table cannot be fetched whole, IncompleteFetch: the build stops rather than
    publish figures CBS has already replaced."""
    saved, refused = usable_snapshot(landing_dir, table_id)

    def notes(outcome: str) -> str | None:
        found = [f"saved reply {e.path} of {table_id} refused: {e.problem}" for e in refused]
        return "; ".join(f"{n}; {outcome}" for n in found) or None

    def no_intact_snapshot(extra: str = "") -> SnapshotIntegrityError:
        newest = refused[0]
        return SnapshotIntegrityError(
            newest.path, f"{newest.problem}; no intact older snapshot of {table_id}{extra}"
        )

    fallback = f"used the older saved reply of {saved.name}" if saved is not None else ""
    if client is None:
        if saved is None and refused:
            raise no_intact_snapshot()
        return Resolved(table_id, saved, fetched=False, warning=notes(fallback))
    try:
        modified = client.table_modified(table_id)
    except FetchError as exc:
        if saved is None:
            if refused:
                raise no_intact_snapshot(f", and CBS not reachable ({exc})") from None
            raise
        unreachable = (
            f"CBS not reachable for {table_id} ({exc}); used the saved reply of {saved.name}"
        )
        return Resolved(
            table_id, saved, fetched=False, warning=_joined(notes(fallback), unreachable)
        )
    if (
        saved is not None
        and not refused
        and modified is not None
        and modified == saved_modified(saved)
    ):
        return Resolved(table_id, saved, fetched=False)
    try:
        snapshot = client.fetch_table(table_id, queries, landing_dir, now)
    except FetchError as exc:
        have = f"saved: {saved_modified(saved)} of {saved.name}" if saved else "nothing saved"
        raise IncompleteFetch(
            f"{table_id}: CBS has version {modified} ({have}), but it could not be fetched "
            f"whole, so nothing of it was saved and the build stops: {exc}"
        ) from None  # the message carries the cause; a chain would hide it behind its root
    return Resolved(table_id, snapshot, fetched=True, warning=notes("fetched the table again"))


def _joined(*notes: str | None) -> str | None:
    return "; ".join(n for n in notes if n) or None
