"""Issue 10, acceptance: deliveries built to create narrow intervals (0 / 1 / 11 persons in the
buurten of a wijk of 12, focus areas that overlap wijken), one real build, and then an
independent linear programme on the PUBLISHED cells alone: every suppressed count must be
able to take values over a range of at least `min_count`.

The LP here is written for this test (scipy's linprog, HiGHS): variables are the hidden counts
of one indicator x year, the constraints the additive relations read from `dim_area` (a wijk
is the sum of its buurten, the gemeente of its wijken, an own area of its members), the
published cells are constants, every count is >= 0. The same count published under another
indicator (the numerator of `werk.bijstand_per_1000`) is known to the reader too."""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy.optimize import linprog

from pipelines.cli import run_build
from tests.conftest import demo_workspace
from tests.test_municipal_build import inside
from warehouse.export import export_all

MIN_COUNT = 10  # the shipped config's [disclosure] min_count (protection_interval = min_count)

# Persons with a running PW benefit on 31 December 2023, per buurt (all others: nobody).
PERSONS = {
    # WK191606: 0 / 1 / 11 in a wijk of 12; focus area DHN = BU19160601 (the empty one)
    "BU19160601": 0,
    "BU19160602": 1,
    "BU19160603": 11,
    # WK191602: focus area PH = BU19160201 + BU19160202 = 15 of the wijk's 50
    "BU19160201": 12,
    "BU19160202": 3,
    "BU19160203": 20,
    "BU19160204": 15,
    # WK191603: 75, WK191601: 30 in one buurt
    **{f"BU1916030{i}": 15 for i in range(1, 6)},
    "BU19160101": 30,
}
COUNT_INDICATORS = ("werk.bijstand_personen", "werk.bijstand_per_1000")


def _write_benefits(landing: Path) -> None:
    for name in ("uitkeringen", "verzuim", "leerplichtigen", "incidenten", "pc6_buurt"):
        shutil.rmtree(landing / name, ignore_errors=True)
        (landing / name).mkdir()
    # The first 12 persons of a buurt with 12 or more have been on benefit since 2019
    # (long-term on 31 December 2023), the rest since 2022: BU19160203 has 12 long-term of
    # 20 (a complement of 8), WK191603 60 of 75.
    people = [
        (
            f"N{buurt[-4:]}{k:02d}",
            *inside(buurt, k),
            "2019-01-01" if n >= 12 and k < 12 else "2022-01-01",
        )
        for buurt, n in PERSONS.items()
        for k in range(n)
    ]
    header = ["client_id", "geboortejaar", "x", "y", "regeling", "ingangsdatum"]
    for month in range(1, 13):
        with (landing / "uitkeringen" / f"uitkeringen_2023-{month:02d}.csv").open(
            "w", encoding="utf-8", newline=""
        ) as f:
            w = csv.writer(f, delimiter=";")
            w.writerow(header)
            w.writerows([c, 1980, x, y, "PW", start] for c, x, y, start in people)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("narrow")
    cfg = demo_workspace(folder, cbs_only=True)
    _write_benefits(folder / "landing")
    result = run_build(cfg, offline=True, show_progress=False)
    assert result.success
    return cfg, folder / "out" / "warehouse.duckdb"


def _relations(con) -> list[tuple[str, list[str]]]:
    """(total, parts) from dim_area: parent_code for buurt->wijk->gemeente, members for own
    areas (a member wijk stands for its buurten)."""
    areas = con.execute(
        "SELECT area_code, area_level, parent_code, members FROM dim_area"
    ).fetchall()
    level = {a: lv for a, lv, _, _ in areas}
    children: dict[str, list[str]] = defaultdict(list)
    rels = []
    for code, lv, parent, members in areas:
        if lv in ("buurt", "wijk") and parent and level.get(parent) in ("wijk", "gemeente"):
            children[parent].append(code)
        if lv in ("focus", "programme") and members:
            rels.append((code, [m.strip() for m in members.split(",")]))
    rels += [(total, parts) for total, parts in children.items()]
    return rels


