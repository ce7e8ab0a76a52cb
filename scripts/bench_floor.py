"""The FLOOR of the benchmark: the same indicator values as the build, computed straight from
the landing files with no checks, no placement rules beyond the crosswalk join, no disclosure
control, no harmonisation and no Dagster. Two versions:

* `duckdb`: DuckDB SQL reading the saved StatLine replies (JSON) and the delivery CSVs;
* `pandas`: the straightforward pandas version (json.load, DataFrames, merge and groupby).

The indicator SUBSET every scale shares (indicators.md for the full definitions):

* `context.inwoners`: AantalInwoners per area and year (CBS areas of the gemeente + NL00);
* `veiligheid.misdrijven_per_1000`: police code 0.0.0 summed over the months of a year, per
  1 000 AantalInwoners of the same year;
* `werk.bijstand_personen`, `werk.bijstand_per_1000` (where uitkeringen are delivered with
  one crosswalk and addresses only, as at large_city; the demo mixes crosswalk years and
  coordinates, whose rules are the build's, not a floor's):
  distinct persons with a PW benefit running on 31 December in the December file, placed by
  postcode + huisnummer in the PC6 crosswalk, per buurt, wijk and gemeente; per 1 000
  inhabitants aged 15-64 (k_15Tot25Jaar + k_25Tot45Jaar + k_45Tot65Jaar).

Output: indicator_id, area_code, period_year, value (a Parquet file with --out).

    python scripts/bench_floor.py duckdb|pandas LANDING GEMEENTE [--out FILE]
"""

from __future__ import annotations

import argparse
import glob
import json
import re
from pathlib import Path

STEMS = ("AantalInwoners", "k_15Tot25Jaar", "k_25Tot45Jaar", "k_45Tot65Jaar")
KEY_RE = re.compile(r"^(.*)_\d+$")


def newest_snapshots(folder: Path) -> list[Path]:
    """The newest snapshot folder (with a manifest) of every table under `folder`."""
    out = []
    for table in sorted(p for p in folder.glob("*") if p.is_dir()):
        snaps = sorted(s for s in table.iterdir() if (s / "manifest.json").exists())
        if snaps:
            out.append(snaps[-1])
    return out


def table_year(snapshot: Path) -> int:
    info = json.loads((snapshot / "TableInfos_p001.json").read_text(encoding="utf-8"))
    return int(info["value"][0]["Period"])


def december_files(landing: Path) -> list[str]:
    return sorted(glob.glob(str(landing / "uitkeringen" / "uitkeringen_*-12*.csv")))


