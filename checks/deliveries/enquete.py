"""enquete: resident survey results per area and question, delivered aggregated by the
research bureau (sources.md section 4). Not person-level data: nothing personal, no retention;
the survey rules (fewer than `MIN_RESPONDENTEN` respondents is not published, a year without a
survey is "niet gemeten") are in transforms/sql/enquete_indicator_facts.sql."""

from checks.deliveries.common import BUURT_CODE, GEMEENTE_CODE, WIJK_CODE
from checks.deliveries.spec import REJECT_FILE, WARN, Column, Declaration, Rule, Unique

VRAGEN = (
    "RAPPORTCIJFER_WOONOMGEVING",
    "PCT_ONVEILIG_BUURT",
    "PCT_AFVAL_OP_STRAAT",
    "SOCIALE_COHESIE",
)
MIN_RESPONDENTEN = 50
# A CBS area code, or the code of an own area of the config (`LN`, `PH`, ...).
GEBIED = rf"{BUURT_CODE}|{WIJK_CODE}|{GEMEENTE_CODE}|[A-Z][A-Z0-9_]{{0,15}}"

DECLARATION = Declaration(
    source="enquete",
    order=60,
    description="resident survey results per area and question, aggregated by the bureau",
    row="area x question of the survey of that year",
    period="year",
    columns=(
        Column("jaar", "integer", "Het jaar van de enquête.", True),
        Column("gebied_code", "upper", "Buurt-, wijk- of gemeentecode, of de code van een "
               "eigen gebied.", True),
        Column("vraag", "code", "De vraag of schaal.", True, codes=VRAGEN),
        Column("waarde", "number", "Het resultaat zoals het bureau het gaf.", True),
        Column("n_respondenten", "integer", "Aantal respondenten achter het resultaat.", True),
        Column("ondergrens", "number", "Ondergrens van het 95%-interval van het bureau."),
        Column("bovengrens", "number", "Bovengrens van het 95%-interval van het bureau."),
    ),
    rules=(
        Rule("valid", "jaar", "ongeldig jaar (geen geheel getal)"),
        Rule("before_period_start", "jaar", "jaar wijkt af van het jaar {period} van het bestand",
             severity=REJECT_FILE),
        Rule("after_period_end", "jaar", "jaar wijkt af van het jaar {period} van het bestand",
             severity=REJECT_FILE),
        Rule("matches", "gebied_code", "ongeldige gebiedscode", params={"regex": GEBIED}),
        Rule("in_codes", "vraag", "onbekende vraag (niet in de codelijst)"),
        Rule("valid", "waarde", "ongeldige waarde (geen getal)"),
        Rule("valid", "n_respondenten", "ongeldig aantal respondenten (geen geheel getal)"),
        Rule("between", "n_respondenten", "negatief aantal respondenten", params={"min": 0}),
        Rule("valid", "ondergrens", "ongeldige ondergrens (geen getal)"),
        Rule("valid", "bovengrens", "ongeldige bovengrens (geen getal)"),
        Rule("not_before", "ondergrens", "ondergrens boven de waarde",
             severity=WARN, params={"later": "waarde", "earlier": "ondergrens"}),
        Rule("not_after", "waarde", "waarde boven de bovengrens",
             severity=WARN, params={"than": "bovengrens"}),
    ),
    unique=Unique(("gebied_code", "vraag"), "combinatie gebied_code en vraag"),
    retained=False,
    facts_sql="enquete_indicator_facts.sql",
    facts_params={"min_respondenten": MIN_RESPONDENTEN},
    restricted_comment="Enqueteresultaten per gebied en vraag zoals het onderzoeksbureau ze "
    "leverde (geaggregeerd; ook resultaten van minder dan 50 respondenten).",
    quarantine_comment="Rijen uit de enquêtebestanden die niet door het contract kwamen: "
    "bestand, regelnummer, kolom en reden.",
)  # fmt: skip
