"""Cancel on a filled form asks before throwing away what was typed (issue 15 item 12)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from mesodesk.ui.patient_dialog import PatientDialog
from mesodesk.ui.session_dialog import SessionDialog
from mesodesk.ui.side_effect_dialog import SideEffectDialog
from tests.conftest import patient_input


def watch(monkeypatch: Any, dialog: Any, answer: bool) -> list[bool]:
    asked: list[bool] = []
    monkeypatch.setattr(dialog, "confirm_discard", lambda: asked.append(True) or answer)
    return asked


def test_cancel_on_an_untouched_form_just_closes(
    qtbot: Any, services: Any, runner: Any, formats: Any, monkeypatch: Any
) -> None:
    dialog = PatientDialog(services, runner, formats)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    asked = watch(monkeypatch, dialog, False)
    dialog.reject()
    assert asked == [] and not dialog.isVisible()


def test_cancel_on_a_filled_form_asks_and_keeps_it_unless_told(
    qtbot: Any, services: Any, runner: Any, formats: Any, monkeypatch: Any
) -> None:
    dialog = PatientDialog(services, runner, formats)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.last_name, "Muller")
    asked = watch(monkeypatch, dialog, False)
    dialog.reject()  # what Cancel, Escape and the close box do
    assert asked == [True] and dialog.isVisible()
    assert dialog.last_name.text() == "Muller"
    asked = watch(monkeypatch, dialog, True)
    dialog.reject()
    assert asked == [True] and not dialog.isVisible()


def test_a_record_loaded_into_the_form_is_not_a_change(
    qtbot: Any, window: Any, services: Any, monkeypatch: Any
) -> None:
    patient = services.patients.create(patient_input()).value
    view = window.open_patient(patient.id)
    qtbot.waitUntil(lambda: view.record is not None)
    edit = PatientDialog(services, window.runner, window.formats, patient)
    session = SessionDialog(window.context, view.record, None, view)
    effect = SideEffectDialog(window.context, view.record, None, None, view)
    for dialog in (edit, session, effect):
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: session.loaded)
    window.runner.wait(5_000)
    qtbot.wait(50)
    for dialog in (edit, session, effect):
        asked = watch(monkeypatch, dialog, False)
        dialog.reject()
        assert asked == [] and not dialog.isVisible(), dialog
    # a session's areas ticked is a change
    session.show()
    item = session.areas.item(1)
    ticked = item.checkState() == Qt.CheckState.Checked
    item.setCheckState(Qt.CheckState.Unchecked if ticked else Qt.CheckState.Checked)
    asked = watch(monkeypatch, session, False)
    session.reject()
    assert asked == [True]
