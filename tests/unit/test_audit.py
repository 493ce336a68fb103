"""The audit trail: every change of a record is an entry, written by the store for any service;
the entries form a hash chain that shows an edited, deleted or inserted row."""

import csv
import json
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, text, update

from mesodesk.domain import audit as A
from mesodesk.domain.audit import Actor, AuditQuery, ChainLink, csv_safe, verify_chain
from mesodesk.domain.catalogue import LotInput, PractitionerInput, ProductInput
from mesodesk.domain.enums import BodyArea, Indication, ReportChannel, SideEffectKind
from mesodesk.domain.errors import ValidationError
from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput, SideEffectInput
from mesodesk.services.registry import Services
from mesodesk.store import models as m
from tests.conftest import NOW, patient_input
from tests.unit.test_cli import run

STAMP = NOW.replace(tzinfo=UTC)


# Entries that are the trail's own bookkeeping (its keyed start, row seals) and the record-number
# counter a new patient takes: left out where a test looks at what a service recorded.
BOOKKEEPING = frozenset({A.CHAIN_KEYED, A.SEAL})


def entries(services: Any, **query: Any) -> list[A.AuditEntry]:
    found = reversed(services.audit.search(AuditQuery(**query), limit=1000).entries)
    return [e for e in found if e.action not in BOOKKEEPING and e.entity != "counter"]


def tamper(path: Path, *sql: str) -> None:
    """What someone with the sqlite3 shell could do: drop the guard, change rows, put the
    guard back so that nothing looks amiss."""
    con = sqlite3.connect(path)
    guard = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger'"))
    for name in guard:
        con.execute(f"DROP TRIGGER {name}")
    for statement in sql:
        con.execute(statement)
    for statement in guard.values():
        con.execute(statement)
    con.commit()
    con.close()


# -- what is recorded -----------------------------------------------------------------------------


def test_patient_changes_are_recorded_with_who_when_and_values(services: Any) -> None:
    services.database.work_as(Actor("Dr. Amelia Hart", 3))
    p = services.patients.create(patient_input()).value
    services.patients.update(p.id, patient_input(last_name="Schneider", phone=""))
    services.patients.update(p.id, patient_input(last_name="Schneider", phone=""))  # no change
    services.patients.archive(p.id)
    services.patients.unarchive(p.id)
    log = entries(services)
    assert [e.action for e in log] == ["create", "update", "archive", "unarchive"]
    assert all(e.entity == "patient" and e.entity_id == p.id for e in log)
    assert all(e.patient_id == p.id and e.record_no == "MD-000001" for e in log)
    assert all(e.actor == "Dr. Amelia Hart" and e.actor_id == 3 for e in log)
    assert log[0].at == NOW.replace(tzinfo=UTC)
    assert log[0].before is None and log[0].after is not None
    assert log[0].after["last_name"] == "Müller" and log[0].after["birth_date"] == "1985-03-24"
    assert "first_folded" not in log[0].after and "updated_at" not in log[0].after
    assert log[1].before == {"last_name": "Müller", "phone": "+1 (555) 123-4567"}
    assert log[1].after == {"last_name": "Schneider", "phone": ""}
    assert log[2].before is not None and log[2].before["archived"] is False
    assert log[2].after is not None and log[2].after["archived"] is True
    assert services.audit.verify().ok


def test_a_failed_change_leaves_no_entry(services: Any) -> None:
    start = services.audit.count()  # the trail's keyed start
    with pytest.raises(ValidationError):
        services.patients.create(patient_input(first_name=""))
    with pytest.raises(RuntimeError), services._db.write() as s:
        s.add(m.Practitioner(name="X", created_at=STAMP, updated_at=STAMP))
        s.flush()
        raise RuntimeError("the transaction is rolled back, its entry with it")
    assert services.audit.count() == start and entries(services) == []


