"""Dagster asset for area changes: what changed between the years' geographies (wijken,
buurten) and how earlier years are restated onto the reference year's areas."""

import pandas as pd
from dagster import MetadataValue, Output, asset

from pipelines.assetkit import markdown_table
from transforms.area_changes import harmonisation, series_breaks
from transforms.geocode import crosswalk_frame
from transforms.indicators import combine_years


@asset(
    group_name="transforms",
    description="Boundary changes between consecutive years (overlay of the kaart areas, "
    "weighted by addresses where the postcode-huisnummer files of both years are present) and "
    "the chained mapping of every year's wijken and buurten onto the reference year's.",
)
def area_changes(area_model, cbs_kerncijfers_checked, pc6_buurt_checked):
    combined = combine_years(list(cbs_kerncijfers_checked.values()))
    stats = combined["areas"]
    splits = [s.accepted for s in pc6_buurt_checked["splits"] if len(s.accepted)]
    crosswalks = crosswalk_frame(pd.concat(splits, ignore_index=True)) if splits else None
    bounds = area_model.boundaries
    bounds = bounds[bounds["area_level"].isin(["wijk", "buurt"])]
    harm = harmonisation(
        bounds,
        area_model.reference_year,
        crosswalks,
        stats[["period_year", "area_code", "change_flag"]] if "change_flag" in stats else None,
    )
    breaks = series_breaks(stats, area_model.reference_year, harm.linked_years)
    changes = harm.area_change
    return Output(
        {"harmonisation": harm, "breaks": breaks},
        metadata={
            "reference_year": area_model.reference_year,
            "changes": len(changes),
            "per type": MetadataValue.json(changes["change_type"].value_counts().to_dict()),
            "series_breaks": int(breaks["series_break"].sum()),
            "preview": MetadataValue.md(markdown_table(changes, 20)),
        },
    )


def change_summary(harm, breaks: pd.DataFrame, facts: pd.DataFrame) -> dict:
    """For the build summary: how many areas changed and how their figures were handled."""
    changes = harm.area_change
    est = facts[facts["estimate_method"].notna()] if "estimate_method" in facts else facts[:0]
    return {
        "reference_year": int(harm.reference_year),
        "changed_areas": int(
            changes.loc[changes["change_type"] != "nieuw", "from_code"].dropna().nunique()
        ),
        "changes": {k: int(v) for k, v in changes["change_type"].value_counts().items()},
        "restated_rows": {k: int(v) for k, v in est["estimate_method"].value_counts().items()},
        "series_break_rows": int(facts["series_break"].sum()) if "series_break" in facts else 0,
    }
