"""One truth for "due": the due list, the record (`show`, the PDF) and the patient list say the
same thing, a newer course for the same indication ends the older one's maintenance, and a
maintenance overdue by twice its interval leaves the due list for the lapsed list."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mesodesk.domain.catalogue import LotInput, ProductInput
from mesodesk.domain.clock import FixedClock
from mesodesk.domain.enums import BodyArea, CourseStatus, Indication
from mesodesk.domain.schedule import DueState, Phase
from mesodesk.domain.search import PatientQuery, PatientSort
from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput
from mesodesk.services.registry import Services
from tests.conftest import NOW, patient_input

FIRST = date(2026, 6, 1)


class Clinic:
    """One product lot and one patient, with no course yet."""

    def __init__(self, services: Any) -> None:
        self.s = services
        product = services.catalogue.create_product(ProductInput("HA 1%", ("Hyaluronan",))).value
        self.lot = services.catalogue.create_lot(
            LotInput(product.id, "HA-1", date(2029, 1, 1))
        ).value
        self.patient = services.patients.create(patient_input()).value


def make_clinic(services: Any) -> Clinic:
    return Clinic(services)


def course_input(indication: Indication = Indication.WRINKLES, **changes: Any) -> CourseInput:
    base: dict[str, Any] = {
        "indication": indication,
        "started_on": FIRST,
        "areas": (BodyArea.FACE,),
        "planned_sessions": 3,
        "induction_sessions": 3,
        "maintenance_interval_months": 4,
    }
    base.update(changes)
    return CourseInput(**base)


def give(clinic: Clinic, course_id: int, *days: date, patient_id: int | None = None) -> None:
    for day in days:
        clinic.s.sessions.log_session(
            patient_id or clinic.patient.id,
            SessionInput(
                course_id,
                datetime.combine(day, datetime.min.time()).replace(hour=10),
                (BodyArea.FACE,),
                1.5,
                (BlendInput(clinic.lot.id, 2.0),),
            ),
        )


def set_today(services: Any, day: date) -> None:
    assert isinstance(services.clock, FixedClock)
    services.clock._now = datetime.combine(day, NOW.time())


def due_ids(services: Any, by: date | None = None, *, lapsed: bool = False) -> set[int]:
    return {e.course_id for e in services.courses.due(by, lapsed=lapsed)}


def list_row(services: Any, patient_id: int) -> Any:
    rows = services.patients.search(PatientQuery(), limit=1000).rows
    return next(r for r in rows if r.id == patient_id)


def cached(path: Path, sql: str, *args: Any) -> Any:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, args).fetchone()
    finally:
        con.close()


@pytest.fixture
def clinic(services: Any) -> Clinic:
    return make_clinic(services)


@pytest.fixture
def in_maintenance(clinic: Clinic) -> int:
    """A wrinkles course of three sessions in June: maintenance due 15 Oct 2026 (overdue on the
    test clock's day, 24 Nov), lapsed from 15 Jun 2027."""
    course = clinic.s.courses.create_course(clinic.patient.id, course_input()).value
    give(clinic, course.id, date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 15))
    return int(course.id)


def test_a_maintenance_is_due_everywhere_alike(clinic: Clinic, in_maintenance: int) -> None:
    s = clinic.s
    (entry,) = s.courses.due()
    assert (entry.course_id, entry.due_on, entry.lapses_on) == (
        in_maintenance,
        date(2026, 10, 15),
        date(2027, 6, 15),
    )
    (course,) = s.treatment.record(clinic.patient.id).courses
    assert course.next_due is not None and course.next_due.on == entry.due_on
    assert course.next_due.state(NOW.date()) is DueState.OVERDUE
    assert list_row(s, clinic.patient.id).next_due == entry.due_on
    assert s.patients.get(clinic.patient.id).next_due == entry.due_on


