"""Small widgets the forms share: a date field that can be empty, error labels beside fields."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, QLocale, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCalendarWidget,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from mesodesk.domain.dates import NoSuchDay, read_date
from mesodesk.ui.i18n import arg
from mesodesk.ui.labels import Formats

ERROR_STYLE = "color: #b00020;"
NOTE_STYLE = "color: #8a5a00;"  # a safety question or warning: dark amber, readable in grey


# QLineEdit's size hint is this many "x" wide, plus its frame, margins and clear button.
_LINE_EDIT_HINT_CHARS = 17


class DateEdit(QLineEdit):
    """The text part of a DateField: never so narrow that a whole date (or the hint saying how
    to write one) is cut off, in whatever font it has."""

    def __init__(self, formats: Formats, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.formats = formats

    def date_width(self) -> int:
        """The width the font needs for the widest date in the clinic's order, or the hint."""
        metrics = self.fontMetrics()
        samples = (self.formats.date(date(2088, 12, 28)), self.formats.date_hint)
        return max(metrics.horizontalAdvance(text) for text in samples)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        # Qt's own size hint with the room for 17 "x" swapped for a date (and the cursor).
        chrome = super().sizeHint().width()
        chrome -= _LINE_EDIT_HINT_CHARS * self.fontMetrics().horizontalAdvance("x")
        hint.setWidth(max(hint.width(), chrome + self.date_width() + 2))
        return hint

    def sizeHint(self) -> QSize:
        return super().sizeHint().expandedTo(self.minimumSizeHint())


