"""Showing domain values: translated labels, dates in the clinic's order, money."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication

from mesodesk.domain.dates import DateOrder
from mesodesk.domain.enums import Grade


def label(value: Any) -> str:
    """The translated label of a domain value (an enum of mesodesk.domain: each label is marked
    with QT_TRANSLATE_NOOP("Values", ...) there, so that lupdate lists it)."""
    return QCoreApplication.translate("Values", value.label)


def grade_definition(grade: Grade) -> str:
    """The translated CTCAE definition of a grade (mesodesk.domain.enums.GRADE_DEFINITIONS)."""
    return QCoreApplication.translate("Values", grade.definition)


def safety_text(text: str) -> str:
    """A sentence of the safety rules (mesodesk.domain.safety) through Qt's translation."""
    return QCoreApplication.translate("Safety", text)


def suspected_lots(effect: Any) -> str:
    """A side effect's suspected lots in words (a mesodesk.domain.treatment.SideEffect):
    "LOT (Product), ...", "every lot of the session: ..." or "" when none is suspected."""
    listed = ", ".join(f"{lot.lot_number} ({lot.product})" for lot in effect.lots)
    if not effect.suspects_blend:
        return listed
    whole = QCoreApplication.translate("Values", "every lot of the session")
    return f"{whole}: {listed}" if listed else whole


class Formats:
    """How this clinic writes dates (a clinic-wide setting)."""

    def __init__(self, order: DateOrder = DateOrder.DMY, currency: str = "USD") -> None:
        self.order = order
        self.currency = currency

    def date(self, value: date | None) -> str:
        return self.order.show(value)

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return f"{self.order.show(value.date())} {value:%H:%M}"

    def money(self, cents: int | None) -> str:
        if cents is None:
            return ""
        return f"{cents / 100:,.2f} {self.currency}"

    @property
    def date_hint(self) -> str:
        return {
            DateOrder.DMY: QCoreApplication.translate("Formats", "dd/mm/yyyy"),
            DateOrder.MDY: QCoreApplication.translate("Formats", "mm/dd/yyyy"),
            DateOrder.YMD: QCoreApplication.translate("Formats", "yyyy-mm-dd"),
        }[self.order]
