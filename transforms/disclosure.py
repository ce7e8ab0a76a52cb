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
  "personen met PW-uitkering" or `school.verzuim_per_1000`'s "leerplichtigen";
- its *complement*, when it is a share (unit `%`) of such a municipal count: the numerator is a
  part of the denominator, so denominator - numerator is a count of people as well (10 of 14
  long-term tells that 4 are not). It is published whenever a row shows both.
A count is identified by its catalogue text (numerator/denominator, case and spacing ignored),
so "personen met PW-uitkering" is one count whether it is published as `werk.bijstand_personen`,
as the numerator of `werk.bijstand_per_1000` or as the denominator of
`werk.bijstand_langdurig_pct`; a decision about that count (area x year) applies to every row
that shows it. A count indicator with no numerator text is its own count.

Rules, per group of linked counts x period (a count on its own, or a denominator with its shares'
numerators and complements, linked by denominator = numerator + complement in every area):
- primary: a count (complement included) below `min_count` is suppressed. Zero is below the
  threshold and is suppressed too: "nobody in this buurt" is itself a statement about the people
  there, and publishing 0 while hiding 1-9 would tell the reader a hidden cell holds at least
  one person;
- secondary: the areas form additive relations (a wijk = its buurten, the gemeente = its wijken,
  a focus or programme area = its members). While one relation has exactly one hidden cell and
  that cell is suppressed, the smallest published part of that relation is suppressed as well
  (or, when the hidden cell is the total, the smallest part). Then an exact check over all
  relations together (linear algebra: is the cell determined by the published ones?) catches
  what that rule misses, e.g. a focus area recovered as wijk minus its other buurten; the cell
  that resolves it is suppressed, preferring buurten and small counts;
- interval audit (as statistical offices do it, e.g. tau-ARGUS): counts are non-negative, so a
  hidden cell that cannot be worked out exactly can still be narrowed (buurten of 0 and 1 in a
  wijk of 12 with a published buurt of 11: together they hold 1). For every hidden cell the
  smallest and largest value it can take given the published cells, the relations and x >= 0
  are two linear programmes (HiGHS); a cell is safe when that range is at least
  `protection_interval` wide. While a cell is not, one more published cell is suppressed (the
  cheapest that makes it safe: lower levels and small counts first). Repeat until stable;
- a row is suppressed (value, numerator AND denominator cleared) when any count it shows is
  suppressed. The public reason is always `kleine aantallen`: what is published must not tell a
  cell below the threshold from one hidden to protect it. The distinction (primair, secundair,
  complement) goes to the restricted store only. A count hidden only as a side effect (the
  numerator of a rate whose denominator was suppressed) is then protected like a secondary
  cell, so that it cannot be recovered or narrowed either.

Pooled figures (issue 12, transforms/pooling.py): a three-year figure of a count in a focus or
programme area is a cell of its own (label `<count> [start-end]`, period_year = its last year)
with one more relation, across years: pooled(area) = single(area, y1) + single(area, y2) +
single(area, y3). A family of counts with pooled cells is therefore audited as one group over
all its years (key (family, ACROSS_YEARS), cells ((label, year), area)); families without them
keep one group per year. A pooled figure gives way first: it only stands in for single years.

