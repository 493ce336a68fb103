from datetime import date, datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt

from mesodesk.domain.enums import BodyArea
from mesodesk.domain.treatment import BlendInput, SessionInput
from mesodesk.ui.due_view import DueTableModel, DueView, lateness, open_due
from mesodesk.ui.tables import ALERT
from tests.gui import treatment_seed as seed
from tests.gui.conftest import wait_jobs

TODAY = date(2026, 11, 24)  # the test clock's day


@pytest.fixture
def clinic(services: Any) -> dict[str, Any]:
    """Four courses: due a week ago (one session given), due today, due in 16 days, and one of
    an archived patient that is never listed."""
    p = seed.product(services)
    lot = seed.lot(services, p.id, "VC-1", date(2028, 1, 1))
    late = seed.patient(services, "Ana", "García", "+34 600 123 456")
    late_course = seed.course(services, late.id, date(2026, 11, 10))
    seed.session(services, late.id, late_course.id, datetime(2026, 11, 10, 9, 0), lot.id)
    today = seed.patient(services, "Ben", "Okafor")
    seed.course(services, today.id, TODAY)
    later = seed.patient(services, "Chloé", "Durand")
    seed.course(services, later.id, date(2026, 12, 10))
    gone = seed.patient(services, "Dan", "Archived")
    seed.course(services, gone.id, date(2026, 11, 1))
    services.patients.archive(gone.id)
    return {"late": late, "late_course": late_course, "today": today, "later": later, "lot": lot}


def names(view: DueView) -> list[str]:
    return [view.proxy.index(r, 3).data() for r in range(view.proxy.rowCount())]


def test_model_passes_the_model_tester(
    qtmodeltester: Any, services: Any, formats: Any, clinic: Any
) -> None:
    model = DueTableModel(formats)
    model.set_entries(services.courses.due(date(2026, 12, 31)), TODAY)
    qtmodeltester.check(model)
    assert model.rowCount() == 3
    first = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert first == [
        "17/11/2026",
        "Overdue by 7 days",
        "MD-000001",
        "García, Ana",
        "+34 600 123 456",
        "Wrinkles and laughter lines",
        "1 of 6",
        "10/11/2026",
    ]
    assert model.data(model.index(0, 1), Qt.ItemDataRole.ForegroundRole).color() == ALERT
    assert model.data(model.index(1, 1)) == "Due today"
    assert model.data(model.index(2, 1)) == "Due in 16 days"


def test_lateness_in_words() -> None:
    assert lateness(date(2026, 11, 23), TODAY) == ("Overdue by 1 day", 2)
    assert lateness(date(2026, 11, 25), TODAY) == ("Due tomorrow", 0)


def test_view_lists_the_courses_due_by_the_chosen_date(
    qtbot: Any, window: Any, clinic: Any
) -> None:
    action = next(a for a in window.menus["view"].actions() if a.objectName() == "open_due")
    action.trigger()
    view = window.tabs.currentWidget()
    assert isinstance(view, DueView)
    assert open_due(window) is view  # one tab, brought forward
    qtbot.waitUntil(lambda: not view.loading)
    assert names(view) == ["García, Ana", "Okafor, Ben"]
    assert view.summary.text() == "2 courses due on or before 24/11/2026, 1 overdue"
    assert view.quick[0].isChecked()

    view.quick[7].click()
    qtbot.waitUntil(lambda: not view.loading)
    assert names(view) == ["García, Ana", "Okafor, Ben"]
    assert view.date.text() == "01/12/2026"

    view.quick[30].click()
    qtbot.waitUntil(lambda: not view.loading)
    assert names(view) == ["García, Ana", "Okafor, Ben", "Durand, Chloé"]

    view.date.edit.setText("16/11/2026")  # typed: looked up once the typing pauses
    qtbot.waitUntil(lambda: view.by == date(2026, 11, 16) and not view.loading)
    assert names(view) == []
    assert view.empty.isVisibleTo(view)
    assert not any(b.isChecked() for b in view.quick.values())

    view.date.edit.setText("31/13/2026")
    qtbot.waitUntil(lambda: view.date_error.isVisibleTo(view))
    assert "31/13/2026 does not exist: there is no month 13" in view.date_error.text()
    view.date.edit.setText("31/12/20x6")
    qtbot.waitUntil(lambda: "dd/mm/yyyy" in view.date_error.text())