class ShortTextEdit(QPlainTextEdit):
    """A multi-line text that asks for a few lines (Qt's default asks for 192 px, which makes a
    dialog with two of them taller than a 1024 x 768 screen); it still grows with the room."""

    def __init__(self, lines: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines = lines

    def sizeHint(self) -> QSize:
        frame = 2 * self.frameWidth() + int(self.document().documentMargin() * 2)
        height = self.fontMetrics().lineSpacing() * self.lines + frame
        return QSize(super().sizeHint().width(), max(height, self.minimumHeight()))


class DateTextError(ValueError):
    """A date field holds something that is not a date; ``no_such_day`` when it is written
    the right way but names no day ("31/02/1990")."""

    def __init__(self, text: str, no_such_day: NoSuchDay | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.no_such_day = no_such_day


def date_problem(error: ValueError, formats: Formats, name: str = "") -> str:
    """What is wrong with a date typed in a field, in words: a day that does not exist is said
    to be so (with how many days its month has), anything else is told how to write a date.
    ``name``: the field's name, for a message shown away from the field."""
    tr = QCoreApplication.translate
    missing = error.no_such_day if isinstance(error, DateTextError) else None
    if missing is None:
        if name:
            return arg(tr("Dates", "%1 is not a date; write it as %2."), name, formats.date_hint)
        return arg(tr("Dates", "Not a date; write it as %1."), formats.date_hint)
    typed = error.text if isinstance(error, DateTextError) else str(error)
    if missing.days_in_month:
        month = QLocale().standaloneMonthName(missing.month, QLocale.FormatType.LongFormat)
        why = arg(
            tr("Dates", "%1 %2 has %3 days"), month, str(missing.year), str(missing.days_in_month)
        )
    elif not missing.month_exists:
        why = arg(tr("Dates", "there is no month %1"), str(missing.month))
    else:
        why = arg(tr("Dates", "there is no year %1"), str(missing.year))
    text = arg(tr("Dates", "The day %1 does not exist: %2."), typed, why)
    if name:
        return arg(tr("Dates", "%1: %2"), name, text)
    return text


class DateField(QWidget):
    """A date typed as the clinic writes it (or picked from a calendar), or no date at all.

    Unlike QDateEdit it has an explicit empty state, so an untouched field never saves a date
    nobody entered.
    """

    changed = Signal()

    def __init__(self, formats: Formats, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.formats = formats
        self.edit = DateEdit(formats, self)
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
        """The date, or None when empty. Raises DateTextError (a ValueError) when the text is
        not a date."""
        text = self.text()
        if not text:
            return None
        found = read_date(text, self.formats.order)
        if not isinstance(found, date):
            raise DateTextError(text, found)
        return found

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

    def show_message(self, message: str, *, note: bool = False) -> None:
        """An error in red; with ``note``, a safety question or warning in amber."""
        self.setStyleSheet(NOTE_STYLE if note else ERROR_STYLE)
        self.setText(message)
        self.setVisible(bool(message))


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """A red frame on a field with an error, gone once it is fixed."""
    target = widget.edit if isinstance(widget, DateField) else widget
    target.setStyleSheet("border: 1px solid #b00020;" if invalid else "")


def ask_yes_no(parent: QWidget | None, title: str, text: str) -> bool:
    """A question that only a Yes answers; No is the default."""
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def placeholder(text: str = "") -> QLabel:
    """The grey message shown in place of a list that has nothing to show."""
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet("color: #666666; padding: 24px;")
    return label


class ElidedLabel(QLabel):
    """A one-line text that gives way when room is short, cut in the middle ("/home/…/clinic
    .sqlite3") and whole in its tooltip: a long database path in the status bar must not hold
    the main window wider than a 1024-pixel screen, nor push the patient count out of sight."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self.full = text
        self.setToolTip(text)
        self._elide()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(
            min(hint.width(), self.fontMetrics().horizontalAdvance("x" * 12)), hint.height()
        )

    def sizeHint(self) -> QSize:
        return QSize(
            self.fontMetrics().horizontalAdvance(self.full) + 8, super().sizeHint().height()
        )

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(
            self.full, Qt.TextElideMode.ElideMiddle, max(self.width() - 4, 0)
        )
        if shown != self.text():
            super().setText(shown)


def compact_combo(combo: QComboBox, chars: int = 14) -> QComboBox:
    """A choice filled from the clinic's data (practitioners, courses, products) asks for room
    for ``chars`` characters, not for its longest entry: a 120-character practitioner name would
    otherwise widen its dialog past a 1024-pixel screen. The list still shows every entry whole,
    and the closed box tells the whole choice in its tooltip."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    combo.currentTextChanged.connect(combo.setToolTip)
    return combo


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


def parse_money(text: str) -> int | None:
    """Cents from what a person types ("350", "350.00", "1,250.50", "350,5"); None when empty.

    Raises ValueError for anything that is not an amount.
    """
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        return None
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(",", "")  # 1,250.50
    elif cleaned.count(",") == 1 and len(cleaned.split(",")[1]) <= 2:
        cleaned = cleaned.replace(",", ".")  # 350,50
    else:
        cleaned = cleaned.replace(",", "")
    value = float(cleaned)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return round(value * 100)


class EnumCombo(QComboBox):
    """A choice among the values of a domain enum, shown by their translated labels.

    Qt keeps item data as plain strings, so ``value()`` turns the choice back into the enum.
    """

    def __init__(
        self,
        enum: type[Any],
        values: Iterable[Any] | None = None,
        none_text: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        from mesodesk.ui.labels import label

        self.enum = enum
        if none_text is not None:
            self.addItem(none_text, None)
        for value in values if values is not None else enum:
            self.addItem(label(value), value.value)

    def value(self) -> Any:
        data = self.currentData()
        return None if data is None else self.enum.parse(data)

    def set_value(self, value: Any) -> None:
        index = self.findData(None if value is None else value.value)
        self.setCurrentIndex(max(0, index))

    def set_values(self, values: Iterable[Any], none_text: str | None = None) -> None:
        """Offer other values (keeping the current choice when it is among them)."""
        from mesodesk.ui.labels import label

        current = self.value()
        self.blockSignals(True)
        self.clear()
        if none_text is not None:
            self.addItem(none_text, None)
        for value in values:
            self.addItem(label(value), value.value)
        self.blockSignals(False)
        self.set_value(current)
        self.currentIndexChanged.emit(self.currentIndex())
