"""Dagster definitions: one asset per step of the flow, grouped by layer, GX suites as blocking
asset checks, and the monthly schedule. Thin wiring: the work happens in the layers."""

import hashlib
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Definitions,
    MetadataValue,
    Output,
    RunFailureSensorContext,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    asset,
    asset_check,
    define_asset_job,
    run_failure_sensor,
    sensor,
)

from checks.kaart import kaart_suites, split_kaart
from checks.kerncijfers import kerncijfers_suite, split_kerncijfers
from checks.quarantine import public_quarantines
from pipelines.assetkit import (
    catalog_metadata,
    check_result,
    is_synthetic,
    markdown_table,
    warehouse_catalog_metadata,
)
from pipelines.assets_areas import area_changes, change_summary
from pipelines.assets_landing import landing_folders, record_observations
from pipelines.assets_municipal import (
    DELIVERY_ASSETS,
    REDELIVERY_CHECKS,
    municipal_indicator_facts_table,
)
from pipelines.assets_politie import (
    police_indicator_facts_table,
    politie_checked,
    politie_expectations_met,
    politie_quarantine,
    politie_tables,
)
from pipelines.cleanup import clean_up_after_crashes
from pipelines.instance import TRIGGER_TAG, failed_runs
from pipelines.io import AtomicPickleIOManager
from pipelines.notify import notify_run
from pipelines.resources import WijkmonitorSettings
from pipelines.versions import code_version, current_versions, local_versions, published_versions
from sources.config import DELIVERY_SOURCES
from sources.kaart import read_kaart_folder
from sources.statline import (
    StatLineClient,
    kerncijfers_queries,
    read_saved_table,
    resolve_table,
)
from transforms.area_changes import as_published, harmonise_facts
from transforms.areas import build_area_model
from transforms.catalogue import load_catalogue
from transforms.disclosure import protect, recoverable_cells
from transforms.facts import RESTRICTED_COLUMNS, dim_indicator, finish_facts
from transforms.indicators import cbs_indicator_facts, combine_years
from transforms.pooling import pooled_candidates
from warehouse.build import (
    WarehouseContent,
    staging_path,
    summarise_changes,
    write_warehouse,
)
from warehouse.check_docs import CHECK_COLUMNS, latest_checks, write_check_docs
from warehouse.housekeeping import build_lock, named_faults, staged_file
from warehouse.stores import (
    RestrictedContent,
    private_dir,
    publish_stores,
    restricted_staging,
    write_restricted_store,
)

# --- sources ------------------------------------------------------------------------------


@asset(
    group_name="sources",
    deps=["landing_cbs_kerncijfers"],
    description="CBS Kerncijfers wijken en buurten per year, as saved replies (fetched unless offline).",
)
def cbs_kerncijfers_tables(context: AssetExecutionContext, settings: WijkmonitorSettings):
    config = settings.load()
    landing = config.paths.landing / "cbs_kerncijfers"
    client = StatLineClient.for_host(config.cbs, config.cbs.opendata_url, context.log.warning)
    tables, warnings, fetched = {}, [], []
    for year in config.years:
        table_id = config.table_for_year(year)
        if table_id is None:
            warnings.append(
                f"{year}: no Kerncijfers table id known (add it to cbs.kerncijfers_tables)"
            )
            continue
        resolved = resolve_table(
            None if settings.offline else client,
            landing,
            table_id,
            kerncijfers_queries(config.gemeente),
        )
        if resolved.warning:
            warnings.append(resolved.warning)
        if resolved.fetched:
            fetched.append(table_id)
        if resolved.snapshot is None:
            warnings.append(
                f"{year}: no saved reply of {table_id} under {landing} (run without --offline)"
            )
            continue
        tables[year] = read_saved_table(resolved.snapshot, table_id)  # names file and problem
    for w in warnings:
        context.log.warning(w)
    meta = pd.DataFrame(
        [
            {
                "year": y,
                "table": t.table_id,
                "modified": t.modified,
                "snapshot": t.snapshot.name,
                "rows": len(t.rows),
                "files": len(t.files),
                "sha256 (first file)": t.files[0].sha256[:16] if t.files else "",
            }
            for y, t in tables.items()
        ]
    )
    return Output(
        {"tables": tables, "warnings": warnings, "fetched": fetched},
        metadata={
            "tables": len(tables),
            "fetched": MetadataValue.json(fetched),
            "rows": int(sum(len(t.rows) for t in tables.values())),
            "offline": settings.offline,
            "preview": MetadataValue.md(markdown_table(meta)),
            "warnings": MetadataValue.json(warnings),
            **catalog_metadata(
                None,
                rows=int(sum(len(t.rows) for t in tables.values())),
                sha256={f"{t.table_id}/{t.snapshot.name}": t.sha256 for t in tables.values()},
            ),
        },
    )


