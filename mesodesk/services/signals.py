"""Lot safety signals over a period (mesodesk.domain.signals does the statistics).

The detector reads what was given and what followed, not what the clinician suspected: every
lot every session used up to the end of the period - each of its blend and its numbing cream or
spray, the one rule of mesodesk.store.session_lots - (which patient received which lot on which
day) and every side effect by its patient, kind, onset, grade and seriousness. A side
effect's suspected session or lot plays no part, so a side effect recorded without a lot, or
against the wrong one, still counts against the lots the patient actually received.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from mesodesk.domain.clock import Clock
from mesodesk.domain.enums import SideEffectKind
from mesodesk.domain.errors import DatabaseError
from mesodesk.domain.signals import EventRow, ExposureRow, LotInfo, SignalReport, detect
from mesodesk.services.analytics import AnalyticsService
from mesodesk.store.db import Database
from mesodesk.store.session_lots import session_lots_sql

# Read through the driver: a million blend lines are too many for SQLAlchemy's rows.
LOTS = (
    "SELECT l.id, l.product_id, p.name, l.lot_number FROM product_lot l "
    "JOIN product p ON p.id = l.product_id"
)
# started_at is the clinic's wall-clock time as text: the day is its first ten characters
EXPOSURES = "s.patient_id, {lot}, substr(s.started_at, 1, 10)"
BEFORE = "s.started_at < ?"
# (patient_id, started_at) covers what is read: scanning it is four times quicker than the
# table's wide rows that SQLite's own choice (the started_at index) leads to
COVERING_INDEX = "INDEXED BY ix_treatment_session_patient_start"
EVENTS = "SELECT patient_id, kind, onset_on, grade, serious FROM side_effect WHERE onset_on <= ?"


class SignalService:
    def __init__(self, db: Database, analytics: AnalyticsService, clock: Clock | None = None):
        self.db = db
        self.analytics = analytics
        self.clock = clock or Clock()

    def signals(self, start: date | None = None, end: date | None = None) -> SignalReport:
        """The lots used from ``start`` (default: the first session) to ``end`` (default:
        today) whose rate of a kind of side effect is disproportionate."""
        if not self.db.is_sqlite:
            raise DatabaseError("Lot signals need an SQLite database for now.")
        period = self.analytics.period(start, end)
        after_end = (period.end + timedelta(days=1)).isoformat()
        days: dict[str, int] = {}

        def ordinal(day: str) -> int:
            value = days.get(day)
            if value is None:
                value = days[day] = date.fromisoformat(day[:10]).toordinal()
            return value

        kinds = SideEffectKind._value2member_map_
        with self.db.read() as s:
            raw = s.connection().connection.driver_connection
            assert raw is not None
            lots = [LotInfo(*row) for row in raw.execute(LOTS).fetchall()]
            # every lot each session used (store.session_lots: its blend's and its numbing
            # product's)
            try:
                rows = raw.execute(
                    session_lots_sql(EXPOSURES, BEFORE, COVERING_INDEX), (after_end, after_end)
                )
            except sqlite3.OperationalError:  # a database without that index
                rows = raw.execute(session_lots_sql(EXPOSURES, BEFORE), (after_end, after_end))
            exposures: list[ExposureRow] = [
                (patient, lot, ordinal(day)) for patient, lot, day in rows.fetchall()
            ]
            events: list[EventRow] = [
                (
                    patient,
                    kinds.get(kind) or SideEffectKind.OTHER,  # type: ignore[misc]
                    ordinal(str(onset)),
                    int(grade),
                    bool(serious),
                )
                for patient, kind, onset, grade, serious in raw.execute(
                    EVENTS, (period.end.isoformat(),)
                ).fetchall()
            ]
        return detect(exposures, events, lots, period.start, period.end)
