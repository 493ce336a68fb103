"""Shared pieces of the benchmarks: large demo databases built once and kept, timing, the table."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("MESODESK_BENCH_DATA", ROOT / "bench-data"))
# The clinic keys of the benchmark databases live beside them (their audit trails are sealed
# with them); every home a benchmark makes is given them.
KEYS_HOME = DATA / "home"


def link_keys(home: Path) -> None:
    """Give a (temporary) mesodesk home the benchmark databases' clinic keys."""
    keys = KEYS_HOME / "config" / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    target = home / "config" / "keys"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(keys)


@dataclass
class Row:
    name: str
    value: float
    unit: str
    target: float | None = None  # at most (at least, with at_least)
    note: str = ""
    at_least: bool = False

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        holds = self.value >= self.target if self.at_least else self.value <= self.target
        return "holds" if holds else "MISSES"

    @property
    def target_text(self) -> str:
        if self.target is None:
            return ""
        return f"{'>=' if self.at_least else '<='} {self.target:,g} {self.unit}"


def demo_database(patients: int, seed: int = 1) -> Path:
    """A demo clinic of this size, built on first use and kept in bench-data/."""
    from mesodesk.services.demo import DEMO_VERSION, generate_demo
    from mesodesk.store.db import resolve_target
    from mesodesk.store.migrate import HEAD_REVISION, open_database

    path = DATA / f"demo{DEMO_VERSION}-{patients}-seed{seed}-schema{HEAD_REVISION}.sqlite3"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in DATA.glob(partial.name + "*"):
        leftover.unlink()
    print(f"building {path.name} (once)...", flush=True)
    before = os.environ.get("MESODESK_HOME")
    os.environ["MESODESK_HOME"] = str(KEYS_HOME)
    try:
        db = open_database(resolve_target(partial))
        started = time.perf_counter()
        summary = generate_demo(db, patients, seed)
        db.close()
    finally:
        if before is None:
            os.environ.pop("MESODESK_HOME", None)
        else:
            os.environ["MESODESK_HOME"] = before
    print(
        f"  {summary.patients:,} patients, {summary.sessions:,} sessions in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    partial.rename(path)
    Path(f"{partial}.inuse").unlink(missing_ok=True)  # the lock file of its first name
    return path


def median_ms(fn: Callable[[], object], repeat: int = 15, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def print_table(rows: list[Row]) -> None:
    headers = ("benchmark", "figure", "target", "")
    cells = [
        (
            r.name,
            f"{r.value:,.1f} {r.unit}",
            r.target_text,
            r.verdict + (f"  {r.note}" if r.note else ""),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip())
