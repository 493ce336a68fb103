"""The treatment record: courses, sessions with their blends, side effects, outcomes, the due list
and lot recall.

Audited records (courses, sessions, blend items, side effects, outcomes) are changed through ORM
objects, so that the audit trail sees every change. The derived caches (``course.next_due``,
``patient.next_due`` and ``patient.last_session_at``) are recomputed with plain UPDATEs in the same
transaction as the change they follow.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Literal, cast

from sqlalchemy import String, Table, and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session as DbSession

from mesodesk.domain.allergy import AllergyMatch, allergy_matches, describe
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
from mesodesk.domain.patients import format_record_no
from mesodesk.domain.safety import (
    Finding,
    acknowledged,
    recorded_overrides,
    refused,
    session_findings,
    side_effect_findings,
    unanswered,
)
from mesodesk.domain.schedule import MAX_PLANNED, CourseFacts, CoursePlan, course_dues
from mesodesk.domain.text import clean_block, fold, has_control_chars
from mesodesk.domain.treatment import (
    NO_COURSE,
    NO_LOT,
    NO_PRACTITIONER,
    NO_SESSION,
    NO_SUSPECTED_LOT,
    BlendInput,
    BlendLine,
    Course,
    CourseInput,
    DueEntry,
    LotInSeveralProducts,
    OutcomeAssessment,
    OutcomeInput,
    PatientRecord,
    Recall,
    RecallEntry,
    RecallSideEffect,
    Session,
    SessionInput,
    SideEffect,
    SideEffectInput,
    SuspectedLot,
    UsedLot,
    check_lots,
)
from mesodesk.services.bulk import no_collector_pauses
from mesodesk.services.catalogue import CatalogueService
from mesodesk.services.changes import Changes, Result
from mesodesk.services.patients import PatientService, row_to_patient
from mesodesk.store import models as m
from mesodesk.store.db import Database
from mesodesk.store.derived import fold_lot_number, refresh_schedules
from mesodesk.store.session_lots import session_lots


def _t(model: Any) -> Table:
    return cast(Table, model.__table__)


PA = _t(m.Patient).c
CO = _t(m.Course).c
SE = _t(m.TreatmentSession).c
BI = _t(m.BlendItem).c
LT = _t(m.ProductLot).c
PD = _t(m.Product).c
PR = _t(m.Practitioner).c
FX = _t(m.SideEffect).c
OA = _t(m.OutcomeAssessment).c
SL = _t(m.SideEffectLot).c
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


def _from_first_exposures(s: DbSession, rows: list[Any], lot_ids: list[int]) -> Any:
    """The side effects of the exposed patients from each one's first exposure on, as a FROM
    clause. ``rows`` are the exposures (session, patient, start, ...) in patient and date order.

    On SQLite the first exposures go to the database as one JSON parameter: joining the blends to
    the sessions a second time, in SQL, took as long as the whole rest of a recall over a million
    sessions. Elsewhere (PostgreSQL) that join is the portable way."""
    effects = _t(m.SideEffect)
    if s.get_bind().dialect.name == "sqlite":
        firsts: dict[int, str] = {}
        for row in rows:
            if row[1] not in firsts:  # rows are in date order: the first is the first exposure
                firsts[row[1]] = row[2].date().isoformat()
        pairs = func.json_each(json.dumps(list(firsts.items()))).table_valued("value")
        patient = func.json_extract(pairs.c.value, "$[0]")
        since = func.json_extract(pairs.c.value, "$[1]")
        return pairs.join(effects, and_(FX.patient_id == patient, FX.onset_on >= since))
    used = session_lots(lot_ids).subquery()
    first = (
        select(SE.patient_id.label("pid"), func.min(SE.started_at).label("since"))
        .select_from(used.join(_t(m.TreatmentSession), SE.id == used.c.session_id))
        .group_by(SE.patient_id)
        .subquery()
    )
    return effects.join(
        first, and_(FX.patient_id == first.c.pid, FX.onset_on >= func.date(first.c.since))
    )


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


def suspected_lot_pairs() -> Any:
    """Which lots each side effect suspects, as (side_effect_id, lot_id) rows: the one place
    that reads it (the ``side_effect_lot`` links of migration 0004: one or several of the lots
    the suspected session used, or all of them)."""
    return select(SL.side_effect_id.label("side_effect_id"), SL.lot_id.label("lot_id"))


def _choose_product(number: str, names: list[str], product: str | None) -> str:
    """The product a recall is for, among those that have a lot of this number."""
    if product is None or not product.strip():
        if len(names) > 1:
            raise LotInSeveralProducts(number, names)
        return names[0]
    wanted = fold(" ".join(product.split()))
    exact = [n for n in names if fold(n) == wanted]
    starting = [n for n in names if fold(n).startswith(wanted)]
    if exact:
        return exact[0]
    if len(starting) == 1:
        return starting[0]
    raise ValidationError.single(
        "product",
        f"Lot {number} is a lot of {', '.join(names)}"
        + (
            f"; {product.strip()} matches several of them: give the whole name."
            if starting
            else f", not of {product.strip()}."
        ),
    )


def _one_row_per_effect(effects: Sequence[Any], recalled: set[int]) -> Sequence[Any]:
    """Rows of side effects joined to the lots they name: one per side effect and lot. Where a
    side effect names several, one row: the recalled lot's when it is among them, else the
    other numbers joined."""
    if len({e[0] for e in effects}) == len(effects):
        return effects  # the usual case: at most one lot each
    merged: dict[int, list[Any]] = {}
    for e in effects:
        row = merged.get(e[0])
        if row is None:
            merged[e[0]] = list(e)
        elif row[-1] not in recalled:
            if e[-1] in recalled:
                row[-2], row[-1] = e[-2], e[-1]
            elif e[-2]:
                row[-2] = f"{row[-2]}, {e[-2]}" if row[-2] else e[-2]
    return [tuple(row) for row in merged.values()]


def _recall_entries(
    rows: list[Any],
    people: dict[int, tuple[str, str, str, str]],
    effects: Sequence[Any],
    lots: Sequence[Any],
) -> tuple[RecallEntry, ...]:
    """One entry per exposure, each with its side effects: one that suspects the lot goes with
    its own session (when that session used the lot), any other with the patient's latest
    exposure on or before its onset."""
    recalled = {r.id for r in lots}
    effects = _one_row_per_effect(effects, recalled)
    kinds, outcomes = SideEffectKind._value2member_map_, AEOutcome._value2member_map_
    grades = {g.value: g for g in Grade}
    # Thousands of rows share a few hundred days: each read once. (This loop runs for every
    # side effect of every exposed patient: kept lean.)
    days: dict[Any, date] = {}
    for e in effects:
        if e[5] not in days:
            days[e[5]] = _day(e[5])
        if e[6] and e[6] not in days:
            days[e[6]] = _day(e[6])
    # each patient's exposures in date order: the first one's row, and their days
    index_of_session = {row[0]: i for i, row in enumerate(rows)}
    first_row: dict[int, int] = {}
    exposure_days: dict[int, list[date]] = {}
    for i, row in enumerate(rows):
        pid = row[1]
        if pid not in first_row:
            first_row[pid] = i
            exposure_days[pid] = []
        exposure_days[pid].append(row[2].date())
    given: list[list[RecallSideEffect]] = [[] for _ in rows]
    number = lots[0].lot_number  # as the catalogue spells it
    latest = bisect.bisect_right
    new, effect = tuple.__new__, RecallSideEffect  # the named tuple without its Python __new__
    for (
        effect_id,
        pid,
        session_id,
        kind,
        grade,
        onset,
        resolved,
        outcome,
        lot,
        lot_id,
    ) in effects:
        suspected = lot_id in recalled
        onset_day = days[onset]
        at = index_of_session.get(session_id) if suspected else None
        if at is None:
            mine = exposure_days.get(pid)
            if mine is None:
                continue  # a lot named by a patient's side effect without any session using it
            at = first_row[pid] + max(0, latest(mine, onset_day) - 1)
        given[at].append(
            new(
                effect,
                (
                    effect_id,
                    kinds.get(kind) or SideEffectKind.parse(kind),
                    grades[grade],
                    onset_day,
                    days[resolved] if resolved else None,
                    outcomes.get(outcome) or AEOutcome.parse(outcome),
                    number if suspected else lot or "",
                    suspected,
                ),
            )
        )
    names = {r.id: r.name for r in lots}
    numbers = {r.id: r.lot_number for r in lots}  # as the catalogue spells it
    entries = []
    for i, (sid, pid, at_time, amount, lot_id, numbing) in enumerate(rows):
        record_no, first_name, last_name, phone = people[pid]
        listed = given[i]
        if len(listed) > 1:
            listed.sort(key=lambda x: (x.onset_on, x.id))
        entries.append(
            RecallEntry(
                pid,
                record_no,
                first_name,
                last_name,
                phone,
                sid,
                at_time,
                names[lot_id],
                numbers[lot_id],
                amount,
                tuple(listed),
                numbing,
            )
        )
    return tuple(entries)


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


class TreatmentService:
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
        sessions = self._sessions(s, SE.patient_id == patient_id)
        courses = self._courses(s, patient_id, sessions)
        effects = self._side_effects(s, FX.patient_id == patient_id)
        outcomes = self._outcomes(s, OA.patient_id == patient_id)
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
                select(_t(m.OutcomeAssessment), PR.name.label("assessor_name"))
                .select_from(
                    _t(m.OutcomeAssessment).outerjoin(_t(m.Practitioner), OA.assessor_id == PR.id)
                )
                .where(where)
                .order_by(OA.assessed_on, OA.id)
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
                for row in s.execute(select(m.Patient).where(PA.id.in_(chunk))).scalars()
            }
            sessions: dict[int, list[Session]] = defaultdict(list)
            effects: dict[int, list[SideEffect]] = defaultdict(list)
            courses: dict[int, list[Any]] = defaultdict(list)
            for chunk in _id_chunks(s, ids):
                for row in s.execute(
                    select(_t(m.Course))
                    .where(CO.patient_id.in_(chunk))
                    .order_by(CO.started_on, CO.id)
                ):
                    courses[row.patient_id].append(row)
                for session in self._sessions(s, SE.patient_id.in_(chunk)):
                    sessions[session.patient_id].append(session)
                for effect in self._side_effects(s, FX.patient_id.in_(chunk)):
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
                    select(_t(m.Course))
                    .where(CO.patient_id == patient_id)
                    .order_by(CO.started_on, CO.id)
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
                select(_t(m.TreatmentSession), PR.name.label("practitioner_name"))
                .select_from(_t(m.TreatmentSession).outerjoin(_t(m.Practitioner)))
                .where(where)
                .order_by(SE.started_at, SE.id)
            )
        )
        ids = [r.id for r in rows]
        blends: dict[int, list[BlendLine]] = defaultdict(list)
        if ids:
            for b in s.execute(
                select(
                    BI.session_id,
                    BI.lot_id,
                    BI.amount_ml,
                    LT.product_id,
                    LT.lot_number,
                    LT.expiry_date,
                    PD.name,
                )
                .select_from(_t(m.BlendItem).join(_t(m.ProductLot)).join(_t(m.Product)))
                .where(BI.session_id.in_(ids))
                .order_by(BI.session_id, BI.position, BI.id)
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
                select(LT.id, LT.product_id, PD.name, LT.lot_number, LT.expiry_date)
                .select_from(_t(m.ProductLot).join(_t(m.Product)))
                .where(LT.id.in_(wanted))
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
            select(_t(m.SideEffect), SE.started_at.label("session_at"))
            .select_from(_t(m.SideEffect).outerjoin(_t(m.TreatmentSession), FX.session_id == SE.id))
            .where(where)
            .order_by(FX.onset_on, FX.id)
        )
        rows = list(s.execute(stmt))
        lots: dict[int, list[SuspectedLot]] = defaultdict(list)
        ids = [r.id for r in rows]
        for chunk in _id_chunks(s, ids) if ids else ():
            for effect_id, lot_id, number, product in s.execute(
                select(SL.side_effect_id, SL.lot_id, LT.lot_number, PD.name)
                .select_from(_t(m.SideEffectLot).join(_t(m.ProductLot)).join(_t(m.Product)))
                .where(SL.side_effect_id.in_(chunk))
                .order_by(SL.side_effect_id, PD.name, LT.lot_number)
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
                select(func.min(SE.started_at)).where(SE.course_id == course_id)
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
            sessions = s.execute(select(func.count()).where(SE.course_id == course_id)).scalar_one()
            if sessions:
                raise ConflictError(
                    f"This course has {sessions} session(s). Delete them first, or stop the course."
                )
            patient_id = row.patient_id
            for outcome in s.execute(
                select(m.OutcomeAssessment).where(OA.course_id == course_id)
            ).scalars():
                s.delete(outcome)
            s.delete(row)
            s.flush()
            self._refresh_schedule(s, patient_id)
        return Result(None, treatment_changed(patient_id))

    def _course(self, patient_id: int, course_id: int) -> Course:
        for course in self.record(patient_id).courses:
            if course.id == course_id:
                return course
        raise NotFoundError("This course no longer exists.")

    # -- sessions -------------------------------------------------------------------------------

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
                s.execute(select(m.BlendItem).where(BI.session_id == session_id)).scalars()
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
            lots = self._sessions(s, SE.id == session_id)[0].used_lot_ids
            for effect in s.execute(
                select(m.SideEffect).where(FX.session_id == session_id)
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
                    SE.course_id == course.id,
                    SE.started_at < clean.started_at,
                    SE.id != (session_id or 0),
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
                select(LT.id, LT.lot_number, LT.expiry_date).where(
                    LT.id.in_([b.lot_id for b in clean.blend])
                )
            )
        }
        if session_id is not None:
            # A lot that was valid when the session was first saved stays acceptable on edit.
            previous = {
                r.lot_id for r in s.execute(select(BI.lot_id).where(BI.session_id == session_id))
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
            select(LT.lot_number, LT.expiry_date, PD.name, PD.numbing)
            .select_from(_t(m.ProductLot).join(_t(m.Product)))
            .where(LT.id == lot_id)
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
            for session in self._sessions(s, SE.patient_id == row.patient_id):
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
                s.execute(select(m.SideEffect).where(FX.session_id == session_id)).scalars()
            )
            for effect in effects:
                assert effect.id is not None
                self._write_suspects(s, effect.id, [])
                if side_effects == "delete":
                    s.delete(effect)
                else:
                    effect.session_id = None
                    effect.suspects_blend = False
            for item in s.execute(select(m.BlendItem).where(BI.session_id == session_id)).scalars():
                s.delete(item)
            for outcome in s.execute(
                select(m.OutcomeAssessment).where(OA.session_id == session_id)
            ).scalars():
                outcome.session_id = None
            s.flush()
            s.delete(row)
            s.flush()
            self._refresh_schedule(s, patient_id)
        return Result(len(effects), treatment_changed(patient_id))

    def last_blend(self, patient_id: int, course_id: int | None = None) -> list[BlendLine]:
        """The blend of the patient's last session (of the course, if given)."""
        where = SE.patient_id == patient_id
        if course_id is not None:
            where = and_(where, SE.course_id == course_id)
        with self.db.read() as s:
            last = s.execute(
                select(SE.id).where(where).order_by(SE.started_at.desc(), SE.id.desc()).limit(1)
            ).scalar()
        if last is None:
            return []
        return list(self.session(last).blend)

    # -- side effects ---------------------------------------------------------------------------

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
            found = self._side_effects(s, FX.id == effect_id)
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
            session = self._sessions(s, SE.id == data.session_id)[0]
            session_on = row.started_at.date()
            first = s.execute(
                select(func.min(SE.started_at)).where(SE.course_id == row.course_id)
            ).scalar()
            first_on = first.date() if first else None
            used = session.used_lot_ids  # its blend's lots and its numbing product's
            if data.suspects_blend:
                data = replace(data, lot_ids=used)
            elif any(lot not in used for lot in data.lot_ids):
                raise ValidationError.single("lot_ids", NO_SUSPECTED_LOT)
        else:
            first = s.execute(
                select(func.min(SE.started_at)).where(SE.patient_id == patient_id)
            ).scalar()
            first_on = first.date() if first else None
        if data.recorded_by_id is not None and s.get(m.Practitioner, data.recorded_by_id) is None:
            raise ValidationError.single("recorded_by_id", NO_PRACTITIONER)
        clean = data.validated(
            self.clock.now(), first_session_on=first_on, suspected_session_on=session_on
        )
        return clean, session

    def _suspected(self, s: DbSession, effect_id: int) -> list[int]:
        return [
            lot for (lot,) in s.execute(select(SL.lot_id).where(SL.side_effect_id == effect_id))
        ]

    def _write_suspects(self, s: DbSession, effect_id: int, lot_ids: Sequence[int]) -> None:
        """Make a side effect's suspected lots ``lot_ids``: each link added or removed as an
        ORM object, so that the audit trail records it."""
        wanted = set(lot_ids)
        current = {
            link.lot_id: link
            for link in s.execute(
                select(m.SideEffectLot).where(SL.side_effect_id == effect_id)
            ).scalars()
        }
        for lot, link in current.items():
            if lot not in wanted:
                s.delete(link)
        for lot in dict.fromkeys(lot_ids):
            if lot not in current:
                s.add(m.SideEffectLot(side_effect_id=effect_id, lot_id=lot))
        s.flush()

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

    # -- outcomes -------------------------------------------------------------------------------

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
            found = self._outcomes(s, OA.id == outcome_id)
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
            select(OA.assessed_on).where(
                OA.course_id == clean.course_id, OA.id != (outcome_id or 0)
            )
        ).first()
        if other is not None:
            raise ValidationError.single(
                "course_id",
                f"This course already has its review (of {other.assessed_on.isoformat()}): "
                "open that one to change it.",
            )

    # -- who is due -----------------------------------------------------------------------------

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
            when: list[Any] = [CO.lapses_on <= by]
            order: list[Any] = [CO.next_due.desc()]
        else:
            when = [CO.next_due <= by, or_(CO.lapses_on.is_(None), CO.lapses_on > by)]
            order = [CO.next_due]
        done = (
            select(func.count())
            .where(SE.course_id == CO.id)
            .correlate(_t(m.Course))
            .scalar_subquery()
        )
        stmt = (
            select(
                CO.id,
                CO.patient_id,
                CO.indication,
                type_coerce(CO.next_due, String),
                CO.planned_sessions,
                PA.record_number,
                PA.first_name,
                PA.last_name,
                PA.phone,
                type_coerce(PA.last_session_at, String),
                done.label("done"),
                type_coerce(CO.lapses_on, String),
            )
            .select_from(_t(m.Course).join(_t(m.Patient)))
            .where(
                CO.status.in_(DUE_STATUSES),
                CO.next_due.is_not(None),
                *when,
                PA.archived == False,  # noqa: E712
            )
            .order_by(*order, PA.last_folded, PA.first_folded, CO.id)
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

    def patients_seen(self, date_from: date, date_to: date) -> list[int]:
        """Patients with a session between two days (inclusive), by record number."""
        start = datetime.combine(date_from, datetime.min.time())
        end = datetime.combine(date_to, datetime.max.time())
        stmt = (
            select(PA.id)
            .where(
                PA.id.in_(select(SE.patient_id).where(SE.started_at >= start, SE.started_at <= end))
            )
            .order_by(PA.record_number)
        )
        with self.db.read() as s:
            return [r for (r,) in s.execute(stmt)]

    # -- lot recall -----------------------------------------------------------------------------

    def recall(self, lot_number: str, product: str | None = None) -> Recall:
        """Every patient and session that received a lot of one product - in the session's
        blend or as its numbing product (mesodesk.store.session_lots) - with the side effects
        each patient reported from that session on: those that suspect the lot, and the others.

        The number is matched case- and accent-blind (``product_lot.lot_folded``). When several
        products have a lot of that number, ``product`` says which (its name, or the start of
        it, case- and accent-blind); without it, LotInSeveralProducts lists them."""
        number = " ".join(lot_number.split())
        if not number or len(number) > 60:
            raise ValidationError.single("lot_number", "Give the lot number (up to 60 characters).")
        with no_collector_pauses():
            with self.db.read() as s:
                found = list(
                    s.execute(
                        select(LT.id, PD.name, LT.expiry_date, LT.lot_number)
                        .select_from(_t(m.ProductLot).join(_t(m.Product)))
                        .where(LT.lot_folded == fold_lot_number(number))
                        .order_by(PD.name, LT.id)
                    )
                )
                if not found:
                    raise NotFoundError(f"There is no lot {number} in the catalogue.")
                names = list(dict.fromkeys(r.name for r in found))
                chosen = _choose_product(number, names, product)
                lots = [r for r in found if r.name == chosen]
                lot_ids = [r.id for r in lots]
                # Dates come as text and are read here: SQLAlchemy's per-row date processing was
                # most of the time of a recall over thousands of sessions.
                # Every session that used the lot: in its blend or as its numbing product.
                used = session_lots(lot_ids).subquery()
                exposures = _plain_rows(
                    s,
                    select(
                        SE.id,
                        SE.patient_id,
                        type_coerce(SE.started_at, String),
                        used.c.amount_ml,
                        used.c.lot_id,
                        used.c.numbing,
                    )
                    .select_from(used.join(_t(m.TreatmentSession), SE.id == used.c.session_id))
                    .order_by(SE.patient_id, SE.started_at, SE.id),
                )
                rows = [(e[0], e[1], _moment(e[2]), e[3], e[4], bool(e[5])) for e in exposures]
                # Each patient once (a patient often had the lot several times).
                exposed = list(dict.fromkeys(row[1] for row in rows))
                people: dict[int, tuple[str, str, str, str]] = {}
                for chunk in _id_chunks(s, exposed):
                    for pid, record, first_name, last_name, phone in _plain_rows(
                        s,
                        select(
                            PA.id, PA.record_number, PA.first_name, PA.last_name, PA.phone
                        ).where(PA.id.in_(chunk)),
                    ):
                        people[pid] = (format_record_no(record), first_name, last_name, phone)
                # Which lots each side effect suspects, read through the one query piece: one
                # row per side effect and lot it names (or one with none), so that the recalled
                # lot gives the yes or no and the others their numbers.
                pairs = suspected_lot_pairs().subquery()
                columns = (
                    FX.id,
                    FX.patient_id,
                    FX.session_id,
                    FX.kind,
                    FX.grade,
                    type_coerce(FX.onset_on, String),
                    type_coerce(FX.resolved_on, String),
                    FX.outcome,
                    LT.lot_number,
                    pairs.c.lot_id,
                )

                def named(source: Any) -> Any:
                    # no ORDER BY: each session's side effects are sorted in Python
                    return select(*columns).select_from(
                        source.outerjoin(pairs, pairs.c.side_effect_id == FX.id).outerjoin(
                            _t(m.ProductLot), LT.id == pairs.c.lot_id
                        )
                    )

                # The side effects each exposed patient reported from the first exposure on.
                effects = _plain_rows(s, named(_from_first_exposures(s, rows, lot_ids)))
                # And any that suspects the lot with an onset before the patient's first
                # exposure (a date typed wrong): listed rather than lost.
                suspecting = select(pairs.c.side_effect_id).where(pairs.c.lot_id.in_(lot_ids))
                total = s.execute(
                    select(func.count()).select_from(suspecting.subquery())
                ).scalar_one()
                recalled = set(lot_ids)
                if total > len({e[0] for e in effects if e[-1] in recalled}):
                    listed = {e[0] for e in effects}
                    effects.extend(
                        tuple(e)
                        for e in s.execute(
                            named(_t(m.SideEffect)).where(FX.id.in_(suspecting.scalar_subquery()))
                        )
                        if e[0] not in listed
                    )
            entries = _recall_entries(rows, people, effects, lots)
        return Recall(
            lot_number=lots[0].lot_number,
            lots=tuple((r.id, r.name, r.expiry_date) for r in lots),
            entries=entries,
            product=chosen,
            also_in=tuple(n for n in names if n != chosen),
        )

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
