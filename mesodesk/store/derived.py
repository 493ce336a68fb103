"""Columns derived from other records, and the one place that writes them.

- ``course.next_due`` and ``course.lapses_on``: the course's next due date and the day its
  maintenance lapses, from ``mesodesk.domain.schedule.course_dues`` (the function the record,
  ``show`` and the PDF call directly), so that the due list is one index range over courses;
- ``patient.next_due`` (the soonest due date not lapsed), the span of days it holds for
  (``due_valid_from``, ``due_valid_before``), ``lapsed_since`` and ``last_session_at``, so that
  the 100,000-patient list sorts by them in SQL;
- ``product_lot.lot_folded``: the lot number folded (``mesodesk.domain.text.fold``), so that a
  lot is found case- and accent-blind in any script (SQLite's upper() and LIKE fold ASCII only).

Every change to courses or sessions recomputes its patient in the same transaction
(``refresh_schedules``); the demo loader and the migration that added these columns recompute
everyone through the same function; and a patient list read on a day outside a patient's span
recomputes the few patients whose course lapsed since (``refresh_stale``). ``mesodesk check``
compares every cached value with a recomputation (``drift``).

Plain UPDATEs: a cache is not a change the audit trail should report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection, String, Table, bindparam, func, or_, select, type_coerce, update

from mesodesk.domain.enums import CourseStatus, LaterInterval
from mesodesk.domain.schedule import CourseFacts, CoursePlan, course_dues, patient_due
from mesodesk.domain.text import clean_line, fold
from mesodesk.store import models as m

PATIENT = cast(Table, m.Patient.__table__)  # type: ignore[attr-defined]
COURSE = cast(Table, m.Course.__table__)  # type: ignore[attr-defined]
SESSION = cast(Table, m.TreatmentSession.__table__)  # type: ignore[attr-defined]
LOT = cast(Table, m.ProductLot.__table__)  # type: ignore[attr-defined]
PA, CO, SE, LT = PATIENT.c, COURSE.c, SESSION.c, LOT.c

ID_CHUNK = 500  # patients per statement when they are named one by one
RANGE_CHUNK = 5_000  # patients per pass when everyone is recomputed


def fold_lot_number(number: str) -> str:
    """The key a lot number is found by: "ÅB-12ç", "ab-12C" and " AB-12Ç " are all "ab-12c"."""
    return fold(clean_line(number))


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value.date() if isinstance(value, datetime) else value


def _moment(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _chunks(ids: Sequence[int], size: int = ID_CHUNK) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _compute(
    conn: Connection, where_course: Any, where_session: Any, where_patient: Any, today: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The course and patient rows whose cached values differ from a recomputation."""
    dates: dict[int, list[date]] = defaultdict(list)
    last_at: dict[int, str] = {}
    for course_id, patient_id, started in conn.execute(
        select(SE.course_id, SE.patient_id, type_coerce(SE.started_at, String)).where(where_session)
    ):
        day = _day(started)
        assert day is not None
        dates[course_id].append(day)
        text = started if isinstance(started, str) else str(started)
        if patient_id not in last_at or text > last_at[patient_id]:
            last_at[patient_id] = text
    facts: dict[int, list[CourseFacts]] = defaultdict(list)
    cached: dict[int, tuple[date | None, date | None]] = {}
    for r in conn.execute(
        select(
            CO.id,
            CO.patient_id,
            CO.indication,
            CO.indication_note,
            CO.planned_sessions,
            CO.induction_sessions,
            CO.induction_interval_days,
            CO.later_interval,
            CO.maintenance_interval_months,
            CO.status,
            type_coerce(CO.started_on, String),
            type_coerce(CO.next_due, String),
            type_coerce(CO.lapses_on, String),
        ).where(where_course)
    ):
        (cid, pid, indication, note, planned, induction, days, later, months, status) = r[:10]
        started_on = _day(r[10])
        assert started_on is not None
        facts[pid].append(
            CourseFacts(
                cid,
                indication,
                note or "",
                CoursePlan(planned, induction, days, LaterInterval.parse(later), months),
                CourseStatus.parse(status),
                started_on,
                tuple(dates.get(cid, ())),
            )
        )
        cached[cid] = (_day(r[11]), _day(r[12]))
    course_rows: list[dict[str, Any]] = []
    patient_rows: list[dict[str, Any]] = []
    for r in conn.execute(
        select(
            PA.id,
            type_coerce(PA.next_due, String),
            type_coerce(PA.due_valid_from, String),
            type_coerce(PA.due_valid_before, String),
            type_coerce(PA.lapsed_since, String),
            type_coerce(PA.last_session_at, String),
        ).where(where_patient)
    ):
        pid = r[0]
        dues = course_dues(facts.get(pid, ()))
        for cid, result in dues.items():
            due = result.due
            value = (due.on, due.lapses_on) if due is not None else (None, None)
            if value != cached[cid]:
                course_rows.append({"cid": cid, "due": value[0], "lapses": value[1]})
        mine = patient_due((d.due for d in dues.values()), today)
        last = _moment(last_at.get(pid))
        now = (mine.next_due, mine.valid_from, mine.valid_before, mine.lapsed_since, last)
        before = (_day(r[1]), _day(r[2]), _day(r[3]), _day(r[4]), _moment(r[5]))
        if now != before:
            patient_rows.append(
                {
                    "pid": pid,
                    "due": now[0],
                    "from": now[1],
                    "before": now[2],
                    "lapsed": now[3],
                    "last": now[4],
                }
            )
    return course_rows, patient_rows


