"""incidenten: police and nuisance incidents shared with the municipality (sources.md 4)."""

from checks.deliveries.common import PLACE_OR_CODE, POLICE_CODE, place_columns, place_rules
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
        *place_columns("Buurtcode zoals de leverancier die gaf."),
    ),
    one_of=PLACE_OR_CODE,
    rules=(
        Rule("valid", "datum", "ongeldige datum in datum"),
        Rule("within_period", "datum", "datum buiten de maand {period}"),
        Rule("matches", "categorie", "onbekende categorie (geen politiecode of overlastcategorie)",
             params={"regex": CATEGORIE}),
        *place_rules(),
    ),
    unique=Unique(("incident_id",), "incident_id"),
    placement=Placement("datum", ("punt", "buurtcode")),
    restricted_comment="BEPERKT: geaccepteerde incidenten met de buurt waarin ze plaatsvonden "
    "(placed_by: coordinaten of buurtcode).",
    quarantine_comment="Incidenten die niet door het contract kwamen of buiten de gemeente "
    "liggen: bestand, regelnummer, kolom en reden.",
)  # fmt: skip
