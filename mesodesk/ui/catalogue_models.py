"""The catalogue's item models: products, the lots of one product, practitioners."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt

from mesodesk.domain.catalogue import (
    Expiry,
    Lot,
    Practitioner,
    Product,
    expiry_status,
)
from mesodesk.ui.i18n import arg
from mesodesk.ui.labels import Formats
from mesodesk.ui.tables import (
    ALERT,
    CAUTION,
    MUTED,
    RIGHT,
    ListTableModel,
    bold,
    brush,
)


def expiry_words(expiry: date, today: date) -> tuple[str, int]:
    """A lot's state in words, and how urgent it is: 2 expired, 1 expiring soon, 0 in date
    (the rule: mesodesk.domain.catalogue.expiry_status)."""
    state, days = expiry_status(expiry, today)
    tr = QCoreApplication.translate
    if state is Expiry.EXPIRED:
        text = tr("Catalogue", "EXPIRED: do not use")
    elif state is Expiry.EXPIRES_TODAY:
        text = tr("Catalogue", "Expires today")
    elif state is Expiry.EXPIRING:
        text = arg(tr("Catalogue", "Expires in %1 days"), str(days))
    else:
        text = tr("Catalogue", "In date")
    return text, state.urgency


# -- item models ----------------------------------------------------------------------------------


class ProductTableModel(ListTableModel[Product]):
    """The products, all of them: a clinic has tens, not thousands."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent=parent)
        self.headers = [
            self.tr("Name"),
            self.tr("Category"),
            self.tr("Ingredients"),
            self.tr("Lots"),
            self.tr("Status"),
        ]

    def set_products(self, products: Sequence[Product]) -> None:
        self.set_rows(products)

    def display(self, p: Product, column: int) -> str:
        if column == 0:
            return p.name
        if column == 1:
            if p.numbing:
                numbing = self.tr("numbing")
                return f"{p.category} ({numbing})" if p.category else numbing
            return p.category
        if column == 2:
            return ", ".join(p.ingredients)
        if column == 3:
            return str(p.lots)
        if column == 4:
            return self.tr("Active") if p.active else self.tr("Inactive")
        return ""

    def sort_key(self, p: Product, column: int) -> Any:
        return p.lots if column == 3 else super().sort_key(p, column)

    def role_data(self, p: Product, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 2:
                return "\n".join(p.ingredients)
            if column == 0 and p.manufacturer:
                return p.manufacturer
        if role == Qt.ItemDataRole.ForegroundRole and not p.active:
            return brush(MUTED)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return RIGHT
        return None


class LotTableModel(ListTableModel[Lot]):
    """The lots of one product, newest expiry first; expired lots say so in red and in words."""

    def __init__(self, formats: Formats, parent: Any = None) -> None:
        super().__init__(parent=parent)
        self.formats = formats
        self.today = date.today()
        self.headers = [
            self.tr("Lot number"),
            self.tr("Expiry"),
            self.tr("Status"),
            self.tr("Received"),
            self.tr("Notes"),
        ]

    def set_lots(self, lots: Sequence[Lot], today: date) -> None:
        self.today = today
        self.set_rows(lots)

    def display(self, lot: Lot, column: int) -> str:
        if column == 0:
            return lot.lot_number
        if column == 1:
            return self.formats.date(lot.expiry_date)
        if column == 2:
            return expiry_words(lot.expiry_date, self.today)[0]
        if column == 3:
            return self.formats.date(lot.received_on)
        if column == 4:
            return " ".join(lot.notes.split())
        return ""

    def sort_key(self, lot: Lot, column: int) -> Any:
        if column in (1, 2):
            return lot.expiry_date.isoformat()
        if column == 3:
            return lot.received_on.isoformat() if lot.received_on else ""
        return super().sort_key(lot, column)

    def role_data(self, lot: Lot, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == 4 and lot.notes:
            return lot.notes
        urgency = expiry_words(lot.expiry_date, self.today)[1]
        if role == Qt.ItemDataRole.ForegroundRole and column in (1, 2) and urgency:
            return brush(ALERT if urgency == 2 else CAUTION)
        if role == Qt.ItemDataRole.FontRole and column == 2 and urgency == 2:
            return bold()
        return None


class PractitionerTableModel(ListTableModel[Practitioner]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent=parent)
        self.headers = [self.tr("Name"), self.tr("Title"), self.tr("Status")]

    def set_practitioners(self, practitioners: Sequence[Practitioner]) -> None:
        self.set_rows(practitioners)

    def display(self, p: Practitioner, column: int) -> str:
        if column == 0:
            return p.name
        if column == 1:
            return p.title
        if column == 2:
            return (
                self.tr("Active")
                if p.active
                else self.tr("Inactive (not offered for new sessions)")
            )
        return ""

    def role_data(self, p: Practitioner, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and not p.active:
            return brush(MUTED)
        return None
