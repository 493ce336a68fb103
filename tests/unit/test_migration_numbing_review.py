"""Migration 0007 (numbing product, patient's GAIS): a clinic's database made before it keeps
every row, every view and trigger (the dashboard's running totals still follow new sessions),
and its sessions keep the numbing agent they had."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from mesodesk.domain.catalogue import LotInput, ProductInput
from mesodesk.domain.clock import FixedClock
from mesodesk.domain.treatment import BlendInput, SessionInput
from mesodesk.services.demo import generate_demo
from mesodesk.services.registry import Services
from mesodesk.store.db import resolve_target
from mesodesk.store.migrate import open_database
from tests.conftest import NOW
from tests.unit.test_migration_due_recall import counts, to_revision
from tests.unit.test_migration_numbing_lots import TRIGGERS, VIEW


def schema(path: Path) -> dict[tuple[str, str], str]:
    con = sqlite3.connect(path)
    try:
        return {
            (kind, name): sql
            for kind, name, sql in con.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'trigger')"
            )
        }
    finally:
        con.close()


def test_a_database_of_the_previous_version_is_brought_up_with_nothing_lost(
    tmp_path: Path,
) -> None:
    path = tmp_path / "clinic.sqlite3"
    db = open_database(resolve_target(path))
    generate_demo(db, 60, 3, today=NOW.date())
    db.close()
    to_revision(path, "0005")  # the revision before 0007
    con = sqlite3.connect(path)
    columns = {r[1] for r in con.execute("PRAGMA table_info(treatment_session)")}
    assert "numbing_lot_id" not in columns
    # what version 0.1 stored: a numbing agent that is a type only
    con.execute("UPDATE treatment_session SET numbing_agent = 'topical' WHERE id % 3 = 0")
    con.commit()
    (active,) = con.execute(
        "SELECT max(s.id) FROM treatment_session s JOIN course c ON c.id = s.course_id "
        "WHERE c.status = 'active' AND s.numbing_agent = 'topical'"
    ).fetchone()
    agents = con.execute("SELECT id, numbing_agent FROM treatment_session ORDER BY id").fetchall()
    con.close()
    before, objects = counts(path), schema(path)

    services = Services.open(path, clock=FixedClock(NOW))  # migrates
    try:
        after_counts = counts(path)
        # every table, every row; the upgrade goes on to 0006, which keys the audit trail and
        # seals every row as 0007 left it: the trail grows (never shrinks) and its tables come
        assert after_counts["audit_entry"] > before["audit_entry"]
        assert after_counts["audit_row_seal"] > 0 and after_counts["clinic"] == 1
        kept = {t for t in before if t != "audit_entry"}
        assert {t: after_counts[t] for t in kept} == {t: before[t] for t in kept}
        # every view and trigger, as it was, but those 0008 makes count the numbing lots; 0006
        # adds the guards of its own tables
        redone = {VIEW, *TRIGGERS}
        now = {
            k: v
            for k, v in schema(path).items()
            if not k[1].startswith(("audit_row_seal_", "clinic_"))
        }
        assert {k: v for k, v in now.items() if k[1] not in redone} == {
            k: v for k, v in objects.items() if k[1] not in redone
        }
        assert set(now) == set(objects)
        assert services.analytics.drift() == dict.fromkeys(services.analytics.drift(), 0)
        record_ids = [r[0] for r in agents]
        con = sqlite3.connect(path)
        after = con.execute(
            "SELECT id, numbing_agent FROM treatment_session ORDER BY id"
        ).fetchall()
        assert after == agents and record_ids
        assert con.execute(
            "SELECT count(*) FROM treatment_session WHERE numbing_lot_id IS NOT NULL"
        ).fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM product WHERE numbing").fetchone() == (0,)
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        con.close()
        old = services.sessions.session(active)
        assert old.numbing is None and old.numbing_text == "Topical anaesthetic cream"
        # a session logged after the migration, with a numbing lot, is counted by the triggers
        c = services.catalogue
        cream = c.create_product(ProductInput("Numbing cream", ("Lidocaine",), numbing=True))
        lot = c.create_lot(LotInput(cream.value.id, "NC-9", NOW.date().replace(year=2030)))
        data = SessionInput(
            old.course_id,
            datetime(2026, 11, 24, 9),
            old.areas,
            old.depth_mm,
            (BlendInput(old.blend[0].lot_id, 1.0),),
            numbing_agent=old.numbing_agent,
            numbing_lot_id=lot.value.id,
        )
        allergic = services.sessions.allergy_warnings(old.patient_id, data.blend, lot.value.id)
        services.sessions.log_session(
            old.patient_id,
            data,
            allergy_confirmed=bool(allergic),
            confirmed=[
                "session.same_day",
                "session.interval",
                "session.beyond_plan",
                "session.depth",
                "ci.autoimmune",
                "ci.diabetes",
                "ci.cancer",
                "ci.keloid",
                "ci.ingredient_allergy",
            ],
            override_reason="Checked with the patient's physician today.",
        )
        assert set(services.analytics.drift().values()) == {0}
        assert counts(path)["treatment_session"] == before["treatment_session"] + 1
    finally:
        services.close()
