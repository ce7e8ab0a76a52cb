"""Boundaries move while codes stay: find what changed between the years' geographies, and
the weights that restate a figure of an earlier year onto the reference year's areas.

An area is a code IN A YEAR. Between two consecutive years that both have boundaries, a real
geopandas overlay of the old and the new areas (per level: wijk, buurt) gives, for every pair
(old code, new code), the share of the old area that lies in the new one (`share_of_from`)
and the share of the new area that came from the old one (`share_of_to`).

- Generalisation noise: CBS draws the same line differently in different years (the 2016 and
  2023 wijk files of GM1916 differ by up to ~1.2% of an area along unchanged borders). A
  piece is kept only when it is at least NOISE_SHARE (3%) of the old OR of the new area.
- Unchanged: same code, one partner each way, and the overlap at least UNCHANGED_SHARE (97%)
  of both the old and the new area. Its figures are carried over EXACTLY (never re-weighted).
- Otherwise a link is `gesplitst` (the old area went to several new ones), `samengevoegd`
  (the new area came from several old ones), `code gewijzigd` (one to one, same place, a new
  code) or `grens gewijzigd` (one to one, the border moved). Codes that appear or disappear
  are listed too (`nieuw`, `vervallen`, with the other side NULL).

Weights: where the postcode-huisnummer crosswalks of both years are present, the same address
in both files gives the exact flow from old to new area (method `adressen`); otherwise the
overlay's area shares (method `oppervlakte`). Weights of one old area add up to 1 (forward)
and of one new area add up to 1 (backward), so restated counts keep their totals. Mappings of
consecutive years are chained to reach the reference year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd

from transforms.catalogue import Indicator

RD_NEW = "EPSG:28992"
NOISE_SHARE = 0.03
UNCHANGED_SHARE = 0.97
LEVELS = ("wijk", "buurt")

UNCHANGED = "ongewijzigd"
BORDER = "grens gewijzigd"
SPLIT = "gesplitst"
MERGED = "samengevoegd"
RECODED = "code gewijzigd"
NEW = "nieuw"
ENDED = "vervallen"

BY_AREA = "oppervlakte"
BY_ADDRESS = "adressen"

LINK_COLUMNS = [
    "from_year",
    "to_year",
    "area_level",
    "from_code",
    "to_code",
    "change_type",
    "share_of_from",
    "share_of_to",
    "method",
    "cbs_change_flag",
    "weight_forward",
    "weight_backward",
    "whole",
]
# What the published table `area_change` shows (no unchanged areas, no internal weights).
CHANGE_COLUMNS = LINK_COLUMNS[:10]
MAPPING_COLUMNS = ["geo_year", "area_level", "from_code", "to_code", "weight", "method", "whole"]


@dataclass
class Harmonisation:
    """Everything the restatement of earlier years needs, and what the warehouse shows."""

    reference_year: int
    links: pd.DataFrame  # LINK_COLUMNS, every consecutive pair of boundary years
    mapping: pd.DataFrame  # MAPPING_COLUMNS: each boundary year's areas -> reference areas
    linked_years: dict[str, list[int]]  # level -> years with a mapping to the reference

    @property
    def area_change(self) -> pd.DataFrame:
        """The published table: every change (unchanged areas left out)."""
        changed = self.links[self.links["change_type"] != UNCHANGED]
        return changed[CHANGE_COLUMNS].reset_index(drop=True)


# --- shares -------------------------------------------------------------------------------


def overlay_shares(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> pd.DataFrame:
    """from_code, to_code, share_of_from, share_of_to for every overlapping pair (RD New).

    old, new: area_code + geometry of one level in two years."""
    a = gpd.GeoDataFrame(
        {"from_code": old["area_code"].to_numpy()}, geometry=old.geometry.values, crs=old.crs
    ).to_crs(RD_NEW)
    b = gpd.GeoDataFrame(
        {"to_code": new["area_code"].to_numpy()}, geometry=new.geometry.values, crs=new.crs
    ).to_crs(RD_NEW)
    a = a.dissolve(by="from_code", as_index=False)
    b = b.dissolve(by="to_code", as_index=False)
    from_area = dict(zip(a["from_code"], a.geometry.area, strict=True))
    to_area = dict(zip(b["to_code"], b.geometry.area, strict=True))
    # An area with the same code and the very same boundary in both years (most of them) is
    # its own only overlap: the polygons of one year do not overlap, so no other area can
    # have a piece of it. Only the others go through the (costly) overlay.
    same = a[["from_code", "geometry"]].merge(
        b[["to_code", "geometry"]], left_on="from_code", right_on="to_code"
    )
    same = same.loc[
        same["geometry_x"].to_wkb().to_numpy() == same["geometry_y"].to_wkb().to_numpy(),
        "from_code",
    ]
    kept = pd.DataFrame({"from_code": same, "to_code": same})
    kept["piece"] = kept["from_code"].map(from_area)
    pieces = gpd.overlay(
        a[~a["from_code"].isin(same)], b[~b["to_code"].isin(same)], how="intersection",
        keep_geom_type=True,
    )  # fmt: skip
    pieces["piece"] = pieces.geometry.area
    pieces = pd.concat([pd.DataFrame(pieces[["from_code", "to_code", "piece"]]), kept])
    out = pd.DataFrame(pieces.groupby(["from_code", "to_code"], as_index=False)["piece"].sum())
    out["share_of_from"] = out["piece"] / out["from_code"].map(from_area)
    out["share_of_to"] = out["piece"] / out["to_code"].map(to_area)
    return out[["from_code", "to_code", "share_of_from", "share_of_to"]]


def address_flows(old: pd.DataFrame, new: pd.DataFrame, code_column: str) -> pd.DataFrame:
    """from_code, to_code, addresses: the same postcode + huisnummer in two years' crosswalks."""
    keys = ["postcode", "huisnummer"]
    a = old[[*keys, code_column]].dropna().drop_duplicates(keys)
    b = new[[*keys, code_column]].dropna().drop_duplicates(keys)
    both = a.merge(b, on=keys, suffixes=("_from", "_to"))
    return (
        both.groupby([f"{code_column}_from", f"{code_column}_to"])
        .size()
        .rename("addresses")
        .rename_axis(["from_code", "to_code"])
        .reset_index()
    )