_UPDATE_COURSE = (
    update(COURSE)
    .where(CO.id == bindparam("cid"))
    .values(next_due=bindparam("due"), lapses_on=bindparam("lapses"))
)
_UPDATE_PATIENT = (
    update(PATIENT)
    .where(PA.id == bindparam("pid"))
    .values(
        next_due=bindparam("due"),
        due_valid_from=bindparam("from"),
        due_valid_before=bindparam("before"),
        lapsed_since=bindparam("lapsed"),
        last_session_at=bindparam("last"),
    )
)


def _write(
    conn: Connection, course_rows: list[dict[str, Any]], patient_rows: list[dict[str, Any]]
) -> int:
    if course_rows:
        conn.execute(_UPDATE_COURSE, course_rows)
    if patient_rows:
        conn.execute(_UPDATE_PATIENT, patient_rows)
    return len(patient_rows)


def refresh_schedules(
    conn: Connection, today: date, patient_ids: Iterable[int] | None = None
) -> int:
    """Recompute the due dates and last session of some patients (every patient when None),
    inside the caller's write transaction. Returns how many patient rows changed."""
    changed = 0
    if patient_ids is not None:
        ids = sorted(set(patient_ids))
        for chunk in _chunks(ids):
            changed += _write(
                conn,
                *_compute(
                    conn,
                    CO.patient_id.in_(chunk),
                    SE.patient_id.in_(chunk),
                    PA.id.in_(chunk),
                    today,
                ),
            )
        return changed
    low, high = conn.execute(select(func.min(PA.id), func.max(PA.id))).one()
    if low is None:
        return 0
    for start in range(low, high + 1, RANGE_CHUNK):
        end = start + RANGE_CHUNK - 1
        changed += _write(
            conn,
            *_compute(
                conn,
                CO.patient_id.between(start, end),
                SE.patient_id.between(start, end),
                PA.id.between(start, end),
                today,
            ),
        )
    return changed


def stale_patients(conn: Connection, today: date, limit: int | None = None) -> list[int]:
    """Patients whose cached next due date does not hold on ``today`` (a course of theirs lapsed
    since it was computed, or it was computed for a later day). Two index ranges."""
    stmt = select(PA.id).where(or_(PA.due_valid_before <= today, PA.due_valid_from > today))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [r for (r,) in conn.execute(stmt)]


def refresh_stale(conn: Connection, today: date) -> int:
    """Recompute the patients whose cached next due date does not hold on ``today``."""
    stale = stale_patients(conn, today)
    return refresh_schedules(conn, today, stale) if stale else 0


def drift(conn: Connection, today: date, limit: int = 20) -> list[str]:
    """Cached values that differ from a recomputation, described (nothing is written). A
    patient whose cached span does not hold today is left out: it is recomputed when read."""
    found: list[str] = []
    for lot_id, number, key in conn.execute(select(LT.id, LT.lot_number, LT.lot_folded)):
        if key != fold_lot_number(number):
            found.append(f"lot {lot_id}: its folded number is out of step")
    low, high = conn.execute(select(func.min(PA.id), func.max(PA.id))).one()
    stale = set(stale_patients(conn, today))
    for start in range(low or 0, (high or -1) + 1, RANGE_CHUNK):
        end = start + RANGE_CHUNK - 1
        course_rows, patient_rows = _compute(
            conn,
            CO.patient_id.between(start, end),
            SE.patient_id.between(start, end),
            PA.id.between(start, end),
            today,
        )
        found.extend(f"course {r['cid']}: next due should be {r['due']}" for r in course_rows)
        found.extend(
            f"patient {r['pid']}: next due should be {r['due']}"
            for r in patient_rows
            if r["pid"] not in stale
        )
        if len(found) >= limit:
            break
    return found[:limit]


def refresh_lot_keys(conn: Connection) -> int:
    """Write every lot's folded number where it differs (after a bulk load or a migration)."""
    rows = [
        {"lid": lot_id, "key": fold_lot_number(number)}
        for lot_id, number, key in conn.execute(select(LT.id, LT.lot_number, LT.lot_folded))
        if key != fold_lot_number(number)
    ]
    if rows:
        conn.execute(
            update(LOT).where(LT.id == bindparam("lid")).values(lot_folded=bindparam("key")),
            rows,
        )
    return len(rows)
