"""What builds that died left behind, put right: without importing Dagster, so that a build
with nothing to do (an unchanged rerun) never pays for importing it."""

from pathlib import Path

from pipelines.versions import cache_dir
from sources.config import Config
from sources.rowfiles import ROWS_DIR
from warehouse.housekeeping import remove_leftovers
from warehouse.stores import reconcile_stores


def housekeeping_folders(config: Config) -> list[Path]:
    """Where builds write temporary files: the warehouse folder, the output cache (and its
    folders of row files) and the restricted store (once the config has one);
    warehouse.housekeeping cleans these."""
    cache = cache_dir(config.paths)
    rows = sorted(p for p in (cache / ROWS_DIR).glob("*") if p.is_dir())
    return [config.paths.warehouse.parent, config.paths.restricted, cache, *rows]


def clean_up_after_crashes(config: Config) -> list[str]:
    """What builds that died left behind, put right (the restricted store of a build that
    died between the two publishing renames is put back first) or removed. Run under the
    build lock, by every build."""
    notes = reconcile_stores(config.paths.warehouse, config.paths.restricted_store)
    removed = remove_leftovers(housekeeping_folders(config))
    return notes + [f"removed a file left by a build that died: {p}" for p in removed]
