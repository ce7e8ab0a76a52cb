"""Disclosure control on municipal counts: primary and secondary suppression, shared counts,
zero, and the recoverability checker, all on small frames worked out by hand."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from transforms.disclosure import (
    KIND_COMPLEMENT,
    KIND_PRIMARY,
    KIND_SECONDARY,
    REASON_SMALL,
    interval_audit,
    protect,
    recoverable_cells,
    small_counts,
)

MIN = 10
PW = "personen met PW-uitkering"


def indicators() -> pd.DataFrame:
    rows = [
        # id, unit, numerator, denominator, source, formula
        ("werk.bijstand_personen", "aantal", PW, None, "Gemeente: uitkeringen", "municipal"),
        (
            "werk.bijstand_per_1000",
            "per 1 000",
            PW,
            "inwoners 15-64 jaar (CBS)",
            "Gemeente: uitkeringen + CBS",
            "municipal",
        ),
        (
            "werk.bijstand_langdurig_pct",
            "%",
            "personen met PW-uitkering van 3 jaar of langer",
            PW,
            "Gemeente: uitkeringen",
            "municipal",
        ),
        ("context.inwoners", "aantal", "inwoners", None, "CBS Kerncijfers", "count"),
        (
            "veiligheid.geweld_per_1000",
            "per 1 000",
            "geweld",
            "inwoners",
            "Politie / CBS",
            "municipal",
        ),
    ]
    frame = pd.DataFrame(
        rows, columns=["indicator_id", "unit", "numerator", "denominator", "source", "formula"]
    )
    # the catalogue says which indicators small-count control applies to (not the source name)
    frame["disclosure"] = ["kleine aantallen"] * 3 + ["geen"] * 2
    return frame


def areas(wijken: dict[str, list[str]], focus: dict[str, list[str]] | None = None) -> pd.DataFrame:
    rows = [("GM1", "gemeente", "NL00", None)]
    for w, buurten in wijken.items():
        rows.append((w, "wijk", "GM1", None))
        rows += [(b, "buurt", w, None) for b in buurten]
    for f, members in (focus or {}).items():
        rows.append((f, "focus", "GM1", ", ".join(members)))
    return pd.DataFrame(rows, columns=["area_code", "area_level", "parent_code", "members"])


def fact(indicator, area, value, numerator=None, denominator=None, year=2022, **kw) -> dict:
    row = {
        "indicator_id": indicator,
        "area_code": area,
        "period_year": year,
        "value": value,
        "numerator": value if numerator is None else numerator,
        "denominator": denominator,
        "suppressed": value is None,
        "suppression_reason": None,
        "run_id": "r1",
    }
    row.update(kw)
    return row


def counts_frame(counts: dict[str, float], indicator="werk.bijstand_personen", year=2022):
    return pd.DataFrame([fact(indicator, a, float(v), year=year) for a, v in counts.items()])


def outcome(result, indicator="werk.bijstand_personen") -> dict[str, str]:
    """area -> 'published' or why it was hidden (from the restricted copy); the public reason
    of every hidden row is the one `kleine aantallen`."""
    rows = result.protected[result.protected["indicator_id"] == indicator]
    assert set(rows.loc[rows["suppressed"], "suppression_reason"]) <= {REASON_SMALL}
    restricted = result.restricted[result.restricted["indicator_id"] == indicator]
    kinds = dict(zip(restricted["area_code"], restricted["disclosure_kind"], strict=True))
    return {
        a: (kinds[a] if s else "published")
        for a, s in zip(rows["area_code"], rows["suppressed"], strict=True)
    }


def test_wijk_of_three_buurten_4_12_15_suppresses_4_and_then_12():
    a = areas({"W1": ["B1", "B2", "B3"], "W2": ["B4", "B5"]})
    # W1 = 4 + 12 + 15 = 31; W2 = 20 + 30 = 50; GM1 = 31 + 50 = 81.
    facts = counts_frame(
        {"B1": 4, "B2": 12, "B3": 15, "W1": 31, "B4": 20, "B5": 30, "W2": 50, "GM1": 81}
    )
    result = protect(facts, a, indicators(), MIN)
    protected, restricted = result.protected, result.restricted
    # 4 < 10: primary; then W1 - 12 - 15 would give it back, so the smaller of 12 and 15 goes.
    assert outcome(result) == {
        "B1": KIND_PRIMARY,
        "B2": KIND_SECONDARY,
        "B3": "published",
        "W1": "published",
        "B4": "published",
        "B5": "published",
        "W2": "published",
        "GM1": "published",
    }
    hidden = protected[protected["suppressed"]]
    assert hidden[["value", "numerator", "denominator"]].isna().all().all()
    # The restricted copy keeps the figures as they were: 4 and 12.
    assert dict(zip(restricted["area_code"], restricted["value"], strict=True)) == {
        "B1": 4.0,
        "B2": 12.0,
    }
    assert len(protected) == len(facts)
    assert recoverable_cells(protected, a).empty


def test_wijk_of_two_buurten_3_and_20_suppresses_both():
    a = areas({"W1": ["B1", "B2"]})
    facts = counts_frame({"B1": 3, "B2": 20, "W1": 23, "GM1": 23})
    result = protect(facts, a, indicators(), MIN)
    # 3 < 10; 20 = 23 - 3 would reveal it: both buurten hidden, the wijk (23) stays.
    assert outcome(result) == {
        "B1": KIND_PRIMARY,
        "B2": KIND_SECONDARY,
        "W1": "published",
        "GM1": "published",
    }


def test_secondary_suppression_cascades_from_the_gemeente_down_to_a_buurt():
    a = areas({"A": ["A1", "A2"], "B": ["B1", "B2"], "C": ["C1", "C2"]})
    # A = 3 + 4 = 7 (all three below 10), B = 20 + 30 = 50, C = 15 + 25 = 40, GM1 = 97.
    facts = counts_frame(
        {"A1": 3, "A2": 4, "A": 7, "B1": 20, "B2": 30, "B": 50, "C1": 15, "C2": 25, "C": 40}
        | {"GM1": 97}
    )
    result = protect(facts, a, indicators(), MIN)
    protected = result.protected
    # GM1 - B - C = A: the smaller other wijk C (40 < 50) goes; then C = C1 + C2 would give
    # C back, so the smaller of its buurten C1 (15) goes too.
    assert outcome(result) == {
        "A1": KIND_PRIMARY,
        "A2": KIND_PRIMARY,
        "A": KIND_PRIMARY,
        "B1": "published",
        "B2": "published",
        "B": "published",
        "C1": KIND_SECONDARY,
        "C2": "published",
        "C": KIND_SECONDARY,
        "GM1": "published",
    }
    assert recoverable_cells(protected, a).empty


def test_a_focus_area_recoverable_as_wijk_minus_its_other_buurten_is_protected():
    a = areas({"W1": ["B1", "B2", "B3", "B4"]}, focus={"F": ["B1", "B2"]})
    # F = B1 + B2 = 3 + 4 = 7; W1 = 3 + 4 + 20 + 30 = 57. F = W1 - B3 - B4 = 57 - 50 = 7.
    facts = counts_frame({"B1": 3, "B2": 4, "B3": 20, "B4": 30, "W1": 57, "F": 7, "GM1": 57})
    only_primary = facts.copy()
    small = only_primary["value"] < MIN
    only_primary.loc[small, ["value", "numerator"]] = np.nan
    only_primary.loc[small, "suppressed"] = True
    only_primary.loc[small, "suppression_reason"] = REASON_SMALL
    # The checker sees it: the focus area follows from the wijk.
    found = recoverable_cells(only_primary, a)
    assert list(found["area_code"]) == ["F"]
    result = protect(facts, a, indicators(), MIN)
    protected = result.protected
    assert outcome(result) == {
        "B1": KIND_PRIMARY,
        "B2": KIND_PRIMARY,
        "F": KIND_PRIMARY,
        "B3": KIND_SECONDARY,  # the smaller of 20 and 30
        "B4": "published",
        "W1": "published",
        "GM1": "published",
    }
    assert recoverable_cells(protected, a).empty


def test_zero_is_below_the_threshold_and_is_suppressed():
    a = areas({"W1": ["B1", "B2", "B3"]})
    facts = counts_frame({"B1": 0, "B2": 25, "B3": 30, "W1": 55, "GM1": 55})
    result = protect(facts, a, indicators(), MIN)
    assert outcome(result) == {
        "B1": KIND_PRIMARY,
        "B2": KIND_SECONDARY,  # 25 < 30
        "B3": "published",
        "W1": "published",
        "GM1": "published",
    }


def test_rates_and_shares_follow_their_counts_across_indicators():
    a = areas({"W1": ["B1", "B2", "B3"]})
    persons = {"B1": 4, "B2": 12, "B3": 15, "W1": 31, "GM1": 31}
    inhabitants = {"B1": 400, "B2": 600, "B3": 500, "W1": 1500, "GM1": 1500}
    long_term = {"B1": 2, "B2": 10, "B3": 11, "W1": 23, "GM1": 23}
    rows = []
    for area, n in persons.items():
        rows.append(fact("werk.bijstand_personen", area, float(n)))
        rows.append(
            fact(
                "werk.bijstand_per_1000",
                area,
                1000 * n / inhabitants[area],
                numerator=float(n),
                denominator=float(inhabitants[area]),
            )
        )
        rows.append(
            fact(
                "werk.bijstand_langdurig_pct",
                area,
                100 * long_term[area] / n,
                numerator=float(long_term[area]),
                denominator=float(n),
            )
        )
        # CBS and police figures keep their own rules, however small.
        rows.append(fact("context.inwoners", area, 3.0))
        rows.append(
            fact("veiligheid.geweld_per_1000", area, 2.0, numerator=2.0, denominator=1000.0)
        )
    result = protect(pd.DataFrame(rows), a, indicators(), MIN)
    protected, restricted = result.protected, result.restricted
    # Persons: B1 = 4 primary, B2 = 12 secondary (as in the 4/12/15 wijk), in all three
    # indicators that show that count (as numerator or as denominator).
    expected_persons = {
        "B1": KIND_PRIMARY,
        "B2": KIND_SECONDARY,
        "B3": "published",
        "W1": "published",
        "GM1": "published",
    }
    assert outcome(result, "werk.bijstand_personen") == expected_persons
    assert outcome(result, "werk.bijstand_per_1000") == expected_persons
    # Long-term share: B1 has 2 < 10 long-term persons (primary). Every other row shows a
    # complement (persons not long-term) below 10: B2 12 - 10 = 2, B3 15 - 11 = 4,
    # W1 31 - 23 = 8, GM1 8; those rows are hidden for their complement.
    assert outcome(result, "werk.bijstand_langdurig_pct") == {
        "B1": KIND_PRIMARY,
        "B2": KIND_COMPLEMENT,
        "B3": KIND_COMPLEMENT,
        "W1": KIND_COMPLEMENT,
        "GM1": KIND_COMPLEMENT,
    }
    per_1000 = protected[protected["indicator_id"] == "werk.bijstand_per_1000"].set_index(
        "area_code"
    )
    # The CBS denominator of a suppressed rate goes too (the rate times it gives the count).
    assert per_1000.loc[["B1", "B2"], ["value", "numerator", "denominator"]].isna().all().all()
    assert per_1000.loc["B3", "numerator"] == 15.0 and per_1000.loc["B3", "denominator"] == 500.0
    assert outcome(result, "context.inwoners") == dict.fromkeys(persons, "published")
    assert outcome(result, "veiligheid.geweld_per_1000") == dict.fromkeys(persons, "published")
    # 2 indicators x 2 buurten, and all 5 rows of the share, changed.
    assert len(restricted) == 9
    assert small_counts(protected, indicators(), MIN).empty
    assert recoverable_cells(protected, a, indicators()).empty


def test_a_count_published_under_another_indicator_is_reported():
    a = areas({"W1": ["B1", "B2"]})
    facts = pd.DataFrame(
        [
            fact("werk.bijstand_personen", "B1", None, suppression_reason=REASON_SMALL),
            fact("werk.bijstand_per_1000", "B1", 10.0, numerator=4.0, denominator=400.0),
        ]
    )
    found = recoverable_cells(facts, a, indicators())
    assert list(zip(found["indicator_id"], found["area_code"], strict=True)) == [
        ("werk.bijstand_personen", "B1")
    ]
    # And the threshold check sees the 4 shown as the rate's numerator.
    bad = small_counts(facts, indicators(), MIN)
    assert list(zip(bad["indicator_id"], bad["column"], strict=True)) == [
        ("werk.bijstand_per_1000", "numerator")
    ]


def test_each_year_is_protected_on_its_own():
    a = areas({"W1": ["B1", "B2", "B3"]})
    facts = pd.concat(
        [
            counts_frame({"B1": 4, "B2": 12, "B3": 15, "W1": 31, "GM1": 31}, year=2021),
            counts_frame({"B1": 14, "B2": 12, "B3": 15, "W1": 41, "GM1": 41}, year=2022),
        ],
        ignore_index=True,
    )
    result = protect(facts, a, indicators(), MIN)
    protected = result.protected
    hidden = protected[protected["suppressed"]]
    assert sorted(zip(hidden["period_year"], hidden["area_code"], strict=True)) == [
        (2021, "B1"),
        (2021, "B2"),
    ]


def test_random_municipalities_leave_nothing_small_and_nothing_recoverable():
    rng = random.Random(20200501)
    for _ in range(25):
        wijken = {
            f"W{w}": [f"B{w}{b}" for b in range(rng.randint(1, 5))]
            for w in range(rng.randint(1, 4))
        }
        buurten = [b for bs in wijken.values() for b in bs]
        focus = {"F": rng.sample(buurten, min(2, len(buurten)))}
        counts = {b: rng.choice([0, 2, 5, 9, 10, 11, 14, 25, 40, 80]) for b in buurten}
        for w, bs in wijken.items():
            counts[w] = sum(counts[b] for b in bs)
        counts["GM1"] = sum(counts[w] for w in wijken)
        counts["F"] = sum(counts[b] for b in focus["F"])
        a = areas(wijken, focus)
        result = protect(counts_frame(counts), a, indicators(), MIN)
        protected, restricted = result.protected, result.restricted
        shown = protected[~protected["suppressed"]]
        assert (shown["value"] >= MIN).all()
        assert small_counts(protected, indicators(), MIN).empty
        assert recoverable_cells(protected, a, indicators()).empty
        # Every cell below 10 was suppressed, and the restricted copy holds each change.
        assert {a for a, v in counts.items() if v < MIN} <= set(
            protected.loc[protected["suppressed"], "area_code"]
        )
        assert set(restricted["area_code"]) == set(
            protected.loc[protected["suppressed"], "area_code"]
        )


# --- interval audit -----------------------------------------------------------------------------


def independent_ranges(
    values: dict[str, float | None], rels: list[tuple[str, list[str]]]
) -> dict[str, tuple[float, float]]:
    """Written here, apart from the module: for every hidden area (value None) the smallest and
    largest value it can take given the published ones, total = sum of parts and x >= 0."""
    hidden = sorted(a for a, v in values.items() if v is None)
    col = {a: i for i, a in enumerate(hidden)}
    a_eq, b_eq = [], []
    for total, parts in rels:
        row = np.zeros(len(hidden))
        rhs = 0.0
        for area, sign in [(total, 1.0), *((p, -1.0) for p in parts)]:
            if values[area] is None:
                row[col[area]] += sign
            else:
                rhs -= sign * values[area]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    out = {}
    for area in hidden:
        c = np.zeros(len(hidden))
        c[col[area]] = 1.0
        low = linprog(c, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        assert low.status == 0 and high.status in (0, 3)
        out[area] = (low.fun, np.inf if high.status == 3 else -high.fun)
    return out


def shown(result, indicator="werk.bijstand_personen") -> dict[str, float | None]:
    rows = result.protected[result.protected["indicator_id"] == indicator]
    return {
        a: (None if s else v)
        for a, s, v in zip(rows["area_code"], rows["suppressed"], rows["value"], strict=True)
    }


def area_rels(wijken: dict[str, list[str]], focus: dict[str, list[str]] | None = None):
    rels = [(w, bs) for w, bs in wijken.items()]
    rels.append(("GM1", list(wijken)))
    rels += [(f, ms) for f, ms in (focus or {}).items()]
    return rels


def test_buurten_0_and_1_next_to_11_in_a_wijk_of_12_are_not_narrowed_to_1():
    wijken = {"W1": ["B1", "B2", "B3"], "W2": ["B4", "B5"]}
    a = areas(wijken)
    counts = {"B1": 0, "B2": 1, "B3": 11, "W1": 12, "B4": 30, "B5": 40, "W2": 70, "GM1": 82}
    facts = counts_frame(counts)
    # Hiding only the two small buurten (no cell is then exactly recoverable) tells a reader
    # B1 + B2 = 12 - 11 = 1: each lies in [0, 1].
    only_small = facts.copy()
    small = only_small["value"] < MIN
    only_small.loc[small, ["value", "numerator"]] = np.nan
    only_small.loc[small, "suppressed"] = True
    only_small.loc[small, "suppression_reason"] = REASON_SMALL
    assert recoverable_cells(only_small, a, indicators()).empty
    before = interval_audit(only_small, a, indicators(), MIN).set_index("area_code")
    assert before.loc[["B1", "B2"], ["lower", "upper"]].to_numpy().tolist() == [[0, 1], [0, 1]]
    assert not before["safe"].any()
    # protect hides the cheapest cell that widens them: buurt B3 (11) before wijk W1 (12).
    # Then B1 + B2 + B3 = 12: each lies in [0, 12], 12 >= 10.
    result = protect(facts, a, indicators(), MIN)
    assert outcome(result) == {
        "B1": KIND_PRIMARY,
        "B2": KIND_PRIMARY,
        "B3": KIND_SECONDARY,
        "W1": "published",
        "B4": "published",
        "B5": "published",
        "W2": "published",
        "GM1": "published",
    }
    audit = result.audit.set_index("area_code")
    assert audit.loc[["B1", "B2", "B3"], ["lower", "upper"]].to_numpy().tolist() == [[0, 12]] * 3
    assert audit["safe"].all()
    assert list(audit.loc[["B1", "B2", "B3"], "value"]) == [0, 1, 11]
    public = interval_audit(result.protected, a, indicators(), MIN).set_index("area_code")
    assert public.loc[["B1", "B2", "B3"], "width"].tolist() == [12, 12, 12]
    assert independent_ranges(shown(result), area_rels(wijken)) == dict.fromkeys(
        ["B1", "B2", "B3"], (0.0, 12.0)
    )


def test_a_focus_area_across_a_wijk_needs_more_cells_for_a_wider_interval():
    wijken = {"W1": ["B1", "B2", "B3"], "W2": ["B4", "B5"]}
    focus = {"F": ["B1", "B2"]}
    a = areas(wijken, focus)
    # F = B1 + B2 = 1 + 12 = 13; W1 = 38; W2 = 90; GM1 = 128.
    counts = {"B1": 1, "B2": 12, "B3": 25, "W1": 38, "B4": 40, "B5": 50, "W2": 90}
    counts |= {"GM1": 128, "F": 13}
    facts = counts_frame(counts)
    # Interval 10: B1 < 10 is hidden, then B2 (F = B1 + B2 would give B1 back). B1 + B2 = 13:
    # both in [0, 13], wide enough.
    result = protect(facts, a, indicators(), MIN)
    assert {k for k, v in outcome(result).items() if v != "published"} == {"B1", "B2"}
    assert independent_ranges(shown(result), area_rels(wijken, focus)) == dict.fromkeys(
        ["B1", "B2"], (0.0, 13.0)
    )
    # Interval 15: 13 is too narrow. Hiding B3, W1 or F alone leaves B1 + B2 = 13 known (from
    # F, or W1 - B3, or GM1 - W2 - B3), so the cheapest near cell B3 goes; then B3 = W1 - F
    # would be exact, and hiding F (not W1 = GM1 - W2) resolves it: B1 + B2 + B3 = 38.
    result = protect(facts, a, indicators(), MIN, protection_interval=15)
    hidden = {k for k, v in outcome(result).items() if v != "published"}
    assert hidden == {"B1", "B2", "B3", "F"}
    ranges = independent_ranges(shown(result), area_rels(wijken, focus))
    assert ranges == dict.fromkeys(["B1", "B2", "B3", "F"], (0.0, 38.0))
    assert result.audit["safe"].all()


def test_interval_audit_of_a_focus_area_works_from_the_published_cells_alone():
    a = areas({"W1": ["B1", "B2", "B3"]}, focus={"F": ["B1", "B2"]})
    hidden = {"B1", "B3", "F"}
    facts = counts_frame({"B1": 1, "B2": 12, "B3": 25, "W1": 38, "GM1": 38, "F": 13})
    facts.loc[facts["area_code"].isin(hidden), ["value", "numerator"]] = np.nan
    facts.loc[facts["area_code"].isin(hidden), "suppressed"] = True
    facts.loc[facts["area_code"].isin(hidden), "suppression_reason"] = REASON_SMALL
    # Published: B2 = 12, W1 = 38. B1 + B3 = 26, F = B1 + 12: B1, B3 in [0, 26], F in [12, 38].
    audit = interval_audit(facts, a, indicators(), 27).set_index("area_code")
    assert audit.loc[["B1", "B3", "F"], ["lower", "upper", "width"]].to_numpy().tolist() == [
        [0, 26, 26],
        [0, 26, 26],
        [12, 38, 26],
    ]
    assert not audit["safe"].any()  # 26 < 27
    assert set(audit["indicator_id"]) == {"werk.bijstand_personen"}


def test_a_share_publishes_its_complement_10_of_14_tells_that_4_are_not_long_term():
    a = areas({"W1": ["B1", "B2"]})
    persons = {"B1": 14, "B2": 30, "W1": 44, "GM1": 44}
    long_term = {"B1": 10, "B2": 12, "W1": 22, "GM1": 22}
    rows = []
    for area, n in persons.items():
        rows.append(fact("werk.bijstand_personen", area, float(n)))
        k = long_term[area]
        rows.append(
            fact(
                "werk.bijstand_langdurig_pct",
                area,
                100 * k / n,
                numerator=float(k),
                denominator=float(n),
            )
        )
    facts = pd.DataFrame(rows)
    # The checker sees the complement 14 - 10 = 4 in the published share.
    bad = small_counts(facts, indicators(), MIN)
    assert list(zip(bad["indicator_id"], bad["area_code"], bad["column"], strict=True)) == [
        ("werk.bijstand_langdurig_pct", "B1", "complement")
    ]
    result = protect(facts, a, indicators(), MIN)
    # B1's share goes for its complement 4; its 10 long-term persons are shown nowhere else,
    # and W1 - B2 = 22 - 12 would give them back: B2's share goes too (secondary). The persons
    # themselves (14, 30, 44) stay published.
    assert outcome(result, "werk.bijstand_langdurig_pct") == {
        "B1": KIND_COMPLEMENT,
        "B2": KIND_SECONDARY,
        "W1": "published",
        "GM1": "published",
    }
    assert outcome(result, "werk.bijstand_personen") == dict.fromkeys(persons, "published")
    assert small_counts(result.protected, indicators(), MIN).empty
    assert recoverable_cells(result.protected, a, indicators()).empty
    # long-term B1 + B2 = 22, B1 <= 14, B2 <= 30: long-term B1 in [0, 14], B2 in [8, 22];
    # the complements 14 - B1 in [0, 14] and 30 - B2 in [8, 22]. All 14 wide.
    audit = interval_audit(result.protected, a, indicators(), MIN)
    got = {
        ("rest" if " min " in lab else "long", area): (lo, hi)
        for lab, area, lo, hi in zip(
            audit["count_label"], audit["area_code"], audit["lower"], audit["upper"], strict=True
        )
    }
    assert got == {
        ("long", "B1"): (0, 14),
        ("long", "B2"): (8, 22),
        ("rest", "B1"): (0, 14),
        ("rest", "B2"): (8, 22),
    }
    assert audit["safe"].all()


def test_min_count_5_hides_fewer_cells_than_10():
    a = areas({"W1": ["B1", "B2", "B3", "B4"], "W2": ["B5", "B6"]})
    counts = {"B1": 4, "B2": 7, "B3": 9, "B4": 20, "W1": 40, "B5": 30, "B6": 50, "W2": 80}
    facts = counts_frame(counts | {"GM1": 120})
    # 10: B1, B2, B3 are small; B1 + B2 + B3 = 20 leaves each in [0, 20]: nothing more.
    ten = protect(facts, a, indicators(), 10)
    assert {k: v for k, v in outcome(ten).items() if v != "published"} == dict.fromkeys(
        ["B1", "B2", "B3"], KIND_PRIMARY
    )
    # 5: only B1 is small; W1 - the rest would give it back, so the cheapest other buurt B2
    # (7) goes; B1 + B2 = 11 leaves each in [0, 11], wider than 5.
    five = protect(facts, a, indicators(), 5)
    assert {k: v for k, v in outcome(five).items() if v != "published"} == {
        "B1": KIND_PRIMARY,
        "B2": KIND_SECONDARY,
    }
    assert five.audit.set_index("area_code")["width"].to_dict() == {"B1": 11, "B2": 11}


def test_random_municipalities_leave_no_hidden_cell_narrower_than_the_threshold():
    rng = random.Random(20240610)
    for _ in range(20):
        wijken = {
            f"W{w}": [f"B{w}{b}" for b in range(rng.randint(1, 5))]
            for w in range(rng.randint(1, 4))
        }
        buurten = [b for bs in wijken.values() for b in bs]
        some_wijk = rng.choice(list(wijken))
        focus = {"F": wijken[some_wijk][: max(1, len(wijken[some_wijk]) - 1)]}
        counts = {b: rng.choice([0, 1, 2, 5, 9, 10, 11, 14, 25, 40, 80]) for b in buurten}
        for w, bs in wijken.items():
            counts[w] = sum(counts[b] for b in bs)
        counts["GM1"] = sum(counts[w] for w in wijken)
        counts["F"] = sum(counts[b] for b in focus["F"])
        a = areas(wijken, focus)
        result = protect(counts_frame(counts), a, indicators(), MIN)
        values = shown(result)
        for area, (low, high) in independent_ranges(values, area_rels(wijken, focus)).items():
            assert high - low >= MIN - 1e-6, (wijken, focus, counts, area, low, high)
            assert low - 1e-6 <= counts[area] <= high + 1e-6
        assert interval_audit(result.protected, a, indicators(), MIN)["safe"].all()
        assert recoverable_cells(result.protected, a, indicators()).empty
