"""What every form dialog shares: each field with its error message right beside it, a message
line for errors that belong to no field, and Save/Cancel that never close on an error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QCalendarWidget,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QSizePolicy,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.errors import ValidationError
from mesodesk.domain.safety import Finding, Level
from mesodesk.services.changes import Changes, Result
from mesodesk.ui.labels import safety_text
from mesodesk.ui.widgets import NOTE_STYLE, DateField, ErrorLabel, date_problem, mark_invalid

T = TypeVar("T")

# The largest size a widget can have (Qt's QWIDGETSIZE_MAX): a smaller maximum is a set one.
QWIDGETSIZE_MAX = (1 << 24) - 1


def fit_screen(widget: QWidget, width: int, height: int) -> None:
    """Open at ``width`` x ``height``, or smaller on a screen that has less room (1024 x 768 with
    a window frame and a panel)."""
    screen = widget.screen()
    if screen is not None:
        room = screen.availableGeometry()
        width = min(width, room.width() - 16)
        height = min(height, room.height() - 48)
    widget.resize(width, height)


def validated(problems: dict[str, str], check: Callable[[], T]) -> T:
    """The input as the domain's ``check`` returns it, or ValidationError with every problem:
    those the form found first (a date it could not read keeps its own message), then the
    domain's."""
    try:
        clean = check()
    except ValidationError as exc:
        for key, message in exc.errors.items():
            problems.setdefault(key, message)
    if problems:
        raise ValidationError(problems)
    return clean


def form_state(dialog: QWidget) -> list[Any]:
    """What a person can change in a dialog, as plain values: compared with the state when it
    opened, it tells whether Cancel would throw away something typed."""
    state: list[Any] = []
    for widget in dialog.findChildren(QWidget):
        if any(isinstance(a, QCalendarWidget) for a in _ancestors(widget, dialog)):
            continue  # a date picker's own month and year boxes
        if isinstance(widget, QLineEdit):
            if isinstance(widget.parentWidget(), (QAbstractSpinBox, QComboBox)):
                continue
            state.append(widget.text())
        elif isinstance(widget, QPlainTextEdit):
            state.append(widget.toPlainText())
        elif isinstance(widget, QComboBox):
            state.append((widget.currentIndex(), widget.currentText()))
        elif isinstance(widget, QAbstractSpinBox):
            state.append(widget.text())
        elif isinstance(widget, QAbstractButton) and widget.isCheckable():
            state.append(widget.isChecked())
        elif isinstance(widget, QListWidget):
            state.append([widget.item(i).checkState() for i in range(widget.count())])
        elif isinstance(widget, QTableWidget):
            state.append(widget.rowCount())
    return state


def _ancestors(widget: QWidget, top: QWidget) -> list[QWidget]:
    found = []
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        found.append(parent)
        parent = parent.parentWidget()
    return found