@asset(
    group_name="sources",
    deps=["landing_cbs_kaart"],
    description="Wijk- en buurtkaart files per year from the landing folder (boundaries and attributes).",
)
def cbs_kaart_layers(context: AssetExecutionContext, settings: WijkmonitorSettings):
    config = settings.load()
    landing = config.paths.landing / "cbs_kaart"
    layers, warnings = {}, []
    for year in config.years:
        folder = landing / str(year)
        if not folder.is_dir():
            warnings.append(
                f"{year}: no kaart files in {folder}; areas of that year have no boundary"
            )
            continue
        layers[year] = read_kaart_folder(folder)  # an unreadable file names itself
    for w in warnings:
        context.log.warning(w)
    rows = [
        {
            "year": y,
            "file": Path(lay.path).name,
            "layer": lay.layer,
            "level": lay.level,
            "rows": lay.rows_read,
            "sha256": lay.sha256[:16],
        }
        for y, ls in layers.items()
        for lay in ls
    ]
    return Output(
        {"layers": layers, "warnings": warnings},
        metadata={
            "years": len(layers),
            "layers": len(rows),
            "preview": MetadataValue.md(markdown_table(pd.DataFrame(rows), 20)),
            "warnings": MetadataValue.json(warnings),
            **catalog_metadata(
                None,
                rows=sum(r["rows"] for r in rows),
                sha256={
                    f"{y}/{Path(lay.path).name}": lay.sha256
                    for y, ls in layers.items()
                    for lay in ls
                },
            ),
        },
    )


# --- checks -------------------------------------------------------------------------------


@asset(
    group_name="checks",
    description="Kerncijfers rows split by the contract into accepted figures and quarantined rows.",
)
def cbs_kerncijfers_checked(
    context: AssetExecutionContext, settings: WijkmonitorSettings, cbs_kerncijfers_tables
):
    config = settings.load()
    splits = {
        year: split_kerncijfers(table, config.gemeente, year)
        for year, table in cbs_kerncijfers_tables["tables"].items()
    }
    summary = pd.DataFrame(
        [
            {
                "year": y,
                "table": s.table_id,
                "rows_read": s.rows_read,
                "accepted": s.rows_accepted,
                "quarantined": s.rows_quarantined,
                "out of scope": s.rows_out_of_scope,
            }
            for y, s in splits.items()
        ]
    )
    values = [s.values for s in splits.values()]
    return Output(
        splits,
        metadata={
            "rows_accepted": int(summary["accepted"].sum()) if len(summary) else 0,
            "rows_quarantined": int(summary["quarantined"].sum()) if len(summary) else 0,
            "preview": MetadataValue.md(markdown_table(summary)),
            **catalog_metadata(
                pd.concat(values, ignore_index=True) if values else None,
                quarantined=int(summary["quarantined"].sum()) if len(summary) else 0,
            ),
        },
    )


@asset(
    group_name="checks",
    description="Kaart rows split by the contract into accepted areas and quarantined rows.",
)
def cbs_kaart_checked(cbs_kaart_layers):
    layers, quarantine = {}, []
    for year, ls in cbs_kaart_layers["layers"].items():
        kept = []
        for layer in ls:
            accepted, rejected = split_kaart(layer)
            kept.append(replace(layer, frame=accepted))
            if len(rejected):
                quarantine.append(
                    rejected.assign(
                        file=str(layer.path), layer=layer.layer or layer.level, year=year
                    )
                )
        layers[year] = kept
    q = (
        pd.concat(quarantine, ignore_index=True)
        if quarantine
        else pd.DataFrame(columns=["line", "area_code", "reason", "file", "layer", "year"])
    )
    frames = [
        layer.frame.drop(columns="geometry", errors="ignore")
        for ls in layers.values()
        for layer in ls
    ]
    return Output(
        {"layers": layers, "quarantine": q},
        metadata={
            "preview": MetadataValue.md(markdown_table(q)),
            **catalog_metadata(
                frames[0] if frames else None,
                rows=sum(len(f) for f in frames),
                quarantined=len(q),
            ),
        },
    )


