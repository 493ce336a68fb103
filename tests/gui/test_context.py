"""The application context: read-only state as an observable that every view follows, the
window's requests, and features that reach the window only through the host protocol."""

from __future__ import annotations

import ast
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mesodesk.services.changes import patient_changed
from mesodesk.ui.context import AppContext
from mesodesk.ui.course_dialog import CourseDialog
from mesodesk.ui.due_view import DueView, open_due
from mesodesk.ui.record_view import PatientRecordView
from mesodesk.ui.session_dialog import SessionDialog
from tests.gui import treatment_seed as seed


def a_record(qtbot: Any, window: Any, services: Any) -> PatientRecordView:
    """A patient with a course, a session and a side effect, open and everything selected."""
    product = seed.product(services)
    lot = seed.lot(services, product.id, "VC-1", date(2027, 6, 30))
    patient = seed.patient(services, "Ana", "Lima")
    course = seed.course(services, patient.id, date(2026, 9, 1))
    session = seed.session(services, patient.id, course.id, datetime(2026, 9, 1, 10), lot.id)
    seed.side_effect(services, patient.id, session.id, date(2026, 9, 2))
    view: PatientRecordView = window.open_patient(patient.id)
    qtbot.waitUntil(lambda: view.record is not None)
    select_all(view)
    return view


def select_all(view: PatientRecordView) -> None:
    record = view.record
    assert record is not None
    view.select("course", record.courses[0].id)
    view.select("session", record.sessions[0].id)
    view.select("side_effect", record.side_effects[0].id)


def test_read_only_disables_the_records_buttons_and_what_they_start(
    qtbot: Any, window: Any, services: Any, monkeypatch: Any
) -> None:
    view = a_record(qtbot, window, services)
    context: AppContext = window.context
    before = [button.isEnabled() for button in view.writing_buttons()]
    assert all(before[:5]) and sum(before) > 10  # the record's and the selected rows' actions
    asked: list[str] = []
    monkeypatch.setattr(CourseDialog, "ask", classmethod(lambda cls, *a: asked.append("c")))
    monkeypatch.setattr(SessionDialog, "ask", classmethod(lambda cls, *a: asked.append("s")))
    seen: list[bool] = []
    context.read_only_changed.connect(seen.append)

    context.set_read_only(True)
    context.set_read_only(True)  # no change, no signal
    assert seen == [True]
    assert [b.text() for b in view.writing_buttons() if b.isEnabled()] == []
    assert view.summary_button.isEnabled()  # reading and printing go on
    assert not window.new_action.isEnabled() and not window.edit_action.isEnabled()
    assert window.windowTitle().endswith("(read-only)")
    # a double click, a shortcut or a row's menu reaches the same actions: none of them opens
    view.new_course()
    view.edit_session()
    view.log_session_button.click()
    assert asked == []
    menu = view.session_menu(view.record.sessions[0].id)  # type: ignore[union-attr]
    assert [a.text() for a in menu.actions() if a.isEnabled()] == []
    # a record refreshed meanwhile stays read-only
    window.apply(patient_changed(view.patient_id))
    qtbot.waitUntil(lambda: not window.runner._running)
    assert [b.text() for b in view.writing_buttons() if b.isEnabled()] == []

    context.set_read_only(False)
    assert seen == [True, False]
    select_all(view)  # the refresh cleared the selection
    assert [button.isEnabled() for button in view.writing_buttons()] == before
    assert window.new_action.isEnabled() and window.windowTitle() == "mesodesk"
    view.new_course()
    view.log_session_button.click()
    assert asked == ["c", "s"]


def test_closing_the_views_goes_through_the_context(qtbot: Any, window: Any, services: Any) -> None:
    """What a restore does: every record and view closes, the patient list stays."""
    view = a_record(qtbot, window, services)
    due = open_due(window)
    assert window.find_view(DueView) is due and window.tabs.count() == 3
    window.context.close_views()
    assert window.tabs.count() == 1 and window.tabs.widget(0) is window.list_view
    assert window.pages == {} and window.find_view(DueView) is None
    assert window.find_view(PatientRecordView) is None
    del view


def test_a_feature_asks_the_window_through_the_context(
    qtbot: Any, window: Any, services: Any
) -> None:
    patient = seed.patient(services, "Ana", "Lima")
    window.context.open_patient(patient.id)
    view = window.find_view(PatientRecordView)
    assert view is not None and view.patient_id == patient.id
    window.context.show_status("said", 5000)
    assert window.statusBar().currentMessage() == "said"


def test_no_ui_module_but_the_window_names_it() -> None:
    """Features install through the host protocol: none imports the main window, even for a
    type (the import-linter contract also forbids any import circle among ui modules)."""
    ui = Path(__file__).resolve().parents[2] / "mesodesk" / "ui"
    importers = []
    for path in sorted(ui.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(name.startswith("mesodesk.ui.main_window") for name in names):
                importers.append(path.name)
    assert importers == []
