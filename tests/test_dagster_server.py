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
from tests.expected_graph import ALL_GROUPS, CHECKS, GROUPS, REQUIRED_DEPENDENCIES  # noqa: E402

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
    assert groups == ALL_GROUPS
    deps = {
        "/".join(n["assetKey"]["path"]): {"/".join(d["path"]) for d in n["dependencyKeys"]}
        for n in nodes
    }
    for asset, required in REQUIRED_DEPENDENCIES.items():
        assert required <= deps[asset], f"{asset} reads {deps[asset]}, needs {required}"
    for landing in [a for a, group in ALL_GROUPS.items() if group == "landing"]:
        assert deps[landing] == set(), landing


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


RUNS_QUERY = """
{ runsOrError { __typename ... on Runs { results { runId status jobName } } } }
"""
HISTORY_QUERY = """
{ assetNodes {
    assetKey { path }
    isObservable
    staleStatus
    assetMaterializations { runId }
    assetChecksOrError { __typename
        ... on AssetChecks { checks { name
            executionForLatestMaterialization { status } } } } } }
"""


def cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args, "--config", str(config)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def start_server(home: Path, config: Path, log: Path) -> Server:
    port = free_loopback_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "WIJKMONITOR_CONFIG": str(config)}
    command = [
        *webserver_command(),
        *("-m", "pipelines.definitions", "-h", "127.0.0.1", "-p", str(port)),
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    return Server(port, proc, log)


def _by_asset(nodes: list[dict]) -> dict[str, dict]:
    return {"/".join(n["assetKey"]["path"]): n for n in nodes}


def test_cli_builds_are_in_the_run_history_and_a_new_delivery_shows_stale(tmp_path):
    config = demo_workspace(tmp_path / "ws", cbs_only=True)
    built = cli(config, "build", "--offline")
    assert built.returncode == 0, built.stderr
    # The CLI's default instance: beside the warehouse, owner-only, with the production yaml.
    home = tmp_path / "ws" / "out" / ".dagster_home"
    assert home.stat().st_mode & 0o777 == 0o700
    assert (home / "dagster.yaml").read_text() == (REPO / "deploy" / "dagster.yaml").read_text()

    srv = start_server(home, config, tmp_path / "webserver.log")
    try:
        srv.wait_until_loaded()
        runs = srv.graphql(RUNS_QUERY)["runsOrError"]["results"]
        assert [(r["status"], r["jobName"]) for r in runs] == [("SUCCESS", "monthly_build")]
        nodes = _by_asset(srv.graphql(HISTORY_QUERY)["assetNodes"])
        run_id = runs[0]["runId"]
        for asset in GROUPS:  # every asset of the graph, materialised by that run
            assert [m["runId"] for m in nodes[asset]["assetMaterializations"]] == [run_id], asset
            assert nodes[asset]["staleStatus"] == "FRESH", asset
        check_status = {
            (asset, c["name"]): (c["executionForLatestMaterialization"] or {}).get("status")
            for asset, n in nodes.items()
            if n["assetChecksOrError"]["__typename"] == "AssetChecks"
            for c in n["assetChecksOrError"]["checks"]
        }
        assert check_status == {(a, name): "SUCCEEDED" for a, name, _ in CHECKS}

        # Nothing changed: the second build starts no run and materialises nothing.
        again = cli(config, "build", "--offline")
        assert again.returncode == 0 and "nothing changed" in again.stderr, again.stderr
        assert len(srv.graphql(RUNS_QUERY)["runsOrError"]["results"]) == 1
        nodes = _by_asset(srv.graphql(HISTORY_QUERY)["assetNodes"])
        assert all(len(nodes[a]["assetMaterializations"]) == 1 for a in GROUPS)

        # A benefit delivery arrives. Once the landing folder is observed, the asset that
        # reads it is stale in the UI (Dagster marks the direct dependants of a new version;
        # the rest follow as it is rematerialised), and the CLI plans exactly that asset and
        # what depends on it.
        delivery = sorted((REPO / "demo" / "landing" / "uitkeringen").iterdir())[0]
        (tmp_path / "ws" / "landing" / "uitkeringen").mkdir()
        shutil.copy(delivery, tmp_path / "ws" / "landing" / "uitkeringen" / delivery.name)
        status = cli(config, "status", "--offline")
        assert status.returncode == 0, status.stderr
        assert "next build: uitkeringen_files and what depends on them" in status.stdout
        nodes = _by_asset(srv.graphql(HISTORY_QUERY)["assetNodes"])
        assert {a for a in GROUPS if nodes[a]["staleStatus"] == "STALE"} == {"uitkeringen_files"}
    finally:
        srv.stop()
    assert not is_listening(srv.port)
