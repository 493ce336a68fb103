"""The time, from one place, so that tests can fix it."""

from __future__ import annotations

from datetime import UTC, date, datetime


class Clock:
    def now(self) -> datetime:
        """The clinic's wall-clock time, without a zone (what a clinician types and reads)."""
        return datetime.now().replace(microsecond=0)

    def utcnow(self) -> datetime:
        """An instant, for created/updated stamps."""
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


class FixedClock(Clock):
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def utcnow(self) -> datetime:
        return self._now.replace(tzinfo=UTC)
