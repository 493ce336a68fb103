from datetime import date, timedelta

import pytest

from mesodesk.domain.enums import CourseStatus, LaterInterval
from mesodesk.domain.schedule import CoursePlan, Phase, add_months, next_due, phase_of

PLAN = CoursePlan(
    planned_sessions=6,
    induction_sessions=3,
    induction_interval_days=7,
    later_interval=LaterInterval.BIWEEKLY,
    maintenance_interval_months=3,
)
START = date(2026, 1, 5)


def days(n: int) -> date:
    return START + timedelta(days=n)


def test_first_session_is_due_at_the_start() -> None:
    due = next_due(PLAN, CourseStatus.ACTIVE, START, [])
    assert (
        due is not None
        and due.on == START
        and due.phase is Phase.INDUCTION
        and due.session_number == 1
    )


def test_induction_then_later_interval_then_maintenance() -> None:
    sessions = [days(0)]
    expected = [
        (days(7), Phase.INDUCTION),
        (days(14), Phase.INDUCTION),
        (days(28), Phase.LATER),  # after the 3rd (last induction) session: every 2 weeks
        (days(42), Phase.LATER),
        (days(56), Phase.LATER),
    ]
    for due_on, phase in expected:
        due = next_due(PLAN, CourseStatus.ACTIVE, START, sessions)
        assert due is not None
        assert (due.on, due.phase) == (due_on, phase)
        sessions.append(due.on)
    # six planned sessions done: maintenance, three months after the last
    due = next_due(PLAN, CourseStatus.ACTIVE, START, sessions)
    assert due is not None and due.phase is Phase.MAINTENANCE
    assert due.on == add_months(days(56), 3) and due.session_number == 7


def test_monthly_later_interval_uses_calendar_months() -> None:
    plan = CoursePlan(4, 1, 10, LaterInterval.MONTHLY, 5)
    due = next_due(plan, CourseStatus.ACTIVE, date(2026, 1, 31), [date(2026, 1, 31)])
    assert due is not None and due.on == date(2026, 2, 28) and due.phase is Phase.LATER


def test_a_late_session_moves_the_rest_of_the_course() -> None:
    on_time = next_due(PLAN, CourseStatus.ACTIVE, START, [days(0), days(7)])
    late = next_due(PLAN, CourseStatus.ACTIVE, START, [days(0), days(12)])
    assert on_time is not None and late is not None
    assert late.on - on_time.on == timedelta(days=5)


def test_a_missed_session_stays_due_and_becomes_overdue() -> None:
    due = next_due(PLAN, CourseStatus.ACTIVE, START, [days(0)])
    assert due is not None
    assert due.days_overdue(days(7)) == 0
    assert due.days_overdue(days(20)) == 13


def test_sessions_given_out_of_order_use_the_latest() -> None:
    due = next_due(PLAN, CourseStatus.ACTIVE, START, [days(7), days(0)])
    assert due is not None and due.on == days(14)


def test_stopped_course_is_due_for_nothing() -> None:
    assert next_due(PLAN, CourseStatus.STOPPED, START, [days(0)]) is None


def test_completed_course_is_due_for_maintenance_only() -> None:
    due = next_due(PLAN, CourseStatus.COMPLETED, START, [days(0), days(7)])
    assert due is not None and due.phase is Phase.MAINTENANCE and due.on == add_months(days(7), 3)
    no_maintenance = CoursePlan(6, 3, 7, LaterInterval.BIWEEKLY, None)
    assert next_due(no_maintenance, CourseStatus.COMPLETED, START, [days(0)]) is None
    assert (
        next_due(no_maintenance, CourseStatus.ACTIVE, START, [days(i * 7) for i in range(6)])
        is None
    )
    assert next_due(PLAN, CourseStatus.COMPLETED, START, []) is None


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 12, 31), 5, date(2027, 5, 31)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_phase_of_each_session() -> None:
    assert [phase_of(PLAN, n) for n in (1, 3, 4, 6, 7)] == [
        Phase.INDUCTION,
        Phase.INDUCTION,
        Phase.LATER,
        Phase.LATER,
        Phase.MAINTENANCE,
    ]
