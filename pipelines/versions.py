"""Data versions of a build's inputs, and what changed since the published warehouse.

A build is identified by the versions of its inputs (CBS table `Modified` plus the sha256 of
the saved replies; the sha256 of every kaart file), the config file and the code. The CLI
compares them with the last published run to recompute only what depends on a change, or
nothing at all."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from sources.config import DELIVERY_SOURCES, Config, Paths
from sources.digests import remembered, sha256_files
from sources.http import FetchError
from sources.retention import sources_past_retention
from sources.statline import StatLineClient, latest_snapshot, saved_modified, snapshot_sha256

REPO_ROOT = Path(__file__).resolve().parents[1]
CODE_PACKAGES = ("sources", "checks", "transforms", "warehouse", "pipelines")
# The assets of pipelines.definitions, by name (kept here so that deciding whether to build at
# all does not import Dagster; a test holds the two lists together).
ASSET_NAMES = (
    "cbs_kerncijfers_tables",
    "cbs_kaart_layers",
    "cbs_kerncijfers_checked",
    "cbs_kaart_checked",
    "area_model",
    "area_changes",
    "cbs_indicator_facts_table",
    "published_warehouse",
    "politie_tables",
    "politie_checked",
    *(f"{s}_files" for s in DELIVERY_SOURCES),
    *(f"{s}_checked" for s in DELIVERY_SOURCES),
    "municipal_indicator_facts_table",
    "police_indicator_facts_table",
    "protected_indicator_facts",
)
# Which source asset each kind of input feeds.
SOURCE_ASSETS = {
    "kerncijfers": "cbs_kerncijfers_tables",
    "kaart": "cbs_kaart_layers",
    "politie": "politie_tables",
}
# The observable landing assets of pipelines.definitions (one per landing folder) and the
# source asset each one feeds. Their data versions (landing_data_versions) are what Dagster
# compares to call an asset stale, and what the CLI compares to plan a build.
LANDING_ASSETS = {
    "landing_cbs_kerncijfers": "cbs_kerncijfers_tables",
    "landing_cbs_kaart": "cbs_kaart_layers",
    "landing_politie": "politie_tables",
    **{f"landing_{s}": f"{s}_files" for s in DELIVERY_SOURCES},
}


def cache_dir(paths: Paths) -> Path:
    """Where asset outputs are kept between runs (see pipelines.io). Some hold person-level
    rows, so they live in the restricted folder, never beside the published file."""
    return paths.restricted / "cache"


def _sha_files(paths: list[Path], root: Path) -> str:
    """One digest over the names and bytes of files (each hashed in pieces on a few threads,
    or remembered while unchanged: sources.digests)."""
    h = hashlib.sha256()
    paths = sorted(paths)
    for p, digest in zip(paths, sha256_files(paths), strict=True):
        h.update(str(p.relative_to(root)).encode())
        h.update(bytes.fromhex(digest))
    return h.hexdigest()


def code_version() -> str:
    files = [
        p
        for pkg in CODE_PACKAGES
        for p in (REPO_ROOT / pkg).rglob("*")
        if p.suffix in (".py", ".sql", ".toml") and "__pycache__" not in p.parts
    ]
    return _sha_files(files, REPO_ROOT)[:16]


def snapshot_version(snapshot: Path) -> str:
    """`<table>@<Modified>#<sha of the replies>` of one saved snapshot."""
    return f"{snapshot.parent.name}@{saved_modified(snapshot)}#{snapshot_sha256(snapshot)[:16]}"


def kaart_version(folder: Path) -> str:
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.endswith(".partial")]
    return _sha_files(files, folder)[:16]


def delivery_version(folder: Path) -> str:
    """The digest of every delivered file of one source (names and bytes)."""
    files = [
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".partial")
    ]
    return _sha_files(files, folder)[:16] if files else ""


@dataclass
class InputVersions:
    config: str
    code: str
    kerncijfers: dict[str, str] = field(default_factory=dict)  # year -> snapshot version
    kaart: dict[str, str] = field(default_factory=dict)  # year -> folder version
    politie: str = ""  # snapshot version of the police table
    deliveries: dict[str, str] = field(default_factory=dict)  # source -> folder version

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> InputVersions:
        data = json.loads(text)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def changed_sources(self, previous: InputVersions | None) -> set[str] | None:
        """Source assets whose landing data version differs; None when everything must be
        rebuilt (no earlier versions, or another config or code)."""
        if previous is None or (previous.config, previous.code) != (self.config, self.code):
            return None
        now, before = landing_data_versions(self), landing_data_versions(previous)
        return {LANDING_ASSETS[name] for name, version in now.items() if before[name] != version}


def landing_data_versions(versions: InputVersions) -> dict[str, str]:
    """The Dagster data version of every observable landing asset: a digest of what is in
    its folder (snapshot Modified and sha256 of the saved replies, sha256 of the files) and
    of the config the build reads it with."""
    parts = {
        "landing_cbs_kerncijfers": json.dumps(versions.kerncijfers, sort_keys=True),
        "landing_cbs_kaart": json.dumps(versions.kaart, sort_keys=True),
        "landing_politie": versions.politie,
        **{f"landing_{s}": versions.deliveries.get(s, "") for s in DELIVERY_SOURCES},
    }
    return {
        name: hashlib.sha256(f"{part}|config={versions.config}".encode()).hexdigest()[:16]
        for name, part in parts.items()
    }


def saved_inputs(config: Config) -> tuple[dict[int, Path], Path | None]:
    """The newest complete saved reply of each year's Kerncijfers table, and of the police
    table: what an offline build would read."""
    landing = config.paths.landing / "cbs_kerncijfers"
    snapshots: dict[int, Path] = {}
    for year in config.years:
        table_id = config.table_for_year(year)
        saved = latest_snapshot(landing, table_id) if table_id is not None else None
        if saved is not None:
            snapshots[year] = saved
    politie = latest_snapshot(config.paths.landing / "politie", config.cbs.politie_table)
    return snapshots, politie


def local_versions(config: Config) -> InputVersions:
    """The versions of what is in the landing folder now (no network)."""
    return current_versions(config, *saved_inputs(config))


def current_versions(
    config: Config, snapshots: dict[int, Path], politie: Path | None = None
) -> InputVersions:
    """Versions of the snapshots a build will use and of the kaart and delivery folders it
    will read."""
    with remembered(cache_dir(config.paths) / "landing_digests.json"):
        return _current_versions(config, snapshots, politie)


def _current_versions(
    config: Config, snapshots: dict[int, Path], politie: Path | None
) -> InputVersions:
    kaart_root = config.paths.landing / "cbs_kaart"
    landing = config.paths.landing
    return InputVersions(
        politie=snapshot_version(politie) if politie is not None else "",
        deliveries={
            s: delivery_version(landing / s) for s in DELIVERY_SOURCES if (landing / s).is_dir()
        },
        config=hashlib.sha256(config.path.read_bytes()).hexdigest()[:16],
        code=code_version(),
        kerncijfers={str(y): snapshot_version(p) for y, p in sorted(snapshots.items())},
        kaart={
            str(y): kaart_version(kaart_root / str(y))
            for y in config.years
            if (kaart_root / str(y)).is_dir()
        },
    )


def published_versions(warehouse: Path) -> InputVersions | None:
    """The input versions of the run that made the published warehouse."""
    if not warehouse.exists():
        return None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            row = con.execute(
                "SELECT input_fingerprint FROM meta_run WHERE status = 'success' "
                "ORDER BY finished_at DESC LIMIT 1"
            ).fetchone()
    except duckdb.Error:
        return None  # unreadable or an older schema: rebuild everything
    if not row or not row[0]:
        return None
    try:
        return InputVersions.from_json(row[0])
    except (json.JSONDecodeError, TypeError):
        return None


@dataclass
class BuildPlan:
    """What a build has to do: everything (None), some source assets and what depends on
    them, or nothing."""

    sources: list[str] | None
    reason: str
    versions: InputVersions
    previous: InputVersions | None

    @property
    def nothing_to_do(self) -> bool:
        return self.sources == []


def plan_build(
    config: Config,
    client: StatLineClient | None,
    assets: set[str],
    cached: set[str],
    politie_client: StatLineClient | None = None,
    today: date | None = None,
) -> BuildPlan:
    """Compare the inputs a build would use with those of the published warehouse.

    `client` None means offline. Online, only `TableInfos` is asked for: a table whose
    `Modified` differs from the saved one (or that cannot be asked now) counts as changed,
    and the build itself fetches it or falls back to the saved reply. `cached`: asset names
    whose outputs are stored from an earlier run (what a partial build can reuse), out of
    all `assets` of the graph. `today` (default: today) dates `[privacy] retention_years`."""
    snapshots, politie_saved = saved_inputs(config)
    unsure: list[str] = []
    for year in config.years:
        table_id = config.table_for_year(year)
        if table_id is None or client is None:
            continue
        saved = snapshots.get(year)
        try:
            modified = client.table_modified(table_id)
        except FetchError:
            unsure.append(f"{table_id} (CBS not reachable)")
        else:
            if saved is None or modified != saved_modified(saved):
                unsure.append(f"{table_id} (Modified {modified})")
    politie_table = config.cbs.politie_table
    politie_unsure = False
    if politie_client is not None:
        try:
            modified = politie_client.table_modified(politie_table)
        except FetchError:
            politie_unsure = True
        else:
            politie_unsure = politie_saved is None or modified != saved_modified(politie_saved)
    versions = current_versions(config, snapshots, politie_saved)
    previous = published_versions(config.paths.warehouse)
    changed = versions.changed_sources(previous)
    if changed is None:
        why = "no published warehouse" if previous is None else "config or code changed"
        return BuildPlan(None, why, versions, previous)
    if unsure:  # Kerncijfers tables only, so far
        changed.add(SOURCE_ASSETS["kerncijfers"])
    # Deliveries past [privacy] retention_years: their source asset removes them.
    expiring = sources_past_retention(config.paths.landing, config.privacy.retention_years, today)
    changed |= {f"{source}_files" for source in expiring}
    if politie_unsure:
        changed.add(SOURCE_ASSETS["politie"])
        unsure.append(f"{politie_table} (police)")
    if not changed:
        return BuildPlan(
            [], "inputs, config and code are as in the published warehouse", versions, previous
        )
    if not assets - changed <= cached:
        return BuildPlan(None, "stored outputs of an earlier run are missing", versions, previous)
    parts = [f"new CBS version of {', '.join(unsure)}"] if unsure else []
    parts += [
        f"{name} changed" for name in sorted(changed) if not unsure or "kerncijfers" not in name
    ]
    return BuildPlan(sorted(changed), "; ".join(parts), versions, previous)