def _published_counts(con, year: int) -> tuple[dict[str, float], set[str]]:
    """area -> the person count as a reader can see it (from the count indicator or the
    numerator of the rate), and the areas where it is hidden everywhere."""
    rows = con.execute(
        "SELECT indicator_id, area_code, value, numerator, suppressed, suppression_reason "
        "FROM fact_indicator WHERE period_year = ? AND indicator_id IN (?, ?)",
        [year, *COUNT_INDICATORS],
    ).fetchall()
    known: dict[str, float] = {}
    hidden: set[str] = set()
    for indicator, area, value, numerator, suppressed, reason in rows:
        count = value if indicator == "werk.bijstand_personen" else numerator
        if count is not None:
            known[area] = count
        elif suppressed and (reason or "").startswith("kleine aantallen"):
            hidden.add(area)
    return known, hidden - set(known)


def _ranges(rels, known: dict[str, float], hidden: set[str]) -> dict[str, tuple[float, float]]:
    cells = sorted(hidden)
    idx = {c: i for i, c in enumerate(cells)}
    a_eq, b_eq = [], []
    for total, parts in rels:
        members = [total, *parts]
        if not any(m in idx for m in members):
            continue
        if not all(m in idx or m in known for m in members):
            continue  # a cell nobody publishes nor hides: the relation says nothing
        row = np.zeros(len(cells))
        rhs = 0.0
        for m, sign in [(total, 1.0), *((p, -1.0) for p in parts)]:
            if m in idx:
                row[idx[m]] += sign
            else:
                rhs -= sign * known[m]
        a_eq.append(row)
        b_eq.append(rhs)
    out = {}
    for c in cells:
        bounds = []
        for sign in (1.0, -1.0):
            obj = np.zeros(len(cells))
            obj[idx[c]] = sign
            res = linprog(
                obj,
                A_eq=np.array(a_eq) if a_eq else None,
                b_eq=np.array(b_eq) if b_eq else None,
                bounds=[(0, None)] * len(cells),
                method="highs",
            )
            if res.status == 3:  # unbounded above: as wide as can be
                bounds.append(np.inf if sign < 0 else 0.0)
            else:
                assert res.status == 0, res.message
                bounds.append(sign * res.fun)
        out[c] = (bounds[0], bounds[1])
    return out


def test_the_planted_cells_are_hidden_and_no_hidden_count_can_be_narrowed(built):
    _, warehouse = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rels = _relations(con)
        known, hidden = _published_counts(con, 2023)
    # the small cells of the deliveries are hidden, whatever else is
    assert {"BU19160601", "BU19160602", "DHN"} <= hidden
    assert not any(v < MIN_COUNT for v in known.values())
    ranges = _ranges(rels, known, hidden)
    narrow = {c: r for c, r in ranges.items() if r[1] - r[0] < MIN_COUNT}
    assert narrow == {}
    # the LP really constrains something: some hidden cell has a finite upper bound
    assert any(np.isfinite(hi) for _, hi in ranges.values())


def test_no_shown_share_reveals_a_small_complement(built):
    _, warehouse = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        shares = con.execute(
            "SELECT area_code, numerator, denominator FROM fact_indicator "
            "WHERE indicator_id = 'werk.bijstand_langdurig_pct' AND period_year = 2023 "
            "AND value IS NOT NULL"
        ).fetchall()
    # WK191603: five buurten of 15, 12 of each long-term: 60 of 75, a complement of 15.
    assert ("WK191603", 60, 75) in shares
    assert all(d - n >= MIN_COUNT for _, n, d in shares), shares
    assert not any(a == "BU19160203" for a, _, _ in shares)  # 12 of 20: 8 are not long-term


def test_the_exports_show_no_more_than_the_warehouse(built, tmp_path):
    _, warehouse = built
    written = export_all(warehouse, tmp_path, {"csv"})
    long = next(p for p in written if p.name.startswith("indicatoren_") and "_en" in p.stem)
    with long.open(encoding="utf-8") as f:
        rows = [
            r
            for r in csv.DictReader(f)
            if r["indicator_id"] in COUNT_INDICATORS and r["period_year"] == "2023"
        ]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        known, hidden = _published_counts(con, 2023)
    for r in rows:
        if r["area_code"] in hidden:
            assert r["value"] in ("", "nan") and r["numerator"] in ("", "nan"), r
