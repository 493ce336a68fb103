"""The safety rules (mesodesk.domain.safety) over the records already stored: the sessions and
side effects that break a rule nobody answered when they were saved (records made before the
rule existed, or written past mesodesk). `mesodesk check` lists them as warnings; nothing is
ever changed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import select

from mesodesk.domain.safety import Finding, session_findings, side_effect_findings
from mesodesk.domain.treatment import PatientRecord
from mesodesk.services.registry import Services
from mesodesk.store import models as m
from mesodesk.store.db import Target

Progress = Callable[[int, int, str], None]
CHUNK = 500  # patients read at a time


@dataclass(frozen=True)
class RecordWarning:
    record_no: str
    what: str  # "session 2024-03-01 10:00", "side effect 2024-03-02 (Swelling)"
    finding: Finding

    def __str__(self) -> str:
        return f"{self.record_no} {self.what}: {self.finding.message} [{self.finding.rule}]"


def record_warnings(record: PatientRecord) -> Iterator[RecordWarning]:
    """What the rules say about one patient's stored sessions and side effects, less what was
    answered (confirmed, or overridden with a reason) when each was saved."""
    patient = record.patient
    courses = {c.id: c for c in record.courses}
    sessions = {s.id: s for s in record.sessions}
    # what concerns the patient as a whole (a contraindication, no consent) is said once, with
    # the sessions it concerns
    about_patient: dict[tuple[str, str], tuple[Finding, list[str]]] = {}
    for session in record.sessions:
        course = courses.get(session.course_id)
        if course is None:
            continue
        when = f"{session.started_at:%Y-%m-%d %H:%M}"
        for finding in session_findings(
            session.as_input(),
            patient,
            course,
            record.sessions,
            record.side_effects,
            session_id=session.id,
            look_ahead=False,
        ):
            if finding.rule in session.safety_confirmed:
                continue
            if finding.field == "patient":
                key = (finding.rule, finding.message)
                about_patient.setdefault(key, (finding, []))[1].append(when)
            else:
                yield RecordWarning(patient.record_no, f"session {when}", finding)
    for finding, days in about_patient.values():
        what = f"session {days[0]}" if len(days) == 1 else f"{len(days)} sessions, {days[0]} on"
        yield RecordWarning(patient.record_no, what, finding)
    for effect in record.side_effects:
        suspected = sessions.get(effect.session_id) if effect.session_id is not None else None
        what = f"side effect {effect.onset_on.isoformat()} ({effect.title})"
        for finding in side_effect_findings(effect.as_input(), suspected):
            if finding.rule not in effect.safety_confirmed:
                yield RecordWarning(patient.record_no, what, finding)


def safety_warnings(target: Target, progress: Progress | None = None) -> list[RecordWarning]:
    """Every stored record of a database (at the schema's head) that breaks a safety rule,
    read-only."""
    report = progress or (lambda done, total, message: None)
    services = Services.open(target, read_only=True)
    try:
        with services._db.read() as s:
            patient = m.Patient.__table__.c  # type: ignore[attr-defined]
            ids = list(s.execute(select(patient.id).order_by(patient.id)).scalars())
        found: list[RecordWarning] = []
        for start in range(0, len(ids), CHUNK):
            chunk = [i for i in ids[start : start + CHUNK] if i is not None]
            for record in services.treatment.records(chunk):
                found.extend(record_warnings(record))
            report(min(start + CHUNK, len(ids)), len(ids), "Checking the safety rules")
        return found
    finally:
        services.close()
