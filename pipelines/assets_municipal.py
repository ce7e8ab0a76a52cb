"""Dagster assets for the municipality's own deliveries: one source asset per landing folder,
its contract split and a blocking GX check, for every source declared in checks/deliveries/.
One factory makes them all, so a new delivery source is one more declaration.

An unreadable delivery fails the run with a message naming the file and the problem: the
published warehouse stays as it was until the municipality delivers a usable file."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetIn,
    MetadataValue,
    Output,
    asset,
    asset_check,
)

from checks.deliveries import DECLARATIONS, declaration
from checks.gx import sample_positions
from checks.municipal import ACCEPTED_COLUMNS, municipal_suite, shrink_outcomes, split_delivery
from checks.quarantine import QUARANTINE_COLUMNS, public_quarantines
from pipelines.assetkit import catalog_metadata, check_result, markdown_table
from pipelines.resources import WijkmonitorSettings
from pipelines.versions import cache_dir
from sources.config import DELIVERY_SOURCES
from sources.delivery import DeliveryFile, find_deliveries, open_delivery
from sources.retention import apply_retention
from sources.rowfiles import BATCH_ROWS as PLACE_BATCH
from sources.rowfiles import ROWS_DIR, ParquetRows, RowWriter
from transforms.geocode import buurt_polygons, crosswalk_frame, place
from transforms.indicators import combine_years
from transforms.municipal import delivered_facts, municipal_indicator_facts, sources_of
from warehouse.stores import private_dir


def delivery_assets(source: str):
    """The source asset, the checked asset and the blocking GX check of one delivery source."""
    d = declaration(source)

    @asset(
        name=f"{source}_files",
        group_name="sources",
        deps=[f"landing_{source}"],
        description=f"The current delivery files of {source}: {d.description}; a later "
        "file for the same period replaces an earlier one.",
    )
    def files(context: AssetExecutionContext, settings: WijkmonitorSettings):
        config = settings.load()
        folder = config.paths.landing / source
        # Deliveries past [privacy] retention_years go first: their rows are not read again.
        removed = (
            apply_retention(folder, source, config.privacy.retention_years) if d.retained else []
        )
        for message in removed:
            context.log.warning(message)
        if not folder.is_dir():
            context.log.info(f"{folder}: no deliveries of {source}")
            return Output(
                {"files": [], "superseded": [], "warnings": removed, "refused": []},
                metadata={"files": 0, "folder": str(folder)},
            )
        cache: dict[Path, DeliveryFile] = {}

        def delivered(path: Path) -> DeliveryFile:  # unreadable: names the file
            if path not in cache:
                cache[path] = open_delivery(path, source)
            return cache[path]

        found = find_deliveries(
            folder,
            source,
            rows=lambda p: delivered(p).rows_read,
            max_shrink=config.deliveries.max_shrink,
        )
        found_warnings = [
            f"{path}: not used ({why}); a {source} file is named {source}_<period>"
            for path, why in found.unrecognised
        ] + [r.message() for r in found.refused]
        for w in found_warnings:
            context.log.warning(w)
        warnings = removed + found_warnings
        read = [delivered(p) for p in found.current]
        cache.clear()
        rows = pd.DataFrame(
            [
                {
                    "file": d.path.name,
                    "period": d.period,
                    "format": d.format,
                    "encoding": d.encoding,
                    "separator": d.separator,
                    "rows": d.rows_read,
                    "sha256": d.sha256[:16],
                }
                for d in read
            ]
        )
        return Output(
            {
                "files": read,
                "superseded": list(found.superseded),
                "warnings": warnings,
                "refused": list(found.refused),
            },
            metadata={
                "files": len(read),
                "refused": MetadataValue.json([r.message() for r in found.refused]),
                "superseded": MetadataValue.json(
                    [f"{old.name} -> {new.name}" for old, new in found.superseded]
                ),
                "rows": int(sum(d.rows_read for d in read)),
                "preview": MetadataValue.md(markdown_table(rows, 15)),
                **catalog_metadata(
                    None,
                    rows=int(sum(d.rows_read for d in read)),
                    sha256={d.path.name: d.sha256 for d in read},
                ),
            },
        )

    @asset(
        name=f"{source}_checked",
        group_name="checks",
        ins={"delivered": AssetIn(f"{source}_files")},
        description=f"{source} rows split by the contract into typed accepted rows and "
        "quarantined rows (file, line, reason).",
    )
    def checked(settings: WijkmonitorSettings, delivered):
        config = settings.load()
        # The accepted rows go to Parquet in the restricted cache, file by file.
        folder = rows_folder(config, source)
        splits = [split_delivery(d, config.gemeente, folder) for d in delivered["files"]]
        keep_only(folder, [s.accepted_file for s in splits])
        summary = pd.DataFrame(
            [
                {
                    "file": s.path.name,
                    "period": s.period,
                    "rows_read": s.rows_read,
                    "accepted": s.rows_accepted,
                    "quarantined": s.rows_quarantined,
                }
                for s in splits
            ],
            columns=["file", "period", "rows_read", "accepted", "quarantined"],
        )
        return Output(
            {
                "splits": splits,
                "superseded": delivered["superseded"],
                "warnings": delivered.get("warnings", []) + [w for s in splits for w in s.warnings],
                "refused": delivered.get("refused", []),
            },
            metadata={
                "rows_accepted": int(summary["accepted"].sum()),
                "preview": MetadataValue.md(markdown_table(summary, 15)),
                **catalog_metadata(
                    splits[0].accepted_empty()
                    if splits
                    else pd.DataFrame(columns=ACCEPTED_COLUMNS[source]),
                    rows=int(summary["accepted"].sum()),
                    quarantined=int(summary["quarantined"].sum()),
                ),
            },
        )

    @asset_check(
        asset=checked,
        name=f"{source}_expectations_met",
        blocking=True,
        description=f"Great Expectations suite on the accepted {source} rows of every file.",
    )
    def expectations(value):
        splits = value["splits"]
        if not splits:
            return check_result(source, [])
        accepted, where = gx_sample(splits)
        return check_result(source, [municipal_suite(source, accepted, where)])

    return files, checked, expectations


def rows_folder(config, name: str) -> Path:
    """The owner-only folder of the Parquet rows of `name` in the restricted cache."""
    root = config.paths.restricted
    return private_dir(cache_dir(config.paths) / ROWS_DIR / name, root=root)


def keep_only(folder: Path, paths) -> None:
    """Remove the row files in `folder` that no output refers to any more (earlier
    deliveries): the restricted cache holds person rows only while a build needs them."""
    wanted = {Path(p).name for p in paths if p is not None}
    for p in folder.glob("*.parquet"):
        if p.name not in wanted:
            p.unlink(missing_ok=True)


def gx_sample(splits) -> tuple[pd.DataFrame, list[str]]:
    """The accepted rows of all files stacked, as far as `run_suite` validates them (its
    evenly spread sample of a large stack), read from the files batch by batch; and the file
    name of each row."""
    total = sum(s.rows_accepted for s in splits)
    wanted = sample_positions(total)
    frames, where, offset = [], [], 0
    for s in splits:
        for batch in s.accepted_batches():
            lo = np.searchsorted(wanted, offset)
            hi = np.searchsorted(wanted, offset + len(batch))
            if hi > lo:
                frames.append(batch.iloc[wanted[lo:hi] - offset])
                where += [s.path.name] * int(hi - lo)
            offset += len(batch)
    frame = pd.concat(frames, ignore_index=True) if frames else splits[0].accepted_empty()
    return frame, where


def redelivery_check(source: str, files):
    """The non-blocking check that no re-delivery of `source` was refused for shrinking its
    period: the build goes on with the earlier file and publishes; the failed outcome is in
    meta_check (one row per refused file) and the run's warnings."""

    @asset_check(
        asset=files,
        name=f"{source}_redeliveries_complete",
        blocking=False,
        description=f"No {source} re-delivery with no rows or far fewer rows than the file it "
        "replaces ([deliveries] max_shrink); such a file is not used until confirmed.",
    )
    def redeliveries(value):
        refused = value.get("refused", [])
        return AssetCheckResult(
            passed=not refused,
            severity=AssetCheckSeverity.WARN,
            description="; ".join(r.message() for r in refused) or "no re-delivery refused",
            metadata={
                "refused": MetadataValue.json([r.message() for r in refused]),
                # Read back by the warehouse asset into meta_check.
                "outcomes": MetadataValue.json(shrink_outcomes(source, refused)),
            },
        )

    return redeliveries


