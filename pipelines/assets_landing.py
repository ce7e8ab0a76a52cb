"""The landing folders as observable source assets, one per folder, upstream of the source
asset that reads it. Their data version is pipelines.versions.landing_data_versions, the very
digest the CLI plans its builds with; so when a delivery arrives and the folder is observed
(landing sensor, `wijkmonitor status`, a build, or "Observe sources" in the UI), Dagster shows
the assets that depend on it as stale, and those are the ones the next build recomputes."""

from __future__ import annotations

from dagster import (
    AssetKey,
    AssetObservation,
    AssetSpec,
    DataVersion,
    ObserveResult,
    multi_observable_source_asset,
)
from dagster._core.definitions.data_version import DATA_VERSION_TAG

from pipelines.resources import WijkmonitorSettings
from pipelines.versions import LANDING_ASSETS, InputVersions, landing_data_versions, local_versions

LANDING_GROUP = "landing"


def _folder(name: str) -> str:
    return name.removeprefix("landing_")


@multi_observable_source_asset(
    name="landing_folders",
    specs=[
        AssetSpec(
            name,
            group_name=LANDING_GROUP,
            description=f"The landing folder `{_folder(name)}` as received (saved replies or "
            f"delivered files), read by {source}. Data version: sha256 of its files (for CBS "
            "replies with the table's Modified) and of the config.",
        )
        for name, source in LANDING_ASSETS.items()
    ],
    description="Observes every landing folder (no network).",
)
def landing_folders(settings: WijkmonitorSettings):
    config = settings.load()
    versions = landing_data_versions(local_versions(config))
    for name, version in versions.items():
        yield ObserveResult(
            asset_key=AssetKey(name),
            data_version=DataVersion(version),
            metadata={"folder": str(config.paths.landing / _folder(name))},
        )


def record_observations(instance, versions: InputVersions) -> list[str]:
    """Record the landing data versions of `versions` in the instance where they differ
    from the last observation (a build records them before it runs, so its materialisations
    name the inputs they read). Returns the folders whose version changed."""
    changed = []
    for name, version in landing_data_versions(versions).items():
        key = AssetKey(name)
        record = instance.get_latest_data_version_record(key, is_source=True)
        entry = record.event_log_entry if record is not None else None
        tags = entry.tags if entry is not None else {}
        if (tags or {}).get(DATA_VERSION_TAG) == version:
            continue
        instance.report_runless_asset_event(
            AssetObservation(asset_key=key, tags={DATA_VERSION_TAG: version})
        )
        changed.append(_folder(name))
    return changed
