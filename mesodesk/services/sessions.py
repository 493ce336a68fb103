"""Sessions with their blends: the safety and allergy checks before a session is written,
the numbing lot, and the course a session extends."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session as DbSession

from mesodesk.domain.allergy import AllergyMatch, allergy_matches
from mesodesk.domain.enums import (
    CourseStatus,
    NumbingAgent,
)
from mesodesk.domain.errors import NotFoundError, ValidationError
from mesodesk.domain.safety import (
    Finding,
    refused,
    session_findings,
    unanswered,
)
from mesodesk.domain.schedule import MAX_PLANNED
from mesodesk.domain.treatment import (
    NO_COURSE,
    NO_LOT,
    NO_PRACTITIONER,
    BlendInput,
    BlendLine,
    Session,
    SessionInput,
    check_lots,
)
from mesodesk.services.changes import Result
from mesodesk.services.treatment import (
    AllergyWarning,
    SafetyQuestions,
    TreatmentBase,
    _reason,
    _record_answers,
    treatment_changed,
)
from mesodesk.store import models as m
from mesodesk.store.tables import BLEND_ITEM, LOT, OUTCOME, PRODUCT, SESSION, SIDE_EFFECT, table


class SessionService(TreatmentBase):
    def allergy_warnings(
        self, patient_id: int, blend: Sequence[BlendInput], numbing_lot_id: int | None = None
    ) -> list[AllergyMatch]:
        """What in a session's products (the blend's, and the numbing product's) matches the
        patient's recorded allergies, by product name and by ingredient (domain.allergy)."""
        patient = self.patients.get(patient_id)
        lots = [b.lot_id for b in blend]
        if numbing_lot_id is not None:
            lots.append(numbing_lot_id)
        if not patient.allergies or not lots:
            return []
        return allergy_matches(patient.allergies, self.catalogue.ingredients_by_lot(lots))

    def session_findings(
        self, patient_id: int, data: SessionInput, session_id: int | None = None
    ) -> list[Finding]:
        """What the safety rules say about saving ``data`` (a new session, or ``session_id``
        edited), without saving anything: what a dialog shows before it saves. Raises
        ValidationError for input that is wrong whatever the rules say."""
        clean = data.validated(self.clock.now())
        with self.db.read() as s:
            if session_id is not None:
                self._session_row(s, session_id)
            self._check_session(s, patient_id, clean, session_id)
            return self._session_rules(s, patient_id, clean, session_id)

    def log_session(
        self,
        patient_id: int,
        data: SessionInput,
        *,
        allergy_confirmed: bool = False,
        confirmed: Iterable[str] = (),
        override_reason: str = "",
        extend_course: bool = False,
    ) -> Result[Session]:
        """Save a new session. The safety rules (mesodesk.domain.safety) refuse it with a
        ValidationError, or with SafetyQuestions until every question is ``confirmed`` (by rule
        code) and every overridable block has an ``override_reason``; ``extend_course`` raises
        the course's planned sessions to take a session past the plan."""
        clean = data.validated(self.clock.now())
        reason = _reason(override_reason)
        self._check_allergies(patient_id, clean, allergy_confirmed)
        now = self.clock.utcnow()
        with self.db.write() as s:
            self._check_session(s, patient_id, clean, None)
            if extend_course:
                self._extend_course(s, patient_id, clean, None)
            findings = self._answered(s, patient_id, clean, None, confirmed, reason)
            row = m.TreatmentSession(
                patient_id=patient_id,
                course_id=clean.course_id,
                started_at=clean.started_at,  # type: ignore[arg-type]
                depth_mm=clean.depth_mm,  # type: ignore[arg-type]
                created_at=now,
                updated_at=now,
            )
            self._apply_session(row, clean)
            _record_answers(row, findings, reason)
            s.add(row)
            s.flush()
            assert row.id is not None
            self._write_blend(s, row.id, clean.blend)
            self._refresh_schedule(s, patient_id)
            session_id = row.id
        return Result(self.session(session_id), treatment_changed(patient_id))

    def update_session(
        self,
        session_id: int,
        data: SessionInput,
        *,
        allergy_confirmed: bool = False,
        confirmed: Iterable[str] = (),
        override_reason: str = "",
        extend_course: bool = False,
    ) -> Result[Session]:
        """Save a changed session, under the same rules as log_session (each save answers the
        questions the rules ask of it)."""
        clean = data.validated(self.clock.now())
        reason = _reason(override_reason)
        with self.db.read() as s:
            patient_id = self._session_row(s, session_id).patient_id
        self._check_allergies(patient_id, clean, allergy_confirmed)
        with self.db.write() as s:
            row = self._session_row(s, session_id)
            self._check_session(s, patient_id, clean, session_id)
            if extend_course:
                self._extend_course(s, patient_id, clean, session_id)
            findings = self._answered(s, patient_id, clean, session_id, confirmed, reason)
            self._apply_session(row, clean)
            _record_answers(row, findings, reason)
            row.updated_at = self.clock.utcnow()
            current = list(
                s.execute(select(m.BlendItem).where(BLEND_ITEM.session_id == session_id)).scalars()
            )
            wanted = [(b.lot_id, b.amount_ml) for b in clean.blend]
            if [
                (b.lot_id, b.amount_ml) for b in sorted(current, key=lambda b: b.position)
            ] != wanted:
                for item in current:
                    s.delete(item)
                s.flush()
                self._write_blend(s, session_id, clean.blend)
            # A suspected lot the session no longer used (in its blend or as its numbing
            # product) is no longer suspected; a side effect that suspects every lot of the
            # session suspects each of them (Session.used_lots).
            s.flush()
            lots = self._sessions(s, SESSION.id == session_id)[0].used_lot_ids
            for effect in s.execute(
                select(m.SideEffect).where(SIDE_EFFECT.session_id == session_id)
            ).scalars():
                assert effect.id is not None
                suspected = set(self._suspected(s, effect.id))
                keep = set(lots) if effect.suspects_blend else suspected & set(lots)
                self._write_suspects(s, effect.id, [lot for lot in lots if lot in keep])
            s.flush()
            self._refresh_schedule(s, patient_id)
        return Result(self.session(session_id), treatment_changed(patient_id))

    def _session_rules(
        self, s: DbSession, patient_id: int, clean: SessionInput, session_id: int | None
    ) -> list[Finding]:
        record = self._record(s, patient_id)
        course = next(c for c in record.courses if c.id == clean.course_id)
        return session_findings(
            clean,
            record.patient,
            course,
            record.sessions,
            record.side_effects,
            session_id=session_id,
        )

    def _answered(
        self,
        s: DbSession,
        patient_id: int,
        clean: SessionInput,
        session_id: int | None,
        confirmed: Iterable[str],
        reason: str,
    ) -> list[Finding]:
        """The rules' findings once every one is answered; refuses otherwise."""
        findings = self._session_rules(s, patient_id, clean, session_id)
        errors = refused(findings)
        if errors:
            raise ValidationError(errors)
        open_questions = unanswered(findings, confirmed, reason)
        if open_questions:
            raise SafetyQuestions(open_questions, findings)
        return findings

    def _extend_course(
        self, s: DbSession, patient_id: int, clean: SessionInput, session_id: int | None
    ) -> None:
        """Plan one more session in the course when this one goes past the plan (the course
        keeps its 3 to 15 sessions)."""
        findings = self._session_rules(s, patient_id, clean, session_id)
        if not any(f.rule == "session.beyond_plan" for f in findings):
            return
        course = self._course_row(s, clean.course_id)
        assert clean.started_at is not None
        number = 1 + (
            s.execute(
                select(func.count()).where(
                    SESSION.course_id == course.id,
                    SESSION.started_at < clean.started_at,
                    SESSION.id != (session_id or 0),
                )
            ).scalar_one()
        )
        if number > MAX_PLANNED:
            raise ValidationError.single(
                "course_id",
                f"A course has at most {MAX_PLANNED} planned sessions: start a new course for "
                "this one.",
            )
        course.planned_sessions = number
        course.updated_at = self.clock.utcnow()
        s.flush()

    def _check_allergies(self, patient_id: int, clean: SessionInput, confirmed: bool) -> None:
        if confirmed:
            return
        matches = self.allergy_warnings(patient_id, clean.blend, clean.numbing_lot_id)
        if matches:
            raise AllergyWarning(matches)

    def _check_session(
        self, s: DbSession, patient_id: int, clean: SessionInput, session_id: int | None
    ) -> None:
        course = s.get(m.Course, clean.course_id)
        if course is None or course.patient_id != patient_id:
            raise ValidationError.single("course_id", NO_COURSE)
        assert clean.started_at is not None
        if course.status == CourseStatus.STOPPED.value:
            raise ValidationError.single(
                "course_id", "This course was stopped: make it active again, or start a new course."
            )
        if clean.started_at.date() < course.started_on:
            raise ValidationError.single(
                "started_at",
                f"The session is before the course started ({course.started_on.isoformat()}).",
            )
        if (
            clean.practitioner_id is not None
            and s.get(m.Practitioner, clean.practitioner_id) is None
        ):
            raise ValidationError.single("practitioner_id", NO_PRACTITIONER)
        lots = {
            r.id: (r.lot_number, r.expiry_date)
            for r in s.execute(
                select(LOT.id, LOT.lot_number, LOT.expiry_date).where(
                    LOT.id.in_([b.lot_id for b in clean.blend])
                )
            )
        }
        if session_id is not None:
            # A lot that was valid when the session was first saved stays acceptable on edit.
            previous = {
                r.lot_id
                for r in s.execute(
                    select(BLEND_ITEM.lot_id).where(BLEND_ITEM.session_id == session_id)
                )
            }
            check = [b for b in clean.blend if b.lot_id not in previous]
        else:
            check = list(clean.blend)
        check_lots(check, lots, clean.started_at.date())
        unknown = [b for b in clean.blend if b.lot_id not in lots]
        if unknown:
            raise ValidationError.single("blend", NO_LOT)
        self._check_numbing(s, clean, session_id)

    def _check_numbing(self, s: DbSession, clean: SessionInput, session_id: int | None) -> None:
        """The numbing product: a lot of a product marked numbing, in date on the session's
        day (a lot the session already had stays acceptable on edit). A topical anaesthetic
        needs its product and lot, except on a session saved before numbing products had lots
        that keeps what it had."""
        before = s.get(m.TreatmentSession, session_id) if session_id is not None else None
        lot_id = clean.numbing_lot_id
        if lot_id is None:
            legacy = (
                before is not None
                and before.numbing_lot_id is None
                and before.numbing_agent == NumbingAgent.TOPICAL_ANAESTHETIC.value
            )
            if clean.numbing_agent is NumbingAgent.TOPICAL_ANAESTHETIC and not legacy:
                raise ValidationError.single(
                    "numbing_agent",
                    "Choose the numbing cream or spray and its lot (add it in Products and "
                    "lots, marked as a numbing product), or another numbing agent.",
                )
            return
        found = s.execute(
            select(LOT.lot_number, LOT.expiry_date, PRODUCT.name, PRODUCT.numbing)
            .select_from(table(m.ProductLot).join(table(m.Product)))
            .where(LOT.id == lot_id)
        ).first()
        if found is None:
            raise ValidationError.single("numbing_lot_id", NO_LOT)
        if not found.numbing:
            raise ValidationError.single(
                "numbing_lot_id",
                f"{found.name} is not a numbing product: mark it as one in Products and lots, "
                "or choose a numbing cream or spray.",
            )
        kept = before is not None and before.numbing_lot_id == lot_id
        assert clean.started_at is not None
        if not kept and found.expiry_date < clean.started_at.date():
            raise ValidationError.single(
                "numbing_lot_id",
                f"Lot {found.lot_number} of {found.name} expired on "
                f"{found.expiry_date.isoformat()}, before the session: an expired lot cannot be "
                "used.",
            )

    def _apply_session(self, row: m.TreatmentSession, clean: SessionInput) -> None:
        row.course_id = clean.course_id
        row.started_at = clean.started_at  # type: ignore[assignment]
        row.practitioner_id = clean.practitioner_id
        row.areas = [a.value for a in clean.areas]
        row.depth_mm = clean.depth_mm  # type: ignore[assignment]
        row.numbing_agent = clean.numbing_agent.value
        row.numbing_lot_id = clean.numbing_lot_id
        row.technique = clean.technique.value
        row.injection_points = clean.injection_points
        row.total_volume_ml = clean.total_volume_ml
        row.pain_nrs = clean.pain_nrs
        row.gais = clean.gais
        row.satisfaction = clean.satisfaction
        row.price_cents = clean.price_cents
        row.notes = clean.notes

    def _write_blend(self, s: DbSession, session_id: int, blend: Sequence[BlendInput]) -> None:
        for position, item in enumerate(blend):
            s.add(
                m.BlendItem(
                    session_id=session_id,
                    lot_id=item.lot_id,
                    amount_ml=item.amount_ml,
                    position=position,
                )
            )
        s.flush()

    def session(self, session_id: int) -> Session:
        with self.db.read() as s:
            row = self._session_row(s, session_id)
            for session in self._sessions(s, SESSION.patient_id == row.patient_id):
                if session.id == session_id:
                    return session
        raise NotFoundError("This session no longer exists.")

    def delete_session(
        self, session_id: int, side_effects: Literal["keep", "delete"] = "keep"
    ) -> Result[int]:
        """Delete a session and its blend. Its side effects are kept (no longer tied to the
        session or its lots) or deleted, as the clinician chose. Returns how many were affected."""
        with self.db.write() as s:
            row = self._session_row(s, session_id)
            patient_id = row.patient_id
            effects = list(
                s.execute(
                    select(m.SideEffect).where(SIDE_EFFECT.session_id == session_id)
                ).scalars()
            )
            for effect in effects:
                assert effect.id is not None
                self._write_suspects(s, effect.id, [])
                if side_effects == "delete":
                    s.delete(effect)
                else:
                    effect.session_id = None
                    effect.suspects_blend = False
            for item in s.execute(
                select(m.BlendItem).where(BLEND_ITEM.session_id == session_id)
            ).scalars():
                s.delete(item)
            for outcome in s.execute(
                select(m.OutcomeAssessment).where(OUTCOME.session_id == session_id)
            ).scalars():
                outcome.session_id = None
            s.flush()
            s.delete(row)
            s.flush()
            self._refresh_schedule(s, patient_id)
        return Result(len(effects), treatment_changed(patient_id))

    def last_blend(self, patient_id: int, course_id: int | None = None) -> list[BlendLine]:
        """The blend of the patient's last session (of the course, if given)."""
        where = SESSION.patient_id == patient_id
        if course_id is not None:
            where = and_(where, SESSION.course_id == course_id)
        with self.db.read() as s:
            last = s.execute(
                select(SESSION.id)
                .where(where)
                .order_by(SESSION.started_at.desc(), SESSION.id.desc())
                .limit(1)
            ).scalar()
        if last is None:
            return []
        return list(self.session(last).blend)
