"""The asset graph pipelines/definitions.py must define, written out by hand (not read back
from the code): asset -> group, the edges every build relies on, and the blocking checks."""

DELIVERIES = (
    "uitkeringen",
    "verzuim",
    "leerplichtigen",
    "incidenten",
    "meldingen",
    "enquete",
    "pc6_buurt",
)

LANDING = ("cbs_kerncijfers", "cbs_kaart", "politie", *DELIVERIES)

# The materialised assets, by group.
GROUPS = {
    "cbs_kerncijfers_tables": "sources",
    "cbs_kaart_layers": "sources",
    "politie_tables": "sources",
    **{f"{s}_files": "sources" for s in DELIVERIES},
    "cbs_kerncijfers_checked": "checks",
    "cbs_kaart_checked": "checks",
    "politie_checked": "checks",
    **{f"{s}_checked": "checks" for s in DELIVERIES},
    "area_model": "transforms",
    "area_changes": "transforms",
    "cbs_indicator_facts_table": "transforms",
    "municipal_indicator_facts_table": "transforms",
    "police_indicator_facts_table": "transforms",
    "protected_indicator_facts": "transforms",
    "published_warehouse": "warehouse",
}

# The observable landing folders, upstream of the source asset that reads each.
OBSERVABLE = {f"landing_{folder}": "landing" for folder in LANDING}
ALL_GROUPS = {**OBSERVABLE, **GROUPS}

REQUIRED_DEPENDENCIES = {
    "cbs_kerncijfers_tables": {"landing_cbs_kerncijfers"},
    "cbs_kaart_layers": {"landing_cbs_kaart"},
    "politie_tables": {"landing_politie"},
    **{f"{s}_files": {f"landing_{s}"} for s in DELIVERIES},
    "cbs_kerncijfers_checked": {"cbs_kerncijfers_tables"},
    "cbs_kaart_checked": {"cbs_kaart_layers"},
    "politie_checked": {"politie_tables"},
    **{f"{s}_checked": {f"{s}_files"} for s in DELIVERIES},
    "area_model": {"cbs_kerncijfers_checked", "cbs_kaart_checked"},
    "area_changes": {"area_model", "cbs_kerncijfers_checked", "pc6_buurt_checked"},
    "cbs_indicator_facts_table": {"cbs_kerncijfers_checked", "area_model"},
    "municipal_indicator_facts_table": {
        *(f"{s}_checked" for s in DELIVERIES),
        "cbs_kaart_checked",
        "area_model",
    },
    "police_indicator_facts_table": {"politie_checked", "cbs_kerncijfers_checked", "area_model"},
    "protected_indicator_facts": {
        "cbs_indicator_facts_table",
        "municipal_indicator_facts_table",
        "police_indicator_facts_table",
        "area_changes",
    },
    "published_warehouse": {"protected_indicator_facts"},
}

CHECKS = {
    ("cbs_kerncijfers_checked", "kerncijfers_expectations_met", True),
    ("cbs_kaart_checked", "kaart_expectations_met", True),
    ("politie_checked", "politie_expectations_met", True),
    *((f"{s}_checked", f"{s}_expectations_met", True) for s in DELIVERIES),
    # Non-blocking: a refused re-delivery is reported, the build goes on with the earlier file.
    *((f"{s}_files", f"{s}_redeliveries_complete", False) for s in DELIVERIES),
}
