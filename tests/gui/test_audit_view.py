"""The audit view: entries filtered by patient, who and date; values; verify; export."""

import csv
import re
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mesodesk.domain.audit import Actor, AuditQuery
from mesodesk.ui import safety
from mesodesk.ui.audit_view import AuditTableModel, AuditWindow
from tests.conftest import patient_input
from tests.gui.conftest import wait_jobs


@pytest.fixture
def history(services: Any) -> Any:
    services.database.work_as(Actor("Dr. Amelia Hart", 1))
    a = services.patients.create(patient_input()).value
    services.database.work_as(Actor("=Nurse Bea"))
    b = services.patients.create(patient_input(first_name="Anna", last_name="Smith")).value
    services.patients.update(a.id, patient_input(last_name="Schneider"))
    services.patients.archive(b.id)
    return services


@pytest.fixture
def view(qtbot: Any, history: Any, runner: Any, formats: Any) -> AuditWindow:
    w = AuditWindow(history, runner, formats)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.model.rowCount() == 5)  # with the trail's keyed start
    wait_jobs(qtbot, runner)
    return w


def test_model_passes_the_model_tester(
    qtbot: Any, qtmodeltester: Any, history: Any, runner: Any, formats: Any
) -> None:
    model = AuditTableModel(history, runner, formats)
    model.set_query(AuditQuery())
    qtbot.waitUntil(lambda: model.rowCount() == 5)
    qtmodeltester.check(model)
    assert model.data(model.index(0, 0)) == "5"  # newest first
    assert model.data(model.index(0, 3)) == "archived"
    assert model.data(model.index(0, 5)) == "MD-000002 Smith, Anna"  # as a person knows them
    assert model.data(model.index(1, 6)) == "last_name"
    assert model.data(model.index(3, 2)) == "Dr. Amelia Hart"


def test_paging_fetches_more_as_the_view_scrolls(
    qtbot: Any, services: Any, runner: Any, formats: Any
) -> None:
    from mesodesk.ui import audit_view

    for i in range(7):
        services.patients.create(patient_input(first_name=f"Anna{i}"))
    original = audit_view.PAGE
    audit_view.PAGE = 3
    try:
        model = AuditTableModel(services, runner, formats)
        model.set_query(AuditQuery())
        qtbot.waitUntil(lambda: model.rowCount() == 3)
        assert model.total == 8 and model.canFetchMore()  # with the trail's keyed start
        model.fetchMore()
        qtbot.waitUntil(lambda: model.rowCount() == 6)
        model.fetchMore()
        qtbot.waitUntil(lambda: model.rowCount() == 8)
        assert not model.canFetchMore()
    finally:
        audit_view.PAGE = original


def test_filters(qtbot: Any, view: AuditWindow) -> None:
    view.patient.setText("MD-000001")
    view.apply_filters()
    qtbot.waitUntil(lambda: view.model.rowCount() == 2)
    assert {e.record_no for e in view.model.entries} == {"MD-000001"}
    assert view.count.text() == "2 entries"
    view.patient.setText("")
    qtbot.waitUntil(lambda: view.user.count() == 4)  # all, the two, the computer login
    view.user.setCurrentIndex(view.user.findData("=Nurse Bea"))
    view.apply_filters()
    qtbot.waitUntil(lambda: view.model.rowCount() == 3)
    view.user.setCurrentIndex(0)
    view.since.set_value(date(2026, 11, 25))
    view.apply_filters()
    qtbot.waitUntil(lambda: view.model.rowCount() == 0)
    view.since.set_value(date(2026, 11, 24))
    view.until.set_value(date(2026, 11, 24))
    view.apply_filters()
    qtbot.waitUntil(lambda: view.model.rowCount() == 5)


def test_filter_errors_show_beside_the_filters(qtbot: Any, view: AuditWindow) -> None:
    view.patient.setText("MD-999999")
    view.apply_filters()
    qtbot.waitUntil(lambda: not view.filter_error.isHidden())
    assert "no patient" in view.filter_error.text()
    view.patient.setText("")
    view.since.edit.setText("31/02/2026")
    view.apply_filters()
    assert "31/02/2026 does not exist" in view.filter_error.text()
    view.since.edit.setText("last week")
    view.apply_filters()
    assert "Not a date; write it as dd/mm/yyyy" in view.filter_error.text()
    view.since.set_value(date(2026, 12, 1))
    view.until.set_value(date(2026, 11, 1))
    view.apply_filters()
    assert "before" in view.filter_error.text()
    assert view.model.rowCount() == 5


def test_the_detail_shows_values_before_and_after(qtbot: Any, view: AuditWindow) -> None:
    view.table.selectRow(1)
    text = view.detail.toPlainText()
    assert "Entry 4" in text and "Dr. Amelia Hart" not in text.splitlines()[0].split("·")[1]
    assert "last_name: Müller  →  Schneider" in text
    view.table.selectRow(3)
    assert "first_name: José" in view.detail.toPlainText()


def test_verify_and_export(
    qtbot: Any, view: AuditWindow, history: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    view.verify()
    qtbot.waitUntil(lambda: "intact" in view.verdict.text())
    target = tmp_path / "trail.csv"
    monkeypatch.setattr(view, "ask_save_path", lambda: target)
    view.export()
    qtbot.waitUntil(lambda: "exported" in view.verdict.text())
    with target.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 6 and rows[3][2] == "'=Nurse Bea"
    path = history.backups.source
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER audit_entry_no_update")
    con.execute("UPDATE audit_entry SET actor = 'someone' WHERE seq = 2")
    con.commit()
    con.close()
    view.verify()
    qtbot.waitUntil(lambda: "broken at entry 2" in view.verdict.text())


def test_opened_from_the_tools_menu_and_kept_current(qtbot: Any, window: Any) -> None:
    controller = safety.controller_of(window)
    assert controller is not None
    controller.actions["audit"].trigger()
    audit = controller.audit_window
    assert isinstance(audit, AuditWindow) and audit.isVisible()
    qtbot.waitUntil(lambda: audit.model.total == 1 and not audit.model.loading)
    window.services.patients.create(patient_input())
    from mesodesk.services.changes import patient_changed

    window.apply(patient_changed(1))
    qtbot.waitUntil(lambda: audit.model.total == 2)
    controller.actions["audit"].trigger()  # the same window again
    assert controller.audit_window is audit
    audit.close()


def test_the_view_names_records_as_a_person_knows_them(
    qtbot: Any, services: Any, runner: Any, formats: Any
) -> None:
    from tests.unit.test_audit_names import clinic_day

    clinic_day(services)
    w = AuditWindow(services, runner, formats)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.model.rowCount() > 0 and bool(w.model.names))
    model = w.model
    shown = {model.data(model.index(r, 4)) for r in range(model.rowCount())}
    # in the clinic's date format, never "session 3" or "blend item 1"
    assert "session of 01/10/2026" in shown
    assert "Lidocaine 2% lot L-2208-B in the session of 01/10/2026" in shown
    assert "Lidocaine 2% lot L-2208-B" in shown
    assert not any(re.fullmatch(r"(session|blend item|product lot) \d+", t) for t in shown)
    row = next(
        r
        for r in range(model.rowCount())
        if model.data(model.index(r, 4)) == "session of 01/10/2026"
    )
    assert model.data(model.index(row, 5)) == "MD-000001 Müller, José"
    w.table.selectRow(row)
    detail = w.detail.toPlainText()
    assert "created session of 01/10/2026 (MD-000001 Müller, José)" in detail
    assert "session #" in detail  # the internal id is still there for whoever checks
    wait_jobs(qtbot, runner)
