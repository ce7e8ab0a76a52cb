"""A local StatLine OData v3 server for tests: real HTTP on loopback, the real wire format
(`{"odata.metadata", "value"}`), a crude `$filter` and `$select`, and switchable faults.

It serves both channels of the service (docs/sources.md 1a), under one host:

- the standard API, `/ODataApi/odata/<table>/<set>`: the whole result in one reply, but a
  request whose result exceeds `cell_cap` cells (rows x columns, after `$filter`/`$select`) is
  refused with HTTP `refuse_status` (500) and an OData error body
  `{"odata.error": {"code": "", "message": {"lang": "en-US", "value": "..."}}}`. (What CBS
  itself answers is not documented beyond "a larger query is not served"; an HTTP error with
  an OData error body is what an OData v3 service sends when it refuses a request.)
- the bulk feed, `/ODataFeed/odata/<table>/<set>`: no cap; pages of `page_size` rows, every
  page but the last with `odata.nextLink` (`$skip`).

Faults: `faults` are consumed one per request, whatever is asked (`503`, `reset`, `cut`);
`feed_faults` maps a feed page number (1 = the first page) to a fault applied to every request
for that page, retries included: `cut` (the body cut in half, an honest Content-Length),
`drop` (the full Content-Length announced, the connection closed half-way), `503`, `refuse`
(HTTP 500 with an OData error body)."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

API_ROOT = "/ODataApi/odata"
FEED_ROOT = "/ODataFeed/odata"
API_CELL_CAP = 10_000

_SUBSTRING = re.compile(r"^substring\((\w+),(\d+),(\d+)\) eq '([^']*)'$")
_EQ = re.compile(r"^(\w+) eq '([^']*)'$")


def _matches(row: dict, flt: str | None) -> bool:
    if not flt:
        return True
    m = _SUBSTRING.match(flt)
    if m:
        key, start, length, want = m[1], int(m[2]), int(m[3]), m[4]
        return str(row.get(key, ""))[start : start + length] == want
    m = _EQ.match(flt)
    if m:
        return str(row.get(m[1], "")) == m[2]
    raise ValueError(f"filter not understood: {flt}")


def odata_error(message: str, code: str = "") -> bytes:
    return json.dumps(
        {"odata.error": {"code": code, "message": {"lang": "en-US", "value": message}}}
    ).encode("utf-8")


@dataclass
class FakeStatLine:
    """tables: table_id -> entity set -> rows."""

    tables: dict[str, dict[str, list[dict]]]
    page_size: int = 10_000  # rows per page of the feed
    honour_filter: bool = True
    faults: list[str] = field(default_factory=list)  # consumed one per request: 503|reset|cut
    feed_faults: dict[int, str] = field(default_factory=dict)  # feed page -> cut|drop|503|refuse
    cell_cap: int = API_CELL_CAP
    refuse_status: int = 500
    requests: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # path -> body, served as is
    _memo: dict[tuple, tuple[list[dict], int, list[dict]]] = field(default_factory=dict, repr=False)

    def predicate(self, flt: str) -> Callable[[dict], bool]:
        """The row filter of a `$filter` (subclasses understand more)."""
        return lambda row: _matches(row, flt)

    def selected(self, table_id: str, entity_set: str, params: dict[str, str]) -> list[dict]:
        """The rows a request asks for, after `$filter` and `$select` (remembered per query
        while the table's row list is the same and as long, so paging a large set does not
        filter it again for every page)."""
        rows = self.tables[table_id][entity_set]
        key = (
            table_id,
            entity_set,
            self.honour_filter,
            params.get("$filter"),
            params.get("$select"),
        )
        source, n, selected = self._memo.get(key, (None, 0, []))
        if source is not rows or n != len(rows):
            selected = self._select(rows, params)
            self._memo[key] = (rows, len(rows), selected)
        return selected

    def _select(self, rows: list[dict], params: dict[str, str]) -> list[dict]:
        flt = params.get("$filter") if self.honour_filter else None
        if flt:
            keep = self.predicate(flt)
            rows = [r for r in rows if keep(r)]
        if params.get("$select"):
            keys = [k.strip() for k in params["$select"].split(",")]
            rows = [{k: r.get(k) for k in keys} for r in rows]
        return rows

    def reply(self, path: str, query: str, host: str) -> tuple[int, bytes]:
        """(status, body) for a GET of `path?query`; `host` is `http://127.0.0.1:<port>`."""
        if path in self.files:
            return 200, self.files[path]
        parts = [p for p in path.split("/") if p]
        root = "/" + "/".join(parts[:-2])
        if root not in (API_ROOT, FEED_ROOT) or len(parts) != 4:
            return 404, odata_error(f"no such resource: {path}")
        table_id, entity_set = parts[-2], parts[-1]
        if entity_set not in self.tables.get(table_id, {}):
            return 404, odata_error(f"not found: {table_id}/{entity_set}")
        params = {k: v[0] for k, v in parse_qs(query).items()}
        rows = self.selected(table_id, entity_set, params)
        doc: dict = {
            "odata.metadata": f"{host}{root}/{table_id}/$metadata#Cbs.OData.WebAPI.{entity_set}",
        }
        if root == API_ROOT:
            cells = len(rows) * max((len(r) for r in rows), default=0)
            if cells > self.cell_cap:
                return self.refuse_status, odata_error(
                    f"The requested data set of {cells} cells exceeds the maximum of "
                    f"{self.cell_cap} cells per request. Narrow the query with $filter or "
                    f"$select, or use the bulk feed (ODataFeed)."
                )
            doc["value"] = rows
            return 200, json.dumps(doc).encode("utf-8")
        skip = int(params.get("$skip", 0))
        doc["value"] = rows[skip : skip + self.page_size]
        if skip + self.page_size < len(rows):
            nxt = {k: v for k, v in params.items() if k != "$skip"}
            nxt["$skip"] = str(skip + self.page_size)
            doc["odata.nextLink"] = f"{host}{root}/{table_id}/{entity_set}?{urlencode(nxt)}"
        return 200, json.dumps(doc).encode("utf-8")

    def reply_to(self, url: str) -> tuple[int, bytes]:
        """`reply` for a full URL (what the server sent for it)."""
        split = urlsplit(url)
        return self.reply(split.path, split.query, f"{split.scheme}://{split.netloc}")

    def feed_fault(self, path: str, query: str) -> str | None:
        if not self.feed_faults or not path.startswith(FEED_ROOT + "/"):
            return None
        skip = int({k: v[0] for k, v in parse_qs(query).items()}.get("$skip", 0))
        return self.feed_faults.get(skip // self.page_size + 1)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        fake: FakeStatLine = self.server.fake  # type: ignore[attr-defined]
        fake.requests.append(self.path)
        split = urlsplit(self.path)
        fault = fake.faults.pop(0) if fake.faults else fake.feed_fault(split.path, split.query)
        if fault == "reset":
            self.connection.shutdown(2)
            return
        if fault == "503":
            self._send(503, b"")
            return
        if fault == "refuse":
            self._send(500, odata_error("An error occurred while processing this request."))
            return
        status, body = fake.reply(split.path, split.query, self.server.host)  # type: ignore[attr-defined]
        if fault == "cut":
            body = body[: len(body) // 2]
        if fault == "drop":
            self.close_connection = True
            self._send(status, body[: len(body) // 2], length=len(body))
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self._send(status, body)


class StatLineServer:
    """Context manager: serves `fake` on 127.0.0.1; `.base_url` is the API service root
    (`…/ODataApi/odata`, what the config's `cbs.opendata_url` names), `.feed_url` the bulk
    feed's (`…/ODataFeed/odata`)."""

    def __init__(self, fake: FakeStatLine) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.fake = fake  # type: ignore[attr-defined]
        host, port = self.httpd.server_address[:2]
        self.host = f"http://{host}:{port}"
        self.httpd.host = self.host  # type: ignore[attr-defined]
        self.base_url = self.host + API_ROOT
        self.feed_url = self.host + FEED_ROOT
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StatLineServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def record_as_received(page: Path) -> None:
    """Record the current bytes of a saved reply in its snapshot's manifest, as if CBS had
    served it so: for a test that plants a bad figure in a saved reply (without this, the
    reader refuses the edited file as not the reply received)."""
    manifest_path = page.parent / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    entry = next(f for f in manifest["files"] if f["file"] == page.name)
    entry["sha256"] = hashlib.sha256(page.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
