"""Courses, sessions with their blends, side effects and outcomes: what a clinician enters, the
rules it must meet, and what services return (DOMAIN.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import NamedTuple

from mesodesk.domain.catalogue import check_reference, expired, is_id
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
from mesodesk.domain.errors import ErrorCollector, ValidationError
from mesodesk.domain.patients import Patient
from mesodesk.domain.safety import refused, side_effect_findings
from mesodesk.domain.schedule import (
    MAX_INDUCTION_DAYS,
    MAX_MAINTENANCE_MONTHS,
    MAX_PLANNED,
    MIN_INDUCTION_DAYS,
    MIN_MAINTENANCE_MONTHS,
    MIN_PLANNED,
    CoursePlan,
    Due,
)
from mesodesk.domain.text import clean_block, clean_line, has_control_chars

MIN_DEPTH_MM, MAX_DEPTH_MM = 1.0, 4.0
MAX_PRICE_CENTS = 10_000_000  # 100,000 in the clinic's currency: far above any session
MAX_NOTE = 20_000
MAX_SHORT = 200
MAX_BLEND_ITEMS = 12
MAX_SESSION_LOTS = MAX_BLEND_ITEMS + 1  # the blend's and the numbing product's
EVERY_LOT = "every lot of the session"
MAX_AMOUNT_ML = 100.0
MAX_VOLUME_ML = 200.0
MAX_POINTS = 5_000
NO_COURSE = "Choose one of this patient's courses."
NO_SESSION = "Choose one of this patient's sessions."
NO_PRACTITIONER = "This practitioner no longer exists."
NO_LOT = "A lot of the blend no longer exists in the catalogue."
NO_SUSPECTED_LOT = (
    "The suspected lot is not one that session used (its blend or its numbing product)."
)
RESOLVED_OUTCOMES = frozenset({AEOutcome.RESOLVED, AEOutcome.SEQUELAE, AEOutcome.FATAL})
OPEN_OUTCOMES = frozenset({AEOutcome.ONGOING, AEOutcome.RECOVERING, AEOutcome.UNKNOWN})


def _text(errors: ErrorCollector, key: str, label: str, value: str, limit: int) -> str:
    value = clean_block(value) if limit > MAX_SHORT else clean_line(value)
    if len(value) > limit:
        errors.add(key, f"{label} is too long (at most {limit:,} characters).")
    elif has_control_chars(value, multiline=limit > MAX_SHORT):
        errors.add(key, f"{label} holds characters that cannot be stored.")
    return value


def _coded(errors: ErrorCollector, key: str, label: str, kind: type, value: object) -> object:
    try:
        return kind.parse(value)  # type: ignore[attr-defined]
    except (ValueError, AttributeError):
        errors.add(key, f"{label} is not one of the listed values.")
        return None


def _int_range(
    errors: ErrorCollector, key: str, label: str, value: int | None, low: int, high: int
) -> None:
    if value is not None and not low <= value <= high:
        errors.add(key, f"{label} must be between {low} and {high}.")


def _areas(errors: ErrorCollector, values: Iterable[object]) -> tuple[BodyArea, ...]:
    areas: list[BodyArea] = []
    for value in values:
        area = _coded(errors, "areas", "Treated area", BodyArea, value)
        if isinstance(area, BodyArea) and area not in areas:
            areas.append(area)
    return tuple(areas)


# -- courses ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseInput:
    indication: Indication
    started_on: date | None
    areas: tuple[BodyArea, ...] = ()
    planned_sessions: int = 10
    induction_sessions: int = 5
    induction_interval_days: int = 7
    later_interval: LaterInterval = LaterInterval.BIWEEKLY
    maintenance_interval_months: int | None = 4
    price_per_session_cents: int | None = None
    indication_note: str = ""
    notes: str = ""

    @property
    def plan(self) -> CoursePlan:
        return CoursePlan(
            self.planned_sessions,
            self.induction_sessions,
            self.induction_interval_days,
            self.later_interval,
            self.maintenance_interval_months,
        )

    def validated(self, today: date) -> CourseInput:
        errors = ErrorCollector()
        indication = _coded(errors, "indication", "Indication", Indication, self.indication)
        note = _text(errors, "indication_note", "Indication note", self.indication_note, MAX_SHORT)
        if indication is Indication.OTHER and not note:
            errors.add(
                "indication_note", "Say what the course is for when the indication is Other."
            )
        areas = _areas(errors, self.areas)
        if not areas and "areas" not in errors:
            errors.add("areas", "Choose at least one treated area.")
        _int_range(
            errors,
            "planned_sessions",
            "Planned sessions",
            self.planned_sessions,
            MIN_PLANNED,
            MAX_PLANNED,
        )
        if not 1 <= self.induction_sessions <= max(1, self.planned_sessions):
            errors.add(
                "induction_sessions",
                "Induction sessions must be at least 1 and at most the planned sessions.",
            )
        _int_range(
            errors,
            "induction_interval_days",
            "The induction interval (days)",
            self.induction_interval_days,
            MIN_INDUCTION_DAYS,
            MAX_INDUCTION_DAYS,
        )
        later = _coded(
            errors, "later_interval", "The later interval", LaterInterval, self.later_interval
        )
        _int_range(
            errors,
            "maintenance_interval_months",
            "The maintenance interval (months)",
            self.maintenance_interval_months,
            MIN_MAINTENANCE_MONTHS,
            MAX_MAINTENANCE_MONTHS,
        )
        _int_range(
            errors,
            "price_per_session_cents",
            "Price per session",
            self.price_per_session_cents,
            0,
            MAX_PRICE_CENTS,
        )
        if self.started_on is None:
            errors.add("started_on", "The start date is required.")
        elif self.started_on.year < 2000 or (self.started_on - today).days > 366:
            errors.add(
                "started_on", "The start date must be after 2000 and within a year from today."
            )
        notes = _text(errors, "notes", "Notes", self.notes, MAX_NOTE)
        errors.raise_if_any()
        return replace(
            self,
            indication=indication,  # type: ignore[arg-type]
            indication_note=note,
            areas=areas,
            later_interval=later,  # type: ignore[arg-type]
            notes=notes,
        )


@dataclass(frozen=True)
class Course:
    id: int
    patient_id: int
    indication: Indication
    indication_note: str
    areas: tuple[BodyArea, ...]
    plan: CoursePlan
    price_per_session_cents: int | None
    status: CourseStatus
    started_on: date
    ended_on: date | None
    end_reason: str
    notes: str
    sessions_done: int
    total_price_cents: int
    next_due: Due | None
    maintenance_ended_by: int | None = None  # a newer course for the same indication

    @property
    def title(self) -> str:
        if self.indication is Indication.OTHER:
            return self.indication_note
        return self.indication.label

    @property
    def course_sessions_done(self) -> int:
        """Sessions of the planned course given so far (maintenance sessions not counted)."""
        return min(self.sessions_done, self.plan.planned_sessions)

    @property
    def maintenance_done(self) -> int:
        return max(0, self.sessions_done - self.plan.planned_sessions)

    @property
    def progress(self) -> str:
        """'4 of 10', or '10 of 10 + 2 maintenance'."""
        text = f"{self.course_sessions_done} of {self.plan.planned_sessions}"
        if self.maintenance_done:
            text += f" + {self.maintenance_done} maintenance"
        return text

    def as_input(self) -> CourseInput:
        return CourseInput(
            indication=self.indication,
            started_on=self.started_on,
            areas=self.areas,
            planned_sessions=self.plan.planned_sessions,
            induction_sessions=self.plan.induction_sessions,
            induction_interval_days=self.plan.induction_interval_days,
            later_interval=self.plan.later_interval,
            maintenance_interval_months=self.plan.maintenance_interval_months,
            price_per_session_cents=self.price_per_session_cents,
            indication_note=self.indication_note,
            notes=self.notes,
        )


# -- sessions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlendInput:
    lot_id: int
    amount_ml: float


@dataclass(frozen=True)
class SessionInput:
    course_id: int
    started_at: datetime | None
    areas: tuple[BodyArea, ...] = ()
    depth_mm: float | None = None
    blend: tuple[BlendInput, ...] = ()
    practitioner_id: int | None = None
    numbing_agent: NumbingAgent = NumbingAgent.NONE
    # the lot of the numbing cream or spray (a catalogue product marked numbing): with it, the
    # numbing agent is TOPICAL_ANAESTHETIC
    numbing_lot_id: int | None = None
    technique: Technique = Technique.NAPPAGE
    injection_points: int | None = None
    total_volume_ml: float | None = None
    pain_nrs: int | None = None
    gais: int | None = None
    satisfaction: int | None = None
    price_cents: int | None = None
    notes: str = ""

    def validated(self, now: datetime) -> SessionInput:
        errors = ErrorCollector()
        if self.course_id is None or not is_id(self.course_id):
            errors.add("course_id", NO_COURSE)
        check_reference(errors, "practitioner_id", self.practitioner_id, NO_PRACTITIONER)
        if self.started_at is None:
            errors.add("started_at", "The date and time of the session are required.")
        elif self.started_at.year < 2000:
            errors.add("started_at", "The session date must be after 2000.")
        elif (self.started_at - now).total_seconds() > 24 * 3600:
            errors.add("started_at", "A session cannot be logged more than a day ahead.")
        areas = _areas(errors, self.areas)
        if not areas and "areas" not in errors:
            errors.add("areas", "Choose at least one treated area.")
        if self.depth_mm is None:
            errors.add("depth_mm", "The depth is required (1 to 4 mm).")
        elif not MIN_DEPTH_MM <= self.depth_mm <= MAX_DEPTH_MM:
            errors.add("depth_mm", "The depth must be between 1 and 4 mm.")
        numbing = _coded(errors, "numbing_agent", "Numbing agent", NumbingAgent, self.numbing_agent)
        check_reference(errors, "numbing_lot_id", self.numbing_lot_id, NO_LOT)
        if (
            self.numbing_lot_id is not None
            and "numbing_agent" not in errors
            and numbing is not NumbingAgent.TOPICAL_ANAESTHETIC
        ):
            errors.add(
                "numbing_agent",
                "A numbing product's lot goes with a topical anaesthetic: choose the product, "
                "or no lot.",
            )
        technique = _coded(errors, "technique", "Technique", Technique, self.technique)
        _int_range(
            errors, "injection_points", "Injection points", self.injection_points, 0, MAX_POINTS
        )
        if self.total_volume_ml is not None and not 0 <= self.total_volume_ml <= MAX_VOLUME_ML:
            errors.add(
                "total_volume_ml", f"The total volume must be between 0 and {MAX_VOLUME_ML:g} ml."
            )
        if not self.blend:
            errors.add("blend", "The blend needs at least one product and lot.")
        elif len(self.blend) > MAX_BLEND_ITEMS:
            errors.add("blend", f"A blend holds at most {MAX_BLEND_ITEMS} products.")
        else:
            lots = [item.lot_id for item in self.blend]
            if len(set(lots)) != len(lots):
                errors.add("blend", "The same lot appears twice in the blend.")
            if not all(is_id(lot) for lot in lots):
                errors.add("blend", NO_LOT)
            for item in self.blend:
                if not 0 < item.amount_ml <= MAX_AMOUNT_ML:
                    errors.add(
                        "blend", f"Each amount must be above 0 and at most {MAX_AMOUNT_ML:g} ml."
                    )
        _int_range(errors, "pain_nrs", "Pain (NRS)", self.pain_nrs, 0, 10)
        _int_range(errors, "gais", "GAIS", self.gais, 1, 5)
        _int_range(errors, "satisfaction", "Satisfaction", self.satisfaction, 0, 10)
        _int_range(errors, "price_cents", "Price", self.price_cents, 0, MAX_PRICE_CENTS)
        notes = _text(errors, "notes", "Notes", self.notes, MAX_NOTE)
        errors.raise_if_any()
        return replace(
            self,
            areas=areas,
            numbing_agent=numbing,  # type: ignore[arg-type]
            technique=technique,  # type: ignore[arg-type]
            notes=notes,
        )


@dataclass(frozen=True)
class BlendLine:
    lot_id: int
    product_id: int
    product: str
    lot_number: str
    expiry_date: date
    amount_ml: float


@dataclass(frozen=True)
class UsedLot:
    """A product lot a session used outside its blend (the numbing cream or spray)."""

    lot_id: int
    product_id: int
    product: str
    lot_number: str
    expiry_date: date


@dataclass(frozen=True)
class Session:
    id: int
    patient_id: int
    course_id: int
    number: int  # its place in the course, from 1
    started_at: datetime
    practitioner_id: int | None
    practitioner: str
    areas: tuple[BodyArea, ...]
    depth_mm: float
    numbing_agent: NumbingAgent
    technique: Technique
    injection_points: int | None
    total_volume_ml: float | None
    blend: tuple[BlendLine, ...]
    pain_nrs: int | None
    gais: int | None
    satisfaction: int | None
    price_cents: int | None
    notes: str
    # the safety rules confirmed or overridden when it was saved, and the override's reason
    safety_confirmed: tuple[str, ...] = ()
    override_reason: str = ""
    numbing: UsedLot | None = None  # the numbing product's lot, when one was recorded

    @property
    def numbing_text(self) -> str:
        """The numbing agent in words: the product and its lot, or what kind it was (a session
        saved before numbing products had lots: "Topical anaesthetic cream")."""
        if self.numbing is not None:
            return f"{self.numbing.product}, lot {self.numbing.lot_number}"
        return self.numbing_agent.label

    @property
    def used_lots(self) -> tuple[UsedLot, ...]:
        """The lots the session used: its blend's, in the blend's order, then its numbing
        product's. The one rule for "the lots a session used": a side effect may suspect any of
        them ("every lot of the session" is all of them), and a recall, the lot rates and the
        signals follow each of them (mesodesk.store.session_lots is the same rule in SQL)."""
        blend = tuple(
            UsedLot(b.lot_id, b.product_id, b.product, b.lot_number, b.expiry_date)
            for b in self.blend
        )
        return blend if self.numbing is None else (*blend, self.numbing)

    @property
    def used_lot_ids(self) -> tuple[int, ...]:
        return tuple(lot.lot_id for lot in self.used_lots)

    def as_input(self) -> SessionInput:
        return SessionInput(
            course_id=self.course_id,
            started_at=self.started_at,
            areas=self.areas,
            depth_mm=self.depth_mm,
            blend=tuple(BlendInput(b.lot_id, b.amount_ml) for b in self.blend),
            practitioner_id=self.practitioner_id,
            numbing_agent=self.numbing_agent,
            numbing_lot_id=self.numbing.lot_id if self.numbing else None,
            technique=self.technique,
            injection_points=self.injection_points,
            total_volume_ml=self.total_volume_ml,
            pain_nrs=self.pain_nrs,
            gais=self.gais,
            satisfaction=self.satisfaction,
            price_cents=self.price_cents,
            notes=self.notes,
        )


def check_lots(
    blend: Sequence[BlendInput], expiry_by_lot: Mapping[int, tuple[str, date]], on: date
) -> None:
    """An expired (or unknown) lot is refused: the message names the lot and its expiry."""
    errors = ErrorCollector()
    for item in blend:
        known = expiry_by_lot.get(item.lot_id)
        if known is None:
            errors.add("blend", NO_LOT)
        elif expired(known[1], on):
            number, expiry = known
            errors.add(
                "blend",
                f"Lot {number} expired on {expiry.isoformat()}, before the session: "
                "an expired lot cannot be used.",
            )
    errors.raise_if_any()


# -- side effects -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuspectedLot:
    lot_id: int
    lot_number: str
    product: str


@dataclass(frozen=True)
class SideEffectInput:
    kind: SideEffectKind
    onset_on: date | None
    grade: int | None
    outcome: AEOutcome = AEOutcome.ONGOING
    causality: Causality = Causality.NOT_ASSESSED
    resolved_on: date | None = None
    pain_nrs: int | None = None
    serious: bool = False
    body_area: BodyArea | None = None
    session_id: int | None = None
    # the suspected lots, among those the suspected session used (Session.used_lots: its blend
    # and its numbing product); or every lot of the session (``suspects_blend``, the name it
    # had when a session's lots were its blend's)
    lot_ids: tuple[int, ...] = ()
    suspects_blend: bool = False
    action_taken: ActionTaken = ActionTaken.NONE
    reported_via: ReportChannel | None = None  # no silent default: the clinician says how
    reported_at: datetime | None = None
    recorded_by_id: int | None = None
    kind_note: str = ""
    body_area_note: str = ""
    action_note: str = ""
    notes: str = ""

    def check_references(self) -> None:
        """Refuse ids that cannot name a record, before the service looks them up."""
        errors = ErrorCollector()
        self._check_references(errors)
        errors.raise_if_any()

    def _check_references(self, errors: ErrorCollector) -> None:
        check_reference(errors, "session_id", self.session_id, NO_SESSION)
        for lot_id in self.lot_ids:
            check_reference(errors, "lot_ids", lot_id, NO_SUSPECTED_LOT)
        check_reference(errors, "recorded_by_id", self.recorded_by_id, NO_PRACTITIONER)

    def validated(
        self,
        now: datetime,
        *,
        first_session_on: date | None = None,
        suspected_session_on: date | None = None,
    ) -> SideEffectInput:
        """``first_session_on``: the first session of the suspected session's course;
        ``suspected_session_on``: the day of the suspected session."""
        errors = ErrorCollector()
        today = now.date()
        kind = _coded(errors, "kind", "Kind", SideEffectKind, self.kind)
        kind_note = _text(errors, "kind_note", "Description", self.kind_note, MAX_SHORT)
        if kind is SideEffectKind.OTHER and not kind_note:
            errors.add("kind_note", "Describe the side effect when its kind is Other.")
        if self.onset_on is None:
            errors.add("onset_on", "The onset date is required.")
        elif self.onset_on > today:
            errors.add("onset_on", "The onset cannot be in the future.")
        elif first_session_on is not None and self.onset_on < first_session_on:
            errors.add(
                "onset_on",
                f"The onset is before the first session of the course "
                f"({first_session_on.isoformat()}).",
            )
        elif suspected_session_on is not None and self.onset_on < suspected_session_on:
            errors.add(
                "onset_on",
                f"The onset is before the suspected session ({suspected_session_on.isoformat()}).",
            )
        if self.resolved_on is not None:
            if self.resolved_on > today:
                errors.add("resolved_on", "The resolution cannot be in the future.")
            elif self.onset_on is not None and self.resolved_on < self.onset_on:
                errors.add("resolved_on", "The resolution cannot be before the onset.")
        grade_value: Grade | None = None
        if self.grade is None:
            errors.add("grade", "The grade is required (CTCAE 1 to 5).")
        elif not 1 <= self.grade <= 5:
            errors.add("grade", "The grade must be between 1 and 5 (CTCAE).")
        else:
            grade_value = Grade(self.grade)
        if self.pain_nrs is not None:
            if kind is not SideEffectKind.PAIN:
                errors.add("pain_nrs", "A pain score (NRS) is recorded for pain only.")
            else:
                _int_range(errors, "pain_nrs", "Pain (NRS)", self.pain_nrs, 0, 10)
        outcome = _coded(errors, "outcome", "Outcome", AEOutcome, self.outcome)
        if isinstance(outcome, AEOutcome):
            if self.resolved_on is not None and outcome in OPEN_OUTCOMES:
                errors.add(
                    "outcome",
                    "With a resolution date the outcome is Resolved, Resolved with sequelae "
                    "or Fatal.",
                )
            elif self.resolved_on is None and outcome in RESOLVED_OUTCOMES:
                errors.add("resolved_on", f"The outcome “{outcome.label}” needs a resolution date.")
            if grade_value is Grade.DEATH and outcome is not AEOutcome.FATAL:
                errors.add("outcome", "Grade 5 (death) goes with the outcome Fatal.")
            elif outcome is AEOutcome.FATAL and grade_value not in (None, Grade.DEATH):
                errors.add("grade", "The outcome Fatal goes with grade 5.")
        if grade_value is not None and grade_value >= Grade.LIFE_THREATENING and not self.serious:
            errors.add("serious", "A grade 4 or 5 event is serious.")
        causality = _coded(errors, "causality", "Causality", Causality, self.causality)
        area = None
        area_note = _text(
            errors, "body_area_note", "Area description", self.body_area_note, MAX_SHORT
        )
        if isinstance(kind, SideEffectKind):
            if kind.systemic:
                if self.body_area is not None:
                    errors.add("body_area", f"{kind.label} is systemic: it has no body area.")
            elif self.body_area is None:
                errors.add("body_area", "Choose where it appeared.")
            else:
                area = _coded(errors, "body_area", "Body area", BodyArea, self.body_area)
                if area is BodyArea.OTHER and not area_note:
                    errors.add("body_area_note", "Describe the area when it is Other.")
        action = _coded(errors, "action_taken", "Action taken", ActionTaken, self.action_taken)
        action_note = _text(
            errors, "action_note", "Action description", self.action_note, MAX_SHORT
        )
        if action is ActionTaken.OTHER and not action_note:
            errors.add("action_note", "Describe the action taken when it is Other.")
        via = None
        if self.reported_via is None:
            errors.add("reported_via", "Say how the side effect was reported.")
        else:
            via = _coded(errors, "reported_via", "Reported", ReportChannel, self.reported_via)
        reported_at = self.reported_at or now
        if reported_at > now.replace(microsecond=0) and (reported_at - now).total_seconds() > 60:
            errors.add("reported_at", "The report cannot be in the future.")
        elif self.onset_on is not None and reported_at.date() < self.onset_on:
            errors.add("reported_at", "The report cannot come before the onset.")
        self._check_references(errors)
        lot_ids = tuple(dict.fromkeys(self.lot_ids))
        if self.session_id is None:
            if lot_ids:
                errors.add("lot_ids", "A suspected lot comes from a suspected session.")
            if self.suspects_blend:
                errors.add("suspects_blend", "Every lot of the session needs a suspected session.")
        elif len(lot_ids) > MAX_SESSION_LOTS:
            errors.add(
                "lot_ids",
                f"A session uses at most {MAX_SESSION_LOTS} lots ({MAX_BLEND_ITEMS} in the blend "
                "and a numbing product).",
            )
        # the coherence rules that refuse whatever the session (mesodesk.domain.safety)
        probe = replace(self, kind=kind, causality=causality, body_area=area)  # type: ignore[arg-type]
        for key, message in refused(side_effect_findings(probe, None)).items():
            errors.add(key, message)
        notes = _text(errors, "notes", "Notes", self.notes, MAX_NOTE)
        errors.raise_if_any()
        return replace(
            self,
            lot_ids=lot_ids,
            kind=kind,  # type: ignore[arg-type]
            kind_note=kind_note,
            outcome=outcome,  # type: ignore[arg-type]
            causality=causality,  # type: ignore[arg-type]
            body_area=area,  # type: ignore[arg-type]
            body_area_note=area_note,
            action_taken=action,  # type: ignore[arg-type]
            action_note=action_note,
            reported_via=via,  # type: ignore[arg-type]
            reported_at=reported_at,
            notes=notes,
        )


@dataclass(frozen=True)
class SideEffect:
    id: int
    patient_id: int
    session_id: int | None
    session_started_at: datetime | None
    lots: tuple[SuspectedLot, ...]  # the suspected lots, by product and lot number
    # every lot of the session is suspected, its blend's and its numbing product's (each is in
    # ``lots`` too)
    suspects_blend: bool
    kind: SideEffectKind
    kind_note: str
    onset_on: date
    resolved_on: date | None
    grade: Grade
    pain_nrs: int | None
    serious: bool
    outcome: AEOutcome
    causality: Causality
    body_area: BodyArea | None
    body_area_note: str
    action_taken: ActionTaken
    action_note: str
    reported_via: ReportChannel
    reported_at: datetime
    recorded_by_id: int | None
    notes: str
    safety_confirmed: tuple[str, ...] = ()  # the coherence questions confirmed when saved

    @property
    def lot_ids(self) -> tuple[int, ...]:
        return tuple(lot.lot_id for lot in self.lots)

    @property
    def lots_text(self) -> str:
        """The suspected lots in words: "LOT (Product), ...", "every lot of the session: ..."
        or "" for none."""
        listed = ", ".join(f"{lot.lot_number} ({lot.product})" for lot in self.lots)
        if self.suspects_blend:
            return f"{EVERY_LOT}: {listed}" if listed else EVERY_LOT
        return listed

    @property
    def ongoing(self) -> bool:
        return self.resolved_on is None

    def duration_days(self, today: date) -> int:
        """Days from onset to resolution, or to today while it is ongoing (derived, not stored)."""
        end = self.resolved_on or today
        return max(0, (end - self.onset_on).days)

    @property
    def title(self) -> str:
        return self.kind_note if self.kind is SideEffectKind.OTHER else self.kind.label

    def as_input(self) -> SideEffectInput:
        return SideEffectInput(
            kind=self.kind,
            onset_on=self.onset_on,
            grade=int(self.grade),
            outcome=self.outcome,
            causality=self.causality,
            resolved_on=self.resolved_on,
            pain_nrs=self.pain_nrs,
            serious=self.serious,
            body_area=self.body_area,
            session_id=self.session_id,
            lot_ids=self.lot_ids,
            suspects_blend=self.suspects_blend,
            action_taken=self.action_taken,
            reported_via=self.reported_via,
            reported_at=self.reported_at,
            recorded_by_id=self.recorded_by_id,
            kind_note=self.kind_note,
            body_area_note=self.body_area_note,
            action_note=self.action_note,
            notes=self.notes,
        )


def suspected_session(sessions: Sequence[Session], onset: date) -> Session | None:
    """By default the last session on or before the onset."""
    best: Session | None = None
    for s in sessions:
        if s.started_at.date() <= onset and (best is None or s.started_at > best.started_at):
            best = s
    return best


# -- outcomes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeInput:
    """An outcome assessment; with a course, its course-end review. GAIS is scored twice, as
    aesthetic studies do: by the practitioner (``gais``, what the dashboard's "GAIS by
    indication" reads) and by the patient (``patient_gais``), with the patient's satisfaction
    0 to 10 (DOMAIN.md, "Outcomes"). Notes are words only: photos are not kept."""

    assessed_on: date | None
    course_id: int | None = None
    gais: int | None = None
    satisfaction: int | None = None
    notes: str = ""
    patient_gais: int | None = None
    assessor_id: int | None = None

    def validated(self, today: date) -> OutcomeInput:
        errors = ErrorCollector()
        check_reference(errors, "course_id", self.course_id, NO_COURSE)
        check_reference(errors, "assessor_id", self.assessor_id, NO_PRACTITIONER)
        if self.assessed_on is None:
            errors.add("assessed_on", "The date is required.")
        elif self.assessed_on > today:
            errors.add("assessed_on", "The assessment cannot be in the future.")
        elif self.assessed_on.year < 2000:
            errors.add("assessed_on", "The date must be after 2000.")
        _int_range(errors, "gais", "GAIS", self.gais, 1, 5)
        _int_range(errors, "patient_gais", "GAIS by the patient", self.patient_gais, 1, 5)
        _int_range(errors, "satisfaction", "Satisfaction", self.satisfaction, 0, 10)
        if self.gais is None and self.patient_gais is None and self.satisfaction is None:
            errors.add("gais", "Record a GAIS, the patient's satisfaction, or both.")
        notes = _text(errors, "notes", "Notes", self.notes, MAX_NOTE)
        errors.raise_if_any()
        return replace(self, notes=notes)


@dataclass(frozen=True)
class OutcomeAssessment:
    id: int
    patient_id: int
    course_id: int | None
    assessed_on: date
    gais: int | None  # by the practitioner
    satisfaction: int | None
    notes: str
    patient_gais: int | None = None
    assessor_id: int | None = None
    assessor: str = ""  # the practitioner's name

    @property
    def scores(self) -> str:
        """The review's scores in a line: "GAIS 2 by the practitioner, 3 by the patient;
        satisfaction 8/10" (what was not recorded is left out)."""
        gais = []
        if self.gais is not None:
            gais.append(f"{self.gais} by the practitioner")
        if self.patient_gais is not None:
            gais.append(f"{self.patient_gais} by the patient")
        parts = ["GAIS " + ", ".join(gais)] if gais else []
        if self.satisfaction is not None:
            parts.append(f"satisfaction {self.satisfaction}/10")
        return "; ".join(parts)

    def as_input(self) -> OutcomeInput:
        return OutcomeInput(
            assessed_on=self.assessed_on,
            course_id=self.course_id,
            gais=self.gais,
            satisfaction=self.satisfaction,
            notes=self.notes,
            patient_gais=self.patient_gais,
            assessor_id=self.assessor_id,
        )


# -- the whole record ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    """One line of the record's timeline: everything in date order."""

    when: datetime
    kind: str  # "course", "session", "side_effect", "resolved", "outcome"
    text: str
    ref_id: int


TIMELINE_ORDER = {"course": 0, "session": 1, "side_effect": 2, "resolved": 3, "outcome": 4}


@dataclass(frozen=True)
class PatientRecord:
    patient: Patient
    courses: tuple[Course, ...]
    sessions: tuple[Session, ...]  # oldest first
    side_effects: tuple[SideEffect, ...]  # by onset, oldest first
    outcomes: tuple[OutcomeAssessment, ...] = field(default=())

    def review_of(self, course_id: int) -> OutcomeAssessment | None:
        """A course's end review (the latest, should an older version have left several)."""
        found = [o for o in self.outcomes if o.course_id == course_id]
        return found[-1] if found else None

    def timeline(self) -> list[TimelineEvent]:
        events: list[TimelineEvent] = []
        course_names = {c.id: c.title for c in self.courses}
        for c in self.courses:
            events.append(
                TimelineEvent(
                    datetime.combine(c.started_on, datetime.min.time()),
                    "course",
                    f"Course started: {c.title} ({c.plan.planned_sessions} sessions planned)",
                    c.id,
                )
            )
        for s in self.sessions:
            products = ", ".join(f"{b.product} ({b.lot_number})" for b in s.blend)
            events.append(
                TimelineEvent(
                    s.started_at,
                    "session",
                    f"Session {s.number} of {course_names.get(s.course_id, '')}: {products}",
                    s.id,
                )
            )
        for e in self.side_effects:
            events.append(
                TimelineEvent(
                    datetime.combine(e.onset_on, datetime.min.time()),
                    "side_effect",
                    f"Side effect: {e.title}, grade {int(e.grade)}",
                    e.id,
                )
            )
            if e.resolved_on is not None:
                events.append(
                    TimelineEvent(
                        datetime.combine(e.resolved_on, datetime.min.time()),
                        "resolved",
                        f"Resolved: {e.title}",
                        e.id,
                    )
                )
        for o in self.outcomes:
            # a review closes its day: after the session it often follows the same day
            events.append(
                TimelineEvent(
                    datetime.combine(o.assessed_on, datetime.max.time()),
                    "outcome",
                    f"Course review: {o.scores or 'no scores'}",
                    o.id,
                )
            )
        # Oldest first. Course starts, onsets, resolutions and reviews have a day, not a time:
        # within one day the events go in the order they can happen (the course starts, the
        # session takes place, a side effect follows it and may resolve, the review comes
        # last), and sessions of the same day by their time.
        events.sort(key=lambda ev: (ev.when.date(), TIMELINE_ORDER[ev.kind], ev.when, ev.ref_id))
        return events


# -- the due list and lot recall ----------------------------------------------------------------


class DueEntry(NamedTuple):
    """One course on the due (or lapsed) list. (A named tuple: the list has thousands.)"""

    patient_id: int
    record_no: str
    first_name: str
    last_name: str
    phone: str
    course_id: int
    indication: Indication
    due_on: date
    sessions_done: int
    planned_sessions: int
    last_session_on: date | None
    lapses_on: date | None = None  # maintenance: the day it lapses (or lapsed)

    def days_overdue(self, today: date) -> int:
        return max(0, (today - self.due_on).days)

    def lapsed(self, today: date) -> bool:
        return self.lapses_on is not None and today >= self.lapses_on


class RecallSideEffect(NamedTuple):
    """(A named tuple rather than a dataclass: a recall makes tens of thousands of them.)

    ``suspected``: the side effect suspects the recalled lot. Otherwise it is one of the "other
    side effects since": reported by an exposed patient after an exposure, suspecting another
    lot (``suspected_lot``) or none."""

    id: int
    kind: SideEffectKind
    grade: Grade
    onset_on: date
    resolved_on: date | None
    outcome: AEOutcome
    suspected_lot: str
    suspected: bool = False


class RecallEntry(NamedTuple):
    """A session that used the lot, in its blend (``amount_ml`` injected) or as its numbing
    product (``numbing``; no amount: it is put on the skin). ``side_effects``: those that
    suspect this session's lot, and the other side effects the patient reported from this
    session until the next one that used the lot."""

    patient_id: int
    record_no: str
    first_name: str
    last_name: str
    phone: str
    session_id: int
    started_at: datetime
    product: str
    lot_number: str
    amount_ml: float | None  # None for a numbing product
    side_effects: tuple[RecallSideEffect, ...]
    numbing: bool = False  # the session's numbing product, not a lot of its blend


@dataclass(frozen=True)
class Recall:
    lot_number: str
    lots: tuple[tuple[int, str, date], ...]  # (lot id, product, expiry): the recalled lot(s)
    entries: tuple[RecallEntry, ...]
    product: str = ""
    also_in: tuple[str, ...] = ()  # other products that have a lot of this number

    @property
    def patients(self) -> int:
        return len({e.patient_id for e in self.entries})

    def side_effects(self, *, suspected: bool) -> list[tuple[RecallEntry, RecallSideEffect]]:
        return [(e, x) for e in self.entries for x in e.side_effects if x.suspected is suspected]


class LotInSeveralProducts(ValidationError):
    """A lot number that several products have: the recall needs to know which one."""

    def __init__(self, number: str, products: Sequence[str]) -> None:
        self.number = number
        self.products = tuple(products)
        super().__init__(
            {
                "product": f"Lot {number} exists for {len(self.products)} products "
                f"({', '.join(self.products)}): choose which."
            }
        )
