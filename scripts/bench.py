"""Benchmarks at national scale (`make bench`): ~17,000 areas x 8 years of Kerncijfers, two
years of the police table per month for every area, and placing a million points and a
million addresses in ~12,000 buurten.

Synthetic, seeded figures in the StatLine row format go through the same code a build runs:
the contract split, stacking across years, the indicator SQL, writing a warehouse file, the
police yearly rates, and the point-in-polygon and crosswalk placement. Prints the best of a
few repeats per step; nothing is asserted (timing is not a test)."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from checks.kerncijfers import split_kerncijfers
from sources.statline import SavedTable
from transforms.catalogue import load_catalogue
from transforms.geocode import place
from transforms.indicators import cbs_indicator_facts, combine_years
from transforms.police import police_codes, police_denominators, police_indicator_facts

STEMS = [
    "AantalInwoners", "k_0Tot15Jaar", "k_15Tot25Jaar", "k_25Tot45Jaar", "k_45Tot65Jaar",
    "k_65JaarOfOuder", "HuishoudensTotaal", "Eenpersoonshuishoudens", "Woningvoorraad",
    "GemiddeldeWoningwaarde", "InBezitWoningcorporatie", "GemiddeldInkomenPerInwoner",
    "HuishoudensMetEenLaagInkomen", "HuishOnderOfRondSociaalMinimum",
    "PersonenPerSoortUitkeringBijstand", "PersonenPerSoortUitkeringWW",
]  # fmt: skip


def national_codes(rng: np.random.Generator) -> list[str]:
    codes = ["NL00"]
    for g in range(1, 343):
        gm = f"{g:04d}"
        codes.append(f"GM{gm}")
        for w in range(rng.integers(3, 16)):
            codes.append(f"WK{gm}{w:02d}")
            codes += [f"BU{gm}{w:02d}{b:02d}" for b in range(rng.integers(2, 7))]
    return codes


def table_for(year: int, codes: list[str], rng: np.random.Generator) -> SavedTable:
    keys = {s: f"{s}_{i + 5 + (year % 3)}" for i, s in enumerate(STEMS)}
    values = rng.integers(0, 5000, size=(len(codes), len(STEMS))).astype(float)
    values[rng.random(values.shape) < 0.05] = np.nan
    rows = []
    for i, code in enumerate(codes):
        row = {"ID": i, "WijkenEnBuurten": code.ljust(10)}
        for j, s in enumerate(STEMS):
            v = values[i, j]
            row[keys[s]] = None if np.isnan(v) else float(v)
        rows.append(row)
    props = [
        {"odata.type": "Cbs.OData.Topic", "Key": k, "Datatype": "Double"} for k in keys.values()
    ]
    path = Path(f"TypedDataSet_{year}.json")
    return SavedTable(
        table_id=f"T{year}", snapshot=Path("."), fetched_at=None, synthetic=True, table_info={},
        data_properties=props, dimension=[], rows=rows,
        row_files=[(path, i + 1) for i in range(len(rows))], files=[],
    )  # fmt: skip


def police_rows(codes: list[str], years: list[int], rng: np.random.Generator) -> pd.DataFrame:
    """The accepted police frame: every area x crime code x month of `years`."""
    crimes = police_codes()
    n = len(codes) * len(crimes) * 12 * len(years)
    grid = pd.MultiIndex.from_product(
        [codes, crimes, years, range(1, 13)], names=["area_code", "code", "year", "month"]
    ).to_frame(index=False)
    counts = rng.integers(0, 40, size=n).astype(float)
    counts[rng.random(n) < 0.01] = np.nan
    return grid.assign(count=pd.array(counts, dtype="Float64"))


def square_buurten(n_side: int, size: float = 500.0):
    """n_side x n_side square buurten of `size` m in RD New, in 100 gemeenten-like blocks."""
    import geopandas as gpd
    from shapely import box

    xs, ys = np.meshgrid(np.arange(n_side), np.arange(n_side))
    xs, ys = xs.ravel(), ys.ravel()
    x0, y0 = 20_000.0 + xs * size, 300_000.0 + ys * size
    codes = [f"BU1916{i // 100:02d}{i % 100:02d}" for i in range(len(xs))]
    return gpd.GeoDataFrame(
        {
            "geo_year": 2023,
            "buurt_code": codes,
            "wijk_code": ["WK" + c[2:8] for c in codes],
        },
        geometry=box(x0, y0, x0 + size, y0 + size),
        crs="EPSG:28992",
    )


def placement_inputs(polygons, n: int, rng: np.random.Generator):
    b = polygons.total_bounds
    points = pd.DataFrame(
        {
            "file": "bench.csv",
            "line": np.arange(2, n + 2),
            "year": 2023,
            "x": rng.uniform(b[0], b[2], n),
            "y": rng.uniform(b[1], b[3], n),
        }
    )
    k = 2 * n  # a crosswalk twice the size of the addresses asked for
    crosswalk = pd.DataFrame(
        {
            "year": np.int64(2023),
            "postcode": [
                f"{1000 + i // 26 // 200 % 9000}{chr(65 + i // 200 % 26)}A" for i in range(k)
            ],
            "huisnummer": pd.array(np.arange(k) % 200 + 1, dtype="Int64"),
            "buurt_code": polygons["buurt_code"].to_numpy()[np.arange(k) % len(polygons)],
        }
    )
    crosswalk["wijk_code"] = "WK" + crosswalk["buurt_code"].str[2:8]
    crosswalk = crosswalk.drop_duplicates(["postcode", "huisnummer"])
    pick = rng.integers(0, len(crosswalk), n)
    addresses = pd.DataFrame(
        {
            "file": "bench.csv",
            "line": np.arange(2, n + 2),
            "year": 2023,
            "postcode": crosswalk["postcode"].to_numpy()[pick],
            "huisnummer": crosswalk["huisnummer"].to_numpy()[pick],
        }
    )
    return points, addresses, crosswalk


def best_of(repeats: int, fn):
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    codes = national_codes(rng)
    years = list(range(2024 - args.years + 1, 2025))
    tables = {y: table_for(y, codes, rng) for y in years}
    buurten = [c for c in codes if c.startswith("BU")]
    members = pd.DataFrame(
        {"area_code": [f"OWN{i % 500:03d}" for i in range(len(buurten))], "member_code": buurten}
    )
    print(f"{len(codes):,} areas x {len(years)} years, {len(STEMS)} variables, 500 own areas")

    t_split, splits = best_of(
        args.repeats, lambda: [split_kerncijfers(tables[y], None, y) for y in years]
    )
    t_comb, combined = best_of(args.repeats, lambda: combine_years(splits))
    catalogue = load_catalogue()
    t_facts, facts = best_of(
        args.repeats, lambda: cbs_indicator_facts(combined, members, catalogue)
    )

    def write() -> None:
        import duckdb

        with tempfile.TemporaryDirectory() as tmp:
            con = duckdb.connect(str(Path(tmp) / "w.duckdb"))
            con.register("f", facts)
            con.execute("CREATE TABLE fact AS SELECT * FROM f")
            con.close()

    t_write, _ = best_of(args.repeats, write)

    police_years = years[-2:]
    monthly = police_rows(codes, police_years, rng)
    dens = police_denominators(combined["values"])
    t_police, police = best_of(
        args.repeats, lambda: police_indicator_facts(monthly, dens, members, police_years)
    )

    polygons = square_buurten(110)  # 12,100 buurten
    points, addresses, crosswalk = placement_inputs(polygons, 1_000_000, rng)
    t_points, placed = best_of(
        args.repeats,
        lambda: place(
            points, year_column="year", polygons=polygons, crosswalk=None, gemeente="GM1916"
        ),
    )
    t_addr, placed_a = best_of(
        args.repeats,
        lambda: place(
            addresses, year_column="year", polygons=polygons, crosswalk=crosswalk,
            gemeente="GM1916",
        ),
    )  # fmt: skip

    n_values = len(combined["values"])
    print(f"{'step':<34}{'seconds':>10}{'rows':>14}")
    for name, t, n in [
        ("contract split (all years)", t_split, sum(len(s.values) for s in splits)),
        ("stack years", t_comb, n_values),
        ("indicator SQL", t_facts, facts.num_rows),
        ("write facts to DuckDB", t_write, facts.num_rows),
        (f"police: {len(monthly):,} monthly rows", t_police, police.facts.num_rows),
        (f"place 1M points in {len(polygons):,} buurten", t_points, placed.rows_placed),
        (f"place 1M addresses ({len(crosswalk):,} cw)", t_addr, placed_a.rows_placed),
    ]:
        print(f"{name:<34}{t:>10.2f}{n:>14,}")


if __name__ == "__main__":
    main()