# --------------------------------------------------------------------------------------------
def floor_duckdb(landing: Path, gemeente: str):
    import duckdb

    con = duckdb.connect()
    digits = gemeente[2:]
    parts = []
    for snap in newest_snapshots(landing / "cbs_kerncijfers"):
        parts.append(
            f"SELECT {table_year(snap)} AS period_year, * FROM (UNPIVOT (SELECT "
            f"trim(WijkenEnBuurten) AS area_code, COLUMNS('^({'|'.join(STEMS)})_\\d+$') FROM "
            f"(SELECT unnest(value, recursive := true) FROM "
            f"read_json('{snap}/TypedDataSet_*.json', maximum_object_size=1e9))) "
            f"ON COLUMNS(* EXCLUDE (area_code)) INTO NAME key VALUE value)"
        )
    con.execute(
        "CREATE TABLE cbs AS SELECT period_year, area_code, "
        "regexp_replace(key, '_\\d+$', '') AS stem, value::DOUBLE AS value FROM ("
        + " UNION ALL BY NAME ".join(parts)
        + ") WHERE area_code = 'NL00' OR substr(area_code, 3, 4) = $d",
        {"d": digits},
    )
    con.execute(
        "CREATE TABLE facts AS SELECT 'context.inwoners' AS indicator_id, area_code, "
        "period_year, value FROM cbs WHERE stem = 'AantalInwoners'"
    )
    police = newest_snapshots(landing / "politie")
    if police:
        # read_text + from_json with the cells' types: on replies of one large object each,
        # several times faster than read_json's detection (the build reads them so too)
        pages = f"{police[0]}/TypedDataSet_*.json"
        count = con.execute(
            "SELECT list_filter(json_keys(content, '$.value[0]'), "
            "lambda k: regexp_matches(k, '^GeregistreerdeMisdrijven_\\d+$'))[1] "
            "FROM read_text($p) LIMIT 1",
            {"p": pages},
        ).fetchone()[0]
        cells = {"WijkenEnBuurten": "VARCHAR", "SoortMisdrijf": "VARCHAR", "Perioden": "VARCHAR",
                 count: "DOUBLE"}  # fmt: skip
        structure = json.dumps({"value": [cells]})
        con.execute(
            f"""INSERT INTO facts
            WITH rows AS (SELECT trim(r.WijkenEnBuurten) AS area_code, trim(r.SoortMisdrijf) AS code,
                                 r.Perioden AS period, r.{count} AS n
                          FROM (SELECT unnest(from_json(content, '{structure}').value) AS r
                                FROM read_text('{pages}'))),
            yearly AS (SELECT area_code, CAST(substr(period, 1, 4) AS INTEGER) AS period_year,
                              sum(n) AS n
                       FROM rows
                       WHERE code = '0.0.0' AND substr(period, 5, 2) = 'MM'
                         AND (area_code = 'NL00' OR substr(area_code, 3, 4) = $d)
                       GROUP BY ALL)
            SELECT 'veiligheid.misdrijven_per_1000', y.area_code, y.period_year,
                   y.n / c.value * 1000
            FROM yearly y JOIN cbs c USING (area_code, period_year)
            WHERE c.stem = 'AantalInwoners' AND c.value > 0""",
            {"d": digits},
        )
    files = december_files(landing)
    cw = sorted(glob.glob(str(landing / "pc6_buurt" / "*.csv")))
    if files and len(cw) == 1:
        con.execute(
            f"""INSERT INTO facts
            WITH uit AS (SELECT * FROM read_csv({files}, filename = true, union_by_name = true,
                                                 types = {{'postcode': 'VARCHAR'}})),
            cw AS (SELECT PC6 AS postcode, Huisnummer AS huisnummer,
                          'BU' || lpad(CAST(COLUMNS('^Buurt\\d+$') AS VARCHAR), 8, '0') AS buurt
                   FROM read_csv({cw}, types = {{'PC6': 'VARCHAR'}})),
            running AS (
                SELECT DISTINCT CAST(regexp_extract(filename, 'uitkeringen_(\\d{{4}})-12', 1)
                                     AS INTEGER) AS period_year, client_id, cw.buurt
                FROM uit JOIN cw USING (postcode, huisnummer)
                WHERE regeling = 'PW'
                  AND ingangsdatum <= make_date(period_year, 12, 31)
                  AND (einddatum IS NULL OR einddatum >= make_date(period_year, 12, 31))),
            counts AS (
                SELECT period_year, area_code, count(DISTINCT client_id) AS n FROM (
                    SELECT period_year, client_id, buurt AS area_code FROM running
                    UNION ALL SELECT period_year, client_id, 'WK' || substr(buurt, 3, 6) FROM running
                    UNION ALL SELECT period_year, client_id, $g FROM running)
                GROUP BY ALL),
            den AS (SELECT period_year, area_code, sum(value) AS value FROM cbs
                    WHERE stem IN ('k_15Tot25Jaar', 'k_25Tot45Jaar', 'k_45Tot65Jaar')
                    GROUP BY ALL HAVING count(value) = 3)
            SELECT 'werk.bijstand_personen', area_code, period_year, n FROM counts
            UNION ALL
            SELECT 'werk.bijstand_per_1000', area_code, period_year, n / den.value * 1000
            FROM counts JOIN den USING (period_year, area_code) WHERE den.value > 0""",
            {"g": gemeente},
        )
    out = con.sql("SELECT * FROM facts ORDER BY ALL").df()
    con.close()
    return out


# --------------------------------------------------------------------------------------------
def _rows(snapshot: Path) -> list[dict]:
    rows = []
    for path in sorted(snapshot.glob("TypedDataSet_*.json")):
        rows += json.loads(path.read_text(encoding="utf-8"))["value"]
    return rows


