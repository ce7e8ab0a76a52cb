"""A local StatLine OData v3 server for tests: real HTTP on loopback, the real wire format
(`{"odata.metadata", "value"}`, pages with `odata.nextLink`), a crude `$filter`, and
switchable faults (503s, resets, replies cut short)."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

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


@dataclass
class FakeStatLine:
    """tables: table_id -> entity set -> rows."""

    tables: dict[str, dict[str, list[dict]]]
    page_size: int = 10_000
    honour_filter: bool = True
    faults: list[str] = field(default_factory=list)  # consumed one per request: 503|reset|cut
    requests: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # path -> body, served as is

    def reply(self, path: str, query: str, base: str) -> tuple[int, bytes]:
        if path in self.files:
            return 200, self.files[path]
        parts = [p for p in path.split("/") if p]
        table_id, entity_set = parts[-2], parts[-1]
        rows = self.tables.get(table_id, {}).get(entity_set)
        if rows is None:
            return 404, b'{"odata.error": {"message": {"value": "not found"}}}'
        params = {k: v[0] for k, v in parse_qs(query).items()}
        flt = params.get("$filter") if self.honour_filter else None
        selected = [r for r in rows if _matches(r, flt)]
        skip = int(params.get("$skip", 0))
        page = selected[skip : skip + self.page_size]
        doc: dict = {
            "odata.metadata": f"{base}/{table_id}/$metadata#Cbs.OData.WebAPI.{entity_set}",
            "value": page,
        }
        if skip + self.page_size < len(selected):
            nxt = {k: v for k, v in params.items() if k != "$skip"}
            nxt["$skip"] = str(skip + self.page_size)
            doc["odata.nextLink"] = f"{base}/{table_id}/{entity_set}?{urlencode(nxt)}"
        return 200, json.dumps(doc).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStatLine
    base: str

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        fake = self.server.fake  # type: ignore[attr-defined]
        fake.requests.append(self.path)
        split = urlsplit(self.path)
        fault = fake.faults.pop(0) if fake.faults else None
        if fault == "reset":
            self.connection.shutdown(2)
            return
        if fault == "503":
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, body = fake.reply(split.path, split.query, self.server.base)  # type: ignore[attr-defined]
        if fault == "cut":
            body = body[: len(body) // 2]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class StatLineServer:
    """Context manager: serves `fake` on 127.0.0.1 at `.base_url` (…/ODataApi/odata)."""

    def __init__(self, fake: FakeStatLine) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.fake = fake  # type: ignore[attr-defined]
        host, port = self.httpd.server_address[:2]
        self.base_url = f"http://{host}:{port}/ODataApi/odata"
        self.httpd.base = self.base_url  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StatLineServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
