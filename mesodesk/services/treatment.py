"""The treatment record: courses, sessions with their blends, side effects, outcomes, the due list
and lot recall.

Audited records (courses, sessions, blend items, side effects, outcomes) are changed through ORM
objects, so that the audit trail sees every change. The derived caches (``course.next_due``,
``patient.next_due`` and ``patient.last_session_at``) are recomputed with plain UPDATEs in the same
transaction as the change they follow.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from mesodesk.domain.allergy import AllergyMatch, describe
from mesodesk.domain.clock import Clock
from mesodesk.domain.enums import (
    ActionTaken,
    AEOutcome,
    BodyArea,
    Causality,
    CourseStatus,
    Grade,
    Indication,
    LaterInterval,
    NumbingAgent,
    ReportChannel,
    SideEffectKind,
    Technique,
)
from mesodesk.domain.errors import ConflictError, NotFoundError, ValidationError
from mesodesk.domain.safety import (
    Finding,
    acknowledged,
    recorded_overrides,
    refused,
    side_effect_findings,
    unanswered,
)
from mesodesk.domain.schedule import CourseFacts, CoursePlan, course_dues
from mesodesk.domain.text import clean_block, has_control_chars
from mesodesk.domain.treatment import (
    BlendLine,
    Course,
    OutcomeAssessment,
    OutcomeInput,
    PatientRecord,
    Session,
    SideEffect,
    SideEffectInput,
    SuspectedLot,
    UsedLot,
)
from mesodesk.services.catalogue import CatalogueService
from mesodesk.services.changes import Changes
from mesodesk.services.patients import PatientService, row_to_patient
from mesodesk.store import models as m
from mesodesk.store.db import Database
from mesodesk.store.derived import refresh_schedules
from mesodesk.store.tables import (
    BLEND_ITEM,
    COURSE,
    EFFECT_LOT,
    LOT,
    OUTCOME,
    PATIENT,
    PRACTITIONER,
    PRODUCT,
    SESSION,
    SIDE_EFFECT,
    table,
)

DUE_STATUSES = (CourseStatus.ACTIVE.value, CourseStatus.COMPLETED.value)
MAX_OVERRIDE_TEXT = 2_000


def _day(value: Any) -> date:
    """A date read as text (SQLite) or as a date (other databases)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _as_day(value: Any) -> date | None:
    """The day of a date-time read as text or as a value; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value.date() if isinstance(value, datetime) else value


# Ids per statement when a list of them goes to the database as parameters (PostgreSQL takes up
# to 65,535 in a statement).
_IN_CHUNK = 10_000


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _id_chunks(s: DbSession, ids: list[int]) -> list[Any]:
    """Ids for IN (...) clauses. On SQLite, one JSON parameter however many there are: binding
    thousands of parameters took longer than the query itself. Elsewhere, lists of a size that
    every database takes in one statement."""
    if s.get_bind().dialect.name == "sqlite":
        return [select(func.json_each(json.dumps(ids)).table_valued("value").c.value)]
    return [ids[i : i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK)]


def _plain_rows(s: DbSession, stmt: Any) -> list[Any]:
    """The rows of a statement as plain tuples. On SQLite straight from the driver's cursor,
    after SQLAlchemy ran the statement (its compiled form cached): building SQLAlchemy's rows
    took a third of a recall over tens of thousands of rows. The columns asked for must need no
    conversion (dates are read as text)."""
    result = s.connection().execute(stmt)
    if s.get_bind().dialect.name == "sqlite":
        try:
            return list(result.cursor.fetchall())
        finally:
            result.close()
    return [tuple(r) for r in result]


class SafetyQuestions(ConflictError):
    """Saving needs the practitioner's word (mesodesk.domain.safety): each question confirmed,
    each overridable block given an override reason. ``questions`` are those still open;
    ``findings`` everything the rules said."""

    def __init__(self, questions: list[Finding], findings: list[Finding]) -> None:
        self.questions = questions
        self.findings = findings
        super().__init__(" ".join(f.message for f in questions))


def _reason(text: str) -> str:
    reason = clean_block(text)
    if len(reason) > MAX_OVERRIDE_TEXT:
        raise ValidationError.single(
            "override_reason",
            f"The override reason is too long (at most {MAX_OVERRIDE_TEXT:,} characters).",
        )
    if has_control_chars(reason, multiline=True):
        raise ValidationError.single(
            "override_reason", "The override reason holds characters that cannot be stored."
        )
    return reason


def _record_answers(row: m.TreatmentSession, findings: list[Finding], reason: str) -> None:
    """Keep with the session what the practitioner confirmed or overrode, and why (the override
    reason only when a block was overridden)."""
    row.safety_confirmed = acknowledged(findings)
    row.override_reason = reason if recorded_overrides(findings) else ""


def _answered_effect(
    clean: SideEffectInput, session: Session | None, confirmed: Iterable[str]
) -> list[Finding]:
    findings = side_effect_findings(clean, session)
    errors = refused(findings)
    if errors:
        raise ValidationError(errors)
    questions = unanswered(findings, confirmed)
    if questions:
        raise SafetyQuestions(questions, findings)
    return findings


class AllergyWarning(ConflictError):
    """A product of the session (its blend or its numbing product) matches an allergy the
    patient is recorded with; save again once confirmed."""

    def __init__(self, matches: list[AllergyMatch]) -> None:
        self.matches = matches
        listed = "; ".join(describe(m) for m in matches)
        super().__init__(f"The session's products match a recorded allergy: {listed}.")


def _apply_outcome(row: m.OutcomeAssessment, clean: OutcomeInput) -> None:
    row.course_id = clean.course_id
    row.assessed_on = clean.assessed_on  # type: ignore[assignment]
    row.gais = clean.gais
    row.patient_gais = clean.patient_gais
    row.satisfaction = clean.satisfaction
    row.assessor_id = clean.assessor_id
    row.notes = clean.notes


def treatment_changed(patient_id: int) -> Changes:
    return Changes(treatment=True, patients=True, patient_ids=frozenset({patient_id}))


def _plan(row: Any) -> CoursePlan:
    return CoursePlan(
        planned_sessions=row.planned_sessions,
        induction_sessions=row.induction_sessions,
        induction_interval_days=row.induction_interval_days,
        later_interval=LaterInterval.parse(row.later_interval),
        maintenance_interval_months=row.maintenance_interval_months,
    )


def _areas(values: Iterable[str] | None) -> tuple[BodyArea, ...]:
    areas = BodyArea._value2member_map_  # codes as stored: a dictionary look-up each
    return tuple(cast(BodyArea, areas[v]) for v in values or () if v in areas)


class TreatmentBase:
    """What every treatment service shares: the database, the patients and the catalogue, the
    row look-ups, the readers of a whole record and the schedule's refresh."""

    def __init__(
        self,
        db: Database,
        patients: PatientService,
        catalogue: CatalogueService,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.patients = patients
        self.catalogue = catalogue
        self.clock = clock or Clock()

    # -- the record -----------------------------------------------------------------------------

    def record(self, patient_id: int) -> PatientRecord:
        """A patient's whole record, in a handful of queries."""
        with self.db.read() as s:
            return self._record(s, patient_id)

    def _record(self, s: DbSession, patient_id: int) -> PatientRecord:
        patient = row_to_patient(self._patient_row(s, patient_id))
        sessions = self._sessions(s, SESSION.patient_id == patient_id)
        courses = self._courses(s, patient_id, sessions)
        effects = self._side_effects(s, SIDE_EFFECT.patient_id == patient_id)
        outcomes = self._outcomes(s, OUTCOME.patient_id == patient_id)
        return PatientRecord(
            patient, tuple(courses), tuple(sessions), tuple(effects), tuple(outcomes)
        )

    def _outcomes(self, s: DbSession, where: Any) -> list[OutcomeAssessment]:
        return [
            OutcomeAssessment(
                id=r.id,
                patient_id=r.patient_id,
                course_id=r.course_id,
                assessed_on=r.assessed_on,
                gais=r.gais,
                satisfaction=r.satisfaction,
                notes=r.notes,
                patient_gais=r.patient_gais,
                assessor_id=r.assessor_id,
                assessor=r.assessor_name or "",
            )
            for r in s.execute(
                select(table(m.OutcomeAssessment), PRACTITIONER.name.label("assessor_name"))
                .select_from(
                    table(m.OutcomeAssessment).outerjoin(
                        table(m.Practitioner), OUTCOME.assessor_id == PRACTITIONER.id
                    )
                )
                .where(where)
                .order_by(OUTCOME.assessed_on, OUTCOME.id)
            )
        ]

    def records(self, patient_ids: Sequence[int]) -> list[PatientRecord]:
        """The records of many patients (their outcome reviews left out), a few queries for
        them all: what a check over the whole clinic reads."""
        with self.db.read() as s:
            ids = list(patient_ids)
            patients = {
                row.id: row_to_patient(row)
                for chunk in _id_chunks(s, ids)
                for row in s.execute(select(m.Patient).where(PATIENT.id.in_(chunk))).scalars()
            }
            sessions: dict[int, list[Session]] = defaultdict(list)
            effects: dict[int, list[SideEffect]] = defaultdict(list)
            courses: dict[int, list[Any]] = defaultdict(list)
            for chunk in _id_chunks(s, ids):
                for row in s.execute(
                    select(table(m.Course))
                    .where(COURSE.patient_id.in_(chunk))
                    .order_by(COURSE.started_on, COURSE.id)
                ):
                    courses[row.patient_id].append(row)
                for session in self._sessions(s, SESSION.patient_id.in_(chunk)):
                    sessions[session.patient_id].append(session)
                for effect in self._side_effects(s, SIDE_EFFECT.patient_id.in_(chunk)):
                    effects[effect.patient_id].append(effect)
            return [
                PatientRecord(
                    patient,
                    tuple(self._courses(s, pid, sessions[pid], courses[pid])),
                    tuple(sessions[pid]),
                    tuple(effects[pid]),
                )
                for pid, patient in sorted(patients.items())
            ]

    def _courses(
        self,
        s: DbSession,
        patient_id: int,
        sessions: Sequence[Session],
        rows: Sequence[Any] | None = None,
    ) -> list[Course]:
        """The patient's courses; ``rows``: their rows, when already read (many patients)."""
        by_course: dict[int, list[Session]] = defaultdict(list)
        for session in sessions:
            by_course[session.course_id].append(session)
        if rows is None:
            rows = list(
                s.execute(
                    select(table(m.Course))
                    .where(COURSE.patient_id == patient_id)
                    .order_by(COURSE.started_on, COURSE.id)
                )
            )
        dues = course_dues(
            CourseFacts(
                r.id,
                r.indication,
                r.indication_note,
                _plan(r),
                CourseStatus.parse(r.status),
                r.started_on,
                tuple(x.started_at.date() for x in by_course.get(r.id, [])),
            )
            for r in rows
        )
        courses = []
        for r in rows:
            done = by_course.get(r.id, [])
            plan = _plan(r)
            status = CourseStatus.parse(r.status)
            courses.append(
                Course(
                    id=r.id,
                    patient_id=r.patient_id,
                    indication=Indication.parse(r.indication),
                    indication_note=r.indication_note,
                    areas=_areas(r.areas),
                    plan=plan,
                    price_per_session_cents=r.price_per_session_cents,
                    status=status,
                    started_on=r.started_on,
                    ended_on=r.ended_on,
                    end_reason=r.end_reason,
                    notes=r.notes,
                    sessions_done=len(done),
                    total_price_cents=sum(x.price_cents or 0 for x in done),
                    next_due=dues[r.id].due,
                    maintenance_ended_by=dues[r.id].maintenance_ended_by,
                )
            )
        return courses

    def _sessions(self, s: DbSession, where: Any) -> list[Session]:
        rows = list(
            s.execute(
                select(table(m.TreatmentSession), PRACTITIONER.name.label("practitioner_name"))
                .select_from(table(m.TreatmentSession).outerjoin(table(m.Practitioner)))
                .where(where)
                .order_by(SESSION.started_at, SESSION.id)
            )
        )
        ids = [r.id for r in rows]
        blends: dict[int, list[BlendLine]] = defaultdict(list)
        if ids:
            for b in s.execute(
                select(
                    BLEND_ITEM.session_id,
                    BLEND_ITEM.lot_id,
                    BLEND_ITEM.amount_ml,
                    LOT.product_id,
                    LOT.lot_number,
                    LOT.expiry_date,
                    PRODUCT.name,
                )
                .select_from(table(m.BlendItem).join(table(m.ProductLot)).join(table(m.Product)))
                .where(BLEND_ITEM.session_id.in_(ids))
                .order_by(BLEND_ITEM.session_id, BLEND_ITEM.position, BLEND_ITEM.id)
            ):
                blends[b.session_id].append(
                    BlendLine(
                        b.lot_id, b.product_id, b.name, b.lot_number, b.expiry_date, b.amount_ml
                    )
                )
        numbing: dict[int, UsedLot] = {}
        wanted = {r.numbing_lot_id for r in rows if r.numbing_lot_id is not None}
        if wanted:
            for lot in s.execute(
                select(LOT.id, LOT.product_id, PRODUCT.name, LOT.lot_number, LOT.expiry_date)
                .select_from(table(m.ProductLot).join(table(m.Product)))
                .where(LOT.id.in_(wanted))
            ):
                numbing[lot.id] = UsedLot(
                    lot.id, lot.product_id, lot.name, lot.lot_number, lot.expiry_date
                )
        numbers: dict[int, int] = defaultdict(int)
        sessions = []
        for r in rows:
            numbers[r.course_id] += 1
            sessions.append(
                Session(
                    id=r.id,
                    patient_id=r.patient_id,
                    course_id=r.course_id,
                    number=numbers[r.course_id],
                    started_at=r.started_at,
                    practitioner_id=r.practitioner_id,
                    practitioner=r.practitioner_name or "",
                    areas=_areas(r.areas),
                    depth_mm=r.depth_mm,
                    numbing_agent=NumbingAgent.parse(r.numbing_agent),
                    technique=Technique.parse(r.technique),
                    injection_points=r.injection_points,
                    total_volume_ml=r.total_volume_ml,
                    blend=tuple(blends.get(r.id, ())),
                    pain_nrs=r.pain_nrs,
                    gais=r.gais,
                    satisfaction=r.satisfaction,
                    price_cents=r.price_cents,
                    notes=r.notes,
                    safety_confirmed=tuple(r.safety_confirmed or ()),
                    override_reason=r.override_reason or "",
                    numbing=numbing.get(r.numbing_lot_id) if r.numbing_lot_id is not None else None,
                )
            )
        return sessions

    def _side_effects(self, s: DbSession, where: Any) -> list[SideEffect]:
        stmt = (
            select(table(m.SideEffect), SESSION.started_at.label("session_at"))
            .select_from(
                table(m.SideEffect).outerjoin(
                    table(m.TreatmentSession), SIDE_EFFECT.session_id == SESSION.id
                )
            )
            .where(where)
            .order_by(SIDE_EFFECT.onset_on, SIDE_EFFECT.id)
        )
        rows = list(s.execute(stmt))
        lots: dict[int, list[SuspectedLot]] = defaultdict(list)
        ids = [r.id for r in rows]
        for chunk in _id_chunks(s, ids) if ids else ():
            for effect_id, lot_id, number, product in s.execute(
                select(EFFECT_LOT.side_effect_id, EFFECT_LOT.lot_id, LOT.lot_number, PRODUCT.name)
                .select_from(
                    table(m.SideEffectLot).join(table(m.ProductLot)).join(table(m.Product))
                )
                .where(EFFECT_LOT.side_effect_id.in_(chunk))
                .order_by(EFFECT_LOT.side_effect_id, PRODUCT.name, LOT.lot_number)
            ):
                lots[effect_id].append(SuspectedLot(lot_id, number, product))
        return [
            SideEffect(
                id=r.id,
                patient_id=r.patient_id,
                session_id=r.session_id,
                session_started_at=r.session_at,
                lots=tuple(lots.get(r.id, ())),
                suspects_blend=bool(r.suspects_blend),
                kind=SideEffectKind.parse(r.kind),
                kind_note=r.kind_note,
                onset_on=r.onset_on,
                resolved_on=r.resolved_on,
                grade=Grade(r.grade),
                pain_nrs=r.pain_nrs,
                serious=bool(r.serious),
                outcome=AEOutcome.parse(r.outcome),
                causality=Causality.parse(r.causality),
                body_area=BodyArea.parse(r.body_area) if r.body_area else None,
                body_area_note=r.body_area_note,
                action_taken=ActionTaken.parse(r.action_taken),
                action_note=r.action_note,
                reported_via=ReportChannel.parse(r.reported_via),
                reported_at=r.reported_at,
                recorded_by_id=r.recorded_by_id,
                notes=r.notes,
                safety_confirmed=tuple(r.safety_confirmed or ()),
            )
            for r in rows
        ]

    # -- courses --------------------------------------------------------------------------------

    def _course(self, patient_id: int, course_id: int) -> Course:
        for course in self.record(patient_id).courses:
            if course.id == course_id:
                return course
        raise NotFoundError("This course no longer exists.")

    # -- sessions -------------------------------------------------------------------------------

    # -- side effects ---------------------------------------------------------------------------

    # -- outcomes -------------------------------------------------------------------------------

    # -- who is due -----------------------------------------------------------------------------

    # -- lot recall -----------------------------------------------------------------------------

    # -- internals ------------------------------------------------------------------------------

    def _patient_row(self, s: DbSession, patient_id: int) -> m.Patient:
        row = s.get(m.Patient, patient_id)
        if row is None:
            raise NotFoundError("This patient no longer exists.")
        return row

    def _course_row(self, s: DbSession, course_id: int) -> m.Course:
        row = s.get(m.Course, course_id)
        if row is None:
            raise NotFoundError("This course no longer exists.")
        return row

    def _session_row(self, s: DbSession, session_id: int) -> m.TreatmentSession:
        row = s.get(m.TreatmentSession, session_id)
        if row is None:
            raise NotFoundError("This session no longer exists.")
        return row

    def _effect_row(self, s: DbSession, effect_id: int) -> m.SideEffect:
        row = s.get(m.SideEffect, effect_id)
        if row is None:
            raise NotFoundError("This side effect no longer exists.")
        return row

    def _refresh_schedule(self, s: DbSession, patient_id: int) -> None:
        """Recompute the cached due dates and last session of a patient, in the transaction of
        the change (store.derived, from the same function as the record's)."""
        refresh_schedules(s.connection(), self.clock.today(), [patient_id])

    def _suspected(self, s: DbSession, effect_id: int) -> list[int]:
        return [
            lot
            for (lot,) in s.execute(
                select(EFFECT_LOT.lot_id).where(EFFECT_LOT.side_effect_id == effect_id)
            )
        ]

    def _write_suspects(self, s: DbSession, effect_id: int, lot_ids: Sequence[int]) -> None:
        """Make a side effect's suspected lots ``lot_ids``: each link added or removed as an
        ORM object, so that the audit trail records it."""
        wanted = set(lot_ids)
        current = {
            link.lot_id: link
            for link in s.execute(
                select(m.SideEffectLot).where(EFFECT_LOT.side_effect_id == effect_id)
            ).scalars()
        }
        for lot, link in current.items():
            if lot not in wanted:
                s.delete(link)
        for lot in dict.fromkeys(lot_ids):
            if lot not in current:
                s.add(m.SideEffectLot(side_effect_id=effect_id, lot_id=lot))
        s.flush()


class TreatmentService(TreatmentBase):
    """The patient's treatment record as a whole (``record``, ``records``); the changes go
    through one service per aggregate: courses, sessions, side effects, outcomes, recall."""

    def patients_seen(self, date_from: date, date_to: date) -> list[int]:
        """Patients with a session between two days (inclusive), by record number."""
        start = datetime.combine(date_from, datetime.min.time())
        end = datetime.combine(date_to, datetime.max.time())
        stmt = (
            select(PATIENT.id)
            .where(
                PATIENT.id.in_(
                    select(SESSION.patient_id).where(
                        SESSION.started_at >= start, SESSION.started_at <= end
                    )
                )
            )
            .order_by(PATIENT.record_number)
        )
        with self.db.read() as s:
            return [r for (r,) in s.execute(stmt)]