def test_every_service_is_audited_without_calling_the_audit(services: Any) -> None:
    """The treatment record's services know nothing of the audit trail; their changes are
    recorded all the same, each with the patient it concerns."""
    c = services.catalogue
    doctor = c.create_practitioner(PractitionerInput("Dr. Amelia Hart", "Dermatologist")).value
    product = c.create_product(ProductInput("Hyaluronic acid 1.5%", ("Sodium hyaluronate",)))
    lot = c.create_lot(LotInput(product.value.id, "HA-2601-A", date(2027, 6, 30))).value
    patient = services.patients.create(patient_input()).value
    course = services.courses.create_course(
        patient.id,
        CourseInput(
            Indication.WRINKLES,
            date(2026, 10, 1),
            (BodyArea.FOREHEAD,),
            planned_sessions=6,
            induction_sessions=3,
            induction_interval_days=7,
        ),
    ).value
    session = services.sessions.log_session(
        patient.id,
        SessionInput(
            course_id=course.id,
            started_at=datetime(2026, 10, 1, 10),
            areas=(BodyArea.FOREHEAD,),
            depth_mm=1.5,
            blend=(BlendInput(lot.id, 2.0),),
            practitioner_id=doctor.id,
        ),
    ).value
    services.side_effects.record_side_effect(
        patient.id,
        SideEffectInput(
            kind=SideEffectKind.SWELLING,
            onset_on=date(2026, 10, 2),
            grade=1,
            body_area=BodyArea.FOREHEAD,
            reported_at=datetime(2026, 10, 3, 9),
            session_id=session.id,
            reported_via=ReportChannel.PHONE,
        ),
    )
    services.sessions.delete_session(session.id, "delete")
    log = entries(services)
    made = {(e.action, e.entity) for e in log}
    for entity in (
        "practitioner",
        "product",
        "ingredient",
        "product_lot",
        "patient",
        "course",
        "treatment_session",
        "blend_item",
        "side_effect",
    ):
        assert ("create", entity) in made, entity
    for entity in ("treatment_session", "blend_item", "side_effect"):
        assert ("delete", entity) in made, entity
    about_patient = [e for e in log if e.entity in ("course", "treatment_session", "blend_item")]
    assert about_patient and all(e.patient_id == patient.id for e in about_patient)
    deleted = next(e for e in log if e.action == "delete" and e.entity == "treatment_session")
    assert deleted.before is not None and deleted.before["depth_mm"] == 1.5
    # caches kept by the treatment service (next due, last session) are not entries of their own
    assert not [e for e in log if e.entity == "patient" and e.action == "update"]
    assert services.audit.verify().ok


def test_statements_through_a_session_are_audited_row_by_row(services: Any) -> None:
    p1 = services.patients.create(patient_input()).value
    p2 = services.patients.create(patient_input(first_name="Anna")).value
    table = m.Patient.__table__  # type: ignore[attr-defined]
    with services._db.write() as s:
        s.execute(update(m.Patient).where(m.Patient.id == p1.id).values(email="new@example.com"))
        s.execute(update(table).values(sex="female"))
        s.execute(update(table).values(next_due=date(2027, 1, 1)))  # a cache: no entry
        s.execute(
            insert(m.Practitioner),
            [{"name": n, "created_at": STAMP, "updated_at": STAMP} for n in ("Dr. A", "Dr. B")],
        )
        s.execute(delete(m.Practitioner).where(m.Practitioner.name == "Dr. B"))
    log = entries(services)[2:]
    assert [(e.action, e.entity, e.entity_id) for e in log] == [
        ("update", "patient", p1.id),
        ("update", "patient", p1.id),
        ("update", "patient", p2.id),
        ("create", "practitioner", 1),
        ("create", "practitioner", 2),
        ("delete", "practitioner", 2),
    ]
    assert log[0].before == {"email": "jose@example.com"}
    assert log[0].after == {"email": "new@example.com"}
    assert log[5].before is not None and log[5].before["name"] == "Dr. B"
    assert services.audit.verify().ok


def test_events_and_the_demo_are_recorded(services: Any, tmp_path: Path) -> None:
    from mesodesk.services.demo import generate_demo

    generate_demo(services._db, 30, 1, today=date(2026, 11, 24))
    services.audit.record_event(A.PDF_EXPORT, patient_id=5, details={"file": "summary.pdf"})
    log = entries(services)
    assert [e.action for e in log] == ["demo_load", "pdf_export"]
    assert log[0].after == {"patients": 30, "seed": 1, "as_of": "2026-11-24"}
    assert log[1].patient_id == 5 and log[1].record_no == "MD-000005"
    assert services.audit.verify().ok
    with pytest.raises(ValidationError):
        services.audit.record_event("")