@asset_check(
    asset=cbs_kerncijfers_checked,
    blocking=True,
    description="Great Expectations suite on the accepted Kerncijfers figures of every year.",
)
def kerncijfers_expectations_met(cbs_kerncijfers_checked):
    return check_result("cbs_kerncijfers", kerncijfers_suite(cbs_kerncijfers_checked))


@asset_check(
    asset=cbs_kaart_checked,
    blocking=True,
    description="Great Expectations suites on the accepted kaart rows, one per level over all years.",
)
def kaart_expectations_met(cbs_kaart_checked):
    return check_result("cbs_kaart", kaart_suites(cbs_kaart_checked["layers"]))


def _check_outcomes_of_this_run(context: AssetExecutionContext, run_id: str) -> list[dict]:
    """The GX outcomes the asset checks of this run reported, for meta_check."""
    from dagster import DagsterEventType

    rows = []
    records = context.instance.all_logs(
        context.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    )
    for rec in records:
        data = rec.dagster_event.event_specific_data
        outcomes = data.metadata.get("outcomes")
        for row in outcomes.data if outcomes is not None else []:
            rows.append({"run_id": run_id, "input_id": row.pop("suite"), **row})
    return rows


# --- transforms ---------------------------------------------------------------------------


@asset(
    group_name="transforms",
    description="All areas: CBS areas with boundaries, programme and focus areas with their members; coverage gaps.",
)
def area_model(
    context: AssetExecutionContext,
    settings: WijkmonitorSettings,
    cbs_kerncijfers_checked,
    cbs_kaart_checked,
):
    config = settings.load()
    combined = combine_years(list(cbs_kerncijfers_checked.values()))
    model = build_area_model(
        config, combined["areas"], cbs_kaart_checked["layers"], is_synthetic(config.paths.landing)
    )
    gaps = model.coverage
    if len(gaps):
        context.log.warning(
            f"{len(gaps)} area-years with statistics but no boundary, or the other way round"
        )
    counts = model.dim_area["area_level"].value_counts().to_dict()
    return Output(
        model,
        metadata={
            "areas": len(model.dim_area),
            "per level": MetadataValue.json({k: int(v) for k, v in counts.items()}),
            "coverage gaps": len(gaps),
            "preview": MetadataValue.md(
                markdown_table(model.dim_area.drop(columns="geometry_wkb"), 15)
            ),
            **catalog_metadata(model.dim_area),
        },
    )


@asset(
    group_name="transforms",
    description="CBS-based indicators for every area and year, as the catalogue defines them.",
)
def cbs_indicator_facts_table(cbs_kerncijfers_checked, area_model):
    combined = combine_years(list(cbs_kerncijfers_checked.values()))
    facts = cbs_indicator_facts(combined, area_model.own_members, load_catalogue())
    df = facts.to_pandas()
    return Output(
        facts,
        metadata={
            "rows": len(df),
            "suppressed": int(df["suppressed"].sum()),
            "preview": MetadataValue.md(markdown_table(df[df["area_code"].str.len() < 6], 15)),
        },
    )


