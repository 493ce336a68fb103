"""Small treatment records for the catalogue, due and recall tests, written through the services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from mesodesk.domain.catalogue import LotInput, ProductInput
from mesodesk.domain.enums import AEOutcome, BodyArea, Indication, ReportChannel, SideEffectKind
from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput, SideEffectInput
from tests.conftest import patient_input


def product(services: Any, name: str = "Vitamin C 20%", *ingredients: str) -> Any:
    data = ProductInput(
        name=name, ingredients=ingredients or ("Ascorbic acid",), category="Vitamin"
    )
    return services.catalogue.create_product(data).value


def lot(services: Any, product_id: int, number: str, expiry: date) -> Any:
    data = LotInput(product_id=product_id, lot_number=number, expiry_date=expiry)
    return services.catalogue.create_lot(data).value


def patient(services: Any, first: str, last: str, phone: str = "+1 555 123 4567") -> Any:
    return services.patients.create(
        patient_input(first_name=first, last_name=last, phone=phone)
    ).value


def course(services: Any, patient_id: int, started_on: date, **changes: Any) -> Any:
    data = CourseInput(
        indication=changes.pop("indication", Indication.WRINKLES),
        started_on=started_on,
        areas=(BodyArea.FACE,),
        planned_sessions=changes.pop("planned_sessions", 6),
        induction_sessions=3,
        induction_interval_days=7,
        **changes,
    )
    return services.courses.create_course(patient_id, data).value


def session(services: Any, patient_id: int, course_id: int, when: datetime, lot_id: int) -> Any:
    data = SessionInput(
        course_id=course_id,
        started_at=when,
        areas=(BodyArea.FACE,),
        depth_mm=1.5,
        blend=(BlendInput(lot_id, 2.0),),
    )
    return services.sessions.log_session(patient_id, data).value


def side_effect(
    services: Any,
    patient_id: int,
    session_id: int,
    onset: date,
    grade: int = 1,
    kind: SideEffectKind = SideEffectKind.SWELLING,
    lot_id: int | None = None,
) -> Any:
    data = SideEffectInput(
        kind=kind,
        onset_on=onset,
        grade=grade,
        outcome=AEOutcome.ONGOING,
        body_area=None if kind.systemic else BodyArea.FACE,
        session_id=session_id,
        lot_ids=() if lot_id is None else (lot_id,),
        serious=grade >= 4,
        reported_via=ReportChannel.PHONE,
    )
    return services.side_effects.record_side_effect(patient_id, data).value