def test_concurrent_writers_keep_one_chain(db_path: Path, clock: Any) -> None:
    """Two workstations (two Database objects) saving at the same time: BEGIN IMMEDIATE puts
    their transactions one after the other, so the chain never forks."""
    first = Services.open(db_path, clock=clock)
    second = Services.open(db_path, clock=clock)
    errors: list[BaseException] = []

    def save(services: Any, name: str) -> None:
        try:
            for i in range(15):
                services.patients.create(patient_input(first_name=f"{name}{i}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=save, args=(first, "Anna")),
        threading.Thread(target=save, args=(second, "Bea")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = first.audit.verify()
    assert report.ok
    assert len([e for e in entries(first) if e.entity == "patient"]) == 30
    first.close()
    second.close()


# -- filters and export ---------------------------------------------------------------------------


def test_search_by_patient_user_and_time(services: Any, clock: Any) -> None:
    a = services.patients.create(patient_input()).value
    services.database.work_as(Actor("Nurse Bea"))
    b = services.patients.create(patient_input(first_name="Anna")).value
    clock._now = NOW + timedelta(days=2)
    services.patients.archive(a.id)
    assert [e.entity_id for e in entries(services, patient_id=a.id)] == [a.id, a.id]
    assert [e.entity_id for e in entries(services, actor="Nurse Bea")] == [b.id, a.id]
    later = entries(services, since=(NOW + timedelta(days=1)).replace(tzinfo=UTC))
    assert [e.action for e in later] == ["archive"]
    earlier = entries(services, until=(NOW + timedelta(days=1)).replace(tzinfo=UTC))
    assert len(earlier) == 2
    assert "Nurse Bea" in services.audit.actors()
    page = services.audit.search(AuditQuery(patient_id=a.id), offset=1, limit=1)
    assert page.total == 2 and len(page.entries) == 1 and page.entries[0].action == "create"


def test_csv_export_neutralises_formulas(services: Any, tmp_path: Path) -> None:
    services.database.work_as(Actor('=HYPERLINK("http://evil")'))
    services.patients.create(patient_input(first_name="+Anna", address="@home\n-1"))
    services.patients.create(patient_input(first_name="Bea"))
    out = tmp_path / "audit.csv"
    query = AuditQuery(actor='=HYPERLINK("http://evil")')
    assert services.audit.export_csv(out, query) == 2
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM, for spreadsheets
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][0] == "entry" and len(rows) == 3
    for row in rows[1:]:
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row)
    assert rows[1][2] == '\'=HYPERLINK("http://evil")'
    anna = next(r for r in rows[1:] if r[5] == "patient")
    assert json.loads(anna[9])["first_name"] == "+Anna"  # the JSON cell starts with {
    assert csv_safe("-5") == "'-5" and csv_safe("\tx") == "'\tx" and csv_safe("ok") == "ok"
    assert csv_safe(None) == ""


# -- the chain ------------------------------------------------------------------------------------


def _links(n: int) -> list[ChainLink]:
    links, prev = [], A.GENESIS
    for i in range(1, n + 1):
        link = ChainLink(i, f"2026-11-24T10:00:0{i}.000000Z", "x", None, "create", "patient",
                         i, i, None, '{"a":1}', "", prev).sealed()  # fmt: skip
        links.append(link)
        prev = link.hash
    return links


def test_verify_chain_in_pure_python() -> None:
    links = _links(4)
    assert verify_chain(links, 4, links[-1].hash).ok
    assert verify_chain([], 0, A.GENESIS).ok
    edited = [*links[:2], ChainLink(**{**links[2].__dict__, "actor": "y"}), links[3]]
    assert verify_chain(edited, 4, links[-1].hash).first_bad == 3
    assert verify_chain([links[0], links[2], links[3]], 4, links[-1].hash).first_bad == 2
    assert verify_chain(links[:3], 4, links[-1].hash).first_bad == 4
    resealed = [*links[:2], ChainLink(**{**links[2].__dict__, "actor": "y"}).sealed(), links[3]]
    assert verify_chain(resealed, 4, links[-1].hash).first_bad == 4  # its link no longer fits
    assert verify_chain(links, 3, links[2].hash).first_bad == 4  # more than the head says


@pytest.fixture
def audited(services: Any, db_path: Path) -> Path:
    """Entry 1 is the trail's keyed start; the patients are entries 2 to 5."""
    for name in ("Anna", "Bea", "Cleo", "Dora"):
        services.patients.create(patient_input(first_name=name))
    services.close()
    return db_path


def test_the_guard_refuses_changes_in_the_sqlite_shell(audited: Path) -> None:
    con = sqlite3.connect(audited)
    for statement in (
        "UPDATE audit_entry SET actor = 'someone else' WHERE seq = 2",
        "DELETE FROM audit_entry WHERE seq = 4",
        "DELETE FROM clinic",
        "UPDATE clinic SET uid = 'x'",
        "DELETE FROM audit_head",
        "UPDATE audit_head SET seq = 3",
    ):
        with pytest.raises(sqlite3.IntegrityError):
            con.execute(statement)
    con.close()


@pytest.mark.parametrize(
    ("sql", "entry", "words"),
    [
        (["UPDATE audit_entry SET actor = 'someone else' WHERE seq = 3"], 3, "changed"),
        (["UPDATE audit_entry SET new_values = '{}' WHERE seq = 1"], 1, "changed"),
        (["DELETE FROM audit_entry WHERE seq = 4"], 4, "missing"),
        (["DELETE FROM audit_entry WHERE seq = 5"], 5, "newest"),
        (
            # the tail cut and the head rewritten to match: the witness file still saw entry 5
            [
                "DELETE FROM audit_entry WHERE seq = 5",
                "UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_entry WHERE seq=4)",
            ],
            5,
            "cut short",
        ),
        (
            [
                "INSERT INTO audit_entry (seq, at, actor, actor_id, action, entity, entity_id,"
                " patient_id, old_values, new_values, detail, prev_hash, hash)"
                " SELECT 6, at, actor, actor_id, action, entity, entity_id,"
                " patient_id, old_values, new_values, detail, hash, hash FROM audit_entry"
                " WHERE seq = 5",
                "UPDATE audit_head SET seq = 6, hash = (SELECT hash FROM audit_entry WHERE seq=6)",
            ],
            6,
            "seal",
        ),
    ],
)
def test_verify_names_the_first_bad_entry(
    capsys: Any, audited: Path, sql: list[str], entry: int, words: str
) -> None:
    code, out, _ = run(capsys, "--db", str(audited), "audit", "verify")
    assert code == 0 and "5 entries" in out
    tamper(audited, *sql)
    code, out, err = run(capsys, "--db", str(audited), "audit", "verify")
    assert code == 1 and f"entry {entry}" in err and words in err
    assert "Anna" not in err and "Müller" not in err  # names and values never go to stderr
    code, out, _ = run(capsys, "--db", str(audited), "check")
    assert code == 1 and "FAIL  audit trail" in out


def test_verify_fails_when_the_guard_is_gone(capsys: Any, audited: Path) -> None:
    con = sqlite3.connect(audited)
    con.execute("DROP TRIGGER audit_entry_no_delete")
    con.commit()
    con.close()
    code, _, err = run(capsys, "--db", str(audited), "audit", "verify")
    assert code == 1 and "guard" in err and "audit_entry_no_delete" in err


def test_audit_list_on_the_command_line(capsys: Any, audited: Path, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--db", str(audited), "audit", "list", "--patient", "MD-000002")
    assert code == 0 and "MD-000002" in out and "create" in out and "MD-000001" not in out
    code, out, _ = run(capsys, "--db", str(audited), "audit", "list", "--json", "--limit", "2")
    listed = json.loads(out)
    assert [e["entry"] for e in listed] == [5, 4] and listed[0]["after"]["first_name"] == "Dora"
    code, out, _ = run(
        capsys, "--db", str(audited), "audit", "list", "--since", "2100-01-01", "--json"
    )
    assert json.loads(out) == []
    target = tmp_path / "out.csv"
    code, out, _ = run(capsys, "--db", str(audited), "audit", "list", "--csv", str(target))
    assert code == 0 and "5 entries" in out and target.exists()
    code, _, err = run(capsys, "--db", str(audited), "audit", "list", "--patient", "MD-9")
    assert code == 1 and "no patient" in err
    code, _, err = run(capsys, "--db", str(audited), "audit")
    assert code == 2 and "verify or list" in err


def test_a_database_from_before_the_audit_trail_gets_one(tmp_path: Path) -> None:
    """A database at schema 0001 is upgraded: the trail starts empty and sound."""
    from alembic import command
    from sqlalchemy import create_engine

    from mesodesk.store.migrate import alembic_config

    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("INSERT INTO app_setting (key, value) VALUES ('k', 'v')"))
    engine.dispose()
    services = Services.open(path)
    assert services.audit.verify().ok
    assert [e.action for e in services.audit.search(AuditQuery()).entries][-1] == A.CHAIN_KEYED
    services.patients.create(patient_input())
    assert services.audit.verify().ok and len(entries(services, action="create")) == 1
    services.close()
