"""uitkeringen: monthly benefit snapshots (sources.md section 4)."""

from checks.deliveries.common import ADDRESS, RD, address_columns, address_rules, rd_columns
from checks.deliveries.spec import Column, Declaration, Derived, Placement, Rule, Unique

REGELINGEN = ("PW", "IOAW", "IOAZ", "BBZ")
REDENEN_EINDE = ("WERK", "VERHUIZING", "OVERLIJDEN", "OVERIG")
MIN_BIRTH_YEAR = 1900

DECLARATION = Declaration(
    source="uitkeringen",
    order=10,
    description="monthly benefit snapshots (Participatiewet and related schemes)",
    row="benefit that ran at any time in that month (the peildatum is the month's last day)",
    period="month",
    derived=(Derived("peildatum", "month_end", "De peildatum: de laatste dag van de maand."),),
    columns=(
        Column("client_id", "text", "Gepseudonimiseerde persoonssleutel.", True, True),
        Column("huishouden_id", "text", "Gepseudonimiseerde huishoudsleutel.", personal=True),
        Column("geboortejaar", "integer", "Geboortejaar.", True, True),
        *address_columns(personal=True),
        *rd_columns(personal=True),
        Column("regeling", "code", "Regeling (PW, IOAW, IOAZ, BBZ).", True, codes=REGELINGEN),
        Column("ingangsdatum", "date", "Begin van deze uitkering.", True),
        Column("einddatum", "date", "Einde; leeg zolang ze loopt."),
        Column("reden_einde", "code", "Reden van het einde.", codes=REDENEN_EINDE),
    ),
    one_of=(ADDRESS, RD),
    rules=(
        Rule("matches", "geboortejaar", "ongeldig geboortejaar",
             params={"regex": "[0-9]{4}", "on_text": True}),
        Rule("after_period_end", "geboortejaar", "geboortejaar in de toekomst"),
        Rule("between", "geboortejaar", f"geboortejaar voor {MIN_BIRTH_YEAR}",
             params={"min": MIN_BIRTH_YEAR}),
        Rule("in_codes", "regeling", "onbekende regeling (niet in de codelijst)"),
        Rule("valid", "ingangsdatum", "ongeldige datum in ingangsdatum"),
        Rule("valid", "einddatum", "ongeldige datum in einddatum"),
        Rule("after_period_end", "ingangsdatum", "ingangsdatum na de peildatum"),
        Rule("not_before", "einddatum", "einddatum voor ingangsdatum",
             params={"later": "einddatum", "earlier": "ingangsdatum"}),
        Rule("before_period_start", "einddatum",
             "einddatum voor het begin van de maand {period}: uitkering liep niet in deze maand"),
        Rule("in_codes", "reden_einde", "onbekende reden_einde (niet in de codelijst)"),
        *address_rules(),
        Rule("one_of", None, "geen adres en geen coördinaten", params={"groups": (ADDRESS, RD)}),
    ),
    unique=Unique(
        ("client_id", "regeling", "ingangsdatum"),
        "uitkering: zelfde client_id, regeling en ingangsdatum",
    ),
    placement=Placement("period", ("adres", "punt")),
    restricted_comment="BEPERKT (persoonsgegevens, gepseudonimiseerd): geaccepteerde rijen uit "
    "de geldende uitkeringenbestanden met de buurt waarin het adres ligt (placed_by: adres, "
    "coordinaten). Verlaat het warehouse nooit; alleen aggregaten na onthullingscontrole wel.",
    quarantine_comment="Rijen uit de uitkeringenbestanden van de gemeente die niet door het "
    "contract kwamen of niet in een buurt te plaatsen waren: bestand, regelnummer, kolom en "
    "reden. Geen persoonsgegevens: zoek de regel op in het bestand.",
)  # fmt: skip
