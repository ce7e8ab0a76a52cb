"""Disclosure control on municipal counts: primary and secondary suppression, shared counts,
zero, and the recoverability checker, all on small frames worked out by hand."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

from transforms.disclosure import (
    REASON_PRIMARY,
    REASON_SECONDARY,
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
    return pd.DataFrame(
        rows, columns=["indicator_id", "unit", "numerator", "denominator", "source", "formula"]
    )


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


def outcome(protected: pd.DataFrame, indicator="werk.bijstand_personen") -> dict[str, str]:
    rows = protected[protected["indicator_id"] == indicator]
    return {
        a: (r if s else "published")
        for a, s, r in zip(
            rows["area_code"], rows["suppressed"], rows["suppression_reason"], strict=True
        )
    }


def test_wijk_of_three_buurten_4_12_15_suppresses_4_and_then_12():
    a = areas({"W1": ["B1", "B2", "B3"], "W2": ["B4", "B5"]})
    # W1 = 4 + 12 + 15 = 31; W2 = 20 + 30 = 50; GM1 = 31 + 50 = 81.
    facts = counts_frame(
        {"B1": 4, "B2": 12, "B3": 15, "W1": 31, "B4": 20, "B5": 30, "W2": 50, "GM1": 81}
    )
    protected, restricted = protect(facts, a, indicators(), MIN)
    # 4 < 10: primary; then W1 - 12 - 15 would give it back, so the smaller of 12 and 15 goes.
    assert outcome(protected) == {
        "B1": REASON_PRIMARY,
        "B2": REASON_SECONDARY,
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
    protected, _ = protect(facts, a, indicators(), MIN)
    # 3 < 10; 20 = 23 - 3 would reveal it: both buurten hidden, the wijk (23) stays.
    assert outcome(protected) == {
        "B1": REASON_PRIMARY,
        "B2": REASON_SECONDARY,
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
    protected, _ = protect(facts, a, indicators(), MIN)
    # GM1 - B - C = A: the smaller other wijk C (40 < 50) goes; then C = C1 + C2 would give
    # C back, so the smaller of its buurten C1 (15) goes too.
    assert outcome(protected) == {
        "A1": REASON_PRIMARY,
        "A2": REASON_PRIMARY,
        "A": REASON_PRIMARY,
        "B1": "published",
        "B2": "published",
        "B": "published",
        "C1": REASON_SECONDARY,
        "C2": "published",
        "C": REASON_SECONDARY,
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
    only_primary.loc[small, "suppression_reason"] = REASON_PRIMARY
    # The checker sees it: the focus area follows from the wijk.
    found = recoverable_cells(only_primary, a)
    assert list(found["area_code"]) == ["F"]
    protected, _ = protect(facts, a, indicators(), MIN)
    assert outcome(protected) == {
        "B1": REASON_PRIMARY,
        "B2": REASON_PRIMARY,
        "F": REASON_PRIMARY,
        "B3": REASON_SECONDARY,  # the smaller of 20 and 30
        "B4": "published",
        "W1": "published",
        "GM1": "published",
    }
    assert recoverable_cells(protected, a).empty


def test_zero_is_below_the_threshold_and_is_suppressed():
    a = areas({"W1": ["B1", "B2", "B3"]})
    facts = counts_frame({"B1": 0, "B2": 25, "B3": 30, "W1": 55, "GM1": 55})
    protected, _ = protect(facts, a, indicators(), MIN)
    assert outcome(protected) == {
        "B1": REASON_PRIMARY,
        "B2": REASON_SECONDARY,  # 25 < 30
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
    protected, restricted = protect(pd.DataFrame(rows), a, indicators(), MIN)
    # Persons: B1 = 4 primary, B2 = 12 secondary (as in the 4/12/15 wijk), in all three
    # indicators that show that count (as numerator or as denominator).
    expected_persons = {
        "B1": REASON_PRIMARY,
        "B2": REASON_SECONDARY,
        "B3": "published",
        "W1": "published",
        "GM1": "published",
    }
    assert outcome(protected, "werk.bijstand_personen") == expected_persons
    assert outcome(protected, "werk.bijstand_per_1000") == expected_persons
    # Long-term share: B1 has 2 < 10 long-term persons (primary); B2's denominator 12 is
    # suppressed (secondary). B1 + B2 long-term = 23 - 11 = 12 is all one can work out.
    assert outcome(protected, "werk.bijstand_langdurig_pct") == expected_persons
    per_1000 = protected[protected["indicator_id"] == "werk.bijstand_per_1000"].set_index(
        "area_code"
    )
    # The CBS denominator of a suppressed rate goes too (the rate times it gives the count).
    assert per_1000.loc[["B1", "B2"], ["value", "numerator", "denominator"]].isna().all().all()
    assert per_1000.loc["B3", "numerator"] == 15.0 and per_1000.loc["B3", "denominator"] == 500.0
    assert outcome(protected, "context.inwoners") == dict.fromkeys(persons, "published")
    assert outcome(protected, "veiligheid.geweld_per_1000") == dict.fromkeys(persons, "published")
    # 3 indicators x 2 buurten changed.
    assert len(restricted) == 6
    assert small_counts(protected, indicators(), MIN).empty
    assert recoverable_cells(protected, a, indicators()).empty


def test_a_count_published_under_another_indicator_is_reported():
    a = areas({"W1": ["B1", "B2"]})
    facts = pd.DataFrame(
        [
            fact("werk.bijstand_personen", "B1", None, suppression_reason=REASON_PRIMARY),
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
    protected, _ = protect(facts, a, indicators(), MIN)
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
        protected, restricted = protect(counts_frame(counts), a, indicators(), MIN)
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
