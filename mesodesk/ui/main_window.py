"""The main window: the patient list with instant search, and a tab for each open patient."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QTabWidget,
    QWidget,
)

from mesodesk import __version__, logs
from mesodesk.domain.errors import MesodeskError
from mesodesk.domain.patients import Patient
from mesodesk.domain.search import PatientQuery
from mesodesk.services.changes import Changes
from mesodesk.services.registry import Services
from mesodesk.ui import settings as keys
from mesodesk.ui.context import AppContext, Feature, V
from mesodesk.ui.form import fit_screen
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import JobRunner, Progress
from mesodesk.ui.labels import Formats
from mesodesk.ui.patient_dialog import PatientDialog
from mesodesk.ui.patient_list import PatientListView, count_text
from mesodesk.ui.patient_model import PatientTableModel
from mesodesk.ui.record_view import PatientRecordView
from mesodesk.ui.settings import Settings
from mesodesk.ui.widgets import ElidedLabel, ask_yes_no


def feature_installers() -> list[Feature]:
    """Each feature area adds its menu actions and views to the window from its own module,
    through the host protocol (mesodesk.ui.context.Host); none of them imports this module."""
    from mesodesk.ui import catalogue_window, dashboard, due_view, recall_view, safety, summary_ui

    return [
        catalogue_window.install,
        due_view.install,
        recall_view.install,
        safety.install,
        summary_ui.install,
        dashboard.install,
    ]


log = logs.get(__name__)
DEMO_PATIENTS = 1000  # enough exposed patients per lot for the demo's two signals to show


class MainWindow(QMainWindow):
    """The patient list and the open records, in tabs; the features add their menus and views
    through the host protocol, and everything they share travels in ``self.context``."""

    def __init__(
        self, services: Services, settings: Settings, runner: JobRunner | None = None
    ) -> None:
        super().__init__()
        runner = runner or JobRunner(self)
        clinic = services.settings.get()
        self._context = AppContext(
            services, settings, runner, Formats(clinic.date_order, clinic.currency), self
        )
        self.services = services
        self.settings = settings
        self.runner = runner
        self.formats = self._context.formats
        self.runner.error.connect(self.show_error)
        self.setWindowTitle(self.tr("mesodesk"))

        self.model = PatientTableModel(services, self.runner, self.formats, self)
        self.list_view = PatientListView(self.model)
        self.list_view.open_requested.connect(self.open_patient)
        self.list_view.new_button.clicked.connect(self.new_patient)
        self.list_view.show_archived.toggled.connect(self._toggle_archived)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.addTab(self.list_view, self.tr("Patients"))
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.RightSide, None)
        self.tabs.tabCloseRequested.connect(self._close_tab)
        self.tabs.currentChanged.connect(self._tab_shown)
        self.setCentralWidget(self.tabs)
        self.pages: dict[int, PatientRecordView] = {}

        self.count_label = QLabel()
        self.statusBar().addWidget(self.count_label)
        where = ElidedLabel(services.location)
        where.setStyleSheet("color: #666666;")
        self.statusBar().addPermanentWidget(where)
        self.model.total_changed.connect(self._show_count)
        self.model.search_failed.connect(
            lambda message: self.statusBar().showMessage(message, 8000)
        )
        context = self._context
        context.changes_applied.connect(self._refresh_views)
        context.read_only_changed.connect(self._read_only_changed)
        context.status_message.connect(self.statusBar().showMessage)
        context.open_patient_requested.connect(self.open_patient)
        context.edit_patient_requested.connect(self.edit_patient)
        context.archive_patient_requested.connect(self.archive_patient)
        context.close_views_requested.connect(self.close_views)

        self._build_menus()
        self._restore()
        self.model.set_query(
            PatientQuery(include_archived=self.list_view.show_archived.isChecked())
        )
        self.list_view.search.setFocus()

    # -- menus ---------------------------------------------------------------------------------

    def _action(self, text: str, slot: Any, shortcut: Any = None, menu: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        if menu is not None:
            menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        self.new_action = self._action(
            self.tr("&New patient…"), self.new_patient, QKeySequence.StandardKey.New, file_menu
        )
        file_menu.addSeparator()
        self.demo_action = self._action(
            self.tr("Load a &demo clinic…"), self.offer_demo, None, file_menu
        )
        file_menu.addSeparator()
        self._action(self.tr("&Quit"), self.close, QKeySequence.StandardKey.Quit, file_menu)

        patient_menu = bar.addMenu(self.tr("&Patient"))
        self.open_action = self._action(
            self.tr("&Open"), self._open_selected, "Ctrl+O", patient_menu
        )
        self.edit_action = self._action(
            self.tr("&Edit…"), self.edit_selected, "Ctrl+E", patient_menu
        )
        self.archive_action = self._action(
            self.tr("&Archive or unarchive…"), self.archive_selected, "Ctrl+Shift+A", patient_menu
        )

        view_menu = bar.addMenu(self.tr("&View"))
        self._action(
            self.tr("&Find patient"), self.focus_search, QKeySequence.StandardKey.Find, view_menu
        )
        self._action(
            self.tr("&Refresh"), self.model.refresh, QKeySequence.StandardKey.Refresh, view_menu
        )
        self._action(
            self.tr("&Close tab"),
            lambda: self._close_tab(self.tabs.currentIndex()),
            "Ctrl+W",
            view_menu,
        )

        self.tools_menu = bar.addMenu(self.tr("&Tools"))
        help_menu = bar.addMenu(self.tr("&Help"))
        self._action(self.tr("&About mesodesk"), self.about, None, help_menu)
        self.menus = {
            "file": file_menu,
            "patient": patient_menu,
            "view": view_menu,
            "tools": self.tools_menu,
            "help": help_menu,
        }
        for install in feature_installers():
            install(self)

    # -- the host protocol (mesodesk.ui.context.Host) ----------------------------------------

    @property
    def context(self) -> AppContext:
        return self._context

    def menu(self, name: str) -> QMenu:
        return self.menus[name]

    def show_view(self, view: QWidget, title: str, position: int = -1) -> None:
        if self.tabs.indexOf(view) < 0:
            self.tabs.insertTab(position, view, title)
        self.tabs.setCurrentWidget(view)

    def find_view(self, kind: type[V]) -> V | None:
        for index in range(self.tabs.count()):
            widget = self.tabs.widget(index)
            if isinstance(widget, kind):
                return widget
        return None

    # -- actions ------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.list_view.search.setFocus()
        self.list_view.search.selectAll()

    def new_patient(self) -> None:
        result = PatientDialog.ask(self, self.services, self.runner, self.formats)
        if result is not None:
            self.apply(result.changes)
            self.open_patient(result.value.id)
            self.statusBar().showMessage(
                arg(self.tr("Registered %1."), result.value.record_no), 5000
            )

    def _current_patient_id(self) -> int | None:
        widget = self.tabs.currentWidget()
        if isinstance(widget, PatientRecordView):
            return widget.patient_id
        return self.list_view.selected_patient_id()

    def _open_selected(self) -> None:
        patient_id = self._current_patient_id()
        if patient_id is not None:
            self.open_patient(patient_id)

    def edit_selected(self) -> None:
        patient_id = self._current_patient_id()
        if patient_id is not None:
            self.edit_patient(patient_id)

    def archive_selected(self) -> None:
        patient_id = self._current_patient_id()
        if patient_id is not None:
            self.archive_patient(patient_id)

    def edit_patient(self, patient_id: int) -> None:
        patients = self.services.patients
        self.runner.run(lambda: patients.get(patient_id)).success(self._edit_loaded)

    def _edit_loaded(self, patient: Patient) -> None:
        result = PatientDialog.ask(self, self.services, self.runner, self.formats, patient)
        if result is not None:
            self.apply(result.changes)

    def archive_patient(self, patient_id: int) -> None:
        patients = self.services.patients
        self.runner.run(lambda: patients.get(patient_id)).success(self._archive_loaded)

    def _archive_loaded(self, patient: Patient) -> None:
        if patient.archived:
            question = self.tr(
                "Unarchive %1 (%2)? The patient will appear in the list and searches again."
            )
        else:
            question = self.tr(
                "Archive %1 (%2)? The record is kept in full; the patient leaves the list and "
                "searches unless “Show archived” is ticked."
            )
        if not self.confirm(
            self.tr("Archive patient") if not patient.archived else self.tr("Unarchive patient"),
            arg(question, patient.full_name, patient.record_no),
        ):
            return
        patients = self.services.patients
        op = patients.unarchive if patient.archived else patients.archive
        self.runner.run(lambda: op(patient.id)).success(lambda result: self.apply(result.changes))

    def confirm(self, title: str, text: str) -> bool:
        return ask_yes_no(self, title, text)

    def open_patient(self, patient_id: int) -> PatientRecordView:
        view = self.pages.get(patient_id)
        if view is None:
            view = PatientRecordView(self._context, patient_id)
            view.loaded.connect(self._record_loaded)
            self.pages[patient_id] = view
            self.tabs.addTab(view, self.tr("Loading…"))
        self.tabs.setCurrentWidget(view)
        view.reload()
        return view

    def _record_loaded(self, record: Any) -> None:
        patient = record.patient
        view = self.pages.get(patient.id)
        if view is None:
            return
        index = self.tabs.indexOf(view)
        self.tabs.setTabText(index, f"{patient.last_name}, {patient.first_name}")
        self.tabs.setTabToolTip(index, patient.record_no)

    def _close_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if index <= 0 or widget is None:
            return
        for patient_id, page in list(self.pages.items()):
            if page is widget:
                del self.pages[patient_id]
        self.tabs.removeTab(index)
        widget.deleteLater()

    def close_views(self) -> None:
        """Close every tab but the patient list: the records, and the views of the features."""
        for index in range(self.tabs.count() - 1, 0, -1):
            self._close_tab(index)

    def _toggle_archived(self, checked: bool) -> None:
        q = self.model.query
        self.model.set_query(PatientQuery(q.text, checked, False, q.sort, q.descending))

    # -- changes ------------------------------------------------------------------------------

    def apply(self, changes: Changes) -> None:
        """Every change a service reports passes here once; each view refreshes what it shows."""
        self._context.apply(changes)

    def _read_only_changed(self, read_only: bool) -> None:
        """Offer nothing that writes while the database may not be changed."""
        for action in (self.new_action, self.edit_action, self.archive_action, self.demo_action):
            action.setEnabled(not read_only)
        self.list_view.new_button.setEnabled(not read_only)
        suffix = self.tr(" (read-only)")
        title = self.windowTitle().removesuffix(suffix)
        self.setWindowTitle(title + suffix if read_only else title)

    def _refresh_views(self, changes: Changes) -> None:
        if changes.patients or changes.treatment:
            self.model.refresh()
            for patient_id in changes.patient_ids & set(self.pages):
                self.pages[patient_id].reload()
        if changes.catalogue:
            for view in self.pages.values():
                view.reload()
        if changes.settings:
            clinic = self.services.settings.get()
            self.formats.order = clinic.date_order
            self.formats.currency = clinic.currency
            self.model.refresh()

    def _tab_shown(self, _index: int) -> None:
        """The status bar speaks of what is in front: the patient count only over the patient
        list, and a message about an earlier action goes when the person moves on."""
        self.statusBar().clearMessage()
        self.count_label.setVisible(self.tabs.currentWidget() is self.list_view)

    def _show_count(self, total: int) -> None:
        self.count_label.setText(count_text(total, bool(self.model.query.text.strip())))

    # -- demo ---------------------------------------------------------------------------------

    def offer_demo_if_empty(self) -> None:
        """On a first start with an empty database, offer the demo clinic (once)."""
        if self.settings.get(keys.DEMO_OFFERED):
            return
        patients = self.services.patients
        self.runner.run(lambda: patients.count(PatientQuery(include_archived=True))).success(
            lambda count: self._offer_if(count == 0)
        )

    def _offer_if(self, empty: bool) -> None:
        if not empty:
            return
        self.settings.set(keys.DEMO_OFFERED, True)
        self.offer_demo()

    def offer_demo(self) -> None:
        if ask_yes_no(
            self,
            self.tr("Load a demo clinic?"),
            arg(
                self.tr(
                    "This database holds no patients yet. Load a demo clinic of %1 invented "
                    "patients, with courses, sessions, side effects and product lots, to try "
                    "mesodesk out?\n\n"
                    "The invented patients stay in this database. Keep real patients in a "
                    "separate, new database: the file in use is shown at the bottom right of the "
                    "window and under Help ▸ About."
                ),
                str(DEMO_PATIENTS),
            ),
        ):
            self.load_demo(DEMO_PATIENTS)

    def load_demo(self, patients: int) -> None:
        dialog = QProgressDialog(
            self.tr("Writing the demo clinic…"), self.tr("Cancel"), 0, patients, self
        )
        dialog.setWindowTitle(self.tr("Demo clinic"))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        # the last patients written is not the end: the indexes and the due dates follow, and
        # a dialog that reset itself at the maximum would be gone while they are made
        dialog.setAutoReset(False)
        demo = self.services.demo

        def work(progress: Progress) -> Any:
            return demo.generate(patients, progress=progress.report, cancelled=progress.cancelled)

        job = self.runner.run_long(work)

        def show_progress(done: int, _total: int, message: str) -> None:
            # the text first: a modal dialog's setValue handles pending events, the next
            # report among them, and a text set after it would put back the older stage
            dialog.setLabelText(message)
            dialog.setValue(done)

        job.progressed.connect(show_progress)
        dialog.canceled.connect(job.cancel)

        def finished(summary: Any) -> None:
            dialog.reset()
            self.apply(Changes(patients=True, treatment=True, catalogue=True))
            self.statusBar().showMessage(
                arg(
                    self.tr("Demo clinic loaded: %1 patients, %2 sessions."),
                    f"{summary.patients:,}",
                    f"{summary.sessions:,}",
                ),
                8000,
            )

        def failed(error: BaseException) -> None:
            dialog.reset()
            self.show_error(error)

        job.success(finished).failure(failed)

    # -- errors, about, closing --------------------------------------------------------------

    def show_error(self, error: BaseException) -> None:
        if isinstance(error, MesodeskError):
            log.info("refused: %s", type(error).__name__)
            text = str(error)
        else:
            log.error("a job failed", exc_info=error)  # the type and the code lines, no text
            # The type only: an exception's text may hold a record's values.
            text = arg(
                self.tr("Something went wrong (%1). Nothing of the failed step was saved."),
                type(error).__name__,
            )
        QMessageBox.warning(self, self.tr("mesodesk"), text)

    def about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("About mesodesk"),
            arg(
                self.tr(
                    "<h3>mesodesk %1</h3><p>Records for mesotherapy clinics: patients, courses, "
                    "sessions, side effects and outcomes.</p><p>Everything stays on this computer "
                    "(or your practice's own database server). No account, no cloud.</p>"
                    "<p>Database: %2</p>"
                ),
                __version__,
                self.services.location.replace("&", "&amp;").replace("<", "&lt;"),
            ),
        )

    def _restore(self) -> None:
        geometry = self.settings.get(keys.WINDOW_GEOMETRY)
        if geometry.isEmpty() or not self.restoreGeometry(geometry):
            fit_screen(self, 1200, 760)  # the record fits a 1024 x 768 screen too
        state = self.settings.get(keys.WINDOW_STATE)
        if not state.isEmpty():
            self.restoreState(state)
        header_state = self.settings.get(keys.PATIENT_HEADER)
        if not header_state.isEmpty():
            self.list_view.table.horizontalHeader().restoreState(header_state)
        self.list_view.show_archived.setChecked(self.settings.get(keys.SHOW_ARCHIVED))

    def open_records(self) -> list[int]:
        """The patients whose records are open, in the order of their tabs."""
        by_view = {id(view): patient_id for patient_id, view in self.pages.items()}
        found = (by_view.get(id(self.tabs.widget(i))) for i in range(self.tabs.count()))
        return [patient_id for patient_id in found if patient_id is not None]

    def _save_records(self) -> None:
        current = next(
            (pid for pid, view in self.pages.items() if view is self.tabs.currentWidget()), 0
        )
        self.settings.set(
            keys.OPEN_RECORDS,
            json.dumps(
                {
                    "database": self.services.location,
                    "records": self.open_records(),
                    "current": current,
                }
            ),
        )

    def restore_records(self) -> None:
        """Open again the records that were open when the window last closed on this database,
        in the same order, the one in front in front; a patient deleted since is left out."""
        try:
            saved = json.loads(self.settings.get(keys.OPEN_RECORDS) or "{}")
            if not isinstance(saved, dict) or saved.get("database") != self.services.location:
                return
            wanted = [int(x) for x in saved.get("records", [])]
            current = int(saved.get("current") or 0)
        except (ValueError, TypeError):
            return  # a setting this version cannot read: start with the patient list
        if not wanted:
            return
        patients = self.services.patients

        def existing() -> list[int]:
            found = []
            for patient_id in wanted:
                try:
                    patients.get(patient_id)
                except MesodeskError:
                    continue
                found.append(patient_id)
            return found

        def reopen(found: list[int]) -> None:
            for patient_id in found:
                if patient_id not in self.pages:
                    self.open_patient(patient_id)
            front = self.pages.get(current)
            self.tabs.setCurrentWidget(front if front is not None else self.list_view)

        self.runner.run(existing).success(reopen)

    def save_layout(self) -> None:
        self._save_records()
        self.settings.set(keys.WINDOW_GEOMETRY, self.saveGeometry())
        self.settings.set(keys.WINDOW_STATE, self.saveState())
        self.settings.set(keys.PATIENT_HEADER, self.list_view.table.horizontalHeader().saveState())
        self.settings.set(keys.SHOW_ARCHIVED, self.list_view.show_archived.isChecked())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.runner.wait(10_000)
        super().closeEvent(event)
