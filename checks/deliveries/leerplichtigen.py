"""leerplichtigen: pupils of compulsory school age per area (sources.md section 4)."""

from checks.deliveries.common import GEBIED_CODE
from checks.deliveries.spec import Column, Declaration, Derived, Rule, Unique

DECLARATION = Declaration(
    source="leerplichtigen",
    order=30,
    description="pupils of compulsory school age per area on 1 October",
    row="area: pupils of compulsory school age on 1 October",
    period="school_year",
    derived=(
        Derived("schooljaar_start", "start_year", "Het jaar waarin het schooljaar begint."),
    ),
    columns=(
        Column("gebied_code", "gebied", "Buurt- of wijkcode (voorvoegsel en voorloopnullen "
               "mogen ontbreken).", True),
        Column("aantal", "integer", "Leerplichtigen op 1 oktober.", True),
    ),
    rules=(
        Rule("matches", "gebied_code", "ongeldige gebiedscode (geen buurt- of wijkcode)",
             params={"regex": GEBIED_CODE}),
        Rule("own_gemeente", "gebied_code", "gebiedscode van een andere gemeente"),
        Rule("valid", "aantal", "ongeldig aantal (geen geheel getal)"),
        Rule("between", "aantal", "negatief aantal", params={"min": 0}),
    ),
    unique=Unique(("gebied_code",), "gebied_code"),
    restricted_comment="BEPERKT: leerplichtigen per buurt of wijk op 1 oktober van het "
    "schooljaar, zoals geleverd (kleine aantallen).",
    quarantine_comment="Rijen uit de bestanden met leerplichtigen per gebied die niet door het "
    "contract kwamen: bestand, regelnummer, kolom en reden.",
)  # fmt: skip