DELIVERY_ASSETS = {source: delivery_assets(source) for source in DELIVERY_SOURCES}
REDELIVERY_CHECKS = {
    source: redelivery_check(source, files) for source, (files, _, _) in DELIVERY_ASSETS.items()
}


def period_year(period: str) -> int:
    """`2023-12` -> 2023, `2022-2023` (a school year) -> 2022, `2023` -> 2023."""
    return int(period[:4])


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame | None:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else None


@dataclass
class _Placed:
    rows: ParquetRows  # the placed rows of every file
    count: int
    quarantine: pd.DataFrame | None  # the rows that could not be placed (None: no such row)


def _place_batches(splits, d, polygons, crosswalk, config) -> _Placed | None:
    """Place the accepted rows of every file of a source, batch by batch, into one Parquet
    file in the restricted cache (None when no file has an accepted row)."""
    if not any(s.rows_accepted for s in splits):
        return None
    writer = RowWriter(rows_folder(config, "placed") / f"{d.source}.parquet")
    quarantines = []

    def place_some(frames: list[pd.DataFrame]) -> None:
        placement = place(
            pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0],
            year_column=d.placement.year_column,
            polygons=polygons,
            crosswalk=crosswalk,
            gemeente=config.gemeente,
        )
        writer.add(placement.placed)
        if len(placement.quarantine):
            quarantines.append(placement.quarantine)

    try:
        # Small files (the usual monthly delivery) are placed together, up to PLACE_BATCH
        # rows at a time: placing has a fixed cost per call; the batch bounds the memory.
        pending: list[pd.DataFrame] = []
        held = 0
        for s in splits:
            for batch in s.accepted_batches():
                if held and held + len(batch) > PLACE_BATCH:
                    place_some(pending)
                    pending, held = [], 0
                pending.append(batch)
                held += len(batch)
                del batch
        if pending:
            place_some(pending)
        del pending
        path = writer.finish()
    except BaseException:
        writer.discard()
        raise
    return _Placed(ParquetRows((path,)), writer.rows, _concat(quarantines))


