from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from mesodesk.domain.catalogue import LotInput, PractitionerInput, ProductInput
from mesodesk.domain.enums import (
    AEOutcome,
    BodyArea,
    CourseStatus,
    Indication,
    ReportChannel,
    SideEffectKind,
)
from mesodesk.domain.errors import ConflictError, NotFoundError, ValidationError
from mesodesk.domain.schedule import Phase
from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput, SideEffectInput
from mesodesk.services.treatment import AllergyWarning
from mesodesk.store import models as m
from tests.conftest import NOW, patient_input


class Clinic:
    def __init__(self, services: Any) -> None:
        self.s = services
        c = services.catalogue
        self.doctor = c.create_practitioner(
            PractitionerInput("Dr. Amelia Hart", "Dermatologist")
        ).value
        self.ha = c.create_product(
            ProductInput("Hyaluronic acid 1.5%", ("Sodium hyaluronate",))
        ).value
        self.lido = c.create_product(
            ProductInput("Lidocaine 2%", ("Lidocaine hydrochloride",))
        ).value
        self.ha_lot = c.create_lot(LotInput(self.ha.id, "HA-2601-A", date(2027, 6, 30))).value
        self.ha_old = c.create_lot(LotInput(self.ha.id, "HA-2401-A", date(2026, 1, 31))).value
        self.lido_lot = c.create_lot(LotInput(self.lido.id, "LD-2602-B", date(2027, 12, 31))).value
        self.patient = services.patients.create(patient_input(allergies=("Lidocaine",))).value
        self.course = services.courses.create_course(
            self.patient.id,
            CourseInput(
                Indication.WRINKLES,
                date(2026, 10, 1),
                (BodyArea.FOREHEAD, BodyArea.PERIORBITAL),
                planned_sessions=6,
                induction_sessions=3,
                induction_interval_days=7,
                price_per_session_cents=35000,
            ),
        ).value

    def session(self, when: datetime, **changes: Any) -> Any:
        data = SessionInput(
            course_id=self.course.id,
            started_at=when,
            areas=(BodyArea.FOREHEAD,),
            depth_mm=1.5,
            blend=(BlendInput(self.ha_lot.id, 2.0),),
            practitioner_id=self.doctor.id,
            pain_nrs=3,
            gais=3,
            price_cents=35000,
        )
        return self.s.sessions.log_session(self.patient.id, replace(data, **changes)).value

    def effect(self, **changes: Any) -> Any:
        data = SideEffectInput(
            kind=SideEffectKind.SWELLING,
            onset_on=date(2026, 10, 2),
            grade=1,
            body_area=BodyArea.FOREHEAD,
            reported_at=datetime(2026, 10, 3, 9),
            reported_via=ReportChannel.PHONE,
        )
        return self.s.side_effects.record_side_effect(
            self.patient.id, replace(data, **changes)
        ).value


@pytest.fixture
def clinic(services: Any) -> Clinic:
    return Clinic(services)


def count(services: Any, model: Any) -> int:
    with services._db.read() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_course_is_due_from_its_start(clinic: Clinic) -> None:
    record = clinic.s.treatment.record(clinic.patient.id)
    (course,) = record.courses
    assert course.next_due is not None and course.next_due.on == date(2026, 10, 1)
    assert clinic.s.patients.get(clinic.patient.id).next_due == date(2026, 10, 1)


def test_sessions_move_the_schedule_and_the_patient_list(clinic: Clinic) -> None:
    first = clinic.session(datetime(2026, 10, 1, 10))
    assert first.number == 1 and first.practitioner == "Dr. Amelia Hart"
    assert first.blend[0].lot_number == "HA-2601-A" and first.blend[0].product.startswith(
        "Hyaluronic"
    )
    clinic.session(datetime(2026, 10, 8, 10))
    record = clinic.s.treatment.record(clinic.patient.id)
    course = record.courses[0]
    assert course.sessions_done == 2 and course.total_price_cents == 70000
    assert course.next_due is not None and course.next_due.on == date(2026, 10, 15)
    assert course.next_due.phase is Phase.INDUCTION
    patient = clinic.s.patients.get(clinic.patient.id)
    assert patient.next_due == date(2026, 10, 15)
    assert patient.last_session_at == datetime(2026, 10, 8, 10)


