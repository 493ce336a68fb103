"""Courses and their schedule: a course's plan and status, and the due list built from it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import String, func, or_, select, type_coerce

from mesodesk.domain.enums import (
    CourseStatus,
    Indication,
)
from mesodesk.domain.errors import ConflictError, ValidationError
from mesodesk.domain.patients import format_record_no
from mesodesk.domain.treatment import (
    Course,
    CourseInput,
    DueEntry,
)
from mesodesk.services.changes import Result
from mesodesk.services.treatment import (
    DUE_STATUSES,
    TreatmentBase,
    _as_day,
    _day,
    treatment_changed,
)
from mesodesk.store import models as m
from mesodesk.store.tables import COURSE, OUTCOME, PATIENT, SESSION, table


class CourseService(TreatmentBase):
    def create_course(self, patient_id: int, data: CourseInput) -> Result[Course]:
        clean = data.validated(self.clock.today())
        now = self.clock.utcnow()
        with self.db.write() as s:
            self._patient_row(s, patient_id)
            row = m.Course(
                patient_id=patient_id,
                indication=clean.indication.value,
                started_on=clean.started_on,  # type: ignore[arg-type]
                created_at=now,
                updated_at=now,
                later_interval=clean.later_interval.value,
                planned_sessions=clean.planned_sessions,
                induction_sessions=clean.induction_sessions,
                induction_interval_days=clean.induction_interval_days,
            )
            self._apply_course(row, clean)
            s.add(row)
            s.flush()
            assert row.id is not None
            course_id = row.id
            self._refresh_schedule(s, patient_id)
        return Result(self._course(patient_id, course_id), treatment_changed(patient_id))

    def update_course(self, course_id: int, data: CourseInput) -> Result[Course]:
        clean = data.validated(self.clock.today())
        with self.db.write() as s:
            row = self._course_row(s, course_id)
            first = s.execute(
                select(func.min(SESSION.started_at)).where(SESSION.course_id == course_id)
            ).scalar()
            if (
                first is not None
                and clean.started_on is not None
                and clean.started_on > first.date()
            ):
                raise ValidationError.single(
                    "started_on",
                    "The course cannot start after its first session "
                    f"({first.date().isoformat()}).",
                )
            self._apply_course(row, clean)
            row.updated_at = self.clock.utcnow()
            s.flush()
            self._refresh_schedule(s, row.patient_id)
            patient_id = row.patient_id
        return Result(self._course(patient_id, course_id), treatment_changed(patient_id))

    def _apply_course(self, row: m.Course, clean: CourseInput) -> None:
        row.indication = clean.indication.value
        row.indication_note = clean.indication_note
        row.areas = [a.value for a in clean.areas]
        row.planned_sessions = clean.planned_sessions
        row.induction_sessions = clean.induction_sessions
        row.induction_interval_days = clean.induction_interval_days
        row.later_interval = clean.later_interval.value
        row.maintenance_interval_months = clean.maintenance_interval_months
        row.price_per_session_cents = clean.price_per_session_cents
        row.started_on = clean.started_on  # type: ignore[assignment]
        row.notes = clean.notes

    def set_course_status(
        self, course_id: int, status: CourseStatus, *, on: date | None = None, reason: str = ""
    ) -> Result[Course]:
        """Complete or stop a course (or make it active again)."""
        reason = " ".join(reason.split())
        if len(reason) > 500:
            raise ValidationError.single(
                "end_reason", "The reason is too long (at most 500 characters)."
            )
        with self.db.write() as s:
            row = self._course_row(s, course_id)
            row.status = status.value
            if status is CourseStatus.ACTIVE:
                row.ended_on, row.end_reason = None, ""
            else:
                ended = on or self.clock.today()
                if ended < row.started_on:
                    raise ValidationError.single(
                        "ended_on", "A course cannot end before it started."
                    )
                row.ended_on, row.end_reason = ended, reason
            row.updated_at = self.clock.utcnow()
            s.flush()
            self._refresh_schedule(s, row.patient_id)
            patient_id = row.patient_id
        return Result(self._course(patient_id, course_id), treatment_changed(patient_id))

    def delete_course(self, course_id: int) -> Result[None]:
        with self.db.write() as s:
            row = self._course_row(s, course_id)
            sessions = s.execute(
                select(func.count()).where(SESSION.course_id == course_id)
            ).scalar_one()
            if sessions:
                raise ConflictError(
                    f"This course has {sessions} session(s). Delete them first, or stop the course."
                )
            patient_id = row.patient_id
            for outcome in s.execute(
                select(m.OutcomeAssessment).where(OUTCOME.course_id == course_id)
            ).scalars():
                s.delete(outcome)
            s.delete(row)
            s.flush()
            self._refresh_schedule(s, patient_id)
        return Result(None, treatment_changed(patient_id))

    def due(
        self, by: date | None = None, *, lapsed: bool = False, limit: int | None = None
    ) -> list[DueEntry]:
        """Courses due on or before ``by`` (default today) and not lapsed then, soonest first;
        with ``lapsed``, the courses whose maintenance has lapsed by then, most recent first.
        Patients who are archived are left out. ``limit``: at most that many (all by default).

        Both read the cached ``course.next_due`` and ``course.lapses_on``, which store.derived
        writes from domain.schedule.course_dues, the function the record and the PDF call."""
        by = by or self.clock.today()
        if lapsed:
            when: list[Any] = [COURSE.lapses_on <= by]
            order: list[Any] = [COURSE.next_due.desc()]
        else:
            when = [COURSE.next_due <= by, or_(COURSE.lapses_on.is_(None), COURSE.lapses_on > by)]
            order = [COURSE.next_due]
        done = (
            select(func.count())
            .where(SESSION.course_id == COURSE.id)
            .correlate(table(m.Course))
            .scalar_subquery()
        )
        stmt = (
            select(
                COURSE.id,
                COURSE.patient_id,
                COURSE.indication,
                type_coerce(COURSE.next_due, String),
                COURSE.planned_sessions,
                PATIENT.record_number,
                PATIENT.first_name,
                PATIENT.last_name,
                PATIENT.phone,
                type_coerce(PATIENT.last_session_at, String),
                done.label("done"),
                type_coerce(COURSE.lapses_on, String),
            )
            .select_from(table(m.Course).join(table(m.Patient)))
            .where(
                COURSE.status.in_(DUE_STATUSES),
                COURSE.next_due.is_not(None),
                *when,
                PATIENT.archived == False,  # noqa: E712
            )
            .order_by(*order, PATIENT.last_folded, PATIENT.first_folded, COURSE.id)
            .limit(limit)
        )
        with self.db.read() as s:
            rows = s.execute(stmt).all()
        # Dates as text, read once per distinct day (the due list is thousands of rows).
        days: dict[Any, date] = {}

        def day(value: Any) -> date:
            found = days.get(value)
            if found is None:
                found = days[value] = _day(value[:10] if isinstance(value, str) else value)
            return found

        indications = Indication._value2member_map_
        return [
            DueEntry(
                patient_id=patient_id,
                record_no=format_record_no(record_number),
                first_name=first_name,
                last_name=last_name,
                phone=phone,
                course_id=course_id,
                indication=indications.get(indication) or Indication.parse(indication),  # type: ignore[arg-type]
                due_on=day(next_due),
                sessions_done=done_count,
                planned_sessions=planned,
                last_session_on=_as_day(last_at),
                lapses_on=day(lapses) if lapses else None,
            )
            for (
                course_id,
                patient_id,
                indication,
                next_due,
                planned,
                record_number,
                first_name,
                last_name,
                phone,
                last_at,
                done_count,
                lapses,
            ) in rows
        ]