def floor_pandas(landing: Path, gemeente: str):
    import pandas as pd

    digits = gemeente[2:]

    def in_scope(codes):
        return (codes == "NL00") | (codes.str[2:6] == digits)

    frames = []
    for snap in newest_snapshots(landing / "cbs_kerncijfers"):
        df = pd.DataFrame(_rows(snap))
        keep = {k: KEY_RE.match(k).group(1) for k in df.columns if KEY_RE.match(k)}
        keep = {k: s for k, s in keep.items() if s in STEMS}
        df["area_code"] = df["WijkenEnBuurten"].str.strip()
        long = df[["area_code", *keep]].rename(columns=keep).melt("area_code", var_name="stem")
        frames.append(long.assign(period_year=table_year(snap)))
    cbs = pd.concat(frames)
    cbs = cbs[in_scope(cbs["area_code"])].astype({"value": "float64"})
    wide = cbs.pivot_table(
        index=["area_code", "period_year"], columns="stem", values="value", dropna=False
    )
    out = [
        wide["AantalInwoners"].dropna().rename("value").reset_index()
        .assign(indicator_id="context.inwoners")
    ]  # fmt: skip
    police = newest_snapshots(landing / "politie")
    if police:
        p = pd.DataFrame(_rows(police[0]))
        count = next(c for c in p.columns if c.startswith("GeregistreerdeMisdrijven_"))
        p["area_code"] = p["WijkenEnBuurten"].str.strip()
        p = p[(p["SoortMisdrijf"].str.strip() == "0.0.0") & (p["Perioden"].str[4:6] == "MM")]
        p = p[in_scope(p["area_code"])]
        p["period_year"] = p["Perioden"].str[:4].astype(int)
        n = p.groupby(["area_code", "period_year"])[count].sum()
        inw = wide["AantalInwoners"]
        rate = (n / inw.reindex(n.index) * 1000).dropna()
        rate = rate[inw.reindex(rate.index) > 0]
        out.append(rate.rename("value").reset_index()
                   .assign(indicator_id="veiligheid.misdrijven_per_1000"))  # fmt: skip
    files = december_files(landing)
    cw_files = sorted(glob.glob(str(landing / "pc6_buurt" / "*.csv")))
    if files and len(cw_files) == 1:
        cw = pd.read_csv(cw_files[0], sep=";", dtype=str)
        buurt_col = next(c for c in cw.columns if c.startswith("Buurt"))
        cw = pd.DataFrame({
            "postcode": cw["PC6"], "huisnummer": cw["Huisnummer"].astype(int),
            "buurt": "BU" + cw[buurt_col].str.zfill(8),
        })  # fmt: skip
        running = []
        for f in files:
            year = int(re.search(r"uitkeringen_(\d{4})-12", f).group(1))
            u = pd.read_csv(f, sep=";", dtype={"postcode": str},
                            parse_dates=["ingangsdatum", "einddatum"])  # fmt: skip
            peil = pd.Timestamp(year, 12, 31)
            u = u[(u["regeling"] == "PW") & (u["ingangsdatum"] <= peil)
                  & (u["einddatum"].isna() | (u["einddatum"] >= peil))]  # fmt: skip
            u = u.merge(cw, on=["postcode", "huisnummer"])
            running.append(u[["client_id", "buurt"]].assign(period_year=year))
        r = pd.concat(running)
        levels = pd.concat([
            r.assign(area_code=r["buurt"]),
            r.assign(area_code="WK" + r["buurt"].str[2:8]),
            r.assign(area_code=gemeente),
        ])  # fmt: skip
        n = levels.groupby(["area_code", "period_year"])["client_id"].nunique().astype(float)
        out.append(n.rename("value").reset_index().assign(indicator_id="werk.bijstand_personen"))
        den = wide[["k_15Tot25Jaar", "k_25Tot45Jaar", "k_45Tot65Jaar"]].sum(axis=1, min_count=3)
        den = den.reindex(n.index)
        rate = (n / den * 1000)[den > 0]
        out.append(rate.rename("value").reset_index()
                   .assign(indicator_id="werk.bijstand_per_1000"))  # fmt: skip
    cols = ["indicator_id", "area_code", "period_year", "value"]
    return pd.concat(out)[cols].sort_values(cols).reset_index(drop=True)


FLOORS = {"duckdb": floor_duckdb, "pandas": floor_pandas}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(FLOORS))
    parser.add_argument("landing", type=Path)
    parser.add_argument("gemeente")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    facts = FLOORS[args.kind](args.landing, args.gemeente)
    if args.out:
        facts.to_parquet(args.out, index=False)
    print(f"{args.kind}: {len(facts)} indicator values")


if __name__ == "__main__":
    main()
