"""Issue 6: kill safety (200 writers killed with SIGKILL; 0 acknowledged records lost), a demo
killed part-way that still checks sound, and the cost of a verified backup."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from tests.bench.common import Row


def kill_rows(kills: int = 200) -> list[Row]:
    from tests.killharness import run

    with tempfile.TemporaryDirectory() as work:
        stats = run(kills, Path(work), seed=6, progress=True)
    note = "; ".join(stats.problems[:3])
    return [
        Row("kill safety: writers killed with SIGKILL", stats.kills, "kills"),
        Row("kill safety: records acknowledged before a kill", stats.acknowledged, "records"),
        Row("kill safety: acknowledged records lost", stats.lost, "records", 0, note),
        Row(
            "kill safety: integrity or audit-chain failures",
            stats.integrity_failures + stats.chain_failures,
            "checks",
            0,
        ),
    ]


def demo_kill_row(patients: int = 20_000) -> Row:
    from mesodesk.services.health import check_database, open_for_app
    from mesodesk.store.db import resolve_target
    from tests.killharness import kill_demo

    with tempfile.TemporaryDirectory() as work:
        db = kill_demo(Path(work), patients, at_percent=50)
        report = check_database(resolve_target(db))
        opened = open_for_app(resolve_target(db))
        opened.services.close()
    failed = [f.name for f in report.findings if not f.ok]
    return Row(
        f"demo of {patients:,} patients killed half-way: checks failing",
        len(failed),
        "checks",
        0,
        ", ".join(failed),
    )


def backup_row(db_path: Path) -> Row:
    """A verified backup of the benchmark database (copy, integrity check, row counts, fsync)."""
    from mesodesk.domain.clock import Clock
    from mesodesk.services.backup import make_backup

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = make_backup(db_path, now=Clock().utcnow(), folder=Path(folder))
        seconds = time.perf_counter() - started
        size = result.size
    return Row(
        f"verified backup of the benchmark database ({size / 1_048_576:,.0f} MB)",
        seconds,
        "s",
        30,
    )


def safety_rows(db_path: Path | None, kills: int = 200) -> list[Row]:
    os.environ.setdefault("MESODESK_HOME", tempfile.mkdtemp(prefix="mesodesk-bench-"))
    rows = kill_rows(kills)
    rows.append(demo_kill_row())
    if db_path is not None:
        rows.append(backup_row(db_path))
    return rows