def test_enter_or_double_click_opens_the_patient(
    qtbot: Any, window: Any, clinic: Any, monkeypatch: Any
) -> None:
    opened: list[int] = []
    monkeypatch.setattr(window, "open_patient", opened.append)
    view = open_due(window)
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 2)
    view.table.setCurrentIndex(view.proxy.index(1, 0))
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    view.table.doubleClicked.emit(view.proxy.index(0, 3))
    assert opened == [clinic["today"].id, clinic["late"].id]


def test_a_session_logged_elsewhere_takes_the_course_off_the_list(
    qtbot: Any, window: Any, services: Any, clinic: Any
) -> None:
    view = open_due(window)
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 2)
    late = clinic["late"]
    result = services.sessions.log_session(
        late.id,
        SessionInput(
            course_id=clinic["late_course"].id,
            started_at=datetime(2026, 11, 24, 9, 0),
            areas=(BodyArea.FACE,),
            depth_mm=1.5,
            blend=(BlendInput(clinic["lot"].id, 2.0),),
        ),
    )
    window.apply(result.changes)
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1)
    wait_jobs(qtbot, window.runner)
    assert names(view) == ["Okafor, Ben"]
    # a closed tab no longer listens
    window.tabs.tabCloseRequested.emit(window.tabs.indexOf(view))
    qtbot.waitUntil(lambda: window.tabs.count() == 1)
    window.apply(result.changes)
    wait_jobs(qtbot, window.runner)


@pytest.fixture
def lapsed(services: Any, clinic: Any) -> Any:
    """Eve's maintenance was due on 15 March 2026 (three sessions in December, every three
    months): overdue by twice its interval, it lapsed on 15 September."""
    eve = seed.patient(services, "Eve", "Lapsed")
    course = seed.course(
        services, eve.id, date(2025, 12, 1), planned_sessions=3, maintenance_interval_months=3
    )
    for day in (1, 8, 15):
        seed.session(services, eve.id, course.id, datetime(2025, 12, day, 9, 0), clinic["lot"].id)
    return eve


def test_the_lapsed_filter_shows_the_courses_that_left_the_due_list(
    qtbot: Any, window: Any, lapsed: Any
) -> None:
    view = open_due(window)
    qtbot.waitUntil(lambda: not view.loading)
    assert "Lapsed, Eve" not in names(view)
    view.show_lapsed.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not view.loading and view.lapsed_shown())
    assert names(view) == ["Lapsed, Eve"]
    row = [view.proxy.index(0, c).data() for c in range(3)]
    assert row == ["15/03/2026", "Lapsed since 15/09/2026", "MD-000005"]
    assert "twice the maintenance interval" in view.proxy.index(0, 1).data(
        Qt.ItemDataRole.ToolTipRole
    )
    assert view.summary.text() == "1 course with a maintenance lapsed by 24/11/2026"
    view.show_lapsed.setCurrentIndex(0)
    qtbot.waitUntil(lambda: not view.loading and not view.lapsed_shown())
    assert names(view) == ["García, Ana", "Okafor, Ben"]


def test_the_patient_list_and_the_record_say_lapsed_too(
    qtbot: Any, window: Any, lapsed: Any
) -> None:
    model = window.model
    model.set_query(model.query)
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() == 4)
    row = next(r for r in range(model.rowCount()) if model.patient_id(r) == lapsed.id)
    assert model.data(model.index(row, 6)) == "lapsed"
    assert "lapsed list" in model.data(model.index(row, 6), Qt.ItemDataRole.ToolTipRole)
    window.open_patient(lapsed.id)
    record_view = window.tabs.currentWidget()
    qtbot.waitUntil(lambda: record_view.summary.isVisibleTo(record_view))
    wait_jobs(qtbot, window.runner)
    assert "Maintenance lapsed: Wrinkles and laughter lines" in record_view.summary.text()
    assert "Next session" not in record_view.summary.text()


def test_a_list_longer_than_the_table_holds_says_so(
    qtbot: Any, window: Any, clinic: Any, monkeypatch: Any
) -> None:
    import mesodesk.ui.due_view as due_view

    monkeypatch.setattr(due_view, "SHOWN", 1)
    view = open_due(window)
    qtbot.waitUntil(lambda: not view.loading)
    assert view.proxy.rowCount() == 1
    assert view.summary.text() == (
        "More than 1 courses due on or before 24/11/2026: the first 1 are shown "
        "(choose an earlier date, or use mesodesk due)."
    )