@asset(
    group_name="transforms",
    description="Every indicator fact (CBS, police, municipal) with period labels and input "
    "versions, under disclosure control: municipal counts below the threshold and the cells "
    "that would give them away are suppressed; the unprotected values go to the raw schema. "
    "Earlier years are first restated onto the reference year's areas (area_changes).",
)
def protected_indicator_facts(
    context: AssetExecutionContext,
    settings: WijkmonitorSettings,
    cbs_kerncijfers_tables,
    cbs_indicator_facts_table,
    municipal_indicator_facts_table,
    police_indicator_facts_table,
    area_model,
    area_changes,
):
    config = settings.load()
    catalogue = load_catalogue()
    tables = cbs_kerncijfers_tables["tables"]
    versions = {y: [f"{t.table_id}@{t.modified or t.snapshot.name}"] for y, t in tables.items()}
    cbs = cbs_indicator_facts_table.to_pandas()
    cbs["input_versions"] = [list(versions.get(int(y), [])) for y in cbs["period_year"]]
    parts = [cbs, municipal_indicator_facts_table["facts"], police_indicator_facts_table["facts"]]
    combined = pd.concat([p for p in parts if p is not None and len(p)], ignore_index=True).astype(
        {"period_year": "int64"}
    )
    # --- area harmonisation: every series on the reference geography, BEFORE protection.
    published_parts = [p for p in (cbs, police_indicator_facts_table["facts"]) if p is not None]
    as_published_facts = finish_facts(
        pa.Table.from_pandas(
            as_published(pd.concat(published_parts, ignore_index=True)), preserve_index=False
        ),
        catalogue,
        versions,
        is_synthetic(config.paths.landing),
        context.run_id,
    )
    combined = harmonise_facts(
        combined,
        area_changes["harmonisation"],
        area_changes["breaks"],
        catalogue,
        area_model.own_members,
    )
    # ---
    facts = finish_facts(
        pa.Table.from_pandas(combined, preserve_index=False),
        catalogue,
        versions,
        is_synthetic(config.paths.landing),
        context.run_id,
    )
    indicators = dim_indicator(catalogue, facts)
    # Three-year figures for small counts in focus and programme areas (transforms.pooling),
    # protected together with the single years they add up.
    pooled = pooled_candidates(
        facts,
        area_model.dim_area,
        indicators,
        config.disclosure.min_count,
        context.run_id,
    )
    result = protect(
        facts,
        area_model.dim_area,
        indicators,
        config.disclosure.min_count,
        config.disclosure.protection_interval,
        pooled=pooled,
    )
    protected, restricted = result.protected, result.restricted
    problems = recoverable_cells(protected, area_model.dim_area, indicators, result.pooled)
    narrow = result.audit[~result.audit["safe"].astype(bool)]
    if len(problems) or len(narrow):
        raise RuntimeError(
            f"disclosure control left {len(problems)} recoverable cells, e.g. "
            f"{problems.head(3).to_dict('records')}, and {len(narrow)} cells that can be "
            f"narrowed below the protection interval; nothing published"
        )
    return Output(
        {
            "facts": protected,
            "restricted": restricted,
            "audit": result.audit,
            "as_published": as_published_facts,
            "pooled": result.pooled,
        },
        metadata={
            "fact_rows": len(protected),
            "restated": int(protected["estimate_method"].notna().sum()),
            "series_break": int(protected["series_break"].sum()),
            "suppressed_small_numbers": len(restricted),
            "partial": int(protected["partial"].sum()),
            **catalog_metadata(protected),
        },
    )


# --- warehouse ----------------------------------------------------------------------------


