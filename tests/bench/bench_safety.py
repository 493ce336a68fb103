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


def tamper_rows(patients: int = 300) -> list[Row]:
    """Issue 12: each change of the attack list (tests/attacks.py) made to a copy of a demo
    clinic in use with nothing but the sqlite3 shell, then `mesodesk check`: the share it
    reports, of the changes that reached the file, by someone without the clinic key."""
    import shutil

    from mesodesk.services.demo import generate_demo
    from mesodesk.services.health import check_database
    from mesodesk.services.registry import Services
    from mesodesk.store.db import resolve_target
    from tests.attacks import ATTACKS, perform
    from tests.conftest import patient_input

    missed = []
    reached = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        before = os.environ.get("MESODESK_HOME")
        os.environ["MESODESK_HOME"] = str(Path(work) / "home")
        try:
            template = Path(work) / "template.sqlite3"
            services = Services.open(template)
            generate_demo(services._db, patients, 5)
            services.patients.create(patient_input())
            services.close()
            for i, attack in enumerate(ATTACKS):
                db = Path(work) / f"clinic{i}.sqlite3"
                shutil.copy2(template, db)
                services = Services.open(db)
                services.backups.back_up()  # in the default folder, as the app does daily
                services.patients.create(patient_input(first_name=f"After{i}"))
                services.close()
                before_bytes = db.read_bytes()
                perform(db, attack)
                if db.read_bytes() == before_bytes:
                    continue  # did not reach the file: nothing to detect
                reached += 1
                if check_database(resolve_target(db), full=False).ok:
                    missed.append(attack.name)
        finally:
            if before is None:
                os.environ.pop("MESODESK_HOME", None)
            else:
                os.environ["MESODESK_HOME"] = before
    rate = 100.0 * (reached - len(missed)) / reached if reached else 0.0
    return [
        Row(
            f"audit tamper detection: {reached} changes made with the sqlite3 shell "
            "(no clinic key)",
            rate,
            "%",
            100,
            "missed: " + "; ".join(missed) if missed else f"{time.perf_counter() - started:.0f} s",
            at_least=True,
        )
    ]


def safety_rows(db_path: Path | None, kills: int = 200) -> list[Row]:
    os.environ.setdefault("MESODESK_HOME", tempfile.mkdtemp(prefix="mesodesk-bench-"))
    rows = tamper_rows()
    rows += kill_rows(kills)
    rows.append(demo_kill_row())
    if db_path is not None:
        rows.append(backup_row(db_path))
    return rows
