"""`due`, `show` and the patient list agree for every patient of a 1,500-patient demo clinic,
on several days: one function says when a course is due (domain.schedule.course_dues), and the
cached columns the due list and the patient list read are kept in step with it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mesodesk.cli.treatment import record_json
from mesodesk.domain.clock import FixedClock
from mesodesk.domain.schedule import Due
from mesodesk.domain.search import PatientQuery
from mesodesk.services.registry import Services
from tests.conftest import NOW

TODAY = NOW.date()
DAYS = (TODAY, TODAY + timedelta(days=45), TODAY + timedelta(days=200), TODAY + timedelta(days=420))


def patient_list(services: Any) -> list[Any]:
    query = PatientQuery(include_archived=True)
    rows: list[Any] = []
    while True:
        page = services.patients.search(query, offset=len(rows), limit=1000, with_total=False)
        rows.extend(page.rows)
        if len(page.rows) < 1000:
            return rows


def test_due_show_and_the_patient_list_agree_for_every_patient(demo1500: Path) -> None:
    clock = FixedClock(NOW)
    services = Services.open(demo1500, clock=clock)
    try:
        # `show`: every record once (its due dates do not depend on the day, their state does)
        records = {row.id: services.treatment.record(row.id) for row in patient_list(services)}
        assert len(records) == 1500
        dues: dict[int, tuple[int, Due | None]] = {
            c.id: (pid, c.next_due) for pid, r in records.items() for c in r.courses
        }
        by_patient: dict[int, list[Due]] = {pid: [] for pid in records}
        for pid, d in dues.values():
            if d is not None:
                by_patient[pid].append(d)
        archived = {pid for pid, r in records.items() if r.patient.archived}
        listed_somewhere = lapsed_somewhere = 0
        for day in DAYS:
            clock._now = datetime.combine(day, NOW.time())
            due = {e.course_id: e.due_on for e in services.courses.due(day)}
            lapsed = {e.course_id for e in services.courses.due(day, lapsed=True)}
            listed_somewhere += len(due)
            lapsed_somewhere += len(lapsed)
            # the due list is what every record says is due by that day
            assert due == {
                cid: d.on
                for cid, (pid, d) in dues.items()
                if d is not None and d.listed_by(day) and pid not in archived
            }
            assert lapsed == {
                cid
                for cid, (pid, d) in dues.items()
                if d is not None and d.lapsed(day) and pid not in archived
            }
            # `show --json` says the same words for each course
            for record in records.values():
                for course in record_json(record, day)["courses"]:
                    state = course["next_due_state"]
                    if record.patient.archived or state is None:
                        continue
                    assert (course["id"] in due) == (state in ("overdue", "due_today")), course
                    assert (course["id"] in lapsed) == (state == "lapsed"), course
                    if course["id"] in due:
                        assert due[course["id"]] == course["next_due"]
            # the patient list: the soonest due date not lapsed, or "lapsed"
            due_patients = {dues[c][0] for c in due}
            for row in patient_list(services):
                mine = by_patient[row.id]
                current = [d.on for d in mine if not d.lapsed(day)]
                assert row.next_due == (min(current) if current else None), row
                assert row.only_lapsed(day) == (not current and any(d.lapsed(day) for d in mine))
                if not row.archived:
                    in_due = row.id in due_patients
                    assert in_due == (row.next_due is not None and row.next_due <= day), row
        assert listed_somewhere > 500 and lapsed_somewhere > 50  # the days are not empty ones
        # re-saving an unchanged session changes nothing
        clock._now = NOW
        before = services.courses.due(TODAY), patient_list(services)
        stopped = {c.id for r in records.values() for c in r.courses if c.status.value == "stopped"}
        resaved = [
            s for r in records.values() for s in r.sessions[-1:] if s.course_id not in stopped
        ]
        for session in resaved[:25]:
            # with the answers stored with it (a relative contraindication confirmed)
            services.sessions.update_session(
                session.id,
                session.as_input(),
                confirmed=session.safety_confirmed,
                override_reason=session.override_reason,
                allergy_confirmed=True,
            )
        assert (services.courses.due(TODAY), patient_list(services)) == before
    finally:
        services.close()
