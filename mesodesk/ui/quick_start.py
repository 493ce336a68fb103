"""The first window a person sees: the real patient list, shown within a fraction of a second
while the database layer and the services load behind it (about a second).

It looks like the main window (same size and place, menus, tab, columns, status bar) and holds
the first page of patients read by mesodesk.store.quick. What is typed in its search box is
carried over to the main window, which replaces it as soon as it is ready.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget

from mesodesk.domain.patients import PatientPage
from mesodesk.domain.search import PatientQuery
from mesodesk.ui import settings as keys
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats
from mesodesk.ui.patient_list import PatientListView, count_text
from mesodesk.ui.patient_model import PatientTableModel
from mesodesk.ui.settings import Settings


class _FirstPageModel(PatientTableModel):
    """The first page, fixed: searching and scrolling wait for the main window."""

    def _request(self, query: PatientQuery, limit: int) -> None:
        self.query = query

    def canFetchMore(self, parent: Any = None) -> bool:
        return False


class QuickWindow(QMainWindow):
    def __init__(
        self, page: PatientPage, formats: Formats, settings: Settings, location: str
    ) -> None:
        super().__init__()
        self.setWindowTitle(self.tr("mesodesk"))
        self.model = _FirstPageModel(None, JobRunner(self), formats, self)  # type: ignore[arg-type]
        self.list_view = PatientListView(self.model)
        table = self.list_view.table
        table.setSortingEnabled(False)  # restoring the columns must not start a search
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.list_view, self.tr("Patients"))
        self.setCentralWidget(self.tabs)
        for title in (
            self.tr("&File"),
            self.tr("&Patient"),
            self.tr("&View"),
            self.tr("&Tools"),
            self.tr("&Help"),
        ):
            self.menuBar().addMenu(title).setEnabled(False)
        self.count_label = QLabel(count_text(page.total, False))
        self.statusBar().addWidget(self.count_label)
        where = QLabel(location)
        where.setStyleSheet("color: #666666;")
        self.statusBar().addPermanentWidget(where)
        geometry = settings.get(keys.WINDOW_GEOMETRY)
        if geometry.isEmpty() or not self.restoreGeometry(geometry):
            # as the main window it stands in for (ui/form.fit_screen): less on a small screen
            room = self.screen().availableGeometry()
            self.resize(min(1200, room.width() - 16), min(760, room.height() - 48))
        header = settings.get(keys.PATIENT_HEADER)
        if not header.isEmpty():
            table.horizontalHeader().restoreState(header)
        self.model.show_page(page)
        self.list_view.search.setFocus()

    def matches_first_order(self) -> bool:
        """Whether the list is in the order the first page was read in (by name, ascending)."""
        header = self.list_view.table.horizontalHeader()
        return header.sortIndicatorSection() == 1 and (
            header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
        )

    @property
    def typed(self) -> str:
        return self.list_view.search.text()
