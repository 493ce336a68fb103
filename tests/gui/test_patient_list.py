import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from mesodesk.domain.search import PatientQuery
from mesodesk.ui.patient_model import PatientTableModel
from tests.conftest import patient_input


def register(services: Any, count: int) -> None:
    for i in range(count):
        services.patients.create(
            patient_input(first_name=f"Anna{i:03d}", last_name="Smith", birth_date=date(1980, 1, 1))
        )


def test_model_passes_the_model_tester(
    qtbot: Any, qtmodeltester: Any, services: Any, runner: Any, formats: Any
) -> None:
    register(services, 5)
    services.patients.create(patient_input())
    model = PatientTableModel(services, runner, formats)
    model.set_query(PatientQuery())
    qtbot.waitUntil(lambda: model.rowCount() == 6)
    qtmodeltester.check(model)
    assert model.data(model.index(5, 1)) == "Smith, Anna004"
    assert model.data(model.index(0, 0)) == "MD-000006"
    assert model.data(model.index(0, 3)) == "41"


def test_rows_are_fetched_as_the_view_scrolls(
    qtbot: Any, services: Any, runner: Any, formats: Any
) -> None:
    register(services, 450)
    model = PatientTableModel(services, runner, formats)
    model.set_query(PatientQuery())
    qtbot.waitUntil(lambda: model.rowCount() == 200)
    assert model.total == 450
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    qtbot.waitUntil(lambda: model.rowCount() == 400)
    model.fetchMore(QModelIndex())
    qtbot.waitUntil(lambda: model.rowCount() == 450)
    assert not model.canFetchMore(QModelIndex())
    names = [model.data(model.index(r, 1)) for r in range(450)]
    assert names == sorted(names)


def test_sorting_runs_in_sql(
    qtbot: Any, services: Any, runner: Any, formats: Any, db_path: Path
) -> None:
    """More patients than a page: a sort of the rows already fetched would show the wrong
    first page; the database's own ORDER BY says which 200 rows come first."""
    register(services, 450)
    model = PatientTableModel(services, runner, formats)
    model.set_query(PatientQuery())
    qtbot.waitUntil(lambda: model.rowCount() == 200)

    def shown() -> list[str]:
        return [model.data(model.index(r, 0)) for r in range(model.rowCount())]

    def first_page(sql_order: str) -> list[str]:
        con = sqlite3.connect(db_path)
        try:
            rows = con.execute(
                f"SELECT record_number FROM patient ORDER BY {sql_order} LIMIT 200"
            ).fetchall()
        finally:
            con.close()
        return [f"MD-{n:06d}" for (n,) in rows]

    model.sort(0, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: model.data(model.index(0, 0)) == "MD-000450")
    assert model.rowCount() == 200 and model.total == 450
    assert shown() == first_page("record_number DESC")  # MD-000450 down to MD-000251

    model.sort(1, Qt.SortOrder.DescendingOrder)  # by name: Smith, Anna449 first
    qtbot.waitUntil(lambda: model.data(model.index(0, 1)) == "Smith, Anna449")
    assert model.rowCount() == 200
    assert shown() == first_page("first_name DESC")


def test_search_as_you_type(qtbot: Any, window: Any) -> None:
    services = window.services
    services.patients.create(patient_input())
    services.patients.create(patient_input(first_name="Anna", last_name="Schmidt"))
    window.model.refresh()
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    assert window.list_view.search.hasFocus() or window.focusWidget() is window.list_view.search
    qtbot.keyClicks(window.list_view.search, "mull")
    qtbot.waitUntil(lambda: window.model.rowCount() == 1 and window.model.text_matches("mull"))
    assert window.model.data(window.model.index(0, 1)) == "Müller, José"
    assert window.count_label.text() == "1 patient found"
    window.list_view.search.clear()
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    assert window.count_label.text() == "2 patients"


def test_fast_typing_ends_on_the_last_text(qtbot: Any, window: Any) -> None:
    register(window.services, 30)
    window.services.patients.create(patient_input())
    for text in ("a", "an", "ann", "anna0", "anna00", "anna001"):
        window.model.set_search_text(text)
    qtbot.waitUntil(lambda: window.model.text_matches("anna001"))
    assert window.model.rowCount() == 1
    assert window.model.data(window.model.index(0, 1)) == "Smith, Anna001"


def test_no_match_says_so(qtbot: Any, window: Any) -> None:
    qtbot.keyClicks(window.list_view.search, "zzz")
    qtbot.waitUntil(lambda: window.model.text_matches("zzz"))
    assert window.list_view.empty.isVisibleTo(window)
    assert "zzz" in window.list_view.empty.text()


def test_enter_opens_the_best_match(qtbot: Any, window: Any) -> None:
    window.services.patients.create(patient_input())
    qtbot.keyClicks(window.list_view.search, "jose")
    qtbot.waitUntil(lambda: window.model.text_matches("jose") and window.model.rowCount() == 1)
    qtbot.keyClick(window.list_view.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.tabs.count() == 2)
    page = window.tabs.currentWidget()
    qtbot.waitUntil(lambda: page.record is not None)
    assert page.header.title.text() == "Müller, José"


