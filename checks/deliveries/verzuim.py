"""verzuim: absence reports per school year (sources.md section 4)."""

from checks.deliveries.common import ADDRESS, RD, address_columns, address_rules, rd_columns
from checks.deliveries.spec import Column, Declaration, Derived, Placement, Rule, Unique

SOORTEN_VERZUIM = ("ABSOLUUT", "RELATIEF", "LUXE", "SIGNAAL", "VSV")
LEERPLICHT_AGE = (5, 22)

DECLARATION = Declaration(
    source="verzuim",
    order=20,
    description="absence reports per school year (compulsory-education register)",
    row="absence report in the school year (1 August-31 July)",
    period="school_year",
    derived=(
        Derived("schooljaar_start", "start_year", "Het jaar waarin het schooljaar begint."),
    ),
    columns=(
        Column("melding_id", "text", "Sleutel van de verzuimmelding.", True),
        Column("leerling_id", "text", "Gepseudonimiseerde leerlingsleutel.", True, True),
        Column("geboortedatum", "date", "Geboortedatum van de leerling.", True, True),
        *address_columns(personal=True),
        *rd_columns(personal=True),
        Column("meldingsdatum", "date", "Datum van de melding.", True),
        Column("soort_verzuim", "code", "Soort verzuim.", True, codes=SOORTEN_VERZUIM),
        Column("brin", "upper", "BRIN-code van de school."),
    ),
    one_of=(ADDRESS, RD),
    rules=(
        Rule("valid", "geboortedatum", "ongeldige datum in geboortedatum"),
        Rule("valid", "meldingsdatum", "ongeldige datum in meldingsdatum"),
        Rule("within_period", "meldingsdatum", "meldingsdatum buiten het schooljaar {period}"),
        Rule("not_before", "geboortedatum", "geboortedatum na de meldingsdatum",
             params={"later": "meldingsdatum", "earlier": "geboortedatum"}),
        # The age is the pupil's: the reason gives the rule, not the age.
        Rule("age_between", "geboortedatum",
             "leeftijd bij de melding buiten de leerplichtige leeftijd "
             f"({LEERPLICHT_AGE[0]}-{LEERPLICHT_AGE[1]} jaar)",
             params={"at": "meldingsdatum", "min": LEERPLICHT_AGE[0], "max": LEERPLICHT_AGE[1]}),
        Rule("in_codes", "soort_verzuim", "onbekende soort_verzuim (niet in de codelijst)"),
        *address_rules(),
        Rule("one_of", None, "geen adres en geen coördinaten", params={"groups": (ADDRESS, RD)}),
    ),
    unique=Unique(("melding_id",), "melding_id"),
    placement=Placement("schooljaar_start", ("adres", "punt")),
    restricted_comment="BEPERKT (persoonsgegevens, gepseudonimiseerd): geaccepteerde "
    "verzuimmeldingen met de buurt van het woonadres van de leerling. Verlaat het warehouse "
    "nooit.",
    quarantine_comment="Rijen uit de verzuimbestanden (leerplichtadministratie) die niet door "
    "het contract kwamen of niet in een buurt te plaatsen waren: bestand, regelnummer, kolom "
    "en reden.",
)  # fmt: skip