@asset(
    group_name="transforms",
    description="Municipal deliveries placed in buurten (address through the CBS crosswalk, or "
    "coordinates through a point-in-polygon join) and turned into the municipal indicators "
    "for every buurt, wijk, own area and the gemeente.",
    ins={f"{source}_checked": AssetIn(f"{source}_checked") for source in DECLARATIONS},
)
def municipal_indicator_facts_table(
    context: AssetExecutionContext,
    settings: WijkmonitorSettings,
    cbs_kaart_checked,
    cbs_kerncijfers_checked,
    area_model,
    **delivered,
):
    config = settings.load()
    checked = {source: delivered[f"{source}_checked"] for source in DECLARATIONS}
    polygons = buurt_polygons(cbs_kaart_checked["layers"], config.gemeente)
    pc6 = _concat(
        [s.accepted for source, d in DECLARATIONS.items() if d.crosswalk
         for s in checked[source]["splits"]]
    )  # fmt: skip
    crosswalk = crosswalk_frame(pc6) if pc6 is not None else None

    rows, quarantine, raw, inputs = {}, {}, {}, []
    for source, value in checked.items():
        d = DECLARATIONS[source]
        splits = value["splits"]
        geo_q = pd.DataFrame(columns=list(QUARANTINE_COLUMNS))
        if d.placement is not None:
            # Placed batch by batch (each row on its own) into a Parquet file: a large
            # delivery is never held whole; the facts SQL and the restricted store read it.
            placed = _place_batches(splits, d, polygons, crosswalk, config)
            if placed is None:
                rows[source], raw[source] = None, pd.DataFrame()
            else:
                rows[source] = placed.rows
                geo_q = placed.quarantine if placed.quarantine is not None else geo_q
                raw[source] = (
                    ParquetRows(placed.rows.paths, d.raw_columns)
                    if placed.count
                    else pd.DataFrame()
                )
        else:
            accepted = _concat([s.accepted for s in splits])
            kept = accepted if accepted is not None else pd.DataFrame(columns=["file"])
            rows[source] = kept if accepted is not None else None
            if d.own_gemeente_column and accepted is not None:
                kept = accepted[accepted[d.own_gemeente_column] == config.gemeente]
            raw[source] = kept[list(d.raw_columns)] if len(kept) else pd.DataFrame()
        contract_q = _concat([s.quarantine for s in splits])
        both = _concat([q for q in (contract_q, geo_q) if q is not None])
        quarantine[source] = (
            both if both is not None else pd.DataFrame(columns=list(QUARANTINE_COLUMNS))
        )
        geo_per_file = geo_q["file"].astype(str).value_counts().to_dict() if len(geo_q) else {}
        for s in splits:
            lost = int(geo_per_file.get(str(s.path), 0))
            inputs.append(
                {
                    "source": source,
                    "input_id": f"{s.path.name}@{s.sha256[:12]}",
                    "path": str(s.path),
                    "period": s.period,
                    "period_year": period_year(s.period),
                    "sha256": s.sha256,
                    "rows_read": s.rows_read,
                    "rows_accepted": s.rows_accepted - lost,
                    "rows_quarantined": s.rows_quarantined + lost,
                    "status": "accepted",
                }
            )
        for r in value.get("refused", []):
            inputs.append(
                {
                    "source": source,
                    "input_id": f"{r.refused.name} (niet gebruikt: {r.refused_rows} rijen, "
                    f"{r.kept.name} had er {r.kept_rows})",
                    "path": str(r.refused),
                    "period": None,
                    "period_year": None,
                    "sha256": "",
                    "rows_read": 0,
                    "rows_accepted": 0,
                    "rows_quarantined": 0,
                    "status": "refused",
                }
            )
        for old, new in value["superseded"]:
            inputs.append(
                {
                    "source": source,
                    "input_id": f"{old.name} (vervangen door {new.name})",
                    "path": str(old),
                    "period": None,
                    "period_year": None,
                    "sha256": "",
                    "rows_read": 0,
                    "rows_accepted": 0,
                    "rows_quarantined": 0,
                    "status": "superseded",
                }
            )

    deliveries = pd.DataFrame(
        [
            {"source": source, "period": s.period}
            for source, value in checked.items()
            for s in value["splits"]
        ],
        columns=["source", "period"],
    )
    combined = combine_years(list(cbs_kerncijfers_checked.values()))
    facts = municipal_indicator_facts(
        gemeente=config.gemeente,
        buurten=polygons,
        own_members=area_model.own_members,
        deliveries=deliveries,
        cbs_denominators=combined["values"],
        **rows,
    )
    # input_versions per fact: the delivery files of that source and period year.
    files_by = {}
    for i in inputs:
        if i["status"] == "accepted":
            files_by.setdefault((i["source"], i["period_year"]), []).append(i["input_id"])
    delivered_values = delivered_facts(
        gemeente=config.gemeente,
        own_members=area_model.own_members,
        deliveries=deliveries,
        years=config.years,
        **rows,
    )
    from_sources = sources_of()
    df = pd.concat(
        [f for f in (facts.to_pandas(), delivered_values.facts) if len(f)] or [facts.to_pandas()],
        ignore_index=True,
    )
    # Only the configured years, as for the CBS and police figures (a delivery of a later
    # year waits until the config asks for that year and CBS has its denominators).
    df = df[df["period_year"].isin(config.years)].reset_index(drop=True)
    df["input_versions"] = [
        sorted(f for source in from_sources[i] for f in files_by.get((source, int(y)), []))
        for i, y in zip(df["indicator_id"], df["period_year"], strict=True)
    ]
    q_total = sum(len(q) for q in quarantine.values())
    summary = pd.DataFrame(inputs)
    return Output(
        {
            "facts": df,
            # The supplier's interval of a delivered value (a survey's 95% interval).
            "intervals": delivered_values.intervals[
                delivered_values.intervals["period_year"].isin(config.years)
            ].reset_index(drop=True),
            # For the published warehouse: without the delivered values.
            "quarantine": public_quarantines(quarantine),
            # With them: only for the restricted store.
            "quarantine_values": quarantine,
            "raw": raw,
            "inputs": inputs,
            "warnings": [w for v in checked.values() for w in v.get("warnings", [])],
        },
        metadata={
            "fact_rows": len(df),
            "rows_quarantined": q_total,
            "partial": int(df["partial"].sum()) if len(df) else 0,
            "inputs": MetadataValue.md(markdown_table(summary, 20)) if len(summary) else "",
        },
    )
