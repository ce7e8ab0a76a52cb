"""Disclosure control for counts from municipal person-level data (indicators.md, "Disclosure
control"): primary suppression below the threshold, secondary suppression so that no suppressed
count can be recovered by subtraction, and the same count suppressed alike wherever it is
published.

Which cells are subject to it is read from the catalogue (`dim_indicator`), not hard-wired:
indicators with `formula = 'municipal'` whose source starts with `Gemeente`. CBS and police
figures keep their own suppression and are never touched here.

How the counts are found. Every subject indicator row carries one or two *counts*:
- its numerator (for a count indicator, the value itself);
- its denominator, when that is a municipal count too: a denominator that does not come from
  CBS (its catalogue text does not mention CBS), e.g. `werk.bijstand_langdurig_pct`'s
  "personen met PW-uitkering" or `school.verzuim_per_1000`'s "leerplichtigen".
A count is identified by its catalogue text (numerator/denominator, case and spacing ignored),
so "personen met PW-uitkering" is one count whether it is published as `werk.bijstand_personen`,
as the numerator of `werk.bijstand_per_1000` or as the denominator of
`werk.bijstand_langdurig_pct`; a decision about that count (area x year) applies to every row
that shows it. A count indicator with no numerator text is its own count.

Rules, per count x period:
- primary: a count below `min_count` is suppressed. Zero is below the threshold and is
  suppressed too: "nobody in this buurt" is itself a statement about the people there, and
  publishing 0 while hiding 1-9 would tell the reader a hidden cell holds at least one person;
- secondary: the areas form additive relations (a wijk = its buurten, the gemeente = its wijken,
  a focus or programme area = its members). While one relation has exactly one hidden cell and
  that cell is suppressed, the smallest published part of that relation is suppressed as well
  (or, when the hidden cell is the total, the smallest part). Then an exact check over all
  relations together (linear algebra: is the cell determined by the published ones?) catches
  what that rule misses, e.g. a focus area recovered as wijk minus its other buurten; the cell
  that resolves it is suppressed, preferring buurten and small counts. Repeat until stable;
- a row is suppressed (value, numerator AND denominator cleared) when any count it shows is
  suppressed, with reason `kleine aantallen` when one of its own counts is below the threshold
  and `kleine aantallen (secundair)` otherwise. A count hidden only as a side effect (the
  numerator of a rate whose denominator was suppressed) is then protected like a secondary
  cell, so that it cannot be recovered either.

`recoverable_cells` is the independent checker (used by the tests and by the exporter before
anything leaves the warehouse); `small_counts` finds published subject counts below the
threshold."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

REASON_PRIMARY = "kleine aantallen"
REASON_SECONDARY = "kleine aantallen (secundair)"
_SMALL = "kleine aantallen"  # prefix of both reasons
# Lower levels first: a buurt is the cheapest cell to give up, the gemeente the dearest.
_LEVEL_RANK = {"buurt": 0, "wijk": 1, "focus": 2, "programme": 3, "gemeente": 4, "land": 5}
_TOL = 1e-9

Cell = tuple[str, str, int]  # (count label, area_code, period_year)
Relation = tuple[str, tuple[str, ...]]  # (total area, part areas)


@dataclass(frozen=True)
class CountRoles:
    """The counts one subject indicator shows: `count` in its numerator (or value), and a
    municipal count in its denominator (`denominator` None when that is not one)."""

    count: str
    is_count: bool
    denominator: str | None


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _label(text: str) -> str:
    return " ".join(text.lower().split())


def subject_indicators(indicators: pd.DataFrame) -> pd.DataFrame:
    """The rows of `indicators` (dim_indicator) that come from municipal person-level data."""
    source = indicators["source"].astype(str).str.strip()
    mask = (indicators["formula"] == "municipal") & source.str.startswith("Gemeente")
    return indicators[mask.fillna(False).astype(bool)]


def count_roles(indicators: pd.DataFrame) -> dict[str, CountRoles]:
    """indicator_id -> the counts its rows show, for every subject indicator."""
    out: dict[str, CountRoles] = {}
    for row in subject_indicators(indicators).itertuples(index=False):
        numerator, denominator = _text(row.numerator), _text(row.denominator)
        is_count = not denominator.strip() or _text(row.unit).strip() == "aantal"
        count = _label(numerator) or row.indicator_id
        den = None
        if not is_count and denominator.strip() and "cbs" not in denominator.lower():
            den = _label(denominator)
        out[row.indicator_id] = CountRoles(count=count, is_count=is_count, denominator=den)
    return out


def relations(areas: pd.DataFrame) -> list[Relation]:
    """The additive relations between areas: a wijk is the sum of its buurten, the gemeente of
    its wijken, a focus or programme area of its members. Ordered bottom-up."""
    level = dict(zip(areas["area_code"], areas["area_level"], strict=True))
    children: dict[str, list[str]] = defaultdict(list)
    for code, lvl, parent in zip(
        areas["area_code"], areas["area_level"], areas["parent_code"], strict=True
    ):
        parent = _text(parent)
        if (lvl, level.get(parent)) in {("buurt", "wijk"), ("wijk", "gemeente")}:
            children[parent].append(code)
    out: list[Relation] = [(total, tuple(sorted(parts))) for total, parts in children.items()]
    for code, lvl, members in zip(
        areas["area_code"], areas["area_level"], areas["members"], strict=True
    ):
        if lvl in ("focus", "programme"):
            parts = tuple(sorted({m.strip() for m in _text(members).split(",") if m.strip()}))
            if parts:
                out.append((code, parts))
    return sorted(out, key=lambda r: (_LEVEL_RANK.get(level.get(r[0], ""), 9), r[0]))


def _to_pandas(frame: pa.Table | pd.DataFrame) -> pd.DataFrame:
    return frame.to_pandas() if isinstance(frame, pa.Table) else frame.copy()


def _references(facts: pd.DataFrame, roles: dict[str, CountRoles]) -> pd.DataFrame:
    """One row per (fact row, count it shows): row, role, label, area_code, period_year,
    count (NaN when the row does not show it)."""
    sub = facts[facts["indicator_id"].isin(list(roles))]
    if sub.empty:
        return pd.DataFrame(
            columns=["row", "role", "label", "area_code", "period_year", "count"]
        ).astype({"row": "int64", "count": "float64"})
    is_count = sub["indicator_id"].map({k: v.is_count for k, v in roles.items()}).astype(bool)
    numerator = pd.to_numeric(sub["numerator"], errors="coerce").astype("float64")
    value = pd.to_numeric(sub["value"], errors="coerce").astype("float64")
    count = numerator.where(numerator.notna(), value.where(is_count))
    frames = [
        pd.DataFrame(
            {
                "row": sub.index,
                "role": "count",
                "label": sub["indicator_id"].map({k: v.count for k, v in roles.items()}),
                "area_code": sub["area_code"].astype(str),
                "period_year": sub["period_year"].astype(int),
                "count": count,
            }
        )
    ]
    den_label = sub["indicator_id"].map({k: v.denominator for k, v in roles.items()})
    with_den = den_label.notna()
    if with_den.any():
        frames.append(
            pd.DataFrame(
                {
                    "row": sub.index[with_den],
                    "role": "denominator",
                    "label": den_label[with_den],
                    "area_code": sub["area_code"][with_den].astype(str),
                    "period_year": sub["period_year"][with_den].astype(int),
                    "count": pd.to_numeric(sub["denominator"][with_den], errors="coerce").astype(
                        "float64"
                    ),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _null_space_zero(
    rels: list[Relation], hidden: list[str], targets: list[str] | None = None
) -> list[str]:
    """Of `targets` (default: all hidden areas), those whose value follows from the published
    ones through `rels`: cell j is determined iff every solution of the homogeneous system
    over the hidden cells has x_j = 0."""
    idx = {a: i for i, a in enumerate(hidden)}
    targets = hidden if targets is None else targets
    rows = []
    for total, parts in rels:
        row = np.zeros(len(hidden))
        if total in idx:
            row[idx[total]] += 1.0
        for p in parts:
            if p in idx:
                row[idx[p]] -= 1.0
        if row.any():
            rows.append(row)
    if not rows or not hidden:
        # No relation touches a hidden cell: nothing about it can be worked out.
        return []
    a = np.array(rows)
    _, s, vt = np.linalg.svd(a, full_matrices=True)
    rank = int((s > _TOL * max(1.0, float(s.max(initial=0.0)))).sum())
    null = vt[rank:]
    if null.shape[0] == 0:
        return [t for t in targets if t in idx]
    return [t for t in targets if t in idx and np.all(np.abs(null[:, idx[t]]) < 1e-8)]


def _cells_of(rels: list[Relation]) -> set[str]:
    out: set[str] = set()
    for total, parts in rels:
        out.add(total)
        out.update(parts)
    return out


def determined_cells(rels: list[Relation], published: set[str], secret: set[str]) -> list[str]:
    """Secret cells of one count x period that can be worked out from the published cells."""
    hidden = sorted(_cells_of(rels) - published)
    return _null_space_zero(rels, hidden, sorted(secret & set(hidden)))


def _protect_group(
    rels: list[Relation],
    counts: dict[str, float],
    published: set[str],
    secret: set[str],
    level: dict[str, str],
) -> set[str]:
    """Secondary suppression for one count x period; returns the newly suppressed areas.
    `published` and `secret` are updated in place."""
    added: set[str] = set()
    rels = [r for r in rels if ({r[0], *r[1]} & (published | secret))]

    def order(area: str) -> tuple:
        return (_LEVEL_RANK.get(level.get(area, ""), 9), counts.get(area, np.inf), area)

    def suppress(area: str) -> None:
        published.discard(area)
        secret.add(area)
        added.add(area)

    while True:
        changed = False
        for total, parts in rels:
            hidden = [c for c in (total, *parts) if c not in published]
            if len(hidden) != 1 or hidden[0] not in secret:
                continue
            options = sorted((p for p in parts if p in published), key=order)
            if not options and total in published:
                options = [total]
            if options:
                suppress(options[0])
                changed = True
        if changed:
            continue
        found = determined_cells(rels, published, secret)
        if not found:
            return added
        target = min(found, key=order)
        near = sorted(
            {c for t, ps in rels if target in (t, *ps) for c in (t, *ps) if c in published},
            key=order,
        )
        anywhere = sorted(_cells_of(rels) & published, key=order)
        choice = None
        for candidate in [*near, *(c for c in anywhere if c not in near)]:
            hidden = sorted(_cells_of(rels) - (published - {candidate}))
            if target not in _null_space_zero(rels, hidden, [target]):
                choice = candidate
                break
        if choice is None:
            choice = (near or anywhere or [None])[0]
        if choice is None:
            return added  # nothing left to give up; the checker reports what remains
        suppress(choice)


def protect(
    facts: pa.Table | pd.DataFrame,
    areas: pd.DataFrame,
    indicators: pd.DataFrame,
    min_count: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply primary and secondary suppression to the municipal counts in `facts`.

    facts: fact_indicator rows (indicator_id, area_code, period_year, value, numerator,
    denominator, suppressed, suppression_reason, ...); areas: dim_area rows (area_code,
    area_level, parent_code, members); indicators: dim_indicator rows (indicator_id, formula,
    source, unit, numerator, denominator).

    Returns (protected_facts, restricted_facts): all rows of `facts` (same columns, same
    order) with the suppressed cells cleared, and the original version of every row that was
    changed, for the restricted schema."""
    original = _to_pandas(facts).reset_index(drop=True)
    roles = count_roles(indicators)
    refs = _references(original, roles)
    if refs.empty:
        return original.copy(), original.iloc[0:0].copy()
    rels = relations(areas)
    level = dict(zip(areas["area_code"], areas["area_level"], strict=True))

    reasons = original["suppression_reason"].astype("string").fillna("")
    refs["small_before"] = reasons.iloc[refs["row"]].str.startswith(_SMALL).to_numpy()
    cells = refs.groupby(["label", "area_code", "period_year"], sort=True).agg(
        count=("count", "max"), small_before=("small_before", "any")
    )
    counts: dict[Cell, float] = cells["count"].to_dict()
    exposed = {c for c, v in counts.items() if not np.isnan(v)}
    primary = {c for c, v in counts.items() if not np.isnan(v) and v < min_count}
    # Rows a source had already suppressed for small numbers, showing nothing: their count
    # stays a secret that the others must not give away.
    primary |= {c for c in cells.index[cells["small_before"]] if c not in exposed}
    secret = set(primary)
    row_cells = refs.groupby("row")[["label", "area_code", "period_year"]].apply(
        lambda g: [tuple(x) for x in g.itertuples(index=False)]
    )
    row_cells = {int(k): [(str(a), str(b), int(c)) for a, b, c in v] for k, v in row_cells.items()}
    cells_by_group: dict[tuple[str, int], list[Cell]] = defaultdict(list)
    for c in counts:
        cells_by_group[(c[0], c[2])].append(c)

    suppressed_rows: set[int] = set()
    while True:
        for (label, year), group in cells_by_group.items():
            published = {c[1] for c in group if c in exposed and c not in secret}
            hidden_secret = {c[1] for c in group if c in secret}
            if not hidden_secret:
                continue
            gcounts = {c[1]: counts[c] for c in group}
            added = _protect_group(rels, gcounts, published, hidden_secret, level)
            secret |= {(label, a, year) for a in added}
        suppressed_rows = {r for r, cs in row_cells.items() if any(c in secret for c in cs)}
        still_shown = {
            c for r, cs in row_cells.items() if r not in suppressed_rows for c in cs if c in exposed
        }
        # A count no longer shown anywhere because a row was suppressed for another of its
        # counts: protect it too, or a subtraction would give it away.
        collateral = {
            c
            for r in suppressed_rows
            for c in row_cells[r]
            if c not in secret and c not in still_shown
        }
        if not collateral:
            break
        secret |= collateral
        exposed -= collateral

    protected = original.copy()
    rows = sorted(suppressed_rows)
    if not rows:
        return protected, original.iloc[0:0].copy()
    reason = [
        REASON_PRIMARY if any(c in primary for c in row_cells[r]) else REASON_SECONDARY
        for r in rows
    ]
    before = original.loc[rows]
    changed = (
        before["value"].notna()
        | before["numerator"].notna()
        | before["denominator"].notna()
        | ~before["suppressed"].astype(bool)
        | (before["suppression_reason"].astype("string").fillna("").to_numpy() != np.array(reason))
    ).to_numpy()
    for col in ("value", "numerator", "denominator"):
        protected.loc[rows, col] = np.nan
    protected.loc[rows, "suppressed"] = True
    protected.loc[rows, "suppression_reason"] = reason
    restricted = before[changed].copy()
    return protected, restricted