`protect` returns a `ProtectionResult`. The independent checks, used by the tests and by the
exporter before anything leaves the warehouse, work from the published cells alone:
`recoverable_cells` (exact recovery), `interval_audit` (ranges too narrow) and `small_counts`
(published counts, complements included, below the threshold)."""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.linalg
from scipy.sparse import csc_array

from transforms.catalogue import SMALL_COUNTS

REASON_SMALL = "kleine aantallen"  # the one public reason for every cell hidden here
REASON_PRIMARY = REASON_SMALL
_SMALL = "kleine aantallen"  # prefix of the reason (older warehouses: "... (secundair)")
# Why a cell or row was hidden: for the restricted store only, never published.
KIND_PRIMARY = "primair"  # below the threshold
KIND_COMPLEMENT = "complement"  # a share's complement below the threshold
KIND_SECONDARY = "secundair"  # hidden so that another cell cannot be recovered or narrowed
# Lower levels first: a buurt is the cheapest cell to give up, the gemeente the dearest.
_LEVEL_RANK = {"buurt": 0, "wijk": 1, "focus": 2, "programme": 3, "gemeente": 4, "land": 5}
_TOL = 1e-9
_LP_TOL = 1e-6
_MAX_TRIES = 4  # candidate cells tested per unresolved target
_MAX_POINTS = 48  # feasible points kept per group to settle cells without LPs  # counts are whole numbers; LP bounds are compared with this slack

Cell = tuple[str, str, int]  # (count label, area_code, period_year)
# pooled count label -> (count label, its years): a pooled cell is the sum of those single years
Windows = dict[str, tuple[str, tuple[int, ...]]]
ACROSS_YEARS = 0  # the period of a group that holds every year of a family (pooled figures)
Relation = tuple[Hashable, tuple[Hashable, ...]]  # (total, parts): areas, or (label, area)
Point = dict[Hashable, float]  # one assignment of values to hidden cells


@dataclass(frozen=True)
class CountRoles:
    """The counts one subject indicator shows: `count` in its numerator (or value), a
    municipal count in its denominator (`denominator` None when that is not one), and for a
    share of that count its `complement` (denominator - numerator; None otherwise)."""

    count: str
    is_count: bool
    denominator: str | None
    complement: str | None = None


@dataclass
class ProtectionResult:
    """What `protect` gives back.

    protected: all fact rows (same columns, same order) with the hidden cells cleared and the
    one public reason `kleine aantallen`;
    restricted: the original version of every changed row, plus `disclosure_kind` (primair,
    secundair, complement): for the restricted store, never published;
    audit: one row per hidden count cell: count_label, area_code, period_year, value (the true
    count), lower, upper, width (upper - lower, inf when unbounded), safe, disclosure_kind.
    Restricted too: it holds the true counts."""

    protected: pd.DataFrame
    restricted: pd.DataFrame
    audit: pd.DataFrame
    pooled: pd.DataFrame | None = None  # the pooled figures given, protected alike


AUDIT_COLUMNS = [
    "count_label",
    "area_code",
    "period_year",
    "value",
    "lower",
    "upper",
    "width",
    "safe",
    "disclosure_kind",
]


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _label(text: str) -> str:
    return " ".join(text.lower().split())


def subject_indicators(indicators: pd.DataFrame) -> pd.DataFrame:
    """The rows of `indicators` (dim_indicator) whose catalogue entry says small counts are
    suppressed (`disclosure = "kleine aantallen"`: counts from municipal person-level data)."""
    return indicators[(indicators["disclosure"] == SMALL_COUNTS).fillna(False).astype(bool)]


def count_roles(indicators: pd.DataFrame) -> dict[str, CountRoles]:
    """indicator_id -> the counts its rows show, for every subject indicator."""
    out: dict[str, CountRoles] = {}
    for row in subject_indicators(indicators).itertuples(index=False):
        numerator, denominator = _text(row.numerator), _text(row.denominator)
        unit = _text(row.unit).strip()
        is_count = not denominator.strip() or unit == "aantal"
        count = _label(numerator) or row.indicator_id
        den = comp = None
        if not is_count and denominator.strip() and "cbs" not in denominator.lower():
            den = _label(denominator)
            if unit == "%" and den != count:
                # A share: the numerator is a part of the denominator; the rest is a count too.
                comp = f"{den} min {count}"
        out[row.indicator_id] = CountRoles(
            count=count, is_count=is_count, denominator=den, complement=comp
        )
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


def pooled_label(label: str, start: int, end: int) -> str:
    """The count label of a pooled figure: the count over the years start..end."""
    return f"{label} [{start}-{end}]"


def _with_pooled(
    facts: pd.DataFrame, roles: dict[str, CountRoles], pooled: pd.DataFrame | None
) -> tuple[pd.DataFrame, dict[str, CountRoles], Windows]:
    """`facts` with the pooled figures appended as fact rows of their own (indicator_id
    `<indicator> [start-end]`, period_year = the window's last year, value = the pooled count),
    the roles extended with their counts, and the windows that tie them to the single years.
    Rows of a pooled indicator without a role of its own are left out."""
    if pooled is None or len(pooled) == 0:
        return facts, roles, {}
    pooled = pooled[pooled["indicator_id"].isin(list(roles))]
    roles = dict(roles)
    windows: Windows = {}
    ids = []
    for indicator, start, end in zip(
        pooled["indicator_id"], pooled["window_start"], pooled["window_end"], strict=True
    ):
        start, end = int(start), int(end)
        pid = pooled_label(indicator, start, end)
        label = pooled_label(roles[indicator].count, start, end)
        roles[pid] = CountRoles(count=label, is_count=True, denominator=None)
        windows[label] = (roles[indicator].count, tuple(range(start, end + 1)))
        ids.append(pid)
    rows = pd.DataFrame(
        {
            "indicator_id": ids,
            "area_code": pooled["area_code"].astype(str).to_numpy(),
            "period_year": pooled["window_end"].astype("int64").to_numpy(),
            "value": pd.to_numeric(pooled["value"], errors="coerce").astype("float64").to_numpy(),
            "numerator": np.nan,
            "denominator": np.nan,
            "suppressed": pooled["suppressed"].astype(bool).to_numpy(),
            "suppression_reason": pooled["suppression_reason"].astype("string").to_numpy(),
        }
    )
    return pd.concat([facts, rows], ignore_index=True), roles, windows


def _references(facts: pd.DataFrame, roles: dict[str, CountRoles]) -> pd.DataFrame:
    """One row per (fact row, count it shows): row, role (count, denominator, complement),
    label, area_code, period_year, count (NaN when the row does not show it)."""
    sub = facts[facts["indicator_id"].isin(list(roles))]
    if sub.empty:
        return pd.DataFrame(
            columns=["row", "role", "label", "area_code", "period_year", "count"]
        ).astype({"row": "int64", "count": "float64"})
    is_count = sub["indicator_id"].map({k: v.is_count for k, v in roles.items()}).astype(bool)
    numerator = pd.to_numeric(sub["numerator"], errors="coerce").astype("float64")
    denominator = pd.to_numeric(sub["denominator"], errors="coerce").astype("float64")
    value = pd.to_numeric(sub["value"], errors="coerce").astype("float64")
    count = numerator.where(numerator.notna(), value.where(is_count))

    def part(role: str, labels: pd.Series, values: pd.Series) -> pd.DataFrame:
        keep = labels.notna()
        return pd.DataFrame(
            {
                "row": sub.index[keep],
                "role": role,
                "label": labels[keep],
                "area_code": sub["area_code"][keep].astype(str),
                "period_year": sub["period_year"][keep].astype(int),
                "count": values[keep],
            }
        )

    def labels(attr: str) -> pd.Series:
        return sub["indicator_id"].map({k: getattr(v, attr) for k, v in roles.items()})

    frames = [
        part("count", labels("count"), count),
        part("denominator", labels("denominator"), denominator),
        # NaN unless the row shows both figures.
        part("complement", labels("complement"), denominator - numerator),
    ]
    return pd.concat([f for f in frames if len(f)], ignore_index=True)


def _links(roles: dict[str, CountRoles]) -> list[tuple[str, str, str]]:
    """(denominator, numerator, complement) labels of every share: in every area the
    denominator is the numerator plus the complement."""
    return sorted(
        {(r.denominator, r.count, r.complement) for r in roles.values() if r.complement}  # type: ignore[misc]
    )


def _families(labels: Iterable[str], links: list[tuple[str, str, str]]) -> dict[str, tuple]:
    """label -> the sorted labels it is linked with (through shares), itself included."""
    parent = {lab: lab for lab in labels}
    for link in links:
        for lab in link:
            parent.setdefault(lab, lab)

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for den, num, comp in links:
        parent[root(num)] = root(den)
        parent[root(comp)] = root(den)
    members: dict[str, list[str]] = defaultdict(list)
    for lab in parent:
        members[root(lab)].append(lab)
    return {lab: tuple(sorted(members[root(lab)])) for lab in parent}


def _group_relations(
    area_rels: list[Relation],
    family: tuple[str, ...],
    links: list[tuple[str, str, str]],
    present: set[tuple[str, str]],
) -> list[Relation]:
    """The relations between the (label, area) cells of one family x period that touch a cell
    in `present`: the area relations per label, then denominator = numerator + complement per
    area where the complement occurs."""
    out: list[Relation] = []
    for lab in family:
        for total, parts in area_rels:
            rel = ((lab, total), tuple((lab, p) for p in parts))
            if rel[0] in present or any(p in present for p in rel[1]):
                out.append(rel)
    for den, num, comp in links:
        if comp in family:
            areas = sorted(a for lab, a in present if lab == comp)
            out += [((den, a), ((num, a), (comp, a))) for a in areas]
    return out


def _system(
    rels: list[Relation], idx: dict[Hashable, int], published: dict[Hashable, float] | None = None
) -> tuple[list[tuple[list[int], list[float], float]], dict[int, list[int]]]:
    """The relations as rows over the hidden cells `idx` (cell -> column): (columns,
    coefficients, right-hand side: minus the published cells' share, 0 without `published`),
    rows without a hidden cell left out; and the connected sets of hidden cells (root ->
    columns), each solvable on its own."""
    rows: list[tuple[list[int], list[float], float]] = []
    parent = list(range(len(idx)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for total, parts in rels:
        cols: list[int] = []
        coefs: list[float] = []
        const = 0.0
        for cell, coef in ((total, 1.0), *((p, -1.0) for p in parts)):
            if cell in idx:
                cols.append(idx[cell])
                coefs.append(coef)
            elif published is not None:
                const += coef * published[cell]
        if not cols:
            continue
        rows.append((cols, coefs, -const))
        for c in cols[1:]:
            parent[root(c)] = root(cols[0])
    comps: dict[int, list[int]] = defaultdict(list)
    for i in range(len(idx)):
        comps[root(i)].append(i)
    return rows, comps


# The same connected set of hidden cells recurs in every round of secondary suppression (only
# the sets around the newly hidden cell change): its row-space norms are kept, by the cells
# and the relations among them.
_ROW_SPACE_CACHE: dict[tuple, np.ndarray] = {}
_ROW_SPACE_CACHE_SIZE = 20_000


def _row_space_norms(cells: tuple, system: tuple) -> np.ndarray:
    """|projection of e_j on the row space of the relation matrix|^2 for each cell j of one
    connected set (`system`: per relation the local columns and their coefficients)."""
    key = (cells, system)
    found = _ROW_SPACE_CACHE.get(key)
    if found is not None:
        return found
    a = np.zeros((max(1, len(system)), len(cells)))
    for r, (cols, coefs) in enumerate(system):
        for c, v in zip(cols, coefs, strict=True):
            a[r, c] += v
    # Cell j follows from the published cells iff e_j lies in the row space of `a`. A pivoted
    # QR of a^T gives an orthonormal basis of that space (several times cheaper than an SVD);
    # an all-zero matrix has rank 0: nothing can be worked out.
    q, tri, _ = scipy.linalg.qr(a.T, mode="economic", pivoting=True)
    d = np.abs(np.diag(tri))
    rank = int((d > _TOL * max(1.0, float(d.max(initial=0.0)))).sum())
    norms = (q[:, :rank] ** 2).sum(axis=1)
    if len(_ROW_SPACE_CACHE) >= _ROW_SPACE_CACHE_SIZE:
        _ROW_SPACE_CACHE.clear()
    _ROW_SPACE_CACHE[key] = norms
    return norms


def _null_space_zero(rels: list[Relation], hidden: list, targets: list | None = None) -> list:
    """Of `targets` (default: all hidden cells), those whose value follows from the published
    ones through `rels`: cell j is determined iff every solution of the homogeneous system
    over the hidden cells has x_j = 0. Solved per connected set of hidden cells."""
    idx = {a: i for i, a in enumerate(hidden)}
    targets = [t for t in (hidden if targets is None else targets) if t in idx]
    rows, comps = _system(rels, idx)
    root_of = {i: key for key, members in comps.items() for i in members}
    rows_of: dict[int, list] = defaultdict(list)
    for row in rows:
        rows_of[root_of[row[0][0]]].append(row)
    found = []
    nulls: dict[int, tuple[dict[int, int], np.ndarray]] = {}
    for t in targets:
        key = root_of[idx[t]]
        if key not in nulls:
            members = comps[key]
            local = {g: k for k, g in enumerate(members)}
            system = tuple(
                (tuple(local[c] for c in cols), tuple(coefs)) for cols, coefs, _ in rows_of[key]
            )
            nulls[key] = (local, _row_space_norms(tuple(hidden[g] for g in members), system))
        local, inside = nulls[key]
        # |projection of e_j on the row space|^2 is 1 for a determined cell.
        if 1.0 - inside[local[idx[t]]] < 1e-12:
            found.append(t)
    return found


def _cells_of(rels: list[Relation]) -> set:
    out: set = set()
    for total, parts in rels:
        out.add(total)
        out.update(parts)
    return out


def determined_cells(rels: list[Relation], published: set, secret: set) -> list:
    """Secret cells of one group that can be worked out from the published cells."""
    hidden = sorted(_cells_of(rels) - published)
    return _null_space_zero(rels, hidden, sorted(secret & set(hidden)))


# --- interval audit ---------------------------------------------------------------------------


def _quiet_highs() -> highspy.Highs:
    """A silent HiGHS instance (its constructor prints a banner on the C stdout)."""
    sys.stdout.flush()
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        solver = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
    solver.silent()
    solver.setOptionValue("presolve", "off")  # tiny models, solved many times with a warm start
    return solver


def ranges(
    rels: list[Relation],
    published: dict[Hashable, float],
    targets: Iterable[Hashable],
    width: float | None = None,
    points: list[Point] | None = None,
    fill: dict[Hashable, float] | None = None,
) -> dict[Hashable, tuple[float, float]]:
    """The smallest and largest value each hidden cell in `targets` can take, given the
    `published` values, the relations `rels` (total = sum of parts) and x >= 0.

    Per connected set of hidden cells one LP model is built and solved for min and max of each
    target, changing only the objective (warm start). LPs are skipped where the answer is
    evident from feasible points already known (`points`: earlier solutions, the true values;
    a point lacking a cell takes it from `fill`, the value it had while it was published):
    a lower bound of 0 is reached when a known point has the cell at 0, an upper bound when a
    point reaches the cap that the published totals impose. With `width`, a cell whose known
    points already span `width` is settled without LPs (its range is then at least that wide,
    not exact). Unbounded above: +inf. New solutions are appended to `points`.

    Raises ValueError when the published values contradict the relations."""
    points = [] if points is None else points
    fill = fill or {}
    hidden = sorted(_cells_of(rels) - published.keys(), key=repr)
    idx = {c: i for i, c in enumerate(hidden)}
    targets = [t for t in targets if t in idx]
    if not targets:
        return {}
    rows, comps = _system(rels, idx, published)
    root_of = {i: key for key, members in comps.items() for i in members}
    # Caps from the published totals: a part is at most its total minus the published parts.
    cap = np.full(len(hidden), np.inf)
    steps = []
    for total, parts in rels:
        hidden_parts = [idx[p] for p in parts if p in idx]
        if hidden_parts:
            rest = sum(published[p] for p in parts if p in published)
            steps.append((published.get(total, np.nan), idx.get(total), rest, hidden_parts))
    for _ in range(len(rels) + 1):
        changed = False
        for top, total, rest, hidden_parts in steps:
            top = cap[total] if total is not None else top
            if np.isinf(top):
                continue
            for p in hidden_parts:
                if top - rest < cap[p] - _LP_TOL:
                    cap[p] = top - rest
                    changed = True
        if not changed:
            break
    wanted: dict[int, list[int]] = defaultdict(list)
    for t in targets:
        wanted[root_of[idx[t]]].append(idx[t])
    out: dict[Hashable, tuple[float, float]] = {}
    for key, target_ids in wanted.items():
        comp = _Component(rows, [hidden[g] for g in comps[key]], comps[key], points, fill)
        for g in target_ids:
            out[hidden[g]] = comp.range(comp.local[g], cap[g], width)
    return out


class _Component:
    """A connected set of hidden cells: the values known points give them, and (built when
    first needed) the HiGHS model solved for min and max of one cell after another."""

    def __init__(self, rows, cells: list, members: list[int], points: list[Point], fill) -> None:
        self.rows, self.cells, self.points = rows, cells, points
        self.local = {g: k for k, g in enumerate(members)}
        self.lo = np.full(len(cells), np.inf)
        self.hi = np.full(len(cells), -np.inf)
        self.solver: highspy.Highs | None = None
        if points:
            # One matrix (points x cells) rather than an array per point: a large group has
            # thousands of small components, each seeing every known point.
            xs = np.array(
                [[point.get(c, fill.get(c, np.nan)) for c in cells] for point in points],
                dtype="float64",
            ).reshape(len(points), len(cells))
            xs = xs[~np.isnan(xs).any(axis=1)]
            if len(xs):
                self._see(xs.min(axis=0))
                self._see(xs.max(axis=0))

    def _see(self, x: np.ndarray) -> None:
        np.minimum(self.lo, x, out=self.lo)
        np.maximum(self.hi, x, out=self.hi)

    def solve(self, k: int, sense: float) -> float:
        if self.solver is None:
            self.solver = _component_model(self.rows, self.local, len(self.cells))
        solver = self.solver
        solver.changeColCost(k, sense)
        solver.run()
        status = solver.getModelStatus()
        if status == highspy.HighsModelStatus.kNotset:
            # Seen after a warm start: solve that objective again from scratch.
            solver.clearSolver()
            solver.run()
            status = solver.getModelStatus()
        solver.changeColCost(k, 0.0)
        unbounded = status == highspy.HighsModelStatus.kUnbounded or (
            status == highspy.HighsModelStatus.kUnboundedOrInfeasible and np.isfinite(self.lo).all()
        )
        if unbounded and sense < 0:
            return np.inf
        if status != highspy.HighsModelStatus.kOptimal:
            raise ValueError(
                "the published figures contradict the area relations around "
                f"{self.cells[k]!r} ({solver.modelStatusToString(status)})"
            )
        x = np.asarray(solver.getSolution().col_value, dtype="float64")
        self._see(x)
        self.points.append(dict(zip(self.cells, x.tolist(), strict=True)))
        if len(self.points) > _MAX_POINTS:
            del self.points[1]  # the oldest solution; the first point is the true values
        return float(x[k])

    def range(self, k: int, cap: float, width: float | None) -> tuple[float, float]:
        lo, hi = self.lo, self.hi
        if width is not None and hi[k] - lo[k] >= width - _LP_TOL:
            return float(lo[k]), float(hi[k])
        lower = 0.0 if lo[k] <= _LP_TOL else max(0.0, self.solve(k, 1.0))
        if width is not None and hi[k] - lower >= width - _LP_TOL:
            return lower, float(hi[k])
        reached = np.isfinite(cap) and hi[k] >= cap - _LP_TOL
        return lower, float(cap) if reached else self.solve(k, -1.0)


def _component_model(
    rows: list[tuple[list[int], list[float], float]], local: dict[int, int], n: int
) -> highspy.Highs:
    """A HiGHS model over the `n` cells of one component: its equality rows, x >= 0."""
    r_idx, c_idx, vals, rhs = [], [], [], []
    for cols, coefs, b in rows:
        if cols[0] not in local:
            continue
        r = len(rhs)
        rhs.append(b)
        for c, v in zip(cols, coefs, strict=True):
            r_idx.append(r)
            c_idx.append(local[c])
            vals.append(v)
    matrix = csc_array((vals, (r_idx, c_idx)), shape=(len(rhs), n))
    matrix.sum_duplicates()
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(rhs)
    lp.col_cost_ = np.zeros(n)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.full(n, highspy.kHighsInf)
    lp.row_lower_ = np.array(rhs, dtype="float64")
    lp.row_upper_ = np.array(rhs, dtype="float64")
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    solver = _quiet_highs()
    solver.passModel(lp)
    return solver


def _unsafe(found: dict[Hashable, tuple[float, float]], width: float) -> list:
    return [c for c, (lo, hi) in found.items() if hi - lo < width - _LP_TOL]


# --- protection ---------------------------------------------------------------------------------


def _protect_group(
    rels: list[Relation],
    counts: dict[Hashable, float],
    published: set,
    secret: set,
    order: Callable[[Hashable], tuple],
    width: float,
    points: list[Point],
    safe: set,
) -> set:
    """Secondary suppression for one group x period; returns the newly suppressed cells.
    `published` and `secret` are updated in place; `points` collects feasible assignments;
    `safe` holds the cells whose range is known to be wide enough (hiding more cells only
    widens ranges, so a safe cell stays safe)."""
    added: set = set()
    rels = [r for r in rels if ({r[0], *r[1]} & (published | secret))]

    def suppress(cell: Hashable) -> None:
        published.discard(cell)
        secret.add(cell)
        added.add(cell)

    def values(cells: set) -> dict[Hashable, float]:
        return {c: counts[c] for c in cells}

    while True:
        changed = False
        for total, parts in rels:
            hidden = [c for c in (total, *parts) if c not in published]
            if len(hidden) != 1 or hidden[0] not in secret:
                continue
            options = sorted((p for p in parts if p in published), key=order)
            # The total when no part is left, or when it is a pooled figure: that gives way
            # before the single years it adds up (order puts pooled cells first).
            pooled_total = not order(total)[0]
            if total in published and (not options or pooled_total):
                options = [total]
            if options:
                suppress(options[0])
                changed = True
        if changed:
            continue
        near_of = _neighbours(rels, published, order)
        anywhere = sorted(_cells_of(rels) & published, key=order)
        found = determined_cells(rels, published, secret)
        if found:
            target = min(found, key=order)

            def resolves(candidate: Hashable, target=target) -> bool:
                hidden = sorted(_cells_of(rels) - (published - {candidate}))
                return target not in _null_space_zero(rels, hidden, [target])

        elif width > 0:
            audit = ranges(rels, values(published), secret - safe, width, points, counts)
            unsafe = _unsafe(audit, width)
            safe |= audit.keys() - set(unsafe)
            if not unsafe:
                return added
            target = min(unsafe, key=order)

            def resolves(candidate: Hashable, target=target) -> bool:
                rest = values(published - {candidate})
                got = ranges(rels, rest, [target], width, points, counts)
                return not _unsafe(got, width)

        else:
            return added
        near = near_of(target)
        options = [*near, *(c for c in anywhere if c not in near)]
        # The cheapest option that resolves it; beyond the first few, just the cheapest near
        # one (the loop comes back until the target is resolved).
        choice = next((c for c in options[:_MAX_TRIES] if resolves(c)), None)
        if choice is None:
            choice = (near or anywhere or [None])[0]
        if choice is None:
            return added  # nothing left to give up; the checkers report what remains
        suppress(choice)


def _neighbours(
    rels: list[Relation], published: set, order: Callable[[Hashable], tuple]
) -> Callable[[Hashable], list]:
    """cell -> the published cells that share a relation with it, cheapest first, then those
    sharing a relation with a hidden cell it is linked to."""

    def near(target: Hashable) -> list:
        touching = [r for r in rels if target in (r[0], *r[1])]
        first = {c for t, ps in touching for c in (t, *ps) if c in published}
        linked = {c for t, ps in touching for c in (t, *ps) if c not in published}
        second = {
            c
            for t, ps in rels
            if linked & {t, *ps}
            for c in (t, *ps)
            if c in published and c not in first
        }
        return [*sorted(first, key=order), *sorted(second, key=order)]

    return near


def _cell_order(
    level: dict[str, str], counts: dict[Hashable, float], windows: Windows | None = None
) -> Callable:
    """The cost of giving up a (label, area) cell: a pooled figure first (it only stands in
    for single years), then level (a buurt is the cheapest), then its count."""
    windows = windows or {}

    def order(cell: Hashable) -> tuple:
        label = cell[0][0] if isinstance(cell[0], tuple) else cell[0]
        rank = _LEVEL_RANK.get(level.get(cell[1], ""), 9)
        return (label not in windows, rank, counts.get(cell, np.inf), cell)

    return order


def _cells_by_group(
    cells: Iterable[Cell], links: list[tuple[str, str, str]], windows: Windows | None = None
) -> dict[tuple[tuple[str, ...], int], list[Cell]]:
    """(family of linked labels, period_year) -> its cells. A family with pooled figures
    (`windows`: pooled label -> (count label, years)) is one group over all its years, key
    (family, ACROSS_YEARS): the pooled cells tie the years together."""
    cells = list(cells)
    windows = windows or {}
    tied = [(base, pooled, pooled) for pooled, (base, _) in windows.items()]
    families = _families({c[0] for c in cells}, [*links, *tied])
    across = {families[p] for p in windows if p in families}
    out: dict[tuple[tuple[str, ...], int], list[Cell]] = defaultdict(list)
    for c in cells:
        family = families[c[0]]
        out[(family, ACROSS_YEARS if family in across else c[2])].append(c)
    return out


def _inner(cell: Cell, key: tuple) -> Hashable:
    """The cell as the LP of its group knows it: (label, area) within one year; across years
    ((label, period_year), area)."""
    return ((cell[0], cell[2]), cell[1]) if key[1] == ACROSS_YEARS else (cell[0], cell[1])


def _outer(inner: Hashable, key: tuple) -> Cell:
    """`_inner` undone."""
    if key[1] == ACROSS_YEARS:
        return (inner[0][0], inner[1], inner[0][1])  # type: ignore[index]
    return (inner[0], inner[1], key[1])  # type: ignore[index]


def _relations_of(
    key: tuple,
    group: list[Cell],
    area_rels: list[Relation],
    links: list[tuple[str, str, str]],
    windows: Windows,
) -> list[Relation]:
    """The relations of one group: within a year those of `_group_relations`; across years
    those of every year, plus pooled(area) = single(area, y1) + ... for every pooled cell."""
    family = key[0]
    if key[1] != ACROSS_YEARS:
        return _group_relations(area_rels, family, links, {(c[0], c[1]) for c in group})
    present = {_inner(c, key) for c in group}
    singles = tuple(sorted({(c[0], c[2]) for c in group if c[0] not in windows}))
    years = sorted({y for _, y in singles})
    yearly = [
        ((den, y), (num, y), (comp, y)) for y in years for den, num, comp in links if comp in family
    ]
    out = _group_relations(area_rels, singles, yearly, present)
    for c in group:
        if c[0] in windows:
            base, span = windows[c[0]]
            out.append((_inner(c, key), tuple(((base, y), c[1]) for y in span)))
    return out


def _empty_audit() -> pd.DataFrame:
    return pd.DataFrame(columns=AUDIT_COLUMNS)


def protect(
    facts: pa.Table | pd.DataFrame,
    areas: pd.DataFrame,
    indicators: pd.DataFrame,
    min_count: int,
    protection_interval: float | None = None,
    pooled: pd.DataFrame | None = None,
) -> ProtectionResult:
    """Apply primary and secondary suppression and the interval audit to the municipal counts
    in `facts`.

    facts: fact_indicator rows (indicator_id, area_code, period_year, value, numerator,
    denominator, suppressed, suppression_reason, ...); areas: dim_area rows (area_code,
    area_level, parent_code, members); indicators: dim_indicator rows (indicator_id, formula,
    source, unit, numerator, denominator); protection_interval: the narrowest range a hidden
    cell may be pinned down to (default `min_count`); pooled: three-year figures
    (transforms.pooling: indicator_id, area_code, window_start, window_end, value, suppressed,
    suppression_reason), protected together with the single years they add up: a pooled
    figure minus published single years must not give away or narrow a hidden one. Returned,
    protected, as `ProtectionResult.pooled`."""
    width = float(min_count if protection_interval is None else protection_interval)
    singles = _to_pandas(facts).reset_index(drop=True)
    n_facts = len(singles)
    original, roles, windows = _with_pooled(singles, count_roles(indicators), pooled)
    pooled = None if pooled is None else pooled.reset_index(drop=True)
    refs = _references(original, roles)
    if refs.empty:
        return ProtectionResult(
            singles.copy(), singles.iloc[0:0].assign(disclosure_kind=""), _empty_audit(), pooled
        )
    area_rels = relations(areas)
    level = dict(zip(areas["area_code"], areas["area_level"], strict=True))
    links = _links(roles)
    complements = {r.complement for r in roles.values() if r.complement}

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
    row_cells: dict[int, list[Cell]] = defaultdict(list)
    for r, lab, a, y in zip(
        refs["row"], refs["label"], refs["area_code"], refs["period_year"], strict=True
    ):
        row_cells[int(r)].append((str(lab), str(a), int(y)))
    groups = _cells_by_group(counts, links, windows)
    group_of = {c: key for key, group in groups.items() for c in group}
    # Feasible points per group, starting with the true values: LPs are skipped where these
    # already show a cell is safe.
    points: dict[tuple, list[Point]] = {}
    for key, group in groups.items():
        true = {_inner(c, key): counts[c] for c in group if not np.isnan(counts[c])}
        points[key] = [true]
    safe: dict[tuple, set] = defaultdict(set)

    def group_state(key: tuple) -> tuple[list[Relation], dict, set, set]:
        group = groups[key]
        gcounts = {_inner(c, key): counts[c] for c in group}
        published = {_inner(c, key) for c in group if c in exposed and c not in secret}
        hidden = {_inner(c, key) for c in group if c in secret}
        rels = _relations_of(key, group, area_rels, links, windows)
        return rels, gcounts, published, hidden

    dirty = set(groups)
    while True:
        for key in sorted(dirty):
            rels, gcounts, published, hidden = group_state(key)
            if not hidden:
                continue
            order = _cell_order(level, gcounts, windows)
            added = _protect_group(
                rels, gcounts, published, hidden, order, width, points[key], safe[key]
            )
            secret |= {_outer(c, key) for c in added}
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
        dirty = {group_of[c] for c in collateral}

    def kind(cell: Cell) -> str:
        if cell not in primary:
            return KIND_SECONDARY
        return KIND_COMPLEMENT if cell[0] in complements else KIND_PRIMARY

    audit_rows = []
    for key in sorted(groups):
        rels, gcounts, published, hidden = group_state(key)
        if not hidden:
            continue
        found = ranges(rels, {c: gcounts[c] for c in published}, hidden, None, points[key])
        for inner, (lo, hi) in found.items():
            cell = _outer(inner, key)
            audit_rows.append(
                (*cell, counts[cell], lo, hi, hi - lo, hi - lo >= width - _LP_TOL) + (kind(cell),)
            )
    audit = pd.DataFrame(audit_rows, columns=AUDIT_COLUMNS).sort_values(
        ["count_label", "period_year", "area_code"], ignore_index=True
    )

    rows = sorted(suppressed_rows)
    if pooled is not None:
        hidden_pooled = [r - n_facts for r in rows if r >= n_facts]
        pooled = _hide(pooled, hidden_pooled)
    rows = [r for r in rows if r < n_facts]
    if not rows:
        return ProtectionResult(
            singles.copy(), singles.iloc[0:0].assign(disclosure_kind=""), audit, pooled
        )
    kinds = {KIND_PRIMARY: 0, KIND_COMPLEMENT: 1, KIND_SECONDARY: 2}
    row_kind = [
        min((kind(c) for c in row_cells[r] if c in secret), key=kinds.get, default=KIND_SECONDARY)
        for r in rows
    ]
    before = singles.loc[rows]
    changed = (
        before["value"].notna()
        | before["numerator"].notna()
        | before["denominator"].notna()
        | ~before["suppressed"].astype(bool)
        | (before["suppression_reason"].astype("string").fillna("") != REASON_SMALL)
    ).to_numpy()
    restricted = before.assign(disclosure_kind=row_kind)[changed].copy()
    return ProtectionResult(_hide(singles, rows), restricted, audit, pooled)


def _hide(frame: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    """A copy of `frame` with `rows` cleared and suppressed for small numbers."""
    out = frame.copy()
    if rows:
        for col in ("value", "numerator", "denominator"):
            if col in out:
                out.loc[rows, col] = np.nan
        out.loc[rows, "suppressed"] = True
        out.loc[rows, "suppression_reason"] = REASON_SMALL
    return out


# --- independent checks on what is published ----------------------------------------------------


def _published_cells(
    facts: pd.DataFrame, roles: dict[str, CountRoles]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(refs, cells) of published `facts`: refs as `_references` plus `small` (the row is
    suppressed for small numbers) and `shown`; cells per (label, area_code, period_year): shown
    (some row shows it), count (what is shown), secret (hidden for small numbers, shown
    nowhere), indicator_id (the first indicator whose suppressed row stands for it)."""
    reasons = facts["suppression_reason"].astype("string").fillna("")
    small = reasons.str.startswith(_SMALL).to_numpy()
    refs = _references(facts, roles)
    refs["small"] = small[refs["row"].to_numpy()] if len(refs) else np.zeros(0, bool)
    refs["shown"] = refs["count"].notna()
    refs["indicator_id"] = facts["indicator_id"].to_numpy()[refs["row"].to_numpy()]
    refs["small_indicator"] = refs["indicator_id"].where(refs["small"])
    cells = refs.groupby(["label", "area_code", "period_year"], sort=True).agg(
        shown=("shown", "any"),
        small=("small", "any"),
        count=("count", "max"),
        indicator_id=("small_indicator", "min"),
    )
    cells["secret"] = cells["small"] & ~cells["shown"]
    return refs, cells


def _groups_of(
    cells: pd.DataFrame,
    roles: dict[str, CountRoles],
    area_rels: list[Relation],
    windows: Windows | None = None,
):
    """Per group with a secret cell: (group key, rels, published values, secret cells) with
    the cells as the group's LP knows them (`_inner`; `_outer` gives the Cell back)."""
    links = _links(roles)
    windows = windows or {}
    index = list(cells.index)
    shown = cells["shown"].to_numpy()
    secret = cells["secret"].to_numpy()
    count = cells["count"].to_numpy()
    where = {c: i for i, c in enumerate(index)}
    for key, group in sorted(_cells_by_group(index, links, windows).items()):
        hidden = {_inner(c, key) for c in group if secret[where[c]]}
        if not hidden:
            continue
        published = {_inner(c, key): float(count[where[c]]) for c in group if shown[where[c]]}
        yield key, _relations_of(key, group, area_rels, links, windows), published, hidden


def recoverable_cells(
    protected: pa.Table | pd.DataFrame,
    areas: pd.DataFrame,
    indicators: pd.DataFrame | None = None,
    pooled: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Cells suppressed for small numbers (`kleine aantallen...`) that can still be worked out
    from what is published: by subtraction within an indicator x period (any combination of
    the area relations), or because the same count is published under another indicator.

    Without `indicators`, every indicator with such a cell is checked on its own numerator
    (or value). With it, counts shared between indicators are checked together, as `protect`
    treats them, shares with their complements. With `pooled` (published three-year figures,
    needs `indicators`) the pooled cells and their relations to the single years count too;
    a hidden pooled cell is reported as indicator_id `<indicator> [start-end]`. Returns
    indicator_id, area_code, period_year, reason (Dutch); empty when nothing is
    recoverable."""
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
    facts, roles, windows = _with_pooled(facts, roles, pooled)
    reasons = facts["suppression_reason"].astype("string").fillna("")
    small = reasons.str.startswith(_SMALL).to_numpy()
    refs, cells = _published_cells(facts, roles)
    if refs.empty:
        return pd.DataFrame(columns=columns)
    shown = set(cells.index[cells["shown"]])
    found: list[dict] = []
    # A row suppressed for small numbers while every count it stands for is published elsewhere.
    is_shown = pd.Series(
        [
            k in shown
            for k in zip(refs["label"], refs["area_code"], refs["period_year"], strict=True)
        ],
        index=refs.index,
    )
    every_count_shown = is_shown.groupby(refs["row"]).all()
    for r in every_count_shown.index[every_count_shown.to_numpy()]:
        if not small[r]:
            continue
        found.append(
            {
                "indicator_id": facts.at[r, "indicator_id"],
                "area_code": facts.at[r, "area_code"],
                "period_year": int(facts.at[r, "period_year"]),
                "reason": "hetzelfde aantal staat onverhuld in een andere indicator",
            }
        )
    determined: set[Cell] = set()
    for key, rels, published, hidden in _groups_of(cells, roles, relations(areas), windows):
        for c in determined_cells(rels, set(published), hidden):
            determined.add(_outer(c, key))
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


INTERVAL_AUDIT_COLUMNS = [
    "indicator_id",
    "count_label",
    "area_code",
    "period_year",
    "lower",
    "upper",
    "width",
    "safe",
]


def interval_audit(
    published: pa.Table | pd.DataFrame,
    areas: pd.DataFrame,
    indicators: pd.DataFrame,
    protection_interval: float,
    pooled: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The interval audit from the published cells alone (no restricted values): for every
    count hidden for small numbers, the smallest and largest value it can take given every
    published count (complements of shares included), the area relations and x >= 0.

    Returns one row per hidden count cell: indicator_id (the first indicator whose suppressed
    row stands for it), count_label, area_code, period_year, lower, upper (inf when
    unbounded), width, safe (width >= protection_interval). With `pooled` (published
    three-year figures) their cells and pooled = sum of the single years are part of it: a
    hidden pooled cell has indicator_id `<indicator> [start-end]` and period_year its last
    year. Raises ValueError when the published counts contradict the area relations."""
    facts = _to_pandas(published).reset_index(drop=True)
    facts, roles, windows = _with_pooled(facts, count_roles(indicators), pooled)
    refs, cells = _published_cells(facts, roles)
    if refs.empty:
        return pd.DataFrame(columns=INTERVAL_AUDIT_COLUMNS)
    first = cells["indicator_id"].to_dict()
    out = []
    for key, rels, values, hidden in _groups_of(cells, roles, relations(areas), windows):
        for inner, (lo, hi) in ranges(rels, values, hidden).items():
            lab, area, year = _outer(inner, key)
            safe = hi - lo >= protection_interval - _LP_TOL
            out.append((first[(lab, area, year)], lab, area, year, lo, hi, hi - lo, safe))
    frame = pd.DataFrame(out, columns=INTERVAL_AUDIT_COLUMNS)
    return frame.sort_values(["count_label", "period_year", "area_code"], ignore_index=True)


def small_counts(
    facts: pa.Table | pd.DataFrame,
    indicators: pd.DataFrame,
    min_count: int,
    pooled: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Published counts of municipal person-level data below `min_count`: indicator_id,
    area_code, period_year, column ('numerator'/'value', 'denominator', or 'complement': the
    denominator minus the numerator of a share). Pooled figures (`pooled`) are checked too,
    as indicator_id `<indicator> [start-end]`. Empty when none."""
    frame = _to_pandas(facts).reset_index(drop=True)
    frame, roles, _ = _with_pooled(frame, count_roles(indicators), pooled)
    refs = _references(frame, roles)
    bad = refs[refs["count"].notna() & (refs["count"] < min_count)]
    rows = frame.loc[bad["row"], ["indicator_id", "area_code", "period_year"]].reset_index(
        drop=True
    )
    role = bad["role"].to_numpy()
    rows["column"] = np.where(role == "count", "numerator", role)
    return rows.drop_duplicates().reset_index(drop=True)
