"""The real Dagster webserver for this project, as operations run it: `dagster-webserver -m
pipelines.definitions` on a free loopback port, with a temporary DAGSTER_HOME holding the
production `deploy/dagster.yaml`. Its GraphQL API must show the asset graph in four groups,
the blocking GX checks, the monthly schedule and the landing sensor, both running by default.
The server is always stopped, and nothing may be left listening on its port."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import demo_workspace

REPO = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 120
STOP_SECONDS = 30

# What pipelines/definitions.py defines, written out (not read back from the server).
from tests.expected_graph import CHECKS, GROUPS, REQUIRED_DEPENDENCIES  # noqa: E402

WORKSPACE_QUERY = """
{ workspaceOrError { __typename
    ... on Workspace { locationEntries { name loadStatus
        locationOrLoadError { __typename ... on PythonError { message } } } }
    ... on PythonError { message } } }
"""
ASSETS_QUERY = """
{ assetNodes {
    assetKey { path }
    groupName
    dependencyKeys { path }
    assetChecksOrError { __typename
        ... on AssetChecks { checks { name blocking } }
        ... on AssetCheckNeedsMigrationError { message } } } }
"""
AUTOMATION_QUERY = """
{ repositoriesOrError { __typename
    ... on RepositoryConnection { nodes { name
        schedules { name cronSchedule executionTimezone pipelineName
                    scheduleState { status } }
        sensors { name minIntervalSeconds targets { pipelineName }
                  sensorState { status } } } }
    ... on PythonError { message } } }
"""


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def webserver_command() -> list[str]:
    script = Path(sys.executable).with_name("dagster-webserver")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dagster_webserver"]


def log_tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


class Server:
    def __init__(self, port: int, proc: subprocess.Popen, log: Path) -> None:
        self.port, self.proc, self.log = port, proc, log
        self.url = f"http://127.0.0.1:{port}"

    def graphql(self, query: str) -> dict:
        reply = requests.post(f"{self.url}/graphql", json={"query": query}, timeout=30)
        assert reply.status_code == 200, f"{reply.status_code}: {reply.text[:2000]}"
        body = reply.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def wait_until_loaded(self) -> None:
        """Until the server answers and the code location has loaded (bounded)."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"dagster-webserver exited with {self.proc.returncode}:\n{log_tail(self.log)}"
                )
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/server_info", timeout=2).ok:
                    ws = self.graphql(WORKSPACE_QUERY)["workspaceOrError"]
                    assert ws["__typename"] == "Workspace", ws
                    entries = ws["locationEntries"]
                    assert len(entries) == 1, entries
                    error = entries[0]["locationOrLoadError"]
                    if error and error["__typename"] == "PythonError":
                        pytest.fail(f"code location failed to load: {error['message']}")
                    if entries[0]["loadStatus"] == "LOADED":
                        return
            if time.monotonic() > deadline:
                pytest.fail(
                    f"no loaded webserver on {self.url} after {STARTUP_SECONDS} s:\n"
                    f"{log_tail(self.log)}"
                )
            time.sleep(0.5)

    def stop(self) -> None:
        """SIGTERM to the whole process group (webserver and its code server), then SIGKILL."""
        pgid = self.proc.pid  # start_new_session: the server leads its own group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        # the code server child may outlive the webserver by a moment
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dagster_server")
    config = demo_workspace(tmp / "ws", cbs_only=True)
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    port = free_loopback_port()
    log = tmp / "webserver.log"
    env = {**os.environ, "DAGSTER_HOME": str(home), "WIJKMONITOR_CONFIG": str(config)}
    command = [
        *webserver_command(),
        *("-m", "pipelines.definitions", "-h", "127.0.0.1", "-p", str(port)),
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    srv = Server(port, proc, log)
    try:
        srv.wait_until_loaded()
        yield srv
    finally:
        srv.stop()
    assert srv.proc.returncode is not None
    assert not is_listening(port), f"something still listens on 127.0.0.1:{port}"


def test_asset_graph_has_its_assets_in_four_groups(server):
    nodes = server.graphql(ASSETS_QUERY)["assetNodes"]
    groups = {"/".join(n["assetKey"]["path"]): n["groupName"] for n in nodes}
    assert groups == GROUPS
    deps = {
        "/".join(n["assetKey"]["path"]): {"/".join(d["path"]) for d in n["dependencyKeys"]}
        for n in nodes
    }
    for asset, required in REQUIRED_DEPENDENCIES.items():
        assert required <= deps[asset], f"{asset} reads {deps[asset]}, needs {required}"
    for source in [a for a, group in GROUPS.items() if group == "sources"]:
        assert deps[source] == set(), source


def test_expectation_suites_are_blocking_asset_checks(server):
    nodes = server.graphql(ASSETS_QUERY)["assetNodes"]
    checks = set()
    for n in nodes:
        reply = n["assetChecksOrError"]
        assert reply["__typename"] == "AssetChecks", reply
        checks |= {
            ("/".join(n["assetKey"]["path"]), c["name"], c["blocking"]) for c in reply["checks"]
        }
    assert checks == CHECKS


def _repository(server) -> dict:
    repos = server.graphql(AUTOMATION_QUERY)["repositoriesOrError"]
    assert repos["__typename"] == "RepositoryConnection", repos
    assert len(repos["nodes"]) == 1, repos["nodes"]
    return repos["nodes"][0]


def _by_name(items: list[dict], name: str) -> dict:
    found = [item for item in items if item["name"] == name]
    assert len(found) == 1, f"{name} not served; got {[item['name'] for item in items]}"
    return found[0]


def test_monthly_schedule_is_running_by_default(server):
    schedule = _by_name(_repository(server)["schedules"], "monthly_build_schedule")
    assert schedule == {
        "name": "monthly_build_schedule",
        "cronSchedule": "0 6 1 * *",
        "executionTimezone": "Europe/Amsterdam",
        "pipelineName": "monthly_build",
        "scheduleState": {"status": "RUNNING"},
    }


def test_landing_sensor_is_running_by_default(server):
    sensor = _by_name(_repository(server)["sensors"], "landing_sensor")
    assert sensor == {
        "name": "landing_sensor",
        "minIntervalSeconds": 300,
        "targets": [{"pipelineName": "monthly_build"}],
        "sensorState": {"status": "RUNNING"},
    }