def test_a_new_course_for_the_same_indication_ends_the_maintenance(
    clinic: Clinic, in_maintenance: int, db_path: Path
) -> None:
    s = clinic.s
    newer = s.courses.create_course(
        clinic.patient.id, course_input(started_on=NOW.date() + timedelta(days=3))
    ).value
    assert due_ids(s, NOW.date() + timedelta(days=30)) == {newer.id}
    old = next(c for c in s.treatment.record(clinic.patient.id).courses if c.id == in_maintenance)
    assert old.next_due is None and old.maintenance_ended_by == newer.id
    assert list_row(s, clinic.patient.id).next_due == newer.started_on
    assert cached(db_path, "SELECT next_due FROM course WHERE id = ?", in_maintenance) == (None,)
    # a course for another indication ends nothing
    other = s.courses.create_course(clinic.patient.id, course_input(Indication.HAIR_LOSS)).value
    assert due_ids(s, NOW.date() + timedelta(days=30)) == {newer.id, other.id}
    # the new course deleted (it had no session): the maintenance is due again
    s.courses.delete_course(newer.id)
    assert due_ids(s) == {in_maintenance, other.id}
    assert list_row(s, clinic.patient.id).next_due == FIRST


def test_other_indications_end_each_other_only_with_the_same_note(
    clinic: Clinic, db_path: Path
) -> None:
    s = clinic.s
    neck = s.courses.create_course(
        clinic.patient.id, course_input(Indication.OTHER, indication_note="Neck lines")
    ).value
    give(clinic, neck.id, date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 15))
    later = date(2026, 11, 1)
    hands = s.courses.create_course(
        clinic.patient.id,
        course_input(Indication.OTHER, indication_note="Hands", started_on=later),
    ).value
    give(clinic, hands.id, later)
    assert neck.id in due_ids(s)
    again = s.courses.create_course(
        clinic.patient.id,
        course_input(Indication.OTHER, indication_note="NECK  lines", started_on=later),
    ).value
    assert neck.id not in due_ids(s) and again.id in due_ids(s)


def test_a_lapsed_maintenance_leaves_the_due_list_for_the_lapsed_list(
    clinic: Clinic, in_maintenance: int, db_path: Path
) -> None:
    s = clinic.s
    lapses = date(2027, 6, 15)
    assert due_ids(s, lapses - timedelta(days=1)) == {in_maintenance}
    assert due_ids(s, lapses) == set()
    assert due_ids(s, lapses, lapsed=True) == {in_maintenance}
    assert due_ids(s, lapses - timedelta(days=1), lapsed=True) == set()
    # the clinic's calendar moves on: the patient list and the record follow without a write
    set_today(s, lapses)
    row = list_row(s, clinic.patient.id)
    assert row.next_due is None and row.only_lapsed(lapses)
    assert cached(
        db_path,
        "SELECT next_due, due_valid_from, lapsed_since FROM patient WHERE id = ?",
        clinic.patient.id,
    ) == (None, "2027-06-15", "2027-06-15")
    (course,) = s.treatment.record(clinic.patient.id).courses
    assert course.next_due is not None and course.next_due.state(lapses) is DueState.LAPSED
    # read on an earlier day, the cache is recomputed for that day
    set_today(s, date(2027, 1, 1))
    assert list_row(s, clinic.patient.id).next_due == date(2026, 10, 15)
    set_today(s, lapses)
    assert list_row(s, clinic.patient.id).next_due is None
    # a session brings it back: maintenance due four months on
    give(clinic, in_maintenance, lapses)
    assert due_ids(s, lapses, lapsed=True) == set()
    assert due_ids(s, date(2027, 10, 15)) == {in_maintenance}
    row = list_row(s, clinic.patient.id)
    assert row.next_due == date(2027, 10, 15) and not row.only_lapsed(lapses)


def test_the_patient_list_sorts_by_the_due_date_that_holds_today(services: Any) -> None:
    clinic = make_clinic(services)
    s = clinic.s
    early = s.courses.create_course(
        clinic.patient.id, course_input(started_on=date(2026, 1, 5))
    ).value
    # due 19 May 2026, lapsed from 19 Jan 2027
    give(clinic, early.id, date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19))
    ben = s.patients.create(patient_input(first_name="Ben", last_name="Adams")).value
    mid = s.courses.create_course(ben.id, course_input(started_on=date(2026, 3, 2))).value
    give(clinic, mid.id, date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16), patient_id=ben.id)
    query = PatientQuery(sort=PatientSort.NEXT_DUE)
    order = [r.id for r in s.patients.search(query).rows]
    assert order == [clinic.patient.id, ben.id]  # May 19 before July 16
    set_today(s, date(2027, 1, 19))  # the first patient's maintenance has lapsed
    rows = s.patients.search(query).rows
    assert [r.id for r in rows] == [ben.id, clinic.patient.id]
    assert rows[1].next_due is None and rows[1].only_lapsed(date(2027, 1, 19))