def test_expired_lot_is_refused_and_nothing_stored(clinic: Clinic) -> None:
    with pytest.raises(ValidationError) as info:
        clinic.session(datetime(2026, 10, 1, 10), blend=(BlendInput(clinic.ha_old.id, 1.0),))
    assert "HA-2401-A" in info.value.errors["blend"]
    assert count(clinic.s, m.TreatmentSession) == 0 and count(clinic.s, m.BlendItem) == 0
    # the lot picker offers only lots that have not expired
    usable = clinic.s.catalogue.lots(clinic.ha.id, usable_on=date(2026, 11, 24))
    assert [lot.lot_number for lot in usable] == ["HA-2601-A"]


@pytest.mark.parametrize("depth", [0.0, 7.0])
def test_bad_depth_stores_nothing(clinic: Clinic, depth: float) -> None:
    with pytest.raises(ValidationError) as info:
        clinic.session(datetime(2026, 10, 1, 10), depth_mm=depth)
    assert "depth_mm" in info.value.errors
    assert count(clinic.s, m.TreatmentSession) == 0


def test_allergy_warns_before_saving(clinic: Clinic) -> None:
    blend = (BlendInput(clinic.ha_lot.id, 2.0), BlendInput(clinic.lido_lot.id, 0.5))
    matches = clinic.s.sessions.allergy_warnings(clinic.patient.id, blend)
    assert [(w.allergy, w.ingredient) for w in matches] == [
        ("Lidocaine", "Lidocaine hydrochloride")
    ]
    with pytest.raises(AllergyWarning) as info:
        clinic.session(datetime(2026, 10, 1, 10), blend=blend)
    assert "Lidocaine hydrochloride" in str(info.value)
    assert count(clinic.s, m.TreatmentSession) == 0
    data = SessionInput(
        clinic.course.id, datetime(2026, 10, 1, 10), (BodyArea.FOREHEAD,), 1.5, blend
    )
    saved = clinic.s.sessions.log_session(clinic.patient.id, data, allergy_confirmed=True).value
    assert len(saved.blend) == 2


def test_session_must_fit_its_course(clinic: Clinic) -> None:
    with pytest.raises(ValidationError) as info:
        clinic.session(datetime(2026, 9, 30, 10))
    assert "before the course started" in info.value.errors["started_at"]
    other = clinic.s.patients.create(patient_input(first_name="Ann")).value
    with pytest.raises(ValidationError):
        clinic.s.sessions.log_session(
            other.id,
            SessionInput(
                clinic.course.id,
                NOW,
                (BodyArea.FOREHEAD,),
                1.5,
                (BlendInput(clinic.ha_lot.id, 1.0),),
            ),
        )
    clinic.s.courses.set_course_status(clinic.course.id, CourseStatus.STOPPED, reason="Moved away")
    with pytest.raises(ValidationError) as info:
        clinic.session(datetime(2026, 10, 1, 10))
    assert "stopped" in info.value.errors["course_id"]


def test_course_status_and_maintenance(clinic: Clinic) -> None:
    clinic.session(datetime(2026, 10, 1, 10))
    done = clinic.s.courses.set_course_status(
        clinic.course.id, CourseStatus.COMPLETED, on=date(2026, 10, 2)
    ).value
    assert done.status is CourseStatus.COMPLETED and done.ended_on == date(2026, 10, 2)
    assert done.next_due is not None and done.next_due.phase is Phase.MAINTENANCE
    stopped = clinic.s.courses.set_course_status(clinic.course.id, CourseStatus.STOPPED).value
    assert stopped.next_due is None
    assert clinic.s.patients.get(clinic.patient.id).next_due is None
    active = clinic.s.courses.set_course_status(clinic.course.id, CourseStatus.ACTIVE).value
    assert active.ended_on is None and active.next_due is not None


