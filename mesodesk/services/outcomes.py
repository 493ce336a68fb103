"""Outcome assessments (GAIS and the patient's own score) of a patient's treatment."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from mesodesk.domain.errors import NotFoundError, ValidationError
from mesodesk.domain.treatment import (
    NO_COURSE,
    NO_PRACTITIONER,
    OutcomeAssessment,
    OutcomeInput,
)
from mesodesk.services.changes import Result
from mesodesk.services.treatment import (
    TreatmentBase,
    _apply_outcome,
    treatment_changed,
)
from mesodesk.store import models as m
from mesodesk.store.tables import OUTCOME


class OutcomeService(TreatmentBase):
    def record_outcome(self, patient_id: int, data: OutcomeInput) -> Result[OutcomeAssessment]:
        """Record an outcome assessment; with a course, its course-end review (one per course:
        a second is refused, the first is edited instead)."""
        clean = data.validated(self.clock.today())
        now = self.clock.utcnow()
        with self.db.write() as s:
            self._patient_row(s, patient_id)
            self._check_outcome(s, patient_id, clean, None)
            row = m.OutcomeAssessment(
                patient_id=patient_id,
                assessed_on=clean.assessed_on,  # type: ignore[arg-type]
                created_at=now,
                updated_at=now,
            )
            _apply_outcome(row, clean)
            s.add(row)
            s.flush()
            assert row.id is not None
            outcome_id = row.id
        return Result(self.outcome(outcome_id), treatment_changed(patient_id))

    def update_outcome(self, outcome_id: int, data: OutcomeInput) -> Result[OutcomeAssessment]:
        clean = data.validated(self.clock.today())
        with self.db.write() as s:
            row = self._outcome_row(s, outcome_id)
            patient_id = row.patient_id
            self._check_outcome(s, patient_id, clean, outcome_id)
            _apply_outcome(row, clean)
            row.updated_at = self.clock.utcnow()
            s.flush()
        return Result(self.outcome(outcome_id), treatment_changed(patient_id))

    def delete_outcome(self, outcome_id: int) -> Result[None]:
        with self.db.write() as s:
            row = self._outcome_row(s, outcome_id)
            patient_id = row.patient_id
            s.delete(row)
        return Result(None, treatment_changed(patient_id))

    def outcome(self, outcome_id: int) -> OutcomeAssessment:
        with self.db.read() as s:
            found = self._outcomes(s, OUTCOME.id == outcome_id)
        if not found:
            raise NotFoundError("This course review no longer exists.")
        return found[0]

    def _outcome_row(self, s: DbSession, outcome_id: int) -> m.OutcomeAssessment:
        row = s.get(m.OutcomeAssessment, outcome_id)
        if row is None:
            raise NotFoundError("This course review no longer exists.")
        return row

    def _check_outcome(
        self, s: DbSession, patient_id: int, clean: OutcomeInput, outcome_id: int | None
    ) -> None:
        if clean.assessor_id is not None and s.get(m.Practitioner, clean.assessor_id) is None:
            raise ValidationError.single("assessor_id", NO_PRACTITIONER)
        if clean.course_id is None:
            return
        course = s.get(m.Course, clean.course_id)
        if course is None or course.patient_id != patient_id:
            raise ValidationError.single("course_id", NO_COURSE)
        assert clean.assessed_on is not None
        if clean.assessed_on < course.started_on:
            raise ValidationError.single(
                "assessed_on",
                f"The review cannot be before the course started "
                f"({course.started_on.isoformat()}).",
            )
        other = s.execute(
            select(OUTCOME.assessed_on).where(
                OUTCOME.course_id == clean.course_id, OUTCOME.id != (outcome_id or 0)
            )
        ).first()
        if other is not None:
            raise ValidationError.single(
                "course_id",
                f"This course already has its review (of {other.assessed_on.isoformat()}): "
                "open that one to change it.",
            )
