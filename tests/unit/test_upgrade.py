"""A clinic's database made by mesodesk 0.1 (schema 0003, unkeyed SHA-256 chain) upgraded to
the keyed trail (migration 0006_integrity): nothing lost or rewritten, the old chain checked
once and sealed under the new key, and any later change to it shown."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mesodesk.domain.clock import FixedClock
from mesodesk.services.registry import Services
from mesodesk.store.db import Database, create_db_engine, resolve_target
from mesodesk.store.migrate import alembic_config
from tests.conftest import NOW, patient_input
from tests.unit.test_cli import run


def legacy_clinic(path: Path) -> None:
    """What mesodesk 0.1 left: its schema, a demo clinic, changes through the services."""
    from alembic import command

    from mesodesk.domain.settings import ClinicSettings
    from mesodesk.services.demo import generate_demo

    target = resolve_target(path)
    engine = create_db_engine(target, pool=False)
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn.execution_options(mesodesk_write=True)
        command.upgrade(cfg, "0003")
    engine.dispose()
    db = Database(create_db_engine(target), target)
    services = Services.for_database(db, FixedClock(NOW))
    generate_demo(db, 20, 4, today=NOW.date())
    services.patients.create(patient_input(first_name="Old"))
    services.patients.update(21, patient_input(first_name="Older"))
    services.settings.update(ClinicSettings(clinic_name="Clinique du Lac"))
    db.close()


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if r[0] not in ("alembic_version", "sqlite_stat1")
        ]
        out = {}
        for table in tables:
            columns = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
            shown = ", ".join(f'"{c}"' for c in columns if c not in ("row_key", "row_mac"))
            rows = con.execute(f'SELECT {shown} FROM "{table}"').fetchall()
            out[table] = sorted(rows, key=lambda r: tuple((v is None, str(v)) for v in r))
            if table == "audit_entry":
                out[table] = sorted(rows, key=lambda r: r[0])
        return out
    finally:
        con.close()


def test_an_old_database_is_upgraded_with_nothing_lost(capsys: Any, tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    legacy_clinic(db)
    before = snapshot(db)
    code, out, _ = run(capsys, "--db", str(db), "check", "--quick")
    assert code == 0 and "sealed when mesodesk upgrades" in out
    services = Services.open(db, clock=FixedClock(NOW))
    after = snapshot(db)
    for table, rows in before.items():
        if table == "audit_head":
            continue
        if table == "audit_entry":
            assert after[table][: len(rows)] == rows  # the old entries, every byte as it was
            continue
        assert after[table] == rows, table
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
