"""The police source end to end: fetched over real HTTP from a local StatLine server in the
wire format (padded codes, other areas, null cells, pages), read back, split by the contract,
and turned into safety indicators whose values are worked out by hand below."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from checks.politie import politie_suite, split_politie, validate_politie
from sources.errors import UnreadableInput
from sources.politie import POLICE_TABLE, politie_queries, read_politie, resolve_politie
from sources.statline import StatLineClient, read_saved_table
from tests.politie_server import PoliceFakeStatLine, parse_filter
from tests.statline_server import StatLineServer
from transforms.police import police_codes, police_indicator_facts

REPO = Path(__file__).resolve().parents[1]
GEWELD = ("1.4.3", "1.4.4", "1.4.5", "1.4.6", "1.4.7")
CODES = ("0.0.0", "1.1.1", *GEWELD, "2.2.1")


def _const(n):
    return lambda year, month: n


# Monthly counts per area and crime code (a callable of year and month; None = not published).
MONTHLY = {
    "BU19160201": {
        "0.0.0": _const(10),
        "1.1.1": _const(1),
        "1.4.3": _const(0),
        "1.4.4": _const(1),
        "1.4.5": _const(2),
        "1.4.6": _const(0),
        "1.4.7": _const(0),
        "2.2.1": _const(2),
        "1.2.3": _const(4),  # not asked for: must not be fetched
    },
    "BU19160202": {
        "0.0.0": _const(6),
        "1.1.1": _const(0),
        "1.4.3": _const(0),
        "1.4.4": _const(0),
        "1.4.5": _const(1),
        "1.4.6": _const(0),
        "1.4.7": _const(0),
        "2.2.1": lambda year, month: None if (year, month) == (2022, 3) else 1,
    },
    # The wijk publishes its own figures, which differ from the sum of the two buurten above.
    "WK191602": {
        "0.0.0": lambda year, month: month + 15,
        "1.1.1": _const(1),
        "1.4.3": _const(0),
        "1.4.4": _const(1),
        "1.4.5": _const(3),
        "1.4.6": _const(0),
        "1.4.7": _const(0),
        "2.2.1": _const(3),
    },
    "BU19160601": {code: _const(5 if code == "0.0.0" else 0) for code in CODES},
    "GM1916": {
        "0.0.0": _const(300),
        "1.1.1": _const(8),
        **{code: _const(1) for code in GEWELD},
        "2.2.1": _const(20),
    },
    "NL00": {
        "0.0.0": _const(66_000),
        "1.1.1": _const(1_700),
        "1.4.3": _const(300),
        "1.4.4": _const(2_000),
        "1.4.5": _const(3_500),
        "1.4.6": _const(200),
        "1.4.7": _const(50),
        "2.2.1": _const(5_000),
    },
    "BU05180001": {"0.0.0": _const(99)},  # another gemeente: the filter leaves it out
}


def typed_rows() -> list[dict]:
    """2022 complete, 2023 without December, and a few odd rows."""
    rows = []

    def add(area: str, code: str, period: str, count) -> None:
        rows.append(
            {
                "ID": len(rows),
                "SoortMisdrijf": code.ljust(6),
                "WijkenEnBuurten": area.ljust(10),
                "Perioden": period,
                "GeregistreerdeMisdrijven_1": count,
            }
        )

    for area, per_code in MONTHLY.items():
        for code, count in per_code.items():
            for year, months in ((2022, range(1, 13)), (2023, range(1, 12))):
                for month in months:
                    add(area, code, f"{year}MM{month:02d}", count(year, month))
    add("WK191602", "0.0.0", "2022JJ00", 258)  # = 78 + 12 x 15, agrees with its months
    add("GM1916", "0.0.0", "2022JJ00", 3601)  # 12 x 300 = 3600: disagrees
    add("GM1916", "0.0.0", "2022KW01", 900)  # a quarter: not a period kind this source uses
    add("BU19160201", "0.0.0", "2021MM01", 10)  # outside the configured years
    return rows


def dimension(keys_titles, width) -> list[dict]:
    return [{"Key": k.ljust(width), "Title": t, "Description": None} for k, t in keys_titles]


TABLE = {
    POLICE_TABLE: {
        "TableInfos": [{"Identifier": POLICE_TABLE, "Modified": "2024-01-15T02:00:00"}],
        "DataProperties": [
            {"odata.type": "Cbs.OData.Dimension", "Key": "SoortMisdrijf"},
            {"odata.type": "Cbs.OData.GeoDimension", "Key": "WijkenEnBuurten"},
            {"odata.type": "Cbs.OData.TimeDimension", "Key": "Perioden"},
            {"odata.type": "Cbs.OData.Topic", "Key": "GeregistreerdeMisdrijven_1"},
        ],
        "SoortMisdrijf": dimension([(c, f"titel {c}") for c in (*CODES, "1.2.3")], 6),
        "WijkenEnBuurten": dimension(
            [(a, a) for a in MONTHLY if a != "NL00"] + [("NL00", "Nederland")], 10
        ),
        "Perioden": dimension([("2022MM01", "2022 januari")], 8),
        "TypedDataSet": typed_rows(),
    }
}

# CBS denominators given to the indicators (inhabitants, households on 1 January).
DENOMINATORS = [
    # area, inhabitants, households (2022 and 2023 alike unless said otherwise)
    ("BU19160201", 2000, 1000),
    ("BU19160202", 3600, 1600),
    ("WK191602", 5600, 2600),
    ("BU19160601", 1500, 0),  # households 0: a rate over it cannot be computed
    ("GM1916", 77_000, 36_000),
    ("NL00", 17_590_000, 8_000_000),
]
OWN = [("PH", "BU19160201"), ("PH", "BU19160202"), ("LN", "WK191602"), ("LN", "BU19160601")]


def denominators() -> pd.DataFrame:
    rows = []
    for year in (2022, 2023):
        for area, inw, hh in DENOMINATORS:
            if year == 2023 and area == "BU19160601":
                continue  # no CBS figure for it in 2023
            rows.append((year, area, "AantalInwoners", float(inw)))
            rows.append((year, area, "HuishoudensTotaal", float(hh)))
    return pd.DataFrame(rows, columns=["period_year", "area_code", "stem", "value"])


@pytest.fixture(scope="module")
def fetched(tmp_path_factory):
    landing = tmp_path_factory.mktemp("landing")
    fake = PoliceFakeStatLine(TABLE, page_size=200)
    with StatLineServer(fake) as server:
        client = StatLineClient(base_url=server.base_url, backoff_seconds=0, sleep=lambda s: None)
        resolved = resolve_politie(client, landing, "GM1916", police_codes())
    return resolved.snapshot, fake


@pytest.fixture(scope="module")
def split(fetched):
    return split_politie(read_politie(fetched[0]), "GM1916")


@pytest.fixture(scope="module")
def facts(split):
    own = pd.DataFrame(OWN, columns=["area_code", "member_code"])
    result = police_indicator_facts(split.accepted, denominators(), own, [2022, 2023])
    return result


def fact(facts, indicator: str, area: str, year: int) -> dict:
    df = facts.facts.to_pandas()
    hit = df[
        (df["indicator_id"] == f"veiligheid.{indicator}")
        & (df["area_code"] == area)
        & (df["period_year"] == year)
    ]
    assert len(hit) == 1, (indicator, area, year)
    return hit.iloc[0].to_dict()


# --- source ---------------------------------------------------------------------------------


def test_queries_filter_on_the_gemeente_and_the_padded_crime_codes():
    queries = {
        (q.entity_set, q.name): q.filter for q in politie_queries("GM1916", ["1.1.1", "0.0.0"])
    }
    kinds = "(SoortMisdrijf eq '0.0.0 ' or SoortMisdrijf eq '1.1.1 ')"
    assert queries[("TypedDataSet", "gemeente")] == (
        f"substring(WijkenEnBuurten,2,4) eq '1916' and {kinds}"
    )
    assert queries[("TypedDataSet", "land")] == f"WijkenEnBuurten eq 'NL00      ' and {kinds}"
    assert queries[("SoortMisdrijf", None)] is None  # all titles, to recognise unknown codes
    assert queries[("WijkenEnBuurten", "land")] == "Key eq 'NL00      '"


def test_the_test_server_filter_understands_and_or_and_parentheses():
    pred = parse_filter(
        "substring(WijkenEnBuurten,2,4) eq '1916' and (SoortMisdrijf eq '0.0.0 ' or "
        "SoortMisdrijf eq '1.1.1 ')"
    )
    assert pred({"WijkenEnBuurten": "BU19160201", "SoortMisdrijf": "1.1.1 "})
    assert not pred({"WijkenEnBuurten": "BU05180001", "SoortMisdrijf": "1.1.1 "})
    assert not pred({"WijkenEnBuurten": "BU19160201", "SoortMisdrijf": "1.2.3 "})


def test_fetch_pages_and_saves_only_the_asked_rows(fetched):
    snapshot, fake = fetched
    manifest = json.loads((snapshot / "manifest.json").read_text())
    names = [f["file"] for f in manifest["files"]]
    # gemeente rows asked for: 5 areas x 8 codes x 23 months (12 + 11) = 920, plus the two
    # JJ00 rows, the quarter and the 2021 month = 924 -> pages of 200: 5 pages
    assert [n for n in names if n.startswith("TypedDataSet_gemeente")] == [
        f"TypedDataSet_gemeente_p{i:03d}.json" for i in range(1, 6)
    ]
    # NL00: 8 codes x 23 months = 184 rows: one page
    assert [n for n in names if n.startswith("TypedDataSet_land")] == [
        "TypedDataSet_land_p001.json"
    ]
    assert any("%24skip=200" in r or "$skip=200" in r for r in fake.requests)
    table = read_politie(snapshot)
    assert len(table.rows) == 924 + 184
    assert table.count_key == "GeregistreerdeMisdrijven_1"
    assert "1.2.3" not in set(table.rows["crime_code"])  # not asked for
    assert "BU05180001" not in set(table.rows["area_code"])  # another gemeente, filtered out
    assert table.crime_titles["1.1.1"] == "titel 1.1.1"  # keys stripped of their padding
    assert set(table.crime_titles) == {*CODES, "1.2.3"}
    assert read_saved_table(snapshot).modified == "2024-01-15T02:00:00"


def test_read_politie_maps_the_count_by_stem_and_rejects_a_table_without_it(tmp_path):
    snap = tmp_path / POLICE_TABLE / "20240101T000000Z"
    snap.mkdir(parents=True)
    row = {
        "ID": 0,
        "SoortMisdrijf": "0.0.0 ",
        "WijkenEnBuurten": "GM1916    ",
        "Perioden": "2022MM01",
    }
    write_reply(
        snap / "TypedDataSet_gemeente_p001.json", [{**row, "GeregistreerdeMisdrijven_2": 7}]
    )
    table = read_politie(snap)
    assert table.count_key == "GeregistreerdeMisdrijven_2"
    assert table.rows.loc[0, "count"] == 7
    assert table.crime_titles is None  # no SoortMisdrijf reply saved
    write_reply(snap / "TypedDataSet_gemeente_p001.json", [{**row, "Aantal_1": 7}])
    with pytest.raises(
        UnreadableInput, match=r"TypedDataSet_gemeente_p001\.json.*GeregistreerdeMisdrijven"
    ):
        read_politie(snap)


# --- contract -------------------------------------------------------------------------------


def test_split_over_http_accounts_for_every_row(split):
    # 1108 rows read; only the quarter row is quarantined; nothing out of scope (filtered)
    assert (split.rows_read, split.rows_accepted, split.rows_quarantined) == (1108, 1107, 1)
    assert split.rows_out_of_scope == 0
    q = split.quarantine.iloc[0]
    assert q["column"] == "Perioden" and "KW" in q["reason"] and q["area_code"] == "GM1916"
    null = split.accepted[
        (split.accepted["area_code"] == "BU19160202")
        & (split.accepted["period"] == "2022MM03")
        & (split.accepted["code"] == "2.2.1")
    ]
    assert null["count"].isna().tolist() == [True]  # not published: NA, never 0
    year_rows = split.accepted[split.accepted["period"] == "2022JJ00"]
    assert sorted(year_rows["area_code"]) == ["GM1916", "WK191602"]
    assert set(year_rows["month"]) == {0} and set(year_rows["year"]) == {2022}


def write_reply(path: Path, rows: list[dict]) -> None:
    path.write_text(json.dumps({"odata.metadata": "x", "value": rows}), encoding="utf-8")


@pytest.fixture
def bad_snapshot(tmp_path) -> Path:
    snap = tmp_path / POLICE_TABLE / "20240101T000000Z"
    snap.mkdir(parents=True)
    write_reply(
        snap / "SoortMisdrijf_p001.json", dimension([("0.0.0", "Totaal"), ("1.1.1", "Inbraak")], 6)
    )

    def row(area, code, period, count):
        return {"ID": 0, "SoortMisdrijf": code, "WijkenEnBuurten": area, "Perioden": period,
                "GeregistreerdeMisdrijven_1": count}  # fmt: skip

    write_reply(
        snap / "TypedDataSet_gemeente_p001.json",
        [
            row("BU19160201", "0.0.0 ", "2022MM01", 4),  # 1 good
            row("BU19160201", "9.9.9 ", "2022MM01", 4),  # 2 unknown crime code
            row("BU19160201", "0.0.0 ", "2022MM13", 4),  # 3 month 13
            row("BU19160201", "0.0.0 ", "2022XY", 4),  # 4 not a period at all
            row("BU19160201", "1.1.1 ", "2022MM01", -1),  # 5 negative
            row("BU19160201", "1.1.1 ", "2022MM02", "7"),  # 6 text, not a number
            row("BU19160201", "0.0.0 ", "2022MM01", 5),  # 7 repeats row 1
            row("BU05180001", "0.0.0 ", "2022MM01", 9),  # 8 another gemeente: out of scope
            row("BU1916", "0.0.0 ", "2022MM01", 9),  # 9 malformed area code
            row("BU19160201", "1.1.1 ", "2022MM03", None),  # 10 good, not published
            row("NL00      ", "1.1.1 ", "2022JJ00", 12),  # 11 good, a year row
        ],
    )
    return snap


def test_each_quarantine_reason_with_file_line_and_column(bad_snapshot):
    s = split_politie(read_politie(bad_snapshot), "GM1916")
    # 11 rows, 1 out of scope -> 10 read; good: rows 1, 10, 11 -> 3 accepted, 7 quarantined
    assert (s.rows_read, s.rows_accepted, s.rows_quarantined, s.rows_out_of_scope) == (10, 3, 7, 1)
    q = s.quarantine.set_index("line")
    assert set(q["file"].map(lambda f: Path(f).name)) == {"TypedDataSet_gemeente_p001.json"}
    assert (
        q.loc[2, "column"] == "SoortMisdrijf"
        and "onbekende soort misdrijf '9.9.9'" in q.loc[2, "reason"]
    )
    assert (
        q.loc[3, "column"] == "Perioden" and "onleesbare periode '2022MM13'" in q.loc[3, "reason"]
    )
    assert "onleesbare periode '2022XY'" in q.loc[4, "reason"]
    assert q.loc[5, "column"] == "GeregistreerdeMisdrijven_1" and "negatief" in q.loc[5, "reason"]
    assert "geen getal" in q.loc[6, "reason"]
    assert "dubbele rij" in q.loc[7, "reason"] and "rij 1" in q.loc[7, "reason"]
    assert q.loc[9, "column"] == "WijkenEnBuurten" and "onbekende gebiedscode" in q.loc[9, "reason"]
    assert q.loc[9, "area_code"] == "BU1916"
    acc = s.accepted.set_index("line")
    assert acc.loc[1, "count"] == 4  # the first of the repeated pair stays
    assert pd.isna(acc.loc[10, "count"])
    assert (acc.loc[11, "area_code"], acc.loc[11, "year"], acc.loc[11, "month"]) == (
        "NL00",
        2022,
        0,
    )
    # No person-level data here, and no other columns than the contract's.
    assert list(s.quarantine.columns) == ["file", "line", "column", "area_code", "reason"]


def test_suite_passes_on_accepted_rows_and_fails_on_bad_ones(bad_snapshot):
    s = split_politie(read_politie(bad_snapshot), "GM1916")
    assert politie_suite(s.accepted, s.known_codes).success
    bad = pd.concat([s.accepted, s.accepted.iloc[[0]]], ignore_index=True)  # a repeat
    bad.loc[1, "code"] = "9.9.9"
    bad.loc[2, "count"] = -3.0
    bad.loc[2, "period"] = "2022MM13"
    outcome = politie_suite(bad, s.known_codes)
    failed = {(o.expectation, o.column) for o in outcome.failed}
    assert failed == {
        ("expect_column_values_to_be_in_set", "code"),
        ("expect_column_values_to_match_regex", "period"),
        ("expect_column_values_to_be_between", "count"),
        ("expect_compound_columns_to_be_unique", None),
    }


def test_validate_a_snapshot_a_single_reply_and_a_broken_file(bad_snapshot, tmp_path):
    report = validate_politie(bad_snapshot, "GM1916").as_json()
    assert (report["status"], report["rows_read"], report["rows_accepted"]) == ("accepted", 10, 3)
    assert report["rows_quarantined"] == 7
    assert {p["row"] for p in report["problems"]} == {2, 3, 4, 5, 6, 7, 9}
    single = validate_politie(bad_snapshot / "TypedDataSet_gemeente_p001.json").as_json()
    # one file, no gemeente, no dimension: the foreign buurt is read and 9.9.9 is not checked;
    # quarantined: rows 3, 4, 5, 6, 7, 9 = 6
    assert (single["rows_read"], single["rows_quarantined"]) == (11, 6)
    assert any("niet gecontroleerd" in p["reason"] for p in single["problems"])
    broken = tmp_path / "TypedDataSet_gemeente_p001.json"
    broken.write_text('{"value": [', encoding="utf-8")
    rejected = validate_politie(broken).as_json()
    assert rejected["status"] == "rejected"
    assert "TypedDataSet_gemeente_p001.json" in rejected["path"]
    assert "broken JSON" in rejected["problems"][0]["reason"]


# --- indicators -----------------------------------------------------------------------------


def test_a_wijk_uses_its_own_published_count_not_the_sum_of_its_buurten(facts):
    f = fact(facts, "misdrijven_per_1000", "WK191602", 2022)
    # months 1..12 of (month + 15): 78 + 180 = 258 (the buurten would give 12 x (10+6) = 192)
    assert f["numerator"] == 258 and f["denominator"] == 5600
    assert f["value"] == pytest.approx(258 / 5600 * 1000)  # 46.07
    assert not f["partial"] and not f["suppressed"]


def test_buurt_rates_and_the_codes_an_indicator_adds_up(facts):
    burglary = fact(facts, "woninginbraak_per_1000_hh", "BU19160201", 2022)
    assert burglary["value"] == pytest.approx(12 / 1000 * 1000)  # 12 x 1 over 1000 households
    violence = fact(facts, "geweld_per_1000", "BU19160201", 2022)
    assert violence["numerator"] == 36  # 12 x (0 + 1 + 2 + 0 + 0)
    assert violence["value"] == pytest.approx(36 / 2000 * 1000)  # 18.0
    gm = fact(facts, "geweld_per_1000", "GM1916", 2022)
    assert gm["value"] == pytest.approx(60 / 77_000 * 1000)  # 12 x 5 codes x 1


def test_eleven_months_give_a_partial_year(facts):
    f = fact(facts, "misdrijven_per_1000", "BU19160201", 2023)
    assert f["partial"] and not f["suppressed"]
    assert f["value"] == pytest.approx(110 / 2000 * 1000)  # 11 x 10 = 110 -> 55.0
    assert "2023: the police table has 11 of 12 months; figures are partial" in facts.warnings


def test_a_null_month_makes_the_year_bron_geheim_for_the_buurt_and_its_own_area(facts):
    buurt = fact(facts, "vernieling_per_1000", "BU19160202", 2022)
    assert buurt["suppressed"] and buurt["suppression_reason"] == "bron geheim"
    assert pd.isna(buurt["value"]) and pd.isna(buurt["numerator"])
    assert fact(facts, "vernieling_per_1000", "PH", 2022)["suppression_reason"] == "bron geheim"
    wijk = fact(facts, "vernieling_per_1000", "WK191602", 2022)  # published on its own
    assert wijk["value"] == pytest.approx(36 / 5600 * 1000)  # 12 x 3


def test_own_areas_sum_numerators_and_denominators_over_their_members(facts):
    ph = fact(facts, "misdrijven_per_1000", "PH", 2022)
    # 12 x 10 + 12 x 6 = 192 over 2000 + 3600 = 5600
    assert (ph["numerator"], ph["denominator"]) == (192, 5600)
    assert ph["value"] == pytest.approx(192 / 5600 * 1000)  # 34.29
    ln = fact(facts, "misdrijven_per_1000", "LN", 2022)
    # a wijk and a buurt: 258 + 12 x 5 = 318 over 5600 + 1500 = 7100
    assert ln["value"] == pytest.approx(318 / 7100 * 1000)
    assert not ln["is_estimate"]


def test_missing_and_zero_denominators(facts):
    zero = fact(facts, "woninginbraak_per_1000_hh", "BU19160601", 2022)
    assert zero["suppression_reason"] == "niet te berekenen (noemer 0)" and pd.isna(zero["value"])
    missing = fact(facts, "misdrijven_per_1000", "BU19160601", 2023)
    assert missing["suppression_reason"] == "geen bron dit jaar"
    ln = fact(facts, "misdrijven_per_1000", "LN", 2023)  # one member without a denominator
    assert ln["suppression_reason"] == "geen bron dit jaar" and ln["partial"]


def test_the_netherlands_row(facts):
    nl = fact(facts, "misdrijven_per_1000", "NL00", 2022)
    assert nl["numerator"] == 792_000  # 12 x 66,000
    assert nl["value"] == pytest.approx(792_000 / 17_590_000 * 1000)  # 45.03


def test_only_configured_years_and_year_rows_only_cross_check(facts):
    df = facts.facts.to_pandas()
    assert set(df["period_year"]) == {2022, 2023}  # the 2021 month is left out
    # 4 indicators x (6 CBS areas in both years + 2 own areas) x 2 years = 64 rows
    assert len(df) == 64
    mismatch = facts.year_mismatches
    assert mismatch[["area_code", "code", "year"]].values.tolist() == [["GM1916", "0.0.0", 2022]]
    assert (mismatch.iloc[0]["year_count"], mismatch.iloc[0]["month_sum"]) == (3601, 3600)
    # the year row does not replace the months: 12 x 300 = 3600
    assert fact(facts, "misdrijven_per_1000", "GM1916", 2022)["numerator"] == 3600


# --- demo -----------------------------------------------------------------------------------


def test_the_police_demo_reads_back(tmp_path):
    from scripts.demo_police import OTHER_AREA, write_police_demo

    shutil.copytree(REPO / "demo" / "landing" / "cbs_kerncijfers", tmp_path / "cbs_kerncijfers")
    snapshot = write_police_demo(tmp_path, "GM1916", [2022, 2023], page_size=2_000)
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert manifest["synthetic"] is True
    assert snapshot.relative_to(tmp_path).parts[:2] == ("politie", POLICE_TABLE)
    gm_pages = sorted(snapshot.glob("TypedDataSet_gemeente_p*.json"))
    assert len(gm_pages) > 1
    assert all(len(json.loads(p.read_text())["value"]) <= 2_000 for p in gm_pages)
    first = json.loads(gm_pages[0].read_text())
    assert "odata.nextLink" in first and "odata.nextLink" not in json.loads(
        gm_pages[-1].read_text()
    )

    table = read_politie(snapshot)
    assert read_saved_table(snapshot).synthetic
    s = split_politie(table, "GM1916")
    assert s.rows_out_of_scope == 3 and s.rows_quarantined == 0  # the GM0518 rows of one page
    assert OTHER_AREA not in set(s.accepted["area_code"])
    acc = s.accepted
    assert not ((acc["year"] == 2023) & (acc["month"] == 12)).any()  # last year: no December
    assert ((acc["year"] == 2022) & (acc["month"] == 12)).any()
    assert acc["count"].isna().any()  # the smallest buurt's hidden figures
    # A wijk's burglaries equal the sum of its buurten (1.1.1 is never hidden), month by month.
    months = acc[(acc["code"] == "1.1.1") & (acc["month"] > 0)]
    buurten = months[months["area_code"].str.startswith("BU19160")]
    by_wijk = (
        buurten.assign(w="WK" + buurten["area_code"].str[2:8])
        .groupby(["w", "period"])["count"]
        .sum()
    )
    wijken = months[months["area_code"].str.startswith("WK")].set_index(["area_code", "period"])
    assert len(wijken) > 0
    assert (wijken["count"] == by_wijk.reindex(wijken.index)).all()


def test_police_indicators_are_the_catalogue_entries_with_their_codes():
    from transforms.catalogue import load_catalogue
    from transforms.police import POLICE_INDICATORS

    police = {i.id: (i.crime_codes, i.denominator_vars) for i in load_catalogue()
              if i.formula == "police"}  # fmt: skip
    assert police == {
        "veiligheid.misdrijven_per_1000": (("0.0.0",), ("AantalInwoners",)),
        "veiligheid.woninginbraak_per_1000_hh": (("1.1.1",), ("HuishoudensTotaal",)),
        "veiligheid.geweld_per_1000": (GEWELD, ("AantalInwoners",)),
        "veiligheid.vernieling_per_1000": (("2.2.1",), ("AantalInwoners",)),
    }
    assert {(i.id, i.codes, i.denominator) for i in POLICE_INDICATORS} == {
        (k, codes, den[0]) for k, (codes, den) in police.items()
    }


def test_a_row_without_a_key_or_a_reply_without_rows_is_refused_naming_file_and_row(tmp_path):
    snap = tmp_path / POLICE_TABLE / "20240101T000000Z"
    snap.mkdir(parents=True)
    row = {"ID": 0, "SoortMisdrijf": "0.0.0 ", "WijkenEnBuurten": "GM1916    ",
           "Perioden": "2022MM01", "GeregistreerdeMisdrijven_1": 3}  # fmt: skip
    lacking = {k: v for k, v in row.items() if k != "Perioden"}
    write_reply(snap / "TypedDataSet_gemeente_p001.json", [row])
    write_reply(snap / "TypedDataSet_gemeente_p002.json", [row, row, lacking])
    with pytest.raises(
        UnreadableInput, match=r"TypedDataSet_gemeente_p002\.json: row 3: .*\['Perioden'\]"
    ):
        split_politie(read_politie(snap), "GM1916")
    (snap / "TypedDataSet_gemeente_p002.json").write_text('{"value": [1, 2]}', encoding="utf-8")
    with pytest.raises(UnreadableInput, match=r"p002\.json: 'value' must be a list of objects"):
        split_politie(read_politie(snap), "GM1916")
    # A null cell is not a missing key: the count is NA, the area quarantined.
    write_reply(
        snap / "TypedDataSet_gemeente_p002.json",
        [{**row, "GeregistreerdeMisdrijven_1": None, "Perioden": "2022MM02"},
         {**row, "WijkenEnBuurten": None}],
    )  # fmt: skip
    s = split_politie(read_politie(snap), "GM1916")
    assert (s.rows_read, s.rows_accepted, s.rows_quarantined) == (3, 2, 1)
    assert s.quarantine.iloc[0]["reason"] == "gebiedscode ontbreekt"
    assert s.accepted["count"].isna().tolist() == [False, True]
