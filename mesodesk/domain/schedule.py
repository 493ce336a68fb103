"""When a course's next session is due (DOMAIN.md, "A course").

Induction: a session every 7 to 10 days for the first ``induction_sessions`` sessions; then every
2 weeks or monthly until the planned number is done; then maintenance every 3 to 5 months.
Intervals count from the session actually given, so a late session moves the rest of the course;
a session that was missed leaves the course due (and, after that day, overdue) until one is given.

This module is the one place that says when a course is due. The record, ``mesodesk show``, the
PDF summary, the due list and the patient list all read it: the due list and the patient list
through cached columns (``course.next_due``, ``course.lapses_on``, ``patient.next_due``) that
``mesodesk.store.derived`` writes from these same functions in the transaction of every change.

Two rules beyond the course's own plan (docs/due.md says why):

- **A new course for the same indication ends the previous course's maintenance.** "Same
  indication" is the same indication code; for "Other" it is the same note, compared case- and
  accent-blind ("Neck lines" = "neck LINES"). The areas are not compared: a clinic opens a new
  course for an indication to replace the plan of the old one, whatever areas it adds or drops.
  Sessions still planned in the older course are not ended: only the clinician stops a course.
- **A maintenance overdue for twice its interval has lapsed** (``LAPSE_INTERVALS``): 6 months
  overdue for a 3-month rhythm, 10 months for a 5-month one. A lapsed course leaves the due list
  for the lapsed list; a session given later brings it back.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from mesodesk.domain.enums import CourseStatus, Indication, LaterInterval
from mesodesk.domain.i18n import QT_TRANSLATE_NOOP
from mesodesk.domain.text import fold

MIN_PLANNED, MAX_PLANNED = 3, 15
MIN_INDUCTION_DAYS, MAX_INDUCTION_DAYS = 7, 10
MIN_MAINTENANCE_MONTHS, MAX_MAINTENANCE_MONTHS = 3, 5
# A maintenance session overdue by this many maintenance intervals has lapsed: by then the
# patient has missed the session that was due and the two that would have followed it, and what
# the clinic offers is a new course rather than a maintenance session (docs/due.md).
LAPSE_INTERVALS = 2


class Phase(StrEnum):
    INDUCTION = "induction"
    LATER = "later"
    MAINTENANCE = "maintenance"

    @property
    def label(self) -> str:
        return {
            "induction": QT_TRANSLATE_NOOP("Values", "Induction"),
            "later": QT_TRANSLATE_NOOP("Values", "Spaced"),
            "maintenance": QT_TRANSLATE_NOOP("Values", "Maintenance"),
        }[self.value]


@dataclass(frozen=True)
class CoursePlan:
    planned_sessions: int
    induction_sessions: int
    induction_interval_days: int
    later_interval: LaterInterval
    maintenance_interval_months: int | None


class DueState(StrEnum):
    """Where a due date stands on a given day."""

    UPCOMING = "upcoming"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    LAPSED = "lapsed"

    @property
    def label(self) -> str:
        return {
            "upcoming": QT_TRANSLATE_NOOP("Values", "Due"),
            "due_today": QT_TRANSLATE_NOOP("Values", "Due today"),
            "overdue": QT_TRANSLATE_NOOP("Values", "Overdue"),
            "lapsed": QT_TRANSLATE_NOOP("Values", "Lapsed"),
        }[self.value]


@dataclass(frozen=True)
class Due:
    on: date
    phase: Phase
    session_number: int  # the number the next session will have in the course, from 1
    lapses_on: date | None = None  # maintenance only: from this day on, the course has lapsed

    def days_overdue(self, today: date) -> int:
        return max(0, (today - self.on).days)

    def lapsed(self, today: date) -> bool:
        return self.lapses_on is not None and today >= self.lapses_on

    def state(self, today: date) -> DueState:
        if self.lapsed(today):
            return DueState.LAPSED
        if self.on < today:
            return DueState.OVERDUE
        return DueState.DUE_TODAY if self.on == today else DueState.UPCOMING

    def listed_by(self, by: date) -> bool:
        """On the due list of day ``by``: due on or before it, and not lapsed then."""
        return self.on <= by and not self.lapsed(by)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def phase_of(plan: CoursePlan, session_number: int) -> Phase:
    """The phase the n-th session of a course (from 1) belongs to."""
    if session_number <= plan.induction_sessions:
        return Phase.INDUCTION
    if session_number <= plan.planned_sessions:
        return Phase.LATER
    return Phase.MAINTENANCE


def lapse_date(due_on: date, maintenance_interval_months: int) -> date:
    """The first day a maintenance session due on ``due_on`` counts as lapsed."""
    return add_months(due_on, LAPSE_INTERVALS * maintenance_interval_months)


def next_due(
    plan: CoursePlan,
    status: CourseStatus,
    started_on: date,
    session_dates: Sequence[date],
    *,
    maintenance_ended: bool = False,
) -> Due | None:
    """The next session's due date, or None when nothing more is due.

    A stopped course is due for nothing. A completed one, or one whose planned sessions are all
    done, is due for maintenance when it has a maintenance interval and its maintenance has not
    been ended by a newer course for the same indication (``maintenance_ended``).
    """
    if status is CourseStatus.STOPPED:
        return None
    done = len(session_dates)
    if done == 0:
        if status is CourseStatus.COMPLETED:
            return None
        return Due(started_on, Phase.INDUCTION, 1)
    last = max(session_dates)
    following = done + 1
    if status is CourseStatus.COMPLETED or done >= plan.planned_sessions:
        months = plan.maintenance_interval_months
        if months is None or maintenance_ended:
            return None
        on = add_months(last, months)
        return Due(on, Phase.MAINTENANCE, following, lapse_date(on, months))
    if done < plan.induction_sessions:
        return Due(last + timedelta(days=plan.induction_interval_days), Phase.INDUCTION, following)
    if plan.later_interval is LaterInterval.MONTHLY:
        return Due(add_months(last, 1), Phase.LATER, following)
    return Due(last + timedelta(days=14), Phase.LATER, following)


# -- every course of a patient ------------------------------------------------------------------


@dataclass(frozen=True)
class CourseFacts:
    """What the schedule needs to know of one course (read from the record or the database)."""

    id: int
    indication: str  # the code, as stored
    indication_note: str
    plan: CoursePlan
    status: CourseStatus
    started_on: date
    session_dates: tuple[date, ...]


@dataclass(frozen=True)
class CourseDue:
    due: Due | None
    maintenance_ended_by: int | None  # the newer course for the same indication, if any


def indication_key(indication: str, note: str) -> str:
    """What "the same indication" compares: the code, and for "Other" the folded note."""
    if indication == Indication.OTHER.value:
        return f"{indication}:{' '.join(fold(note).split())}"
    return indication


def course_dues(courses: Iterable[CourseFacts]) -> dict[int, CourseDue]:
    """The next due date of each course of one patient: THE function behind every "next due"
    that mesodesk shows or caches.

    A course is followed by another for the same indication when that one started later (or the
    same day and was entered later); the newest such course ends the older one's maintenance.
    """
    facts = sorted(courses, key=lambda c: (c.started_on, c.id))
    ended_by: dict[int, int] = {}
    following: dict[str, int] = {}  # per indication: the course after the one at hand
    for course in reversed(facts):
        key = indication_key(course.indication, course.indication_note)
        if key in following:
            ended_by[course.id] = following[key]
        following[key] = course.id
    return {
        c.id: CourseDue(
            next_due(
                c.plan,
                c.status,
                c.started_on,
                sorted(c.session_dates),
                maintenance_ended=c.id in ended_by,
            ),
            ended_by.get(c.id),
        )
        for c in facts
    }


@dataclass(frozen=True)
class PatientDue:
    """A patient's soonest due date on one day, and the days around it on which that holds.

    Lapsing is the only thing that changes a patient's next due date without a change to the
    record, and it happens on known days: the cache in ``patient`` carries the span of days
    between two of them (``valid_from`` inclusive, ``valid_before`` exclusive, None for no
    bound), and is recomputed when read on a day outside it.
    """

    next_due: date | None
    valid_from: date | None
    valid_before: date | None
    lapsed_since: date | None  # the first day one of the patient's courses is lapsed

    def holds_on(self, today: date) -> bool:
        return (self.valid_from is None or self.valid_from <= today) and (
            self.valid_before is None or today < self.valid_before
        )


def patient_due(dues: Iterable[Due | None], today: date) -> PatientDue:
    """The soonest due date among a patient's courses that has not lapsed on ``today``."""
    listed = [d for d in dues if d is not None]
    current = [d.on for d in listed if not d.lapsed(today)]
    changes = sorted({d.lapses_on for d in listed if d.lapses_on is not None})
    before = [day for day in changes if day <= today]
    after = [day for day in changes if day > today]
    return PatientDue(
        next_due=min(current) if current else None,
        valid_from=before[-1] if before else None,
        valid_before=after[0] if after else None,
        lapsed_since=changes[0] if changes else None,
    )