def test_side_effect_defaults_and_rules(clinic: Clinic) -> None:
    s1 = clinic.session(datetime(2026, 10, 1, 10))
    effect = clinic.effect(session_id=s1.id, lot_ids=(clinic.ha_lot.id,))
    assert [lot.lot_number for lot in effect.lots] == ["HA-2601-A"] and effect.ongoing
    with pytest.raises(ValidationError) as info:
        clinic.effect(session_id=s1.id, onset_on=date(2026, 9, 30))
    assert "first session" in info.value.errors["onset_on"]
    with pytest.raises(ValidationError) as info:
        clinic.effect(session_id=s1.id, lot_ids=(clinic.lido_lot.id,))
    assert "lot_ids" in info.value.errors
    with pytest.raises(ValidationError) as info:
        clinic.effect(resolved_on=date(2026, 10, 1), outcome=AEOutcome.RESOLVED)
    assert "before the onset" in info.value.errors["resolved_on"]
    with pytest.raises(ValidationError):
        clinic.effect(grade=6)
    assert count(clinic.s, m.SideEffect) == 1


def test_resolve_in_one_action(clinic: Clinic) -> None:
    s1 = clinic.session(datetime(2026, 10, 1, 10))
    effect = clinic.effect(session_id=s1.id)
    resolved = clinic.s.side_effects.resolve_side_effect(effect.id, date(2026, 10, 6)).value
    assert resolved.resolved_on == date(2026, 10, 6) and resolved.outcome is AEOutcome.RESOLVED
    assert resolved.duration_days(date(2026, 11, 24)) == 4
    with pytest.raises(ConflictError):
        clinic.s.side_effects.resolve_side_effect(effect.id)


def test_delete_session_keeps_or_deletes_its_side_effects(clinic: Clinic) -> None:
    s1 = clinic.session(datetime(2026, 10, 1, 10))
    s2 = clinic.session(datetime(2026, 10, 8, 10))
    kept = clinic.effect(session_id=s1.id, lot_ids=(clinic.ha_lot.id,))
    gone = clinic.effect(
        session_id=s2.id, onset_on=date(2026, 10, 9), reported_at=datetime(2026, 10, 9, 9)
    )
    assert clinic.s.sessions.delete_session(s1.id, "keep").value == 1
    still = clinic.s.side_effects.side_effect(kept.id)
    assert still.session_id is None and still.lots == () and not still.suspects_blend
    assert clinic.s.sessions.delete_session(s2.id, "delete").value == 1
    with pytest.raises(NotFoundError):
        clinic.s.side_effects.side_effect(gone.id)
    assert count(clinic.s, m.BlendItem) == 0
    patient = clinic.s.patients.get(clinic.patient.id)
    assert patient.last_session_at is None and patient.next_due == date(2026, 10, 1)


def test_course_with_sessions_cannot_be_deleted(clinic: Clinic) -> None:
    clinic.session(datetime(2026, 10, 1, 10))
    with pytest.raises(ConflictError):
        clinic.s.courses.delete_course(clinic.course.id)


def test_same_blend_as_last_session(clinic: Clinic) -> None:
    assert clinic.s.sessions.last_blend(clinic.patient.id) == []
    blend = (BlendInput(clinic.ha_lot.id, 2.0), BlendInput(clinic.lido_lot.id, 0.5))
    data = SessionInput(
        clinic.course.id, datetime(2026, 10, 1, 10), (BodyArea.FOREHEAD,), 1.5, blend
    )
    clinic.s.sessions.log_session(clinic.patient.id, data, allergy_confirmed=True)
    last = clinic.s.sessions.last_blend(clinic.patient.id, clinic.course.id)
    assert [(b.lot_id, b.amount_ml) for b in last] == [
        (clinic.ha_lot.id, 2.0),
        (clinic.lido_lot.id, 0.5),
    ]


def test_record_and_timeline(clinic: Clinic) -> None:
    s1 = clinic.session(datetime(2026, 10, 1, 10))
    clinic.effect(session_id=s1.id, resolved_on=date(2026, 10, 5), outcome=AEOutcome.RESOLVED)
    record = clinic.s.treatment.record(clinic.patient.id)
    kinds = [e.kind for e in record.timeline()]
    assert kinds == ["course", "session", "side_effect", "resolved"]


def test_the_timeline_runs_in_the_order_things_happen_within_a_day(clinic: Clinic) -> None:
    """Course starts, onsets and resolutions have a day and no time: on the day of a session
    the course starts before it and a side effect follows it (issue 15 item 10)."""
    morning = clinic.session(datetime(2026, 10, 1, 9))
    clinic.effect(
        session_id=morning.id,
        onset_on=date(2026, 10, 1),
        reported_at=datetime(2026, 10, 1, 18),
        resolved_on=date(2026, 10, 1),
        outcome=AEOutcome.RESOLVED,
    )
    events = clinic.s.treatment.record(clinic.patient.id).timeline()
    assert [(e.kind, e.ref_id) for e in events] == [
        ("course", clinic.course.id),
        ("session", morning.id),
        ("side_effect", events[2].ref_id),
        ("resolved", events[2].ref_id),
    ]


