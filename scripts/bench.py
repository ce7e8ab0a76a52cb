"""Benchmarks at national scale (`make bench`): ~17,000 areas x 8 years of Kerncijfers.

Synthetic, seeded figures in the StatLine row format go through the same code a build runs:
the contract split, stacking across years, the indicator SQL, and writing a warehouse file.
Prints the best of a few repeats per step; nothing is asserted (timing is not a test)."""

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
from transforms.indicators import cbs_indicator_facts, combine_years

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
    n_values = len(combined["values"])
    print(f"{'step':<28}{'seconds':>10}{'rows':>14}")
    for name, t, n in [
        ("contract split (all years)", t_split, sum(len(s.values) for s in splits)),
        ("stack years", t_comb, n_values),
        ("indicator SQL", t_facts, facts.num_rows),
        ("write facts to DuckDB", t_write, facts.num_rows),
    ]:
        print(f"{name:<28}{t:>10.2f}{n:>14,}")


if __name__ == "__main__":
    main()
