"""A clinic's database made by mesodesk 0.1 (schema 0003, unkeyed SHA-256 chain) upgraded to
the keyed trail (migration 0006): nothing lost or rewritten, the old chain checked
once and sealed under the new key, and any later change to it shown."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mesodesk.domain.clock import FixedClock
from mesodesk.services.registry import Services
from mesodesk.store.rows import IGNORED
from tests.conftest import NOW, patient_input
from tests.unit.test_cli import run

DATA = Path(__file__).parent.parent / "data"


def legacy_clinic(path: Path, schema: str = "0003") -> None:
    """What an older mesodesk left, made by its own code (tests/data/old_clinic.py): mesodesk
    0.1 (schema 0003), main before issue 12 (0005) or with the numbing product (0007, before
    0006 keyed the trail), each with its demo clinic, changes through its services, and its
    unkeyed SHA-256 chain."""
    dump = gzip.decompress((DATA / f"clinic-{schema}.sql.gz").read_bytes()).decode()
    con = sqlite3.connect(path)
    try:
        con.executescript(dump)
        assert con.execute("SELECT version_num FROM alembic_version").fetchone() == (schema,)
    finally:
        con.close()


def columns_of(path: Path) -> dict[str, list[str]]:
    """Each table's columns, less the caches the migrations recompute (mesodesk.store.rows:
    0005 recomputes the due dates) and the audit's own row columns."""
    con = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if r[0] not in ("alembic_version", "sqlite_stat1")
        ]
        return {
            table: [
                c
                for (c,) in con.execute(f'SELECT name FROM pragma_table_info("{table}")')
                if c not in ("row_key", "row_mac") and c not in IGNORED.get(table, ())
            ]
            for table in tables
        }
    finally:
        con.close()


def snapshot(path: Path, columns: dict[str, list[str]]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``columns``' tables, in those of its columns the file still has."""
    con = sqlite3.connect(path)
    try:
        out = {}
        for table, wanted in columns.items():
            have = {c for (c,) in con.execute(f'SELECT name FROM pragma_table_info("{table}")')}
            shown = ", ".join(f'"{c}"' for c in wanted if c in have)
            rows = con.execute(f'SELECT {shown} FROM "{table}"').fetchall()
            out[table] = sorted(rows, key=lambda r: tuple((v is None, str(v)) for v in r))
            if table == "audit_entry":
                out[table] = sorted(rows, key=lambda r: r[0])
        return out
    finally:
        con.close()


@pytest.mark.parametrize("schema", ["0003", "0005", "0007"])
def test_an_old_database_is_upgraded_with_nothing_lost(
    capsys: Any, tmp_path: Path, schema: str
) -> None:
    db = tmp_path / "old.sqlite3"
    legacy_clinic(db, schema)
    columns = columns_of(db)
    suspected = set()
    if "lot_id" in columns["side_effect"]:  # 0.1: one lot a side effect; 0004 links them
        con = sqlite3.connect(db)
        suspected = set(
            con.execute("SELECT id, lot_id FROM side_effect WHERE lot_id IS NOT NULL").fetchall()
        )
        con.close()
        assert suspected
        columns["side_effect"].remove("lot_id")
    before = snapshot(db, columns)
    code, out, _ = run(capsys, "--db", str(db), "check", "--quick")
    assert code == 0 and "sealed when mesodesk upgrades" in out
    services = Services.open(db, clock=FixedClock(NOW))
    after = snapshot(db, columns)
    if suspected:
        con = sqlite3.connect(db)
        links = set(con.execute("SELECT side_effect_id, lot_id FROM side_effect_lot").fetchall())
        con.close()
        assert suspected <= links
    for table, rows in before.items():
        if table == "audit_head":
            continue
        if table == "stats_session_day" and schema == "0007":
            continue  # 0008 counts the numbing lots in the day totals (a recount checks them)
        if table == "audit_entry":
            assert after[table][: len(rows)] == rows  # the old entries, every byte as it was
            continue
        assert after[table] == rows, table
    assert set(services.analytics.drift().values()) == {0}  # the day totals equal a recount
    report = services.audit.verify()
    assert report.ok and report.keyed and report.entries > len(before["audit_entry"])
    p = services.patients.create(patient_input(first_name="New")).value
    assert p.record_no == "MD-000022"
    services.close()
    code, out, _ = run(capsys, "--db", str(db), "check", "--quick")
    assert code == 0, out
    # the old entries are sealed now: a change to one of them shows
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER audit_entry_no_update")
    con.execute("UPDATE audit_entry SET actor = 'Dr. Nobody' WHERE seq = 2")
    con.commit()
    con.close()
    code, _, err = run(capsys, "--db", str(db), "audit", "verify")
    assert code == 1 and "entry 2" in err


@pytest.mark.parametrize("reseal", [False, True])
def test_an_old_trail_broken_before_the_upgrade_stays_reported(
    capsys: Any, tmp_path: Path, reseal: bool
) -> None:
    """What the upgrade found is sealed into the trail: a trail already broken stays reported
    (nothing is lost and the database opens); one that was re-sealed by hand before the
    upgrade is beyond what an unkeyed chain could show, and is now fixed as it was."""
    from tests.attacks import _reseal

    db = tmp_path / "old.sqlite3"
    legacy_clinic(db)
    con = sqlite3.connect(db)
    guards = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _sql in guards:
        con.execute(f'DROP TRIGGER "{name}"')
    con.execute("UPDATE audit_entry SET actor = 'Dr. Nobody' WHERE seq = 2")
    if reseal:
        _reseal(con)
    for _name, sql in guards:
        con.execute(sql)
    con.commit()
    con.close()
    services = Services.open(db, clock=FixedClock(NOW))
    assert services.patients.get_by_record_no("MD-000021").first_name == "Older"
    report = services.audit.verify()
    services.close()
    if reseal:
        assert report.ok
        return
    assert not report.ok and "already broken when mesodesk sealed them" in report.describe()
