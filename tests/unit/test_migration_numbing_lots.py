"""Migration 0008 (a numbing lot counts in the dashboard's lot rates): a database of the previous
version keeps every row; its sessions already saved with a numbing lot are counted once, and the
totals equal a recount made here with plain SQL, on the way up and on the way down."""

from __future__ import annotations

import importlib
import sqlite3
from collections import Counter
from pathlib import Path

from mesodesk.domain.clock import FixedClock
from mesodesk.services.demo import generate_demo
from mesodesk.services.registry import Services
from mesodesk.store.db import resolve_target
from mesodesk.store.migrate import open_database
from tests.conftest import NOW
from tests.unit.test_migration_due_recall import counts, to_revision

MIGRATION = importlib.import_module("mesodesk.store.migrations.versions.0008_numbing_lot_rates")
VIEW: str = MIGRATION.VIEW
TRIGGERS: dict[str, str] = MIGRATION.TRIGGERS


def lot_days(path: Path) -> Counter[tuple[str, str]]:
    """The stored sessions per (lot, day) of the dashboard's totals."""
    con = sqlite3.connect(path)
    try:
        return Counter(
            {
                (code, day): n
                for code, day, n in con.execute(
                    "SELECT code, day, sessions FROM stats_session_day "
                    "WHERE dim = 'lot' AND sessions <> 0"
                )
            }
        )
    finally:
        con.close()


def recount(path: Path, *, numbing: bool) -> Counter[tuple[str, str]]:
    """Sessions per (lot, day) counted from the tables: the blend's lots, and the numbing lots
    when ``numbing``."""
    con = sqlite3.connect(path)
    try:
        found: Counter[tuple[str, str]] = Counter()
        for lot, day in con.execute(
            "SELECT b.lot_id, substr(s.started_at, 1, 10) FROM blend_item b "
            "JOIN treatment_session s ON s.id = b.session_id"
        ):
            found[str(lot), day] += 1
        if numbing:
            for lot, day in con.execute(
                "SELECT numbing_lot_id, substr(started_at, 1, 10) FROM treatment_session "
                "WHERE numbing_lot_id IS NOT NULL"
            ):
                found[str(lot), day] += 1
        return found
    finally:
        con.close()


def test_the_numbing_lots_saved_before_are_counted_once_and_leave_again_on_the_way_down(
    tmp_path: Path,
) -> None:
    path = tmp_path / "clinic.sqlite3"
    db = open_database(resolve_target(path))
    generate_demo(db, 80, 5, today=NOW.date())
    db.close()
    assert lot_days(path) == recount(path, numbing=True)  # the demo counts them too
    to_revision(path, "0007")
    # what version 0007 kept: the blend's lots only
    assert lot_days(path) == recount(path, numbing=False)
    con = sqlite3.connect(path)
    (numbed,) = con.execute(
        "SELECT count(*) FROM treatment_session WHERE numbing_lot_id IS NOT NULL"
    ).fetchone()
    con.close()
    assert numbed > 50  # the demo gives many sessions a numbing cream's lot
    before = counts(path)

    services = Services.open(path, clock=FixedClock(NOW))  # migrates to the head
    try:
        after = counts(path)
        # the upgrade goes on to 0006, which keys the trail and seals every row (entries added,
        # never taken; its own tables come back)
        grown = ("stats_session_day", "audit_entry")
        assert {t: n for t, n in after.items() if t in before and t not in grown} == {
            t: n for t, n in before.items() if t not in grown
        }
        assert after["audit_entry"] > before["audit_entry"] and after["clinic"] == 1
        assert lot_days(path) == recount(path, numbing=True)
        assert set(services.analytics.drift().values()) == {0}
        con = sqlite3.connect(path)
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        con.close()
    finally:
        services.close()

    to_revision(path, "0007")
    assert lot_days(path) == recount(path, numbing=False)
    con = sqlite3.connect(path)
    try:
        views = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'"))
        assert "numbing" not in views[VIEW]
    finally:
        con.close()