def test_due_list(clinic: Clinic) -> None:
    clinic.session(datetime(2026, 10, 1, 10))
    later = clinic.s.patients.create(patient_input(first_name="Zed", last_name="Young")).value
    clinic.s.courses.create_course(
        later.id, CourseInput(Indication.HAIR_LOSS, date(2026, 12, 20), (BodyArea.SCALP,))
    )
    due = clinic.s.courses.due(date(2026, 11, 24))
    assert [(d.record_no, d.due_on) for d in due] == [("MD-000001", date(2026, 10, 8))]
    assert due[0].days_overdue(date(2026, 11, 24)) == 47 and due[0].sessions_done == 1
    assert len(clinic.s.courses.due(date(2026, 12, 31))) == 2
    clinic.s.patients.archive(later.id)
    assert len(clinic.s.courses.due(date(2026, 12, 31))) == 1


def test_lot_recall(clinic: Clinic) -> None:
    s1 = clinic.session(datetime(2026, 10, 1, 10))
    clinic.session(datetime(2026, 10, 8, 10))
    clinic.effect(session_id=s1.id, lot_ids=(clinic.ha_lot.id,), onset_on=date(2026, 10, 2))
    clinic.effect(
        kind=SideEffectKind.BRUISING,
        onset_on=date(2026, 10, 9),
        reported_at=datetime(2026, 10, 9, 9),
    )
    other = clinic.s.patients.create(patient_input(first_name="Ann")).value
    recall = clinic.s.recall.recall("ha-2601-a")
    assert recall.patients == 1 and len(recall.entries) == 2
    first, second = recall.entries
    assert [e.kind for e in first.side_effects] == [SideEffectKind.SWELLING]
    assert [e.kind for e in second.side_effects] == [SideEffectKind.BRUISING]
    assert other.id not in {e.patient_id for e in recall.entries}
    with pytest.raises(NotFoundError):
        clinic.s.recall.recall("NOPE-1")
    with pytest.raises(ValidationError):
        clinic.s.recall.recall(" ")


def test_catalogue_rules(clinic: Clinic) -> None:
    cat = clinic.s.catalogue
    with pytest.raises(ValidationError) as info:
        cat.create_product(ProductInput("hyaluronic ACID 1.5%", ("x",)))
    assert "already exists" in info.value.errors["name"]
    with pytest.raises(ValidationError) as info:
        cat.create_product(ProductInput("Nothing in it", ()))
    assert "ingredients" in info.value.errors
    with pytest.raises(ValidationError):
        cat.create_lot(LotInput(clinic.ha.id, "ha-2601-a", date(2028, 1, 1)))
    clinic.session(datetime(2026, 10, 1, 10))
    with pytest.raises(ConflictError):
        cat.delete_lot(clinic.ha_lot.id)
    cat.delete_lot(clinic.ha_old.id)
    with pytest.raises(ConflictError):
        cat.delete_product(clinic.ha.id)
    updated = cat.update_product(
        clinic.ha.id, ProductInput("HA 1.5%", ("Sodium hyaluronate", "Mannitol"))
    ).value
    assert updated.ingredients == ("Sodium hyaluronate", "Mannitol") and updated.lots == 1
    assert cat.lot(clinic.ha_lot.id).uses == 1


def test_update_session_keeps_an_old_lot_valid(clinic: Clinic, services: Any) -> None:
    # A lot valid when the session was saved stays acceptable when the session is edited later.
    s1 = clinic.session(datetime(2026, 10, 1, 10))
    services.catalogue.update_lot(
        clinic.ha_lot.id, LotInput(clinic.ha.id, "HA-2601-A", date(2026, 9, 1))
    )
    again = services.sessions.update_session(s1.id, replace(s1.as_input(), notes="edited")).value
    assert again.notes == "edited"
    assert again.started_at - s1.started_at == timedelta(0)
