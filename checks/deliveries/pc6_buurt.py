"""pc6_buurt: the CBS postcode + huisnummer -> buurt crosswalk, per year (sources.md 3)."""

from checks.deliveries.common import BUURT_CODE, GEMEENTE_CODE, POSTCODE, WIJK_CODE
from checks.deliveries.spec import Column, Declaration, Derived, Rule, Unique

DECLARATION = Declaration(
    source="pc6_buurt",
    order=90,
    description="the CBS postcode + house number -> buurt crosswalk, per year",
    row="address",
    period="header_year",
    file_name="e.g. pc6hnr20230801_gwb.csv",
    notes="CBS's `PC6;Huisnummer;Buurt<jaar>;Wijk<jaar>;Gemeente<jaar>`; codes without prefix "
    "are left-padded with zeros to 8/6/4 and prefixed `BU`/`WK`/`GM`; the year comes from the "
    "header",
    derived=(Derived("year", "start_year", "Het jaar van de tabel (uit de kop Buurt<jaar>)."),),
    # The CBS file's own names with the year taken off (`Buurt2023` -> `buurt`).
    columns=(
        Column("pc6", "postcode", "Postcode.", True, accepted_as="postcode"),
        Column("huisnummer", "integer", "Huisnummer.", True),
        Column("buurt", "area", "Buurtcode.", True, prefix="BU", width=8,
               accepted_as="buurt_code", year_suffixed=True),
        Column("wijk", "area", "Wijkcode.", True, prefix="WK", width=6,
               accepted_as="wijk_code", year_suffixed=True),
        Column("gemeente", "area", "Gemeentecode.", True, prefix="GM", width=4,
               accepted_as="gemeente_code", year_suffixed=True),
    ),
    header_aliases={
        "postcode": "pc6",
        "buurtcode": "buurt",
        "buurt_code": "buurt",
        "wijkcode": "wijk",
        "wijk_code": "wijk",
        "gemeentecode": "gemeente",
        "gemeente_code": "gemeente",
    },
    rules=(
        Rule("matches", "pc6", "ongeldige postcode", params={"regex": POSTCODE}),
        Rule("positive", "huisnummer", "ongeldig huisnummer: geen positief geheel getal"),
        Rule("matches", "buurt", "ongeldige buurtcode (geen BU-code)",
             params={"regex": BUURT_CODE}),
        Rule("matches", "wijk", "ongeldige wijkcode (geen WK-code)",
             params={"regex": WIJK_CODE}),
        Rule("matches", "gemeente", "ongeldige gemeentecode (geen GM-code)",
             params={"regex": GEMEENTE_CODE}),
        Rule("nested", "buurt,wijk", "buurtcode ligt niet in de wijkcode van de rij",
             params={"inner": "buurt", "outer": "wijk"}),
        Rule("nested", "wijk,gemeente", "wijkcode ligt niet in de gemeentecode van de rij",
             params={"inner": "wijk", "outer": "gemeente"}),
    ),
    unique=Unique(("postcode", "huisnummer"), "combinatie postcode en huisnummer"),
    retained=False,  # the CBS crosswalk holds no persons: not removed
    crosswalk=True,
    own_gemeente_column="gemeente_code",
    restricted_comment="BEPERKT: de CBS-tabel postcode + huisnummer naar buurt, wijk en "
    "gemeente (alleen de adressen in de gemeente), met codes aangevuld en voorzien van "
    "voorvoegsel.",
    quarantine_comment="Rijen uit de CBS-tabel postcode-huisnummer naar buurt die niet door het "
    "contract kwamen: bestand, regelnummer, kolom en reden.",
)  # fmt: skip