# --- one pair of years ----------------------------------------------------------------------


def classify(
    shares: pd.DataFrame,
    old_codes: Iterable[str],
    new_codes: Iterable[str],
    flows: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Links between two years of one level: change type, shares, method and weights.

    shares: `overlay_shares`; flows: `address_flows` (or None). Returns from_code, to_code,
    change_type, share_of_from, share_of_to, method, weight_forward, weight_backward, whole."""
    old_codes, new_codes = sorted(set(old_codes)), sorted(set(new_codes))
    sig = shares[
        (shares["share_of_from"] >= NOISE_SHARE) | (shares["share_of_to"] >= NOISE_SHARE)
    ].copy()
    sig = sig[sig["from_code"].isin(old_codes) & sig["to_code"].isin(new_codes)]
    n_to = sig.groupby("from_code")["to_code"].transform("size")
    n_from = sig.groupby("to_code")["from_code"].transform("size")
    one_to_one = (n_to == 1) & (n_from == 1)
    same_place = (sig["share_of_from"] >= UNCHANGED_SHARE) & (sig["share_of_to"] >= UNCHANGED_SHARE)
    same_code = sig["from_code"] == sig["to_code"]
    sig["change_type"] = BORDER
    sig.loc[one_to_one & ~same_code & same_place, "change_type"] = RECODED
    sig.loc[n_from > 1, "change_type"] = MERGED
    sig.loc[n_to > 1, "change_type"] = SPLIT
    sig.loc[one_to_one & same_code & same_place, "change_type"] = UNCHANGED
    sig["whole"] = (one_to_one & same_place).to_numpy()

    # Weights: area shares, or address flows where both crosswalks know the old area.
    sig["method"] = BY_AREA
    fwd, bwd = sig["share_of_from"].copy(), sig["share_of_to"].copy()
    if flows is not None and len(flows):
        n = sig.merge(flows, on=["from_code", "to_code"], how="left")["addresses"].fillna(0)
        n.index = sig.index
        per_from = n.groupby(sig["from_code"]).transform("sum")
        per_to = n.groupby(sig["to_code"]).transform("sum")
        use = (per_from > 0) & ~sig["whole"]
        sig.loc[use, "method"] = BY_ADDRESS
        fwd[use] = n[use]
        sig.loc[use, "share_of_from"] = (n / per_from)[use]
        use_b = (per_to > 0) & ~sig["whole"]
        bwd[use_b] = n[use_b]
        sig.loc[use_b, "share_of_to"] = (n / per_to)[use_b]
    sig["weight_forward"] = fwd / fwd.groupby(sig["from_code"]).transform("sum")
    sig["weight_backward"] = bwd / bwd.groupby(sig["to_code"]).transform("sum")
    sig.loc[sig["whole"], ["weight_forward", "weight_backward"]] = 1.0
    sig.loc[sig["whole"], "method"] = None

    appeared = [c for c in new_codes if c not in set(old_codes)]
    gone = [c for c in old_codes if c not in set(new_codes)]
    extra = pd.DataFrame(
        [(None, c, NEW) for c in appeared] + [(c, None, ENDED) for c in gone],
        columns=["from_code", "to_code", "change_type"],
    )
    extra["whole"] = False
    cols = [
        "from_code",
        "to_code",
        "change_type",
        "share_of_from",
        "share_of_to",
        "method",
        "weight_forward",
        "weight_backward",
        "whole",
    ]
    frames = [f for f in (sig[cols], extra.reindex(columns=cols)) if len(f)]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    return out.astype({"whole": bool})


def year_links(
    boundaries: pd.DataFrame,
    crosswalks: pd.DataFrame | None = None,
    change_flags: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """LINK_COLUMNS for every level and every pair of consecutive years with boundaries.

    boundaries: geo_year, area_level, area_code, geometry (RD New), the gemeente's wijken and
    buurten per year (`transforms.areas.boundaries_by_year`, filtered);
    crosswalks: year, postcode, huisnummer, buurt_code, wijk_code (`geocode.crosswalk_frame`);
    change_flags: period_year, area_code, change_flag (from the Kerncijfers rows)."""
    frames = []
    cw_years = set(crosswalks["year"]) if crosswalks is not None and len(crosswalks) else set()
    for level in LEVELS:
        at = boundaries[boundaries["area_level"] == level]
        years = sorted(set(at["geo_year"]))
        for y0, y1 in zip(years, years[1:], strict=False):
            old = gpd.GeoDataFrame(at[at["geo_year"] == y0], geometry="geometry", crs=RD_NEW)
            new = gpd.GeoDataFrame(at[at["geo_year"] == y1], geometry="geometry", crs=RD_NEW)
            flows = None
            if {y0, y1} <= cw_years:
                col = f"{level}_code"
                flows = address_flows(
                    crosswalks[crosswalks["year"] == y0], crosswalks[crosswalks["year"] == y1], col
                )
            links = classify(overlay_shares(old, new), old["area_code"], new["area_code"], flows)
            links.insert(0, "area_level", level)
            links.insert(0, "to_year", int(y1))
            links.insert(0, "from_year", int(y0))
            frames.append(links)
    if not frames:
        return pd.DataFrame(columns=LINK_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["cbs_change_flag"] = None
    if change_flags is not None and len(change_flags):
        flag = {
            (int(y), c): f
            for y, c, f in zip(
                change_flags["period_year"],
                change_flags["area_code"],
                change_flags["change_flag"],
                strict=True,
            )
        }
        out["cbs_change_flag"] = [
            flag.get((y, c)) if isinstance(c, str) else None
            for y, c in zip(out["to_year"], out["to_code"], strict=True)
        ]
    return out[LINK_COLUMNS]


# --- chaining to the reference year ---------------------------------------------------------


def _pair_mapping(links: pd.DataFrame, forward: bool) -> pd.DataFrame:
    real = links[links["from_code"].notna() & links["to_code"].notna()]
    src, dst = ("from_code", "to_code") if forward else ("to_code", "from_code")
    weight = "weight_forward" if forward else "weight_backward"
    return pd.DataFrame(
        {
            "from_code": real[src].to_numpy(),
            "to_code": real[dst].to_numpy(),
            "weight": real[weight].astype(float).to_numpy(),
            "method": real["method"].to_numpy(),
            "whole": real["whole"].astype(bool).to_numpy(),
        }
    )


def _method(methods: pd.Series) -> str | None:
    found = {m for m in methods if isinstance(m, str)}
    if not found:
        return None
    return BY_AREA if BY_AREA in found else BY_ADDRESS


def _compose(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    both = first.merge(second, left_on="to_code", right_on="from_code", suffixes=("", "_2"))
    both["weight"] = both["weight"] * both["weight_2"]
    both["whole"] = both["whole"] & both["whole_2"]
    both["method"] = [
        _method(pd.Series([a, b])) for a, b in zip(both["method"], both["method_2"], strict=True)
    ]
    grouped = both.groupby(["from_code", "to_code_2"], as_index=False).agg(
        weight=("weight", "sum"), whole=("whole", "all"), method=("method", _method)
    )
    return grouped.rename(columns={"to_code_2": "to_code"})


def mapping_to_reference(links: pd.DataFrame, reference_year: int) -> Harmonisation:
    """Chain the consecutive-year links of each level to the reference year."""
    frames, linked = [], {}
    for level in LEVELS:
        at = links[links["area_level"] == level]
        years = sorted(set(at["from_year"]) | set(at["to_year"]))
        linked[level] = [y for y in years if y != reference_year] if reference_year in years else []
        for y in linked[level]:
            step = sorted(years)
            path = (
                [
                    (a, b, True)
                    for a, b in zip(step, step[1:], strict=False)
                    if y <= a < reference_year
                ]
                if y < reference_year
                else [
                    (a, b, False)
                    for a, b in reversed(list(zip(step, step[1:], strict=False)))
                    if reference_year <= a < y
                ]
            )
            m = None
            for a, b, forward in path:
                pair = at[(at["from_year"] == a) & (at["to_year"] == b)]
                pm = _pair_mapping(pair, forward)
                m = pm if m is None else _compose(m, pm)
            if m is not None and len(m):
                m = m.assign(geo_year=int(y), area_level=level)
                m.loc[m["whole"], "weight"] = 1.0
                frames.append(m[MAPPING_COLUMNS])
    mapping = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=MAPPING_COLUMNS)
    )
    return Harmonisation(reference_year, links.reset_index(drop=True), mapping, linked)


def harmonisation(
    boundaries: pd.DataFrame,
    reference_year: int,
    crosswalks: pd.DataFrame | None = None,
    change_flags: pd.DataFrame | None = None,
) -> Harmonisation:
    """The links between consecutive boundary years and their chain to the reference year."""
    links = year_links(boundaries, crosswalks, change_flags)
    return mapping_to_reference(links, reference_year)


# --- years without boundaries ---------------------------------------------------------------


def series_breaks(
    stat_areas: pd.DataFrame, reference_year: int, linked_years: Mapping[str, Iterable[int]]
) -> pd.DataFrame:
    """period_year, area_code, series_break for the wijken and buurten of years that have no
    boundaries linking them to the reference year.

    Without boundaries only CBS's own flag can vouch for an area: a code counts as the same
    place as in the reference year when every year in between lists it with flag "1"
    (unchanged). Anything else (flag "2"/"3", an unknown flag, a year missing the code) is a
    series break: its figures are shown, but never compared across the break."""
    stats = stat_areas[stat_areas["area_level"].isin(LEVELS)]
    flags = {
        (int(y), c): f
        for y, c, f in zip(
            stats["period_year"],
            stats["area_code"],
            stats.get("change_flag", pd.Series([None] * len(stats), index=stats.index)),
            strict=True,
        )
    }
    stat_years = sorted({int(y) for y in stats["period_year"]})
    rows = []
    for y, code, level in zip(
        stats["period_year"], stats["area_code"], stats["area_level"], strict=True
    ):
        y = int(y)
        if y == reference_year or y in set(linked_years.get(level, ())):
            continue
        lo, hi = sorted((y, reference_year))
        between = [t for t in stat_years if lo < t <= hi]
        stable = (reference_year, code) in flags and all(
            flags.get((t, code)) == "1" for t in between
        )
        rows.append((y, code, not stable))
    return pd.DataFrame(rows, columns=["period_year", "area_code", "series_break"])


# --- restating the facts --------------------------------------------------------------------

SQL_DIR = Path(__file__).with_name("sql")
# Kinds of figure that cannot be restated from parts (indicator_kinds); the reason is Dutch.
NOT_RESTATABLE = "not restatable"
DELIVERED = "delivered"
NOT_RESTATABLE_REASON = "niet te herberekenen (grens gewijzigd)"


def indicator_kinds(catalogue: Sequence[Indicator]) -> pd.DataFrame:
    """indicator_id, kind, scale, municipal: how a figure is restated (count | ratio |
    weighted | not restatable | delivered), and whether it is built from buurten (municipal
    data).

    A median cannot be made from the medians of parts, nor a survey result from the results
    of other areas: on an area whose boundary changed they get no restated value
    (`NOT_RESTATABLE`: suppressed, 'niet te herberekenen (grens gewijzigd)'). A survey result
    of an own area is kept as the bureau delivered it (its area is the bureau's, not summed
    from ours); a median of an own area with a changed part is not restated either."""
    rows = []
    for i in catalogue:
        if i.formula == "delivered":
            kind = DELIVERED
        elif i.statistic == "median":
            kind = NOT_RESTATABLE
        elif i.formula == "weighted":
            kind = "weighted"
        elif i.formula == "count" or (
            i.formula == "municipal" and not i.denominator_vars and not i.denominator_measure
        ):
            kind = "count"
        else:
            kind = "ratio"
        rows.append((i.id, kind, float(i.scale), i.formula == "municipal"))
    return pd.DataFrame(rows, columns=["indicator_id", "kind", "scale", "municipal"])


def own_parts(own_members: pd.DataFrame) -> pd.DataFrame:
    """area_code, part_code: an own area's members, less buurten whose wijk is a member too."""
    m = own_members[["area_code", "member_code"]].astype(str)
    wijken = set(zip(m["area_code"], m["member_code"], strict=True))
    keep = [
        not (c.startswith("BU") and (a, "WK" + c[2:8]) in wijken)
        for a, c in zip(m["area_code"], m["member_code"], strict=True)
    ]
    return m[keep].drop_duplicates().rename(columns={"member_code": "part_code"})


def harmonise_facts(
    facts: pd.DataFrame,
    harm: Harmonisation,
    breaks: pd.DataFrame,
    catalogue: Sequence[Indicator],
    own_members: pd.DataFrame,
) -> pd.DataFrame:
    """Every fact on the reference geography (see sql/harmonise_facts.sql for the rules).

    facts: FACT_COLUMNS + input_versions, each year on its own areas; breaks:
    `series_breaks`. Returns the same columns + estimate_method, series_break."""
    linked = pd.DataFrame(
        [(lv, int(y)) for lv, years in harm.linked_years.items() for y in years],
        columns=["area_level", "geo_year"],
    ).astype({"area_level": "string", "geo_year": "int64"})
    mapping = harm.mapping.astype(
        {"geo_year": "int64", "weight": "float64", "whole": "bool", "method": "string"}
    )
    f = facts.copy()
    # CBS figures are complete and published as such; only police and municipal facts say
    # otherwise, so a build without them has no such columns.
    f["partial"] = f["partial"].fillna(False).astype(bool) if "partial" in f else False
    f["is_estimate"] = f["is_estimate"].fillna(False).astype(bool) if "is_estimate" in f else False
    if "input_versions" not in f:
        f["input_versions"] = [[] for _ in range(len(f))]
    f["input_versions"] = [list(v) if v is not None else [] for v in f["input_versions"]]
    con = duckdb.connect()
    try:
        con.register("facts", f)
        con.register("mapping", mapping)
        con.register("linked", linked)
        con.register(
            "breaks",
            breaks.astype({"period_year": "int64", "area_code": "string", "series_break": bool}),
        )
        con.register("kinds", indicator_kinds(catalogue))
        con.register("own_parts", own_parts(own_members))
        sql = (SQL_DIR / "harmonise_facts.sql").read_text(encoding="utf-8")
        harmonised = con.sql(
            sql,
            params={
                "reference_year": int(harm.reference_year),
                "not_restatable_reason": NOT_RESTATABLE_REASON,
            },
        ).arrow()
        con.register("harmonised", harmonised.read_all())
        sums = (SQL_DIR / "harmonise_municipal_wijken.sql").read_text(encoding="utf-8")
        out = con.sql(sums).df()
    finally:
        con.close()
    out["input_versions"] = [list(v) for v in out["input_versions"]]
    return out


def as_published(facts: pd.DataFrame) -> pd.DataFrame:
    """The CBS and police figures of each year on that year's own CBS areas (NL00, GM, WK,
    BU), before any restatement: the table `fact_indicator_as_published`."""
    cbs_area = facts["area_code"].astype(str).str.match(r"^(NL00|GM|WK|BU)")
    return facts[cbs_area].reset_index(drop=True)
