"""meldingen: reports about the public space (MOR), per month (sources.md section 4).

Reports are about places, not persons: nothing here is personal, no small-count suppression
applies to their indicators (transforms/catalogue.toml `disclosure = "geen"`), and the files
are not under [privacy] retention."""

from checks.deliveries.common import PLACE_OR_CODE, place_columns, place_rules
from checks.deliveries.spec import (
    LATEST_DELIVERY_PER_KEY,
    Column,
    Declaration,
    Placement,
    Rule,
    Unique,
)

CATEGORIEEN = (
    "AFVAL_NAAST_CONTAINER",
    "ZWERFAFVAL",
    "GROFVUIL",
    "ONGEDIERTE_RATTEN",
    "ONGEDIERTE_OVERIG",
    "ONKRUID_GROEN",
    "STRAATMEUBILAIR",
    "VERLICHTING",
    "OVERIG",
)
STATUSSEN = ("OPEN", "AFGEHANDELD", "GEANNULEERD")

DECLARATION = Declaration(
    source="meldingen",
    order=50,
    description="reports about the public space (waste, vermin, neglect) from the MOR "
    "system, per month",
    row="report received in that month, or an earlier report whose status changed",
    period="month",
    columns=(
        Column("melding_id", "text", "Sleutel van de melding.", True),
        Column("datum_melding", "datetime", "Datum (en tijd) waarop de melding binnenkwam.", True),
        Column("categorie", "code", "Soort melding.", True, codes=CATEGORIEEN),
        *place_columns("Buurtcode zoals het meldingensysteem die gaf."),
        Column("status", "code", "Status: OPEN, AFGEHANDELD of GEANNULEERD (telt niet mee).",
               True, codes=STATUSSEN),
        Column("datum_afgehandeld", "datetime", "Datum waarop de melding is afgehandeld."),
    ),
    one_of=PLACE_OR_CODE,
    rules=(
        Rule("valid", "datum_melding", "ongeldige datum in datum_melding"),
        # A later file may repeat an earlier report with its new status; never a later one.
        Rule("after_period_end", "datum_melding", "datum_melding na de maand {period}"),
        Rule("in_codes", "categorie", "onbekende categorie (niet in de codelijst)"),
        Rule("in_codes", "status", "onbekende status (niet in de codelijst)"),
        Rule("valid", "datum_afgehandeld", "ongeldige datum in datum_afgehandeld"),
        Rule("required_when", "datum_afgehandeld",
             "datum_afgehandeld ontbreekt bij status AFGEHANDELD",
             params={"when": "status", "equals": "AFGEHANDELD"}),
        Rule("not_before", "datum_afgehandeld", "datum_afgehandeld voor datum_melding",
             params={"later": "datum_afgehandeld", "earlier": "datum_melding", "by_day": True}),
        *place_rules(),
    ),
    unique=Unique(("melding_id",), "melding_id"),
    placement=Placement("datum_melding", ("punt", "buurtcode")),
    replacement=LATEST_DELIVERY_PER_KEY,
    replacement_key=("melding_id",),
    retained=False,
    restricted_comment="Geaccepteerde meldingen openbare ruimte (geen persoonsgegevens) met de "
    "buurt waarin het probleem ligt; bij een melding die in meer leveringen staat telt de "
    "laatste levering.",
    quarantine_comment="Meldingen openbare ruimte die niet door het contract kwamen of niet in "
    "een buurt te plaatsen waren: bestand, regelnummer, kolom en reden.",
)  # fmt: skip