def recoverable_cells(
    protected: pa.Table | pd.DataFrame,
    areas: pd.DataFrame,
    indicators: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Cells suppressed for small numbers (`kleine aantallen...`) that can still be worked out
    from what is published: by subtraction within an indicator x period (any combination of
    the area relations), or because the same count is published under another indicator.

    Without `indicators`, every indicator with such a cell is checked on its own numerator
    (or value). With it, counts shared between indicators are checked together, as `protect`
    treats them. Returns indicator_id, area_code, period_year, reason (Dutch); empty when
    nothing is recoverable."""
    facts = _to_pandas(protected).reset_index(drop=True)
    columns = ["indicator_id", "area_code", "period_year", "reason"]
    reasons = facts["suppression_reason"].astype("string").fillna("")
    small = reasons.str.startswith(_SMALL).to_numpy()
    if indicators is not None:
        roles = count_roles(indicators)
    else:
        ids = facts.loc[small, "indicator_id"].unique()
        den = facts.groupby("indicator_id")["denominator"].apply(lambda s: s.isna().all())
        roles = {
            i: CountRoles(count=i, is_count=bool(den.get(i, True)), denominator=None) for i in ids
        }
    refs = _references(facts, roles)
    if refs.empty:
        return pd.DataFrame(columns=columns)
    refs["small"] = small[refs["row"].to_numpy()]
    refs["shown"] = refs["count"].notna()
    cells = refs.groupby(["label", "area_code", "period_year"], sort=True).agg(
        shown=("shown", "any"), small=("small", "any")
    )
    shown = set(cells.index[cells["shown"]])
    secret = set(cells.index[cells["small"] & ~cells["shown"]])
    found: list[dict] = []
    # A row suppressed for small numbers while every count it stands for is published elsewhere.
    by_row = refs.groupby("row")
    for r, g in by_row:
        if not small[r]:
            continue
        keys = list(zip(g["label"], g["area_code"], g["period_year"], strict=True))
        if all(k in shown for k in keys):
            found.append(
                {
                    "indicator_id": facts.at[r, "indicator_id"],
                    "area_code": facts.at[r, "area_code"],
                    "period_year": int(facts.at[r, "period_year"]),
                    "reason": "hetzelfde aantal staat onverhuld in een andere indicator",
                }
            )
    rels = relations(areas)
    by_group: dict[tuple[str, int], list[str]] = defaultdict(list)
    for label, area, year in cells.index:
        by_group[(label, int(year))].append(area)
    determined: set[Cell] = set()
    for (label, year), group in by_group.items():
        group_secret = {a for a in group if (label, a, year) in secret}
        if not group_secret:
            continue
        published = {a for a in group if (label, a, year) in shown}
        for a in determined_cells(rels, published, group_secret):
            determined.add((label, a, year))
    if determined:
        hit = refs[
            [
                (lab, a, int(y)) in determined
                for lab, a, y in zip(
                    refs["label"], refs["area_code"], refs["period_year"], strict=True
                )
            ]
            & refs["small"].to_numpy()
        ]
        for r in sorted(set(hit["row"])):
            found.append(
                {
                    "indicator_id": facts.at[r, "indicator_id"],
                    "area_code": facts.at[r, "area_code"],
                    "period_year": int(facts.at[r, "period_year"]),
                    "reason": "terug te rekenen uit gepubliceerde gebieden (optellen/aftrekken)",
                }
            )
    out = pd.DataFrame(found, columns=columns).drop_duplicates(
        ["indicator_id", "area_code", "period_year"]
    )
    return out.sort_values(["indicator_id", "period_year", "area_code"]).reset_index(drop=True)


def small_counts(
    facts: pa.Table | pd.DataFrame, indicators: pd.DataFrame, min_count: int
) -> pd.DataFrame:
    """Published counts of municipal person-level data below `min_count`: indicator_id,
    area_code, period_year, column ('numerator'/'value' or 'denominator'). Empty when none."""
    frame = _to_pandas(facts).reset_index(drop=True)
    refs = _references(frame, count_roles(indicators))
    bad = refs[refs["count"].notna() & (refs["count"] < min_count)]
    rows = frame.loc[bad["row"], ["indicator_id", "area_code", "period_year"]].reset_index(
        drop=True
    )
    rows["column"] = np.where(bad["role"].to_numpy() == "denominator", "denominator", "numerator")
    return rows.drop_duplicates().reset_index(drop=True)
