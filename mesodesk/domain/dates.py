"""Dates as a clinic writes them."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class DateOrder(StrEnum):
    DMY = "DMY"
    MDY = "MDY"
    YMD = "YMD"

    @property
    def pattern(self) -> str:
        """How a date is shown in this order, for help texts and tables (Qt-style)."""
        return {"DMY": "dd/MM/yyyy", "MDY": "MM/dd/yyyy", "YMD": "yyyy-MM-dd"}[self.value]

    def show(self, value: date | None) -> str:
        if value is None:
            return ""
        if self is DateOrder.DMY:
            return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
        if self is DateOrder.MDY:
            return f"{value.month:02d}/{value.day:02d}/{value.year:04d}"
        return value.isoformat()


_DATE = re.compile(r"^(\d{1,4})[./\-](\d{1,2})[./\-](\d{1,4})$")
_COMPACT = re.compile(r"^\d{8}$")


def _year(text: str, today: date) -> int | None:
    if len(text) == 4:
        return int(text)
    if len(text) == 2:
        # A two-digit year of birth is in the past: 85 -> 1985, 07 -> 2007 (if 2007 <= today).
        year = 2000 + int(text)
        return year if year <= today.year else year - 100
    return None


@dataclass(frozen=True)
class NoSuchDay:
    """A date written the right way that names no day of the calendar ("31/02/1990"), so that
    the person is told the day does not exist rather than that the format is wrong."""

    year: int
    month: int
    day: int

    @property
    def month_exists(self) -> bool:
        return 1 <= self.month <= 12

    @property
    def days_in_month(self) -> int:
        """How many days the month has (0 when there is no such month)."""
        if not self.month_exists or not 1 <= self.year <= 9999:
            return 0
        return calendar.monthrange(self.year, self.month)[1]


def read_date(text: str, order: DateOrder, today: date | None = None) -> date | NoSuchDay | None:
    """A date typed as the clinic writes it ("24/03/1985", "24.3.85", "1985-03-24", "24031985").

    ISO (year first) is always understood. A text in a date's form that names no day
    ("31/02/1990", "12/13/2020" in day-month order) is a NoSuchDay; None when the text is not
    written as a date at all.
    """
    today = today or date.today()
    text = text.strip()
    match = _DATE.match(text)
    if match:
        a, b, c = match.groups()
        if len(a) == 4:
            y, m, d = int(a), int(b), int(c)
        elif len(a) > 2:
            return None
        else:
            yy = _year(c, today)
            if yy is None:
                return None
            if order is DateOrder.MDY:
                m, d, y = int(a), int(b), yy
            else:
                d, m, y = int(a), int(b), yy
    elif _COMPACT.match(text):
        if order is DateOrder.YMD or (text[:2] in ("19", "20") and int(text[4:6]) <= 31):
            y, m, d = int(text[:4]), int(text[4:6]), int(text[6:])
        elif order is DateOrder.MDY:
            m, d, y = int(text[:2]), int(text[2:4]), int(text[4:])
        else:
            d, m, y = int(text[:2]), int(text[2:4]), int(text[4:])
    else:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return NoSuchDay(y, m, d)


def parse_date(text: str, order: DateOrder, today: date | None = None) -> date | None:
    """The date in ``text`` (see read_date), or None when it is not a valid date."""
    found = read_date(text, order, today)
    return found if isinstance(found, date) else None


def age_on(birth: date, today: date) -> int:
    """Completed years of age on a day."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
