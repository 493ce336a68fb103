"""What a person sees in the form dialogs: whole dates, the grade said once, and multi-line
fields right beside their label."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QLabel, QLineEdit, QStyle, QStyleOptionFrame, QToolButton, QWidget

from mesodesk.domain.enums import Grade
from mesodesk.ui.course_dialog import CourseDialog
from mesodesk.ui.labels import label
from mesodesk.ui.patient_dialog import PatientDialog
from mesodesk.ui.side_effect_dialog import SideEffectDialog
from tests.conftest import patient_input

# the sizes the dialogs open at, a 1366x768 screen, and a large one
SIZES = [None, (1366, 740), (1920, 1040)]


@pytest.fixture
def record_view(qtbot: Any, window: Any, services: Any) -> Any:
    patient = services.patients.create(patient_input()).value
    view = window.open_patient(patient.id)
    qtbot.waitUntil(lambda: view.record is not None)
    return view


def shown(qtbot: Any, dialog: QWidget, size: tuple[int, int] | None) -> None:
    qtbot.addWidget(dialog)
    if size is not None:
        dialog.resize(*size)
    dialog.show()
    qtbot.waitExposed(dialog)


def text_room(edit: QLineEdit) -> int:
    """The width a line edit has for its text: inside its frame and margins, left of its clear
    button."""
    option = QStyleOptionFrame()
    edit.initStyleOption(option)
    contents = edit.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, edit)
    left = contents.left() + edit.textMargins().left() + 2  # Qt's horizontal margin
    right = contents.right() - edit.textMargins().right() - 2
    for button in edit.findChildren(QToolButton):
        if button.isVisibleTo(edit):
            right = min(right, button.geometry().left() - 1)
    return right - left + 1


@pytest.mark.parametrize("size", SIZES)
def test_reported_on_date_shows_in_full(
    qtbot: Any, window: Any, record_view: Any, size: tuple[int, int] | None
) -> None:
    dialog = SideEffectDialog(window.context, record_view.record, None, None, record_view)
    shown(qtbot, dialog, size)
    edit = dialog.reported_day.edit
    assert edit.text() == "24/11/2026"
    metrics = edit.fontMetrics()
    needed = max(metrics.horizontalAdvance("27/11/2026"), metrics.horizontalAdvance(edit.text()))
    assert text_room(edit) >= needed + 1, (text_room(edit), needed, dialog.size())
    # nor is anything else in the row cut below what it needs
    for part in (dialog.via, dialog.reported_at):
        assert part.width() >= part.minimumSizeHint().width()


@pytest.mark.parametrize("value", list(Grade))
def test_grade_help_says_the_grade_once(
    qtbot: Any, window: Any, record_view: Any, value: Grade
) -> None:
    dialog = SideEffectDialog(window.context, record_view.record, None, None, record_view)
    qtbot.addWidget(dialog)
    dialog.grade.setValue(int(value))
    text = dialog.grade_help.text()
    name = label(value)
    word = name.partition(" ")[2]
    assert text.startswith(name)
    assert not text[len(name) :].lstrip(": ").casefold().startswith(word.casefold()), text
    assert text in dialog.grade.toolTip().splitlines()


def test_grade_help_and_tooltip_read_plainly(qtbot: Any, window: Any, record_view: Any) -> None:
    dialog = SideEffectDialog(window.context, record_view.record, None, None, record_view)
    qtbot.addWidget(dialog)
    assert dialog.grade_help.text() == "1 Mild: no or mild symptoms; observation only."
    dialog.grade.setValue(2)
    assert dialog.grade_help.text().startswith("2 Moderate: minimal, local or non-invasive")
    tips = dialog.grade.toolTip().splitlines()
    assert tips[0] == "1 Mild: no or mild symptoms; observation only."
    assert len(tips) == len(Grade) and "Mild: Mild" not in dialog.grade.toolTip()


def caption_of(dialog: QWidget, field: QWidget) -> QLabel:
    return next(c for c in dialog.findChildren(QLabel) if c.buddy() is field)


def beside_its_label(dialog: QWidget, field: QWidget) -> None:
    """The field starts level with its label (not far below it), at the label's right."""
    caption = caption_of(dialog, field)
    field_top = field.mapTo(dialog, QPoint(0, 0))
    caption_top = caption.mapTo(dialog, QPoint(0, 0))
    assert abs(field_top.y() - caption_top.y()) <= caption.height() // 2, (
        field_top,
        caption_top,
    )
    assert field_top.x() > caption_top.x()


@pytest.mark.parametrize("size", SIZES)
def test_patient_address_sits_beside_its_label(
    qtbot: Any, services: Any, runner: Any, formats: Any, size: tuple[int, int] | None
) -> None:
    dialog = PatientDialog(services, runner, formats)
    shown(qtbot, dialog, size)
    beside_its_label(dialog, dialog.address)
    beside_its_label(dialog, dialog.contraindication_note)


@pytest.mark.parametrize("size", SIZES)
def test_course_notes_sit_beside_their_label(
    qtbot: Any, window: Any, record_view: Any, size: tuple[int, int] | None
) -> None:
    dialog = CourseDialog(window.context, record_view.record.patient.id, None, record_view)
    shown(qtbot, dialog, size)
    beside_its_label(dialog, dialog.notes)
    # the list of areas still takes the room it is given
    assert dialog.areas.height() > dialog.areas.minimumHeight()
