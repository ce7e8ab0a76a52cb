"""Shared fixtures: a demo landing folder and a warehouse built from it (once per session)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Every build uses the Dagster instance beside its own warehouse (pipelines.instance), never
# one shared by the parallel tests.
os.environ.pop("DAGSTER_HOME", None)
DEMO_LANDING = REPO / "demo" / "landing"


def write_demo_config(folder: Path, **overrides: str) -> Path:
    """The shipped config, with landing and warehouse moved into `folder`."""
    text = (REPO / "wijkmonitor.toml").read_text(encoding="utf-8")
    text = text.replace('landing = "data/landing"', 'landing = "landing"')
    text = text.replace('warehouse = "data/warehouse.duckdb"', 'warehouse = "out/warehouse.duckdb"')
    text = text.replace('restricted = "data/restricted"', 'restricted = "out/restricted"')
    for old, new in overrides.items():
        text = text.replace(old, new)
    cfg = folder / "wijkmonitor.toml"
    cfg.write_text(text, encoding="utf-8")
    return cfg


CBS_FOLDERS = ("cbs_kerncijfers", "cbs_kaart")


def demo_workspace(folder: Path, cbs_only: bool = False) -> Path:
    """A folder with a copy of the demo landing and a config pointing at it; `cbs_only`:
    just the CBS statistics and boundaries (no police table, no municipal deliveries), for
    tests about the build machinery that need not pay for the rest."""
    folder.mkdir(parents=True, exist_ok=True)
    if cbs_only:
        (folder / "landing").mkdir()
        shutil.copyfile(DEMO_LANDING / "SYNTHETIC.json", folder / "landing" / "SYNTHETIC.json")
        for name in CBS_FOLDERS:
            shutil.copytree(DEMO_LANDING / name, folder / "landing" / name)
    else:
        shutil.copytree(DEMO_LANDING, folder / "landing")
    return write_demo_config(folder)


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory):
    """(config path, warehouse path) of a warehouse built offline from the demo bundle."""
    from pipelines.cli import run_build

    cfg = demo_workspace(tmp_path_factory.mktemp("demo"))
    result = run_build(cfg, offline=True, show_progress=False)
    assert result.success
    return cfg, cfg.parent / "out" / "warehouse.duckdb"


# The whole-build tests, slowest first (from `pytest --durations`): run first, so that the two
# workers of `pytest -n auto --dist worksteal` share them and the run does not end on one long
# test started late on one worker while the other idles.
SLOW_FIRST = (
    "test_incremental.py",
    "test_faults.py",
    "test_snapshot_integrity.py",
    "test_restricted_store.py",
    "test_publish.py",
    "test_instance.py",
    "test_pooling.py",
    "test_leaks.py",
    "test_police_build.py",
    "test_municipal_build.py",
    "test_disclosure_intervals_e2e.py",
    "test_bench.py",
    "test_memory.py",
    "test_dagster_server.py",
    "test_quarantine.py",
    "test_definitions.py",
    "test_area_changes.py",
    "test_demo_build.py",
)


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FIRST)))
