"""When a course's next session is due (DOMAIN.md, "A course").

Induction: a session every 7 to 10 days for the first ``induction_sessions`` sessions; then every
2 weeks or monthly until the planned number is done; then maintenance every 3 to 5 months.
Intervals count from the session actually given, so a late session moves the rest of the course;
a session that was missed leaves the course due (and, after that day, overdue) until one is given.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from mesodesk.domain.enums import CourseStatus, LaterInterval

MIN_PLANNED, MAX_PLANNED = 3, 15
MIN_INDUCTION_DAYS, MAX_INDUCTION_DAYS = 7, 10
MIN_MAINTENANCE_MONTHS, MAX_MAINTENANCE_MONTHS = 3, 5


class Phase(StrEnum):
    INDUCTION = "induction"
    LATER = "later"
    MAINTENANCE = "maintenance"

    @property
    def label(self) -> str:
        return {"induction": "Induction", "later": "Spaced", "maintenance": "Maintenance"}[
            self.value
        ]


@dataclass(frozen=True)
class CoursePlan:
    planned_sessions: int
    induction_sessions: int
    induction_interval_days: int
    later_interval: LaterInterval
    maintenance_interval_months: int | None


@dataclass(frozen=True)
class Due:
    on: date
    phase: Phase
    session_number: int  # the number the next session will have in the course, from 1

    def days_overdue(self, today: date) -> int:
        return max(0, (today - self.on).days)


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


def next_due(
    plan: CoursePlan,
    status: CourseStatus,
    started_on: date,
    session_dates: Sequence[date],
) -> Due | None:
    """The next session's due date, or None when nothing more is due.

    A stopped course is due for nothing. A completed one, or one whose planned sessions are all
    done, is due for maintenance when it has a maintenance interval.
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
        if plan.maintenance_interval_months is None:
            return None
        return Due(add_months(last, plan.maintenance_interval_months), Phase.MAINTENANCE, following)
    if done < plan.induction_sessions:
        return Due(last + timedelta(days=plan.induction_interval_days), Phase.INDUCTION, following)
    if plan.later_interval is LaterInterval.MONTHLY:
        return Due(add_months(last, 1), Phase.LATER, following)
    return Due(last + timedelta(days=14), Phase.LATER, following)
