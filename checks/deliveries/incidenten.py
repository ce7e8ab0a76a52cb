"""incidenten: police and nuisance incidents shared with the municipality (sources.md 4)."""

from checks.deliveries.common import (
    BUURT_CODE,
    LAT,
    LON,
    POLICE_CODE,
    RD,
    RD_OUTSIDE,
    RD_X,
    RD_Y,
    WGS84,
    WGS84_OUTSIDE,
    coordinate_rules,
    rd_columns,
    wgs84_columns,
)
from checks.deliveries.spec import Column, Declaration, Placement, Rule, Unique

OVERLAST_CATEGORIEEN = (
    "JEUGDOVERLAST",
    "BURENOVERLAST",
    "DRUGSOVERLAST",
    "VERWARD_GEDRAG",
    "OVERLAST_OVERIG",
)
CATEGORIE = rf"{POLICE_CODE}|{'|'.join(OVERLAST_CATEGORIEEN)}"

DECLARATION = Declaration(
    source="incidenten",
    order=40,
    description="police and nuisance incidents shared with the municipality, per month",
    row="incident in that month",
    period="month",
    columns=(
        Column("incident_id", "text", "Sleutel van het incident.", True),
        Column("datum", "datetime", "Datum of datum en tijd van het incident.", True),
        Column("categorie", "upper", "Politiecode (d.d.d) of overlastcategorie.", True),
        *rd_columns(personal=False),
        *wgs84_columns(),
        Column("buurtcode", "area", "Buurtcode zoals de leverancier die gaf.", prefix="BU",
               width=8),
    ),
    one_of=(RD, WGS84, ("buurtcode",)),
    rules=(
        Rule("valid", "datum", "ongeldige datum in datum"),
        Rule("within_period", "datum", "datum buiten de maand {period}"),
        Rule("matches", "categorie", "onbekende categorie (geen politiecode of overlastcategorie)",
             params={"regex": CATEGORIE}),
        *coordinate_rules(RD, (RD_X, RD_Y), RD_OUTSIDE),
        *coordinate_rules(WGS84, (LAT, LON), WGS84_OUTSIDE),
        Rule("matches", "buurtcode", "ongeldige buurtcode (geen BU-code)",
             params={"regex": BUURT_CODE}),
        Rule("one_of", None, "geen coördinaten en geen buurtcode",
             params={"groups": (RD, WGS84, ("buurtcode",))}),
    ),
    unique=Unique(("incident_id",), "incident_id"),
    placement=Placement("datum", ("punt", "buurtcode")),
    restricted_comment="BEPERKT: geaccepteerde incidenten met de buurt waarin ze plaatsvonden "
    "(placed_by: coordinaten of buurtcode).",
    quarantine_comment="Incidenten die niet door het contract kwamen of buiten de gemeente "
    "liggen: bestand, regelnummer, kolom en reden.",
)  # fmt: skip
