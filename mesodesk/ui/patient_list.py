"""The searchable list of patients: the first tab of the main window. Kept light (no database
layer imported) so that the start-up window can show it before the rest has loaded."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLocale, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.patients import MAX_SEARCH
from mesodesk.ui.i18n import arg
from mesodesk.ui.patient_model import PatientTableModel
from mesodesk.ui.tables import make_table
from mesodesk.ui.widgets import placeholder

SEARCH_DELAY_MS = 40


def count_text(total: int, searching: bool) -> str:
    """'1,234 patients' (or '… found' while searching), in the workstation's number format."""

    def tr(text: str) -> str:
        return QCoreApplication.translate("PatientList", text)

    if total == 1:
        return tr("1 patient found") if searching else tr("1 patient")
    text = tr("%1 patients found") if searching else tr("%1 patients")
    return arg(text, QLocale().toString(total))


class PatientListView(QWidget):
    """The searchable list of patients: the first tab."""

    open_requested = Signal(int)

    def __init__(self, model: PatientTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setMaxLength(MAX_SEARCH)
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(
            self.tr("Search: name, record no., phone or date of birth  (Ctrl+F)")
        )
        self.show_archived = QCheckBox(self.tr("Show archived"))
        self.new_button = QPushButton(self.tr("New patient…"))
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.show_archived)
        top.addWidget(self.new_button)

        self.table = make_table(
            model,
            "patients",
            widths=(110, 300, 120, 60, 170, 120, 120),
            stretch=1,
            sort=(1, Qt.SortOrder.AscendingOrder),  # sorted in SQL: see PatientTableModel.sort
            qt_header=True,
        )
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated.connect(self._open_index)

        self.empty = placeholder()
        self.empty.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._search_now)
        self.search.textChanged.connect(lambda _text: self._timer.start())
        self.search.returnPressed.connect(self._open_first)
        model.total_changed.connect(self._update_empty)

    def _search_now(self) -> None:
        self.model.set_search_text(self.search.text())

    def _open_index(self, index: QModelIndex) -> None:
        patient_id = self.model.patient_id(index.row())
        if patient_id is not None:
            self.open_requested.emit(patient_id)

    def _open_first(self) -> None:
        """Enter in the search box opens the selected patient, or the best match."""
        self._timer.stop()
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].row() if rows else 0
        if self.model.text_matches(self.search.text()):
            patient_id = self.model.patient_id(row)
            if patient_id is not None:
                self.open_requested.emit(patient_id)
        else:
            self._search_now()

    def _update_empty(self, total: int) -> None:
        if total:
            self.empty.hide()
            return
        text = self.search.text().strip()
        self.empty.setText(
            arg(self.tr("No patient matches “%1”."), text)
            if text
            else self.tr("No patients yet. Register one with File ▸ New patient (Ctrl+N).")
        )
        self.empty.show()

    def selected_patient_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.patient_id(rows[0].row()) if rows else None