def test_a_read_only_database_shows_what_was_last_written(
    clinic: Clinic, in_maintenance: int, db_path: Path
) -> None:
    clinic.s.close()
    late = FixedClock(datetime(2027, 7, 1, 9, 0))
    services = Services.open(db_path, clock=late, read_only=True)
    try:
        row = list_row(services, clinic.patient.id)
        assert row.next_due == date(2026, 10, 15)  # stale, but shown rather than refused
        assert due_ids(services, date(2027, 7, 1), lapsed=True) == {in_maintenance}
    finally:
        services.close()


def test_resaving_an_unchanged_session_changes_nothing(clinic: Clinic, in_maintenance: int) -> None:
    s = clinic.s
    before = (s.courses.due(), s.courses.due(lapsed=True), list_row(s, clinic.patient.id))
    record = s.treatment.record(clinic.patient.id)
    for session in record.sessions:
        s.sessions.update_session(session.id, session.as_input())
    after = (s.courses.due(), s.courses.due(lapsed=True), list_row(s, clinic.patient.id))
    assert after == before


def test_stopping_and_completing_a_course(clinic: Clinic, in_maintenance: int) -> None:
    s = clinic.s
    s.courses.set_course_status(in_maintenance, CourseStatus.STOPPED, reason="moved away")
    assert due_ids(s) == set() and due_ids(s, date(2030, 1, 1), lapsed=True) == set()
    assert list_row(s, clinic.patient.id).next_due is None
    s.courses.set_course_status(in_maintenance, CourseStatus.COMPLETED)
    (course,) = s.treatment.record(clinic.patient.id).courses
    assert course.next_due is not None and course.next_due.phase is Phase.MAINTENANCE
    assert due_ids(s) == {in_maintenance}


def test_an_archived_patient_is_on_neither_list(clinic: Clinic, in_maintenance: int) -> None:
    clinic.s.patients.archive(clinic.patient.id)
    assert due_ids(clinic.s) == set()
    assert due_ids(clinic.s, date(2030, 1, 1), lapsed=True) == set()
    clinic.s.patients.unarchive(clinic.patient.id)
    assert due_ids(clinic.s) == {in_maintenance}


def test_a_course_changed_to_no_maintenance_is_due_for_nothing(
    clinic: Clinic, in_maintenance: int
) -> None:
    s = clinic.s
    (course,) = s.treatment.record(clinic.patient.id).courses
    s.courses.update_course(
        in_maintenance, replace(course.as_input(), maintenance_interval_months=None)
    )
    assert due_ids(s) == set() and list_row(s, clinic.patient.id).next_due is None


def test_the_pdf_summary_says_what_the_due_list_says(clinic: Clinic, in_maintenance: int) -> None:
    import io

    from pypdf import PdfReader

    from mesodesk.domain.settings import ClinicSettings
    from mesodesk.domain.summary import SummaryInput, SummaryOptions
    from mesodesk.reports.summary import render_summary

    record = clinic.s.treatment.record(clinic.patient.id)

    def pdf_text(day: date) -> str:
        out = io.BytesIO()
        made = datetime.combine(day, NOW.time())
        render_summary(SummaryInput(record, ClinicSettings(), made_at=made), SummaryOptions(), out)
        pages = PdfReader(io.BytesIO(out.getvalue())).pages
        return " ".join(" ".join(page.extract_text() or "" for page in pages).split())

    assert in_maintenance in due_ids(clinic.s, date(2027, 6, 14))
    assert "15/10/2026 (maintenance), overdue" in pdf_text(date(2027, 6, 14))
    assert in_maintenance in due_ids(clinic.s, date(2027, 6, 15), lapsed=True)
    lapsed = pdf_text(date(2027, 6, 15))
    assert "15/10/2026 (maintenance), lapsed since 15/06/2027" in lapsed
    assert "overdue" not in lapsed


def test_the_due_list_is_whole_unless_a_limit_is_asked(services: Any) -> None:
    clinic = make_clinic(services)
    for i in range(3):
        other = services.patients.create(patient_input(first_name=f"P{i}")).value
        services.courses.create_course(other.id, course_input())
    assert len(services.courses.due()) == 3
    assert len(services.courses.due(limit=2)) == 2
    assert clinic.patient.id not in {e.patient_id for e in services.courses.due()}
