"""The one seam to the network: GET a URL with retries and exponential backoff.

Timeouts, connection resets, 5xx/429 and replies that fail their completeness check are
retried; anything else fails at once. A reply whose body is an OData error
(`{"odata.error": {"message": {"value": ...}}}`) is the server's answer, not a glitch: it is
never retried, whatever its status, and its message goes into the error. Tests point it at
servers on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class FetchError(RuntimeError):
    """Fetching failed for good (after the retries, or a 4xx)."""


class TransientHttpError(FetchError):
    """A failure worth retrying: timeout, connection reset, 5xx, a reply cut short."""


class RefusedError(FetchError):
    """The server answered with an OData error body: it refuses the request as asked."""


def odata_error_message(body: bytes) -> str | None:
    """The message of an OData error body, or None when `body` is not one."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    error = doc.get("odata.error") if isinstance(doc, dict) else None
    if not isinstance(error, dict):
        return None
    message = error.get("message")
    text = message.get("value") if isinstance(message, dict) else message
    code = error.get("code")
    text = str(text) if text else "(no message)"
    return f"{text} (code {code})" if code else text


class Transport(Protocol):
    def get(self, url: str, timeout: float) -> bytes: ...


class RequestsTransport:
    """HTTP over `requests`; maps failures onto transient / permanent errors."""

    def __init__(self) -> None:
        import requests

        self._requests = requests
        self._session = requests.Session()
        self._session.headers["User-Agent"] = "wijkmonitor"

    def get(self, url: str, timeout: float) -> bytes:
        req = self._requests
        try:
            resp = self._session.get(url, timeout=timeout)
            body = resp.content
        except (req.Timeout, req.ConnectionError, req.exceptions.ChunkedEncodingError) as exc:
            raise TransientHttpError(f"GET {url}: {type(exc).__name__}: {exc}") from exc
        except req.RequestException as exc:
            raise FetchError(f"GET {url}: {exc}") from exc
        refusal = odata_error_message(body) if resp.status_code >= 400 else None
        if refusal is not None:
            raise RefusedError(f"GET {url}: HTTP {resp.status_code}, refused: {refusal}")
        if resp.status_code >= 500 or resp.status_code == 429:
            raise TransientHttpError(f"GET {url}: HTTP {resp.status_code}")
        if resp.status_code >= 400:
            raise FetchError(f"GET {url}: HTTP {resp.status_code}: {resp.text[:200]}")
        return body


def get_with_retries(
    transport: Transport,
    url: str,
    parse: Callable[[bytes], T],
    *,
    retries: int,
    backoff_seconds: float,
    timeout_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda message: None,
) -> tuple[bytes, T]:
    """GET `url` and `parse` the body; `parse` raises TransientHttpError for a reply cut short."""
    attempt = 0
    while True:
        try:
            body = transport.get(url, timeout_seconds)
            return body, parse(body)
        except TransientHttpError as exc:
            if attempt >= retries:
                raise FetchError(f"{exc} (gave up after {attempt + 1} attempts)") from exc
            wait = backoff_seconds * (2**attempt)
            log(f"{exc}; retrying in {wait:.1f} s")
            sleep(wait)
            attempt += 1