class FormDialog(QDialog):
    # Cancel (or Escape, or the window's close box) on a form holding changes asks first.
    # Dialogs that only choose options (the PDF summary) turn it off.
    ask_before_discarding = True

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(True)
        self.opened_state: list[Any] | None = None
        self.errors: dict[str, ErrorLabel] = {}
        self.fields: dict[str, QWidget] = {}
        self.form_error = ErrorLabel()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.saved: Any = None
        self.changes: Changes | None = None
        # the safety rules (by code) whose findings the clinician has been shown
        self.safety_seen: set[str] = set()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.opened_state is None:
            self.mark_unchanged()

    def mark_unchanged(self) -> None:
        """What the form holds now is what it opened with (a dialog that fills its fields
        after a load calls this once they are filled)."""
        self.opened_state = form_state(self)

    def has_changes(self) -> bool:
        return self.opened_state is not None and form_state(self) != self.opened_state

    def confirm_discard(self) -> bool:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Discard the changes?"),
            self.tr("This form holds changes that are not saved. Close it and lose them?"),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        discard = box.addButton(self.tr("Discard changes"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(self.tr("Keep editing"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.exec()
        return box.clickedButton() is discard

    def reject(self) -> None:
        if (
            self.ask_before_discarding
            and self.saved is None
            and self.has_changes()
            and not self.confirm_discard()
        ):
            return
        super().reject()

    def add_row(
        self,
        form: QFormLayout,
        text: str,
        key: str,
        widget: QWidget,
        *,
        marked: QWidget | None = None,
        changed: Any = None,
        note: QWidget | None = None,
        tight: bool = False,
    ) -> QWidget:
        """A labelled field with its error line under it. ``marked`` is the part that gets the
        red frame (default: the widget), ``changed`` the signal that clears the error (default:
        the widget's own), ``note`` a line of help between the field and its error; ``tight``
        keeps the row of a fixed-height field from floating in a form with room to spare.

        A field that cannot grow taller (a multi-line text with a fixed height) is always
        tight, and sits at the top of its row, right beside its label: a QPlainTextEdit asks
        for all the height it can get, so its row would take the form's spare room and the
        field would float in the middle of it, far below the label."""
        error = ErrorLabel()
        self.errors[key] = error
        self.fields[key] = marked if marked is not None else widget
        box = QWidget()
        inner = QVBoxLayout(box)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(1)
        fixed_height = widget.maximumHeight() < QWIDGETSIZE_MAX
        if fixed_height:
            inner.addWidget(widget, 0, Qt.AlignmentFlag.AlignTop)
        else:
            inner.addWidget(widget)
        if note is not None:
            inner.addWidget(note)
        inner.addWidget(error)
        if tight or fixed_height:
            box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        caption = QLabel(text)
        caption.setBuddy(widget)
        form.addRow(caption, box)
        self._watch(key, widget, changed)
        return box

    def add_error_for(self, key: str, widget: QWidget, layout: Any) -> ErrorLabel:
        """An error line for a field laid out by hand (a table, a group of checkboxes)."""
        error = ErrorLabel()
        self.errors[key] = error
        self.fields[key] = widget
        layout.addWidget(error)
        self._watch(key, widget)
        return error

    def _watch(self, key: str, widget: QWidget, changed: Any = None) -> None:
        if changed is not None:
            changed.connect(self._clearer(key))
            return
        for name in (
            "textChanged",
            "changed",
            "currentIndexChanged",
            "valueChanged",
            "itemChanged",
        ):
            signal = getattr(widget, name, None)
            if signal is not None:
                signal.connect(self._clearer(key))
                return

    def _clearer(self, key: str) -> Callable[..., None]:
        def clear(*_args: Any) -> None:
            self.errors[key].show_message("")
            field = self.fields.get(key)
            if field is not None:
                mark_invalid(field, False)

        return clear

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message beside its field; fields that share one error line share its text.
        A small dialog grows to show them whole."""
        self._show_errors(errors)
        hint = self.sizeHint()
        if hint.width() > self.width() or hint.height() > self.height():
            self.resize(self.size().expandedTo(hint))

    def _show_errors(self, errors: dict[str, str]) -> None:
        first: QWidget | None = None
        by_label: dict[int, tuple[ErrorLabel, list[str]]] = {}
        unknown = [m for k, m in errors.items() if k not in self.errors]
        by_label[id(self.form_error)] = (self.form_error, unknown)
        for key, label_widget in self.errors.items():
            message = errors.get(key, "")
            entry = by_label.setdefault(id(label_widget), (label_widget, []))
            if message and message not in entry[1]:
                entry[1].append(message)
            field = self.fields.get(key)
            if field is not None:
                mark_invalid(field, bool(message))
                if message and first is None:
                    first = field
        for label_widget, messages in by_label.values():
            label_widget.show_message(" ".join(messages))
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_findings(self, findings: list[Finding], errors: dict[str, str] | None = None) -> None:
        """The safety rules' verdicts beside their fields: a block nothing lifts as an error,
        a question, a warning or an overridable block as a note (with what it needs said in
        words); a finding about no field of the form goes to the message line."""
        errors = dict(errors or {})
        for f in findings:
            if f.level is Level.BLOCK and not f.overridable:
                errors.setdefault(f.field, f.message)
        self.show_errors(errors)
        notes: dict[int, tuple[ErrorLabel, list[str]]] = {}
        for f in findings:
            if f.level is Level.BLOCK and not f.overridable:
                continue
            target = self.errors.get(f.field, self.form_error)
            if target.text() and target.styleSheet() != NOTE_STYLE and id(target) not in notes:
                continue  # the field's error comes first
            prefix = {
                Level.BLOCK: self.tr("Needs an override reason:"),
                Level.ASK: self.tr("Confirm:"),
                Level.WARN: self.tr("Note:"),
            }[f.level]
            entry = notes.setdefault(id(target), (target, []))
            entry[1].append(f"{prefix} {self.safety_text(f)}")
        for target, lines in notes.values():
            target.show_message("\n".join(lines), note=True)

    def review_findings(self, findings: list[Finding]) -> bool:
        """Whether saving may go on: nothing refused, and nothing the clinician has not been
        shown yet. Otherwise the findings are shown beside their fields and Save becomes "Save
        anyway": pressing it again, with nothing new to show, confirms them."""
        blocked = any(f.level is Level.BLOCK and not f.overridable for f in findings)
        rules = {f.rule for f in findings}
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        if not blocked and rules <= self.safety_seen:
            return True
        self.safety_seen |= rules
        self.show_findings(findings)
        if blocked:
            save.setText(self.tr("Save"))
        else:
            save.setText(self.tr("Save anyway"))
            self.form_error.show_message(
                self.tr("Check the safety notes beside the fields, then Save again to confirm."),
                note=True,
            )
        return False

    def safety_text(self, finding: Finding) -> str:
        """A finding's words, through Qt's translation (the domain's sentences are English
        source strings in the "Safety" context)."""
        return safety_text(finding.message)

    def finish_layout(self, *parts: Any, stretch: bool = False) -> None:
        """The dialog's layout: its parts one under the other, then the message line and the
        buttons (after an empty space that takes the room left, with ``stretch``)."""
        layout = QVBoxLayout(self)
        for part in parts:
            if isinstance(part, QLayout):
                layout.addLayout(part)
            else:
                layout.addWidget(part)
        if stretch:
            layout.addStretch(1)
        layout.addWidget(self.form_error)
        layout.addWidget(self.buttons)

    # -- saving --------------------------------------------------------------------------------

    def collect(self) -> Any:  # pragma: no cover - every dialog has its own
        """What the form holds, checked by the domain rules. Raises ValidationError."""
        raise NotImplementedError

    def date_of(
        self, field: DateField, key: str, problems: dict[str, str], name: str = ""
    ) -> date | None:
        """The date in a field, or None; one that is not a date adds its message to problems
        (with the field's ``name`` in it when given)."""
        try:
            return field.value()
        except ValueError as exc:
            problems[key] = date_problem(exc, field.formats, name)
            return None

    def checked_input(self) -> Any:
        """The input of ``collect``, with the buttons off while it is saved; None (and every
        error beside its field) when something is wrong."""
        try:
            data = self.collect()
        except ValidationError as exc:
            self.show_errors(exc.errors)
            return None
        self.show_errors({})
        self.buttons.setEnabled(False)
        return data

    def save(self) -> None:  # pragma: no cover - every dialog has its own
        raise NotImplementedError

    def saved_result(self, result: Any) -> None:
        """Saving succeeded: keep what the service returned, and close."""
        self.saved = result
        self.accept()

    def saved_value(self, result: Result[Any]) -> None:
        """Saving succeeded: keep the saved record and what changed, and close."""
        self.saved = result.value
        self.changes = result.changes
        self.accept()

    def result_if_saved(self) -> Result[Any] | None:
        """Run the dialog; the service's Result once saved (with ``saved_value``), None when
        cancelled."""
        if self.exec() == QDialog.DialogCode.Accepted and self.saved is not None:
            assert self.changes is not None
            return Result(self.saved, self.changes)
        return None

    def failed(self, error: BaseException) -> None:
        """A job failed: show a validation error beside its fields, anything else below."""
        self.buttons.setEnabled(True)
        if isinstance(error, ValidationError):
            self.show_errors(error.errors)
        else:
            self.show_errors({})
            self.form_error.show_message(self.failure_text(error))

    def failure_text(self, error: BaseException) -> str:
        """The message line's words for a failure that is not about a field."""
        return str(error) or type(error).__name__
