from datetime import date, timedelta

import pytest

from mesodesk.domain.enums import CourseStatus, LaterInterval
from mesodesk.domain.schedule import (
    LAPSE_INTERVALS,
    CourseFacts,
    CoursePlan,
    DueState,
    PatientDue,
    Phase,
    add_months,
    course_dues,
    indication_key,
    lapse_date,
    next_due,
    patient_due,
    phase_of,
)

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


# -- lapsed maintenance, a newer course for the same indication, the patient's next due ---------


def done(n: int) -> list[date]:
    return [days(7 * i) for i in range(n)]


def facts(course_id: int, indication: str, started: date, **changes: object) -> CourseFacts:
    base: dict[str, object] = {
        "id": course_id,
        "indication": indication,
        "indication_note": "",
        "plan": PLAN,
        "status": CourseStatus.COMPLETED,
        "started_on": started,
        "session_dates": (started,),
    }
    base.update(changes)
    return CourseFacts(**base)  # type: ignore[arg-type]


def test_a_maintenance_lapses_once_overdue_by_twice_its_interval() -> None:
    due = next_due(PLAN, CourseStatus.ACTIVE, START, done(6))
    assert due is not None and due.phase is Phase.MAINTENANCE
    assert due.on == add_months(days(35), 3)
    assert due.lapses_on == add_months(due.on, 2 * 3) == lapse_date(due.on, 3)
    assert LAPSE_INTERVALS == 2
    day_before = due.lapses_on - timedelta(days=1)
    assert due.state(due.on - timedelta(days=1)) is DueState.UPCOMING
    assert due.state(due.on) is DueState.DUE_TODAY
    assert due.state(day_before) is DueState.OVERDUE and due.listed_by(day_before)
    assert due.state(due.lapses_on) is DueState.LAPSED and not due.listed_by(due.lapses_on)
    # a 5-month rhythm lapses after 10 months overdue
    five = CoursePlan(6, 3, 7, LaterInterval.BIWEEKLY, 5)
    slow = next_due(five, CourseStatus.COMPLETED, START, [START])
    assert slow is not None and slow.lapses_on == add_months(slow.on, 10)


def test_only_a_maintenance_lapses() -> None:
    """A course still in its planned sessions stays due however late: only the clinician stops
    it."""
    due = next_due(PLAN, CourseStatus.ACTIVE, START, done(2))
    assert due is not None and due.phase is Phase.INDUCTION and due.lapses_on is None
    assert due.state(days(5000)) is DueState.OVERDUE


def test_a_newer_course_for_the_same_indication_ends_the_older_ones_maintenance() -> None:
    older = facts(1, "wrinkles", START)
    newer = facts(2, "wrinkles", days(200), status=CourseStatus.ACTIVE, session_dates=())
    other = facts(3, "hair_loss", days(100))
    dues = course_dues([newer, other, older])
    assert dues[1].due is None and dues[1].maintenance_ended_by == 2
    assert dues[2].due is not None and dues[2].due.on == days(200)
    assert dues[3].due is not None and dues[3].due.phase is Phase.MAINTENANCE  # another indication
    # the same day: the one entered later is the newer
    same_day = course_dues([facts(4, "cellulite", START), facts(5, "cellulite", START)])
    assert same_day[4].maintenance_ended_by == 5 and same_day[5].due is not None
    # three in a row: each is ended by the next
    chain = course_dues([facts(i, "acne_scars", days(100 * i)) for i in (1, 2, 3)])
    assert [chain[i].maintenance_ended_by for i in (1, 2, 3)] == [2, 3, None]


def test_a_newer_course_does_not_end_sessions_still_planned() -> None:
    planned = facts(1, "wrinkles", START, status=CourseStatus.ACTIVE, session_dates=(START,))
    dues = course_dues([planned, facts(2, "wrinkles", days(30), status=CourseStatus.ACTIVE)])
    assert dues[1].due is not None and dues[1].due.phase is Phase.INDUCTION


def test_other_indications_are_the_same_when_their_notes_fold_alike() -> None:
    assert indication_key("other", "Décolleté  lines") == indication_key("other", "decollete LINES")
    assert indication_key("other", "Neck") != indication_key("other", "Hands")
    assert indication_key("wrinkles", "anything") == "wrinkles"
    dues = course_dues(
        [
            facts(1, "other", START, indication_note="Neck lines"),
            facts(2, "other", days(50), indication_note="Hands"),
            facts(3, "other", days(90), indication_note="NECK  lines"),
        ]
    )
    assert dues[1].maintenance_ended_by == 3 and dues[2].due is not None


def test_the_patients_next_due_skips_lapsed_courses_and_says_when_that_changes() -> None:
    lapsing = next_due(PLAN, CourseStatus.COMPLETED, START, [START])  # due Apr, lapses Oct 2026
    later = next_due(PLAN, CourseStatus.COMPLETED, START, [days(150)])  # due Sep 2026
    assert lapsing is not None and later is not None
    assert lapsing.lapses_on is not None and later.lapses_on is not None
    today = lapsing.on
    mine = patient_due([lapsing, later, None], today)
    assert mine.next_due == lapsing.on and mine.lapsed_since == lapsing.lapses_on
    assert (mine.valid_from, mine.valid_before) == (None, lapsing.lapses_on)
    assert mine.holds_on(today) and not mine.holds_on(lapsing.lapses_on)
    after = patient_due([lapsing, later], lapsing.lapses_on)
    assert after.next_due == later.on
    assert (after.valid_from, after.valid_before) == (lapsing.lapses_on, later.lapses_on)
    gone = patient_due([lapsing, later], later.lapses_on)
    assert gone.next_due is None and gone.lapsed_since == lapsing.lapses_on
    assert gone.valid_before is None and not gone.holds_on(later.lapses_on - timedelta(days=1))
    assert patient_due([], today) == PatientDue(None, None, None, None)
