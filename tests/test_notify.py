"""The notification hook: off by default; with a webhook URL, a failed build is reported."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pipelines.notify import notify_run
from sources.config import load_config
from tests.conftest import REPO, write_demo_config


class _Capture(BaseHTTPRequestHandler):
    received: list = []

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()


def test_off_by_default():
    cfg = load_config(REPO / "wijkmonitor.toml")
    assert cfg.notify.enabled is False
    assert notify_run(cfg, {"status": "failed"}) is False


def test_failed_run_is_posted_to_the_webhook(tmp_path):
    _Capture.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        cfg = load_config(
            write_demo_config(tmp_path, **{'webhook_url = ""': f'webhook_url = "{url}"'})
        )
        assert notify_run(cfg, {"status": "success", "run_id": "a"}) is False  # on = failure
        assert notify_run(cfg, {"status": "failed", "run_id": "b", "message": "check x failed"})
    finally:
        server.shutdown()
        server.server_close()
    assert len(_Capture.received) == 1
    got = _Capture.received[0]
    assert got["run"]["run_id"] == "b"
    assert got["text"] == "wijkmonitor GM1916: build failed: check x failed"


def test_an_unreachable_webhook_never_fails_the_build(tmp_path):
    cfg = load_config(
        write_demo_config(tmp_path, **{'webhook_url = ""': 'webhook_url = "http://127.0.0.1:9/x"'})
    )
    said = []
    assert notify_run(cfg, {"status": "failed"}, log=said.append) is False
    assert said and "notification to http://127.0.0.1:9/x failed" in said[0]
