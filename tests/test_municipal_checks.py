"""The contracts of the municipal deliveries: typed accepted rows, every quarantine reason, the
code padding of the pc6 file, the GX suites, and `validate_delivery_file`.

Files are written for real (tests/deliveries.py) and read by the real reader. Periods used:
uitkeringen_2023-12 (peildatum 2023-12-31), verzuim/leerplichtigen_2022-2023 (school year
2022-08-01 .. 2023-07-31), incidenten_2023-05; gemeente GM1916."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from checks.municipal import (
    CheckedDelivery,
    municipal_suite,
    split_delivery,
    validate_delivery_file,
)
from checks.quarantine import public_quarantine
from sources.delivery import read_delivery
from tests.deliveries import HEADERS, row, rows, write_csv, write_delivery, write_xlsx

NAMES = {
    "uitkeringen": "uitkeringen_2023-12.csv",
    "verzuim": "verzuim_2022-2023.csv",
    "leerplichtigen": "leerplichtigen_2022-2023.csv",
    "incidenten": "incidenten_2023-05.csv",
    "pc6_buurt": "pc6hnr20230801_gwb.csv",
}


def checked(
    tmp_path: Path, source: str, records, name: str | None = None, **kwargs
) -> CheckedDelivery:
    path = write_delivery(tmp_path, name or NAMES[source], source, records, **kwargs)
    result = split_delivery(read_delivery(path, source), "GM1916")
    assert result.rows_read == result.rows_accepted + result.rows_quarantined
    assert list(result.quarantine.columns) == ["file", "line", "column", "reason", "value"]
    assert set(result.quarantine["file"]) <= {str(path)}
    return result


def reasons(result: CheckedDelivery) -> dict[int, tuple[str | None, str]]:
    """line -> (column, reason) of every quarantined row."""
    q = result.quarantine
    return {
        int(line): (None if pd.isna(col) else col, reason)
        for line, col, reason in zip(q["line"], q["column"], q["reason"], strict=True)
    }


def values(result: CheckedDelivery) -> dict[int, str | None]:
    """line -> the offending delivered value of every quarantined row (NA: none)."""
    q = result.quarantine
    return {
        int(line): None if pd.isna(v) else v for line, v in zip(q["line"], q["value"], strict=True)
    }


# --------------------------------------------------------------------------- uitkeringen


def test_uitkeringen_good_rows_are_typed_and_normalised(tmp_path):
    result = checked(
        tmp_path,
        "uitkeringen",
        [
            row("uitkeringen", postcode=" 2262 ab ", regeling="ioaw", ingangsdatum="31-01-2023"),
            row(
                "uitkeringen",
                client_id="C0002",
                postcode=None,
                huisnummer=None,
                x="84123,5",
                y="455321",
                ingangsdatum="15/06/2019",
                einddatum="2023-12-01",
                reden_einde="werk",
            ),
        ],
    )
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (2, 2, 0)
    a = result.accepted
    assert list(a.columns) == [
        "file", "line", "period", "peildatum", "client_id", "huishouden_id", "geboortejaar",
        "postcode", "huisnummer", "huisletter", "huisnummertoevoeging", "x", "y", "regeling",
        "ingangsdatum", "einddatum", "reden_einde",
    ]  # fmt: skip
    assert list(a["line"]) == [2, 3]
    assert set(a["period"]) == {"2023-12"}
    assert set(a["peildatum"]) == {pd.Timestamp("2023-12-31")}
    assert a.loc[0, "postcode"] == "2262AB"
    assert a.loc[0, "regeling"] == "IOAW"
    assert a.loc[0, "ingangsdatum"] == pd.Timestamp("2023-01-31")  # Dutch 31-01-2023
    assert a.loc[1, "ingangsdatum"] == pd.Timestamp("2019-06-15")  # 15/06/2019
    assert a.loc[1, "x"] == 84123.5  # decimal comma
    assert a.loc[1, "reden_einde"] == "WERK"
    assert str(a["geboortejaar"].dtype) == "Int64"
    assert str(a["huisnummer"].dtype) == "Int64"
    assert str(a["x"].dtype) == "Float64"
    assert pd.api.types.is_datetime64_any_dtype(a["einddatum"])
    assert pd.isna(a.loc[0, "einddatum"])
    assert a.loc[0, "huisnummer"] == 12


def test_uitkeringen_each_quarantine_reason(tmp_path):
    records = [
        row("uitkeringen", client_id="C02", regeling="xx"),
        row("uitkeringen", client_id="C03", ingangsdatum="2023-12-10", einddatum="2023-12-05"),
        row("uitkeringen", client_id="C04", ingangsdatum="31-02-2023"),
        row("uitkeringen", client_id="C05", geboortejaar="2024"),
        row("uitkeringen", client_id="C06", geboortejaar="1899"),
        row("uitkeringen", client_id="C07", ingangsdatum="2024-01-01"),
        row("uitkeringen", client_id="C08", einddatum="2023-11-30"),
        row("uitkeringen", client_id="C09", postcode=None, huisnummer=None),
        row("uitkeringen", client_id="C10", postcode="0262AB"),
        row("uitkeringen", client_id="C11", huisnummer="12a"),
        row("uitkeringen", client_id="C12", huisnummer="0"),
        row("uitkeringen", client_id="C13", x="84123;5", y="455321"),
        row("uitkeringen", client_id="C14", x="455321", y="84123"),
        row("uitkeringen", client_id=None),
        row("uitkeringen", client_id="C16", reden_einde="PENSIOEN", einddatum="2023-12-20"),
        row("uitkeringen", client_id="C17", geboortejaar="19x0"),
        row("uitkeringen", client_id="C18", ingangsdatum="2021/03/01"),
    ]
    result = checked(tmp_path, "uitkeringen", records)
    # 17 rows on lines 2..18; every one breaks one rule
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (17, 0, 17)
    assert reasons(result) == {
        2: ("regeling", "onbekende regeling (niet in de codelijst)"),
        3: ("einddatum", "einddatum voor ingangsdatum"),
        4: ("ingangsdatum", "ongeldige datum in ingangsdatum"),
        5: ("geboortejaar", "geboortejaar in de toekomst"),
        6: ("geboortejaar", "geboortejaar voor 1900"),
        7: ("ingangsdatum", "ingangsdatum na de peildatum"),
        8: (
            "einddatum",
            "einddatum voor het begin van de maand 2023-12: uitkering liep niet in deze maand",
        ),
        9: (None, "geen adres en geen coördinaten"),
        10: ("postcode", "ongeldige postcode"),
        11: ("huisnummer", "ongeldig huisnummer: geen positief geheel getal"),
        12: ("huisnummer", "ongeldig huisnummer: geen positief geheel getal"),
        # the writer quotes a value holding the separator: one field, not a number
        13: ("x", "ongeldige coördinaat (x)"),
        14: ("x", "coördinaat x buiten het bereik van RD New"),
        15: ("client_id", "verplicht veld 'client_id' is leeg"),
        16: ("reden_einde", "onbekende reden_einde (niet in de codelijst)"),
        17: ("geboortejaar", "ongeldig geboortejaar"),
        18: ("ingangsdatum", "ongeldige datum in ingangsdatum"),
    }
    # the offending cell as delivered (for the restricted store), apart from the reason
    v = values(result)
    assert (v[2], v[4], v[9], v[10], v[13], v[16], v[18]) == (
        "xx",
        "31-02-2023",
        None,
        "0262AB",
        "84123;5",
        "PENSIOEN",
        "2021/03/01",
    )


def test_uitkeringen_duplicate_key_names_the_first_line(tmp_path):
    records = [
        row("uitkeringen", ingangsdatum="2021-03-01"),
        row("uitkeringen", client_id="C0002"),
        # the same benefit again, its date written the Dutch way: still the same key
        row("uitkeringen", ingangsdatum="01-03-2021", regeling="pw"),
        # same person and scheme, another start: a different benefit
        row("uitkeringen", ingangsdatum="2022-03-01"),
        row("uitkeringen", ingangsdatum="2021-03-01"),
    ]
    result = checked(tmp_path, "uitkeringen", records)
    # lines 2..6; lines 4 and 6 repeat line 2's (C0001, PW, 2021-03-01)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (5, 3, 2)
    dup = "dubbele uitkering: zelfde client_id, regeling en ingangsdatum (ook op regel 2)"
    assert reasons(result) == {4: (None, dup), 6: (None, dup)}
    assert list(result.accepted["line"]) == [2, 3, 5]


def test_duplicates_are_counted_among_rows_that_pass_the_other_rules(tmp_path):
    records = [
        row("uitkeringen", postcode="2262"),  # bad postcode: quarantined for that
        row("uitkeringen"),  # same key as line 2, but line 2 is not accepted
    ]
    result = checked(tmp_path, "uitkeringen", records)
    assert reasons(result) == {2: ("postcode", "ongeldige postcode")}
    assert list(result.accepted["line"]) == [3]


def test_quarantine_never_quotes_person_identifiers_or_addresses(tmp_path):
    records = [
        row("uitkeringen", client_id="GEHEIM-1", postcode="9999 XX1", huisnummer="77b"),
        row("uitkeringen", client_id="GEHEIM-2", huisnummer="77777777777777777777"),
        row("uitkeringen", client_id="GEHEIM-3", x="abc", y="1"),
        row("uitkeringen", client_id="GEHEIM-3", regeling="JAN JANSEN BSN 123456782"),
    ]
    result = checked(tmp_path, "uitkeringen", records)
    assert result.rows_quarantined == 4
    published = public_quarantine(result.quarantine)
    assert "value" not in published.columns
    text = " ".join(published.astype(str).to_numpy().ravel())
    for secret in ("GEHEIM", "9999", "XX1", "77", "abc", "JANSEN", "123456782"):
        assert secret not in text
    # the value itself is kept apart, whole, for the restricted store
    assert values(result)[5] == "JAN JANSEN BSN 123456782"


def test_wrong_field_count_in_the_middle_and_a_file_with_no_good_row(tmp_path):
    header = HEADERS["leerplichtigen"]
    path = write_csv(
        tmp_path / "leerplichtigen_2022-2023.csv",
        header,
        [["BU19160201"], ["BU19160202", "5", "x"], ["WK191602", "-1"]],
    )
    result = split_delivery(read_delivery(path, "leerplichtigen"), "GM1916")
    # nothing usable in the file, but every row is accounted for: 3 read = 0 + 3
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (3, 0, 3)
    assert reasons(result) == {
        2: (None, "verkeerd aantal velden (1 in plaats van 2)"),
        3: (None, "verkeerd aantal velden (3 in plaats van 2)"),
        4: ("aantal", "negatief aantal"),
    }
    assert result.accepted.empty
    assert "gebied_code" in result.accepted.columns


def test_uitkeringen_from_xlsx_with_typed_cells(tmp_path):
    header = HEADERS["uitkeringen"]
    records = [
        row(
            "uitkeringen",
            geboortejaar=1980,
            huisnummer=12,
            ingangsdatum=dt.date(2021, 3, 1),
            einddatum=dt.datetime(2023, 12, 15),
            x=84123.5,
            y=455321,
        )
    ]
    path = write_xlsx(tmp_path / "uitkeringen_2023-12.xlsx", header, records)
    result = split_delivery(read_delivery(path, "uitkeringen"), "GM1916")
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (1, 1, 0)
    a = result.accepted.iloc[0]
    assert (a["geboortejaar"], a["huisnummer"], a["x"], a["y"]) == (1980, 12, 84123.5, 455321.0)
    assert a["einddatum"] == pd.Timestamp("2023-12-15")


# --------------------------------------------------------------------------- verzuim


def test_verzuim_reasons_and_age_bounds(tmp_path):
    records = [
        row("verzuim", melding_id="M02", meldingsdatum="2023-08-01"),
        # born 2019-06-01, report 2022-10-03: 3 years old
        row("verzuim", melding_id="M03", geboortedatum="2019-06-01"),
        # born 1999-10-04, report 2022-10-03: 22 (birthday is tomorrow) -> accepted
        row("verzuim", melding_id="M04", geboortedatum="04-10-1999"),
        # born 1999-10-03, report 2022-10-03: 23 today -> too old
        row("verzuim", melding_id="M05", geboortedatum="1999-10-03"),
        row("verzuim", melding_id="M06", soort_verzuim="spijbelen"),
        row("verzuim", melding_id="M07", geboortedatum="2022-11-01"),
        row("verzuim", melding_id="M08", geboortedatum="30-02-2010"),
        row("verzuim", melding_id="M02", soort_verzuim="vsv"),
        row("verzuim", melding_id="M10", postcode=None, huisnummer=None, x="84000", y="455000"),
        row("verzuim", melding_id="M11", leerling_id=None),
    ]
    result = checked(tmp_path, "verzuim", records)
    # lines 2..11. M02 on line 2 is quarantined (date outside the school year), so its repeat
    # on line 9 is no duplicate of an accepted row: accepted are lines 4, 9 and 10.
    age = "leeftijd bij de melding buiten de leerplichtige leeftijd (5-22 jaar)"
    assert reasons(result) == {
        2: ("meldingsdatum", "meldingsdatum buiten het schooljaar 2022-2023"),
        3: ("geboortedatum", age),
        5: ("geboortedatum", age),
        6: ("soort_verzuim", "onbekende soort_verzuim (niet in de codelijst)"),
        7: ("geboortedatum", "geboortedatum na de meldingsdatum"),
        8: ("geboortedatum", "ongeldige datum in geboortedatum"),
        11: ("leerling_id", "verplicht veld 'leerling_id' is leeg"),
    }
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (10, 3, 7)
    a = result.accepted
    assert list(a["line"]) == [4, 9, 10]
    assert list(a["soort_verzuim"]) == ["RELATIEF", "VSV", "RELATIEF"]
    assert set(a["schooljaar_start"]) == {2022}
    assert a.loc[0, "geboortedatum"] == pd.Timestamp("1999-10-04")
    assert a.loc[2, "x"] == 84000.0


def test_verzuim_duplicate_melding_id(tmp_path):
    records = [row("verzuim", melding_id=f"M{i}") for i in range(1, 14)]
    records.append(row("verzuim", melding_id="M1"))
    result = checked(tmp_path, "verzuim", records)
    # M1 is on line 2; its repeat is the 14th row, line 15
    assert reasons(result) == {15: ("melding_id", "dubbele melding_id (ook op regel 2)")}
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (14, 13, 1)


# --------------------------------------------------------------------------- leerplichtigen


def test_leerplichtigen_codes_counts_and_other_gemeente(tmp_path):
    records = [
        {"gebied_code": "bu19160201", "aantal": "120"},
        {"gebied_code": "191602", "aantal": "300"},  # unprefixed wijk of ours -> WK191602
        {"gebied_code": "19160202", "aantal": "0"},  # unprefixed buurt -> BU19160202
        {"gebied_code": "BU05180101", "aantal": "10"},
        {"gebied_code": "XY12", "aantal": "10"},
        {"gebied_code": "BU19160203", "aantal": "-5"},
        {"gebied_code": "BU19160204", "aantal": "12,5"},
        {"gebied_code": "BU19160201", "aantal": "7"},
        {"gebied_code": "GM1916", "aantal": "7"},
    ]
    result = checked(tmp_path, "leerplichtigen", records)
    assert reasons(result) == {
        5: ("gebied_code", "gebiedscode van een andere gemeente"),
        6: ("gebied_code", "ongeldige gebiedscode (geen buurt- of wijkcode)"),
        7: ("aantal", "negatief aantal"),
        8: ("aantal", "ongeldig aantal (geen geheel getal)"),
        9: ("gebied_code", "dubbele gebied_code (ook op regel 2)"),
        10: ("gebied_code", "ongeldige gebiedscode (geen buurt- of wijkcode)"),
    }
    assert values(result) == {
        5: "BU05180101",
        6: "XY12",
        7: "-5",
        8: "12,5",
        9: "BU19160201",
        10: "GM1916",
    }
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (9, 3, 6)
    a = result.accepted
    assert list(a["gebied_code"]) == ["BU19160201", "WK191602", "BU19160202"]
    assert list(a["aantal"]) == [120, 300, 0]
    assert str(a["aantal"].dtype) == "Int64"


def test_leerplichtigen_short_codes_of_a_gemeente_with_leading_zeros(tmp_path):
    # Amsterdam (0363): '36300' lost one zero of wijk 036300; '3630000' one of buurt 03630000
    path = write_csv(
        tmp_path / "leerplichtigen_2022-2023.csv",
        ["gebied_code", "aantal"],
        [["36300", "1"], ["3630000", "2"], ["0363AD03", "3"], ["0363AD", "4"]],
    )
    result = split_delivery(read_delivery(path, "leerplichtigen"), "GM0363")
    assert list(result.accepted["gebied_code"]) == [
        "WK036300",
        "BU03630000",
        "BU0363AD03",
        "WK0363AD",
    ]
    assert result.rows_quarantined == 0


# --------------------------------------------------------------------------- incidenten


def test_incidenten_reasons_and_types(tmp_path):
    base = {"x": None, "y": None}
    records = [
        row("incidenten"),  # 2023-05-14 22:15, RD with decimal comma
        row("incidenten", incident_id="I2", datum="2023-05-31T23:59:00", categorie="1.1.1"),
        row("incidenten", incident_id="I3", datum="01-05-2023", lat="52.08", lon="4.39", **base),
        row("incidenten", incident_id="I4", buurtcode="19160201", **base),
        row("incidenten", incident_id="I5", datum="2023-06-01 00:10"),
        row("incidenten", incident_id="I6", categorie="fietsdiefstal"),
        row("incidenten", incident_id="I7", categorie="0.0.0"),
        row("incidenten", incident_id="I8", **base),
        row("incidenten", incident_id="I9", buurtcode="BU1916", **base),
        row("incidenten", incident_id="I10", lat="4.39", lon="52.08", **base),
        row("incidenten", incident_id="I2", categorie="burenoverlast"),
        row("incidenten", incident_id="I12", datum="2023-05-14 25:00"),
    ]
    result = checked(tmp_path, "incidenten", records)
    unknown = "onbekende categorie (geen politiecode of overlastcategorie)"
    assert reasons(result) == {
        6: ("datum", "datum buiten de maand 2023-05"),
        7: ("categorie", unknown),
        8: ("categorie", unknown),
        9: (None, "geen coördinaten en geen buurtcode"),
        # a prefixed code is not padded: BU + 4 characters is no buurt code
        10: ("buurtcode", "ongeldige buurtcode (geen BU-code)"),
        11: ("lat", "coördinaat lat buiten Nederland"),
        12: ("incident_id", "dubbele incident_id (ook op regel 3)"),
        13: ("datum", "ongeldige datum in datum"),
    }
    assert (values(result)[7], values(result)[13]) == ("fietsdiefstal", "2023-05-14 25:00")
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (12, 4, 8)
    a = result.accepted
    assert list(a["datum"]) == [
        pd.Timestamp("2023-05-14 22:15"),
        pd.Timestamp("2023-05-31 23:59"),
        pd.Timestamp("2023-05-01"),
        pd.Timestamp("2023-05-14 22:15"),
    ]
    assert list(a["categorie"]) == ["JEUGDOVERLAST", "1.1.1", "JEUGDOVERLAST", "JEUGDOVERLAST"]
    assert a.loc[0, "x"] == 84123.5
    assert (a.loc[2, "lat"], a.loc[2, "lon"]) == (52.08, 4.39)
    assert a.loc[3, "buurtcode"] == "BU19160201"


# --------------------------------------------------------------------------- pc6_buurt


def test_pc6_codes_are_padded_and_prefixed(tmp_path):
    records = [
        ["2262AB", "12", "19160201", "191602", "1916"],
        # Amsterdam: numeric codes that lost their leading zero
        ["1011 ab", "1", "3630000", "36300", "363"],
        # letters after the gemeente digits stay
        ["1012AB", "2", "0363AD03", "0363AD", "0363"],
        # already prefixed codes are kept
        ["2262AC", "3", "BU19160201", "WK191602", "GM1916"],
        # another gemeente (Den Haag): kept, a national crosswalk is normal
        ["2511AA", "4", "5180101", "51801", "518"],
    ]
    path = write_csv(tmp_path / "pc6hnr20230801_gwb.csv", HEADERS["pc6_buurt"], records)
    result = split_delivery(read_delivery(path, "pc6_buurt"), "GM1916")
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (5, 5, 0)
    a = result.accepted
    assert list(a.columns) == [
        "file", "line", "period", "year", "postcode", "huisnummer", "buurt_code", "wijk_code",
        "gemeente_code",
    ]  # fmt: skip
    assert list(a["buurt_code"]) == [
        "BU19160201",
        "BU03630000",
        "BU0363AD03",
        "BU19160201",
        "BU05180101",
    ]
    assert list(a["wijk_code"]) == ["WK191602", "WK036300", "WK0363AD", "WK191602", "WK051801"]
    assert list(a["gemeente_code"]) == ["GM1916", "GM0363", "GM0363", "GM1916", "GM0518"]
    assert list(a["postcode"]) == ["2262AB", "1011AB", "1012AB", "2262AC", "2511AA"]
    assert set(a["year"]) == {2023}


def test_pc6_bad_rows(tmp_path):
    records = [
        ["2262AB", "12", "19160201", "191602", "1916"],
        ["2262 ab", "12", "19160201", "191602", "1916"],  # same address as line 2
        ["2262AB", "13", "19160201", "363", "1916"],  # wijk 363 -> WK000363: not this buurt's
        ["2262AB", "14", "19160201", "191602", "363"],  # wijk of 1916 in gemeente GM0363
        ["2262AB", "15", "ABC", "191602", "1916"],
        ["226AB", "16", "19160201", "191602", "1916"],
        ["2262AB", "-1", "19160201", "191602", "1916"],
    ]
    path = write_csv(tmp_path / "pc6hnr20230801_gwb.csv", HEADERS["pc6_buurt"], records)
    result = split_delivery(read_delivery(path, "pc6_buurt"), "GM1916")
    assert reasons(result) == {
        3: (None, "dubbele combinatie postcode en huisnummer (ook op regel 2)"),
        4: ("buurt,wijk", "buurtcode ligt niet in de wijkcode van de rij"),
        5: ("wijk,gemeente", "wijkcode ligt niet in de gemeentecode van de rij"),
        6: ("buurt", "ongeldige buurtcode (geen BU-code)"),
        7: ("pc6", "ongeldige postcode"),
        8: ("huisnummer", "ongeldig huisnummer: geen positief geheel getal"),
    }
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (7, 1, 6)
    # as delivered: the codes before padding
    assert (values(result)[4], values(result)[5], values(result)[6]) == (
        "19160201, 363",
        "191602, 363",
        "ABC",
    )


# --------------------------------------------------------------------------- size


def test_a_100000_row_uitkeringen_file_splits_in_seconds(tmp_path):
    import time

    records = rows("uitkeringen", 100_000)
    for i in range(0, 100_000, 100):
        records[i]["regeling"] = "XX"  # every 100th row: 1,000 bad rows
    path = write_delivery(tmp_path, "uitkeringen_2023-12.csv", "uitkeringen", records)
    start = time.perf_counter()
    result = split_delivery(read_delivery(path, "uitkeringen"), "GM1916")
    seconds = time.perf_counter() - start
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (
        100_000,
        99_000,
        1_000,
    )
    assert seconds < 10, f"took {seconds:.1f} s"


# --------------------------------------------------------------------------- GX


GOOD = {
    "uitkeringen": [row("uitkeringen"), row("uitkeringen", client_id="C2", einddatum="2023-12-02")],
    "verzuim": [row("verzuim"), row("verzuim", melding_id="M2", soort_verzuim="VSV")],
    "leerplichtigen": [row("leerplichtigen"), row("leerplichtigen", gebied_code="WK191602")],
    "incidenten": [row("incidenten"), row("incidenten", incident_id="I2", categorie="2.2.1")],
    "pc6_buurt": [row("pc6_buurt"), row("pc6_buurt", Huisnummer="14")],
}


@pytest.mark.parametrize("source", list(GOOD))
def test_suite_passes_on_accepted_rows_of_a_good_file(tmp_path, source):
    result = checked(tmp_path, source, GOOD[source])
    assert result.rows_accepted == 2
    outcome = municipal_suite(source, result.accepted)
    assert outcome.success, outcome.summary()


def test_suite_fails_on_rows_that_break_the_uitkeringen_contract(tmp_path):
    accepted = checked(tmp_path, "uitkeringen", GOOD["uitkeringen"]).accepted
    broken = pd.concat([accepted, accepted.iloc[[0]]], ignore_index=True)  # a repeated key
    broken.loc[1, "regeling"] = "XX"
    broken.loc[1, "postcode"] = "2262 ab"
    outcome = municipal_suite("uitkeringen", broken)
    assert not outcome.success
    failed = {(o.expectation, o.column) for o in outcome.failed}
    assert failed == {
        ("expect_column_values_to_be_in_set", "regeling"),
        ("expect_column_values_to_match_regex", "postcode"),
        ("expect_compound_columns_to_be_unique", None),
    }
    # the failing rows came from this file
    assert all(o.inputs == ["uitkeringen_2023-12.csv"] for o in outcome.failed if o.inputs)


def test_suite_fails_on_rows_that_break_the_leerplichtigen_contract(tmp_path):
    accepted = checked(tmp_path, "leerplichtigen", GOOD["leerplichtigen"]).accepted
    broken = accepted.copy()
    broken.loc[0, "aantal"] = -3
    broken.loc[1, "gebied_code"] = "1916"
    outcome = municipal_suite("leerplichtigen", broken)
    failed = {(o.expectation, o.column, o.unexpected_count) for o in outcome.failed}
    assert failed == {
        ("expect_column_values_to_be_between", "aantal", 1),
        ("expect_column_values_to_match_regex", "gebied_code", 1),
    }


# --------------------------------------------------------------------------- validate


def test_validate_reports_quarantined_rows_by_line(tmp_path):
    path = write_delivery(
        tmp_path,
        "uitkeringen_2023-12.csv",
        "uitkeringen",
        [row("uitkeringen"), row("uitkeringen", client_id="C2", regeling="XX")],
    )
    report = validate_delivery_file(path, "uitkeringen", "GM1916")
    assert report.as_json() == {
        "source": "uitkeringen",
        "path": str(path),
        "status": "accepted",
        "rows_read": 2,
        "rows_accepted": 1,
        "rows_quarantined": 1,
        # the operator owns the file: validate shows the value, apart from the reason
        "problems": [
            {
                "row": 3,
                "column": "regeling",
                "reason": "onbekende regeling (niet in de codelijst)",
                "value": "'XX'",
            }
        ],
    }


def test_validate_rejects_an_unreadable_file(tmp_path):
    path = tmp_path / "uitkeringen_2023-12.csv"
    path.write_bytes(b"")
    report = validate_delivery_file(path, "uitkeringen", "GM1916")
    assert report.as_json() == {
        "source": "uitkeringen",
        "path": str(path),
        "status": "rejected",
        "rows_read": 0,
        "rows_accepted": 0,
        "rows_quarantined": 0,
        "problems": [{"row": None, "column": None, "reason": "empty file"}],
    }


def test_a_file_checked_in_pieces_into_parquet_gives_the_rows_of_the_whole_file(
    tmp_path, monkeypatch
):
    """A large delivery is read, checked and stored piece by piece (issue 15: memory): a key
    repeated in a later piece is still found, with the line of its first row, and the
    accepted rows land in an owner-only Parquet file, in line order."""
    import stat

    import sources.delivery as delivery

    records = [row("verzuim", melding_id=f"M{i}") for i in range(1, 14)]
    records.append(row("verzuim", melding_id="M1"))  # line 15 repeats line 2
    records.append(row("verzuim", melding_id="M20", soort_verzuim="ONBEKEND"))  # line 16
    path = write_delivery(tmp_path, NAMES["verzuim"], "verzuim", records)
    whole = split_delivery(read_delivery(path, "verzuim"), "GM1916")
    # About one line per piece: the repeat is in another piece than its first row.
    monkeypatch.setattr(delivery, "CHUNK_BYTES", 64)
    opened = delivery.open_delivery(path, "verzuim")
    assert opened.frame is None and opened.rows_read == 15
    assert len(list(opened.frames())) > 5
    folder = tmp_path / "rows"
    folder.mkdir(mode=0o700)
    pieces = split_delivery(opened, "GM1916", folder)
    assert pieces.accepted_frame is None and pieces.accepted_file.parent == folder
    assert stat.S_IMODE(pieces.accepted_file.stat().st_mode) == 0o600
    assert list(folder.iterdir()) == [pieces.accepted_file]  # no temporary file left
    assert reasons(pieces)[15] == ("melding_id", "dubbele melding_id (ook op regel 2)")
    assert set(reasons(pieces)) == {15, 16}
    assert (pieces.rows_read, pieces.rows_accepted, pieces.rows_quarantined) == (15, 13, 2)
    # Lines 2..14 (M1..M13) are accepted, in order, whatever the reading.
    assert list(pieces.accepted["line"]) == list(range(2, 15))
    pd.testing.assert_frame_equal(pieces.accepted, whole.accepted)
    pd.testing.assert_frame_equal(pieces.quarantine, whole.quarantine)
    batches = list(pieces.accepted_batches(5))
    assert [len(b) for b in batches] == [5, 5, 3]
