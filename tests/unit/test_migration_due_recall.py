"""Migration 0005 (due and recall): a clinic's database made before it keeps every row, gets its lot
numbers folded and its due dates recomputed by the one schedule function (repairing the caches
older versions and the old demo loader left out of step)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command

from mesodesk.domain.clock import Clock
from mesodesk.domain.integrity import schema_differences, schema_objects
from mesodesk.services.analytics import AnalyticsService
from mesodesk.services.demo import generate_demo
from mesodesk.store.db import create_db_engine, resolve_target
from mesodesk.store.derived import drift
from mesodesk.store.migrate import alembic_config, expected_schema, open_database
from tests.conftest import NOW


def counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def to_revision(path: Path, revision: str) -> None:
    engine = create_db_engine(resolve_target(path), pool=False)
    cfg = alembic_config()
    try:
        with engine.connect() as conn:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            cfg.attributes["connection"] = conn.execution_options(mesodesk_write=True)
            command.downgrade(cfg, revision)
    finally:
        engine.dispose()


def test_an_older_database_is_brought_up_with_nothing_lost(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite3"
    db = open_database(resolve_target(path))
    generate_demo(db, 120, 4, today=NOW.date())
    db.close()
    before = counts(path)
    to_revision(path, "0003")
    con = sqlite3.connect(path)
    # what the demo loader of 0.1 left behind: follow-ups of closed courses blanked, and a lot
    # number with letters that SQLite's upper() does not fold
    con.execute("UPDATE course SET next_due = NULL WHERE status = 'completed'")
    con.execute("UPDATE patient SET next_due = '1999-01-01' WHERE id % 7 = 0")
    con.execute("UPDATE product_lot SET lot_number = 'ÅB-12ç' WHERE id = 1")
    con.commit()
    columns = {r[1] for r in con.execute("PRAGMA table_info(product_lot)")}
    con.close()
    assert "lot_folded" not in columns
    db = open_database(resolve_target(path))  # migrates
    try:
        with db.read() as s:
            assert drift(s.connection(), Clock().today()) == []
        # the dashboard's totals equal a recount (the sessions' numbing lots, counted there
        # since 0008, left with their column on the way down through 0007)
        assert set(AnalyticsService(db).drift().values()) == {0}
    finally:
        db.close()
    after = counts(path)
    # the downgrade to 0003 dropped 0006's row seals; going up again seals every record anew,
    # in entries added to the trail (which keeps every entry it had); the day totals may
    # change with 0008 (checked against a recount below)
    changed = ("audit_entry", "audit_row_seal", "stats_session_day")
    assert {t: n for t, n in after.items() if t not in changed} == {
        t: n for t, n in before.items() if t not in changed
    }  # every other table, every row
    assert after["audit_entry"] > before["audit_entry"]
    con = sqlite3.connect(path)
    try:
        assert con.execute("SELECT lot_folded FROM product_lot WHERE id = 1").fetchone() == (
            "ab-12c",
        )
        assert con.execute(
            "SELECT count(*) FROM course WHERE status = 'completed' AND next_due IS NOT NULL"
        ).fetchone()[0]
        # a lot cannot be added without its folded number, even from the sqlite3 shell
        with pytest.raises(sqlite3.IntegrityError, match="lot_folded"):
            con.execute(
                "INSERT INTO product_lot (product_id, lot_number, expiry_date, notes, "
                "created_at, updated_at) VALUES (1, 'X-1', '2030-01-01', '', '2026-01-01', "
                "'2026-01-01')"
            )
        # the dashboard's triggers and views are all still there
        kinds = dict(
            con.execute(
                "SELECT type, count(*) FROM sqlite_master WHERE type IN ('trigger', 'view') "
                "GROUP BY type"
            ).fetchall()
        )
        # 0003's, 0004's (side_effect_lot) and 0006's audit guards
        assert kinds == {"trigger": 26, "view": 4}
        rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
        assert schema_differences(expected_schema(), schema_objects(rows)) == []
    finally:
        con.close()
