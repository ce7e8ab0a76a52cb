"""Pieces that several declarations share: code patterns, bounds, and the address columns and
rules of the person-level sources (written once here, used by uitkeringen and verzuim), and
the location of a place-level record (incidenten, meldingen): coordinates or a buurt code."""

from __future__ import annotations

from checks.deliveries.spec import Column, Rule

# A police crime code of the form d.d.d (`1.1.1`, `2.5.2`), but not `0.0.0`: that is the police
# table's total, never one incident. Written without look-ahead: pandas' Arrow strings use RE2.
POLICE_CODE = r"[0-9]\.[0-9]\.[1-9]|[0-9]\.[1-9]\.[0-9]|[1-9]\.[0-9]\.[0-9]"
POSTCODE = r"[1-9][0-9]{3}[A-Z]{2}"
BUURT_CODE = r"BU[0-9]{4}[0-9A-Z]{4}"
WIJK_CODE = r"WK[0-9]{4}[0-9A-Z]{2}"
GEMEENTE_CODE = r"GM[0-9]{4}"
GEBIED_CODE = rf"{BUURT_CODE}|{WIJK_CODE}"
# Plausible bounds, so that swapped or mistyped coordinates get a clear reason here rather
# than only "outside every buurt" at geocoding.
RD_X = (-7_000.0, 300_000.0)
RD_Y = (289_000.0, 629_000.0)
LAT = (50.7, 53.7)
LON = (3.2, 7.3)
RD_OUTSIDE = "buiten het bereik van RD New"
WGS84_OUTSIDE = "buiten Nederland"


def address_columns(*, personal: bool) -> tuple[Column, ...]:
    """postcode, huisnummer, huisletter, huisnummertoevoeging (a home or a place)."""
    return (
        Column("postcode", "postcode", "Postcode (4 cijfers en 2 letters).", personal=personal),
        Column("huisnummer", "integer", "Huisnummer.", personal=personal),
        Column("huisletter", "text", "Huisletter.", personal=personal),
        Column("huisnummertoevoeging", "text", "Huisnummertoevoeging.", personal=personal),
    )


def rd_columns(*, personal: bool) -> tuple[Column, ...]:
    return (
        Column("x", "number", "RD New x-coördinaat (meter).", personal=personal),
        Column("y", "number", "RD New y-coördinaat (meter).", personal=personal),
    )


def wgs84_columns() -> tuple[Column, ...]:
    return (
        Column("lat", "number", "Breedtegraad (WGS84)."),
        Column("lon", "number", "Lengtegraad (WGS84)."),
    )


def coordinate_rules(pair: tuple[str, str], bounds, outside: str) -> tuple[Rule, ...]:
    """Each coordinate a number, within plausible bounds."""
    out: list[Rule] = []
    for column, (lo, hi) in zip(pair, bounds, strict=True):
        out.append(Rule("valid", column, f"ongeldige coördinaat ({column})"))
        out.append(
            Rule("between", column, f"coördinaat {column} {outside}", params={"min": lo, "max": hi})
        )
    return tuple(out)


def address_rules() -> tuple[Rule, ...]:
    """Postcode, huisnummer and RD coordinates: well-formed where given."""
    return (
        Rule("matches", "postcode", "ongeldige postcode", params={"regex": POSTCODE}),
        Rule("positive", "huisnummer", "ongeldig huisnummer: geen positief geheel getal"),
        *coordinate_rules(("x", "y"), (RD_X, RD_Y), RD_OUTSIDE),
    )


ADDRESS = ("postcode", "huisnummer")
RD = ("x", "y")
WGS84 = ("lat", "lon")


# A place-level record (incidenten, meldingen) is located by RD or WGS84 coordinates, or by the
# buurt code its system already gave.
PLACE_OR_CODE = (RD, WGS84, ("buurtcode",))


def place_columns(buurtcode_comment: str) -> tuple[Column, ...]:
    """x, y, lat, lon and buurtcode of a place-level record (none of them personal)."""
    return (
        *rd_columns(personal=False),
        *wgs84_columns(),
        Column("buurtcode", "area", buurtcode_comment, prefix="BU", width=8),
    )


def place_rules() -> tuple[Rule, ...]:
    """Coordinates well-formed and plausible, a buurt code well-formed, one of them given."""
    return (
        *coordinate_rules(RD, (RD_X, RD_Y), RD_OUTSIDE),
        *coordinate_rules(WGS84, (LAT, LON), WGS84_OUTSIDE),
        Rule("matches", "buurtcode", "ongeldige buurtcode (geen BU-code)",
             params={"regex": BUURT_CODE}),
        Rule("one_of", None, "geen coördinaten en geen buurtcode",
             params={"groups": PLACE_OR_CODE}),
    )  # fmt: skip
