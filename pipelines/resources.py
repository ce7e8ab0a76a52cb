"""Dagster resources: which config to use, and whether to stay off the network."""

import os
from pathlib import Path

from dagster import ConfigurableResource

from sources.config import Config, load_config

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = os.environ.get("WIJKMONITOR_CONFIG", str(REPO_ROOT / "wijkmonitor.toml"))


class WijkmonitorSettings(ConfigurableResource):
    """Which config file to use, and whether to stay off the network."""

    config_path: str = DEFAULT_CONFIG
    offline: bool = False
    force_publish: bool = False  # publish even when nothing changed (`build --full`)

    def load(self) -> Config:
        return load_config(self.config_path)
