"""The benchmark suite: `./dev bench` (or python -m tests.bench). Not part of the tests.

Builds its large demo databases once (bench-data/, reused while the schema is the same) and
prints one table: each figure, its target from the issues, and whether it holds.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.bench.common import demo_database, print_table


def main() -> int:
    parser = argparse.ArgumentParser(prog="./dev bench")
    parser.add_argument("--patients", type=int, default=100_000)
    args = parser.parse_args()

    from tests.bench import bench_registry

    db = demo_database(args.patients)
    rows = []
    with tempfile.TemporaryDirectory() as home:
        rows += bench_registry.search_rows(db)
        rows.append(bench_registry.startup_row(db, Path(home)))
    print()
    print(f"mesodesk benchmarks, {args.patients:,} demo patients ({db.name})")
    print_table(rows)
    return 0 if all(r.verdict != "MISSES" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
