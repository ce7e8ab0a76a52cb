"""Write a large synthetic `uitkeringen` delivery for memory measurements (issue: a 300 MB
CSV, 5.5 million rows, must validate and build within 2 GB peak RSS).

Seeded, so every run writes the same bytes; the file is not committed. Rows look like the demo
delivery: half with an address from the demo's postcode crosswalk, half with RD coordinates.

    uv run --frozen python scripts/make_big_delivery.py /tmp/big/uitkeringen_2024-12.csv --rows 5500000
    /usr/bin/time -v uv run --frozen python -m pipelines.cli validate \\
        /tmp/big/uitkeringen_2024-12.csv --source uitkeringen
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEADER = (
    "client_id;huishouden_id;geboortejaar;postcode;huisnummer;huisletter;huisnummertoevoeging;"
    "x;y;regeling;ingangsdatum;einddatum;reden_einde"
)


def _addresses() -> list[tuple[str, str]]:
    folder = REPO / "demo" / "landing" / "pc6_buurt"
    out: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, delimiter=";")
            header = [h.strip().lower() for h in next(reader)]
            pc, nr = header.index("pc6"), header.index("huisnummer")
            out.extend((row[pc], row[nr]) for row in reader if len(row) > max(pc, nr))
    return out or [("2262AB", "12")]


def write(path: Path, rows: int, seed: int = 1916) -> None:
    rng = random.Random(seed)
    addresses = _addresses()
    regelingen = ("PW", "PW", "PW", "IOAW", "IOAZ", "BBZ")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(HEADER + "\n")
        batch = []
        for i in range(rows):
            start = f"{rng.randint(2005, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            ended = rng.random() < 0.1
            end = f"2024-12-{rng.randint(1, 31):02d}" if ended else ""
            reason = rng.choice(("WERK", "VERHUIZING", "OVERIG")) if ended else ""
            if rng.random() < 0.5:
                pc, nr = rng.choice(addresses)
                place = f"{pc};{nr};;;;"
            else:
                place = f";;;;{rng.uniform(84000, 89000):.1f};{rng.uniform(453000, 458000):.1f}"
            batch.append(
                f"C{i:08d};H{i // 2:08d};{rng.randint(1950, 2005)};{place};"
                f"{rng.choice(regelingen)};{start};{end};{reason}\n"
            )
            if len(batch) >= 100_000:
                f.writelines(batch)
                batch.clear()
        f.writelines(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=5_500_000)
    parser.add_argument("--seed", type=int, default=1916)
    args = parser.parse_args()
    write(args.path, args.rows, args.seed)
    print(f"{args.path}: {args.rows} rows, {args.path.stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
