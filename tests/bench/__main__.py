"""The benchmark suite: `./dev bench` (or python -m tests.bench). Not part of the tests.

Builds its large demo databases once (bench-data/, reused while the schema is the same) and
prints one table: each figure, its target from the issues, and whether it holds.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from tests.bench.common import KEYS_HOME, demo_database, link_keys, print_table


def main() -> int:
    parser = argparse.ArgumentParser(prog="./dev bench")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument(
        "--only",
        choices=["safety", "charts", "app", "print", "signals"],
        default=None,
        help="run only this group of benchmarks",
    )
    parser.add_argument("--kills", type=int, default=200, help="writers the kill test kills")
    args = parser.parse_args()
    os.environ.setdefault("MESODESK_HOME", str(KEYS_HOME))

    from tests.bench import bench_safety, bench_signals

    if args.only == "signals":
        rows = bench_signals.signal_rows()
        print()
        print("mesodesk benchmarks: lot signals, simulated clinics")
        print_table(rows)
        return 0 if all(r.verdict != "MISSES" for r in rows) else 1

    if args.only == "safety":
        rows = bench_safety.safety_rows(None, args.kills)
        print()
        print("mesodesk benchmarks: safety")
        print_table(rows)
        return 0 if all(r.verdict != "MISSES" for r in rows) else 1

    if args.only == "print":
        from tests.bench import bench_app, bench_print

        rows = bench_app.summary_rows()[:1] + bench_print.print_rows()
        print()
        print("mesodesk benchmarks: printing (a private CUPS with a cups-pdf printer)")
        print_table(rows)
        return 0 if all(r.verdict != "MISSES" for r in rows) else 1

    from tests.bench import bench_app, bench_charts, bench_print, bench_registry, bench_treatment

    if args.only == "app":
        db = demo_database(args.patients)
        with tempfile.TemporaryDirectory() as home:
            link_keys(Path(home))
            start = bench_registry.startup_rows(db, Path(home))
            rows = [*start, bench_app.startup_ratio_row(start[0].value, start[2].value)]
            rows += bench_app.summary_rows()
            rows += bench_print.print_rows()
            rows.append(bench_app.memory_row(db, Path(home)))
            rows += bench_app.bundle_rows(db, Path(home))
        print()
        print(f"mesodesk benchmarks: app, {args.patients:,} demo patients ({db.name})")
        print_table(rows)
        return 0 if all(r.verdict != "MISSES" for r in rows) else 1

    if args.only == "charts":
        db = demo_database(args.patients)
        rows = bench_charts.timeline_rows() + bench_charts.dashboard_rows(db)
        print()
        print(f"mesodesk benchmarks: charts, {args.patients:,} demo patients ({db.name})")
        print_table(rows)
        return 0 if all(r.verdict != "MISSES" for r in rows) else 1

    db = demo_database(args.patients)
    rows = []
    with tempfile.TemporaryDirectory() as home:
        link_keys(Path(home))
        rows += bench_registry.search_rows(db)
        start = bench_registry.startup_rows(db, Path(home))
        rows += [*start, bench_app.startup_ratio_row(start[0].value, start[2].value)]
        rows.append(bench_app.memory_row(db, Path(home)))
        rows += bench_app.bundle_rows(db, Path(home))
    rows += bench_treatment.clinic_rows(db)
    rows += bench_treatment.record_rows()
    rows += bench_safety.safety_rows(db, args.kills)
    rows += bench_signals.signal_rows()
    rows += bench_signals.detection_time_rows(db)
    rows += bench_charts.timeline_rows()
    rows += bench_charts.dashboard_rows(db)
    rows += bench_app.summary_rows()
    rows += bench_print.print_rows()
    print()
    print(f"mesodesk benchmarks, {args.patients:,} demo patients ({db.name})")
    print_table(rows)
    return 0 if all(r.verdict != "MISSES" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