@asset(
    group_name="warehouse",
    description="The DuckDB warehouse, built in a new file and published with an atomic rename.",
)
def published_warehouse(
    context: AssetExecutionContext,
    settings: WijkmonitorSettings,
    cbs_kerncijfers_tables,
    cbs_kerncijfers_checked,
    cbs_kaart_layers,
    cbs_kaart_checked,
    area_model,
    politie_tables,
    politie_checked,
    municipal_indicator_facts_table,
    police_indicator_facts_table,
    protected_indicator_facts,
    area_changes,
):
    config = settings.load()
    started = datetime.now(UTC)
    run_id = context.run_id or uuid.uuid4().hex
    synthetic = is_synthetic(config.paths.landing)
    catalogue = load_catalogue()

    tables = cbs_kerncijfers_tables["tables"]
    facts = protected_indicator_facts["facts"]
    combined = combine_years(list(cbs_kerncijfers_checked.values()))

    inputs, quarantine_k = [], []
    for year, split in cbs_kerncijfers_checked.items():
        t = tables[year]
        inputs.append(
            {
                "run_id": run_id,
                "source": "cbs_kerncijfers",
                "input_id": f"{t.table_id}@{t.modified or t.snapshot.name}",
                "path": str(t.snapshot),
                "period_year": year,
                "table_id": t.table_id,
                "modified": t.modified,
                "fetched_at": t.fetched_at,
                "sha256": t.sha256,
                "rows_read": split.rows_read,
                "rows_accepted": split.rows_accepted,
                "rows_quarantined": split.rows_quarantined,
                "rows_out_of_scope": split.rows_out_of_scope,
                "synthetic": synthetic or t.synthetic,
                "status": "accepted",
            }
        )
        quarantine_k.append(split.quarantine.assign(run_id=run_id))
    kq = cbs_kaart_checked["quarantine"]
    for year, ls in cbs_kaart_layers["layers"].items():
        for layer in ls:
            q = (
                kq[(kq["file"] == str(layer.path)) & (kq["layer"] == (layer.layer or layer.level))]
                if len(kq)
                else kq
            )
            inputs.append(
                {
                    "run_id": run_id,
                    "source": "cbs_kaart",
                    "input_id": f"{Path(layer.path).name}:{layer.layer or layer.level}",
                    "path": str(layer.path),
                    "period_year": year,
                    "table_id": None,
                    "modified": None,
                    "fetched_at": None,
                    "sha256": layer.sha256,
                    "rows_read": layer.rows_read,
                    "rows_accepted": layer.rows_read - len(q),
                    "rows_quarantined": len(q),
                    "rows_out_of_scope": 0,
                    "synthetic": synthetic,
                    "status": "accepted",
                }
            )
    politie = politie_checked
    if politie is not None:
        saved = politie_tables["table"].saved
        inputs.append(
            {
                "run_id": run_id,
                "source": "politie",
                "input_id": f"{saved.table_id}@{saved.modified or saved.snapshot.name}",
                "path": str(saved.snapshot),
                "period_year": None,
                "table_id": saved.table_id,
                "modified": saved.modified,
                "fetched_at": saved.fetched_at,
                "sha256": saved.sha256,
                "rows_read": politie.rows_read,
                "rows_accepted": politie.rows_accepted,
                "rows_quarantined": politie.rows_quarantined,
                "rows_out_of_scope": politie.rows_out_of_scope,
                "synthetic": synthetic or saved.synthetic,
                "status": "accepted",
            }
        )
    for row in municipal_indicator_facts_table["inputs"]:
        inputs.append(
            {
                "run_id": run_id,
                **{k: v for k, v in row.items() if k != "period"},
                "table_id": None,
                "modified": None,
                "fetched_at": None,
                "rows_out_of_scope": 0,
                "synthetic": synthetic,
            }
        )
    checks_rows = _check_outcomes_of_this_run(context, run_id)

    # Warnings that mean this build differs from a plain rebuild (CBS unreachable, files
    # missing) are always recorded in a new run; notes (e.g. a police year still incomplete)
    # are recorded but do not by themselves force a publish.
    warnings = (
        list(cbs_kerncijfers_tables["warnings"])
        + list(cbs_kaart_layers["warnings"])
        + list(politie_tables["warnings"])
        + list(municipal_indicator_facts_table.get("warnings", []))
    )
    notes = list(police_indicator_facts_table["warnings"])
    politie_snapshot = politie_tables["table"].saved.snapshot if politie_tables["table"] else None
    versions = current_versions(
        config, {y: t.snapshot for y, t in tables.items()}, politie_snapshot
    )
    selected = context.run.asset_selection
    recomputed = sorted(
        k.to_user_string() for k in (selected or context.assets_def.keys | _all_asset_keys())
    )
    gaps = area_model.coverage
    if len(gaps):
        warnings.append(
            f"{len(gaps)} area-years with statistics but no boundary or a boundary but no statistics (see meta_area_coverage)"
        )
    quarantined = sum(i["rows_quarantined"] for i in inputs)
    dim_area = area_model.dim_area.assign(geometry_crs="EPSG:28992")
    gemeente_name = dim_area.loc[dim_area["area_code"] == config.gemeente, "area_name"]
    content = WarehouseContent(
        config={
            "gemeente": config.gemeente,
            "gemeente_name": gemeente_name.iloc[0] if len(gemeente_name) else None,
            "baseline_year": config.baseline_year,
            "reference_year": area_model.reference_year,
            "years": list(config.years),
            "min_count": config.disclosure.min_count,
            "protection_interval": config.disclosure.protection_interval,
            "config_path": str(config.path),
            "synthetic": synthetic,
        },
        run={
            "run_id": run_id,
            "started_at": started,
            "finished_at": datetime.now(UTC),
            "status": "success",
            "offline": settings.offline,
            "config_path": str(config.path),
            "areas": len(dim_area),
            "years": sorted({int(y) for y in facts["period_year"]}),
            "indicators": int(facts["indicator_id"].nunique()),
            "fact_rows": len(facts),
            "rows_read": sum(i["rows_read"] for i in inputs),
            "rows_quarantined": quarantined,
            "warnings": warnings + notes,
            "steps": json.dumps(_step_timings(context)),
            "recomputed": recomputed,
            "failed_checks": [],
            "message": None,
            "input_fingerprint": versions.to_json(),
        },
        dim_area=dim_area,
        dim_indicator=dim_indicator(catalogue, facts),
        dim_target=pd.DataFrame(
            [
                {
                    "indicator_id": t.indicator,
                    "area_code": t.area,
                    "change_pct": t.change_pct,
                    "by_year": t.by_year,
                }
                for t in config.targets
            ],
            columns=["indicator_id", "area_code", "change_pct", "by_year"],
        ),
        facts=facts,
        meta_input=pd.DataFrame(inputs),
        meta_check=public_check_rows(checks_rows),
        coverage=gaps,
        cbs={
            "kerncijfers": combined["values"],
            "variables": combined["variables"],
            "kaart_nulls": _kaart_nulls(cbs_kaart_layers["layers"]),
            "politie": politie.accepted.rename(columns={"year": "period_year"})
            if politie is not None
            else pd.DataFrame(),
            "politie_codes": politie.crime_titles if politie is not None else pd.DataFrame(),
        },
        published={  # area harmonisation (warehouse/sql/areas.sql)
            "dim_area_year": area_model.dim_area_year.assign(geometry_crs="EPSG:28992"),
            "area_change": area_changes["harmonisation"].area_change,
            "fact_indicator_as_published": protected_indicator_facts["as_published"],
            "fact_interval": municipal_indicator_facts_table.get("intervals", pd.DataFrame()),
            "fact_indicator_pooled": protected_indicator_facts["pooled"],  # sql/pooled.sql
        },
        # Never a delivered value in the published warehouse (checks.quarantine).
        quarantine=public_quarantines(
            {
                "cbs_kerncijfers": pd.concat(quarantine_k, ignore_index=True)
                if quarantine_k
                else pd.DataFrame(),
                "cbs_kaart": kq.assign(run_id=run_id)[
                    ["run_id", "file", "line", "area_code", "reason"]
                ]
                if len(kq)
                else pd.DataFrame(),
                "politie": politie_quarantine(politie, run_id),
                **{
                    source: q.rename(columns={"column": "column_name"}).assign(run_id=run_id)
                    for source, q in municipal_indicator_facts_table["quarantine"].items()
                },
            }
        ),
    )
    restricted = RestrictedContent(
        run_id=run_id,
        tables={
            **municipal_indicator_facts_table["raw"],
            "fact_indicator_restricted": protected_indicator_facts["restricted"][
                [*RESTRICTED_COLUMNS, "disclosure_kind"]
            ],
            "disclosure_audit": protected_indicator_facts["audit"],
            "quarantine_values": _quarantine_values(
                municipal_indicator_facts_table.get("quarantine_values", {}), run_id
            ),
            "meta_check": pd.DataFrame(checks_rows),
        },
    )
    target = config.paths.warehouse
    store = config.paths.restricted_store
    target.parent.mkdir(parents=True, exist_ok=True)
    private_dir(store.parent)
    with build_lock(target):  # re-entrant: the CLI's build already holds it
        for note in clean_up_after_crashes(config):
            context.log.warning(note)
        if (
            not settings.force_publish
            and not warnings
            and store.exists()
            and versions == published_versions(target)
        ):
            # Nothing new: leave the published file (and its readers) alone.
            context.log.info("inputs, config and code as in the published warehouse: not published")
            return Output(
                {"warehouse": str(target), "published": False, "warnings": [], "changes": {}},
                metadata={"published": False},
            )
        staging = staging_path(target, run_id)
        staging_restricted = restricted_staging(store, run_id)
        # A failed write leaves no staging file, no WAL, in either store.
        with staged_file(staging), staged_file(staging_restricted), named_faults():
            changes = write_warehouse(
                staging,
                content,
                previous=target,
                earlier_runs=failed_runs(context.instance, target),
            )
            write_restricted_store(staging_restricted, restricted, staging, target)
            publish_stores(
                staging, target, staging_restricted, store, run_id, config.paths.published_mode
            )
    checks_page = write_check_docs(
        latest_checks(target),
        target.parent / "checks",
        "Latest outcome per source; samples of municipal deliveries are in the restricted copy.",
    )
    write_check_docs(
        pd.DataFrame(checks_rows, columns=[*CHECK_COLUMNS]),
        store.parent / "checks",
        "Restricted: this run's outcomes with samples of unexpected values (may be personal).",
        private=True,
    )
    summary = {
        "published": True,
        "run_id": run_id,
        "recomputed": recomputed,
        "changes": summarise_changes(changes),
        "warehouse": str(target),
        "restricted": str(store),
        "checks_page": str(checks_page),
        "areas": len(dim_area),
        "years": content.run["years"],
        "indicators": content.run["indicators"],
        "fact_rows": len(facts),
        "rows_quarantined": quarantined,
        "synthetic": synthetic,
        "warnings": warnings + notes,
        "quarantined_by_source": _quarantined_by_source(inputs),
        "suppressed_small_numbers": len(protected_indicator_facts["restricted"]),
        "partial_rows": int(facts["partial"].sum()),
        "area_changes": change_summary(
            area_changes["harmonisation"], area_changes["breaks"], facts
        ),
    }
    context.add_output_metadata(warehouse_catalog_metadata(target))  # (issue 16)
    return Output(
        summary,
        metadata={
            "path": MetadataValue.path(str(target)),
            "areas": len(dim_area),
            "fact_rows": len(facts),
            "rows_quarantined": quarantined,
            "synthetic": synthetic,
            "warnings": MetadataValue.json(warnings),
            "recomputed": MetadataValue.json(recomputed),
            "changes": MetadataValue.json(summary["changes"]),
        },
    )


