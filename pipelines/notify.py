"""The notification hook: a JSON POST to the configured webhook after a run.

Off unless `notify.webhook_url` is set. A notification that cannot be delivered is logged and
never fails a build."""

from __future__ import annotations

from collections.abc import Callable

from sources.config import Config


def notify_run(config: Config, record: dict, log: Callable[[str], None] = print) -> bool:
    """Send `record` (a run-log record) when the config asks for it; True when sent."""
    n = config.notify
    if not n.enabled or (n.on == "failure" and record.get("status") != "failed"):
        return False
    import requests

    status = record.get("status")
    text = f"wijkmonitor {config.gemeente}: build {status}"
    if record.get("message"):
        text += f": {record['message']}"
    try:
        resp = requests.post(n.webhook_url, json={"text": text, "run": record}, timeout=10)
        resp.raise_for_status()
    except requests.RequestException as exc:
        log(f"notification to {n.webhook_url} failed: {exc}")
        return False
    return True
