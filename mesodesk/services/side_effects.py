"""Side effects: recorded, graded (CTCAE v5), resolved, with the lots suspected of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from mesodesk.domain.enums import (
    AEOutcome,
)
from mesodesk.domain.errors import ConflictError, NotFoundError, ValidationError
from mesodesk.domain.safety import (
    Finding,
    acknowledged,
    side_effect_findings,
)
from mesodesk.domain.treatment import (
    NO_PRACTITIONER,
    NO_SESSION,
    NO_SUSPECTED_LOT,
    Session,
    SideEffect,
    SideEffectInput,
)
from mesodesk.services.changes import Result
from mesodesk.services.treatment import (
    TreatmentBase,
    _answered_effect,
    treatment_changed,
)
from mesodesk.store import models as m
from mesodesk.store.tables import SESSION, SIDE_EFFECT


class SideEffectService(TreatmentBase):
    def side_effect_findings(
        self, patient_id: int, data: SideEffectInput, effect_id: int | None = None
    ) -> list[Finding]:
        """What the coherence rules say about a side effect as entered, without saving it.
        Raises ValidationError for input that is wrong whatever the rules say."""
        with self.db.read() as s:
            if effect_id is not None:
                self._effect_row(s, effect_id)
            clean, session = self._check_side_effect(s, patient_id, data)
        return side_effect_findings(clean, session)

    def record_side_effect(
        self, patient_id: int, data: SideEffectInput, *, confirmed: Iterable[str] = ()
    ) -> Result[SideEffect]:
        """Save a new side effect. The coherence rules refuse it with a ValidationError, or with
        SafetyQuestions until each question is ``confirmed`` (by rule code)."""
        now = self.clock.utcnow()
        with self.db.write() as s:
            self._patient_row(s, patient_id)
            clean, session = self._check_side_effect(s, patient_id, data)
            findings = _answered_effect(clean, session, confirmed)
            row = m.SideEffect(
                patient_id=patient_id,
                kind=clean.kind.value,
                onset_on=clean.onset_on,  # type: ignore[arg-type]
                grade=clean.grade,  # type: ignore[arg-type]
                outcome=clean.outcome.value,
                causality=clean.causality.value,
                reported_via=clean.reported_via.value,  # type: ignore[union-attr]
                reported_at=clean.reported_at,  # type: ignore[arg-type]
                created_at=now,
                updated_at=now,
            )
            self._apply_side_effect(row, clean)
            row.safety_confirmed = acknowledged(findings)
            s.add(row)
            s.flush()
            assert row.id is not None
            effect_id = row.id
            self._write_suspects(s, effect_id, clean.lot_ids)
        return Result(self.side_effect(effect_id), treatment_changed(patient_id))

    def update_side_effect(
        self, effect_id: int, data: SideEffectInput, *, confirmed: Iterable[str] = ()
    ) -> Result[SideEffect]:
        with self.db.write() as s:
            row = self._effect_row(s, effect_id)
            clean, session = self._check_side_effect(s, row.patient_id, data)
            findings = _answered_effect(clean, session, confirmed)
            self._apply_side_effect(row, clean)
            row.safety_confirmed = acknowledged(findings)
            row.updated_at = self.clock.utcnow()
            s.flush()
            self._write_suspects(s, effect_id, clean.lot_ids)
            patient_id = row.patient_id
        return Result(self.side_effect(effect_id), treatment_changed(patient_id))

    def resolve_side_effect(
        self, effect_id: int, on: date | None = None, outcome: AEOutcome = AEOutcome.RESOLVED
    ) -> Result[SideEffect]:
        """Mark an ongoing side effect resolved, in one action (the questions answered when it
        was saved stay answered)."""
        current = self.side_effect(effect_id)
        if not current.ongoing:
            raise ConflictError("This side effect is already resolved.")
        data = current.as_input()
        resolved = on or self.clock.today()
        return self.update_side_effect(
            effect_id,
            replace(data, resolved_on=resolved, outcome=outcome),
            confirmed=current.safety_confirmed,
        )

    def reopen_side_effect(self, effect_id: int) -> Result[SideEffect]:
        """Undo a resolution: the side effect is ongoing again (no resolution date)."""
        current = self.side_effect(effect_id)
        if current.ongoing:
            raise ConflictError("This side effect is already ongoing.")
        return self.update_side_effect(
            effect_id,
            replace(current.as_input(), resolved_on=None, outcome=AEOutcome.ONGOING),
            confirmed=current.safety_confirmed,
        )

    def delete_side_effect(self, effect_id: int) -> Result[None]:
        with self.db.write() as s:
            row = self._effect_row(s, effect_id)
            patient_id = row.patient_id
            self._write_suspects(s, effect_id, [])
            s.delete(row)
        return Result(None, treatment_changed(patient_id))

    def side_effect(self, effect_id: int) -> SideEffect:
        with self.db.read() as s:
            found = self._side_effects(s, SIDE_EFFECT.id == effect_id)
        if not found:
            raise NotFoundError("This side effect no longer exists.")
        return found[0]

    def _check_side_effect(
        self, s: DbSession, patient_id: int, data: SideEffectInput
    ) -> tuple[SideEffectInput, Session | None]:
        """The input checked against the record (its session, lots and dates), and its
        suspected session."""
        data.check_references()  # before any id reaches the database
        first_on: date | None = None
        session_on: date | None = None
        session: Session | None = None
        if data.session_id is not None:
            row = s.get(m.TreatmentSession, data.session_id)
            if row is None or row.patient_id != patient_id:
                raise ValidationError.single("session_id", NO_SESSION)
            session = self._sessions(s, SESSION.id == data.session_id)[0]
            session_on = row.started_at.date()
            first = s.execute(
                select(func.min(SESSION.started_at)).where(SESSION.course_id == row.course_id)
            ).scalar()
            first_on = first.date() if first else None
            used = session.used_lot_ids  # its blend's lots and its numbing product's
            if data.suspects_blend:
                data = replace(data, lot_ids=used)
            elif any(lot not in used for lot in data.lot_ids):
                raise ValidationError.single("lot_ids", NO_SUSPECTED_LOT)
        else:
            first = s.execute(
                select(func.min(SESSION.started_at)).where(SESSION.patient_id == patient_id)
            ).scalar()
            first_on = first.date() if first else None
        if data.recorded_by_id is not None and s.get(m.Practitioner, data.recorded_by_id) is None:
            raise ValidationError.single("recorded_by_id", NO_PRACTITIONER)
        clean = data.validated(
            self.clock.now(), first_session_on=first_on, suspected_session_on=session_on
        )
        return clean, session

    def _apply_side_effect(self, row: m.SideEffect, clean: SideEffectInput) -> None:
        row.session_id = clean.session_id
        row.suspects_blend = clean.suspects_blend and clean.session_id is not None
        row.kind = clean.kind.value
        row.kind_note = clean.kind_note
        row.onset_on = clean.onset_on  # type: ignore[assignment]
        row.resolved_on = clean.resolved_on
        row.grade = clean.grade  # type: ignore[assignment]
        row.pain_nrs = clean.pain_nrs
        row.serious = clean.serious
        row.outcome = clean.outcome.value
        row.causality = clean.causality.value
        row.body_area = clean.body_area.value if clean.body_area else None
        row.body_area_note = clean.body_area_note
        row.action_taken = clean.action_taken.value
        row.action_note = clean.action_note
        row.reported_via = clean.reported_via.value  # type: ignore[union-attr]
        row.reported_at = clean.reported_at  # type: ignore[assignment]
        row.recorded_by_id = clean.recorded_by_id
        row.notes = clean.notes