def _quarantine_values(by_source: dict[str, pd.DataFrame], run_id: str) -> pd.DataFrame:
    """The quarantined rows of every delivery with the offending value, for the restricted
    store (the published quarantine tables name the column and the rule only)."""
    frames = [q.assign(source=source, run_id=run_id) for source, q in by_source.items() if len(q)]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out.assign(value=out["value"].astype("string")) if "value" in out else out


def public_check_rows(rows: list[dict]) -> pd.DataFrame:
    """meta_check rows for the published warehouse: a Great Expectations sample of unexpected
    values of a municipal delivery would hold person-level values (ids, postcodes, dates), so
    it stays in the restricted store (our own checks' samples name files and counts only)."""
    frame = pd.DataFrame(rows)
    if len(frame) and "sample" in frame:
        gx = frame["expectation"].astype("string").str.startswith("expect_").fillna(False)
        personal = frame["source"].isin(list(DELIVERY_SOURCES)) & gx
        frame["sample"] = frame["sample"].where(~personal, None)
    return frame


def _quarantined_by_source(inputs: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in inputs:
        out[i["source"]] = out.get(i["source"], 0) + int(i["rows_quarantined"])
    return out


def _all_asset_keys() -> set:
    return {a.key for a in ASSETS}


def _kaart_nulls(layers_by_year) -> pd.DataFrame:
    """Every marker value a kaart file held, read as NULL, with its reason."""
    rows = [
        {
            "geo_year": year,
            "file": str(layer.path),
            "layer": layer.layer or layer.level,
            "line": n.row,
            "area_code": layer.frame["area_code"].iloc[n.row - 1],
            "column_name": n.column,
            "marker": n.value,
            "reason": n.reason,
        }
        for year, layers in layers_by_year.items()
        for layer in layers
        for n in layer.nulls
    ]
    return pd.DataFrame(rows)


def _step_timings(context: AssetExecutionContext) -> dict:
    try:
        stats = context.instance.get_run_step_stats(context.run_id)
    except Exception:  # timings are a nicety; never fail a build over them
        return {}
    return {
        s.step_key: round((s.end_time or 0) - (s.start_time or 0), 3)
        for s in stats
        if s.start_time and s.end_time
    }


# Every asset carries the version of the code (the same digest the CLI plans with): after a
# code change Dagster shows every asset stale, as the CLI rebuilds everything.
CODE_VERSION = code_version()
ASSETS = [
    cbs_kerncijfers_tables,
    cbs_kaart_layers,
    politie_tables,
    *(files for files, _, _ in DELIVERY_ASSETS.values()),
    cbs_kerncijfers_checked,
    cbs_kaart_checked,
    politie_checked,
    *(checked for _, checked, _ in DELIVERY_ASSETS.values()),
    area_model,
    area_changes,
    cbs_indicator_facts_table,
    municipal_indicator_facts_table,
    police_indicator_facts_table,
    protected_indicator_facts,
    published_warehouse,
]
ASSETS = [
    a.map_asset_specs(lambda spec: spec.replace_attributes(code_version=CODE_VERSION))
    for a in ASSETS
]
ASSET_CHECKS = [
    kerncijfers_expectations_met,
    kaart_expectations_met,
    politie_expectations_met,
    *(check for _, _, check in DELIVERY_ASSETS.values()),
    *REDELIVERY_CHECKS.values(),
]

monthly_build_job = define_asset_job("monthly_build", selection=AssetSelection.all())
monthly_schedule = ScheduleDefinition(
    name="monthly_build_schedule",
    job=monthly_build_job,
    cron_schedule="0 6 1 * *",
    execution_timezone="Europe/Amsterdam",
    description="The whole graph at 06:00 Amsterdam time on the 1st of every month.",
    default_status=DefaultScheduleStatus.RUNNING,
)


# Which source asset reads each landing folder.
LANDING_FOLDERS = {
    "cbs_kerncijfers": "cbs_kerncijfers_tables",
    "cbs_kaart": "cbs_kaart_layers",
    "politie": "politie_tables",
    **{s: f"{s}_files" for s in DELIVERY_SOURCES},
}


def landing_fingerprint(folder: Path) -> str:
    """A digest of every finished file under one landing folder (path, size, mtime)."""
    h = hashlib.sha256()
    if folder.is_dir():
        for p in sorted(folder.rglob("*")):
            if p.is_file() and ".partial" not in p.name and ".partial" not in p.parent.name:
                st = p.stat()
                h.update(f"{p.relative_to(folder)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def landing_fingerprints(landing: Path) -> dict[str, str]:
    return {name: landing_fingerprint(landing / name) for name in LANDING_FOLDERS}


@sensor(
    job=monthly_build_job,
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.RUNNING,
    description="When a file is added to or changed in a landing folder, starts a build (from "
    "the saved replies, no fetching) of that folder's source asset and what depends on it.",
)
def landing_sensor(context: SensorEvaluationContext, settings: WijkmonitorSettings):
    landing = settings.load().paths.landing
    now = landing_fingerprints(landing)
    if context.cursor is None:
        context.update_cursor(json.dumps(now))  # the first look only learns what is there
        return SkipReason(f"watching {landing}")
    try:
        before = json.loads(context.cursor)
    except json.JSONDecodeError:
        before = {}
    changed = sorted(name for name, digest in now.items() if before.get(name) != digest)
    if not changed:
        return SkipReason(f"no new files in {landing}")
    context.update_cursor(json.dumps(now))
    # The UI shows what the new files make stale while the build waits in the queue.
    record_observations(context.instance, local_versions(settings.load()))
    chosen = AssetSelection.assets(*(AssetKey(LANDING_FOLDERS[n]) for n in changed)).downstream()
    return RunRequest(
        run_key=hashlib.sha256(json.dumps(now, sort_keys=True).encode()).hexdigest(),
        run_config={"resources": {"settings": {"config": {"offline": True}}}},
        asset_selection=sorted(chosen.resolve(defs.resolve_asset_graph())),
        tags={"wijkmonitor/trigger": "landing", "wijkmonitor/folders": ",".join(changed)},
    )


@run_failure_sensor(
    monitored_jobs=[monthly_build_job],
    default_status=DefaultSensorStatus.RUNNING,
    description="Sends the configured notification when a build run by Dagster (schedule, "
    "sensor, UI) fails; the next published run records the failed run in meta_run.",
)
def report_failed_build(context: RunFailureSensorContext, settings: WijkmonitorSettings):
    run = context.dagster_run
    if run.tags.get(TRIGGER_TAG) == "cli":
        return  # the CLI notifies itself
    config = settings.load()
    record = {
        "run_id": run.run_id,
        "status": "failed",
        "finished_at": datetime.now(UTC).isoformat(),
        "offline": settings.offline,
        "config_path": str(config.path),
        "message": (context.failure_event.message or "")[:4000],
        "failed_checks": [],
    }
    notify_run(config, record, log=context.log.warning)


defs = Definitions(
    assets=[landing_folders, *ASSETS],
    asset_checks=ASSET_CHECKS,
    jobs=[monthly_build_job],
    schedules=[monthly_schedule],
    sensors=[landing_sensor, report_failed_build],
    resources={"settings": WijkmonitorSettings(), "io_manager": AtomicPickleIOManager()},
)
