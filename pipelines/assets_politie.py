"""Dagster assets for the police table (registered crime per wijk and buurt per month, on
CBS's third-party host): the saved reply, its contract split and a blocking GX check."""

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, Output, asset, asset_check

from checks.politie import politie_suite, split_politie
from pipelines.assetkit import catalog_metadata, check_result, markdown_table
from pipelines.resources import WijkmonitorSettings
from sources.http import FetchError
from sources.politie import read_politie, resolve_politie
from sources.statline import Resolved, StatLineClient
from transforms.indicators import combine_years
from transforms.police import police_codes, police_denominators, police_indicator_facts


@asset(
    group_name="sources",
    deps=["landing_politie"],
    description="Police table 47022NED (registered crime per wijk/buurt per month) for the "
    "gemeente and the Netherlands, as saved replies (fetched from dataderden unless offline).",
)
def politie_tables(context: AssetExecutionContext, settings: WijkmonitorSettings):
    config = settings.load()
    client = StatLineClient.for_host(config.cbs, config.cbs.dataderden_url, context.log.warning)
    try:
        resolved = resolve_politie(
            None if settings.offline else client,
            config.paths.landing,
            config.gemeente,
            police_codes(),
            table_id=config.cbs.politie_table,
        )
    except FetchError as exc:  # nothing saved to fall back on: build without safety figures
        resolved = Resolved(config.cbs.politie_table, None, False, f"police table: {exc}")
    warnings = [resolved.warning] if resolved.warning else []
    if resolved.snapshot is None:
        warnings.append(
            f"no saved reply of police table {config.cbs.politie_table} under "
            f"{config.paths.landing / 'politie'} (run without --offline): no safety indicators"
        )
        for w in warnings:
            context.log.warning(w)
        return Output({"table": None, "warnings": warnings}, metadata={"rows": 0})
    table = read_politie(resolved.snapshot, config.cbs.politie_table)
    for w in warnings:
        context.log.warning(w)
    return Output(
        {"table": table, "warnings": warnings, "fetched": resolved.fetched},
        metadata={
            "table": table.table_id,
            "modified": str(table.saved.modified),
            "snapshot": table.saved.snapshot.name,
            # the rows are counted where they are read (politie_checked), not here
            "figure_pages": len(table.pages),
            "fetched": resolved.fetched,
            "warnings": MetadataValue.json(warnings),
            **catalog_metadata(
                None,
                sha256={f"{table.table_id}/{table.saved.snapshot.name}": table.saved.sha256},
            ),
        },
    )


@asset(
    group_name="checks",
    description="Police rows split by the contract into accepted counts and quarantined rows.",
)
def politie_checked(settings: WijkmonitorSettings, politie_tables):
    table = politie_tables["table"]
    if table is None:
        return Output(None, metadata={"rows_accepted": 0})
    split = split_politie(table, settings.load().gemeente)
    return Output(
        split,
        metadata={
            "rows_read": split.rows_read,
            "rows_accepted": split.rows_accepted,
            "rows_quarantined": split.rows_quarantined,
            "rows_out_of_scope": split.rows_out_of_scope,
            "preview": MetadataValue.md(markdown_table(split.quarantine)),
            **catalog_metadata(split.accepted, quarantined=split.rows_quarantined),
        },
    )


@asset_check(
    asset=politie_checked,
    blocking=True,
    description="Great Expectations suite on the accepted police counts.",
)
def politie_expectations_met(politie_checked):
    if politie_checked is None:
        return check_result("politie", [])
    return check_result(
        "politie", [politie_suite(politie_checked.accepted, politie_checked.known_codes)]
    )


def politie_quarantine(split, run_id: str) -> pd.DataFrame:
    if split is None or not len(split.quarantine):
        return pd.DataFrame()
    return split.quarantine.assign(run_id=run_id)[["run_id", "file", "line", "area_code", "reason"]]


@asset(
    group_name="transforms",
    description="Safety indicators from the police table: yearly counts from twelve months "
    "(fewer: flagged partial) per 1,000 inhabitants or households of the same year.",
)
def police_indicator_facts_table(
    context: AssetExecutionContext,
    settings: WijkmonitorSettings,
    politie_tables,
    politie_checked,
    cbs_kerncijfers_checked,
    area_model,
):
    config = settings.load()
    if politie_checked is None:
        return Output({"facts": None, "warnings": [], "version": None}, metadata={"fact_rows": 0})
    combined = combine_years(list(cbs_kerncijfers_checked.values()))
    result = police_indicator_facts(
        politie_checked.accepted,
        police_denominators(combined["values"]),
        area_model.own_members,
        config.years,
    )
    for w in result.warnings:
        context.log.warning(w)
    saved = politie_tables["table"].saved
    df = result.facts.to_pandas()
    kerncijfers = {y: s.table_id for y, s in cbs_kerncijfers_checked.items()}  # denominators
    version = f"{saved.table_id}@{saved.modified or saved.snapshot.name}"
    df["input_versions"] = [
        [version, *([kerncijfers[int(y)]] if int(y) in kerncijfers else [])]
        for y in df["period_year"]
    ]
    return Output(
        {"facts": df, "warnings": result.warnings, "version": version},
        metadata={
            "fact_rows": len(df),
            "partial": int(df["partial"].sum()) if len(df) else 0,
            "year_mismatches": len(result.year_mismatches),
            "warnings": MetadataValue.json(result.warnings),
        },
    )
