"""Municipal indicators on small hand-made placed rows; every expected figure is worked out by
hand in the comments.

Areas (GM1916, boundary year 2023):
    WK191601: BU19160101, BU19160102        WK191602: BU19160201, BU19160202
    own area F = [BU19160101, BU19160201]
    own area P = [WK191601, BU19160101]     (the buurt lies in the wijk: counted once)
"""

from __future__ import annotations

import pandas as pd
import pytest

from transforms.catalogue import load_catalogue
from transforms.facts import FACT_COLUMNS
from transforms.municipal import INDICATORS, municipal_indicator_facts

GM = "GM1916"
B1, B2, B3, B4 = "BU19160101", "BU19160102", "BU19160201", "BU19160202"
W1, W2 = "WK191601", "WK191602"
BUURTEN = pd.DataFrame(
    {"geo_year": 2023, "buurt_code": [B1, B2, B3, B4], "wijk_code": [W1, W1, W2, W2]}
)
OWN = pd.DataFrame({"area_code": ["F", "F", "P", "P"], "member_code": [B1, B3, W1, B1]})
ALL_AREAS = {B1, B2, B3, B4, W1, W2, GM, "F", "P"}


def wijk(buurt: str) -> str:
    return "WK" + buurt[2:8]


def placed(source: str, records: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    """Placed rows as geocode.place returns them; `line` in the order given per file."""
    lines: dict[str, int] = {}
    out = []
    for r in records:
        file = f"{source}_{r['period']}.csv"
        lines[file] = lines.get(file, 1) + 1
        out.append({"file": file, "line": lines[file], **r, "wijk_code": wijk(r["buurt_code"])})
    frame = pd.DataFrame(out, columns=["file", "line", *columns, "wijk_code"])
    dtypes = {"file": "string", "line": "int64", "wijk_code": "string", **columns}
    return frame.astype(dtypes)


UIT_COLUMNS = {
    "period": "string",
    "client_id": "string",
    "regeling": "string",
    "ingangsdatum": "datetime64[us]",
    "einddatum": "datetime64[us]",
    "reden_einde": "string",
    "buurt_code": "string",
}


def uit(period, client, regeling, start, end, reden, buurt) -> dict:
    return dict(
        period=period,
        client_id=client,
        regeling=regeling,
        ingangsdatum=pd.Timestamp(start),
        einddatum=pd.Timestamp(end) if end else pd.NaT,
        reden_einde=reden,
        buurt_code=buurt,
    )


UITKERINGEN = placed(
    "uitkeringen",
    [
        # --- December 2023 delivery (peildatum 31-12-2023) ---
        # A: PW from 31-12-2020 = exactly 31 Dec of 2023 - 3 -> langdurig
        uit("2023-12", "A", "PW", "2020-12-31", None, None, B1),
        # B: two running PW benefits, rows in two buurten: counted once, in the buurt of the
        # lowest line (B2); langdurig by the earliest start (2019)
        uit("2023-12", "B", "PW", "2023-02-01", None, None, B2),
        uit("2023-12", "B", "PW", "2019-05-01", None, None, B3),
        # C: ends ON 31 December -> still running; 2021 start -> not langdurig
        uit("2023-12", "C", "PW", "2021-01-01", "2023-12-31", "OVERIG", B3),
        # D: ended 15-12-2023 with WERK -> not running; uitstroom naar werk 2023
        uit("2023-12", "D", "PW", "2022-01-01", "2023-12-15", "WERK", B3),
        # E: IOAW, not PW -> counts nowhere
        uit("2023-12", "E", "IOAW", "2020-01-01", None, None, B4),
        # F: new in 2023 -> running, instroom 2023
        uit("2023-12", "F", "PW", "2023-06-01", None, None, B4),
        # G: moved from B1 (June) to B4 (December)
        uit("2023-12", "G", "PW", "2021-06-01", None, None, B4),
        # --- other 2023 deliveries ---
        uit("2023-06", "G", "PW", "2021-06-01", None, None, B1),
        uit("2023-11", "D", "PW", "2022-01-01", None, None, B1),
        # H: began 01-03-2023, moved B1 -> B3, ended in May (VERHUIZING): instroom in B3
        uit("2023-03", "H", "PW", "2023-03-01", None, None, B1),
        uit("2023-05", "H", "PW", "2023-03-01", "2023-05-20", "VERHUIZING", B3),
        # --- December 2022 delivery ---
        uit("2022-12", "A", "PW", "2020-12-31", None, None, B1),
        uit("2022-12", "G", "PW", "2021-06-01", None, None, B1),
    ],
    UIT_COLUMNS,
)

DELIVERIES = pd.DataFrame(
    [("uitkeringen", f"2023-{m:02d}") for m in range(1, 13)]  # 2023: all 12 months
    + [("uitkeringen", f"2022-{m:02d}") for m in range(2, 13)]  # 2022: 11, Feb-Dec
    + [("uitkeringen", "2021-06")]  # 2021: one month, no December
    + [("verzuim", "2022-2023"), ("verzuim", "2023-2024")]
    + [("leerplichtigen", "2022-2023"), ("leerplichtigen", "2023-2024")]
    + [("incidenten", f"2023-{m:02d}") for m in range(1, 12)],  # 2023: 11 months
    columns=["source", "period"],
)

STEMS = ("k_15Tot25Jaar", "k_25Tot45Jaar", "k_45Tot65Jaar")
# CBS inhabitants 15-64 (k_15Tot25Jaar + k_25Tot45Jaar + k_45Tot65Jaar), 2023 only
CBS_2023 = {
    B1: (100, 200, 100),  # 400
    B2: (50, 100, 50),  # 200
    B3: (100, 100, 100),  # 300
    B4: (100, 300, 100),  # 500
    W1: (150, 305, 150),  # 605 as published (the buurten sum to 600)
    W2: (200, 400, None),  # one part secret
    GM: (2000, 5000, 3000),  # 10 000
}
CBS = pd.DataFrame(
    [
        (2023, area, stem, value)
        for area, values in CBS_2023.items()
        for stem, value in zip(STEMS, values, strict=True)
    ]
    + [(2023, B1, "AantalInwoners", 900.0)],  # other stems are ignored
    columns=["period_year", "area_code", "stem", "value"],
).astype({"period_year": "int64", "area_code": "string", "stem": "string", "value": "Float64"})

VERZUIM_COLUMNS = {
    "period": "string",
    "schooljaar_start": "Int64",
    "melding_id": "string",
    "leerling_id": "string",
    "meldingsdatum": "datetime64[us]",
    "soort_verzuim": "string",
    "buurt_code": "string",
}


def melding(mid, pupil, date, soort, buurt) -> dict:
    return dict(
        period="2022-2023",
        schooljaar_start=2022,
        melding_id=mid,
        leerling_id=pupil,
        meldingsdatum=pd.Timestamp(date),
        soort_verzuim=soort,
        buurt_code=buurt,
    )


VERZUIM = placed(
    "verzuim",
    [
        melding("m1", "L1", "2022-10-01", "RELATIEF", B1),
        melding("m2", "L1", "2023-03-01", "ABSOLUUT", B1),
        # L2 has two ABSOLUUT reports in two buurten: one pupil, placed by the lowest line (B1)
        melding("m3", "L2", "2023-05-01", "ABSOLUUT", B1),
        melding("m4", "L2", "2023-06-01", "ABSOLUUT", B2),
        melding("m5", "L3", "2023-07-01", "VSV", B3),
        melding("m6", "L4", "2022-12-01", "LUXE", B4),
        melding("m7", "L5", "2023-01-10", "SIGNAAL", B4),
    ],
    VERZUIM_COLUMNS,
)

LEERPLICHTIGEN = pd.DataFrame(
    [
        # 2022-2023: WK191601 has its own row (110, not the buurt sum 40 + 60 = 100);
        # WK191602 has none -> the sum of its buurten 50 + 30 = 80
        (2022, B1, 40),
        (2022, B2, 60),
        (2022, W1, 110),
        (2022, B3, 50),
        (2022, B4, 30),
        # 2023-2024: B4 missing and no WK191602 row
        (2023, B1, 10),
        (2023, B2, 10),
        (2023, B3, 10),
    ],
    columns=["schooljaar_start", "gebied_code", "aantal"],
).astype({"schooljaar_start": "Int64", "gebied_code": "string", "aantal": "Int64"})

INC_COLUMNS = {
    "period": "string",
    "incident_id": "string",
    "datum": "datetime64[us]",
    "categorie": "string",
    "buurt_code": "string",
}


def incident(period, iid, when, cat, buurt) -> dict:
    return dict(period=period, incident_id=iid, datum=pd.Timestamp(when), categorie=cat,
                buurt_code=buurt)  # fmt: skip


INCIDENTEN = placed(
    "incidenten",
    [
        incident("2023-03", "i1", "2023-03-05 21:15", "JEUGDOVERLAST", B1),
        incident("2023-04", "i2", "2023-04-01", "BURENOVERLAST", B1),
        incident("2023-04", "i3", "2023-04-02", "1.1.1", B2),  # a crime code: not overlast
        incident("2023-07", "i4", "2023-07-09", "DRUGSOVERLAST", B4),
        # dated New Year's Eve 2022, delivered in January 2023: counts for 2022
        incident("2023-01", "i5", "2022-12-31 23:30", "JEUGDOVERLAST", B3),
    ],
    INC_COLUMNS,
)


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    table = municipal_indicator_facts(
        gemeente=GM,
        buurten=BUURTEN,
        own_members=OWN,
        deliveries=DELIVERIES,
        uitkeringen=UITKERINGEN,
        verzuim=VERZUIM,
        leerplichtigen=LEERPLICHTIGEN,
        incidenten=INCIDENTEN,
        cbs_denominators=CBS,
    )
    assert table.column_names == FACT_COLUMNS
    return table.to_pandas().set_index(["indicator_id", "area_code", "period_year"])


def values(facts, indicator: str, year: int, column: str = "value") -> dict:
    part = facts.xs((indicator, year), level=("indicator_id", "period_year"))[column]
    return {k: (None if pd.isna(v) else v) for k, v in part.items()}


def test_every_indicator_is_in_the_catalogue_as_municipal():
    catalogue = {i.id: i.formula for i in load_catalogue()}
    assert {catalogue[i.id] for i in INDICATORS} == {"municipal"}


def test_areas_are_buurten_wijken_gemeente_and_own_areas_never_nl(facts):
    areas = set(facts.index.get_level_values("area_code"))
    assert areas == ALL_AREAS
    # 9 areas for every indicator x period
    assert facts.groupby(level=["indicator_id", "period_year"]).size().eq(9).all()


def test_bijstand_personen_on_31_december(facts):
    # Dec 2023 running PW: A (B1), B (B2), C (B3), F (B4), G (B4); D ended, E is IOAW
    # B1 1, B2 1, B3 1, B4 2; W1 = 1 + 1 = 2, W2 = 1 + 2 = 3, GM 5;
    # F = B1 + B3 = 2; P = W1 (B1, B2) with B1 once = 2
    assert values(facts, "werk.bijstand_personen", 2023) == {
        B1: 1, B2: 1, B3: 1, B4: 2, W1: 2, W2: 3, GM: 5, "F": 2, "P": 2,
    }  # fmt: skip
    # Dec 2022: A and G, both in B1
    assert values(facts, "werk.bijstand_personen", 2022) == {
        B1: 2, B2: 0, B3: 0, B4: 0, W1: 2, W2: 0, GM: 2, "F": 2, "P": 2,
    }  # fmt: skip
    # 2021 has no December delivery: no rows for it
    years = set(facts.loc["werk.bijstand_personen"].index.get_level_values("period_year"))
    assert years == {2022, 2023}
    assert not facts.loc["werk.bijstand_personen", "partial"].any()


def test_langdurig_share(facts):
    # langdurig on 31-12-2023 = started on or before 31-12-2020: A (2020-12-31, B1) and B
    # (earliest 2019-05-01, B2); C (2021), F (2023), G (2021) are not
    got = values(facts, "werk.bijstand_langdurig_pct", 2023)
    assert got[B1] == pytest.approx(100.0)  # 1 / 1
    assert got[W1] == pytest.approx(100.0)  # 2 / 2
    assert got[W2] == pytest.approx(0.0)  # 0 / 3
    assert got[GM] == pytest.approx(40.0)  # 2 / 5
    assert got["F"] == pytest.approx(50.0)  # A of A and C: 1 / 2
    num = values(facts, "werk.bijstand_langdurig_pct", 2023, "numerator")
    den = values(facts, "werk.bijstand_langdurig_pct", 2023, "denominator")
    assert (num[GM], den[GM]) == (2, 5)
    # 2022: cut-off 31-12-2019, A (2020) and G (2021) are not langdurig; B2 has nobody
    assert values(facts, "werk.bijstand_langdurig_pct", 2022)[B1] == pytest.approx(0.0)
    row = facts.loc[("werk.bijstand_langdurig_pct", B2, 2022)]
    assert row["suppressed"] and row["suppression_reason"] == "niet te berekenen (noemer 0)"
    assert pd.isna(row["value"])


def test_bijstand_per_1000_uses_published_cbs_figures(facts):
    got = values(facts, "werk.bijstand_per_1000", 2023)
    assert got[B1] == pytest.approx(1 / 400 * 1000)  # 2.5
    assert got[B4] == pytest.approx(2 / 500 * 1000)  # 4.0
    # the wijk as published: 2 / 605, not 2 / (400 + 200)
    assert got[W1] == pytest.approx(2 / 605 * 1000)
    assert got[GM] == pytest.approx(5 / 10_000 * 1000)  # 0.5
    # own areas sum their members: F = 2 / (400 + 300); P = W1 only (B1 is inside): 2 / 605
    assert got["F"] == pytest.approx(2 / 700 * 1000)
    assert got["P"] == pytest.approx(2 / 605 * 1000)
    assert values(facts, "werk.bijstand_per_1000", 2023, "denominator")["F"] == 700
    # WK191602 has a secret part
    w2 = facts.loc[("werk.bijstand_per_1000", W2, 2023)]
    assert w2["suppressed"] and w2["suppression_reason"] == "bron geheim"
    assert pd.isna(w2["value"])
    # no CBS figures for 2022 at all
    reasons = values(facts, "werk.bijstand_per_1000", 2022, "suppression_reason")
    assert set(reasons.values()) == {"geen bron dit jaar"}


def test_instroom_uitstroom_and_the_partial_flag(facts):
    # instroom 2023 (PW start in 2023): B (2023 benefit, B2), F (B4), H (latest row, May: B3)
    assert values(facts, "werk.bijstand_instroom", 2023) == {
        B1: 0, B2: 1, B3: 1, B4: 1, W1: 1, W2: 2, GM: 3, "F": 1, "P": 1,
    }  # fmt: skip
    # uitstroom naar werk 2023: D only, placed by the December row (B3), not November's (B1)
    assert values(facts, "werk.bijstand_uitstroom_werk", 2023) == {
        B1: 0, B2: 0, B3: 1, B4: 0, W1: 0, W2: 1, GM: 1, "F": 1, "P": 0,
    }  # fmt: skip
    partial = values(facts, "werk.bijstand_instroom", 2022, "partial")
    # 2023 has 12 monthly deliveries, 2022 only 11, 2021 one: partial but kept (zeros)
    assert not any(values(facts, "werk.bijstand_instroom", 2023, "partial").values())
    assert all(partial.values())
    assert all(values(facts, "werk.bijstand_uitstroom_werk", 2021, "partial").values())
    assert values(facts, "werk.bijstand_uitstroom_werk", 2021)[GM] == 0


def test_verzuim_counts_per_school_year(facts):
    # school year 2022-2023 -> period_year 2022
    # reports but VSV: B1 m1 m2 m3, B2 m4, B4 m6 m7 -> B1 3, B2 1, B4 2; W1 4, W2 2, GM 6
    assert values(facts, "school.verzuim_meldingen", 2022) == {
        B1: 3, B2: 1, B3: 0, B4: 2, W1: 4, W2: 2, GM: 6, "F": 3, "P": 4,
    }  # fmt: skip
    # ABSOLUUT pupils: L1 (B1) and L2 (lowest line B1) -> B1 2, nothing in B2
    absoluut = values(facts, "school.absoluut_verzuim", 2022)
    assert (absoluut[B1], absoluut[B2], absoluut[GM]) == (2, 0, 2)
    vsv = values(facts, "school.vsv", 2022)
    assert (vsv[B3], vsv[W2], vsv[GM], vsv["F"]) == (1, 1, 1, 1)
    # 2023-2024 was delivered without reports: zeros, not missing
    assert set(values(facts, "school.verzuim_meldingen", 2023).values()) == {0}
    assert set(facts.loc["school.vsv"].index.get_level_values("period_year")) == {2022, 2023}


def test_verzuim_per_1000_denominators(facts):
    got = values(facts, "school.verzuim_per_1000", 2022)
    den = values(facts, "school.verzuim_per_1000", 2022, "denominator")
    assert got[B1] == pytest.approx(3 / 40 * 1000)  # 75
    assert got[B3] == pytest.approx(0.0)  # 0 / 50
    # W1: its own row 110 (not 40 + 60); W2: no row, so 50 + 30
    assert (den[W1], den[W2]) == (110, 80)
    assert got[W1] == pytest.approx(4 / 110 * 1000)
    assert got[W2] == pytest.approx(2 / 80 * 1000)
    # gemeente: over its wijken 110 + 80 = 190
    assert den[GM] == 190
    assert got[GM] == pytest.approx(6 / 190 * 1000)
    # F = B1 + B3: 3 / (40 + 50); P = W1: 4 / 110
    assert (den["F"], den["P"]) == (90, 110)
    assert got["F"] == pytest.approx(3 / 90 * 1000)
    # 2023-2024: B4 has no row and WK191602 none either -> B4, W2, GM have no denominator
    reasons = values(facts, "school.verzuim_per_1000", 2023, "suppression_reason")
    assert {a for a, r in reasons.items() if r == "geen bron dit jaar"} == {B4, W2, GM}
    assert values(facts, "school.verzuim_per_1000", 2023, "denominator")[W1] == 20  # 10 + 10


def test_incidenten_per_calendar_year(facts):
    # 2023 overlast: i1 i2 (B1), i4 (B4); i3 is a crime code
    assert values(facts, "veiligheid.overlast_incidenten", 2023) == {
        B1: 2, B2: 0, B3: 0, B4: 1, W1: 2, W2: 1, GM: 3, "F": 2, "P": 2,
    }  # fmt: skip
    jeugd = values(facts, "veiligheid.jeugdoverlast", 2023)
    assert (jeugd[B1], jeugd[GM]) == (1, 1)
    # 11 monthly files in 2023 -> partial
    assert all(values(facts, "veiligheid.overlast_incidenten", 2023, "partial").values())
    # i5 is dated 2022: its own (partial) year, no monthly file of 2022 at all
    assert values(facts, "veiligheid.jeugdoverlast", 2022)[B3] == 1
    assert values(facts, "veiligheid.jeugdoverlast", 2022)[GM] == 1
    assert all(values(facts, "veiligheid.jeugdoverlast", 2022, "partial").values())


def test_counts_are_not_suppressed_and_never_estimates(facts):
    counts = facts.loc[["werk.bijstand_personen", "school.vsv", "veiligheid.jeugdoverlast"]]
    # small counts (1, 2) stay: disclosure control is a later step
    assert not counts["suppressed"].any()
    assert not facts["is_estimate"].any()
    assert counts["denominator"].isna().all()


def test_no_sources_no_rows():
    table = municipal_indicator_facts(
        gemeente=GM,
        buurten=BUURTEN,
        own_members=OWN,
        deliveries=pd.DataFrame({"source": [], "period": []}, dtype="string"),
    )
    # nothing delivered: no period to report on
    assert table.num_rows == 0
    assert table.column_names == FACT_COLUMNS


def test_a_new_indicator_over_an_existing_measure_is_only_a_catalogue_entry(tmp_path):
    from transforms.catalogue import CATALOGUE_FILE, load_catalogue
    from transforms.municipal import indicators_from_catalogue

    extra = """
[[indicator]]
id = "werk.bijstand_instroom_per_1000"
theme = "werk"
name = "Instroom in de bijstand per 1 000 inwoners van 15 tot 65 jaar"
definition = "Instroom in de bijstand per 1 000 inwoners van 15 tot 65 jaar."
unit = "per 1 000"
numerator = "personen met een nieuwe PW-uitkering"
denominator = "inwoners 15-64 jaar (CBS)"
source = "Gemeente: uitkeringen + CBS"
direction = "neutraal"
period_type = "kalenderjaar"
disclosure_rule = "onderdrukt als de teller onderdrukt is"
formula = "municipal"
disclosure = "kleine aantallen"
measure = "bijstand_instroom"
denominator_vars = ["k_15Tot25Jaar", "k_25Tot45Jaar", "k_45Tot65Jaar"]
scale = 1000
"""
    path = tmp_path / "catalogue.toml"
    path.write_text(CATALOGUE_FILE.read_text(encoding="utf-8") + extra, encoding="utf-8")
    chosen = [i for i in indicators_from_catalogue(load_catalogue(path))
              if i.id == "werk.bijstand_instroom_per_1000"]  # fmt: skip
    table = municipal_indicator_facts(
        gemeente=GM, buurten=BUURTEN, own_members=OWN, deliveries=DELIVERIES,
        uitkeringen=UITKERINGEN, cbs_denominators=CBS, indicators=chosen,
    )  # fmt: skip
    df = table.to_pandas().set_index(["indicator_id", "area_code", "period_year"])
    got = values(df, "werk.bijstand_instroom_per_1000", 2023)
    # instroom 2023 (see above): B2 1 of 200 inhabitants 15-64, W1 1 of 605 (as published),
    # the gemeente 3 of 10,000.
    assert got[B2] == pytest.approx(1 / 200 * 1000)
    assert got[W1] == pytest.approx(1 / 605 * 1000)
    assert got[GM] == pytest.approx(3 / 10_000 * 1000)
