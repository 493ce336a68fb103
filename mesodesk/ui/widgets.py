"""Small widgets the forms share: a date field that can be empty, error labels beside fields."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from mesodesk.domain.dates import parse_date
from mesodesk.ui.labels import Formats

ERROR_STYLE = "color: #b00020;"


class DateField(QWidget):
    """A date typed as the clinic writes it (or picked from a calendar), or no date at all.

    Unlike QDateEdit it has an explicit empty state, so an untouched field never saves a date
    nobody entered.
    """

    changed = Signal()

    def __init__(self, formats: Formats, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.formats = formats
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(formats.date_hint)
        self.edit.setClearButtonEnabled(True)
        self.edit.setMaxLength(20)
        self.edit.textChanged.connect(self.changed)
        self.button = QToolButton(self)
        self.button.setText("▾")
        self.button.setToolTip(self.tr("Pick a date from a calendar"))
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.calendar = QCalendarWidget(self)
        self.calendar.clicked.connect(self._picked)
        menu = QMenu(self.button)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        menu.aboutToShow.connect(self._sync_calendar)
        self.button.setMenu(menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.setFocusProxy(self.edit)

    def text(self) -> str:
        return self.edit.text().strip()

    def value(self) -> date | None:
        """The date, or None when empty. Raises ValueError when the text is not a date."""
        text = self.text()
        if not text:
            return None
        parsed = parse_date(text, self.formats.order)
        if parsed is None:
            raise ValueError(text)
        return parsed

    def set_value(self, value: date | None) -> None:
        self.edit.setText(self.formats.date(value))

    def _sync_calendar(self) -> None:
        try:
            current = self.value()
        except ValueError:
            current = None
        if current is not None:
            self.calendar.setSelectedDate(QDate(current.year, current.month, current.day))

    def _picked(self, picked: QDate) -> None:
        self.set_value(date(picked.year(), picked.month(), picked.day()))
        menu = self.button.menu()
        if menu is not None:
            menu.hide()


class ErrorLabel(QLabel):
    """The message shown under a field when what it holds cannot be saved."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(ERROR_STYLE)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_message(self, message: str) -> None:
        self.setText(message)
        self.setVisible(bool(message))


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """A red frame on a field with an error, gone once it is fixed."""
    target = widget.edit if isinstance(widget, DateField) else widget
    target.setStyleSheet("border: 1px solid #b00020;" if invalid else "")


def warning_banner(text: str, parent: QWidget | None = None) -> QLabel:
    """A banner that stands out in colour and says in words what it is about."""
    banner = QLabel(text, parent)
    banner.setWordWrap(True)
    banner.setTextFormat(Qt.TextFormat.PlainText)
    banner.setStyleSheet(
        "background: #fdecea; color: #7a0010; border: 1px solid #e0a0a8; "
        "border-radius: 4px; padding: 6px; font-weight: bold;"
    )
    return banner