def test_muller_and_enter_opens_mueller_not_becker_mueller(qtbot: Any, window: Any) -> None:
    """Issue 15 item 8, as the clinician does it."""
    window.services.patients.create(patient_input(first_name="Birgit", last_name="Becker-Müller"))
    window.services.patients.create(patient_input(first_name="Birgit", last_name="Müller"))
    qtbot.keyClicks(window.list_view.search, "muller")
    qtbot.waitUntil(lambda: window.model.text_matches("muller") and window.model.rowCount() == 2)
    qtbot.keyClick(window.list_view.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.tabs.count() == 2)
    page = window.tabs.currentWidget()
    qtbot.waitUntil(lambda: page.record is not None)
    assert page.header.title.text() == "Müller, Birgit"


def test_the_status_bar_speaks_of_what_is_in_front(qtbot: Any, window: Any) -> None:
    """Issue 15 item 12: no "1 patient found" over a record, no message left from earlier."""
    window.services.patients.create(patient_input())
    qtbot.keyClicks(window.list_view.search, "jose")
    qtbot.waitUntil(lambda: window.model.text_matches("jose") and window.model.rowCount() == 1)
    assert window.count_label.isVisible() and "1 patient" in window.count_label.text()
    window.statusBar().showMessage("Backed up to somewhere.", 60_000)
    qtbot.keyClick(window.list_view.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.tabs.count() == 2)
    assert not window.count_label.isVisible()
    assert window.statusBar().currentMessage() == ""
    window.tabs.setCurrentIndex(0)
    assert window.count_label.isVisible()


def test_archive_asks_and_hides_the_patient(qtbot: Any, window: Any, monkeypatch: Any) -> None:
    patient = window.services.patients.create(patient_input()).value
    window.model.refresh()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    asked: list[str] = []
    monkeypatch.setattr(window, "confirm", lambda title, text: asked.append(text) or False)
    window.archive_patient(patient.id)
    qtbot.waitUntil(lambda: bool(asked))
    assert "José Müller" in asked[0]
    assert not window.services.patients.get(patient.id).archived

    monkeypatch.setattr(window, "confirm", lambda title, text: True)
    window.archive_patient(patient.id)
    qtbot.waitUntil(lambda: window.services.patients.get(patient.id).archived)
    qtbot.waitUntil(lambda: window.model.rowCount() == 0 and not window.model.loading)
    window.list_view.show_archived.setChecked(True)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    assert "(archived)" in window.model.data(window.model.index(0, 1))


def test_layout_is_remembered(qtbot: Any, window: Any, services: Any) -> None:
    from mesodesk.ui.main_window import MainWindow
    from mesodesk.ui.settings import Settings

    window.resize(700, 500)  # the offscreen screen is 800x600
    window.list_view.table.horizontalHeader().resizeSection(0, 150)
    window.close()
    again = MainWindow(services, Settings())
    qtbot.addWidget(again)
    assert again.list_view.table.horizontalHeader().sectionSize(0) == 150
    assert again.size().width() == 700


def test_offers_demo_on_an_empty_database_once(qtbot: Any, window: Any, monkeypatch: Any) -> None:
    offered: list[bool] = []
    monkeypatch.setattr(window, "offer_demo", lambda: offered.append(True))
    window.offer_demo_if_empty()
    qtbot.waitUntil(lambda: bool(offered))
    window.offer_demo_if_empty()
    qtbot.wait(200)
    assert offered == [True]


def test_the_demo_offer_speaks_to_a_clinician(qtbot: Any, window: Any, monkeypatch: Any) -> None:
    """No command-line terms in the offer (issue 15 item 12)."""
    from mesodesk.ui import main_window

    asked: list[str] = []
    monkeypatch.setattr(main_window, "ask_yes_no", lambda _w, _t, text: asked.append(text) or False)
    window.offer_demo()
    assert "--db" not in asked[0] and "FILE" not in asked[0]
    assert "separate, new database" in asked[0]


def test_demo_loads_with_progress(qtbot: Any, window: Any, monkeypatch: Any) -> None:
    from PySide6.QtWidgets import QProgressDialog

    from mesodesk.ui import main_window

    dialogs: list[Any] = []
    texts: list[str] = []  # each text the dialog was given, in order
    shown: list[tuple[int, str, bool]] = []  # after each move of the bar: value, text, visible

    class Watched(QProgressDialog):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            dialogs.append(self)

        def setLabelText(self, text: str) -> None:
            super().setLabelText(text)
            texts.append(text)

        def setValue(self, value: int) -> None:
            # a modal progress dialog handles pending events in here: the next report too
            super().setValue(value)
            shown.append((self.value(), self.labelText(), self.isVisible()))

    monkeypatch.setattr(main_window, "QProgressDialog", Watched)
    window.load_demo(40)
    qtbot.waitUntil(lambda: window.model.total == 40, timeout=20_000)
    (dialog,) = dialogs
    assert dialog.maximum() == 40
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    # each stage of the work as the generator reports it, in order, never an older one after
    assert texts == [
        "Writing the product catalogue",
        "40 of 40 patients",
        "Building the indexes",
        "Computing who is due",
    ]
    # the bar full and the dialog up (with its Cancel) while the last stages run
    assert shown[-1] == (40, "Computing who is due", True)
    assert all(visible for value, _text, visible in shown if value == 40)
    qtbot.waitUntil(lambda: not dialog.isVisible())  # gone once the clinic is there
    assert "Demo clinic loaded: 40 patients" in window.statusBar().currentMessage()
