"""CBS StatLine OData v3: fetch a table's replies into the landing folder, and read them back.

The network sits behind one seam, `Transport`; everything else works on saved replies, so a
later run (and every test) can work offline. Replies are saved byte for byte as received."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from sources.config import CbsSettings
from sources.errors import UnreadableInput
from sources.http import (
    FetchError,
    RequestsTransport,
    TransientHttpError,
    Transport,
    get_with_retries,
)

SNAPSHOT_FORMAT = "%Y%m%dT%H%M%SZ"
_SNAPSHOT_NAME = re.compile(r"^\d{8}T\d{6}Z")
_PAGE_FILE = re.compile(r"^(?P<set>[A-Za-z]+)(?:_(?P<query>[a-z]+))?_p(?P<page>\d{3})\.json$")


# StatLine's failures are the HTTP seam's; the old names stay for readers of this module.
StatLineError = FetchError


class StatLineReadError(UnreadableInput):
    """A saved reply cannot be used; the message names the file and the problem."""


def pad_code(code: str) -> str:
    """StatLine keys are right-padded with spaces to 10 characters."""
    return code.ljust(10)


@dataclass(frozen=True)
class Query:
    """One entity set request of a table, saved as `<entity_set>[_<name>]_pNNN.json`."""

    entity_set: str
    name: str | None = None
    filter: str | None = None

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
    the national total (the API refuses unfiltered queries over 10,000 rows)."""
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


@dataclass
class StatLineClient:
    """Fetches StatLine tables with paging and retries, saving every reply as received."""

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

    def get_json(self, url: str) -> tuple[bytes, dict[str, Any]]:
        def parse(body: bytes) -> dict[str, Any]:
            try:
                doc = json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise TransientHttpError(f"GET {url}: reply is not complete JSON ({exc})") from exc
            if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
                raise FetchError(f"GET {url}: reply has no 'value' list")
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
        _, doc = self.get_json(Query("TableInfos").url(self.base_url, table_id))
        return doc["value"][0].get("Modified") if doc["value"] else None

    def pages(self, url: str) -> Iterator[tuple[str, bytes, dict[str, Any]]]:
        """Every page of a query, following `odata.nextLink` until it is absent."""
        seen: set[str] = set()
        while url:
            if url in seen:
                raise StatLineError(f"GET {url}: odata.nextLink loops back to a page already read")
            seen.add(url)
            body, doc = self.get_json(url)
            yield url, body, doc
            url = doc.get("odata.nextLink") or ""

    def fetch_table(
        self, table_id: str, queries: list[Query], landing_dir: Path, now: datetime | None = None
    ) -> Path:
        """Fetch all queries of a table into a new snapshot folder; return that folder.

        The folder is written under a temporary name and renamed when complete, so a crash
        never leaves a snapshot that looks complete."""
        now = now or datetime.now(UTC)
        snapshot = landing_dir / table_id / now.strftime(SNAPSHOT_FORMAT)
        partial = snapshot.with_name(snapshot.name + ".partial")
        partial.mkdir(parents=True, exist_ok=True)
        files = []
        for query in queries:
            for page_no, (url, body, _doc) in enumerate(
                self.pages(query.url(self.base_url, table_id)), start=1
            ):
                name = query.file_name(page_no)
                (partial / name).write_bytes(body)
                files.append({"file": name, "url": url, "sha256": sha256_bytes(body)})
        manifest = {
            "table_id": table_id,
            "base_url": self.base_url,
            "fetched_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "synthetic": False,
            "files": files,
        }
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        partial.rename(snapshot)
        return snapshot


# --- reading saved replies ------------------------------------------------------------------


@dataclass
class SavedFile:
    path: Path
    sha256: str
    entity_set: str
    query: str | None
    rows: int


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
    rows: list[dict[str, Any]]
    row_files: list[tuple[Path, int]]  # per data row: file and 1-based row within that file
    files: list[SavedFile]

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
    """`SavedTable.sha256` of a snapshot folder, without parsing its replies."""
    return snapshot_digest(
        (path.name, sha256_bytes(path.read_bytes())) for path, *_ in _page_files(snapshot)
    )


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


def _page_files(snapshot: Path) -> list[tuple[Path, str, str | None, int]]:
    manifest = snapshot / "manifest.json"
    if manifest.exists():
        try:
            names = [f["file"] for f in json.loads(manifest.read_text("utf-8"))["files"]]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise StatLineReadError(manifest, f"broken manifest: {exc}") from None
    else:
        names = sorted(p.name for p in snapshot.glob("*.json"))
    out = []
    for name in names:
        m = _PAGE_FILE.match(name)
        if m:
            out.append((snapshot / name, m["set"], m["query"], int(m["page"])))
    return out


def read_saved_table(snapshot: Path, table_id: str | None = None) -> SavedTable:
    """Read every saved reply of a snapshot folder."""
    manifest_path = snapshot / "manifest.json"
    manifest: dict[str, Any] = {}
    if manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text("utf-8"))
        except json.JSONDecodeError as exc:
            raise StatLineReadError(manifest_path, f"broken JSON: {exc.msg}") from None
    table_id = table_id or manifest.get("table_id") or snapshot.parent.name
    info: dict[str, Any] = {}
    props: list[dict[str, Any]] = []
    dimension: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    row_files: list[tuple[Path, int]] = []
    files: list[SavedFile] = []
    for path, entity_set, query, _page in _page_files(snapshot):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise StatLineReadError(path, f"cannot read the file: {exc.strerror}") from exc
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


_SUFFIX = re.compile(r"^(?P<stem>.+?)_(?P<n>\d+)$")


def read_single_reply(path: Path, table_id: str | None = None) -> SavedTable:
    """One saved TypedDataSet reply file on its own (not a whole snapshot), as a SavedTable;
    its table id is the snapshot folder's parent unless given."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StatLineReadError(path, f"cannot read the file: {exc.strerror}") from exc
    rows = parse_reply(path, raw)
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
        files=[SavedFile(path, sha256_bytes(raw), "TypedDataSet", None, len(rows))],
    )


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
    """`TableInfos.Modified` of a saved snapshot (None when it has no TableInfos reply)."""
    path = snapshot / "TableInfos_p001.json"
    if not path.exists():
        return None
    try:
        value = read_reply(path)
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
    """The snapshot to build from. Offline (no client): the newest saved one. Online: ask CBS
    for `TableInfos.Modified` and fetch the table only when it differs from the newest saved
    snapshot's; when CBS cannot be reached, fall back to the newest saved snapshot."""
    saved = latest_snapshot(landing_dir, table_id)
    if client is None:
        return Resolved(table_id, saved, fetched=False)
    try:
        modified = client.table_modified(table_id)
        if saved is not None and modified is not None and modified == saved_modified(saved):
            return Resolved(table_id, saved, fetched=False)
        return Resolved(table_id, client.fetch_table(table_id, queries, landing_dir, now), True)
    except FetchError as exc:
        if saved is None:
            raise
        when = saved.name
        return Resolved(
            table_id,
            saved,
            fetched=False,
            warning=f"CBS not reachable for {table_id} ({exc}); used the saved reply of {when}",
        )
