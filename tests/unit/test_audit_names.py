"""Audit entries name their records as a person knows them (issue 15 item 12): the patient's
record number and name, "session of 2026-10-01", "Lidocaine 2% lot L-2208-B", worked out when
shown or exported, the sealed entries unchanged."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mesodesk.domain.audit import AuditQuery
from mesodesk.domain.catalogue import LotInput, ProductInput
from mesodesk.domain.enums import BodyArea, Indication, ReportChannel, SideEffectKind
from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput, SideEffectInput
from mesodesk.services.audit_names import plain_words
from tests.conftest import patient_input


def clinic_day(services: Any) -> dict[str, Any]:
    c = services.catalogue
    product = c.create_product(ProductInput("Lidocaine 2%", ("Lidocaine",))).value
    lot = c.create_lot(LotInput(product.id, "L-2208-B", date(2027, 6, 30))).value
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
            lot_ids=(lot.id,),
            reported_via=ReportChannel.PHONE,
        ),
    )
    return {"patient": patient, "session": session, "lot": lot}


def named(services: Any) -> dict[tuple[str, str | None], str]:
    entries = services.audit.search(AuditQuery(), limit=1000).entries
    names = services.audit.names(entries)
    return {(e.action, e.entity): plain_words(names[e.seq]) for e in entries if e.seq in names}


def test_entries_name_their_records_as_a_person_knows_them(services: Any) -> None:
    clinic_day(services)
    words = named(services)
    assert words[("create", "patient")] == "patient MD-000001 Müller, José"
    assert words[("create", "product")] == "product Lidocaine 2%"
    assert words[("create", "ingredient")] == "ingredient Lidocaine in Lidocaine 2%"
    assert words[("create", "product_lot")] == "Lidocaine 2% lot L-2208-B"
    assert words[("create", "course")] == "course Wrinkles and laughter lines started 2026-10-01"
    assert words[("create", "treatment_session")] == "session of 2026-10-01"
    assert (
        words[("create", "blend_item")] == "Lidocaine 2% lot L-2208-B in the session of 2026-10-01"
    )
    assert words[("create", "side_effect")] == "swelling of 2026-10-02"
    assert words[("create", "side_effect_lot")] == (
        "Lidocaine 2% lot L-2208-B suspected in the swelling of 2026-10-02"
    )
    # no internal id is what names a record
    assert not any(w.split()[-1].isdigit() for w in words.values())


def test_a_record_deleted_since_is_named_from_its_entry(services: Any) -> None:
    day = clinic_day(services)
    services.sessions.delete_session(day["session"].id, "delete")
    words = named(services)
    assert words[("create", "treatment_session")] == "session of 2026-10-01 (deleted since)"
    assert words[("delete", "treatment_session")] == "session of 2026-10-01 (deleted since)"
    assert words[("delete", "side_effect")] == "swelling of 2026-10-02 (deleted since)"
    # a blend item deleted with its session: the session's day from the session's own entry
    assert words[("delete", "blend_item")] == (
        "Lidocaine 2% lot L-2208-B in the session of 2026-10-01 (deleted since)"
    )
    # the sealed chain is what it was
    assert services.audit.verify().ok


def test_the_csv_names_the_record_and_the_patient(services: Any, tmp_path: Path) -> None:
    clinic_day(services)
    target = tmp_path / "trail.csv"
    services.audit.export_csv(target, AuditQuery())
    with target.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    session = next(r for r in rows if r["record type"] == "treatment_session")
    assert session["record named"] == "session of 2026-10-01"
    assert session["patient named"] == "MD-000001 Müller, José"
    lot = next(r for r in rows if r["record type"] == "product_lot")
    assert lot["record named"] == "Lidocaine 2% lot L-2208-B" and lot["patient named"] == ""
